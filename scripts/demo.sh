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

# shellcheck source-path=SCRIPTDIR source=demo_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo_common.sh"
demo_data demo walmart_weekly.csv
CSV=$DATA_DIR/walmart_weekly.csv

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

demo_setup
phase load load
phase train train
phase forecast forecast
metrics
demo_timings
