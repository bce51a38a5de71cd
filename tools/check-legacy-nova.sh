#!/usr/bin/env bash
# Run nova-sgfix against a real nova tree with nova-network, Grizzly..Mitaka.
#
#   tools/check-legacy-nova.sh RELEASE [--git-dir DIR | --tree DIR]
#
# RELEASE and its tag: grizzly 2013.1.5, havana 2013.2.4, icehouse 2014.1.5,
# juno 2014.2.4, kilo 2015.1.4, liberty 12.0.6, mitaka 13.1.4 (the case
# below is the one place here that knows; the Python side's differences are
# in tests/legacy/trees.py). Exports the tag from a nova git repository
# (default $NOVA_GIT_DIR, else /work/.mirror/openstack+nova/repo)
# into a temporary directory, or uses an exported tree given with --tree;
# builds or reuses a Python 2.7 environment with the pins of
# constraints/<release>-py27.txt under $NOVA_SGFIX_LEGACY_CACHE (default
# /var/cache/nova-sgfix/legacy); then, with the tree on PYTHONPATH:
#   1. loads compute_driver = nova_sgfix.virt.libvirt.LibvirtDriver the way
#      nova-compute does and checks that nothing of ours shadows libvirt;
#   2. runs tests/unit/test_import_hygiene.py if present (informational);
#   3. runs the OSSN-0022 scenarios (tests/legacy/scenarios.py) on the stock
#      driver and on nova-sgfix's, with real iptables in a network namespace
#      that is always deleted, and prints the result table.
# Exits 0 with "skipped: ..." when the tree, root, iptables or Python 2.7 is
# not available; non-zero when nova-sgfix leaves a guest unfiltered or waits,
# when the driver does not load, or when a stock control does not reproduce
# the advisory. Nothing of nova is written inside this repository.
set -o errexit -o nounset -o pipefail

usage() {
    echo "usage: $0 grizzly|havana|icehouse|juno|kilo|liberty|mitaka" \
         "[--git-dir DIR | --tree DIR]" >&2
    exit 2
}

skip() {
    echo "skipped: $*"
    exit 0
}

release=${1:-}
[ $# -gt 0 ] && shift
# yes: the tree finds its own plugins through setuptools entry points
# (stevedore), so its egg-info is written into the exported tree.
entry_points=no
case "$release" in
    grizzly) tag=2013.1.5; requires=tools/pip-requires
             test_requires=tools/test-requires ;;
    havana) tag=2013.2.4; requires=requirements.txt
            test_requires=test-requirements.txt ;;
    icehouse) tag=2014.1.5; requires=requirements.txt
              test_requires=test-requirements.txt ;;
    juno) tag=2014.2.4; requires=requirements.txt
          test_requires=test-requirements.txt ;;
    kilo) tag=2015.1.4; requires=requirements.txt
          test_requires=test-requirements.txt; entry_points=yes ;;
    liberty) tag=12.0.6; requires=requirements.txt
             test_requires=test-requirements.txt; entry_points=yes ;;
    mitaka) tag=13.1.4; requires=requirements.txt
            test_requires=test-requirements.txt; entry_points=yes ;;
    *) usage ;;
esac

git_dir=${NOVA_GIT_DIR:-/work/.mirror/openstack+nova/repo}
tree=
while [ $# -gt 0 ]; do
    case "$1" in
        --git-dir) git_dir=${2:?--git-dir needs a directory}; shift 2 ;;
        --tree) tree=${2:?--tree needs a directory}; shift 2 ;;
        *) usage ;;
    esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${NOVA_SGFIX_LEGACY_CACHE:-/var/cache/nova-sgfix/legacy}
pins="$top/constraints/$release-py27.txt"

reap_orphan_namespaces() {
    # Only the legacy harness's own names (sgfix-<pid>-0-legacy), and only
    # when the process that made one is gone.
    local name pid
    for name in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        case "$name" in
            sgfix-*-0-legacy) ;;
            *) continue ;;
        esac
        pid=${name#sgfix-}
        pid=${pid%%-*}
        if ! kill -0 "$pid" 2>/dev/null; then
            ip netns del "$name" || true
        fi
    done
}

find_python27() {
    local candidate
    if [ -n "${PYTHON27:-}" ]; then
        echo "$PYTHON27"
        return
    fi
    candidate=$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 1 \
                -name '2.7.*' 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$candidate" ] && [ -x "$candidate/bin/python" ]; then
        echo "$candidate/bin/python"
    elif [ -x /usr/bin/python2.7 ]; then
        echo /usr/bin/python2.7
    fi
}

no_package_named_after_the_release() {
    # A package at version $tag was built with PBR_VERSION=$tag set.
    local named
    named=$("$1/bin/pip" list --format=freeze 2>/dev/null |
            awk -F'==' -v tag="$tag" '$1 != "nova" && $2 == tag')
    if [ -n "$named" ]; then
        echo "$named"
        echo "packages above were built with PBR_VERSION=$tag" >&2
        return 1
    fi
}

build_env() {
    local venv=$1 tree=$2 python=$3 log=$4 tool_venv
    tool_venv="${NOVA_SGFIX_VENV_ROOT:-/var/cache/nova-sgfix/venvs}/virtualenv-tool"
    if [ ! -x "$tool_venv/bin/virtualenv" ]; then
        tool_venv="$cache/virtualenv-tool"
    fi
    {
        if [ ! -x "$tool_venv/bin/virtualenv" ]; then
            # virtualenv 20.22 dropped Python 2 targets.
            python3 -m venv "$tool_venv"
            "$tool_venv/bin/pip" install 'virtualenv<20.22'
        fi
        rm -rf "$venv"
        "$tool_venv/bin/virtualenv" -p "$python" "$venv"
        # Runtime requirements of the tree, and the test libraries its fake
        # libvirt and fake_instance need; no database drivers, linters, docs.
        grep -iE '^(fixtures|mock|mox|testtools)([<>=!]|$)' \
            "$tree/$test_requires" >"$work/test-requires.txt" || true
        # pbr builds an sdist under the version in PBR_VERSION when that is
        # set; a wheel built so and kept in a shared pip cache then installs
        # as "2013.2.4" anywhere. Own cache, and no version variables.
        env -u PBR_VERSION -u OSLO_PACKAGE_VERSION \
            PIP_CACHE_DIR="$cache/pip-cache" \
            "$venv/bin/pip" install -c "$pins" -r "$tree/$requires" \
            -r "$work/test-requires.txt" &&
            no_package_named_after_the_release "$venv"
    } >"$log" 2>&1
}

# --- prerequisites --------------------------------------------------------

[ "$(id -u)" = 0 ] || skip "needs root to create a network namespace"
for tool in ip iptables-save iptables-restore; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
python27=$(find_python27)
[ -n "$python27" ] || skip "no Python 2.7 (set PYTHON27 or install pyenv 2.7)"

work=$(mktemp -d "${TMPDIR:-/tmp}/nova-sgfix-legacy.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -z "$tree" ]; then
    [ -d "$git_dir" ] || skip "no nova git repository at $git_dir"
    command -v git >/dev/null 2>&1 || skip "git is not installed"
    git --git-dir="$git_dir" rev-parse -q --verify "refs/tags/$tag^{commit}" \
        >/dev/null || skip "tag $tag is not in $git_dir"
    tree="$work/nova-$tag"
    mkdir "$tree"
    git --git-dir="$git_dir" archive "$tag" | tar -x -C "$tree"
fi
if [ ! -f "$tree/nova/virt/libvirt/driver.py" ] ||
   [ ! -f "$tree/$requires" ]; then
    skip "no $release nova tree at $tree"
fi
tree=$(cd "$tree" && pwd)

# --- environment ----------------------------------------------------------

mkdir -p "$cache"
# Bump when build_env changes what it installs.
build_recipe=2
key=$( (echo "$build_recipe"; cat "$pins" "$tree/$requires" \
        "$tree/$test_requires") | sha1sum | cut -c1-12)
venv="$cache/$release-py27-$key"
if [ ! -f "$venv/.complete" ]; then
    echo "building $release environment in $venv (log: $venv.log)"
    start=$(date +%s)
    build_env "$venv" "$tree" "$python27" "$venv.log" || {
        echo "building the $release environment failed; end of $venv.log:" >&2
        tail -n 20 "$venv.log" >&2
        exit 1
    }
    touch "$venv/.complete"
    echo "built in $(( $(date +%s) - start )) s"
fi

# --- checks ---------------------------------------------------------------

export PYTHONPATH="$tree:$top"
export PYTHONDONTWRITEBYTECODE=1
export EVENTLET_NO_GREENDNS=yes
# Version strings of a git-archived tree: pbr (Havana on), oslo setup
# (Grizzly).
export PBR_VERSION=$tag OSLO_PACKAGE_VERSION=$tag
python="$venv/bin/python"
if [ "$entry_points" = yes ] && [ ! -d "$tree/nova.egg-info" ]; then
    (cd "$tree" && "$python" setup.py -q egg_info >/dev/null 2>&1) || {
        echo "could not write the egg-info of $tree" >&2
        exit 1
    }
fi
cd "$top"
log="$cache/$release-last-run.log"

echo "== nova $tag ($release) from $tree, $("$python" -V 2>&1)"
echo "-- loading the driver as nova-compute does"
status=0
"$python" -W ignore -m tests.legacy.imports --tree "$release" || status=1

if [ -f tests/unit/test_import_hygiene.py ]; then
    echo "-- tests/unit/test_import_hygiene.py (informational)"
    "$python" -W ignore -m testtools.run tests.unit.test_import_hygiene \
        2>&1 | grep -E '^(Ran|OK|FAILED|ERROR:|FAIL:)|Error' || true
fi

echo "-- OSSN-0022 scenarios (log: $log)"
reap_orphan_namespaces
scenarios=0
"$python" -W ignore -m tests.legacy.scenarios --tree "$release" \
    --log "$log" || scenarios=$?
reap_orphan_namespaces
if [ "$scenarios" -ne 0 ]; then
    status=$scenarios
fi
exit "$status"
