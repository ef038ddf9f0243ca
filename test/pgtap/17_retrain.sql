-- CALL xb_retrain(name): the deployed version's stored spec rerun on the
-- source's current rows; the new version kept only if its key test metric is
-- not worse (or always, by option). Runs in one transaction, rolled back.
\ir preamble.psql

SELECT plan(20);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql
\ir walmart.psql

CREATE FUNCTION pg_temp.deployed(model text) RETURNS int LANGUAGE sql STABLE AS $$
  SELECT version FROM xb.models WHERE name = model AND deployed $$;
CREATE FUNCTION pg_temp.versions(model text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(version || ':' || status, ' ' ORDER BY version) FROM xb.models WHERE name = model $$;

-- A forecaster on the first 120 weeks of three stores; the rest arrives later.
CREATE TEMP TABLE sales AS SELECT * FROM walmart WHERE store <= 3 AND date < DATE '2012-06-01';
SELECT xb_train_forecaster('pgtap17_fc', 'sales', 'date', 'weekly_sales', ARRAY['store'], ARRAY['temperature'], 4, 'gru',
                           '{"epochs": 2, "lookback": 8, "hidden": 8, "seed": 5}');

SELECT lives_ok($$CALL xb_retrain('pgtap17_fc')$$, 'a forecaster retrains on the same rows');
SELECT is(pg_temp.versions('pgtap17_fc'), '1:trained 2:trained', 'as version 2');
SELECT is(pg_temp.deployed('pgtap17_fc'), 2, 'the same spec, rows and seed are not worse: version 2 is deployed');
SELECT is((SELECT format('%s %s %s %s %s %s %s', source, time_col, target_col, series_cols, feature_cols, horizon, options)
           FROM xb.models WHERE name = 'pgtap17_fc' AND version = 2),
          (SELECT format('%s %s %s %s %s %s %s', source, time_col, target_col, series_cols, feature_cols, horizon, options)
           FROM xb.models WHERE name = 'pgtap17_fc' AND version = 1),
          'version 2 has version 1''s spec');

INSERT INTO sales SELECT * FROM walmart WHERE store <= 3 AND date >= DATE '2012-06-01';
SELECT lives_ok($$CALL xb_retrain('pgtap17_fc', keep => 'always')$$, 'retraining on new rows');
SELECT is((SELECT train_rows FROM xb.models WHERE name = 'pgtap17_fc' AND version = 3), 3 * 143::bigint,
          'reads the source''s current rows');
SELECT is((SELECT max(ts) FROM xb_forecast('pgtap17_fc')), TIMESTAMP '2012-11-23',
          'and forecasts from their end');

-- A deployed version that scores better than any retraining can: the new one
-- is kept as a rejected row and the old one stays deployed.
UPDATE xb.model_metrics mm SET value = 0 FROM xb.models m
WHERE m.id = mm.model_id AND m.name = 'pgtap17_fc' AND m.deployed AND mm.split = 'test' AND mm.estimator = 'model'
  AND mm.metric = 'mase';
SELECT lives_ok($$CALL xb_retrain('pgtap17_fc')$$, 'retraining against a better deployed version');
SELECT is(pg_temp.versions('pgtap17_fc'), '1:trained 2:trained 3:trained 4:rejected',
          'the worse version is recorded as rejected');
SELECT is(pg_temp.deployed('pgtap17_fc'), 3, 'and the better one stays deployed');
SELECT lives_ok($$CALL xb_retrain('pgtap17_fc', keep => 'always')$$, 'keep => always');
SELECT is(pg_temp.deployed('pgtap17_fc'), 5, 'deploys the new version whatever its score');

-- Classifiers and regressors rerun their own training functions.
SELECT xb_train_classifier('pgtap17_reco', 'dresses', 'recommendation', ARRAY['style', 'price', 'season'],
                           '{"epochs": 4, "hidden": [8], "seed": 1}');
SELECT lives_ok($$CALL xb_retrain('pgtap17_reco')$$, 'a classifier retrains');
SELECT is((SELECT format('%s %s %s %s', kind, target_col, feature_cols, options->>'seed') FROM xb.models
           WHERE name = 'pgtap17_reco' AND version = 2),
          'classifier recommendation {style,price,season} 1', 'with its label, features and options');
SELECT xb_train_regressor('pgtap17_units', 'dress_totals', 'units', ARRAY['style', 'price'], '{"epochs": 4, "hidden": [8]}');
SELECT lives_ok($$CALL xb_retrain('pgtap17_units')$$, 'a regressor retrains');

-- Errors change nothing.
SELECT throws_ok($$CALL xb_retrain('pgtap17_nope')$$, '42704', 'model "pgtap17_nope" does not exist',
                 'an unknown model is a clean error');
SELECT throws_ok($$CALL xb_retrain('pgtap17_fc', keep => 'sometimes')$$, '22023',
                 'keep must be ''better'' or ''always'', not ''sometimes''', 'an unknown keep is a clean error');
SELECT xb_model_load('pgtap17_copy', xb_model_bytes('pgtap17_reco'));
SELECT throws_ok($$CALL xb_retrain('pgtap17_copy')$$, '55000',
                 'model "pgtap17_copy" was imported and has no training source to retrain on',
                 'an imported model cannot retrain');
DROP TABLE sales;
SELECT throws_ok($$CALL xb_retrain('pgtap17_fc')$$, '42P01', NULL, 'a source that is gone is the training''s error');
SELECT is(pg_temp.versions('pgtap17_fc'), '1:trained 2:trained 3:trained 4:rejected 5:trained',
          'and the failed retrainings added nothing');

SELECT * FROM finish();
ROLLBACK;
