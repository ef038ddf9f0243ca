-- Errors of xb_train_forecaster and xb_forecast: each bad call fails with its
-- SQLSTATE (and, where it matters, a message naming the culprit), and leaves
-- xb.models, xb.model_metrics and xb.training_log as they were.  Also: odd
-- identifiers are quoted, never spliced into SQL.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(140);

SET LOCAL xb.progress_every = 0;

\ir walmart.psql
CREATE TEMP TABLE pgtap03_small AS SELECT * FROM walmart WHERE store <= 2;
CREATE TEMP VIEW pgtap03_typed AS
  SELECT store, date, weekly_sales, weekly_sales::text AS sales_text, date::text AS date_text,
         store::text AS store_text, date::timestamp AS date_ts
  FROM walmart WHERE store <= 2;

CREATE FUNCTION pg_temp.catalog_counts() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT format('models=%s model_metrics=%s training_log=%s residuals=%s',
                (SELECT count(*) FROM xb.models), (SELECT count(*) FROM xb.model_metrics),
                (SELECT count(*) FROM xb.training_log), (SELECT count(*) FROM xb.residuals)) $$;

-- fails(statement, sqlstate, description [, message LIKE pattern]):
--   throws_ok with the SQLSTATE; throws_like on the message when a pattern is
--   given; then is() on the catalog counts taken just before the call.
CREATE FUNCTION pg_temp.fails(stmt text, code text, descr text, msg_like text DEFAULT NULL)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  before text := pg_temp.catalog_counts();
BEGIN
  RETURN NEXT throws_ok(stmt, code::char(5), NULL, descr || ': SQLSTATE ' || code);
  IF msg_like IS NOT NULL THEN
    RETURN NEXT throws_like(stmt, msg_like, descr || ': the message matches ' || msg_like);
  END IF;
  RETURN NEXT is(pg_temp.catalog_counts(), before, descr || ': the xb catalog tables are unchanged');
END $$;

-- A model to forecast from, so the catalog is not empty while the errors run.
SELECT lives_ok($$
  SELECT xb_train_forecaster('pgtap03_base', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                             '{"epochs": 2, "hidden": 8, "seed": 1}')$$,
  'a base model trains');
SELECT ok((SELECT count(*) > 0 FROM xb.model_metrics) AND (SELECT count(*) > 0 FROM xb.training_log),
          'the catalog tables are not empty');

-- ---------------------------------------------------------------------------
-- Unknown objects and columns
-- ---------------------------------------------------------------------------
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_no_such_model')$$, '42704',
  'xb_forecast of an unknown model', '%pgtap03_no_such_model%');
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_no_such_model', 3)$$, '42704',
  'xb_forecast of an unknown model with a horizon');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'no_such_time', 'weekly_sales', ARRAY['store'])$$,
  '42703', 'unknown time column', '%no_such_time%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'no_such_target', ARRAY['store'])$$,
  '42703', 'unknown target column', '%no_such_target%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['no_such_series'])$$,
  '42703', 'unknown series column', '%no_such_series%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'],
                                                   ARRAY['temperature', 'no_such_feature'])$$,
  '42703', 'unknown feature column', '%no_such_feature%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_no_such_table', 'date', 'weekly_sales', ARRAY['store'])$$,
  '42P01', 'unknown source table', '%pgtap03_no_such_table%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'SELECT * FROM pgtap03_no_such_table', 'date', 'weekly_sales', ARRAY['store'])$$,
  '42P01', 'a SELECT source on an unknown table');

-- ---------------------------------------------------------------------------
-- Column types
-- ---------------------------------------------------------------------------
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_typed', 'date', 'sales_text', ARRAY['store'])$$,
  '42804', 'a text target', '%sales_text%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_typed', 'date', 'date', ARRAY['store'])$$,
  '42804', 'a date target');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_typed', 'date_text', 'weekly_sales', ARRAY['store'])$$,
  '42804', 'a text time column', '%date_text%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_typed', 'date', 'weekly_sales', ARRAY['store'], ARRAY['date_ts'])$$,
  '42804', 'a timestamp feature column', '%date_ts%');

-- ---------------------------------------------------------------------------
-- Horizons
-- ---------------------------------------------------------------------------
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 0)$$,
  '22023', 'training with horizon 0');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, -1)$$,
  '22023', 'training with horizon -1');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, NULL)$$,
  '22023', 'training with horizon NULL');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 10001)$$,
  '22023', 'training with horizon 10001');
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_base', 0)$$, '22023', 'xb_forecast with horizon 0');
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_base', -1)$$, '22023', 'xb_forecast with horizon -1');
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_base', 9)$$, '22023', 'xb_forecast beyond the trained horizon 8');

-- ---------------------------------------------------------------------------
-- Architecture and options
-- ---------------------------------------------------------------------------
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'cnn')$$,
  '22023', 'an unknown architecture', '%cnn%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '{"epochz": 5}')$$,
  '22023', 'an unknown option key', '%epochz%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '{"lr": -0.01}')$$,
  '22023', 'a negative lr', '%lr%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '{"epochs": 0}')$$,
  '22023', 'zero epochs', '%epochs%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '{"dropout": 1}')$$,
  '22023', 'dropout 1', '%dropout%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '[1]'::jsonb)$$,
  '22023', 'options that are a JSON array');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '"epochs"'::jsonb)$$,
  '22023', 'options that are a JSON string');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '{"epochs": "5"}')$$,
  '22023', 'epochs given as a string');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '{"epochs": 2.5}')$$,
  '22023', 'a fractional epochs');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                                                   '{"fill": "mean"}')$$,
  '22023', 'an unknown fill');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'], NULL, 8,
                                                   'transformer', '{"hidden": 10, "heads": 4}')$$,
  '22023', 'a transformer whose hidden size is not a multiple of heads');

-- ---------------------------------------------------------------------------
-- Data problems
-- ---------------------------------------------------------------------------
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e',
    'SELECT * FROM walmart WHERE store <= 2 UNION ALL SELECT * FROM walmart WHERE store = 2 AND date = ''2011-03-04''',
    'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru', '{"epochs": 2}')$$,
  '22000', 'a duplicate timestamp', '%series "2"%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e',
    'SELECT store, date, CASE WHEN store = 1 AND date = ''2011-01-07'' THEN NULL ELSE weekly_sales END AS weekly_sales
       FROM walmart WHERE store <= 2',
    'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru', '{"epochs": 2}')$$,
  '22000', 'a NULL target', '%weekly_sales%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e',
    'SELECT store, date, CASE WHEN store = 1 AND date = ''2011-01-07'' THEN ''NaN'' ELSE weekly_sales END AS weekly_sales
       FROM walmart WHERE store <= 2',
    'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru', '{"epochs": 2}')$$,
  '22000', 'a NaN target');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e',
    'SELECT store, date, weekly_sales, CASE WHEN store = 2 AND date = ''2011-01-07'' THEN NULL ELSE temperature END AS temperature
       FROM walmart WHERE store <= 2',
    'date', 'weekly_sales', ARRAY['store'], ARRAY['temperature'], 8, 'gru', '{"epochs": 2}')$$,
  '22000', 'a NULL feature value', '%temperature%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e',
    'SELECT CASE WHEN date = ''2011-01-07'' THEN NULL ELSE store END AS store, date, weekly_sales FROM walmart WHERE store <= 2',
    'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru', '{"epochs": 2}')$$,
  '22000', 'a NULL series key');
-- (Too few rows for a network's windows is no error: auto's statistical
-- members forecast those series, see 08_aggregates.sql and test/unit.)
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'SELECT * FROM walmart WHERE false',
    'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru', '{"epochs": 2}')$$,
  '22000', 'a source with no rows');
SET LOCAL xb.max_train_rows = 100;
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'],
                                                   NULL, 8, 'gru', '{"epochs": 2}')$$,
  '54000', 'a source larger than xb.max_train_rows');
RESET xb.max_train_rows;

-- ---------------------------------------------------------------------------
-- NULL and empty arguments
-- ---------------------------------------------------------------------------
SELECT pg_temp.fails($$SELECT xb_train_forecaster(NULL, 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'])$$,
  '22023', 'a NULL name');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store'])$$,
  '22023', 'an empty name');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', NULL, 'date', 'weekly_sales', ARRAY['store'])$$,
  '22023', 'a NULL source');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', NULL, 'weekly_sales', ARRAY['store'])$$,
  '22023', 'a NULL time column');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', NULL, ARRAY['store'])$$,
  '22023', 'a NULL target column');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'pgtap03_small', 'date', 'weekly_sales', ARRAY['store', NULL])$$,
  '22023', 'a NULL in series_cols');
SELECT pg_temp.fails($$SELECT * FROM xb_forecast(NULL)$$, '22023', 'xb_forecast of a NULL name');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', '', 'date', 'weekly_sales', ARRAY['store'])$$,
  '22023', 'an empty source');

-- ---------------------------------------------------------------------------
-- A failed retraining of an existing name keeps its deployed version
-- ---------------------------------------------------------------------------
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_base', 'pgtap03_small', 'date', 'no_such_target', ARRAY['store'])$$,
  '42703', 'a failed retraining of an existing name');
SELECT results_eq($$ SELECT version, deployed FROM xb.models WHERE name = 'pgtap03_base' $$, $$ VALUES (1, true) $$,
                  'after the failed retraining, version 1 is still the only and deployed version');

-- ---------------------------------------------------------------------------
-- Identifiers are quoted, never spliced
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE "pgtap03 Odd; Table" ("Store Id" int, "Week Day;" date, "Sales ""Units""" float8);
INSERT INTO "pgtap03 Odd; Table" SELECT store, date, weekly_sales FROM walmart WHERE store <= 2;
SELECT lives_ok($$
  SELECT xb_train_forecaster('pgtap03_quoted', '"pgtap03 Odd; Table"', 'Week Day;', 'Sales "Units"', ARRAY['Store Id'],
                             NULL, 8, 'gru', '{"epochs": 2, "hidden": 8, "seed": 1}')$$,
  'columns named "Week Day;", "Sales ""Units""" and "Store Id" in a table named "pgtap03 Odd; Table" train');
SELECT is((SELECT row(time_col, target_col, series_cols, train_rows)::text FROM xb.models WHERE name = 'pgtap03_quoted'),
          row('Week Day;', 'Sales "Units"', ARRAY['Store Id'], 286::bigint)::text,
          'the odd column names are stored verbatim, with 286 rows read');
SELECT results_eq(
  $$ SELECT series, count(*)::int, min(ts) FROM xb_forecast('pgtap03_quoted') GROUP BY series ORDER BY series $$,
  $$ VALUES ('1', 8, '2012-11-02'::timestamp), ('2', 8, '2012-11-02'::timestamp) $$,
  'the model on odd column names forecasts both series');
SELECT lives_ok($$
  SELECT xb_train_forecaster('pgtap03_quoted_q', 'SELECT * FROM "pgtap03 Odd; Table"', 'Week Day;', 'Sales "Units"',
                             ARRAY['Store Id'], NULL, 8, 'gru', '{"epochs": 2, "hidden": 8, "seed": 1}')$$,
  'the odd column names also work from a SELECT source');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'walmart', 'date', 'x; DROP TABLE walmart; --', ARRAY['store'])$$,
  '42703', 'a target column named x; DROP TABLE walmart; --', '%x; DROP TABLE walmart; --%');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'walmart', 'date" FROM walmart; DROP TABLE walmart; --', 'weekly_sales', ARRAY['store'])$$,
  '42703', 'a time column name with a double quote and a DROP');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'walmart', 'date', 'weekly_sales', ARRAY['store"::text, 1 FROM walmart; DROP TABLE walmart; --'])$$,
  '42703', 'a series column name with a double quote and a DROP');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'walmart; DROP TABLE walmart', 'date', 'weekly_sales', ARRAY['store'])$$,
  '42602', 'a source name followed by ; DROP TABLE');
SELECT pg_temp.fails($$SELECT xb_train_forecaster('pgtap03_e', 'SELECT * FROM walmart; DROP TABLE walmart', 'date', 'weekly_sales', ARRAY['store'])$$,
  '42601', 'a SELECT source followed by ; DROP TABLE');
SELECT ok(to_regclass('pg_temp.walmart') IS NOT NULL, 'walmart still exists');
SELECT is((SELECT count(*)::int FROM walmart), 6435, 'walmart still has its 6435 rows');

-- ---------------------------------------------------------------------------
-- Corrupt models (the catalog is changed on purpose; forecasts must fail cleanly)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE pgtap03_good AS SELECT weights FROM xb.models WHERE name = 'pgtap03_base' AND deployed;
UPDATE xb.models SET weights = '\x'::bytea WHERE name = 'pgtap03_base' AND deployed;
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_base')$$, 'XX001', 'empty weights');
UPDATE xb.models SET weights = '\xdeadbeef'::bytea WHERE name = 'pgtap03_base' AND deployed;
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_base')$$, 'XX001', 'weights that are not an xb model');
UPDATE xb.models SET weights = (SELECT substring(weights FROM 1 FOR length(weights) / 2) FROM pgtap03_good)
 WHERE name = 'pgtap03_base' AND deployed;
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_base')$$, 'XX001', 'truncated weights');
UPDATE xb.models SET weights = (SELECT set_byte(weights, length(weights) / 2, (get_byte(weights, length(weights) / 2) + 1) % 256)
                                  FROM pgtap03_good)
 WHERE name = 'pgtap03_base' AND deployed;
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_base')$$, 'XX001', 'weights with one byte changed');
UPDATE xb.models SET weights = (SELECT weights || '\x00'::bytea FROM pgtap03_good) WHERE name = 'pgtap03_base' AND deployed;
SELECT pg_temp.fails($$SELECT * FROM xb_forecast('pgtap03_base')$$, 'XX001', 'weights with a trailing byte');
UPDATE xb.models SET weights = (SELECT weights FROM pgtap03_good) WHERE name = 'pgtap03_base' AND deployed;
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap03_base')), 16, 'restored weights forecast again');

SELECT * FROM finish();
ROLLBACK;
