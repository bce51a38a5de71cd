# shellcheck shell=bash
# py27-venv.sh - sourced by tools/service-bed.sh and tools/gate.sh: the
# Python 2.7 interpreter, a bare virtualenv made with it, and the host lock
# both take.

# find_python27 - print $PYTHON27, else the newest pyenv 2.7; nothing if none
find_python27() {
    local found
    found=$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 1 \
            -name '2.7.*' 2>/dev/null | sort -V | tail -n 1)
    echo "${PYTHON27:-${found:+$found/bin/python}}"
}

# lock_libvirt_host - hold the host's one bed-or-gate lock (fd 9) until the
# shell exits: one libvirtd per host, and qemu.conf is edited; it also covers
# the environment builds, so no run uses an environment another removes.
lock_libvirt_host() {
    exec 9>/run/nova-sgfix-servicebed.lock
    flock 9
}

# make_py27_virtualenv PYTHON27 VENV CACHE - make VENV afresh with
# virtualenv<20.22 (the last that makes 2.7 environments), taken from the
# test environments' tool venv, else built once under CACHE.
make_py27_virtualenv() {
    local python27=$1 venv=$2 cache=$3 tool
    tool="${NOVA_SGFIX_VENV_ROOT:-/var/cache/nova-sgfix/venvs}/virtualenv-tool"
    if [ ! -x "$tool/bin/virtualenv" ]; then
        tool="$cache/virtualenv-tool"
        if [ ! -x "$tool/bin/virtualenv" ]; then
            python3 -m venv "$tool" || return 1
            "$tool/bin/pip" install 'virtualenv<20.22' || return 1
        fi
    fi
    rm -rf "$venv"
    "$tool/bin/virtualenv" -p "$python27" "$venv"
}

# build_env VENV WHAT FUNCTION - run FUNCTION (which builds VENV) under
# errexit, its output in VENV.log; on failure print the log's end and exit
# 1, on success mark VENV complete. (errexit would be ignored in a subshell
# on the left of "||", hence the explicit status; call it from an "if"
# body, not from the left of "||" or "&&", for the same reason.)
build_env() {
    local venv=$1 what=$2 build=$3 start status
    echo "building $what in $venv (log: $venv.log)"
    start=$(date +%s)
    set +o errexit
    (set -o errexit; "$build") >"$venv.log" 2>&1
    status=$?
    set -o errexit
    if [ "$status" -ne 0 ]; then
        echo "building $what failed; end of $venv.log:" >&2
        tail -n 20 "$venv.log" >&2
        exit 1
    fi
    touch "$venv/.complete"
    echo "built in $(( $(date +%s) - start )) s"
}
