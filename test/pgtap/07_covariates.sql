-- Covariates on a synthetic weekly panel with a known price effect (-50 per
-- unit of price) and a known promotion effect (+15 for 'bogo'): text
-- covariates, future_source, what-if overrides, sensitivity, invalid rows,
-- the memory limit, auto and the series embedding.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(63);
SET LOCAL xb.progress_every = 0;

SELECT setseed(0.7);
CREATE TEMP TABLE pgtap07_sales AS
  SELECT 'store ' || s AS store, date '2020-01-03' + 7 * t AS week, price, promo,
         100 + 5 * s + 10 * sin(2 * pi() * t / 52) - 50 * (price - 1) + 15 * (promo = 'bogo')::int
           + 2 * (random() - 0.5) AS units
  FROM generate_series(1, 6) s, generate_series(0, 159) t,
       LATERAL (SELECT 1 + 0.2 * sin(t * 0.7 + s) AS price,
                       CASE (t + s) % 5 WHEN 0 THEN 'bogo' WHEN 1 THEN 'Discount' ELSE 'none' END AS promo) c;

SELECT lives_ok($$SELECT xb_train_forecaster('pgtap07_m', 'pgtap07_sales', 'week', 'units', ARRAY['store'],
    ARRAY['price', 'promo'], 4, 'gru', '{"epochs": 60, "lookback": 8, "hidden": 32, "seed": 7, "patience": 15}')$$,
  'a numeric and a text covariate train together');
SELECT is((SELECT feature_cols FROM xb.models WHERE name = 'pgtap07_m'), ARRAY['price', 'promo'],
  'both covariates are recorded');
SELECT cmp_ok((SELECT value FROM xb.model_metrics JOIN xb.models m ON m.id = model_id
                WHERE m.name = 'pgtap07_m' AND split = 'test' AND estimator = 'model' AND metric = 'wape'), '<',
              (SELECT value FROM xb.model_metrics JOIN xb.models m ON m.id = model_id
                WHERE m.name = 'pgtap07_m' AND split = 'test' AND estimator = 'seasonal_naive' AND metric = 'wape'),
  'with its covariates the model beats seasonal naive on the test split');

-- Future covariates for the 4 weeks after the data: an unseen category, and price 1.3.
CREATE TEMP TABLE pgtap07_future AS
  SELECT 'store ' || s AS store, date '2020-01-03' + 7 * t AS week, 1.3::float8 AS price, 'flash sale' AS promo
  FROM generate_series(1, 6) s, generate_series(160, 163) t;
CREATE TEMP TABLE pgtap07_base AS SELECT * FROM xb_forecast('pgtap07_m');
CREATE TEMP TABLE pgtap07_fut AS SELECT * FROM xb_forecast('pgtap07_m', future_source => 'pgtap07_future');
SELECT is((SELECT count(*)::int FROM pgtap07_fut WHERE yhat = yhat AND lo <= yhat AND yhat <= hi), 24,
  'a category never seen in training forecasts (unknown bucket), not an error');
SELECT cmp_ok((SELECT max(abs(f.yhat - b.yhat)) FROM pgtap07_fut f JOIN pgtap07_base b USING (series, ts)), '>', 1.0::float8,
  'future_source changes the forecast');
UPDATE pgtap07_future SET promo = 'none';
SELECT cmp_ok(
  (SELECT max(abs(f.yhat - o.yhat))
     FROM xb_forecast('pgtap07_m', future_source => 'pgtap07_future') f
     JOIN xb_forecast('pgtap07_m', overrides => '{"price": {"set": 1.3}, "promo": {"set": "none"}}') o
       USING (series, ts)), '<', 1e-9::float8,
  'future_source gives the same forecast as overrides setting the same values');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap07_m', future_source =>
             $$SELECT * FROM pgtap07_future WHERE week < date '2020-01-03' + 7 * 162$$)), 24,
  'a future_source covering only part of the horizon still forecasts every step');
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap07_m', future_source => 'SELECT store, week, price FROM pgtap07_future')$$,
  '42703', NULL, 'a future_source without a feature column is an error naming the column');

-- What-if: higher price, lower forecast; promotion 'bogo' raises it.
SELECT cmp_ok((SELECT avg(yhat) FROM xb_forecast('pgtap07_m', overrides => '{"price": {"mul": 1.2}}')), '<',
              (SELECT avg(yhat) FROM pgtap07_base), 'price x 1.2 lowers the forecast');
SELECT cmp_ok((SELECT avg(yhat) FROM xb_forecast('pgtap07_m', overrides => '{"price": {"mul": 0.8}}')), '>',
              (SELECT avg(yhat) FROM pgtap07_base), 'price x 0.8 raises the forecast');
SELECT cmp_ok((SELECT avg(yhat) FROM xb_forecast('pgtap07_m', overrides => '{"price": {"add": 0.2}}')) -
              (SELECT avg(yhat) FROM xb_forecast('pgtap07_m', overrides => '{"price": {"add": -0.2}}')), '<', -8::float8,
  'price + 0.4 lowers the forecast by more than 8 units (the true effect is 20)');
SELECT cmp_ok((SELECT avg(yhat) FROM xb_forecast('pgtap07_m', overrides => '{"promo": {"set": "bogo"}}')) -
              (SELECT avg(yhat) FROM xb_forecast('pgtap07_m', overrides => '{"promo": {"set": "none"}}')), '>', 5::float8,
  'promo bogo raises the forecast by more than 5 units against none (the true effect is 15)');
SELECT is((SELECT avg(yhat) FROM xb_forecast('pgtap07_m', overrides => '{"price": 1.1}')),
          (SELECT avg(yhat) FROM xb_forecast('pgtap07_m', overrides => '{"price": {"set": 1.1}}')),
  'a bare number in overrides means set');
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap07_m', overrides => '{"Price": {"mul": 2}}')$$, '22023',
  'override names "Price", which is not a feature of the model', 'overriding an unknown feature names it');
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap07_m', overrides => '{"price": {"pow": 2}}')$$, '22023',
  'override of "price" has unknown operation "pow"', 'an unknown override operation is named');
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap07_m', overrides => '{"promo": {"set": 1}}')$$, '22023', NULL,
  'a text feature is overridden with a category, not a number');
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap07_m', overrides => '[1, 2]')$$, '22023',
  'overrides must be a JSON object', 'overrides must be an object');
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap07_m', overrides => '{"price": {"set": 1, "mul": 2}}')$$, '22023',
  NULL, 'an override with two operations is refused');

-- Sensitivity: an elasticity table.
CREATE TEMP TABLE pgtap07_sens AS SELECT * FROM xb_sensitivity('pgtap07_m', 'price', ARRAY[-0.1, 0, 0.1]);
SELECT is((SELECT count(*)::int FROM pgtap07_sens), 3, 'one sensitivity row per delta');
SELECT is((SELECT relative_change FROM pgtap07_sens WHERE delta = 0), 0::float8, 'delta 0 changes nothing');
SELECT cmp_ok((SELECT elasticity FROM pgtap07_sens WHERE delta = 0.1), '<', 0::float8,
  'the price elasticity is negative');
SELECT cmp_ok((SELECT relative_change FROM pgtap07_sens WHERE delta = -0.1), '>', 0::float8,
  'a 10% lower price raises the forecast');
SELECT is((SELECT count(*)::int FROM xb_sensitivity('pgtap07_m', 'price', ARRAY[-0.1, 0.1], per_series => true)
            WHERE series LIKE 'store %'), 12, 'per_series gives one row per series and delta');
SELECT cmp_ok((SELECT mean_forecast FROM xb_sensitivity('pgtap07_m', 'price', ARRAY[0.2], relative => false)), '<',
              (SELECT avg(yhat) FROM pgtap07_base), 'an absolute delta of +0.2 lowers the mean forecast');
SELECT throws_ok($$SELECT * FROM xb_sensitivity('pgtap07_m', 'promo', ARRAY[0.1])$$, '22023', NULL,
  'sensitivity to a text feature is refused');
SELECT throws_ok($$SELECT * FROM xb_sensitivity('pgtap07_nope', 'price', ARRAY[0.1])$$, '42704', NULL,
  'sensitivity of an unknown model is refused');
SELECT throws_ok($$SELECT * FROM xb_sensitivity('pgtap07_m', 'price', ARRAY[]::float8[])$$, '22023', NULL,
  'sensitivity without deltas is refused');

-- NULL and non-finite rows: an error by default, dropped (and counted) on request.
CREATE TEMP VIEW pgtap07_holes AS
  SELECT store, week, price, promo,
         CASE WHEN extract(day FROM week)::int = 7 THEN NULL WHEN week = date '2021-01-01' THEN 'NaN' ELSE units END AS units
  FROM pgtap07_sales;
SELECT throws_ok($$SELECT xb_train_forecaster('pgtap07_h', 'pgtap07_holes', 'week', 'units', ARRAY['store'],
    ARRAY['price'], 4, 'gru', '{"epochs": 2}')$$, '22000', NULL, 'NULL targets are an error by default');
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap07_h', 'pgtap07_holes', 'week', 'units', ARRAY['store'],
    ARRAY['price'], 4, 'gru', '{"epochs": 2, "invalid": "drop"}')$$, 'invalid: drop trains on the rest');
SELECT is((SELECT (lineage->>'rows_dropped')::int FROM xb.models WHERE name = 'pgtap07_h'),
          (SELECT count(*)::int FROM pgtap07_holes WHERE units IS NULL OR units = 'NaN'),
  'the dropped rows are counted in the lineage');

-- A request too large for xb.max_train_memory is refused before it is built.
SET LOCAL xb.max_train_memory = 1;
SELECT throws_ok($$SELECT xb_train_forecaster('pgtap07_big', 'pgtap07_sales', 'week', 'units', ARRAY['store'],
    ARRAY['price', 'promo'], 4, 'gru', '{"epochs": 2, "lookback": 60, "seasonal_lag": false}')$$, '54000', NULL,
  'training tensors over xb.max_train_memory are refused up front');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap07_big'), 0, 'and leave no model row');
RESET xb.max_train_memory;

-- Explanations (issue 14, like ML.EXPLAIN_FORECAST): what each numeric
-- covariate adds, against the forecast with it at its recent mean.
CREATE TEMP TABLE pgtap07_expl AS
SELECT * FROM xb_explain_forecast('pgtap07_m', overrides => '{"price": {"set": 1.4}}');
SELECT is((SELECT count(*)::int || ' ' || string_agg(DISTINCT feature, ',') FROM pgtap07_expl), '24 price',
  'one row per store, week and numeric feature (the text one, promo, is not a number to move)');
SELECT is((SELECT count(*)::int FROM pgtap07_expl e
           JOIN xb_forecast('pgtap07_m', overrides => '{"price": {"set": 1.4}}') f USING (series, ts)
           WHERE e.yhat = f.yhat), 24, 'beside the forecast itself');
SELECT cmp_ok((SELECT avg(contribution) FROM pgtap07_expl), '<', 0::float8,
  'a price well above its usual 1.0 takes units away (the data''s price effect is -50 per unit of price)');
SELECT throws_ok($$SELECT * FROM xb_explain_forecast('pgtap07_auto_stat')$$, '42704', NULL,
  'an unknown model is refused');
-- A statistical model has no covariates: trend and seasonal rows that add up
-- to its forecast instead.
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap07_stat', 'pgtap07_sales', 'week', 'units', ARRAY['store'],
    NULL, 4, 'auto')$$, 'a statistical forecaster');
SELECT is((SELECT count(*)::int || ' ' || string_agg(DISTINCT feature, ',') FROM xb_explain_forecast('pgtap07_stat')),
          (SELECT 2 * count(*)::int || ' seasonal,trend' FROM xb_forecast('pgtap07_stat')),
  'a statistical forecast is explained by two rows per store and week, trend and seasonal');
SELECT is((SELECT count(*)::int
           FROM (SELECT series, ts, min(yhat) AS yhat, sum(contribution) AS total
                 FROM xb_explain_forecast('pgtap07_stat') GROUP BY series, ts) e
           JOIN xb_forecast('pgtap07_stat') f USING (series, ts)
           WHERE e.yhat = f.yhat AND abs(e.total - f.yhat) <= 1e-9 * abs(f.yhat)),
          (SELECT count(*)::int FROM xb_forecast('pgtap07_stat')),
  'which add up to the forecast of that store and week');

-- nets: every network architecture on the same split; the best on validation is kept.
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap07_auto', 'pgtap07_sales', 'week', 'units', ARRAY['store'],
    ARRAY['price'], 4, 'nets', '{"epochs": 3, "hidden": 16, "seed": 1}')$$, 'arch nets trains');
SELECT set_eq($$SELECT DISTINCT estimator FROM xb.model_metrics JOIN xb.models m ON m.id = model_id
                WHERE m.name = 'pgtap07_auto' AND split = 'validation'$$,
              ARRAY['model', 'seasonal_naive', 'gru', 'lstm', 'transformer', 'attention_lstm'],
  'nets records the validation metrics of every architecture');
SELECT is((SELECT lineage->>'arch_requested' FROM xb.models WHERE name = 'pgtap07_auto'), 'nets',
  'the lineage records that nets was asked for');
SELECT is((SELECT arch FROM xb.models WHERE name = 'pgtap07_auto'),
          (SELECT estimator FROM xb.model_metrics JOIN xb.models m ON m.id = model_id
            WHERE m.name = 'pgtap07_auto' AND split = 'validation' AND metric = 'wape'
              AND estimator IN ('gru', 'lstm', 'transformer', 'attention_lstm')
            ORDER BY value LIMIT 1),
  'the kept architecture has the lowest validation WAPE');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap07_auto')), 24, 'the nets model forecasts');

-- auto with covariates trains its network candidate beside the statistical
-- members ("networks": true says so too) and keeps the better on the same
-- validation points (or their equal-weight combination); the price and
-- promotion effects are visible to the network only, so here it is kept alone. Every function that reads the stored
-- options takes them as auto's, the arch that was asked for.
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap07_auto_net', 'pgtap07_sales', 'week', 'units', ARRAY['store'],
    ARRAY['price', 'promo'], 4, 'auto',
    '{"networks": true, "epochs": 60, "lookback": 8, "hidden": 32, "seed": 7, "patience": 15, "ensemble": 1}')$$,
  'auto with covariates trains its network candidate');
SELECT is((SELECT arch FROM xb.models WHERE name = 'pgtap07_auto_net'), 'gru',
  'the network beat the statistical members, which cannot see price or promotions, and is the model');
SELECT is((SELECT format('%s trials, %s chosen: %s', count(*), count(*) FILTER (WHERE chosen),
                         string_agg(t.arch, ',') FILTER (WHERE chosen))
             FROM xb.trials t JOIN xb.models m ON m.id = t.model_id WHERE m.name = 'pgtap07_auto_net'),
          '9 trials, 1 chosen: gru',
  'six statistical trials, then the three on the same points (the combination too), the network chosen');
SELECT is((SELECT format('%s: network_weight %s', t.arch, t.params->>'network_weight')
             FROM xb.trials t JOIN xb.models m ON m.id = t.model_id
            WHERE m.name = 'pgtap07_auto_net' AND t.arch LIKE '%+statistical'),
          'gru+statistical: network_weight 0.5', 'the equal-weight combination is one of them');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap07_auto_net', future_source => 'pgtap07_future')), 24,
  'it forecasts with future_source');
SELECT is((SELECT count(DISTINCT fold)::int FROM xb_backtest('pgtap07_auto_net', folds => 2, step => 4)), 2,
  'xb_backtest runs auto''s contest in each fold');
SELECT ok((SELECT count(*) > 0 FROM xb_evaluate('pgtap07_auto_net', $$
             SELECT 'store ' || s AS store, date '2020-01-03' + 7 * t AS week, 1.0::float8 AS price, 'none' AS promo,
                    100 + 5 * s + 10 * sin(2 * pi() * t / 52) AS units
             FROM generate_series(1, 6) s, generate_series(160, 163) t$$)
           WHERE estimator = 'model' AND metric = 'wape' AND series IS NULL),
  'xb_evaluate scores it on the actuals that came after');

-- Daily sales over a steep trend and a weekly wave with promotion days:
-- the statistical members follow the trend and the wave, a briefly trained
-- network the promotions, and their equal-weight combination beats both on
-- validation, so it is the model: half the network's forecast, half each
-- series' recipe's.
SELECT setseed(0.5);
CREATE TABLE pgtap07_trend AS
SELECT 'p' || k AS item, date '2021-01-01' + t AS day, promo,
       200 + 50 * k + 3 * t + 40 * sin(2 * pi() * t / 7) + 20 * promo + 4 * (random() - 0.5) AS units
FROM (SELECT k, t, (random() < 0.3)::int AS promo FROM generate_series(0, 3) k, generate_series(0, 99) t) g;
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap07_mix', 'pgtap07_trend', 'day', 'units', ARRAY['item'],
    ARRAY['promo'], 4, 'auto', '{"epochs": 10, "lookback": 8, "hidden": 16, "ensemble": 1, "seed": 3}')$$,
  'auto trains its network on the trend data');
SELECT is((SELECT m.arch || ', chosen: ' || string_agg(t.arch, ',') FILTER (WHERE t.chosen)
             FROM xb.models m JOIN xb.trials t ON t.model_id = m.id WHERE m.name = 'pgtap07_mix' GROUP BY m.arch),
          'gru+statistical, chosen: gru+statistical', 'the combination won on validation and is the model');
SELECT is((SELECT format('%s, %s recipes', i->'combination'->>'network_weight',
                         (SELECT count(*) FROM jsonb_object_keys(i->'combination'->'recipes')))
             FROM xb_model_info(xb_model_bytes('pgtap07_mix')) i),
          '0.5, 4 recipes', 'xb_model_info shows the network''s weight and each series'' recipe');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap07_mix') WHERE lo < yhat AND yhat < hi), 16,
  'it forecasts every series with an interval around the mix');
SELECT is((SELECT count(*)::int FROM xb_explain_forecast('pgtap07_mix') e
             JOIN xb_forecast('pgtap07_mix') f USING (series, ts) WHERE e.yhat = f.yhat), 16,
  'its explanation explains the mixed forecast');
SELECT ok((SELECT count(*) = 4 AND bool_and(wape >= 0) FROM xb_backtest('pgtap07_mix', folds => 1)
            WHERE estimator = 'model'),
  'xb_backtest scores what the fold chose, step by step');

-- A learned per-series embedding.
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap07_emb', 'pgtap07_sales', 'week', 'units', ARRAY['store'],
    ARRAY['price'], 4, 'gru', '{"epochs": 3, "series_embedding": 4}')$$, 'a series embedding trains');
SELECT is((SELECT (hyperparameters->>'series_embedding')::int FROM xb.models WHERE name = 'pgtap07_emb'), 4,
  'its size is recorded');
SELECT is((SELECT count(DISTINCT series)::int FROM xb_forecast('pgtap07_emb')), 6,
  'the embedding model forecasts every series');

-- A 0/1 flag that recurs every 52 weeks (a holiday, +80 units) is not known
-- for the future: it takes its value from one season earlier, so the
-- holiday three weeks after the data is flagged, not erased. The data end
-- at week 200 (200 % 52 = 44); the holiday falls on week 203.
CREATE TEMP TABLE pgtap07_hol AS
  SELECT s AS store, date '2020-01-03' + 7 * t AS week, (t % 52 = 47)::int AS holiday,
         100 + 5 * s + 80 * (t % 52 = 47)::int + (t * 7 % 5) AS units
  FROM generate_series(1, 4) s, generate_series(0, 200) t;
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap07_hol', 'pgtap07_hol', 'week', 'units', ARRAY['store'],
    ARRAY['holiday'], 8, 'gru', '{"epochs": 3, "lookback": 8, "hidden": 8, "seasonal_lag": true, "seed": 2}')$$,
  'a GRU with a holiday flag and the seasonal lag (it keeps a season of history)');
CREATE TEMP TABLE pgtap07_hol_future AS
  SELECT s AS store, date '2020-01-03' + 7 * t AS week, flag AS holiday
  FROM generate_series(1, 4) s, generate_series(201, 208) t, generate_series(0, 1) flag;
CREATE TEMP TABLE pgtap07_hol_default AS SELECT * FROM xb_forecast('pgtap07_hol');
SELECT is((SELECT max(abs(d.yhat - g.yhat)) FROM pgtap07_hol_default d JOIN xb_forecast('pgtap07_hol',
             future_source => 'SELECT * FROM pgtap07_hol_future WHERE holiday = ((week - date ''2020-01-03'') / 7 % 52 = 47)::int') g
             USING (series, ts)), 0::float8,
  'without future_source the flag is 1 on the holiday week and 0 elsewhere, as last year');
SELECT cmp_ok((SELECT max(abs(d.yhat - z.yhat)) FROM pgtap07_hol_default d JOIN xb_forecast('pgtap07_hol',
                 future_source => 'SELECT * FROM pgtap07_hol_future WHERE holiday = 0') z USING (series, ts)), '>', 0::float8,
  'which is not what carrying the last value (0) forward gives');

SELECT * FROM finish();
ROLLBACK;
