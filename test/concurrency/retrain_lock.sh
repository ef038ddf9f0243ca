#!/usr/bin/env bash
# The per-name lock of retraining and refreshing, with two sessions: session
# A holds a name's lock (as training does), waits, trains a new version and
# commits; session B meanwhile runs xb_retrain, xb_refresh_forecasts or the
# xb.replace_forecasts primitive on that name. B must wait for the lock
# before it reads the deployed version, so it compares with, or forecasts
# from, the version A deployed (two pg_cron retrains at the same minute once
# both reported "replaces version 1").
#
# Prints TAP; run through prove (test/run_all.sh does) or alone. Needs a
# running server reachable through the PG* variables (scripts/cluster.sh) and
# a superuser. Uses and drops the database xb_retrain_lock.

set -uo pipefail

DB=xb_retrain_lock
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; dropdb --if-exists "$DB" 2>/dev/null' EXIT
export PGOPTIONS="-c xb.threads=1 -c xb.progress_every=0"

echo "1..7"
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
q() { psql -X -q -At -d "$DB" -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists "$DB" && createdb "$DB" || { echo "Bail out! cannot create $DB"; exit 1; }
TRAIN="SELECT xb_train_forecaster('m', 'sales', 'day', 'units', ARRAY['store'], NULL, 4, 'gru',
       '{\"epochs\": 1, \"lookback\": 8, \"hidden\": 4, \"seed\": 1}')"
q <<SQL || { echo "Bail out! setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION xb;
CREATE TABLE sales AS
SELECT s AS store, DATE '2020-01-01' + i AS day, 100 + 10 * s + 5 * sin(i / 3.0) AS units
FROM generate_series(1, 2) s, generate_series(0, 59) i;
$TRAIN;
SQL

# Session A: takes the name's lock, sleeps, trains a version, commits.
hold_lock_then_train() {
    q >"$TMP/a.out" 2>&1 <<SQL &
SET client_min_messages = warning;
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('xb.models'), hashtext('m'));
SELECT pg_sleep(3);
$TRAIN;
COMMIT;
SQL
    A_PID=$!
    for _ in $(seq 100); do
        [[ $(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
                     AND objid = hashtext('m')::oid AND pid <> pg_backend_pid()") == 1 ]] && return 0
        sleep 0.1
    done
    return 1
}

# waits_for_lock: whether another session is waiting on an advisory lock.
waits_for_lock() {
    for _ in $(seq 20); do
        [[ $(q -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'
                     AND datname = current_database()") -ge 1 ]] && return 0
        sleep 0.1
    done
    return 1
}

# 1-3. Retrain: waits, then compares with the version A deployed.
hold_lock_then_train || { echo "Bail out! session A did not take the lock"; exit 1; }
q -c "SET client_min_messages = notice" -c "CALL xb_retrain('m', keep => 'always')" >"$TMP/b.out" 2>&1 &
B_PID=$!
waits_for_lock; tap $? "xb_retrain waits for the name's lock before reading the deployed version"
wait "$A_PID"; wait "$B_PID"; rc=$?
grep -q 'version 3 (mase [0-9.]*) replaces version 2 (mase [0-9.]*)[^;]*; both forecast the same 8 newest points' "$TMP/b.out"
tap $? "xb_retrain compares with the version deployed when it got the lock (2), not the one before (1)" "$(cat "$TMP/a.out" "$TMP/b.out")"
tap "$([[ $rc == 0 && $(q -c "SELECT string_agg(version || ':' || deployed, ' ' ORDER BY version) FROM xb.models") == '1:false 2:false 3:true' ]]; echo $?)" \
    "versions 1, 2, 3, the last deployed" "$(q -c 'SELECT version, deployed FROM xb.models')"

# 4-5. xb_refresh_forecasts: waits, then writes the forecast of the version A deployed.
hold_lock_then_train || { echo "Bail out! session A did not take the lock"; exit 1; }
q -c "SELECT xb_refresh_forecasts('m')" >"$TMP/b.out" 2>&1 &
B_PID=$!
waits_for_lock; tap $? "xb_refresh_forecasts waits for the name's lock"
wait "$A_PID"; wait "$B_PID"
tap "$([[ $(q -c 'SELECT DISTINCT version FROM xb.forecasts') == 4 ]]; echo $?)" \
    "... and writes the forecast of the version deployed when it got it (4)" "$(cat "$TMP/b.out")"

# 6-7. The xb.replace_forecasts primitive, called directly, takes the lock too.
hold_lock_then_train || { echo "Bail out! session A did not take the lock"; exit 1; }
q -c "SELECT xb.replace_forecasts('m', NULL)" >"$TMP/b.out" 2>&1 &
B_PID=$!
waits_for_lock; tap $? "xb.replace_forecasts waits for the name's lock"
wait "$A_PID"; wait "$B_PID"
tap "$([[ $(q -c 'SELECT DISTINCT version FROM xb.forecasts') == 5 ]]; echo $?)" \
    "... and writes the forecast of version 5" "$(cat "$TMP/b.out")"
