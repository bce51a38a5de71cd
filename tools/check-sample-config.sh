#!/usr/bin/env bash
# The committed etc/nova-sgfix.conf.sample must be what the options generate.
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
venv=$(tools/make-test-env.sh train-py37)
"$venv/bin/pip" install -q --no-deps -e . >/dev/null
generated=$(mktemp)
trap 'rm -f "$generated"' EXIT
"$venv/bin/oslo-config-generator" \
    --config-file etc/nova-sgfix-config-generator.conf \
    --output-file "$generated"
if ! diff -u etc/nova-sgfix.conf.sample "$generated"; then
    echo "etc/nova-sgfix.conf.sample is stale: regenerate it with" \
         "oslo-config-generator --config-file" \
         "etc/nova-sgfix-config-generator.conf" >&2
    exit 1
fi
