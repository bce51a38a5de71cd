#!/usr/bin/env bash
# Build the sdist and the universal wheel, then install the wheel with pip's
# normal dependency handling but no package index into a copy of each test
# environment: if nova-sgfix needed to add or upgrade any library nova
# already has, the install would fail. In each copy it also checks that the
# wheel adds nova/virt/sgfix and nothing else to nova's package, that nova's
# own loader finds compute_driver = sgfix.LibvirtDriver from the installed
# files, and that every file of nova's package has the same checksum after
# pip uninstall as before the install. The shared environments are only read.
set -o errexit -o nounset -o pipefail
export PIP_NO_PYTHON_VERSION_WARNING=1

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dist=$work/dist
build_venv=$(tools/make-test-env.sh train-py37)
"$build_venv/bin/pip" install -q 'wheel==0.37.1' >/dev/null
"$build_venv/bin/python" setup.py -q sdist --dist-dir "$dist" >/dev/null 2>&1
"$build_venv/bin/python" setup.py -q bdist_wheel --dist-dir "$dist" \
    >/dev/null 2>&1
rm -rf build ./*.egg-info
wheel=$(ls "$dist"/nova_sgfix-*-py2.py3-none-any.whl)
ls "$dist"/nova-sgfix-*.tar.gz >/dev/null
echo "built $(basename "$wheel") and the sdist"
# The loader tests run from the installed package, not from this checkout.
mkdir "$work/tests"
cp -r tests "$work/tests/"

run_loader_tests='
import sys, unittest
tests = unittest.defaultTestLoader.loadTestsFromName(
    "tests.unit.test_nova_virt_name")
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(tests)
print("%d tests, %d skipped" % (result.testsRun, len(result.skipped)))
sys.exit(0 if result.wasSuccessful() else 1)
'

# Every file under nova's package with its checksum.
nova_files() {
    (cd "$1" && find nova -type f -print0 | sort -z | xargs -0 sha256sum)
}

for env_name in rocky-py27 train-py37 current-py311; do
    venv=$(tools/make-test-env.sh "$env_name")
    copy=$work/$env_name
    cp -a "$venv" "$copy"
    python=$copy/bin/python
    site=$("$python" -c 'import os, nova; print(os.path.dirname(os.path.dirname(nova.__file__)))')
    case $site in "$copy"/*) ;; *)
        echo "$env_name: the copy imports nova from $site" >&2; exit 1;; esac
    before=$("$python" -m pip freeze 2>/dev/null | grep -v '^-e \|nova-sgfix\|nova_sgfix' | sort)
    nova_files "$site" >"$work/before"
    "$python" -m pip install -q --no-index --find-links "$dist" "$wheel"
    after=$("$python" -m pip freeze 2>/dev/null | grep -v '^-e \|nova-sgfix\|nova_sgfix' | sort)
    nova_files "$site" >"$work/installed"
    if [ "$before" != "$after" ]; then
        echo "installing the wheel changed $env_name:" >&2
        diff <(echo "$before") <(echo "$after") >&2 || true
        exit 1
    fi
    added=$(diff <(cut -c67- "$work/before") <(cut -c67- "$work/installed") \
            | sed -n 's/^> //p' | grep -v '^nova/virt/sgfix/' || true)
    if [ -n "$added" ] || ! grep -q ' nova/virt/sgfix/__init__.py$' "$work/installed" \
            || ! diff -q <(grep -v ' nova/virt/sgfix/' "$work/installed") \
                         "$work/before" >/dev/null; then
        echo "$env_name: the wheel changed nova's package beyond nova/virt/sgfix:" >&2
        diff "$work/before" "$work/installed" >&2 || true
        exit 1
    fi
    (cd / && PYTHONDONTWRITEBYTECODE=1 "$python" -c 'import nova_sgfix.conf, nova_sgfix.audit.cli')
    (cd / && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$work/tests" \
        "$python" -c "$run_loader_tests" >"$work/loader.log" 2>&1) \
        || { cat "$work/loader.log" >&2; exit 1; }
    "$python" -m pip uninstall -q -y nova-sgfix
    nova_files "$site" >"$work/after"
    if ! diff "$work/before" "$work/after" >&2; then
        echo "$env_name: nova's package differs after pip uninstall" >&2
        exit 1
    fi
    if [ -e "$site/nova/virt/sgfix" ]; then
        echo "$env_name: pip uninstall left $site/nova/virt/sgfix" >&2
        exit 1
    fi
    echo "$env_name: the wheel installs and imports, nothing else changed;" \
         "compute_driver = sgfix.LibvirtDriver through nova's loader:" \
         "$(tail -n 1 "$work/loader.log");" \
         "nova's $(wc -l <"$work/before") files identical after uninstall"
    rm -rf "$copy"
done
