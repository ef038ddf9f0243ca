#!/usr/bin/env bash
# Issue 16's bar, xb's searched classifier against a tuned L2 logistic
# regression on the dress data: see test/bench/dress_search_vs_logistic.py.
#
# Usage: test/bench/dress_search_vs_logistic.sh [seeds, default 1,2,3,4,5] [xb options JSON]
#            [--no-default] [--json PATH]
#   e.g. test/bench/dress_search_vs_logistic.sh 1 '{"epochs": 20}'   (a quick check of the plumbing)
# Starts a throwaway cluster (scripts/cluster.sh), creates the extension and
# runs the Python script there; XB_DATA_DIR, XB_KEEP_CLUSTER as elsewhere.
# Run by hand, not in CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# shellcheck source-path=SCRIPTDIR/../..
source scripts/cluster.sh
xb_cluster_start || exit 1
trap xb_cluster_stop EXIT
# The throwaway cluster forces JIT on for test coverage; a benchmark runs without it.
export PGOPTIONS="-c jit=off"
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION xb'
/usr/bin/python3 test/bench/dress_search_vs_logistic.py "$@"
