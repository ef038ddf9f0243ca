-- The forecasting aggregates: one series per GROUP BY group.
--   xb_forecast_agg(ts, y, horizon [, options]) -> xb.forecast_point[]
--   xb_fit_forecaster(ts, y, options)           -> model bytea, for xb_forecast(model bytea)
-- Forecast values depend on the CPU's BLAS, so this file shows shapes,
-- dates and equalities, not the numbers.
CREATE EXTENSION xb;
SET xb.progress_every = 0;  -- progress NOTICEs carry timings
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE TABLE walmart (store int, date date, weekly_sales float8, holiday_flag int,
                      temperature float8, fuel_price float8, cpi float8, unemployment float8);
\copy walmart FROM '../shared/data/walmart_weekly.csv' WITH (FORMAT csv, HEADER true)
SET max_parallel_workers_per_gather = 0;  -- serial first; parallel below

-- Fit and forecast the next 8 weeks of three stores, one GRU per store.
CREATE TABLE store_forecasts AS
SELECT store, xb_forecast_agg(date, weekly_sales, 8, '{"arch": "gru", "epochs": 3, "hidden": 8, "seed": 1}') AS points
FROM walmart WHERE store <= 3 GROUP BY store;

SELECT store, cardinality(points) AS weeks, (points[1]).ts::date AS first_week, (points[8]).ts::date AS last_week,
       (SELECT bool_and(lo <= yhat AND yhat <= hi) FROM unnest(points)) AS interval_ordered,
       (SELECT bool_and(yhat > 0 AND yhat < 1e8) FROM unnest(points)) AS plausible
FROM store_forecasts ORDER BY store;

-- The points unnest into rows.
SELECT store, p.ts::date AS week
FROM store_forecasts, unnest(points) AS p WHERE store = 1 ORDER BY p.ts LIMIT 3;

-- With no arch the aggregates fit the statistical members (auto, as
-- xb_train_forecaster does): no LibTorch, and a model that holds each
-- series' forecast, not its history.
SELECT xb_model_info(m) ->> 'arch' AS arch, xb_model_info(m) -> 'recipes' -> '' ->> 'recipe' AS recipe,
       (SELECT count(*) FROM xb_forecast(m)) AS weeks,
       (SELECT array_agg(round(yhat)) FROM xb_forecast(m))
     = (SELECT array_agg(round((p).yhat)) FROM unnest((SELECT xb_forecast_agg(date, weekly_sales, 8) FROM walmart WHERE store = 1)) p)
       AS same_as_forecast_agg
FROM (SELECT xb_fit_forecaster(date, weekly_sales, '{}') AS m FROM walmart WHERE store = 1) f;

-- The same, as one model per store. "series" labels the group's model.
CREATE TABLE store_models AS
SELECT store, xb_fit_forecaster(date, weekly_sales,
                                jsonb_build_object('series', store) || '{"arch": "gru", "epochs": 3, "hidden": 8, "seed": 1}') AS model
FROM walmart WHERE store <= 3 GROUP BY store;
SELECT store, length(model) > 1000 AS has_weights FROM store_models ORDER BY store;

-- xb_forecast(model bytea) applies a model; it forecasts what xb_forecast_agg did.
SELECT f.series, count(*) AS weeks, min(f.ts)::date AS first_week
FROM store_models m, xb_forecast(m.model) f GROUP BY f.series ORDER BY f.series;
SELECT count(*) AS differing_points
FROM (SELECT m.store, f.ts, f.yhat, f.lo, f.hi FROM store_models m, xb_forecast(m.model) f) fitted
FULL JOIN (SELECT s.store, p.* FROM store_forecasts s, unnest(s.points) p) agg USING (store, ts)
WHERE fitted.yhat IS DISTINCT FROM agg.yhat OR fitted.lo IS DISTINCT FROM agg.lo OR fitted.hi IS DISTINCT FROM agg.hi;
SELECT count(*) AS rows_for_horizon_3 FROM store_models m, xb_forecast(m.model, 3);

-- A group trains exactly as xb_train_forecaster on that series alone.
SELECT xb_train_forecaster('store1', 'SELECT date, weekly_sales FROM walmart WHERE store = 1', 'date', 'weekly_sales',
                           horizon => 8, arch => 'gru', options => '{"epochs": 3, "hidden": 8, "seed": 1}') > 0 AS trained;
SELECT count(*) AS differing_points  -- xb_forecast('store1'): an untyped literal is a model name
FROM xb_forecast('store1') f
FULL JOIN (SELECT p.* FROM store_forecasts, unnest(points) p WHERE store = 1) agg USING (ts)
WHERE f.yhat IS DISTINCT FROM agg.yhat OR f.lo IS DISTINCT FROM agg.lo OR f.hi IS DISTINCT FROM agg.hi;
-- The aggregates wrote nothing to the catalog: only store1 is there.
SELECT name FROM xb.models;

-- NULLs: rows with a NULL ts or y are skipped, as avg() skips them, and the
-- missing week is interpolated like any gap.
SELECT (SELECT xb_forecast_agg(date, CASE WHEN date = '2011-03-04' THEN NULL ELSE weekly_sales END, 4,
                               '{"arch": "gru", "epochs": 2, "hidden": 8}') FROM walmart WHERE store = 1)
     = (SELECT xb_forecast_agg(date, weekly_sales, 4, '{"arch": "gru", "epochs": 2, "hidden": 8}')
          FROM walmart WHERE store = 1 AND date <> '2011-03-04') AS null_row_is_a_gap;
-- ... unless gaps are refused.
SELECT xb_forecast_agg(date, CASE WHEN date = '2011-03-04' THEN NULL ELSE weekly_sales END, 4,
                       '{"arch": "gru", "epochs": 2, "fill": "error"}') FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- A group with no non-NULL rows, and no rows at all, give NULL.
SELECT xb_fit_forecaster(date, NULL, '{}') IS NULL AS all_null_is_null FROM walmart WHERE store = 1;
SELECT xb_forecast_agg(date, weekly_sales, 8) IS NULL AS empty_is_null FROM walmart WHERE false;

-- timestamptz counts in UTC, whatever the session's time zone.
SET TimeZone = 'America/New_York';
SELECT (SELECT xb_forecast_agg(date::timestamp AT TIME ZONE 'UTC', weekly_sales, 4, '{"arch": "gru", "epochs": 2, "hidden": 8}')
          FROM walmart WHERE store = 1)
     = (SELECT xb_forecast_agg(date, weekly_sales, 4, '{"arch": "gru", "epochs": 2, "hidden": 8}')
          FROM walmart WHERE store = 1) AS timestamptz_is_utc;
RESET TimeZone;

-- In parallel: workers collect rows (Partial Aggregate) and hand them over
-- serialized; the leader combines them and trains (Finalize Aggregate). The
-- result is the serial one.
SET parallel_leader_participation = off;  -- only workers scan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
ALTER TABLE walmart SET (parallel_workers = 2);
EXPLAIN (COSTS OFF)
SELECT store, xb_forecast_agg(date, weekly_sales, 8, '{"arch": "gru", "epochs": 3, "hidden": 8, "seed": 1}')
FROM walmart WHERE store <= 3 GROUP BY store;
EXPLAIN (COSTS OFF)
SELECT store, xb_fit_forecaster(date, weekly_sales, '{"arch": "gru", "epochs": 3}') FROM walmart WHERE store <= 3 GROUP BY store;
SELECT count(*) AS differing_stores
FROM (SELECT store, xb_forecast_agg(date, weekly_sales, 8, '{"arch": "gru", "epochs": 3, "hidden": 8, "seed": 1}') AS points
        FROM walmart WHERE store <= 3 GROUP BY store) par
FULL JOIN store_forecasts ser USING (store) WHERE par.points IS DISTINCT FROM ser.points;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET parallel_leader_participation;

-- Bad input.
SELECT xb_forecast_agg(date, weekly_sales, NULL) FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_forecast_agg(date, weekly_sales, 0) FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_fit_forecaster(date, weekly_sales, '{"horizon": -2}') FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_forecast_agg(date, weekly_sales, 8, '{"horizon": 4}') FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_fit_forecaster(date, weekly_sales, '{"epoch": 3}') FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_fit_forecaster(date, weekly_sales, '{"arch": "rnn"}') FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_forecast_agg(store, weekly_sales, 8) FROM walmart;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_fit_forecaster(date, weekly_sales, jsonb_build_object('arch', 'gru', 'epochs', store)) FROM walmart WHERE store <= 2;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_forecast_agg(date, weekly_sales, store) FROM walmart WHERE store <= 2;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- A group too short for a network's windows is forecast by auto's statistical members instead, and a NOTICE says so.
SELECT cardinality(xb_forecast_agg(date, weekly_sales, 8, '{"arch": "gru"}')) AS weeks FROM walmart WHERE store = 1 AND date < '2010-06-01';
-- The default (auto) forecasts a group too short to validate on by the members that fit it, and says so.
SELECT cardinality(xb_forecast_agg(date, weekly_sales, 8)) AS weeks FROM walmart WHERE store = 1 AND date < '2010-06-01';
SELECT store, xb_fit_forecaster(date, weekly_sales, jsonb_build_object('arch', 'gru', 'series', store, 'epochs', 2))
FROM (SELECT * FROM walmart WHERE store <= 2 UNION ALL SELECT * FROM walmart WHERE store = 2 AND date = '2011-03-04') w
GROUP BY store;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_forecast_agg(date, 'NaN', 8) FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET xb.max_train_rows = 100;
SELECT xb_forecast_agg(date, weekly_sales, 8) FROM walmart WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET xb.max_train_rows;

-- Bad models.
SELECT * FROM xb_forecast(NULL::bytea);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM xb_forecast('\xdeadbeef'::bytea);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT f.* FROM store_models m, xb_forecast(substring(m.model FROM 1 FOR length(m.model) - 10)) f WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT f.* FROM store_models m, xb_forecast(overlay(m.model PLACING '\xdeadbeef'::bytea FROM 200)) f WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT f.* FROM store_models m, xb_forecast(m.model, 0) f WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT f.* FROM store_models m, xb_forecast(m.model, 9) f WHERE store = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

DROP TABLE store_models, store_forecasts, walmart;
DROP EXTENSION xb;
