#!/usr/bin/env bash
# The server-wide cap on training threads (xb.max_training_threads,
# pg/training_threads), with two sessions: session A trains a long model on
# one thread; session B then trains another. Under a cap of one thread B
# waits for A's token (a NOTICE says so, pg_stat_activity shows the wait,
# a cancel ends the wait cleanly), and trains once A is done; under a cap of
# two it gets the one thread left, not the two it asked for, and when A holds
# both, B waits and then takes both; two trainings waiting while A holds both
# then run at once, a token each.
#
# Prints TAP; run through prove (test/run_all.sh does) or alone. Needs a
# running server reachable through the PG* variables (scripts/cluster.sh) and
# a superuser (ALTER SYSTEM). Uses and drops the database xb_training_threads;
# resets the setting on exit.

set -uo pipefail

DB=xb_training_threads
TMP=$(mktemp -d)
cleanup() {
    psql -X -q -d postgres -c "ALTER SYSTEM RESET xb.max_training_threads" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
    rm -rf "$TMP"
    dropdb --if-exists "$DB" 2>/dev/null
}
trap cleanup EXIT
export PGOPTIONS="-c xb.progress_every=0"

echo "1..13"
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
q() { psql -X -q -At -d "$DB" -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists "$DB" && createdb "$DB" || { echo "Bail out! cannot create $DB"; exit 1; }
q <<SQL || { echo "Bail out! setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION xb;
CREATE TABLE sales AS
SELECT s AS store, DATE '2020-01-01' + i AS day, 100 + 10 * s + 5 * sin(i / 3.0) AS units
FROM generate_series(1, 2) s, generate_series(0, 59) i;
SQL
# What the server counts: the CPUs of its affinity mask (nproc without the OpenMP variables it also reads).
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
# The setting exists once xb is loaded (by its first call, or LOAD).
cap() { q -c "LOAD 'xb'" -c "SHOW xb.max_training_threads"; }
tap "$([[ $(cap) == "$cores" ]]; echo $?)" "xb.max_training_threads defaults to the cores the server may use ($cores)" "$(cap)"

set_cap() {
    psql -X -q -d postgres -c "LOAD 'xb'" -c "ALTER SYSTEM SET xb.max_training_threads = $1" \
        -c "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 50); do
        [[ $(cap) == "$1" ]] && return 0
        sleep 0.1
    done
    return 1
}
# tokens_held: xb's training-thread tokens granted to sessions other than this one.
tokens_held() {
    q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = 0 AND classid = 30818
            AND objsubid = 3 AND granted AND pid <> pg_backend_pid()"
}
# A training named $2 on $1 threads that runs until it is cancelled.
long_training() {
    PGOPTIONS="$PGOPTIONS -c xb.threads=$1" q -c "SELECT xb_train_forecaster('$2', 'sales', 'day', 'units',
        ARRAY['store'], NULL, 4, 'gru', '{\"epochs\": 100000, \"patience\": 100000, \"lookback\": 8, \"hidden\": 8}')" \
        >"$TMP/$2.out" 2>&1
}
# Session A: a training on ${1:-1} threads that runs until it is cancelled.
start_long_training() {
    local threads=${1:-1}
    long_training "$threads" long &
    A_PID=$!
    for _ in $(seq 300); do
        [[ $(tokens_held) == "$threads" ]] && return 0
        sleep 0.1
    done
    return 1
}
stop_long_training() {
    q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
            AND query LIKE '%xb training%' AND pid <> pg_backend_pid()" >/dev/null
    wait "$A_PID"
}
# B trains asking for two threads; $1: its output file.
train_b() {
    PGOPTIONS="$PGOPTIONS -c xb.threads=2" q -c "SET client_min_messages = notice" \
        -c "SELECT xb_train_forecaster('$2', 'sales', 'day', 'units', ARRAY['store'], NULL, 4, 'gru',
              '{\"epochs\": 2, \"lookback\": 8, \"hidden\": 4, \"seed\": 1}')" >"$1" 2>&1
}
# Sessions waiting for a token: the first in line polls the tokens (an
# Extension wait), the others queue behind it on a lock.
WAITING="datname = current_database() AND query LIKE '%xb_train_forecaster%' AND pid <> pg_backend_pid()
         AND ((wait_event_type = 'Lock' AND wait_event = 'advisory') OR wait_event_type = 'Extension')"
# Up to 30 s: the waiting session first loads xb and LibTorch on a busy machine.
waits_for_token() {
    for _ in $(seq 300); do
        [[ $(q -c "SELECT count(*) FROM pg_stat_activity WHERE $WAITING") -ge ${1:-1} ]] && return 0
        sleep 0.1
    done
    return 1
}
runtime_of() { q -c "SELECT lineage->>'runtime' FROM xb.models WHERE name = '$1'"; }

# 2-6. A cap of one thread: B waits for A's token.
set_cap 1 || { echo "Bail out! the setting did not reload"; exit 1; }
start_long_training || { echo "Bail out! session A holds no token"; exit 1; }
tap 0 "a training holds one token while it runs"
train_b "$TMP/b.out" waited &
B_PID=$!
waits_for_token; tap $? "a second training waits for the token (a wait in pg_stat_activity)"
stop_long_training
wait "$B_PID"; rc=$?
grep -q 'waiting for a training thread: all 1 of xb.max_training_threads are in use' "$TMP/b.out"
tap $? "its NOTICE says why it waits" "$(cat "$TMP/b.out")"
tap "$([[ $rc == 0 && $(runtime_of waited) == *", 1 threads" ]]; echo $?)" \
    "it trains once the first is done, on the one thread of the cap" "$(cat "$TMP/b.out"; runtime_of waited)"
tap "$([[ $(tokens_held) == 0 ]]; echo $?)" "no token is held once both are done" "$(tokens_held)"

# 7. A cancel ends the wait cleanly: an error, no model row.
start_long_training || { echo "Bail out! session A holds no token"; exit 1; }
train_b "$TMP/c.out" cancelled &
C_PID=$!
waits_for_token || { echo "Bail out! the second training never waited for the token"; exit 1; }
q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE $WAITING" >/dev/null
wait "$C_PID"
tap "$([[ $(grep -c 'canceling statement due to user request' "$TMP/c.out") == 1 &&
    $(q -c "SELECT count(*) FROM xb.models WHERE name = 'cancelled'") == 0 ]]; echo $?)" \
    "a waiting training is cancelled like any lock wait, writing nothing" "$(cat "$TMP/c.out")"
stop_long_training

# 8-11. A cap of two threads: B gets the one A leaves, without waiting; when
# A holds both, B waits, then takes both.
if ((cores < 2)); then
    for _ in 1 2 3 4 5 6; do tap 0 "# SKIP one core: xb.threads cannot ask for two"; done
else
    set_cap 2 || { echo "Bail out! the setting did not reload"; exit 1; }
    start_long_training || { echo "Bail out! session A holds no token"; exit 1; }
    train_b "$TMP/d.out" shared
    rc=$?
    stop_long_training
    tap "$([[ $rc == 0 && $(runtime_of shared) == *", 1 threads" ]]; echo $?)" \
        "under a cap of two, a training that asks for two while another runs gets one" "$(cat "$TMP/d.out"; runtime_of shared)"
    tap "$(grep -q 'waiting for a training thread' "$TMP/d.out"; [[ $? == 1 ]]; echo $?)" "... without waiting" "$(cat "$TMP/d.out")"

    start_long_training 2 || { echo "Bail out! session A holds no two tokens"; exit 1; }
    train_b "$TMP/e.out" regained &
    E_PID=$!
    waits_for_token; tap $? "with both tokens held, a training that asks for two waits"
    stop_long_training
    wait "$E_PID"; rc=$?
    tap "$([[ $rc == 0 && $(runtime_of regained) == *", 2 threads" ]]; echo $?)" \
        "once the other is done it takes both, not just the one it waited for" "$(cat "$TMP/e.out"; runtime_of regained)"

    # 12-13. Two trainings waiting while A holds both tokens: once A is done,
    # each takes one of the two, whichever it waited behind (a waiter tied
    # to one token would wait on for a free one).
    start_long_training 2 || { echo "Bail out! session A holds no two tokens"; exit 1; }
    long_training 1 first &
    F_PID=$!
    waits_for_token 1 || { echo "Bail out! the first waiting training never waited"; exit 1; }
    long_training 1 second &
    S_PID=$!
    waits_for_token 2
    lined_up=$(q -c "SELECT count(*) FILTER (WHERE wait_event_type = 'Extension') || ' ' ||
                            count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity WHERE $WAITING")
    tap "$([[ $lined_up == "1 1" ]]; echo $?)" \
        "with both tokens held, two more trainings wait in line: the first polls the tokens, the second queues behind it" \
        "$lined_up"
    stop_long_training
    both=1
    for _ in $(seq 300); do
        [[ $(q -c "SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND database = 0
                     AND classid = 30818 AND objsubid = 3 AND granted AND pid <> pg_backend_pid()") == 2 ]] && { both=0; break; }
        sleep 0.1
    done
    tap $both "once it is done, both waiting trainings run at once, a token each" "$(tokens_held)"
    q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
            AND (query LIKE '%xb training%' OR query LIKE '%xb_train_forecaster%') AND pid <> pg_backend_pid()" >/dev/null
    wait "$F_PID" "$S_PID"
fi
exit $((TAP_FAILED > 0))
