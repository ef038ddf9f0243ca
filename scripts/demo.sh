#!/usr/bin/env bash
# xb demo: build and install the extension, start a throwaway PostgreSQL 15
# cluster, load the Walmart weekly sales (45 stores x 143 weeks), train a GRU
# forecaster inside the database, print the next 8 weeks for three stores and
# the test-split metrics of the model beside the seasonal-naive baseline.
#
# Usage: bash scripts/demo.sh   (from any directory; as root for make install)
# Environment: XB_DATA_DIR (default: <repo>/../shared/data),
#              XB_KEEP_CLUSTER=1 keeps the cluster directory afterwards.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
DATA_DIR=${XB_DATA_DIR:-$REPO/../shared/data}
CSV=$DATA_DIR/walmart_weekly.csv
if [[ ! -r $CSV ]]; then
    echo "demo: cannot read $CSV (set XB_DATA_DIR to the folder holding walmart_weekly.csv)" >&2
    exit 1
fi
CSV=$(cd "$(dirname "$CSV")" && pwd)/$(basename "$CSV")

# shellcheck source-path=SCRIPTDIR/..
source scripts/cluster.sh
trap xb_cluster_stop EXIT
trap 'exit 130' INT TERM

PHASES=()
TIMES=()
# phase NAME COMMAND...: run a command and remember how long it took.
phase() {
    local name=$1 start
    shift
    printf '\n===== %s =====\n' "$name"
    start=$EPOCHREALTIME
    "$@"
    PHASES+=("$name")
    TIMES+=("$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')")
}

as_root() {
    if [[ $EUID -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        "$@"
    fi
}

sql() {
    psql -X -v ON_ERROR_STOP=1 "$@"
}

load() {
    local csv_literal=${CSV//\'/\'\'}
    sql -q <<SQL
CREATE TABLE walmart (
    store        int,
    date         date,
    weekly_sales float8,
    holiday_flag int,
    temperature  float8,
    fuel_price   float8,
    cpi          float8,
    unemployment float8
);
\\copy walmart FROM '$csv_literal' WITH (FORMAT csv, HEADER true)
CREATE EXTENSION xb;
SQL
    sql -c "SELECT count(*) AS rows, count(DISTINCT store) AS stores, min(date) AS first_week, max(date) AS last_week FROM walmart"
}

train() {
    sql <<'SQL'
SELECT xb_train_forecaster(
    name         => 'walmart_gru',
    source       => 'walmart',
    time_col     => 'date',
    target_col   => 'weekly_sales',
    series_cols  => ARRAY['store'],
    feature_cols => ARRAY['holiday_flag','temperature','fuel_price','cpi','unemployment'],
    horizon      => 8,
    arch         => 'gru',
    options      => '{"seed": 42, "lookback": 13, "ensemble": 5, "loss": "mae"}') AS model_id;
SQL
}

forecast() {
    sql <<'SQL'
\echo 'Next 8 weeks for stores 1, 2 and 20'
SELECT series AS store, ts::date AS week, round(yhat) AS forecast, round(lo) AS lo, round(hi) AS hi
FROM xb_forecast('walmart_gru')
WHERE series IN ('1','2','20')
ORDER BY series::int, ts;
SQL
}

metrics() {
    sql <<'SQL'
\echo 'Test split: the GRU model beside the seasonal-naive baseline (same week last year)'
SELECT mm.metric,
       round((max(mm.value) FILTER (WHERE mm.estimator IS DISTINCT FROM 'seasonal_naive'))::numeric, 4) AS model,
       round((max(mm.value) FILTER (WHERE mm.estimator = 'seasonal_naive'))::numeric, 4) AS seasonal_naive
FROM xb.model_metrics mm
JOIN xb.models m ON m.id = mm.model_id
WHERE m.name = 'walmart_gru' AND mm.split = 'test'
GROUP BY mm.metric
ORDER BY array_position(ARRAY['mae','mse','rmse','mape','smape','r2','mase'], lower(mm.metric)) NULLS LAST,
         mm.metric;
SQL
}

phase deps scripts/install-deps.sh
phase build make -j2
phase install as_root make install
phase cluster xb_cluster_start
phase load load
phase train train
phase forecast forecast
metrics

printf '\n===== timings (seconds) =====\n'
for i in "${!PHASES[@]}"; do
    printf '%-10s %8s\n' "${PHASES[$i]}" "${TIMES[$i]}"
done
