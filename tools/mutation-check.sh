#!/usr/bin/env bash
# Put each fixed mistake back once, in a temporary copy of the committed
# tree, and expect its functional tests to fail (tools/mutation_check.py).
#
#   tools/mutation-check.sh [--nova train|rocky]
#
# Needs root (the tests make network namespaces). See doc/testing.rst.
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
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
exec "$venv/bin/python" "$top/tools/mutation_check.py" "$@"
