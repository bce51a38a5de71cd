#!/usr/bin/env bash
# OSSN-0022 by real packets: which libvirt paths leave a guest wide open after
# a nova-compute restart, on stock nova and with nova-sgfix.
#
#   tools/demo.sh [--bed grizzly|havana|rocky|train|all] [--git-dir DIR]
#   tools/demo.sh --quick [--nova train|rocky] [--paths p1,p2] [--json FILE]
#
# Run as root from anywhere. With a nova git repository at hand (--git-dir,
# $NOVA_GIT_DIR, or /work/.mirror/openstack+nova/repo) the demonstration is
# the service bed (tools/service-bed.sh): Grizzly's, Havana's, Rocky's and
# Train's own nova services on a real libvirtd with booted QEMU guests,
# every path through the REST API, a real nova-compute restart (20-30
# minutes, environments built once). Without one, or with --quick, it is the quick
# demo on nova's fake libvirt (nova 20.6.1 or 18.3.0 from PyPI, about a
# minute), labelled so.
# Installs what is missing (tools/setup-host.sh, the pinned environments);
# everything runs in network namespaces it creates and deletes.
#
# Exit status: 0 nova-sgfix kept every guest filtered (and, on the bed, stock
# showed the exposure its code predicts); 1 it did not, or a result could not
# be measured; 2 usage or set-up problem.
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
nova=train
demo_args=()
mode=auto
auto=0
beds=()
git_dir=${NOVA_GIT_DIR:-/work/.mirror/openstack+nova/repo}

usage() {  # usage [STATUS]
    sed -n '2,20s/^# \{0,1\}//p' "$0" >&2
    exit "${1:-2}"
}

parse_args() {
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --bed) [ "$#" -ge 2 ] || usage
                mode=bed
                case "$2" in
                    all) beds=(grizzly havana rocky train) ;;
                    grizzly|havana|rocky|train) beds=("$2") ;;
                    *) echo "--bed must be grizzly, havana, rocky, train" \
                            "or all" >&2
                       usage ;;
                esac
                shift 2 ;;
            --git-dir) [ "$#" -ge 2 ] || usage
                git_dir=$2; shift 2 ;;
            --quick) mode=quick; shift ;;
            --nova) [ "$#" -ge 2 ] || usage
                mode=quick; nova=$2; shift 2 ;;
            --paths) [ "$#" -ge 2 ] || usage
                mode=quick; demo_args+=(--paths "$2"); shift 2 ;;
            --json) [ "$#" -ge 2 ] || usage
                mode=quick
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

has_tag() {  # has_tag TAG: is it in the nova git repository?
    git --git-dir="$git_dir" rev-parse -q --verify "refs/tags/$1^{commit}" \
        >/dev/null 2>&1
}

choose() {
    [ "$mode" = auto ] || return 0
    auto=1
    beds=()
    has_tag 2013.1.5 && beds+=(grizzly)
    has_tag 2013.2.4 && beds+=(havana)
    has_tag 18.3.0 && beds+=(rocky)
    has_tag 20.6.1 && beds+=(train)
    if [ "${#beds[@]}" -gt 0 ]; then
        mode=bed
    else
        mode=quick
        echo "no nova git repository with the Grizzly/Havana tags at" \
             "$git_dir: running the quick demo on nova's fake libvirt." \
             "For the real service bed: git clone --bare" \
             "https://opendev.org/openstack/nova DIR; tools/demo.sh" \
             "--git-dir DIR"
    fi
}

check_quick_python() {
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

run_quick_demo() {
    local venv
    echo "== QUICK DEMO on nova's fake libvirt (real nova $nova, real" \
         "iptables, real TCP probes, nova's own init_host; the hypervisor" \
         "is imitated): the proof is tools/demo.sh --bed all"
    echo "preparing the $env_name test environment (built once, then cached)"
    venv=$("$top/tools/make-test-env.sh" "$env_name") || exit 2
    cd "$top"
    PYTHONPATH=$top exec "$venv/bin/python" -m tests.functional.demo \
        "${demo_args[@]+"${demo_args[@]}"}"
}

run_beds() {
    local bed out status failed=0 ran=0
    out=$(mktemp)
    # shellcheck disable=SC2064  # expand now: $out is local
    trap "rm -f '$out'" EXIT
    echo "== SERVICE BED: nova's own services on a real libvirtd with" \
         "booted guests (${beds[*]}; doc/servicebed.rst)"
    for bed in "${beds[@]}"; do
        status=0
        NOVA_GIT_DIR=$git_dir "$top/tools/service-bed.sh" "$bed" |
            tee "$out" || status=$?
        if grep -q '^skipped:' "$out"; then
            continue
        fi
        ran=$((ran + 1))
        [ "$status" -eq 0 ] || failed=1
    done
    if [ "$ran" -eq 0 ] && [ "$auto" -eq 1 ]; then
        echo "no service bed could run here (see above): the quick demo" \
             "instead"
        check_quick_python
        run_quick_demo
    elif [ "$ran" -eq 0 ]; then
        echo "no service bed could run here (see above)" >&2
        exit 2
    fi
    if [ "$failed" -ne 0 ]; then
        echo "VERDICT: FAIL (see the rows marked FAIL)"
        exit 1
    fi
    echo "VERDICT: PASS: nova-sgfix left every guest filtered; stock showed" \
         "the exposure where its code says"
}

parse_args "$@"
check_root
choose
"$top/tools/setup-host.sh"
if [ "$mode" = bed ]; then
    run_beds
else
    check_quick_python
    run_quick_demo
fi
