-- Bad input to the classifier and regressor functions: each fails with its
-- SQLSTATE, a message naming the culprit and a hint, and leaves xb.models,
-- xb.model_metrics and xb.training_log as they were.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(106);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql
\ir walmart.psql

CREATE FUNCTION pg_temp.catalog_counts() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT format('models=%s model_metrics=%s training_log=%s',
                (SELECT count(*) FROM xb.models), (SELECT count(*) FROM xb.model_metrics),
                (SELECT count(*) FROM xb.training_log)) $$;

-- The error's SQLSTATE, message and hint, or NULLs when the statement succeeds.
CREATE FUNCTION pg_temp.error_of(stmt text, OUT code text, OUT message text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
END $$;

-- fails(statement, sqlstate, message LIKE pattern, description): the SQLSTATE,
-- the message, a hint, and the catalog counts unchanged (four tests).
CREATE FUNCTION pg_temp.fails(stmt text, want_code text, msg_like text, descr text)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  before text := pg_temp.catalog_counts();
  e record := pg_temp.error_of(stmt);
BEGIN
  RETURN NEXT is(e.code, want_code, descr || ': SQLSTATE ' || want_code);
  RETURN NEXT ok(e.message LIKE msg_like, descr || ': the message names it (' || coalesce(e.message, 'no error') || ')');
  RETURN NEXT ok(coalesce(e.hint, '') <> '', descr || ': a hint');
  RETURN NEXT is(pg_temp.catalog_counts(), before, descr || ': the xb catalog tables are unchanged');
END $$;

SELECT lives_ok($$SELECT xb_train_classifier('pgtap13_reco', 'dresses', 'recommendation', ARRAY['style', 'rating'],
                                             '{"epochs": 2, "hidden": [8]}')$$, 'a classifier to score with');
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap13_fc', 'SELECT * FROM walmart WHERE store = 1', 'date', 'weekly_sales',
                                             NULL, NULL, 4, 'gru', '{"epochs": 1, "hidden": 4}')$$, 'a forecaster');

-- Unknown things
SELECT pg_temp.fails($$SELECT xb_recommend('pgtap13_none', '{"style": "x"}'::jsonb)$$, '42704', '%pgtap13_none%',
                     'xb_recommend of an unknown model');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'pgtap13_no_table', 'recommendation', ARRAY['style'])$$,
                     '42P01', '%pgtap13_no_table%', 'an unknown source');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'no_label', ARRAY['style'])$$,
                     '42703', '%no_label%', 'an unknown label column');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY['style', 'no_feature'])$$,
                     '42703', '%no_feature%', 'an unknown feature column');
SELECT pg_temp.fails($$SELECT xb_feature_importance('pgtap13_none')$$, '42704', '%pgtap13_none%',
                     'importance of an unknown model');
-- Wrong kind of model
SELECT pg_temp.fails($$SELECT xb_recommend('pgtap13_fc', d) FROM dresses d LIMIT 1$$, '22023', '%forecaster%',
                     'xb_recommend on a forecaster');
SELECT pg_temp.fails($$SELECT * FROM xb_score('pgtap13_fc', 'dresses', 'row_no')$$, '22023', '%forecaster%',
                     'xb_score on a forecaster');
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap13_reco')$$, '22023', '%classifier%',
                     'xb_forecast on a classifier');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY['style'],
                                                  '{"init_from": "pgtap13_fc"}')$$, '22023', '%forecaster%',
                     'init_from a forecaster');
-- Labels and targets
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'SELECT * FROM dresses WHERE recommendation = 1',
                                                  'recommendation', ARRAY['style'])$$, '22000', '%only one class%',
                     'a label with one class only');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'SELECT style, NULLIF(recommendation, 1) AS r FROM dresses',
                                                  'r', ARRAY['style'])$$, '22000', '%"r" is NULL%', 'a NULL label');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'rating', ARRAY['style'])$$, '42804',
                     '%"rating" must be boolean, integer or text%', 'a float label');
SELECT pg_temp.fails($$SELECT xb_train_regressor('pgtap13_e', 'dresses', 'style', ARRAY['price'])$$, '42804',
                     '%"style" must be numeric%', 'a text target');
SELECT pg_temp.fails($$SELECT xb_train_regressor('pgtap13_e', 'SELECT style, ''NaN''::float8 AS y FROM dresses', 'y', ARRAY['style'])$$,
                     '22000', '%not finite%', 'a NaN target');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'SELECT style, now() AS t, recommendation FROM dresses',
                                                  'recommendation', ARRAY['style', 't'])$$, '42804', '%"t"%',
                     'a timestamp feature');
-- Options
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY['style'], '{"epoch": 3}')$$,
                     '22023', '%unknown option "epoch"%', 'an unknown option key');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY['style'], '{"hidden": [32, -1]}')$$,
                     '22023', '%"hidden"%', 'hidden not an array of positive integers');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY['style'], '{"hidden": 32}')$$,
                     '22023', '%"hidden"%', 'hidden not an array');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY['style'], '{"encoding": "hash"}')$$,
                     '22023', '%"encoding"%', 'an unknown encoding');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY['style'], '{"preset": "keras"}')$$,
                     '22023', '%"preset"%', 'an unknown preset');
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY['style'], '{"positive_class": "7"}')$$,
                     '22023', '%positive_class%', 'a positive class that is not a class');
SELECT pg_temp.fails($$SELECT xb_train_regressor('pgtap13_e', 'dresses', 'rating', ARRAY['style'], '{"class_weights": "balanced"}')$$,
                     '22023', '%unknown option "class_weights"%', 'a classifier option for a regressor');
-- Arguments and rows
SELECT pg_temp.fails($$SELECT xb_train_classifier('pgtap13_e', 'dresses', 'recommendation', ARRAY[]::text[])$$,
                     '22023', '%feature_cols%', 'no feature columns');
SELECT pg_temp.fails($$SELECT xb_predict('pgtap13_reco', 42)$$, '42804', '%table row or jsonb%', 'a row that is not a row');
SELECT pg_temp.fails($$SELECT xb_recommend('pgtap13_reco', '{"style": "sexy"}'::jsonb)$$, '42703', '%"rating"%',
                     'a jsonb row missing a feature');
SELECT pg_temp.fails($$SELECT xb_recommend('pgtap13_reco', '{"style": "sexy", "rating": "high"}'::jsonb)$$, '42804',
                     '%"rating" must be a number%', 'a word for a number');

SELECT * FROM finish();
ROLLBACK;
