-- Training a GRU forecaster on five Walmart stores and forecasting with it.
CREATE EXTENSION xb;
SET xb.progress_every = 0;  -- progress NOTICEs carry timings

CREATE TABLE walmart (store int, date date, weekly_sales float8, holiday_flag int,
                      temperature float8, fuel_price float8, cpi float8, unemployment float8);
\copy walmart FROM '../shared/data/walmart_weekly.csv' WITH (FORMAT csv, HEADER true)
CREATE VIEW walmart5 AS SELECT * FROM walmart WHERE store <= 5;

SELECT xb_train_forecaster(
  name         => 'walmart_gru',
  source       => 'walmart5',
  time_col     => 'date',
  target_col   => 'weekly_sales',
  series_cols  => ARRAY['store'],
  feature_cols => ARRAY['holiday_flag', 'temperature', 'fuel_price', 'cpi', 'unemployment'],
  horizon      => 8,
  arch         => 'gru',
  options      => '{"epochs": 15, "seed": 42}') > 0 AS trained;

-- The catalog row, its metrics and its training log.
SELECT name, version, kind, arch, source, series_cols, feature_cols, horizon, train_rows,
       time_from, time_to, deployed, length(weights) > 1000 AS has_weights,
       hyperparameters->>'lookback' AS lookback, lineage->>'frequency' AS frequency
FROM xb.models;

SELECT split, estimator, count(*) AS metrics, bool_and(value = value) AS all_finite
FROM xb.model_metrics GROUP BY split, estimator ORDER BY split, estimator;

SELECT min(epoch) = 1 AS starts_at_one, count(*) = max(epoch) AS one_row_per_epoch,
       bool_and(train_loss > 0) AS losses_positive
FROM xb.training_log;

-- Eight weeks per store, continuing from each store's last Friday.
SELECT series, count(*) AS weeks, min(ts)::date AS first_week, max(ts)::date AS last_week,
       bool_and(lo <= yhat AND yhat <= hi) AS interval_ordered,
       bool_and(yhat > 0 AND yhat < 1e8) AS plausible
FROM xb_forecast('walmart_gru') GROUP BY series ORDER BY series;

SELECT count(*) AS rows_for_horizon_3 FROM xb_forecast('walmart_gru', horizon => 3);

-- The same seed gives the same model: forecasts are identical.
SELECT xb_train_forecaster('walmart_gru_again', 'walmart5', 'date', 'weekly_sales',
                           ARRAY['store'], ARRAY['holiday_flag', 'temperature', 'fuel_price', 'cpi', 'unemployment'],
                           8, 'gru', '{"epochs": 15, "seed": 42}') > 0 AS trained;
SELECT count(*) AS differing_forecasts
FROM xb_forecast('walmart_gru') a FULL JOIN xb_forecast('walmart_gru_again') b USING (series, ts)
WHERE a.yhat IS DISTINCT FROM b.yhat;

-- Training a name again adds a version and deploys it.
SELECT xb_train_forecaster('walmart_gru', 'SELECT * FROM walmart WHERE store IN (1, 2)', 'date', 'weekly_sales',
                           ARRAY['store'], horizon => 4, arch => 'gru', options => '{"epochs": 3}') > 0 AS trained;
SELECT version, deployed, horizon, train_rows FROM xb.models WHERE name = 'walmart_gru' ORDER BY version;
SELECT count(*) AS rows_from_version_2 FROM xb_forecast('walmart_gru');

DROP VIEW walmart5;
DROP TABLE walmart;
DROP EXTENSION xb;
