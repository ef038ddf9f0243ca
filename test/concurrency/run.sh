#!/usr/bin/env bash
# Concurrency: pgbench runs CLIENTS sessions that each, over and over, train
# a new version of one of NAMES model names and forecast one of them, for
# SECONDS. With more clients than names, sessions train the same name at once
# (the per-name advisory lock and version numbering). Afterwards:
#
#   - pgbench ran without an error, an aborted client or a failed transaction
#   - no deadlock (pg_stat_database, and the server log when readable)
#   - one xb.models row per training, with metrics and a training log
#   - versions per name are 1..n without a gap or duplicate; exactly one is
#     deployed, the newest
#   - trainings of the same name overlapped in time (the test did test that)
#   - every row decodes and forecasts (each version deployed in turn, in a
#     transaction that is rolled back), and every version of a name forecasts
#     the same values (same data, seed and threads: the same weights)
#
# Prints TAP; run through prove (test/run_all.sh does) or alone. Needs a
# running server reachable through the PG* variables (scripts/cluster.sh) and
# a superuser. Uses and drops the database xb_concurrency.
#
# Environment: XB_CONCURRENCY_SECONDS (60), XB_CONCURRENCY_CLIENTS (8),
# XB_CONCURRENCY_NAMES (3).

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DURATION=${XB_CONCURRENCY_SECONDS:-60}
CLIENTS=${XB_CONCURRENCY_CLIENTS:-8}
NAMES=${XB_CONCURRENCY_NAMES:-3}
DB=xb_concurrency
BINDIR=$(pg_config --bindir)
# One LibTorch thread per session: CLIENTS sessions share the cores anyway,
# and the same thread count everywhere makes the weights comparable.
export PGOPTIONS="-c xb.threads=1 -c xb.progress_every=0 -c client_min_messages=warning"

TESTS=11
echo "1..$TESTS"
N=0

# check DESCRIPTION COMMAND...: one TAP line, "ok" when the command succeeds.
check() {
    local description=$1
    shift
    N=$((N + 1))
    if "$@"; then
        echo "ok $N - $description"
    else
        echo "not ok $N - $description"
    fi
}

# q SQL...: each argument one statement, in one session; prints the results.
q() {
    local args=() sql
    for sql in "$@"; do args+=(-c "$sql"); done
    "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "${args[@]}"
}
is() { [[ $1 == "$2" ]] || { echo "#   got: '$1', expected: '$2'"; return 1; }; }

bail() {
    echo "Bail out! $*"
    exit 1
}

"$BINDIR/dropdb" --if-exists "$DB" >/dev/null 2>&1
"$BINDIR/createdb" "$DB" || bail "createdb $DB failed"
trap '"$BINDIR/dropdb" --if-exists "$DB" >/dev/null 2>&1' EXIT

# Four daily series of 90 days with a weekly pattern and a covariate, and
# version 1 of every name, so a forecast never meets a name without a model.
q "CREATE EXTENSION xb;
   CREATE TABLE conc_daily AS
     SELECT s, date '2022-01-01' + t AS d, 10 * s + 3 * sin(t * 0.8976) + (t % 4) AS y, (t % 4 = 0)::int AS promo
     FROM generate_series(1, 4) s, generate_series(0, 89) t;
   SELECT xb_train_forecaster('conc_' || n, 'conc_daily', 'd', 'y', ARRAY['s'], ARRAY['promo'], 7,
                              (ARRAY['gru', 'lstm', 'transformer', 'attention_lstm'])[1 + (n - 1) % 4],
                              '{\"epochs\": 2, \"hidden\": 8, \"lookback\": 14, \"seed\": 1}')
   FROM generate_series(1, $NAMES) n;" >/dev/null || bail "setup failed"

deadlocks_before=$(q "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
log_lines_before=0
if [[ -n ${XB_CLUSTER_LOG:-} && -r ${XB_CLUSTER_LOG:-} ]]; then
    log_lines_before=$(wc -l <"$XB_CLUSTER_LOG")
fi

echo "# pgbench: $CLIENTS clients, $NAMES model names, $DURATION s"
out=$("$BINDIR/pgbench" -n -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -D "names=$NAMES" \
    -f "$HERE/train_forecast.pgbench" --failures-detailed "$DB" 2>&1)
rc=$?
sed 's/^/#   /' <<<"$out" | grep -vE '^#   (pgbench \(|starting vacuum)' | head -n 60

processed=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out")
failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' <<<"$out")
pretrained=$NAMES

check "pgbench exits with status 0" is "$rc" 0
check "no client aborted, no failed transaction (failed: ${failed:-?})" \
    eval '! grep -qiE "aborted|error" <<<"$out" && [[ ${failed:-x} == 0 ]]'
check "every client got work done (${processed:-0} transactions >= $CLIENTS)" \
    test "${processed:-0}" -ge "$CLIENTS"

deadlocks_after=$(q "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
log_deadlocks=0
if [[ -n ${XB_CLUSTER_LOG:-} && -r ${XB_CLUSTER_LOG:-} ]]; then
    log_deadlocks=$(tail -n +"$((log_lines_before + 1))" "$XB_CLUSTER_LOG" | grep -c 'deadlock detected')
fi
check "no deadlock (pg_stat_database: $((deadlocks_after - deadlocks_before)), server log: $log_deadlocks)" \
    test "$((deadlocks_after - deadlocks_before + log_deadlocks))" -eq 0

models=$(q "SELECT count(*) FROM xb.models")
check "one xb.models row per training ($models = $pretrained + ${processed:-?})" \
    is "$models" "$((pretrained + ${processed:-0}))"
check "every model has its metrics and a 2-epoch training log" \
    is "$(q "SELECT count(*) FROM xb.models m
             WHERE (SELECT count(*) FROM xb.model_metrics WHERE model_id = m.id) = 0
                OR (SELECT count(*) FROM xb.training_log WHERE model_id = m.id) <> 2")" 0
check "versions of each name are 1..n, unique, without gaps" \
    is "$(q "SELECT count(*) FROM (SELECT name FROM xb.models GROUP BY name
                                   HAVING min(version) <> 1 OR max(version) <> count(*)
                                       OR count(DISTINCT version) <> count(*)) bad")" 0
check "exactly one version of each name is deployed: the newest" \
    is "$(q "SELECT count(*) FROM (SELECT name FROM xb.models GROUP BY name
                                   HAVING count(*) FILTER (WHERE deployed) <> 1
                                       OR max(version) <> max(version) FILTER (WHERE deployed)) bad")" 0

overlaps=$(q "SELECT count(*) FROM xb.models a JOIN xb.models b ON a.name = b.name AND a.id < b.id
              WHERE a.created_at < b.created_at + make_interval(secs => b.train_seconds)
                AND b.created_at < a.created_at + make_interval(secs => a.train_seconds)")
check "trainings of the same name ran at the same time ($overlaps overlapping pairs)" test "${overlaps:-0}" -gt 0

# Every row, deployed in turn; xb_forecast must work and give the same points
# for every version of a name.
verify=$(q "BEGIN" "
  CREATE FUNCTION pg_temp.forecast_every_version(OUT checked int, OUT failures int, OUT names_with_differences int,
                                                 OUT first_failure text)
  LANGUAGE plpgsql AS \$\$
  DECLARE
    r record;
    fingerprint text;
  BEGIN
    checked := 0; failures := 0;
    CREATE TEMP TABLE fingerprints (name text, version int, fp text);
    FOR r IN SELECT id, name, version FROM xb.models ORDER BY name, version LOOP
      UPDATE xb.models SET deployed = false WHERE name = r.name AND deployed;
      UPDATE xb.models SET deployed = true WHERE id = r.id;
      BEGIN
        SELECT md5(string_agg(concat_ws('|', series, ts, yhat, lo, hi), ',' ORDER BY series, ts)) INTO fingerprint
          FROM xb_forecast(r.name);
        IF fingerprint IS NULL THEN RAISE EXCEPTION 'no points'; END IF;
        INSERT INTO fingerprints VALUES (r.name, r.version, fingerprint);
      EXCEPTION WHEN others THEN
        failures := failures + 1;
        first_failure := coalesce(first_failure, format('%s version %s: %s', r.name, r.version, SQLERRM));
      END;
      checked := checked + 1;
    END LOOP;
    SELECT count(*) INTO names_with_differences
      FROM (SELECT name FROM fingerprints GROUP BY name HAVING count(DISTINCT fp) > 1) d;
  END \$\$" \
  "SELECT checked, failures, names_with_differences, coalesce(first_failure, '') FROM pg_temp.forecast_every_version()" \
  "ROLLBACK")
IFS='|' read -r checked failures differing first_failure <<<"$verify"
[[ -n $first_failure ]] && echo "# first failure: $first_failure"
check "every one of the $models model rows decodes and forecasts ($checked checked, ${failures:-?} failed)" \
    eval '[[ ${checked:-0} == "$models" && ${failures:-x} == 0 ]]'
check "every version of a name forecasts the same values (${differing:-?} names differ)" is "${differing:-x}" 0

versions=$(q "SELECT string_agg(name || ': ' || n, ', ' ORDER BY name)
              FROM (SELECT name, count(*) AS n FROM xb.models GROUP BY name) v")
echo "# concurrency: $CLIENTS clients x $DURATION s: ${processed:-0} trainings + ${processed:-0} forecasts," \
     "failed transactions: ${failed:-?}; versions per name: $versions; same-name overlaps: $overlaps"
[[ $N -eq $TESTS ]] || echo "# planned $TESTS tests, ran $N"
