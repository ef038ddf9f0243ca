-- Evaluation of forecasters: interval coverage on a synthetic panel with
-- known noise (overall and per horizon step), residuals on the test split,
-- and rolling-origin backtests.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(22);
SET LOCAL xb.progress_every = 0;

-- 40 daily series: a weekly pattern plus noise close to N(0, 1) (a sum of
-- four uniforms), so the best possible 90% interval is about +-1.65.
SELECT setseed(0.3);
CREATE TEMP TABLE pgtap09_noise AS
  SELECT s AS sensor, date '2023-01-01' + t AS day,
         20 + s % 5 + 3 * sin(2 * pi() * t / 7) + (random() + random() + random() + random() - 2) * sqrt(3) AS y
  FROM generate_series(1, 40) s, generate_series(0, 199) t;

SELECT lives_ok($$SELECT xb_train_forecaster('pgtap09_cov', 'pgtap09_noise', 'day', 'y', ARRAY['sensor'], NULL, 7,
    'gru', '{"epochs": 15, "lookback": 14, "hidden": 16, "seed": 5, "val_periods": 56, "test_periods": 28}')$$,
  'a forecaster trains on the noisy panel');
SELECT cmp_ok((SELECT abs(value - 0.9) FROM xb.model_metrics JOIN xb.models m ON m.id = model_id
                WHERE m.name = 'pgtap09_cov' AND split = 'test' AND estimator = 'model' AND metric = 'coverage'),
              '<=', 0.10::float8, 'test coverage of the 90% interval is within 10 points of nominal');

-- Residuals: the 28 test days of each series, tiled by 7-day windows.
CREATE TEMP TABLE pgtap09_res AS SELECT * FROM xb_residuals('pgtap09_cov');

-- A test split that is not a whole number of horizons (10 days, horizon 7):
-- every test point is still there once, the last three from the window that
-- ends at the last day (at its steps 5 to 7).
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap09_ragged', 'SELECT * FROM pgtap09_noise WHERE sensor <= 5', 'day', 'y',
    ARRAY['sensor'], NULL, 7, 'gru', '{"epochs": 2, "lookback": 14, "hidden": 8, "val_periods": 14, "test_periods": 10}')$$,
  'a network with a 10-day test split and a 7-day horizon');
SELECT is((SELECT count(*)::int || ' ' || count(DISTINCT (series, ts))::int || ' ' || max(ts)::date
           FROM xb_residuals('pgtap09_ragged')), '50 50 2023-07-19',
          'its residuals hold each of the 10 test days of the 5 series once, up to the last day');
SELECT is((SELECT string_agg(DISTINCT step::text, ',') FROM xb_residuals('pgtap09_ragged') WHERE ts > date '2023-07-16'),
          '5,6,7', 'the last three days come from the window that ends at the last day');
SELECT xb_drop('pgtap09_ragged');  -- the backtest below counts models
SELECT is((SELECT count(*)::int FROM pgtap09_res), 40 * 28, 'one residual per series and test day');
SELECT is((SELECT count(*)::int FROM pgtap09_res GROUP BY step ORDER BY 1 LIMIT 1), 40 * 4,
  'each horizon step has 4 windows x 40 series');
SELECT is((SELECT count(*)::int FROM pgtap09_res r JOIN pgtap09_noise n ON n.sensor::text = r.series AND n.day = r.ts
            WHERE abs(r.actual - n.y) < 1e-9 AND abs(r.residual - (r.actual - r.fitted)) < 1e-9), 40 * 28,
  'actuals are the source values and residual = actual - fitted');
SELECT is((SELECT min(ts) FROM pgtap09_res), timestamp '2023-01-01' + interval '172 days',
  'the residuals start at the first test day');
SELECT is((SELECT count(*)::int FROM (SELECT step, avg((actual BETWEEN lo AND hi)::int) AS c FROM pgtap09_res
                                       GROUP BY step) s WHERE abs(c - 0.9) > 0.10), 0,
  'coverage is within 10 points of nominal at every horizon step');
SELECT cmp_ok((SELECT avg(abs(residual)) FROM pgtap09_res), '<', 1.3::float8,
  'the mean absolute residual is near the noise level (0.8 for N(0, 1))');
SELECT throws_ok($$SELECT * FROM xb_residuals('pgtap09_nope')$$, '42704', 'model "pgtap09_nope" does not exist',
  'residuals of an unknown model are an error');
SELECT throws_ok($$SELECT * FROM xb_residuals('pgtap09_cov', 7)$$, '42704', 'model "pgtap09_cov" has no version 7',
  'residuals of an unknown version are an error naming it');

-- Backtest: 3 folds, origins 7 days apart.
SELECT is((SELECT count(*)::int FROM xb.models), 1, 'one model before the backtest');
CREATE TEMP TABLE pgtap09_bt AS SELECT * FROM xb_backtest('pgtap09_cov', folds => 3, step => 7);
SELECT is((SELECT count(*)::int FROM pgtap09_bt), 3 * 7 * 2, 'one row per fold, horizon step and estimator');
SELECT is((SELECT array_agg(DISTINCT cutoff ORDER BY cutoff DESC) FROM pgtap09_bt),
          ARRAY[timestamp '2023-06-21', timestamp '2023-06-14', timestamp '2023-06-07'],
  'each fold moves the origin back by the step');
SELECT is((SELECT count(*)::int FROM pgtap09_bt WHERE points = 40 * 22), 3 * 7 * 2,
  'every fold evaluates each step on all 22 test origins of the 40 series');
SELECT is((SELECT count(*)::int FROM pgtap09_bt WHERE estimator = 'model' AND abs(coverage - 0.9) > 0.15), 0,
  'backtest coverage stays near nominal in every fold and step');
-- A double the core leaves undefined (NaN) is NULL in SQL, in every set-returning function.
SELECT is((SELECT count(*)::int FROM pgtap09_bt WHERE estimator = 'seasonal_naive' AND coverage IS NULL), 3 * 7,
  'the seasonal-naive baseline has no interval: its backtest coverage is NULL');
SELECT is((SELECT count(*)::int FROM pgtap09_bt
            WHERE 'NaN'::float8 IN (mae, rmse, smape, wape, mase, coverage)), 0,
  'no backtest column is NaN');
SELECT is((SELECT count(*)::int FROM xb.models), 1, 'a backtest stores no model');
SELECT throws_ok($$SELECT * FROM xb_backtest('pgtap09_cov', folds => 0)$$, '22023', NULL,
  'zero folds are refused');

SELECT * FROM finish();
ROLLBACK;
