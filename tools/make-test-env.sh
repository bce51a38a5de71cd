#!/usr/bin/env bash
# Build (or reuse) one test environment and print its path.
#
#   tools/make-test-env.sh rocky-py27|train-py37|current-py311
#
# Environments live under $NOVA_SGFIX_VENV_ROOT (default
# /var/cache/nova-sgfix/venvs), keyed by a hash of their pins and of this
# script: a changed pin builds a new one, a cold machine builds all. A build
# that did not finish leaves no ".complete" marker and is redone.
set -o errexit -o nounset -o pipefail

env_name=${1:?usage: $0 rocky-py27|train-py37|current-py311}
top=$(cd "$(dirname "$0")/.." && pwd)
root=${NOVA_SGFIX_VENV_ROOT:-/var/cache/nova-sgfix/venvs}
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}

case "$env_name" in
    rocky-py27) py_glob='2.7.*'; nova='nova==18.3.0' ;;
    train-py37) py_glob='3.7.*'; nova='nova==20.6.1' ;;
    current-py311) py_glob='3.11.*'; nova='nova==34.0.0' ;;
    *) echo "unknown environment $env_name" >&2; exit 2 ;;
esac
pins="$top/constraints/$env_name.txt"

python=$(find "$pyenv_root/versions" -maxdepth 1 -name "$py_glob" 2>/dev/null \
         | sort -V | tail -n 1)
python="$python/bin/python"
if [ ! -x "$python" ]; then
    echo "no Python $py_glob under $pyenv_root/versions" >&2
    exit 1
fi

key=$(cat "$pins" "$0" "$top/tools/install-libvirt-python.sh" \
      "$top/test-requirements.txt" | sha1sum | cut -c1-12)
venv="$root/$env_name-$key"
if [ -f "$venv/.complete" ]; then
    echo "$venv"
    exit 0
fi

log="$root/$env_name-$key.log"
mkdir -p "$root"
rm -rf "$venv"
echo "building $env_name in $venv (log: $log)" >&2
{
    if [ "$env_name" = rocky-py27 ]; then
        # virtualenv 20.22 dropped Python 2 targets.
        tools_venv="$root/virtualenv-tool"
        [ -x "$tools_venv/bin/virtualenv" ] || {
            python3 -m venv "$tools_venv"
            "$tools_venv/bin/pip" install 'virtualenv<20.22'
        }
        "$tools_venv/bin/virtualenv" -p "$python" "$venv"
    else
        "$python" -m venv "$venv"
    fi
    "$venv/bin/pip" install -c "$pins" "$nova" -r "$top/test-requirements.txt"
    "$top/tools/install-libvirt-python.sh" "$venv/bin/pip" \
        "$(grep '^libvirt-python==' "$pins" | cut -d= -f3)"
} >"$log" 2>&1 || {
    echo "building $env_name failed; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
}
touch "$venv/.complete"
echo "$venv"
