-- The forecasting bar on real data (issue: "Forecasting, complete"): all 45
-- Walmart stores, the last 13 weeks held out for test and the 13 before for
-- validation, horizon 13, covariates Holiday_Flag, Temperature, Fuel_Price,
-- CPI and Unemployment, one global model with a fixed seed. It must reach
-- WAPE <= 0.040 and MASE <= 0.70 on the test weeks (seasonal naive: about
-- 0.051 / 0.82), within 3 minutes. The same settings with seeds 42, 100 and
-- 200 gave WAPE 0.0393, 0.0392, 0.0390 and MASE 0.660, 0.660, 0.657
-- (README, "Accuracy on Walmart").
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(7);
SET LOCAL xb.progress_every = 0;

\ir walmart.psql

CREATE TEMP TABLE pgtap15_run AS SELECT clock_timestamp() AS started;
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap15_walmart', 'walmart', 'date', 'weekly_sales', ARRAY['store'],
    ARRAY['holiday_flag', 'temperature', 'fuel_price', 'cpi', 'unemployment'], 13, 'gru',
    '{"lookback": 13, "ensemble": 20, "loss": "mae", "dropout": 0, "seed": 42,
      "val_periods": 13, "test_periods": 13}')$$,
  'the global GRU trains on all 45 stores');
SELECT cmp_ok(extract(epoch FROM clock_timestamp() - started)::float8, '<', 180::float8,
  'training takes under 3 minutes') FROM pgtap15_run;
SELECT diag(format('seconds %s; test: %s', round(extract(epoch FROM clock_timestamp() - started)::numeric, 1),
                   string_agg(format('%s %s=%s', estimator, metric, round(value::numeric, 4)), ', '
                              ORDER BY estimator, metric)))
  FROM pgtap15_run, xb.model_metrics JOIN xb.models m ON m.id = model_id
 WHERE m.name = 'pgtap15_walmart' AND split = 'test' AND metric IN ('wape', 'mase', 'smape')
 GROUP BY started;

CREATE TEMP VIEW pgtap15_test AS
  SELECT estimator, metric, value FROM xb.model_metrics JOIN xb.models m ON m.id = model_id
   WHERE m.name = 'pgtap15_walmart' AND split = 'test';
SELECT is((SELECT count(*)::int FROM xb_residuals('pgtap15_walmart')), 45 * 13,
  'the test split is the last 13 weeks of all 45 stores');
SELECT cmp_ok((SELECT value FROM pgtap15_test WHERE estimator = 'model' AND metric = 'wape'), '<=', 0.040::float8,
  'test WAPE is at most 0.040');
SELECT cmp_ok((SELECT value FROM pgtap15_test WHERE estimator = 'model' AND metric = 'mase'), '<=', 0.70::float8,
  'test MASE is at most 0.70');
SELECT cmp_ok((SELECT value FROM pgtap15_test WHERE estimator = 'seasonal_naive' AND metric = 'wape'), '>', 0.050::float8,
  'seasonal naive (same week last year) is the baseline it beats: WAPE above 0.050');
SELECT cmp_ok((SELECT value FROM pgtap15_test WHERE estimator = 'model' AND metric = 'smape'), '<',
              (SELECT value FROM pgtap15_test WHERE estimator = 'seasonal_naive' AND metric = 'smape'),
  'test sMAPE is below seasonal naive''s');

SELECT * FROM finish();
ROLLBACK;
