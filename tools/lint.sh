#!/usr/bin/env bash
# flake8 with OpenStack's hacking rules, reStructuredText checks of the
# documentation, shellcheck, and a Python 2.7
# compile of the runtime package (Grizzly/Havana hosts run 2.7).
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
root=${NOVA_SGFIX_VENV_ROOT:-/var/cache/nova-sgfix/venvs}
key=$(sha1sum constraints/lint.txt | cut -c1-12)
venv="$root/lint-$key"
if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r constraints/lint.txt
    touch "$venv/.complete"
fi

status=0
"$venv/bin/flake8" nova_sgfix nova tests tools || status=1
for doc in README.rst doc/*.rst constraints/README.rst; do
    "$venv/bin/python" -m docutils --halt=warning "$doc" >/dev/null \
        || { echo "reStructuredText problems in $doc" >&2; status=1; }
done
mapfile -t scripts < <(git ls-files -- '*.sh' '.ci/run' 'devstack/*' |
                       xargs grep -l '^#!.*\(ba\)\?sh' 2>/dev/null || true)
scripts+=(devstack/plugin.sh devstack/settings)
shellcheck -x "${scripts[@]}" || status=1

py27=$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 1 -name '2.7.*' \
       | sort -V | tail -n 1)
if [ -n "$py27" ]; then
    "$py27/bin/python" -m compileall -q nova_sgfix >/dev/null || status=1
    find nova_sgfix -name '*.pyc' -delete
fi
exit "$status"
