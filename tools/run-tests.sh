#!/usr/bin/env bash
# Run every test of nova-sgfix on a fresh machine (as root):
#
#   tools/run-tests.sh
#
# Installs what it needs (Debian packages, the pinned test environments),
# then runs the whole suite with stestr in each environment:
#   rocky-py27     Python 2.7 + nova 18.3.0 (nova-network firewall)
#   train-py37     Python 3.7 + nova 20.6.1 (nova-network firewall)
#   current-py311  Python 3.11 + nova 34.0.0 (no firewall driver: the package
#                  must refuse clearly; functional tests skip with a reason)
# plus the project checks (flake8/hacking, shellcheck, the sdist and universal
# wheel installing without touching nova's libraries, the sample config, the
# Grizzly/Havana tree check where a nova git mirror is present, nova 15.1.5
# Ocata loading the driver from nova.conf), and ends with
# one line: "N passed, N failed, N skipped".
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
envs=${NOVA_SGFIX_TEST_ENVS:-rocky-py27 train-py37 current-py311}
passed=0 failed=0 skipped=0

count() {  # count NAME STATUS: a project check as one test
    case "$2" in
        pass) passed=$((passed + 1)); echo "check $1: ok" ;;
        skip) skipped=$((skipped + 1)); echo "check $1: skipped" ;;
        *) failed=$((failed + 1)); echo "check $1: FAILED" ;;
    esac
}

run_suite() {  # run_suite ENV
    local env_name=$1 venv out totals
    if ! venv=$(tools/make-test-env.sh "$env_name"); then
        count "environment $env_name" fail
        return
    fi
    out=$(mktemp)
    echo "=== $env_name: $("$venv/bin/python" --version 2>&1)," \
         "nova $("$venv/bin/python" -c 'from nova import version; print(version.version_string())' 2>/dev/null)"
    rm -rf .stestr
    set +o errexit
    PYTHON="$venv/bin/python" PYTHONPATH="$top" "$venv/bin/stestr" \
        --test-path ./tests --top-dir ./ run --concurrency 2 >"$out" 2>&1
    set -o errexit
    grep -E '^(FAIL|ERROR):|^ - (Passed|Failed|Skipped)|^Ran:' "$out" || true
    totals=$(awk '/^ - Passed:/ {p=$3} /^ - Failed:/ {f=$3} /^ - Skipped:/ {s=$3}
                  END {print p+0, f+0, s+0}' "$out")
    read -r p f s <<<"$totals"
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        tail -n 30 "$out"
        count "stestr in $env_name" fail
    else
        passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    fi
    rm -f "$out"
}

tools/setup-host.sh
namespaces_before=$(ip netns list 2>/dev/null | awk '{print $1}' | sort)
for env_name in $envs; do
    run_suite "$env_name"
done

if tools/lint.sh; then count lint pass; else count lint fail; fi
if tools/check-packaging.sh; then count packaging pass; else count packaging fail; fi
if tools/check-sample-config.sh; then
    count sample-config pass
else
    count sample-config fail
fi
check_output() {  # check_output NAME SKIP_REGEX COMMAND...: one counted check
    local name=$1 skip_re=$2 out rc
    shift 2
    set +o errexit
    out=$("$@" 2>&1)
    rc=$?
    set -o errexit
    echo "$out" | tail -n 12
    if [ "$rc" -ne 0 ]; then
        count "$name" fail
    elif echo "$out" | grep -qiE "$skip_re"; then
        count "$name" skip
    else
        count "$name" pass
    fi
}

# The real trees (doc/legacy.rst). Cold, each builds its Python 2.7
# environment first; seen here with empty caches, build + check: Grizzly
# 3.5 min, Icehouse 5, Mitaka 4.5 (Havana 1.5 after Grizzly's wheels).
# juno, kilo and liberty run too (3 to 5 min each cold) when named here.
for tree in ${NOVA_SGFIX_LEGACY_TREES-grizzly havana icehouse mitaka}; do
    if [ -x tools/check-legacy-nova.sh ]; then
        check_output "legacy-$tree" 'skipped' tools/check-legacy-nova.sh "$tree"
    else
        count "legacy-$tree" skip
    fi
done
# Ocata 15.1.5 loads the driver as compute_driver = sgfix.LibvirtDriver.
check_output load-ocata '^skipped' tools/check-ocata.sh
# nova's own service stack on a real libvirtd with booted guests
# (tests/servicebed, doc/servicebed.rst). NOVA_SGFIX_SERVICE_BEDS="" skips.
for bed in ${NOVA_SGFIX_SERVICE_BEDS-havana grizzly train rocky}; do
    check_output "servicebed-$bed" '^skipped:' tools/service-bed.sh "$bed"
done
# A Havana cloud of real processes and the DevStack exercise against it
# (tools/gate.sh, doc/devstack.rst): about 12 min cold (its environment
# 6 min), 6 min warm. NOVA_SGFIX_GATE="" skips it; "havana grizzly" runs
# the Grizzly cloud too (about 8 min warm).
for release in ${NOVA_SGFIX_GATE-havana}; do
    check_output "gate-$release" '^skipped:' tools/gate.sh \
        --release "$release" --soak "${NOVA_SGFIX_GATE_SOAK:-2}"
done
left=$(comm -13 <(echo "$namespaces_before") \
        <(ip netns list 2>/dev/null | awk '{print $1}' | sort) \
        | { grep -E '^(sgfix|sbh|sbp|sbo)-' || true; } \
        | while read -r name; do
              pid=${name#*-}; pid=${pid%%-*}
              kill -0 "$pid" 2>/dev/null || echo "$name"
          done)
if [ -n "$left" ]; then
    echo "namespaces left behind by this run: $(echo "$left" | tr '\n' ' ')"
    failed=$((failed + 1))
fi

echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
