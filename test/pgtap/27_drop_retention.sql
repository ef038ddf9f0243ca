-- Dropping models and versions, and keeping only the newest versions
-- (issue 14, "what BigQuery ML users reach for"): xb_drop(name) is the
-- owner's and removes everything the model left; xb_drop(name, version)
-- needs 'manage' and never takes the deployed version; xb_set_retention
-- keeps the newest versions, now and after every xb_retrain.
-- Roles are created inside the transaction, which is rolled back.
\ir preamble.psql

SELECT plan(26);

SET LOCAL xb.progress_every = 0;

-- A regular table: a stored source may not read the caller's temporary tables
-- when the caller (the superuser retraining below) is not its author.
CREATE TABLE pgtap27_weekly AS
SELECT s AS store, date '2010-01-03' + 7 * w AS week,
       1000 * s + 200 * sin(2 * pi() * w / 52.0) + (w * 37 % 11) AS sales
FROM generate_series(1, 2) s, generate_series(0, 130) w;
CREATE ROLE pgtap27_owner;
CREATE ROLE pgtap27_manager;
CREATE ROLE pgtap27_user;
GRANT SELECT ON pgtap27_weekly TO pgtap27_owner;

CREATE FUNCTION pg_temp.versions(model text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(string_agg(version || CASE WHEN deployed THEN '*' ELSE '' END, ',' ORDER BY version), '')
  FROM xb.models WHERE name = model $$;
CREATE FUNCTION pg_temp.train(model text) RETURNS text LANGUAGE sql AS $$
  SELECT pg_temp.as_role('pgtap27_owner', format($q$SELECT xb_train_forecaster(%L, 'pgtap27_weekly', 'week', 'sales',
                                                   ARRAY['store'], horizon => 4)$q$, model)) $$;

SELECT pg_temp.train('pgtap27_fc') FROM generate_series(1, 4);
SELECT pg_temp.as_role('pgtap27_owner', $$SELECT xb_deploy('pgtap27_fc', 3)$$);
SELECT pg_temp.as_role('pgtap27_owner', $$SELECT xb_refresh_forecasts('pgtap27_fc')$$);
SELECT pg_temp.as_role('pgtap27_owner', $$SELECT xb_grant('pgtap27_fc', 'pgtap27_manager', 'manage')$$);
SELECT pg_temp.as_role('pgtap27_owner', $$SELECT xb_grant('pgtap27_fc', 'pgtap27_user', 'use')$$);
SELECT is(pg_temp.versions('pgtap27_fc'), '1,2,3*,4', 'four versions, the third deployed');

-- ---------------------------------------------------------------------------
-- One version
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap27_user', 'SELECT xb_drop(''pgtap27_fc'', 1)')$$, '42501', NULL,
                 '''use'' does not drop a version');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap27_manager', 'SELECT xb_drop(''pgtap27_fc'', 3)')$$, '55006',
                 'version 3 of model "pgtap27_fc" is deployed', 'the deployed version is never dropped');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap27_manager', 'SELECT xb_drop(''pgtap27_fc'', 9)')$$, '42704', NULL,
                 'a version that does not exist is an error');
SELECT throws_ok($$SELECT xb_drop('pgtap27_fc', (SELECT version FROM xb.models WHERE false))$$, '22023',
                 'name and version must not be NULL',
                 'a NULL version (a subquery that found nothing) is an error, not the whole model dropped');
SELECT is(pg_temp.versions('pgtap27_fc'), '1,2,3*,4', 'and each refusal changed nothing');
CREATE TEMP TABLE v1 AS SELECT id FROM xb.models WHERE name = 'pgtap27_fc' AND version = 1;
SELECT is(pg_temp.as_role('pgtap27_manager', $$SELECT xb_drop('pgtap27_fc', 1)$$), '1', '''manage'' drops a version');
SELECT is(pg_temp.versions('pgtap27_fc'), '2,3*,4', 'it is gone');
SELECT is((SELECT count(*)::int FROM xb.model_metrics WHERE model_id IN (SELECT id FROM v1))
          + (SELECT count(*)::int FROM xb.trials WHERE model_id IN (SELECT id FROM v1))
          + (SELECT count(*)::int FROM xb.residuals WHERE model_id IN (SELECT id FROM v1)), 0,
          'with its metrics, trials and residuals');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap27_fc')), 8, 'the deployed version still forecasts');

-- ---------------------------------------------------------------------------
-- Retention
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap27_user', 'SELECT xb_set_retention(''pgtap27_fc'', 1)')$$, '42501', NULL,
                 '''use'' does not set retention');
SELECT throws_ok($$SELECT xb_set_retention('pgtap27_fc', -1)$$, '22023', NULL, 'a negative count is refused');
SELECT throws_ok($$SELECT xb_set_retention('pgtap27_nope', 3)$$, '42704', 'model "pgtap27_nope" does not exist',
                 'a name that does not exist is an error, not a silent 0');
SELECT is(pg_temp.as_role('pgtap27_manager', $$SELECT xb_set_retention('pgtap27_fc', 1)$$), '1',
          'keeping one version drops the older one that is not deployed, at once');
SELECT is(pg_temp.versions('pgtap27_fc'), '3*,4', 'the newest and the deployed version stay');
SELECT is((SELECT keep_versions FROM xb.model_names WHERE name = 'pgtap27_fc'), 1, 'the setting is in xb.model_names');
SELECT pg_temp.as_role('pgtap27_owner', $$SELECT xb_deploy('pgtap27_fc', 4)$$);
CALL xb_retrain('pgtap27_fc', keep => 'always');
SELECT is(pg_temp.versions('pgtap27_fc'), '5*', 'after a retrain, only the newest (deployed) version is left');
SELECT is(pg_temp.as_role('pgtap27_manager', $$SELECT xb_set_retention('pgtap27_fc', 0)$$), '0', '0 keeps every version');
CALL xb_retrain('pgtap27_fc', keep => 'always');
SELECT is(pg_temp.versions('pgtap27_fc'), '5,6*', 'and retrains add versions again');

-- ---------------------------------------------------------------------------
-- The whole model
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap27_manager', 'SELECT xb_drop(''pgtap27_fc'')')$$, '42501', NULL,
                 '''manage'' does not drop the model');
SELECT is(pg_temp.versions('pgtap27_fc'), '5,6*', 'which stays whole');
SELECT is(pg_temp.as_role('pgtap27_owner', $$SELECT xb_drop('pgtap27_fc')$$), '2', 'its owner drops it: two versions');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap27_fc')
          + (SELECT count(*)::int FROM xb.model_names WHERE name = 'pgtap27_fc')
          + (SELECT count(*)::int FROM xb.model_grants WHERE name = 'pgtap27_fc')
          + (SELECT count(*)::int FROM xb.forecasts WHERE model_name = 'pgtap27_fc'), 0,
          'its versions, name, grants and materialized forecasts are gone');
SELECT throws_ok($$SELECT xb_forecast('pgtap27_fc')$$, '42704', NULL, 'and its name is free');

-- A version number names one model for the name's whole life: after the
-- newest version is dropped, the next training does not take its number.
SELECT pg_temp.train('pgtap27_v') FROM generate_series(1, 2);
SELECT pg_temp.as_role('pgtap27_owner', $$SELECT xb_deploy('pgtap27_v', 1)$$);
SELECT pg_temp.as_role('pgtap27_owner', $$SELECT xb_drop('pgtap27_v', 2)$$);
SELECT pg_temp.train('pgtap27_v');
SELECT is(pg_temp.versions('pgtap27_v'), '1,3*', 'the next version after dropping version 2 is 3, not 2 again');
SELECT is((SELECT last_version FROM xb.model_names WHERE name = 'pgtap27_v'), 3, 'xb.model_names keeps the last number');

SELECT * FROM finish();
ROLLBACK;
