#!/usr/bin/env bash
# OSSN-0022 by real packets: which libvirt paths leave a guest wide open after
# a nova-compute restart, on stock nova and with nova-sgfix.
#
#   tools/demo.sh [--nova train|rocky] [--paths p1,p2] [--json FILE]
#
# Run as root from anywhere. Installs what is missing (Debian packages with
# tools/setup-host.sh, the pinned nova test environment with
# tools/make-test-env.sh), then runs tests.functional.demo: real nova, real
# iptables and real TCP probes, all inside network namespaces that it creates
# and deletes; the host's own firewall is never touched.
#
# Exit status: 0 nova-sgfix kept every guest filtered; 1 it did not, or a
# result could not be measured; 2 usage or set-up problem.
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
nova=train
demo_args=()

usage() {  # usage [STATUS]
    sed -n '2,14s/^# \{0,1\}//p' "$0" >&2
    exit "${1:-2}"
}

parse_args() {
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --nova) nova=${2:-}; shift 2 || usage ;;
            --paths) [ "$#" -ge 2 ] || usage
                demo_args+=(--paths "$2"); shift 2 ;;
            --json) [ "$#" -ge 2 ] || usage
                # the demo runs from the repository root
                case "$2" in /*) json=$2 ;; *) json=$PWD/$2 ;; esac
                demo_args+=(--json "$json"); shift 2 ;;
            -h|--help) usage 0 ;;
            *) echo "unknown argument: $1" >&2; usage ;;
        esac
    done
    case "$nova" in
        train) env_name=train-py37 ;;
        rocky) env_name=rocky-py27 ;;
        *) echo "--nova must be train or rocky, not '$nova'" >&2; usage ;;
    esac
}

check_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "run as root: the demo creates network namespaces" >&2
        exit 2
    fi
}

install_prerequisites() {
    "$top/tools/setup-host.sh"
    local python=3.7 pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
    [ "$env_name" = rocky-py27 ] && python=2.7
    if [ -z "$(find "$pyenv_root/versions" -maxdepth 1 -name "$python.*" \
               2>/dev/null)" ]; then
        echo "$env_name needs a Python $python under $pyenv_root/versions" \
             "(tools/make-test-env.sh builds on it): install one with" \
             "pyenv, e.g. 'pyenv install $python'" >&2
        exit 2
    fi
}

run_demo() {
    local venv
    echo "preparing the $env_name test environment (built once, then cached)"
    venv=$("$top/tools/make-test-env.sh" "$env_name") || exit 2
    cd "$top"
    PYTHONPATH=$top exec "$venv/bin/python" -m tests.functional.demo \
        "${demo_args[@]+"${demo_args[@]}"}"
}

parse_args "$@"
check_root
install_prerequisites
run_demo
