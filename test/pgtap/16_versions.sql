-- Versions and moving models: xb_deploy, xb_rollback, xb_model_bytes,
-- xb_model_info and xb_model_load, for classifiers, forecasters and the
-- blobs the aggregates return. Runs in one transaction that is rolled back.
\ir preamble.psql

SELECT plan(42);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql
\ir walmart.psql

CREATE TEMP TABLE probe AS
SELECT '{"style": "Sexy", "price": "Low", "season": "Summer", "rating": 4.6}'::jsonb AS j;
CREATE FUNCTION pg_temp.deployed(model text) RETURNS int LANGUAGE sql STABLE AS $$
  SELECT version FROM xb.models WHERE name = model AND deployed $$;
CREATE FUNCTION pg_temp.p(model text) RETURNS float8 LANGUAGE sql VOLATILE AS $$
  SELECT xb_recommend(model, (SELECT j FROM probe)) $$;

-- Two versions that score the probe differently (other seeds).
SELECT xb_train_classifier('pgtap16_reco', 'dresses', 'recommendation', ARRAY['style', 'price', 'season', 'rating'],
                           '{"epochs": 4, "hidden": [8], "seed": 1}');
CREATE TEMP TABLE p1 AS SELECT pg_temp.p('pgtap16_reco') AS p;
SELECT xb_train_classifier('pgtap16_reco', 'dresses', 'recommendation', ARRAY['style', 'price', 'season', 'rating'],
                           '{"epochs": 4, "hidden": [8], "seed": 2}');
CREATE TEMP TABLE p2 AS SELECT pg_temp.p('pgtap16_reco') AS p;
SELECT isnt((SELECT p FROM p1), (SELECT p FROM p2), 'two versions score the probe differently');
SELECT is(pg_temp.deployed('pgtap16_reco'), 2, 'training deploys the new version');

-- ---------------------------------------------------------------------------
-- Rollback and deploy
-- ---------------------------------------------------------------------------
SELECT is(xb_rollback('pgtap16_reco'), 1, 'xb_rollback returns the version it deployed');
SELECT is(pg_temp.deployed('pgtap16_reco'), 1, 'version 1 is deployed');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap16_reco' AND deployed), 1,
          'exactly one version is deployed');
SELECT is(pg_temp.p('pgtap16_reco'), (SELECT p FROM p1), 'scoring uses version 1 again (the cache follows)');
SELECT throws_ok($$SELECT xb_rollback('pgtap16_reco')$$, '55000',
                 'model "pgtap16_reco" has no version before the deployed version 1',
                 'rolling back past the first version is a clean error');
SELECT is(pg_temp.deployed('pgtap16_reco'), 1, '... that changes nothing');
SELECT is(xb_deploy('pgtap16_reco', 2), 2, 'xb_deploy returns the version');
SELECT is(pg_temp.p('pgtap16_reco'), (SELECT p FROM p2), 'scoring uses version 2');
SELECT is(xb_deploy('pgtap16_reco', 2), 2, 'deploying the deployed version is a no-op');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap16_reco' AND deployed), 1,
          '... and still one version is deployed');
SELECT throws_ok($$SELECT xb_deploy('pgtap16_reco', 9)$$, '42704', 'model "pgtap16_reco" has no version 9',
                 'an unknown version is a clean error');
SELECT throws_ok($$SELECT xb_deploy('pgtap16_nope', 1)$$, '42704', 'model "pgtap16_nope" does not exist',
                 'an unknown model is a clean error');
SELECT throws_ok($$SELECT xb_rollback('pgtap16_nope')$$, '42704', 'model "pgtap16_nope" does not exist',
                 'rolling back an unknown model is a clean error');
SELECT throws_ok($$SELECT xb_deploy('pgtap16_reco', NULL)$$, '22023', 'name and version must not be NULL',
                 'a NULL version is a clean error');
SELECT is(pg_temp.deployed('pgtap16_reco'), 2, 'the errors changed nothing');

-- ---------------------------------------------------------------------------
-- Export and the blob's description
-- ---------------------------------------------------------------------------
-- An export is the version's blob with its rows of xb.model_metrics added
-- (reported_metrics); the rest of its description is the stored blob's.
CREATE FUNCTION pg_temp.exported_as_stored(v integer) RETURNS boolean LANGUAGE sql AS $$
  SELECT (xb_model_info(xb_model_bytes('pgtap16_reco', v)) - 'reported_metrics' - 'bytes')
           = (xb_model_info(m.weights) - 'bytes')
         AND jsonb_array_length(xb_model_info(xb_model_bytes('pgtap16_reco', v))->'reported_metrics')
           = (SELECT count(*) FROM xb.model_metrics mm WHERE mm.model_id = m.id)
  FROM xb.models m WHERE m.name = 'pgtap16_reco' AND m.version = v $$;
SELECT ok(pg_temp.exported_as_stored(2) AND xb_model_bytes('pgtap16_reco') = xb_model_bytes('pgtap16_reco', 2),
          'xb_model_bytes exports the deployed version, with its metrics');
SELECT ok(pg_temp.exported_as_stored(1), '... or the version asked for');
SELECT throws_ok($$SELECT xb_model_bytes('pgtap16_reco', 7)$$, '42704', 'model "pgtap16_reco" has no version 7',
                 'exporting an unknown version is a clean error');
SELECT is((SELECT format('%s %s %s %s %s', i->>'format_version', i->>'kind', i->>'arch', i->>'label', i->'features')
           FROM (SELECT xb_model_info(xb_model_bytes('pgtap16_reco')) AS i) x),
          '1 classifier mlp recommendation ["style", "price", "season", "rating"]',
          'xb_model_info describes a classifier blob');
SELECT is((SELECT xb_model_info(xb_model_bytes('pgtap16_reco'))->'classes'), '["0", "1"]'::jsonb,
          '... with its classes');
SELECT throws_ok($$SELECT xb_model_info(overlay(xb_model_bytes('pgtap16_reco') PLACING '\xff'::bytea FROM 40))$$,
                 'XX001', NULL, 'a changed byte is refused as corrupt');
SELECT throws_ok($$SELECT xb_model_info('\x00'::bytea)$$, 'XX001', NULL, 'a foreign blob is refused as corrupt');

-- ---------------------------------------------------------------------------
-- Import
-- ---------------------------------------------------------------------------
SELECT ok(xb_model_load('pgtap16_copy', xb_model_bytes('pgtap16_reco', 1)) > 0, 'a classifier blob imports');
SELECT is((SELECT format('%s %s %s %s %s %s', version, kind, source, target_col, feature_cols, deployed)
           FROM xb.models WHERE name = 'pgtap16_copy'),
          '1 classifier (imported) recommendation {style,price,season,rating} t',
          'the import is version 1, deployed, with the blob''s label and features');
SELECT is((SELECT lineage->>'sha256' FROM xb.models WHERE name = 'pgtap16_copy'),
          encode(sha256(xb_model_bytes('pgtap16_reco', 1)), 'hex'), 'the lineage records the blob''s hash');
SELECT is(pg_temp.p('pgtap16_copy'), (SELECT p FROM p1), 'the import scores exactly like the original');
SELECT ok(xb_model_load('pgtap16_copy', xb_model_bytes('pgtap16_reco', 2), deploy => false) > 0,
          'another version imports without being deployed');
SELECT is(pg_temp.deployed('pgtap16_copy') || '/' || (SELECT max(version) FROM xb.models WHERE name = 'pgtap16_copy'),
          '1/2', 'version 2 exists, version 1 stays deployed');
CREATE TEMP TABLE rows_before AS SELECT count(*) AS n FROM xb.models;
SELECT throws_ok($$SELECT xb_model_load('pgtap16_bad', overlay(xb_model_bytes('pgtap16_reco') PLACING '\x00'::bytea FROM 60))$$,
                 'XX001', NULL, 'a corrupt blob does not import');
SELECT throws_ok($$SELECT xb_model_load('', xb_model_bytes('pgtap16_reco'))$$, '22023',
                 'name must be a non-empty text', 'an empty name is a clean error');
SELECT is((SELECT count(*) FROM xb.models), (SELECT n FROM rows_before), '... and neither adds a row');

-- ---------------------------------------------------------------------------
-- Forecasters: trained by name, and from the aggregate
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE three AS SELECT * FROM walmart WHERE store <= 3;
SELECT xb_train_forecaster('pgtap16_fc', 'three', 'date', 'weekly_sales', ARRAY['store'], ARRAY['temperature'], 4, 'gru',
                           '{"epochs": 2, "lookback": 8, "hidden": 8}');
SELECT is((SELECT format('%s %s %s %s', i->>'kind', i->>'arch', i->>'horizon', i->>'series')
           FROM (SELECT xb_model_info(xb_model_bytes('pgtap16_fc')) AS i) x),
          'forecaster gru 4 3', 'xb_model_info describes a forecaster blob');
SELECT ok(xb_model_load('pgtap16_fc_copy', xb_model_bytes('pgtap16_fc')) > 0, 'a forecaster blob imports');
SELECT results_eq($$SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap16_fc_copy') ORDER BY 1, 2$$,
                  $$SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap16_fc') ORDER BY 1, 2$$,
                  'the imported forecaster forecasts exactly like the original');
SELECT results_eq($$SELECT series, ts, yhat FROM xb_forecast(xb_model_bytes('pgtap16_fc')) ORDER BY 1, 2$$,
                  $$SELECT series, ts, yhat FROM xb_forecast('pgtap16_fc') ORDER BY 1, 2$$,
                  'an exported blob forecasts with xb_forecast(bytea)');
SELECT ok((SELECT count(*) = 12 FROM xb_forecast('pgtap16_fc_copy', overrides => '{"temperature": {"add": 10}}')),
          'overrides work on the import');
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap16_fc_copy', future_source => 'three')$$, '22023',
                 'model "pgtap16_fc_copy" was imported and does not know its time and series columns',
                 'future_source on an import is a clean error');
SELECT throws_ok($$SELECT * FROM xb_backtest('pgtap16_fc_copy')$$, '22023',
                 'model "pgtap16_fc_copy" was imported and has no training source to retrain on',
                 'a backtest of an import is a clean error');
SELECT ok(xb_model_load('pgtap16_agg', (SELECT xb_fit_forecaster(date, weekly_sales, '{"horizon": 4, "epochs": 2, "lookback": 8}')
                                        FROM walmart WHERE store = 1)) > 0,
          'a blob from xb_fit_forecaster imports');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap16_agg')), 4, '... and forecasts by name');

SELECT * FROM finish();
ROLLBACK;
