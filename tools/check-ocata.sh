#!/usr/bin/env bash
# nova 15.1.5 (Ocata, from PyPI) on Python 2.7: install the wheel and load
# nova-sgfix the way nova-compute does, from a nova.conf with
#   compute_driver = sgfix.LibvirtDriver
# through nova.config.parse_args and nova.virt.driver.load_compute_driver
# (tests/releases/load_driver.py). No scenarios run on this release.
#
# The environment is built once under $NOVA_SGFIX_RELEASES_CACHE (default
# /var/cache/nova-sgfix/releases), pinned by constraints/ocata-py27.txt, and
# keyed by a hash of the pins and this script; the wheel is uninstalled again
# on every exit. Prints "skipped: <reason>" and exits 0 without Python 2.7.
set -o errexit -o nounset -o pipefail
# Set by a caller, these would name every sdist pip builds.
unset PBR_VERSION OSLO_PACKAGE_VERSION

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cache=${NOVA_SGFIX_RELEASES_CACHE:-/var/cache/nova-sgfix/releases}
pins=$top/constraints/ocata-py27.txt
export PIP_NO_PYTHON_VERSION_WARNING=1

py27=${PYTHON27:-$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 1 \
                   -name '2.7.*' 2>/dev/null | sort -V | tail -n 1)/bin/python}
if [ ! -x "$py27" ]; then
    echo "skipped: no Python 2.7 (set PYTHON27)"
    exit 0
fi

key=$(cat "$pins" "$0" | sha1sum | cut -c1-12)
venv=$cache/ocata-py27-$key
if [ ! -f "$venv/.complete" ]; then
    log=$cache/ocata-py27-$key.log
    mkdir -p "$cache"
    rm -rf "$venv"
    echo "building the Ocata environment in $venv (log: $log)" >&2
    {
        tool=$cache/virtualenv-tool
        [ -x "$tool/bin/virtualenv" ] || {
            python3 -m venv "$tool"
            "$tool/bin/pip" install 'virtualenv<20.22'
        }
        "$tool/bin/virtualenv" -p "$py27" "$venv"
        "$venv/bin/pip" install -c "$pins" nova==15.1.5 fixtures mock \
            testtools
    } >"$log" 2>&1 || {
        echo "building the Ocata environment failed; last lines of $log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    }
    touch "$venv/.complete"
fi

work=$(mktemp -d)
cleanup() {
    "$venv/bin/pip" uninstall -q -y nova-sgfix >/dev/null 2>&1 || true
    rm -rf "$work" "$top/build" "$top"/*.egg-info
}
trap cleanup EXIT
"$venv/bin/pip" wheel -q --no-deps --no-index -w "$work" "$top" >/dev/null
"$venv/bin/pip" install -q --no-deps --no-index "$work"/nova_sgfix-*.whl
cat >"$work/nova.conf" <<CONF
[DEFAULT]
compute_driver = sgfix.LibvirtDriver
firewall_driver = nova.virt.libvirt.firewall.IptablesFirewallDriver
use_neutron = False

[oslo_concurrency]
lock_path = $work
CONF
echo "nova $("$venv/bin/python" -c 'from nova import version; print(version.version_string())') on $("$venv/bin/python" -c 'import platform; print(platform.python_version())'), $work/nova.conf:"
(cd / && PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" \
    "$top/tests/releases/load_driver.py" --config-file "$work/nova.conf")
