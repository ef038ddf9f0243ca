-- xb catalog: schema, tables, columns and their types, keys, the one-deployed
-- index, the two SQL functions, and DROP/CREATE EXTENSION round trip.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(147);

-- The expected columns, in table order, with their types as format_type() spells them.
CREATE TEMP TABLE pgtap01_cols (tbl name, col name, typ text, ord int);
INSERT INTO pgtap01_cols (tbl, col, typ, ord) VALUES
  ('models', 'id', 'bigint', 1),
  ('models', 'name', 'text', 2),
  ('models', 'version', 'integer', 3),
  ('models', 'kind', 'text', 4),
  ('models', 'arch', 'text', 5),
  ('models', 'owner', 'name', 6),
  ('models', 'created_at', 'timestamp with time zone', 7),
  ('models', 'source', 'text', 8),
  ('models', 'time_col', 'text', 9),
  ('models', 'target_col', 'text', 10),
  ('models', 'series_cols', 'text[]', 11),
  ('models', 'feature_cols', 'text[]', 12),
  ('models', 'horizon', 'integer', 13),
  ('models', 'options', 'jsonb', 14),
  ('models', 'hyperparameters', 'jsonb', 15),
  ('models', 'train_rows', 'bigint', 16),
  ('models', 'time_from', 'timestamp without time zone', 17),
  ('models', 'time_to', 'timestamp without time zone', 18),
  ('models', 'lineage', 'jsonb', 19),
  ('models', 'device', 'text', 20),
  ('models', 'train_seconds', 'double precision', 21),
  ('models', 'status', 'text', 22),
  ('models', 'deployed', 'boolean', 23),
  ('models', 'weights', 'bytea', 24),
  ('model_metrics', 'model_id', 'bigint', 25),
  ('model_metrics', 'split', 'text', 26),
  ('model_metrics', 'estimator', 'text', 27),
  ('model_metrics', 'metric', 'text', 28),
  ('model_metrics', 'value', 'double precision', 29),
  ('training_log', 'model_id', 'bigint', 30),
  ('training_log', 'member', 'integer', 31),
  ('training_log', 'epoch', 'integer', 32),
  ('training_log', 'train_loss', 'double precision', 33),
  ('training_log', 'validation_loss', 'double precision', 34),
  ('training_log', 'learning_rate', 'double precision', 35),
  ('training_log', 'seconds', 'double precision', 36),
  ('models', 'source_author', 'name', 37),
  ('models', 'source_search_path', 'text', 38);

-- Schema and tables (4)
SELECT has_schema('xb', 'schema xb exists');
SELECT has_table('xb', 'models', 'table xb.models exists');
SELECT has_table('xb', 'model_metrics', 'table xb.model_metrics exists');
SELECT has_table('xb', 'training_log', 'table xb.training_log exists');

-- Exactly these columns, no more (3)
SELECT columns_are('xb', 'models',
  ARRAY(SELECT col FROM pgtap01_cols WHERE tbl = 'models' ORDER BY ord), 'xb.models has exactly the documented columns');
SELECT columns_are('xb', 'model_metrics',
  ARRAY(SELECT col FROM pgtap01_cols WHERE tbl = 'model_metrics' ORDER BY ord), 'xb.model_metrics has exactly the documented columns');
SELECT columns_are('xb', 'training_log',
  ARRAY(SELECT col FROM pgtap01_cols WHERE tbl = 'training_log' ORDER BY ord), 'xb.training_log has exactly the documented columns');

-- has_column and col_type_is for every column (38 + 38)
SELECT has_column('xb', tbl, col, format('xb.%I has column %I', tbl, col)) FROM pgtap01_cols ORDER BY ord;
SELECT col_type_is('xb', tbl, col, typ, format('xb.%I.%I is %s', tbl, col, typ)) FROM pgtap01_cols ORDER BY ord;

-- NOT NULL where the catalog relies on it (12)
SELECT col_not_null('xb', 'models', c, format('xb.models.%I is NOT NULL', c))
  FROM unnest(ARRAY['name', 'version', 'kind', 'arch', 'source', 'series_cols', 'feature_cols', 'options',
                    'hyperparameters', 'train_rows', 'deployed', 'weights']) AS c;

-- Defaults (4)
SELECT col_default_is('xb', 'models', 'deployed', 'false', 'xb.models.deployed defaults to false');
SELECT col_default_is('xb', 'models', 'status', 'trained', 'xb.models.status defaults to trained');
SELECT col_default_is('xb', 'models', 'options', '{}', 'xb.models.options defaults to {}');
SELECT col_default_is('xb', 'model_metrics', 'estimator', 'model', 'xb.model_metrics.estimator defaults to model');

-- Keys (7)
SELECT col_is_pk('xb', 'models', 'id', 'xb.models.id is the primary key');
SELECT col_is_pk('xb', 'model_metrics', ARRAY['model_id', 'split', 'estimator', 'metric'],
                 'xb.model_metrics primary key is (model_id, split, estimator, metric)');
SELECT col_is_pk('xb', 'training_log', ARRAY['model_id', 'member', 'epoch'], 'xb.training_log primary key is (model_id, member, epoch)');
SELECT col_is_unique('xb', 'models', ARRAY['name', 'version'], 'xb.models (name, version) is unique');
SELECT fk_ok('xb', 'model_metrics', 'model_id', 'xb', 'models', 'id', 'xb.model_metrics.model_id references xb.models.id');
SELECT fk_ok('xb', 'training_log', 'model_id', 'xb', 'models', 'id', 'xb.training_log.model_id references xb.models.id');
SELECT is(
  (SELECT array_agg(confdeltype::text ORDER BY conrelid::regclass::text)
     FROM pg_constraint WHERE contype = 'f' AND confrelid = 'xb.models'::regclass),
  ARRAY['c', 'c', 'c', 'c', 'c'],
  'the foreign keys to xb.models (forecasts, metrics, residuals, training log, trials) cascade on delete');

-- The one-deployed-per-name index (4)
SELECT has_index('xb', 'models', 'models_one_deployed', 'name', 'index xb.models_one_deployed on (name) exists');
SELECT index_is_unique('xb', 'models', 'models_one_deployed', 'models_one_deployed is unique');
SELECT is(
  (SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i WHERE i.indexrelid = 'xb.models_one_deployed'::regclass),
  'deployed',
  'models_one_deployed is partial: WHERE deployed');
SELECT ok(
  (SELECT indisvalid FROM pg_index WHERE indexrelid = 'xb.models_one_deployed'::regclass),
  'models_one_deployed is valid');

-- Functions (12)
SELECT has_function('xb_train_forecaster',
  ARRAY['text', 'text', 'text', 'text', 'text[]', 'text[]', 'integer', 'text', 'jsonb'],
  'xb_train_forecaster(text, text, text, text, text[], text[], integer, text, jsonb) exists');
SELECT has_function('xb_forecast', ARRAY['text', 'integer', 'text', 'jsonb'], 'xb_forecast(text, integer, text, jsonb) exists');
SELECT function_returns('xb_train_forecaster',
  ARRAY['text', 'text', 'text', 'text', 'text[]', 'text[]', 'integer', 'text', 'jsonb'], 'bigint',
  'xb_train_forecaster returns bigint');
SELECT function_returns('xb_forecast', ARRAY['text', 'integer', 'text', 'jsonb'], 'setof record', 'xb_forecast returns setof record');
SELECT is(
  (SELECT pg_get_function_result('xb_forecast(text, integer, text, jsonb)'::regprocedure)),
  'TABLE(series text, ts timestamp without time zone, yhat double precision, lo double precision, hi double precision)',
  'xb_forecast returns TABLE(series text, ts timestamp, yhat float8, lo float8, hi float8)');
SELECT is(
  (SELECT pg_get_function_arguments('xb_train_forecaster(text, text, text, text, text[], text[], integer, text, jsonb)'::regprocedure)),
  'name text, source text, time_col text, target_col text, series_cols text[] DEFAULT NULL::text[], '
  'feature_cols text[] DEFAULT NULL::text[], horizon integer DEFAULT 8, arch text DEFAULT ''auto''::text, '
  'options jsonb DEFAULT ''{}''::jsonb',
  'xb_train_forecaster argument names and defaults');
SELECT is(
  (SELECT pg_get_function_arguments('xb_forecast(text, integer, text, jsonb)'::regprocedure)),
  'name text, horizon integer DEFAULT NULL::integer, future_source text DEFAULT NULL::text, '
  'overrides jsonb DEFAULT NULL::jsonb',
  'xb_forecast argument names and defaults');
SELECT function_lang_is('xb_train_forecaster',
  ARRAY['text', 'text', 'text', 'text', 'text[]', 'text[]', 'integer', 'text', 'jsonb'], 'c',
  'xb_train_forecaster is written in C');
SELECT volatility_is('xb_train_forecaster',
  ARRAY['text', 'text', 'text', 'text', 'text[]', 'text[]', 'integer', 'text', 'jsonb'], 'volatile',
  'xb_train_forecaster is VOLATILE');
SELECT volatility_is('xb_forecast', ARRAY['text', 'integer', 'text', 'jsonb'], 'stable', 'xb_forecast is STABLE');
SELECT isnt_strict('xb_train_forecaster',
  ARRAY['text', 'text', 'text', 'text', 'text[]', 'text[]', 'integer', 'text', 'jsonb'],
  'xb_train_forecaster is not STRICT (it reports NULL arguments itself)');
SELECT isnt_strict('xb_forecast', ARRAY['text', 'integer', 'text', 'jsonb'], 'xb_forecast is not STRICT (NULL horizon means the trained one)');

-- Every object belongs to the extension (3)
SELECT is(
  (SELECT count(*)::int FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE e.extname = 'xb' AND d.deptype = 'e' AND d.classid = 'pg_class'::regclass
      AND d.objid IN ('xb.models'::regclass, 'xb.model_metrics'::regclass, 'xb.training_log'::regclass)),
  3, 'the three tables are members of extension xb');
SELECT is(
  (SELECT count(*)::int FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE e.extname = 'xb' AND d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
      AND d.objid IN ('xb_forecast(text, integer, text, jsonb)'::regprocedure,
                      'xb_train_forecaster(text, text, text, text, text[], text[], integer, text, jsonb)'::regprocedure)),
  2, 'the two functions are members of extension xb');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'xb'), '0.2.0', 'extension xb is version 0.2.0');

-- Privileges for everyone (2)
SELECT ok(has_schema_privilege('public', 'xb', 'USAGE'), 'PUBLIC may use schema xb');
SELECT ok(
  has_column_privilege('public', 'xb.models', 'name', 'SELECT')
  AND NOT has_column_privilege('public', 'xb.models', 'weights', 'SELECT')
  AND has_table_privilege('public', 'xb.model_metrics', 'SELECT') AND has_table_privilege('public', 'xb.training_log', 'SELECT'),
  'PUBLIC may read the three catalog tables, xb.models but its weights');

-- Settings exist after the library is loaded (4)
SELECT lives_ok($$LOAD '$libdir/xb'$$, 'the xb library loads');
SELECT is((SELECT boot_val FROM pg_settings WHERE name = 'xb.device'), 'auto', 'xb.device defaults to auto');
SELECT is((SELECT boot_val FROM pg_settings WHERE name = 'xb.progress_every'), '10', 'xb.progress_every defaults to 10');
SELECT is((SELECT boot_val FROM pg_settings WHERE name = 'xb.max_train_rows'), '10000000', 'xb.max_train_rows defaults to 10000000');

-- DROP EXTENSION / CREATE EXTENSION round trip inside the transaction (16)
SELECT lives_ok('DROP EXTENSION xb', 'DROP EXTENSION xb works');
SELECT hasnt_schema('xb', 'schema xb is gone after DROP EXTENSION');
SELECT hasnt_table('xb', 'models', 'xb.models is gone after DROP EXTENSION');
SELECT hasnt_function('xb_train_forecaster', 'xb_train_forecaster is gone after DROP EXTENSION');
SELECT hasnt_function('xb_forecast', 'xb_forecast is gone after DROP EXTENSION');
SELECT lives_ok('CREATE EXTENSION xb', 'CREATE EXTENSION xb works again');
SELECT has_schema('xb', 'schema xb is back');
SELECT has_table('xb', 'models', 'xb.models is back');
SELECT has_table('xb', 'model_metrics', 'xb.model_metrics is back');
SELECT has_table('xb', 'training_log', 'xb.training_log is back');
SELECT columns_are('xb', 'models',
  ARRAY(SELECT col FROM pgtap01_cols WHERE tbl = 'models' ORDER BY ord), 'xb.models is back with all its columns');
SELECT has_index('xb', 'models', 'models_one_deployed', 'name', 'models_one_deployed is back');
SELECT has_function('xb_train_forecaster',
  ARRAY['text', 'text', 'text', 'text', 'text[]', 'text[]', 'integer', 'text', 'jsonb'], 'xb_train_forecaster is back');
SELECT has_function('xb_forecast', ARRAY['text', 'integer', 'text', 'jsonb'], 'xb_forecast is back');
SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap01_no_such_model')$$, '42704', NULL,
                 'the recreated xb_forecast runs and reads the recreated catalog');
SELECT is((SELECT count(*)::int FROM xb.models), 0, 'the recreated xb.models is empty');

SELECT * FROM finish();
ROLLBACK;
