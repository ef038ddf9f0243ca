#!/usr/bin/env bash
# The whole xb test suite, from nothing but the Debian packages to a summary:
#
#   1. scripts/install-deps.sh       (packages from deps/debian-packages.txt)
#   2. make -j2                      (core library, unit tests, xb.so)
#   3. make install
#   4. make unittest                 (GoogleTest through ctest)
#   4a. the whole core and every unit test built with AddressSanitizer and
#      UBSan in build-asan (build type XbSanitize, the core in batches of
#      files: about 8.5 minutes of both cores; XB_SANITIZE_TESTS, a gtest
#      filter, picks fewer tests). XB_SANITIZE_RUN=plain builds and runs only
#      the LibTorch-free part and its tests (build-asan-plain, a few
#      minutes); XB_SANITIZE_RUN=0 neither.
#   5. a throwaway PostgreSQL 15 cluster with jit=on, jit_above_cost=0 and
#      pg_cron preloaded
#   6. make installcheck             (pg_regress, from the repository root)
#   7. pg_prove test/pgtap/*.sql     (pgTAP, in a fresh database)
#   7b. prove test/concurrency/run.sh (8 pgbench sessions training and
#      forecasting for XB_CONCURRENCY_SECONDS, default 60; TAP) and
#      test/concurrency/retrain_lock.sh (two sessions: retrain and refresh
#      wait for the name's lock before reading the deployed version) and
#      test/concurrency/training_threads.sh (xb.max_training_threads: a
#      training waits for, or shares, the server's training threads)
#   7b'. prove test/cron/run.sh (a pg_cron job retrains and refreshes a
#      forecaster; recorded as succeeded; up to about 70 s)
#   7b''. prove test/tour/run.sh (the README's tour, every sql block as
#      written, in one psql session on a database called sales; about 40 s)
#   7c. prove test/upgrade/run.sh (a 0.1.0 catalog updated in place keeps
#      every model's forecasts and scores; TAP)
#   7d. prove test/schema/run.sh (CREATE EXTENSION xb SCHEMA analytics, not
#      on the search_path: every family of calls, fully qualified; TAP)
#   7e. prove test/scale/run.sh (three more throwaway clusters, Walmart and
#      the dresses sharded over two with postgres_fdw: xb's aggregates run on
#      the shards and give one server's results; about 30 s; TAP)
#   8. the server log must show no backend killed by a signal or exiting with
#      an error code (counted as one test)
#
# It prints one line per suite ("unit: 25 passed, 0 failed") and ends with one
# line "N passed, M failed".  A step or suite that cannot run counts as at
# least one failure.  Exit status is 0 only when M is 0.
#
# Usage: bash test/run_all.sh   (from any directory; as root for make install)
# Environment: XB_KEEP_CLUSTER=1 keeps the cluster directory for inspection.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---------------------------------------------------------------------------
# Parsers.  Each reads a tool's output on stdin and prints "PASSED FAILED", or
# nothing when the output holds no summary (the suite did not run).
# ---------------------------------------------------------------------------

# ctest: "100% tests passed, 0 tests failed out of 25"
parse_ctest() {
    sed -nE 's/.*[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/p' |
        tail -n 1 | awk '{ print $2 - $1, $1 }'
}

# pg_regress (PG15 boxed " All 5 tests passed. ", " 2 of 5 tests failed. ",
# " 1 of 5 tests failed, 1 of these failures ignored. ",
# " 4 of 5 tests passed, 1 failed test(s) ignored. "; PG16+ the same after "# ").
parse_pg_regress() {
    awk '
        match($0, /All [0-9]+ tests passed/) {
            s = substr($0, RSTART, RLENGTH); split(s, w, " ")
            p = w[2] + 0; f = 0; seen = 1
        }
        match($0, /[0-9]+ of [0-9]+ tests failed/) {
            s = substr($0, RSTART, RLENGTH); split(s, w, " ")
            f = w[1] + 0; p = w[3] - w[1]; seen = 1
            if (match($0, /[0-9]+ of these failures ignored/)) {
                ign = substr($0, RSTART, RLENGTH) + 0; f -= ign; p += ign
            }
        }
        match($0, /[0-9]+ of [0-9]+ tests passed/) {
            s = substr($0, RSTART, RLENGTH); split(s, w, " ")
            p = w[1] + 0; f = 0; seen = 1
        }
        END { if (seen) print p, f }'
}

# pg_prove (TAP::Harness).  Passed = tests run that passed ("Tests=N" minus the
# "Failed: F" of the summary report).  Failed, per file in the summary report:
# the larger of its "Failed F/P subtests" (counts planned tests never run),
# its "Failed: F", and 1 (a file that died without a plan, exited non-zero
# after passing everything, or ran more tests than planned).
parse_pg_prove() {
    awk '
        /^Test Summary Report/ { insummary = 1; next }
        !insummary && /^[^ #].* \.\.+ / { cur = $1 }
        !insummary && /^Failed [0-9]+\/[0-9]+ subtests/ { split($2, a, "/"); prog[cur] = a[1] + 0 }
        insummary && /\(Wstat: / {
            name = $1
            match($0, /Tests: [0-9]+/);  t = substr($0, RSTART + 7, RLENGTH - 7) + 0
            match($0, /Failed: [0-9]+/); f = substr($0, RSTART + 8, RLENGTH - 8) + 0
            bad[name] = f; sumf += f
        }
        match($0, /^Files=[0-9]+, Tests=[0-9]+/) {
            s = substr($0, RSTART, RLENGTH); sub(/.*Tests=/, "", s); total = s + 0; seen = 1
        }
        /^Result: FAIL/ { result_fail = 1 }
        END {
            if (!seen) exit
            failed = 0
            for (name in bad) {
                n = bad[name]
                if ((name in prog) && prog[name] > n) n = prog[name]
                if (n < 1) n = 1
                failed += n
            }
            if (result_fail && failed == 0) failed = 1
            print total - sumf, failed
        }'
}

# Server processes that crashed or exited with an error, from a server log.
# PG15's logical replication launcher exits with code 1 at every shutdown, and
# a parallel worker exits with code 1 after raising an ERROR (which its leader
# reports): those lines are expected and ignored.
server_log_problems() {
    grep -E 'terminated by signal|exited with exit code' "$1" |
        grep -vE 'background worker "logical replication launcher" \(PID [0-9]+\) exited with exit code 1$' |
        grep -vE 'background worker "parallel worker" \(PID [0-9]+\) exited with exit code 1$'
}

# ---------------------------------------------------------------------------
# Bookkeeping
# ---------------------------------------------------------------------------

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

# record SUITE PASSED FAILED
record() {
    local line="$1: $2 passed, $3 failed"
    SUMMARY+=("$line")
    TOTAL_PASSED=$((TOTAL_PASSED + $2))
    TOTAL_FAILED=$((TOTAL_FAILED + $3))
    echo "--> $line (at $SECONDS s)"
}

# record_counts SUITE RC "PASSED FAILED"|"" : a suite's parsed counts, with at
# least one failure when it printed no summary or exited non-zero with none.
record_counts() {
    local suite=$1 rc=$2 passed failed
    if [[ -z $3 ]]; then
        echo "!!! $suite: no test summary found (exit status $rc); counted as 1 failure" >&2
        record "$suite" 0 1
        return
    fi
    read -r passed failed <<<"$3"
    if [[ $rc -ne 0 && $failed -eq 0 ]]; then
        echo "!!! $suite: exit status $rc although no test failed; counted as 1 failure" >&2
        failed=1
    fi
    record "$suite" "$passed" "$failed"
}

# step NAME COMMAND...: a prerequisite step; a failure counts as one failure.
step() {
    local name=$1 rc
    shift
    banner "$name: $*"
    "$@"
    rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "!!! step '$name' failed (exit status $rc)" >&2
        record "$name" 0 1
    fi
    return "$rc"
}

not_run() {
    echo "!!! $1 not run: $2" >&2
    record "$1" 0 1
}

# Each banner and each suite's line say how far into the run they come, so a
# CI log shows where its minutes went.
banner() {
    printf '\n===== %s (at %d s) =====\n' "$*" "$SECONDS"
}

as_root() {
    if [[ $EUID -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        "$@"
    fi
}

# ---------------------------------------------------------------------------
# Suites
# ---------------------------------------------------------------------------

# The core's layout: forecast/ and tabular/ never include each other,
# common/ includes neither, image/ (used by tabular/) includes only common/;
# the boundary alone includes PostgreSQL.
check_layout() {
    local bad
    banner "layout: include graph of src/core"
    bad=$(grep -rlE '#include "core/tabular/' src/core/forecast src/core/common;
          grep -rlE '#include "core/forecast/' src/core/tabular src/core/common;
          grep -rlE '#include "core/(forecast|tabular)/' src/core/image;
          grep -rlE '#include "core/image/' src/core/common src/core/forecast;
          grep -rlE '#include [<"](postgres|fmgr|executor/|utils/)' src/core)
    if [[ -n $bad ]]; then
        echo "!!! files that break the layout: $bad" >&2
        record layout 0 1
    else
        record layout 1 0
    fi
    # The house style: every C++ file as clang-format leaves it.
    banner "layout: clang-format --dry-run (.clang-format)"
    if ! command -v clang-format >/dev/null; then
        echo "!!! clang-format is missing (deps/debian-packages.txt lists it)" >&2
        record format 0 1
        return
    fi
    bad=$(git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run 2>&1 | grep -oE '^[^:]+\.[ch]pp' | sort -u)
    if [[ -n $bad ]]; then
        echo "!!! not formatted (run clang-format -i on them): $bad" >&2
        record format 0 1
    else
        record format 1 0
    fi
}

# xb_base.so, the settings and the forecasting aggregates' row collection,
# is there so that parallel workers load no LibTorch (src/pg_base/module.cpp):
# it links no LibTorch, and every symbol it leaves undefined is the C or C++
# runtime's or the postgres binary's, none the core's, LibTorch's or another
# C library's.
check_base_library() {
    local missing
    banner "layout: xb_base.so needs no LibTorch"
    if ldd xb_base.so | grep -E 'libtorch|libc10'; then
        echo "!!! xb_base.so links LibTorch" >&2
        record base-library 0 1
        return
    fi
    missing=$(nm -D --undefined-only xb_base.so | awk '$2 ~ /@/ {print $2}' | grep -vE '@(GLIBC|GLIBCXX|CXXABI|GCC)_')
    missing+=$(comm -23 <(nm -D --undefined-only xb_base.so | awk '$2 !~ /@/ {print $2}' |
        grep -vE '^(_ITM_|__gmon_start__)' | sort -u) \
        <(nm -D --defined-only "$(pg_config --bindir)/postgres" | awk '{print $3}' | sort -u))
    if [[ -n $missing ]]; then
        echo "!!! xb_base.so needs symbols that postgres does not define: $missing" >&2
        record base-library 0 1
    else
        record base-library 1 0
    fi
}

run_unit() {
    local log=$LOGDIR/unit.log rc
    banner "unit: make unittest"
    make unittest 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    record_counts unit "$rc" "$(parse_ctest <"$log")"
}

# The core's unit tests built with -fsanitize=address,undefined in their own
# directory (CMake option XB_SANITIZE; build type XbSanitize, -O1 -g1, twice
# as fast to compile as -O2 -g). LibTorch, Boost and the rest are Debian's,
# not instrumented: ASan checks the core's own code and every malloc, UBSan
# the core's code.
XB_SANITIZE_TESTS=${XB_SANITIZE_TESTS:-*}

# The gtest binary DIR/BINARY under the sanitizers (see the options below),
# tests matching the gtest FILTER, counted as SUITE. Not through ctest: it
# starts a process per test, and a process that loads LibTorch under ASan
# takes 2 s to start (192 tests: 256 s through ctest, 44 s as two shards).
sanitized_gtest() {
    local suite=$1 dir=$2 binary=$3 filter=$4 log=$LOGDIR/$1.log total passed shard pid rc=0
    local shards=${JOBS:-2} pids=()
    total=$(cd "$dir" && "./$binary" --gtest_filter="$filter" --gtest_list_tests | grep -c '^  ')
    if ((total == 0)); then
        not_run "$suite" "no test matches the gtest filter '$filter'"
        return
    fi
    # detect_leaks=0: leak checking is not this run's job; LibTorch's
    #   process-wide registries and caches live until exit, and the fuzz
    #   children end with _exit, where LeakSanitizer does not run anyway.
    # max_allocation_size_mb with allocator_may_return_null=0: one request
    #   larger than any test needs aborts the test with a report, even where
    #   the code would catch the failure (the fuzz harness's own allocation
    #   cap and RLIMIT_AS are off under ASan: fuzz_harness.hpp).
    # halt_on_error: the first UBSan finding fails the test (the build also
    #   has -fno-sanitize-recover=undefined).
    # A finding aborts its shard: the tests it did not reach count as failed.
    for ((shard = 0; shard < shards; shard++)); do
        (cd "$dir" &&
            ASAN_OPTIONS=detect_leaks=0:max_allocation_size_mb=1024:allocator_may_return_null=0:abort_on_error=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$shard \
            "./$binary" --gtest_filter="$filter") >"$log.$shard" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || rc=1
    done
    for ((shard = 0; shard < shards; shard++)); do cat "$log.$shard"; done | tee "$log" | grep -E '^\[  (FAILED|PASSED)  \]|ERROR: (Address|Undefined)Sanitizer|runtime error' || true
    passed=$(grep -c '^\[       OK \]' "$log")
    record_counts "$suite" "$rc" "$passed $((total - passed))"
}

# With XB_SANITIZE_RUN=plain: the LibTorch-free part of the core (blob codec,
# options and their fuzzer, calendar, covariates, the statistical members on
# Walmart, tabular encoding and metrics) and its tests, with ASan and UBSan,
# in build-asan-plain. It builds in minutes.
run_sanitizer_plain() {
    local build_log=$LOGDIR/sanitizer-plain-build.log
    banner "sanitizer (LibTorch-free core): build-asan-plain with XB_SANITIZE=address,undefined, XB_TORCH_FREE_ONLY"
    if ! { cmake -S . -B build-asan-plain -DXB_SANITIZE=address,undefined -DXB_TORCH_FREE_ONLY=ON &&
           cmake --build build-asan-plain -j"${JOBS:-2}" --target xb_plain_tests; } >"$build_log" 2>&1; then
        tail -n 50 "$build_log"
        not_run "sanitizer (LibTorch-free core)" "its build failed"
        return
    fi
    sanitized_gtest sanitizer-plain build-asan-plain xb_plain_tests '*'
}

# By default: the whole core, LibTorch included, in build-asan.
run_sanitizer() {
    local build_log=$LOGDIR/sanitizer-build.log
    banner "sanitizer: build-asan with XB_SANITIZE=address,undefined; tests $XB_SANITIZE_TESTS"
    if ! { cmake -S . -B build-asan -DXB_SANITIZE=address,undefined &&
           cmake --build build-asan -j"${JOBS:-2}" --target xb_unit_tests; } >"$build_log" 2>&1; then
        tail -n 50 "$build_log"
        not_run sanitizer "the sanitizer build failed"
        return
    fi
    sanitized_gtest sanitizer build-asan xb_unit_tests "$XB_SANITIZE_TESTS"
}

run_regress() {
    local log=$LOGDIR/regress.log rc diffs
    banner "regress: make installcheck"
    touch "$LOGDIR/regress.start"
    make installcheck 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    record_counts regress "$rc" "$(parse_pg_regress <"$log")"
    if [[ $rc -ne 0 ]]; then
        # pg_regress names the file: ... can be viewed in the file "/x/regression.diffs".
        diffs=$(grep -o '"[^"]*regression\.diffs"' "$log" | tail -n 1 | tr -d '"')
        if [[ -z $diffs || ! -f $diffs ]]; then
            diffs=$(find . -name regression.diffs -newer "$LOGDIR/regress.start" -print 2>/dev/null | head -n 1)
        fi
        if [[ -n $diffs ]]; then
            banner "$diffs (first 200 lines)"
            head -n 200 "$diffs"
        fi
    fi
}

run_pgtap() {
    local log=$LOGDIR/pgtap.log rc files=()
    shopt -s nullglob
    files=(test/pgtap/*.sql)
    shopt -u nullglob
    if [[ ${#files[@]} -eq 0 ]]; then
        echo "pgtap: no test/pgtap/*.sql files, skipped"
        return
    fi
    banner "pgtap: pg_prove ${files[*]}"
    if ! createdb xb_pgtap; then
        not_run pgtap "createdb xb_pgtap failed"
        return
    fi
    # Only stdout is parsed; psql's notices and errors go to stderr.
    PGDATABASE=xb_pgtap pg_prove "${files[@]}" | tee "$log"
    rc=${PIPESTATUS[0]}
    record_counts pgtap "$rc" "$(parse_pg_prove <"$log")"
}

# run_prove SUITE SCRIPT...: TAP shell scripts through prove, counted as SUITE.
run_prove() {
    local suite=$1 log=$LOGDIR/$1.log rc
    shift
    banner "$suite: prove $*"
    prove -v --exec bash "$@" | tee "$log"
    rc=${PIPESTATUS[0]}
    record_counts "$suite" "$rc" "$(parse_pg_prove <"$log")"
}

check_server_log() {
    local problems
    banner "server log: $XB_CLUSTER_LOG"
    if [[ ! -r $XB_CLUSTER_LOG ]]; then
        not_run "server log" "cannot read $XB_CLUSTER_LOG"
        return
    fi
    problems=$(server_log_problems "$XB_CLUSTER_LOG")
    if [[ -n $problems ]]; then
        echo "!!! server processes crashed or exited with an error:" >&2
        echo "$problems" >&2
        record "server log" 0 1
    else
        record "server log" 1 0
    fi
}

cleanup() {
    xb_cluster_stop
    [[ -n ${LOGDIR:-} ]] && rm -rf -- "$LOGDIR"
}

main() {
    cd "$REPO" || exit 1
    # shellcheck source-path=SCRIPTDIR/..
    source scripts/cluster.sh
    LOGDIR=$(mktemp -d /tmp/xb-test-logs.XXXXXX) || exit 1
    trap cleanup EXIT
    trap 'exit 130' INT TERM

    if [[ ! -d $REPO/../shared/data ]]; then
        echo "warning: $REPO/../shared/data is missing; tests that load data will fail" >&2
    fi

    local built=0 installed=0 cluster=0
    step deps scripts/install-deps.sh
    check_layout
    step build make -j2 && built=1
    if ((built)); then
        step install as_root make install && installed=1
        check_base_library
        run_unit
        case ${XB_SANITIZE_RUN:-core} in
            core | 1) run_sanitizer ;;
            plain) run_sanitizer_plain ;;
            0) echo "sanitizer: not run (XB_SANITIZE_RUN=0)" ;;
            *) not_run sanitizer "XB_SANITIZE_RUN is '$XB_SANITIZE_RUN', not core, plain or 0" ;;
        esac
    else
        not_run unit "the build failed"
    fi

    if ((installed)); then
        banner "cluster: start"
        # pg_cron for test/cron/run.sh (deps/debian-packages.txt installs it);
        # without it the cluster still starts and the cron suite says why.
        if [[ -e $(pg_config --pkglibdir)/pg_cron.so ]]; then
            export XB_CLUSTER_PRELOAD=pg_cron
        fi
        if xb_cluster_start; then
            cluster=1
        else
            record cluster 0 1
        fi
    fi
    if ((cluster)); then
        run_regress
        run_pgtap
        run_prove concurrency test/concurrency/run.sh test/concurrency/retrain_lock.sh \
            test/concurrency/trainings_view.sh test/concurrency/training_threads.sh \
            test/concurrency/aggregate_workers.sh
        run_prove cron test/cron/run.sh
        run_prove tour test/tour/run.sh
        run_prove upgrade test/upgrade/run.sh
        run_prove schema test/schema/run.sh
        run_prove scale test/scale/run.sh
        xb_cluster_halt
        check_server_log
    else
        not_run regress "no installed extension or no running cluster"
        if compgen -G 'test/pgtap/*.sql' >/dev/null; then
            not_run pgtap "no installed extension or no running cluster"
        fi
        not_run concurrency "no installed extension or no running cluster"
        not_run tour "no installed extension or no running cluster"
        not_run upgrade "no installed extension or no running cluster"
        not_run schema "no installed extension or no running cluster"
        not_run scale "no installed extension or no running cluster"
    fi

    banner "summary"
    printf '%s\n' "${SUMMARY[@]}"
    echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
    [[ $TOTAL_FAILED -eq 0 ]]
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
