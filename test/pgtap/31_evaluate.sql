-- xb_evaluate (issue 14, "what BigQuery ML users reach for"): a deployed
-- model scored on rows it has not seen, without retraining, kept as split
-- 'evaluation' in xb.model_metrics. A forecaster on Walmart, trained on the
-- weeks to 2012-07-27 and scored on the 13 weeks after, per store and for
-- all; a classifier and a regressor on the dresses they were not trained
-- on. Every figure is checked against the same figure computed here in SQL
-- from xb_forecast or xb_score.
-- Roles are created inside the transaction, which is rolled back.
\ir preamble.psql

SELECT plan(38);
SET LOCAL xb.progress_every = 0;

\ir walmart.psql
-- Regular tables: the roles below read them with their own rights.
CREATE TABLE pgtap31_sales AS SELECT store, date, weekly_sales FROM walmart;
CREATE TABLE pgtap31_history AS SELECT * FROM pgtap31_sales WHERE date <= date '2012-07-27';
CREATE TABLE pgtap31_to_august AS SELECT * FROM pgtap31_sales WHERE date <= date '2012-08-31';
CREATE ROLE pgtap31_owner;
CREATE ROLE pgtap31_manager;
CREATE ROLE pgtap31_user;
GRANT SELECT ON pgtap31_sales, pgtap31_history TO pgtap31_owner;
GRANT SELECT ON pgtap31_to_august TO pgtap31_manager;

SELECT pg_temp.as_role('pgtap31_owner', $$SELECT xb_train_forecaster('pgtap31_fc', 'pgtap31_history', 'date',
  'weekly_sales', ARRAY['store'], horizon => 13, arch => 'stlf')$$);
SELECT pg_temp.as_role('pgtap31_owner', $$SELECT xb_grant('pgtap31_fc', 'pgtap31_manager', 'manage')$$);
SELECT pg_temp.as_role('pgtap31_owner', $$SELECT xb_grant('pgtap31_fc', 'pgtap31_user', 'use')$$);

-- The forecast and the actuals, joined here, for the figures below.
CREATE TEMP TABLE pgtap31_pairs AS
SELECT f.series, f.ts::date AS date, f.yhat, f.lo, f.hi, s.weekly_sales AS actual, a.weekly_sales AS year_ago
FROM xb_forecast('pgtap31_fc') f
JOIN pgtap31_sales s ON s.store::text = f.series AND s.date = f.ts::date
JOIN pgtap31_sales a ON a.store = s.store AND a.date = s.date - 364;

SET LOCAL ROLE pgtap31_owner;
CREATE TEMP TABLE pgtap31_eval AS SELECT * FROM xb_evaluate('pgtap31_fc', 'pgtap31_sales');
RESET ROLE;

SELECT is((SELECT value FROM pgtap31_eval WHERE series IS NULL AND estimator = 'model' AND metric = 'points'),
  (SELECT count(*)::float8 FROM pgtap31_pairs), 'every forecast point with an actual is scored: 45 stores x 13 weeks');
SELECT is((SELECT count(*)::int FROM pgtap31_pairs), 585, 'which is 585 points');
SELECT cmp_ok((SELECT abs(value - (SELECT sum(abs(yhat - actual)) / sum(abs(actual)) FROM pgtap31_pairs))
               FROM pgtap31_eval WHERE series IS NULL AND estimator = 'model' AND metric = 'wape'), '<', 1e-12::float8,
  'the overall WAPE is the forecast''s against the actuals');
SELECT cmp_ok((SELECT value FROM pgtap31_eval WHERE series IS NULL AND estimator = 'model' AND metric = 'wape'),
  '<', 0.036::float8, 'and beats the bar of the default on this split (STL + ETS: 0.0330)');
SELECT cmp_ok((SELECT abs(value - (SELECT sum(abs(year_ago - actual)) / sum(abs(actual)) FROM pgtap31_pairs))
               FROM pgtap31_eval WHERE series IS NULL AND estimator = 'seasonal_naive' AND metric = 'wape'),
  '<', 1e-12::float8, 'seasonal naive is the same week a year earlier (0.0513)');
SELECT cmp_ok((SELECT abs(value - (SELECT avg((actual BETWEEN lo AND hi)::int) FROM pgtap31_pairs))
               FROM pgtap31_eval WHERE series IS NULL AND estimator = 'model' AND metric = 'coverage'),
  '<', 1e-12::float8, 'coverage is the share of actuals inside the interval');
SELECT is((SELECT count(DISTINCT series)::int FROM pgtap31_eval WHERE series IS NOT NULL), 45, 'a row set per store');
SELECT cmp_ok((SELECT max(abs(e.value - p.mae)) FROM pgtap31_eval e
               JOIN (SELECT series, avg(abs(yhat - actual)) AS mae FROM pgtap31_pairs GROUP BY series) p USING (series)
               WHERE e.metric = 'mae' AND e.estimator = 'model'), '<', 1e-6::float8, 'each store''s MAE is its own');
SELECT is((SELECT string_agg(estimator || ':' || metric || '=' || round(value::numeric, 6), ' ' ORDER BY estimator, metric)
           FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap31_fc' AND split = 'evaluation'),
          (SELECT string_agg(estimator || ':' || metric || '=' || round(value::numeric, 6), ' ' ORDER BY estimator, metric)
           FROM pgtap31_eval WHERE series IS NULL),
  'the overall rows are kept in xb.model_metrics as split evaluation');

-- Again on fewer weeks: the version's evaluation rows are replaced, not added.
SELECT pg_temp.as_role('pgtap31_manager',
  $$SELECT count(*) FROM xb_evaluate('pgtap31_fc', 'pgtap31_to_august')$$);
SELECT is((SELECT value FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap31_fc' AND split = 'evaluation' AND estimator = 'model' AND metric = 'points'),
  45 * 5::float8, 'a manager''s evaluation on five weeks replaces the rows');
SELECT is((SELECT count(*)::int FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap31_fc' AND split = 'evaluation'),
  (SELECT count(*)::int FROM pgtap31_eval WHERE series IS NULL), 'with as many rows as before');

-- Rights and bad input change nothing.
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap31_user', 'SELECT count(*) FROM xb_evaluate(''pgtap31_fc'', ''pgtap31_sales'')')$$,
  '42501', NULL, 'use is not enough: an evaluation writes the version''s metrics');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap31_manager', 'SELECT count(*) FROM xb_evaluate(''pgtap31_fc'', ''pgtap31_sales'')')$$,
  '42501', NULL, 'the source is read with the caller''s rights (no SELECT on it)');
SELECT throws_ok($$SELECT count(*) FROM xb_evaluate('pgtap31_fc', 'pgtap31_history')$$, '22023',
  'no row of the source has an actual in the model''s forecast',
  'a source with nothing after the training is an error');
SELECT throws_ok($$SELECT count(*) FROM xb_evaluate('pgtap31_fc', 'pgtap31_sales', 7)$$, '42704',
  'model "pgtap31_fc" has no version 7', 'an unknown version is an error naming it');
SELECT throws_ok($$SELECT count(*) FROM xb_evaluate('pgtap31_fc', NULL)$$, '22023', 'source must not be NULL',
  'a NULL source is an error');
SELECT is((SELECT value FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap31_fc' AND split = 'evaluation' AND estimator = 'model' AND metric = 'points'),
  45 * 5::float8, 'and none of them changed the stored evaluation');
SELECT ok((SELECT value FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap31_fc' AND split = 'test' AND estimator = 'model' AND metric = 'wape') IS NOT NULL,
  'the test split''s metrics stay beside it');

-- ---------------------------------------------------------------------------
-- An export carries its version's metrics; an import shows them as the blob
-- reports them (in its lineage, not in xb.model_metrics) until xb_evaluate
-- measures it here, and may name the time, target and series columns that
-- xb_evaluate (and future_source) read.
CREATE TEMP TABLE pgtap31_blob AS SELECT xb_model_bytes('pgtap31_fc') AS b;
SELECT is((SELECT (r->>'value')::float8 FROM jsonb_array_elements(xb_model_info((SELECT b FROM pgtap31_blob))->'reported_metrics') r
           WHERE r->>'split' = 'test' AND r->>'estimator' = 'model' AND r->>'metric' = 'wape'),
          (SELECT value FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap31_fc' AND split = 'test' AND estimator = 'model' AND metric = 'wape'),
  'the exported blob carries the test WAPE (and the evaluation) of its version');
SELECT throws_ok($$SELECT xb_model_load('pgtap31_half', (SELECT b FROM pgtap31_blob), time_col => 'date')$$, '22023',
  'name the forecaster''s time_col and target_col together, series_cols with them', 'a time column alone is refused');
SELECT xb_model_load('pgtap31_copy', (SELECT b FROM pgtap31_blob), time_col => 'date', target_col => 'weekly_sales',
                     series_cols => ARRAY['store']) IS NOT NULL AS imported;
SELECT is((SELECT format('%s %s %s %s', source, time_col, target_col, series_cols) FROM xb.models WHERE name = 'pgtap31_copy'),
  '(imported) date weekly_sales {store}', 'the import keeps the columns it was told');
SELECT is((SELECT count(*)::int FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id WHERE m.name = 'pgtap31_copy'),
  0, 'nothing measured here yet: no metric rows ...');
SELECT is((SELECT lineage->>'metrics' FROM xb.models WHERE name = 'pgtap31_copy'),
  'reported by the blob, not measured here; xb_evaluate measures them', '... and the lineage says whose figures it holds');
SELECT ok((SELECT jsonb_array_length(lineage->'reported_metrics') > 20 FROM xb.models WHERE name = 'pgtap31_copy'),
  'the reported metrics are in the lineage');
SELECT is((SELECT value FROM xb_evaluate('pgtap31_copy', 'pgtap31_to_august') WHERE series IS NULL AND estimator = 'model' AND metric = 'wape'),
          (SELECT value FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap31_fc' AND split = 'evaluation' AND estimator = 'model' AND metric = 'wape'),
  'xb_evaluate measures the import here: the same WAPE as the original on the same weeks');
SELECT is((SELECT scored_on || ' ' || (abs(model_score - baseline_score) >= 0)::text FROM xb.model_summary WHERE name = 'pgtap31_copy'),
  'evaluation true', 'xb.model_summary then shows the import''s measured scores, from its evaluation');
SELECT throws_ok($$SELECT * FROM xb_backtest('pgtap31_copy')$$, '22023',
  'model "pgtap31_copy" was imported and has no training source to retrain on',
  'an import told its columns still has no source to backtest on: a clean error');
SELECT xb_model_load('pgtap31_bare', (SELECT b FROM pgtap31_blob)) IS NOT NULL AS imported;
SELECT throws_ok($$SELECT count(*) FROM xb_evaluate('pgtap31_bare', 'pgtap31_sales')$$, '22023',
  'model "pgtap31_bare" was imported and does not know its time and target columns',
  'an import that was not told its columns cannot be evaluated: a clean error');
SELECT throws_ok($$SELECT xb_model_load('pgtap31_half', (SELECT b FROM pgtap31_blob), target_col => 'weekly_sales')$$,
  '22023', 'name the forecaster''s time_col and target_col together, series_cols with them', 'a target without a time column is refused');

-- A model of one series (no series columns): its own rows (series '') and
-- the overall ones (series NULL) side by side.
SELECT xb_train_forecaster('pgtap31_store1', 'SELECT date, weekly_sales FROM pgtap31_history WHERE store = 1', 'date',
  'weekly_sales', horizon => 13, arch => 'snaive') IS NOT NULL AS trained;
SELECT is((SELECT count(*) FILTER (WHERE series IS NULL) || ' ' || count(*) FILTER (WHERE series = '')
           FROM xb_evaluate('pgtap31_store1', 'SELECT date, weekly_sales FROM pgtap31_sales WHERE store = 1')),
  '19 19', 'a model of one series: its rows and the overall ones, model and seasonal naive');

-- ---------------------------------------------------------------------------
-- A classifier and a regressor: trained on the first 400 dresses, scored on the other 100.
\ir ../../scripts/dresses.psql
SELECT xb_train_classifier('pgtap31_reco', 'SELECT * FROM dresses WHERE row_no <= 400', 'recommendation',
  ARRAY['style', 'price', 'rating', 'season'], '{"epochs": 20, "seed": 3}') IS NOT NULL AS trained;
SET LOCAL client_min_messages = error;  -- the rating is barely predictable: its WARNING says so
SELECT xb_train_regressor('pgtap31_rating', 'SELECT * FROM dresses WHERE row_no <= 400', 'rating',
  ARRAY['style', 'price', 'season'], '{"epochs": 20, "seed": 3}') IS NOT NULL AS trained;
SET LOCAL client_min_messages = warning;
CREATE TEMP VIEW pgtap31_unseen AS SELECT * FROM dresses WHERE row_no > 400;
CREATE TEMP TABLE pgtap31_scored AS
SELECT d.recommendation, s.label, s.probability FROM xb_score('pgtap31_reco', 'pgtap31_unseen', 'row_no') s
JOIN dresses d ON d.row_no = s.key::int;
CREATE TEMP TABLE pgtap31_reco_eval AS SELECT * FROM xb_evaluate('pgtap31_reco', 'pgtap31_unseen');

SELECT is((SELECT value FROM pgtap31_reco_eval WHERE estimator = 'model' AND metric = 'rows'), 100::float8,
  'the classifier is scored on the 100 dresses it was not trained on');
SELECT cmp_ok((SELECT abs(value - (SELECT avg((label::int = recommendation)::int) FROM pgtap31_scored))
               FROM pgtap31_reco_eval WHERE estimator = 'model' AND metric = 'accuracy'), '<', 1e-12::float8,
  'its accuracy is the share of xb_score''s labels that are right');
SELECT cmp_ok((SELECT abs(value - (SELECT -avg(ln(CASE recommendation WHEN 1 THEN probability ELSE 1 - probability END))
                                   FROM pgtap31_scored))
               FROM pgtap31_reco_eval WHERE estimator = 'model' AND metric = 'log_loss'), '<', 1e-9::float8,
  'its log loss is that of xb_score''s probabilities');
SELECT is((SELECT string_agg(DISTINCT estimator, ',' ORDER BY estimator) FROM xb.model_metrics mm
           JOIN xb.models m ON m.id = mm.model_id WHERE m.name = 'pgtap31_reco' AND split = 'evaluation'),
  'majority,model', 'kept beside the majority class (the training rows'' shares)');
SELECT cmp_ok((SELECT abs(value - (SELECT sqrt(avg((s.value - d.rating) ^ 2))
                                   FROM xb_score('pgtap31_rating', 'pgtap31_unseen', 'row_no') s
                                   JOIN dresses d ON d.row_no = s.key::int))
               FROM xb_evaluate('pgtap31_rating', 'pgtap31_unseen') WHERE estimator = 'model' AND metric = 'rmse'),
  '<', 1e-9::float8, 'a regressor''s RMSE is that of xb_score''s values');
SELECT is((SELECT value FROM xb_evaluate('pgtap31_reco',
             'SELECT row_no, style, price, rating, season, CASE WHEN row_no = 401 THEN 7 ELSE recommendation END AS recommendation
              FROM pgtap31_unseen') WHERE estimator = 'model' AND metric = 'rows'), 99::float8,
  'a row of a class the model does not know is left out (and counted in a NOTICE)');
SELECT throws_ok($$SELECT count(*) FROM xb_evaluate('pgtap31_reco',
                     'SELECT style, price, rating, season, recommendation::text AS recommendation FROM pgtap31_unseen')$$,
  '42804', NULL, 'a label of another type than the training''s is an error');
SELECT throws_ok($$SELECT xb_model_load('pgtap31_reco_copy', xb_model_bytes('pgtap31_reco'), time_col => 'day')$$,
  '22023', 'a classifier or regressor has no time or series columns', 'a classifier import takes no time column');

SELECT * FROM finish();
ROLLBACK;
