-- xb.forecasts and xb_refresh_forecasts(name): materialized forecasts of the
-- deployed version, for dashboards. Runs in one transaction, rolled back.
\ir preamble.psql

SELECT plan(18);

SET LOCAL xb.progress_every = 0;

\ir walmart.psql
\ir ../../scripts/dresses.psql

CREATE TEMP TABLE three AS SELECT * FROM walmart WHERE store <= 3;
SELECT xb_train_forecaster('pgtap18_fc', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'gru',
                           '{"epochs": 2, "lookback": 8, "hidden": 8, "seed": 1}');

SELECT is(xb_refresh_forecasts('pgtap18_fc'), 12::bigint, 'a refresh writes 3 series x 4 steps');
SELECT results_eq($$SELECT series, ts, yhat, lo, hi FROM xb.forecasts WHERE model_name = 'pgtap18_fc' ORDER BY 1, 2$$,
                  $$SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap18_fc') ORDER BY 1, 2$$,
                  'the rows are the deployed version''s forecast');
SELECT is((SELECT DISTINCT version FROM xb.forecasts WHERE model_name = 'pgtap18_fc'), 1, 'with its version');
SELECT is(xb_refresh_forecasts('pgtap18_fc', horizon => 2), 6::bigint, 'a shorter horizon');
SELECT is((SELECT count(*) FROM xb.forecasts WHERE model_name = 'pgtap18_fc'), 6::bigint, 'replaces the rows');

SELECT xb_train_forecaster('pgtap18_fc', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'gru',
                           '{"epochs": 2, "lookback": 8, "hidden": 8, "seed": 2}');
SELECT xb_refresh_forecasts('pgtap18_fc');
SELECT is((SELECT DISTINCT version FROM xb.forecasts WHERE model_name = 'pgtap18_fc'), 2,
          'after a new version, a refresh holds only its rows');
SELECT xb_rollback('pgtap18_fc');
SELECT xb_refresh_forecasts('pgtap18_fc');
SELECT is((SELECT DISTINCT version FROM xb.forecasts WHERE model_name = 'pgtap18_fc'), 1, 'and after a rollback, the old one''s');

-- The model cache keeps forecasters decoded between calls, like classifiers.
CREATE TEMP TABLE v1_forecast AS SELECT * FROM xb_forecast('pgtap18_fc');
SELECT is((SELECT version FROM xb_cached_models() WHERE name = 'pgtap18_fc'), 1,
          'a forecast leaves the deployed version decoded in the cache');
SELECT results_eq($$SELECT * FROM xb_forecast('pgtap18_fc') ORDER BY 1, 2$$, $$SELECT * FROM v1_forecast ORDER BY 1, 2$$,
                  'the cached model forecasts what the decoded blob did');
SELECT xb_train_forecaster('pgtap18_fc', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'gru',
                           '{"epochs": 2, "lookback": 8, "hidden": 8, "seed": 3}');
SELECT ok((SELECT count(*) FROM xb_forecast('pgtap18_fc') f JOIN v1_forecast o USING (series, ts) WHERE f.yhat <> o.yhat) > 0,
          'a new version is forecast from the next statement on');
SELECT is((SELECT array_agg(version) FROM xb_cached_models() WHERE name = 'pgtap18_fc'), ARRAY[3],
          'and the cache holds that version only');
SET LOCAL xb.model_cache_size = 0;
SELECT xb_deploy('pgtap18_fc', 1);
SELECT results_eq($$SELECT * FROM xb_forecast('pgtap18_fc') ORDER BY 1, 2$$, $$SELECT * FROM v1_forecast ORDER BY 1, 2$$,
                  'without the cache: the same forecast, decoded per call');
SELECT is((SELECT count(*)::int FROM xb_cached_models()), 0, 'and nothing kept');
RESET xb.model_cache_size;

SELECT xb_train_classifier('pgtap18_reco', 'dresses', 'recommendation', ARRAY['style'], '{"epochs": 2, "hidden": [4]}');
SELECT throws_ok($$SELECT xb_refresh_forecasts('pgtap18_reco')$$, '22023',
                 'model "pgtap18_reco" is a classifier, not a forecaster', 'a classifier is a clean error');
SELECT throws_ok($$SELECT xb_refresh_forecasts('pgtap18_nope')$$, '42704', 'model "pgtap18_nope" does not exist',
                 'an unknown model is a clean error');
SELECT throws_ok($$SELECT xb_refresh_forecasts('pgtap18_fc', horizon => 9)$$, '22023', NULL,
                 'a horizon beyond the trained one is the forecast''s error');
SELECT is((SELECT count(*) FROM xb.forecasts WHERE model_name = 'pgtap18_fc'), 12::bigint, 'and leaves the rows');

SELECT count(*) FROM xb_forecast('pgtap18_fc') \g /dev/null
UPDATE xb.models SET weights = overlay(weights PLACING '\xdeadbeef'::bytea FROM 200) WHERE name = 'pgtap18_fc' AND deployed;
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap18_fc')$$, 'XX001', NULL,
                 'a row changed in place is decoded again, never served from the cache');

SELECT * FROM finish();
ROLLBACK;
