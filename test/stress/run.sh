#!/usr/bin/env bash
# The long runs behind the normal suite, in one command:
#
#   1. build and install (as test/run_all.sh does)
#   2. the fuzz tests with many more cases (ctest -R Fuzz, two at a time):
#        XB_FUZZ_BYTE_CASES    changed blob bytes     (default 1,000,000)
#        XB_FUZZ_STATE_CASES   resealed mutations     (default 1,000,000)
#        XB_FUZZ_OPTION_CASES  options documents      (default 1,000,000)
#   3. a throwaway cluster and the concurrency test as a soak:
#        XB_SOAK_SECONDS       pgbench duration       (default 300)
#        XB_CONCURRENCY_CLIENTS, XB_CONCURRENCY_NAMES as in test/concurrency/run.sh
#   4. the server log check: no backend killed by a signal or exiting with an
#      error code
#
# Ends with the fuzz case tallies and "N passed, M failed" like run_all.sh.
# Takes about 15 minutes on 2 cores with the defaults.
# Usage: bash test/stress/run.sh   (from any directory; as root for make install)

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The parsers, bookkeeping and cleanup of the normal suite (its main is not run).
# shellcheck source-path=SCRIPTDIR/../..
source "$REPO/test/run_all.sh"

export XB_FUZZ_BYTE_CASES=${XB_FUZZ_BYTE_CASES:-1000000}
export XB_FUZZ_STATE_CASES=${XB_FUZZ_STATE_CASES:-1000000}
export XB_FUZZ_OPTION_CASES=${XB_FUZZ_OPTION_CASES:-1000000}
export XB_CONCURRENCY_SECONDS=${XB_SOAK_SECONDS:-300}

run_fuzz() {
    local log=$LOGDIR/fuzz.log rc
    banner "fuzz: $XB_FUZZ_BYTE_CASES byte cases, $XB_FUZZ_STATE_CASES resealed cases, $XB_FUZZ_OPTION_CASES option cases"
    (cd build && ctest -R 'Fuzz' -j2 -V --timeout 7200) 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    record_counts fuzz "$rc" "$(parse_ctest <"$log")"
    FUZZ_TALLIES=$(grep -E '^[0-9]+: (catalog: |[0-9]+ cases in )' "$log" | sed -E 's/^[0-9]+: /  /' | awk '!seen[$0]++')
}

run_soak() {
    local log=$LOGDIR/soak.log rc
    banner "soak: test/concurrency/run.sh for $XB_CONCURRENCY_SECONDS s"
    prove -v --exec bash test/concurrency/run.sh | tee "$log"
    rc=${PIPESTATUS[0]}
    record_counts soak "$rc" "$(parse_pg_prove <"$log")"
    SOAK_SUMMARY=$(grep -E '^# concurrency:' "$log" | sed 's/^# /  /')
}

stress_main() {
    cd "$REPO" || exit 1
    # shellcheck source-path=SCRIPTDIR/../..
    source scripts/cluster.sh
    LOGDIR=$(mktemp -d /tmp/xb-stress-logs.XXXXXX) || exit 1
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    FUZZ_TALLIES="" SOAK_SUMMARY=""
    local started=$SECONDS

    local built=0 installed=0
    step build make -j2 && built=1
    if ((built)); then
        run_fuzz
        step install as_root make install && installed=1
    else
        not_run fuzz "the build failed"
    fi
    if ((installed)) && xb_cluster_start; then
        run_soak
        xb_cluster_halt
        check_server_log
    else
        not_run soak "no installed extension or no running cluster"
    fi

    banner "stress summary ($((SECONDS - started)) s)"
    [[ -n $FUZZ_TALLIES ]] && printf 'fuzz cases:\n%s\n' "$FUZZ_TALLIES"
    [[ -n $SOAK_SUMMARY ]] && printf 'soak:\n%s\n' "$SOAK_SUMMARY"
    printf '%s\n' "${SUMMARY[@]}"
    echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
    [[ $TOTAL_FAILED -eq 0 ]]
}

stress_main "$@"
