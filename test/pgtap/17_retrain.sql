-- CALL xb_retrain(name): the deployed version's stored spec rerun on the
-- source's current rows; the new version kept only if it scores no worse
-- (or always, by option): a forecaster's two versions on the same newest
-- points. Runs in one transaction, rolled back.
\ir preamble.psql

SELECT plan(29);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql
\ir walmart.psql

CREATE FUNCTION pg_temp.deployed(model text) RETURNS int LANGUAGE sql STABLE AS $$
  SELECT version FROM xb.models WHERE name = model AND deployed $$;
CREATE FUNCTION pg_temp.versions(model text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(version || ':' || status, ' ' ORDER BY version) FROM xb.models WHERE name = model $$;
-- The retrain comparison of a version: "deployed:points:chosen new:points:chosen".
CREATE FUNCTION pg_temp.compared(model text, v int) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(concat_ws(':', t.params->>'retrain', t.params->>'points', t.chosen::text), ' ' ORDER BY t.trial)
  FROM xb.trials t JOIN xb.models m ON m.id = t.model_id
  WHERE m.name = model AND m.version = v AND t.params ? 'retrain' $$;
CREATE FUNCTION pg_temp.compared_scores(model text, v int) RETURNS float8[] LANGUAGE sql STABLE AS $$
  SELECT array_agg(t.validation_score ORDER BY t.trial)
  FROM xb.trials t JOIN xb.models m ON m.id = t.model_id
  WHERE m.name = model AND m.version = v AND t.params ? 'retrain' $$;

-- A forecaster on the first 120 weeks of three stores; the rest arrives later.
CREATE TEMP TABLE sales AS SELECT * FROM walmart WHERE store <= 3 AND date < DATE '2012-06-01';
SELECT xb_train_forecaster('pgtap17_auto', 'sales', 'date', 'weekly_sales', ARRAY['store'], horizon => 4);
SELECT xb_train_forecaster('pgtap17_fc', 'sales', 'date', 'weekly_sales', ARRAY['store'], ARRAY['temperature'], 4, 'gru',
                           '{"epochs": 2, "lookback": 8, "hidden": 8, "seed": 5}');

SELECT lives_ok($$CALL xb_retrain('pgtap17_fc')$$, 'a forecaster retrains on the same rows');
SELECT is(pg_temp.versions('pgtap17_fc'), '1:trained 2:trained', 'as version 2');
SELECT is(pg_temp.deployed('pgtap17_fc'), 2, 'the same spec, rows and seed are not worse: version 2 is deployed');
SELECT is(pg_temp.compared('pgtap17_fc', 2), 'deployed:12:false new:12:true',
          'both versions forecast the last 4 weeks of the 3 stores, in the new version''s xb.trials');
SELECT ok((SELECT s[1] = s[2] FROM pg_temp.compared_scores('pgtap17_fc', 2) s),
          'the same spec, rows and seed score the same there');
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

-- Stored test metrics do not decide: a deployed version whose recorded test
-- MASE is 0 is still compared on the newest points.
UPDATE xb.model_metrics mm SET value = 0 FROM xb.models m
WHERE m.id = mm.model_id AND m.name = 'pgtap17_fc' AND m.deployed AND mm.split = 'test' AND mm.estimator = 'model'
  AND mm.metric = 'mase';
-- The source's first year becomes a thousand times larger (a bad load): the
-- new version learns its scale from it, the deployed one forecasts the same
-- last 4 weeks from the same recent weeks and is better; the new one is kept
-- as a rejected row and the old one stays deployed.
UPDATE sales SET weekly_sales = weekly_sales * 1000 WHERE date < DATE '2011-01-01';
SELECT lives_ok($$CALL xb_retrain('pgtap17_fc')$$, 'retraining on a bad load');
SELECT is(pg_temp.versions('pgtap17_fc'), '1:trained 2:trained 3:trained 4:rejected',
          'the worse version is recorded as rejected');
SELECT is(pg_temp.deployed('pgtap17_fc'), 3, 'and the better one stays deployed');
SELECT is(pg_temp.compared('pgtap17_fc', 4), 'deployed:12:true new:12:false',
          'xb.trials says which version won on the same points');
SELECT is((SELECT string_agg(DISTINCT (t.params->>'from') || ' ' || (t.params->>'to') || ' ' || t.validation_metric, ',')
           FROM xb.trials t JOIN xb.models m ON m.id = t.model_id
           WHERE m.name = 'pgtap17_fc' AND m.version = 4 AND t.params ? 'retrain'),
          '2012-10-05 00:00:00 2012-10-26 00:00:00 mase', 'the newest 4 weeks, scored by MASE');
SELECT lives_ok($$CALL xb_retrain('pgtap17_fc', keep => 'always')$$, 'keep => always');
SELECT is(pg_temp.deployed('pgtap17_fc'), 5, 'deploys the new version whatever its score');
SELECT is(pg_temp.compared('pgtap17_fc', 5), 'deployed:12:false new:12:true', 'and xb.trials says it was kept');
UPDATE sales SET weekly_sales = weekly_sales / 1000 WHERE date < DATE '2011-01-01';

-- The statistical default, trained on the first 120 weeks: its recipes
-- refitted on the history before the newest points, the deployed version's
-- and the new one's.
SELECT lives_ok($$CALL xb_retrain('pgtap17_auto')$$, 'the default forecaster retrains');
SELECT ok((SELECT c = 'deployed:12:' || (NOT s[2] <= s[1]) || ' new:12:' || (s[2] <= s[1])
           FROM pg_temp.compared('pgtap17_auto', 2) c, pg_temp.compared_scores('pgtap17_auto', 2) s),
          'and is compared the same way, the lower MASE chosen');

-- Classifiers and regressors rerun their own training functions.
SELECT xb_train_classifier('pgtap17_reco', 'dresses', 'recommendation', ARRAY['style', 'price', 'season'],
                           '{"epochs": 4, "hidden": [8], "seed": 1}');
SELECT lives_ok($$CALL xb_retrain('pgtap17_reco')$$, 'a classifier retrains');
SELECT is((SELECT format('%s %s %s %s', kind, target_col, feature_cols, options->>'seed') FROM xb.models
           WHERE name = 'pgtap17_reco' AND version = 2),
          'classifier recommendation {style,price,season} 1', 'with its label, features and options');
SELECT matches(pg_temp.compared('pgtap17_reco', 2), '^deployed:([0-9]+):false new:\1:true$',
               'both versions are scored on the same rows of the new test split');
SELECT xb_train_regressor('pgtap17_units', 'dress_totals', 'units', ARRAY['style', 'price'], '{"epochs": 4, "hidden": [8]}');
SELECT lives_ok($$CALL xb_retrain('pgtap17_units')$$, 'a regressor retrains');
SELECT ok((SELECT s[1] = s[2] AND c ~ '^deployed:[0-9]+:false new:[0-9]+:true$'
           FROM pg_temp.compared('pgtap17_units', 2) c, pg_temp.compared_scores('pgtap17_units', 2) s),
          'on the same rows, with the same score when nothing changed');

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
