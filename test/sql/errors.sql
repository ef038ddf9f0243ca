-- Bad input gets a clear error with a SQLSTATE, and leaves nothing behind.
CREATE EXTENSION xb;
SET xb.progress_every = 0;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE TABLE sales (day date, store text, units float8, label text, price float8);
INSERT INTO sales
SELECT d::date, s, 100 + 10 * sin(extract(doy FROM d) / 5.0) + i, 'x', 1.0
FROM generate_series(date '2024-01-01', date '2024-06-30', interval '1 day') WITH ORDINALITY AS g(d, i),
     (VALUES ('north'), ('south')) AS v(s);

-- Unknown model, source, columns.
SELECT * FROM xb_forecast('no_such_model');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'no_such_table', 'day', 'units');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'no_such_day', 'units');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'day', 'no_such_units');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', ARRAY['no_such_store']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', ARRAY['store'], ARRAY['no_such_price']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- A column name is never spliced into SQL.
SELECT xb_train_forecaster('m', 'sales', 'day', 'units; DROP TABLE sales; --');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Wrong types.
SELECT xb_train_forecaster('m', 'sales', 'day', 'label');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'units', 'units');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Horizons.
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', ARRAY['store'], horizon => 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', ARRAY['store'], horizon => -3);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Options.
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', arch => 'rnn');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', options => '{"epoch": 5}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', options => '{"lr": -1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', options => '{"dropout": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', options => '[1, 2]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Data: duplicates, too little history, NULL targets.
SELECT xb_train_forecaster('m', 'sales', 'day', 'units');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'SELECT day, store, CASE WHEN day = ''2024-03-01'' THEN NULL ELSE units END AS units FROM sales',
                           'day', 'units', ARRAY['store']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- A NULL covariate names its series and time too.
SELECT xb_train_forecaster('m', 'SELECT day, store, units, CASE WHEN day = ''2024-03-01'' THEN NULL ELSE price END AS price FROM sales',
                           'day', 'units', ARRAY['store'], ARRAY['price'], arch => 'gru');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster('m', 'SELECT day, store, ''NaN''::float8 AS units FROM sales', 'day', 'units', ARRAY['store']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT xb_train_forecaster(NULL, 'sales', 'day', 'units');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Nothing was written by any of them, and the source is intact.
SELECT (SELECT count(*) FROM xb.models) AS models, (SELECT count(*) FROM xb.model_metrics) AS metrics,
       (SELECT count(*) FROM xb.training_log) AS log, (SELECT count(*) FROM sales) AS sales_rows;

-- A good model, then forecasting it badly.
SELECT xb_train_forecaster('m', 'sales', 'day', 'units', ARRAY['store'], horizon => 7, arch => 'gru',
                           options => '{"epochs": 2}') > 0 AS trained;
SELECT * FROM xb_forecast('m', horizon => 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM xb_forecast('m', horizon => 8);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- A corrupted model is refused, never loaded.
UPDATE xb.models SET weights = overlay(weights PLACING '\xdeadbeef'::bytea FROM 200) WHERE name = 'm';
SELECT * FROM xb_forecast('m');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

DROP TABLE sales;
DROP EXTENSION xb;
