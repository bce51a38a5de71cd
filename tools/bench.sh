#!/usr/bin/env bash
# Run tools/bench.py on one test environment's Python and nova.
#
#   tools/bench.sh [--nova train|rocky] [tools/bench.py options]
#
# --nova train (default): Python 3.7 and nova 20.6.1; --nova rocky:
# Python 2.7 and nova 18.3.0. The environment is the one
# tools/make-test-env.sh prints (it builds it on first use). Needs root: the
# benchmark makes network namespaces. See doc/benchmarks.rst.
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
command_line="tools/bench.sh $*"
nova=train
case "${1:-}" in
    --nova) nova=${2:?--nova needs train or rocky}; shift 2 ;;
    --nova=*) nova=${1#--nova=}; shift ;;
esac
case "$nova" in
    train) env_name=train-py37 ;;
    rocky) env_name=rocky-py27 ;;
    *) echo "unknown nova '$nova': train or rocky" >&2; exit 2 ;;
esac

venv=$("$top/tools/make-test-env.sh" "$env_name")
cd "$top"
export BENCH_COMMAND="$command_line"
export PYTHONPATH="$top${PYTHONPATH:+:$PYTHONPATH}"
exec "$venv/bin/python" tools/bench.py "$@"
