#!/usr/bin/env bash
# xb.trainings, the DBA's view of trainings running now: session A trains a
# network as role xb_trainer; session B reads the view while it runs. The
# view must show A's model, phase and progress (epoch, losses) to a
# superuser and to A's own role, nothing to another role, and nothing once
# the training was cancelled; the training backend's pg_stat_activity text
# must be its statement again after it ends.
#
# Prints TAP; run through prove (test/run_all.sh does) or alone. Needs a
# running server reachable through the PG* variables and a superuser. Uses
# and drops the database xb_trainings_view and the roles xb_trainer and
# xb_onlooker.

set -uo pipefail

DB=xb_trainings_view
TMP=$(mktemp -d)
cleanup() {
    rm -rf "$TMP"
    dropdb --if-exists "$DB" 2>/dev/null
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS xb_trainer" -c "DROP ROLE IF EXISTS xb_onlooker" 2>/dev/null
}
trap cleanup EXIT
export PGOPTIONS="-c xb.threads=1 -c xb.progress_every=0"

echo "1..7"
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
q() { psql -X -q -At -d "$DB" -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists "$DB" >/dev/null 2>&1
psql -X -q -d postgres -c "DROP ROLE IF EXISTS xb_trainer" -c "DROP ROLE IF EXISTS xb_onlooker" \
    -c "CREATE ROLE xb_trainer LOGIN" -c "CREATE ROLE xb_onlooker LOGIN" >/dev/null 2>&1
createdb "$DB" || { echo "Bail out! cannot create $DB"; exit 1; }
q <<SQL || { echo "Bail out! setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION xb;
CREATE TABLE sales AS
SELECT s AS store, DATE '2020-01-01' + i AS day, 100 + 10 * s + 5 * sin(i / 3.0) AS units
FROM generate_series(1, 20) s, generate_series(0, 299) i;
GRANT SELECT ON sales TO xb_trainer;
SQL

# Session A: a long training as xb_trainer (cancelled below).
psql -X -q -At -d "$DB" -U xb_trainer -c "SELECT xb_train_forecaster('slow_gru', 'sales', 'day', 'units', ARRAY['store'],
    NULL, 7, 'gru', '{\"epochs\": 5000, \"patience\": 5000, \"lookback\": 28, \"hidden\": 32, \"seed\": 1}')" \
    >"$TMP/a.out" 2>&1 &
A_PID=$!

row=
for _ in $(seq 300); do
    row=$(q -c "SELECT role || ' ' || phase || ' ' || (epoch >= 0) || ' ' || (train_loss > 0) || ' ' || model
                FROM xb.trainings WHERE model = 'slow_gru' AND epoch IS NOT NULL")
    [[ -n $row ]] && break
    sleep 0.2
done
[[ $row == "xb_trainer training true true slow_gru" ]]
tap $? "a superuser sees the training: role, phase, epoch, loss, model (${row:-nothing})"
[[ $(q -U xb_trainer -c "SELECT count(*) FROM xb.trainings WHERE model = 'slow_gru'") == 1 ]]
tap $? "the training role sees its own training"
[[ $(q -U xb_onlooker -c "SELECT count(*) FROM xb.trainings") == 0 ]]
tap $? "another role sees nothing of it"
e1=$(q -c "SELECT epoch FROM xb.trainings WHERE model = 'slow_gru'")
sleep 1.5
e2=$(q -c "SELECT epoch FROM xb.trainings WHERE model = 'slow_gru'")
[[ -n $e1 && -n $e2 && $e2 -gt $e1 ]]
tap $? "the epoch advances while it runs ($e1, then $e2)"

pid=$(q -c "SELECT pid FROM xb.trainings WHERE model = 'slow_gru'")
q -c "SELECT pg_cancel_backend($pid)" >/dev/null
wait "$A_PID"
grep -q "canceling statement" "$TMP/a.out"
tap $? "the training is cancelled" "$(cat "$TMP/a.out")"
[[ $(q -c "SELECT count(*) FROM xb.trainings") == 0 ]]
tap $? "and the view is empty again"

# A training that ends normally gives its backend its statement text back.
q -U xb_trainer -c "SELECT xb_train_forecaster('quick_gru', 'sales', 'day', 'units', ARRAY['store'], NULL, 7, 'gru',
    '{\"epochs\": 1, \"lookback\": 14, \"hidden\": 4}') > 0, (SELECT query FROM pg_stat_activity
    WHERE pid = pg_backend_pid()) LIKE 'SELECT xb_train_forecaster(%'" >"$TMP/c.out" 2>&1
[[ $(tail -1 "$TMP/c.out") == "t|t" ]]
tap $? "after a training, the statement's own text is back in pg_stat_activity" "$(cat "$TMP/c.out")"
