#!/usr/bin/env bash
# nova's own service stack on a real libvirtd with booted guests (issue 11).
#
#   tools/service-bed.sh havana|grizzly|train|rocky [--git-dir DIR]
#
# Exports nova 2013.2.4 (havana) or 2013.1.5 (grizzly) from a nova git
# repository (default $NOVA_GIT_DIR, else /work/.mirror/openstack+nova/repo),
# builds or reuses a Python 2.7 environment with the pins of
# constraints/<release>-py27.txt plus libvirt-python under
# $NOVA_SGFIX_BED_CACHE (default /var/cache/nova-sgfix/servicebed), installs
# the tree into it (pip --no-deps -e). For train (rocky): a Python 3.7
# (2.7) environment with nova 20.6.1 (18.3.0) from PyPI, pinned by
# constraints/train-py37.txt (rocky-py27.txt) and
# constraints/servicebed-<env>.txt (its functional test framework), and
# the tag's etc/nova/api-paste.ini from the git repository, which the
# wheel lacks. Then it runs tests/servicebed once with
# the stock libvirt driver and once with nova-sgfix's. Prints one row per
# OSSN-0022 path. Exits 0 only when every stock control shows the exposure
# the release's code predicts and nova-sgfix shows none; exits 0 with
# "skipped: ..." when root, libvirtd, the kernel or the tree are missing.
# Every namespace, process, domain and nwfilter the bed makes is removed,
# also on failure and Ctrl-C; qemu.conf is restored.
set -o errexit -o nounset -o pipefail

skip() {
    echo "skipped: $*"
    exit 0
}

release=${1:-}
[ $# -gt 0 ] && shift
case "$release" in
    grizzly) tag=2013.1.5; requires=tools/pip-requires
             test_requires=tools/test-requires ;;
    havana) tag=2013.2.4; requires=requirements.txt
            test_requires=test-requirements.txt ;;
    train) tag=20.6.1; wheel_env=train-py37 ;;
    rocky) tag=18.3.0; wheel_env=rocky-py27 ;;
    *) echo "usage: $0 havana|grizzly|train|rocky [--git-dir DIR]" >&2
       exit 2 ;;
esac
git_dir=${NOVA_GIT_DIR:-/work/.mirror/openstack+nova/repo}
if [ "${1:-}" = --git-dir ]; then
    git_dir=${2:?--git-dir needs a directory}
fi

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${NOVA_SGFIX_BED_CACHE:-/var/cache/nova-sgfix/servicebed}
pins="$top/constraints/$release-py27.txt"
libvirt_python=5.10.0

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, libvirtd)"
for tool in ip iptables-save libvirtd virsh qemu-system-x86_64 qemu-img \
            cpio busybox dnsmasq brctl; do
    command -v "$tool" >/dev/null 2>&1 ||
        skip "$tool is missing (tools/setup-host.sh installs it)"
done
ls /boot/vmlinuz-*-cloud-amd64 >/dev/null 2>&1 ||
    skip "no Debian cloud kernel (apt-get install linux-image-cloud-amd64)"
[ -d "$git_dir" ] || skip "no nova git repository at $git_dir (set NOVA_GIT_DIR; git clone --bare https://opendev.org/openstack/nova)"
git --git-dir="$git_dir" rev-parse -q --verify "refs/tags/$tag^{commit}" \
    >/dev/null || skip "tag $tag is not in $git_dir"
# shellcheck source=tools/py27-venv.sh
source "$top/tools/py27-venv.sh"
if [ "$release" = train ]; then
    python=$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 1 \
             -name '3.7.*' 2>/dev/null | sort -V | tail -n 1)
    python=${PYTHON37:-${python:+$python/bin/python}}
    [ -n "$python" ] || skip "no Python 3.7 (set PYTHON37)"
else
    python27=$(find_python27)
    [ -n "$python27" ] || skip "no Python 2.7 (set PYTHON27)"
fi

lock_libvirt_host

mkdir -p "$cache"
# shellcheck disable=SC2317  # run by build_env
build_wheel_env() {  # under errexit (build_env)
    rm -rf "$venv"
    if [ "$release" = train ]; then
        "$python" -m venv "$venv"
    else
        make_py27_virtualenv "$python27" "$venv" "$cache"
    fi
    # shellcheck disable=SC2046  # one package name per word
    "$venv/bin/pip" install -c "$wheel_pins" -c "$extra_pins" "nova==$tag" \
        $(grep -v '^#' "$extra_pins" | cut -d= -f1) fixtures mock testtools
    "$top/tools/install-libvirt-python.sh" "$venv/bin/pip" \
        "$(grep '^libvirt-python==' "$wheel_pins" | cut -d= -f3)"
    env_works
}
if [ -n "${wheel_env:-}" ]; then
    wheel_pins="$top/constraints/$wheel_env.txt"
    extra_pins="$top/constraints/servicebed-$wheel_env.txt"
    key=$( (cat "$wheel_pins" "$extra_pins" \
            "$top/tools/install-libvirt-python.sh") | sha1sum | cut -c1-12)
    venv="$cache/$wheel_env-$key"
    api_paste="$cache/api-paste-$tag.ini"
    [ -s "$api_paste" ] ||
        git --git-dir="$git_dir" show "$tag:etc/nova/api-paste.ini" \
            >"$api_paste"
    env_works() {  # what the bed imports first
        "$venv/bin/python" -c 'import libvirt, wsgi_intercept
import nova.tests.functional.integrated_helpers' >/dev/null 2>&1
    }
    build=build_wheel_env
    bed_args=(--api-paste "$api_paste")
else
    # The tree stays in the cache: the environment points at it (pip -e).
    tree="$cache/nova-$tag"
    if [ ! -f "$tree/.complete" ]; then
        rm -rf "$tree"
        mkdir -p "$tree"
        git --git-dir="$git_dir" archive "$tag" | tar -x -C "$tree"
        touch "$tree/.complete"
    fi
    build_recipe=2
    key=$( (echo "$build_recipe $libvirt_python"; cat "$pins" "$tree/$requires" \
            "$top/tools/install-libvirt-python.sh") | sha1sum | cut -c1-12)
    venv="$cache/$release-py27-$key"
    # shellcheck disable=SC2317  # run by build_env
    build_bed_env() {  # under errexit (build_env)
        make_py27_virtualenv "$python27" "$venv" "$cache"
        grep -iE '^(fixtures|mock|mox|testtools)([<>=!]|$)' \
            "$tree/$test_requires" >"$venv.test-requires"
        # Without PBR_VERSION: an sdist's setup_requires would build pbr itself
        # as version $tag (Grizzly's python-quantumclient then refuses it), and
        # pip would cache that wheel: one an earlier recipe cached goes.
        find "${PIP_CACHE_DIR:-$HOME/.cache/pip}/wheels" \
            -name "pbr-$tag-*.whl" -delete 2>/dev/null || true
        env -u PBR_VERSION -u OSLO_PACKAGE_VERSION "$venv/bin/pip" install \
            -c "$pins" -r "$tree/$requires" -r "$venv.test-requires"
        "$top/tools/install-libvirt-python.sh" "$venv/bin/pip" "$libvirt_python"
        PBR_VERSION=$tag OSLO_PACKAGE_VERSION=$tag \
            "$venv/bin/pip" install --no-deps -e "$tree"
        no_package_named_after_the_release
        env_works
    }

    # shellcheck disable=SC2317  # run by build_bed_env
    no_package_named_after_the_release() {  # built with PBR_VERSION=$tag set
        local named
        named=$("$venv/bin/pip" list --format=freeze 2>/dev/null |
                awk -F'==' -v tag="$tag" '$1 != "nova" && $2 == tag')
        [ -z "$named" ] && return 0
        echo "$named"
        echo "packages above were built with PBR_VERSION=$tag" >&2
        return 1
    }

    env_works() {  # what the bed imports first
        "$venv/bin/python" -c 'import sqlalchemy, migrate, libvirt
import nova.tests.integrated.integrated_helpers' >/dev/null 2>&1
    }

    build=build_bed_env
    bed_args=()
fi
# A .complete environment that cannot import what the bed needs (an
# earlier recipe marked a failed install complete) is built again.
if [ -f "$venv/.complete" ] && ! env_works; then
    echo "$venv is incomplete: building it again"
    rm -f "$venv/.complete"
fi
if [ ! -f "$venv/.complete" ]; then
    build_env "$venv" "$release environment" "$build"
fi
if [ -z "${wheel_env:-}" ]; then
    # Version strings of the git-archived tree: pbr (Havana), oslo setup
    # (Grizzly).
    export PBR_VERSION=$tag OSLO_PACKAGE_VERSION=$tag
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nova-sgfix-bed.XXXXXX")
child=
# shellcheck disable=SC2317  # run by the trap
cleanup() {
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PYTHONPATH="$top" PYTHONDONTWRITEBYTECODE=1 EVENTLET_NO_GREENDNS=yes
log="$cache/$release-last-run.log"
: >"$log"
errors="$cache/$release-last-run.stderr"
: >"$errors"
echo "== nova $tag ($release) service bed, real libvirtd $(libvirtd --version | awk '{print $NF}') (log: $log)"
start=$(date +%s)
for driver in stock sgfix; do
    (cd "$top" &&
     exec "$venv/bin/python" -W ignore -m tests.servicebed.run \
        --release "$release" --driver "$driver" --out "$work/$driver.json" \
        --log "$log" "${bed_args[@]}" 2>>"$errors") &
    child=$!
    status=0
    wait "$child" || status=$?
    child=
    if [ "$status" -ne 0 ]; then
        echo "$driver run failed ($status); end of $log:" >&2
        tail -n 30 "$log" "$errors" >&2
        exit 1
    fi
done
status=0
"$venv/bin/python" -m tests.servicebed.table --release "$release" \
    "$work/stock.json" "$work/sgfix.json" || status=$?

echo "wall time: $(( $(date +%s) - start )) s"
exit "$status"
