#!/usr/bin/env bash
# Build the sdist and the universal wheel, then install the wheel with pip's
# normal dependency handling but no package index into each test environment:
# if nova-sgfix needed to add or upgrade any library nova already has, the
# install would fail. The environments are left as they were.
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dist=$(mktemp -d)
trap 'rm -rf "$dist"' EXIT
build_venv=$(tools/make-test-env.sh train-py37)
"$build_venv/bin/pip" install -q 'wheel==0.37.1' >/dev/null
"$build_venv/bin/python" setup.py -q sdist --dist-dir "$dist" >/dev/null 2>&1
"$build_venv/bin/python" setup.py -q bdist_wheel --dist-dir "$dist" \
    >/dev/null 2>&1
rm -rf build ./*.egg-info
wheel=$(ls "$dist"/nova_sgfix-*-py2.py3-none-any.whl)
ls "$dist"/nova-sgfix-*.tar.gz >/dev/null
echo "built $(basename "$wheel") and the sdist"

for env_name in rocky-py27 current-py311; do
    venv=$(tools/make-test-env.sh "$env_name")
    before=$("$venv/bin/pip" freeze 2>/dev/null | grep -v '^-e \|nova-sgfix\|nova_sgfix' | sort)
    "$venv/bin/pip" install -q --no-index --find-links "$dist" "$wheel"
    after=$("$venv/bin/pip" freeze 2>/dev/null | grep -v '^-e \|nova-sgfix\|nova_sgfix' | sort)
    (cd / && "$venv/bin/python" -c 'import nova_sgfix.conf, nova_sgfix.audit.cli')
    "$venv/bin/pip" uninstall -q -y nova-sgfix
    if [ "$before" != "$after" ]; then
        echo "installing the wheel changed $env_name:" >&2
        diff <(echo "$before") <(echo "$after") >&2 || true
        exit 1
    fi
    echo "$env_name: the wheel installs and imports, nothing else changed"
done
