-- The forecast a user gets without tuning (issue "Forecasts that win by
-- default"): all 45 Walmart stores, trained on the first 130 weeks with the
-- five covariates named, options only {"seed": S} for S = 1, 2, 3 and no
-- arch, so the default (auto) runs; the next 13 weeks are forecast with the
-- true covariates given as future_source and scored here against the actual
-- sales. Bar, for each seed: WAPE <= 0.036 and MASE <= 0.62 (MASE: per store,
-- MAE over the scale of its 130 training weeks' seasonal-naive errors at lag
-- 52, averaged over stores), training under 3 minutes. Seasonal naive (same
-- week last year) scores about 0.051 / 0.82 on these weeks.
-- auto's recipe was chosen on earlier cutoffs (train to week 117, score
-- 118-130; README, "How the defaults were chosen"), never on these weeks.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(13);
SET LOCAL xb.progress_every = 0;

\ir walmart.psql
CREATE TEMP TABLE pgtap23_history AS SELECT * FROM walmart WHERE date <= (SELECT min(date) + 129 * 7 FROM walmart);
CREATE TEMP TABLE pgtap23_future AS SELECT * FROM walmart WHERE date > (SELECT max(date) FROM pgtap23_history);
CREATE TEMP TABLE pgtap23_scale AS
  SELECT h.store, avg(abs(h.weekly_sales - l.weekly_sales)) AS scale
  FROM pgtap23_history h JOIN pgtap23_history l ON l.store = h.store AND l.date = h.date - 52 * 7
  GROUP BY h.store;
CREATE TEMP TABLE pgtap23_score (seed int, seconds float8, wape float8, mase float8, points int);

CREATE FUNCTION pg_temp.train_and_score(s int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  started timestamptz := clock_timestamp();
  took float8;
BEGIN
  PERFORM xb_train_forecaster(name => 'pgtap23_' || s, source => 'pgtap23_history', time_col => 'date',
    target_col => 'weekly_sales', series_cols => ARRAY['store'],
    feature_cols => ARRAY['holiday_flag', 'temperature', 'fuel_price', 'cpi', 'unemployment'],
    horizon => 13, options => jsonb_build_object('seed', s));
  took := extract(epoch FROM clock_timestamp() - started);
  INSERT INTO pgtap23_score
  SELECT s, took, sum(abs(f.yhat - a.weekly_sales)) / sum(abs(a.weekly_sales)),
         (SELECT avg(mae / scale) FROM (SELECT a2.store, avg(abs(f2.yhat - a2.weekly_sales)) AS mae
                                          FROM xb_forecast('pgtap23_' || s, future_source => 'pgtap23_future') f2
                                          JOIN pgtap23_future a2 ON a2.store::text = f2.series AND a2.date = f2.ts::date
                                         GROUP BY a2.store) per_store JOIN pgtap23_scale USING (store)),
         count(*)
  FROM xb_forecast('pgtap23_' || s, future_source => 'pgtap23_future') f
  JOIN pgtap23_future a ON a.store::text = f.series AND a.date = f.ts::date;
END $$;

SELECT lives_ok('SELECT pg_temp.train_and_score(' || s || ')', 'default training with seed ' || s)
  FROM generate_series(1, 3) s;
SELECT diag(format('seed %s: %s s, WAPE %s, MASE %s, %s points', seed, round(seconds::numeric, 1),
                   round(wape::numeric, 4), round(mase::numeric, 3), points))
  FROM pgtap23_score ORDER BY seed;

SELECT is((SELECT arch FROM xb.models WHERE name = 'pgtap23_1'), 'auto', 'with no arch given, auto trains');
SELECT is((SELECT min(points) FROM pgtap23_score), 45 * 13, 'every store and week of the 13 held out is forecast');
SELECT cmp_ok((SELECT max(seconds) FROM pgtap23_score), '<', 180::float8, 'training takes under 3 minutes');
SELECT cmp_ok((SELECT max(wape) FROM pgtap23_score), '<=', 0.036::float8, 'WAPE at most 0.036 for every seed');
SELECT cmp_ok((SELECT max(mase) FROM pgtap23_score), '<=', 0.62::float8, 'MASE at most 0.62 for every seed');
SELECT cmp_ok((SELECT max(wape) FROM pgtap23_score), '<',
              (SELECT sum(abs(l.weekly_sales - a.weekly_sales)) / sum(abs(a.weekly_sales))
                 FROM pgtap23_future a JOIN walmart l ON l.store = a.store AND l.date = a.date - 52 * 7),
  'better than seasonal naive (same week last year) on the same weeks');
SELECT is((SELECT count(*)::int FROM xb.trials t JOIN xb.models m ON m.id = t.model_id WHERE m.name = 'pgtap23_1'), 6,
  'every member (croston among them) and the combination are trials, scored on validation origins');
SELECT is((SELECT t.arch FROM xb.trials t JOIN xb.models m ON m.id = t.model_id WHERE m.name = 'pgtap23_1' AND chosen),
  'theta+stlf', 'the chosen recipe is marked');
SELECT ok((SELECT (xb_model_info(xb_model_bytes('pgtap23_1')) -> 'recipes' -> '1' ->> 'recipe') IS NOT NULL),
  'which recipe each store got is visible in SQL');

CREATE TEMP TABLE pgtap23_backtest AS SELECT * FROM xb_backtest('pgtap23_1', folds => 2, step => 13);
SELECT is((SELECT count(*)::int FROM pgtap23_backtest WHERE points > 0), 2 * 13 * 2,
  'xb_backtest reruns auto on rolling origins: every fold, step and estimator scored');
SELECT diag(format('backtest fold %s (cutoff %s): auto MASE %s, seasonal naive %s', fold, cutoff::date,
                   round(avg(mase) FILTER (WHERE estimator = 'model')::numeric, 3),
                   round(avg(mase) FILTER (WHERE estimator = 'seasonal_naive')::numeric, 3)))
  FROM pgtap23_backtest GROUP BY fold, cutoff ORDER BY fold;

SELECT * FROM finish();
ROLLBACK;
