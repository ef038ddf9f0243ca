#!/usr/bin/env bash
# A nightly job as a DBA schedules it: pg_cron (preloaded, jobs run by
# background workers) retrains a forecaster, then refreshes its materialized
# forecasts, in its own database; the run must be recorded as succeeded and
# leave the new version's rows in xb.forecasts.
#
# pg_cron 1.4 (Debian bookworm) schedules by the minute, so the job waits for
# the next minute to start: this takes up to about 70 seconds.
#
# Prints TAP; run through prove (test/run_all.sh does, on a cluster started
# with XB_CLUSTER_PRELOAD=pg_cron). Needs a superuser through the PG* variables.
set -uo pipefail

DB=xb_cron
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

q() {  # q DB SQL: one value
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

echo "1..6"
[[ $(q postgres "SHOW shared_preload_libraries") == *pg_cron* ]]
tap $? "pg_cron is preloaded"

dropdb --if-exists "$DB" >/dev/null 2>&1
createdb "$DB"
# Three weekly series with a yearly pattern, 3 years long.
q "$DB" "CREATE EXTENSION xb;
         CREATE TABLE weekly AS
         SELECT s AS store, date '2010-01-01' + 7 * w AS week,
                100 * s + 20 * sin(2 * pi() * w / 52) + (w * 37 % 11) AS sales
         FROM generate_series(1, 3) s, generate_series(0, 155) w;
         SELECT xb_train_forecaster('cron_fc', 'weekly', 'week', 'sales', ARRAY['store'], horizon => 8) > 0;
         SELECT xb_refresh_forecasts('cron_fc') > 0;" >/dev/null
tap $? "a forecaster is trained and its forecasts materialized"

q postgres "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
job=$(q postgres "SELECT cron.schedule_in_database('xb_nightly', '* * * * *',
                    \$\$CALL xb_retrain('cron_fc', keep => 'always'); SELECT xb_refresh_forecasts('cron_fc')\$\$, '$DB')")
[[ -n $job ]]
tap $? "the job is scheduled (retrain, then refresh)"

status=
for _ in $(seq 1 90); do
    status=$(q postgres "SELECT string_agg(status, ',') FROM cron.job_run_details
                         WHERE jobid = $job AND status IN ('succeeded', 'failed')")
    [[ -n $status ]] && break
    sleep 1
done
q postgres "SELECT cron.unschedule($job)" >/dev/null
[[ $status == succeeded* ]]
tap $? "its run is recorded as succeeded (status: ${status:-none after 90 s}$(
    [[ $status == failed* ]] && q postgres "SELECT ': ' || return_message FROM cron.job_run_details WHERE jobid = $job LIMIT 1"))"

[[ $(q "$DB" "SELECT version FROM xb.models WHERE name = 'cron_fc' AND deployed") == 2 ]]
tap $? "the job's retrain deployed version 2"
[[ $(q "$DB" "SELECT count(*) FILTER (WHERE version = 2) = count(*) AND count(*) = 24 FROM xb.forecasts
              WHERE model_name = 'cron_fc'") == t ]]
tap $? "and its refresh replaced the forecasts with version 2's (3 series x 8 weeks)"

dropdb "$DB" >/dev/null 2>&1
exit $((TAP_FAILED > 0))
