#!/usr/bin/env bash
# A DevStack-style gate on one machine (issue 14).
#
#   tools/gate.sh [--release havana|grizzly] [--soak N] [--no-soak]
#
# Brings up a small Havana 2013.2.4 cloud laid out the way DevStack lays one
# out, every part a real process of its own, all inside network namespaces
# it creates: RabbitMQ and MariaDB (Debian packages, own data directories),
# glance-registry and glance-api (file store), nova-api (noauth),
# nova-conductor, nova-scheduler, nova-network (FlatDHCPManager: bridge and
# dnsmasq) and nova-compute on a libvirtd with QEMU (TCG). nova.conf is
# written with DevStack's own iniset (a havana-eol DevStack tree), the
# service bed's busybox guest is uploaded to glance with glanceclient, and
# devstack/exercises/ossn-0022.sh runs unchanged through python-novaclient
# 2.15.0, restarting nova-compute by killing the process and starting it
# again: once with stock nova (expected exit 1, naming the exposed path),
# once after devstack/lib/nova-sgfix's configure_nova_sgfix (expected
# exit 0). Then a bounded soak (--soak N restarts, default 3).
#
# Trees, found like NOVA_GIT_DIR elsewhere: $NOVA_GIT_DIR (default
# /work/.mirror/openstack+nova/repo), $GLANCE_GIT_DIR
# (.../openstack+glance/repo), $DEVSTACK_GIT_DIR (.../openstack+devstack/repo;
# without it the project's stand-in ini functions are used, and the output
# says so). The Python 2.7 environment (pins: constraints/havana-py27.txt,
# then constraints/gate-havana-py27.txt) is cached under
# $NOVA_SGFIX_GATE_CACHE (default /var/cache/nova-sgfix/gate).
#
# --release grizzly brings up nova and glance 2013.1.5 the same way
# (grizzly-eol DevStack, constraints/grizzly-py27.txt then
# gate-grizzly-py27.txt, python-novaclient 2.13.0); what differs between
# the releases is in tools/gate-releases.sh and tests/gate/releases.py
# (doc/devstack.rst says where the recipe does not hold).
#
# Exits 0 only when stock exits 1, nova-sgfix exits 0 and the soak is clean;
# exits 0 with "skipped: ..." when root, a package or a tree is missing.
# Every process, namespace, libvirt domain and nwfilter it made is removed
# on every exit (also failure, SIGTERM, Ctrl-C); qemu.conf is restored.
set -o errexit -o nounset -o pipefail

skip() {
    echo "skipped: $*"
    exit 0
}

soak=3
release=havana
while [ $# -gt 0 ]; do
    case "$1" in
        --soak) soak=${2:?--soak needs a count}; shift 2 ;;
        --no-soak) soak=0; shift ;;
        --release) release=${2:?--release needs havana or grizzly}; shift 2 ;;
        *) echo "usage: $0 [--release havana|grizzly] [--soak N] [--no-soak]" >&2
           exit 2 ;;
    esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/gate-releases.sh
source "$top/tools/gate-releases.sh"
gate_release "$release" ||
    { echo "$0: unknown release $release (havana or grizzly)" >&2; exit 2; }
mirrors=/work/.mirror
nova_git=${NOVA_GIT_DIR:-$mirrors/openstack+nova/repo}
glance_git=${GLANCE_GIT_DIR:-$mirrors/openstack+glance/repo}
devstack_git=${DEVSTACK_GIT_DIR:-$mirrors/openstack+devstack/repo}

cache=${NOVA_SGFIX_GATE_CACHE:-/var/cache/nova-sgfix/gate}
libvirt_python=5.10.0

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, libvirtd)"
for tool in ip iptables-save libvirtd virsh qemu-system-x86_64 qemu-img \
            cpio busybox dnsmasq brctl mariadbd mariadb-install-db \
            rabbitmq-server mysql_config; do
    command -v "$tool" >/dev/null 2>&1 ||
        skip "$tool is missing (tools/setup-host.sh installs it)"
done
ls /boot/vmlinuz-*-cloud-amd64 >/dev/null 2>&1 ||
    skip "no Debian cloud kernel (apt-get install linux-image-cloud-amd64)"
for pair in "nova:$nova_git" "glance:$glance_git"; do
    name=${pair%%:*} dir=${pair#*:}
    [ -d "$dir" ] || skip "no $name git repository at $dir (set ${name^^}_GIT_DIR)"
    git --git-dir="$dir" rev-parse -q --verify "refs/tags/$tag^{commit}" \
        >/dev/null || skip "tag $tag is not in $dir"
done
# shellcheck source=tools/py27-venv.sh
source "$top/tools/py27-venv.sh"
python27=$(find_python27)
[ -n "$python27" ] || skip "no Python 2.7 (set PYTHON27)"

lock_libvirt_host

mkdir -p "$cache"
# The trees stay in the cache: the environment points at them (pip -e).
export_tree() {
    local git_dir=$1 ref=$2 tree=$3
    if [ ! -f "$tree/.complete" ]; then
        rm -rf "$tree"
        mkdir -p "$tree"
        git --git-dir="$git_dir" archive "$ref" | tar -x -C "$tree"
        touch "$tree/.complete"
    fi
}
export_tree "$nova_git" "$tag" "$cache/nova-$tag"
export_tree "$glance_git" "$tag" "$cache/glance-$tag"
devstack_tree=
if [ -d "$devstack_git" ] && git --git-dir="$devstack_git" rev-parse -q \
        --verify "refs/tags/$devstack_ref^{commit}" >/dev/null; then
    devstack_tree="$cache/devstack-$devstack_ref"
    export_tree "$devstack_git" "$devstack_ref" "$devstack_tree"
fi

build_recipe=2
key=$( (echo "$build_recipe $libvirt_python"; cat "$pins" "$gate_pins" \
        "$cache/nova-$tag/$nova_requires" \
        "$cache/glance-$tag/$glance_requires" \
        "$top/tools/install-libvirt-python.sh") | sha1sum | cut -c1-12)
venv="$cache/$release-py27-$key"
# shellcheck disable=SC2317  # run by build_env
build() {
    make_py27_virtualenv "$python27" "$venv" "$cache"
    # PBR_VERSION is for the two trees only: exported while their
    # dependencies build, it becomes every pbr-built package's version
    # (pbr 2013.2.4, ...), and pkg_resources then refuses the services'
    # console scripts. The gate's own wheel cache keeps such wheels out.
    export PIP_CACHE_DIR="$cache/pip-cache"
    # nova's own requirements on the bed's pins, then what the gate adds:
    # glance's extra requirements, the client, the MySQL driver.
    "$venv/bin/pip" install -c "$pins" -r "$cache/nova-$tag/$nova_requires"
    # shellcheck disable=SC2086  # a list of names
    "$venv/bin/pip" install -c "$pins" -c "$gate_pins" $gate_extras
    "$top/tools/install-libvirt-python.sh" "$venv/bin/pip" "$libvirt_python"
    # (Grizzly's trees take their version from OSLO_PACKAGE_VERSION.)
    PBR_VERSION=$tag OSLO_PACKAGE_VERSION=$tag \
        "$venv/bin/pip" install --no-deps -e "$cache/nova-$tag"
    PBR_VERSION=$tag OSLO_PACKAGE_VERSION=$tag \
        "$venv/bin/pip" install --no-deps -e "$cache/glance-$tag"
    if [ "$pip_check" = true ]; then
        "$venv/bin/pip" check
    fi
}
if [ ! -f "$venv/.complete" ]; then
    build_env "$venv" "the gate's environment" build
fi

# Two names Havana's code imports that today's Python 2.7.18 lacks, set
# (to None) at interpreter start by a .pth file in the environment: kombu
# 2.5.16 imports uuid._uuid_generate_random (gone in 2.7.11; kombu uses it
# only when set), and nova's rpc sslutils maps "sslv3" to
# ssl.PROTOCOL_SSLv3 at import (absent with OpenSSL 3; only read when
# kombu_ssl_version = sslv3). Written at every start, so that an
# environment built before this was added gets it too.
site=$("$venv/bin/python" -c 'import distutils.sysconfig as s; print(s.get_python_lib())')
cat >"$site/gate-py2718-compat.pth" <<'EOF'
import uuid; uuid._uuid_generate_random = getattr(uuid, '_uuid_generate_random', None)
import ssl; ssl.PROTOCOL_SSLv3 = getattr(ssl, 'PROTOCOL_SSLv3', None)
EOF

child=
# shellcheck disable=SC2317  # run by the trap
cleanup() {
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PYTHONPATH="$top" PYTHONDONTWRITEBYTECODE=1 EVENTLET_NO_GREENDNS=yes
# The default keeps the file names it always had.
prefix=
[ "$release" = havana ] || prefix="$release-"
log="$cache/${prefix}last-run.log"
echo "== nova $tag gate: real processes, libvirtd $(libvirtd --version | awk '{print $NF}') (logs: $log, $cache/${prefix}last-run-logs/)"
start=$(date +%s)
(cd "$top" &&
 exec "$venv/bin/python" -W ignore -m tests.gate.run \
    --release "$release" --venv "$venv" --nova-tree "$cache/nova-$tag" \
    --glance-tree "$cache/glance-$tag" \
    --devstack-tree "$devstack_tree" --soak "$soak" --log "$log" --logs-dir "$cache/${prefix}last-run-logs") &
child=$!
status=0
wait "$child" || status=$?
child=
echo "wall time: $(( $(date +%s) - start )) s"
exit "$status"
