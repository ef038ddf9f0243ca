-- statement_timeout stops a long training promptly with SQLSTATE 57014,
-- leaves nothing in the catalog, and the session trains again afterwards.
-- Runs in one transaction that is rolled back: nothing persists.
--
-- pgTAP's throws_ok cannot catch the timeout (57014); pg_temp.run_timed()
-- from run_timed.psql catches it and reports the SQLSTATE, the message and
-- the elapsed clock_timestamp() time.
\ir preamble.psql

SELECT plan(14);

SET LOCAL xb.progress_every = 0;

\ir walmart.psql

CREATE FUNCTION pg_temp.catalog_counts() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT format('models=%s model_metrics=%s training_log=%s',
                (SELECT count(*) FROM xb.models), (SELECT count(*) FROM xb.model_metrics),
                (SELECT count(*) FROM xb.training_log)) $$;

\ir run_timed.psql

-- A model trained before, so the catalog is not empty.
SELECT lives_ok($$
  SELECT xb_train_forecaster('pgtap04_before', 'SELECT * FROM walmart WHERE store <= 2', 'date', 'weekly_sales',
                             ARRAY['store'], NULL, 8, 'gru', '{"epochs": 2, "hidden": 8, "seed": 1}')$$,
  'a small model trains before the interrupted one');
CREATE TEMP TABLE pgtap04_before AS SELECT pg_temp.catalog_counts() AS counts;

-- The long training, under a 1 s statement_timeout.
SET LOCAL statement_timeout = '1s';
CREATE TEMP TABLE pgtap04_run AS
  SELECT * FROM pg_temp.run_timed($$
    SELECT xb_train_forecaster('pgtap04_long', 'walmart', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'gru',
                               '{"epochs": 100000, "patience": 100000}')$$);
SET LOCAL statement_timeout = 0;

SELECT is((SELECT state FROM pgtap04_run), '57014', 'the long training fails with SQLSTATE 57014 (query_canceled)');
SELECT matches((SELECT msg FROM pgtap04_run), 'statement timeout', 'the message is PostgreSQL''s statement timeout message');
SELECT cmp_ok((SELECT secs FROM pgtap04_run), '<', 3::float8, 'the training stops less than 3 s after it started');
SELECT cmp_ok((SELECT secs FROM pgtap04_run), '>=', 0.5::float8, 'the training ran until the timeout (it did not fail at once)');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap04_long'), 0, 'no xb.models row for the interrupted model');
SELECT is(pg_temp.catalog_counts(), (SELECT counts FROM pgtap04_before),
          'xb.models, xb.model_metrics and xb.training_log are unchanged');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap04_before' AND deployed), 1,
          'the earlier model is still deployed');

-- The session is still usable.
SELECT lives_ok($$
  SELECT xb_train_forecaster('pgtap04_after', 'SELECT * FROM walmart WHERE store <= 2', 'date', 'weekly_sales',
                             ARRAY['store'], NULL, 8, 'gru', '{"epochs": 3, "hidden": 8, "seed": 1}')$$,
  'a small training in the same session works after the interrupt');
SELECT is((SELECT count(*)::int FROM xb.training_log l JOIN xb.models m ON m.id = l.model_id WHERE m.name = 'pgtap04_after'),
          3, 'it logs its 3 epochs');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap04_after')), 16, 'it forecasts 2 series x 8 steps');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap04_before')), 16, 'the earlier model still forecasts');

-- A second timeout in the same session behaves the same.
SET LOCAL statement_timeout = '1s';
CREATE TEMP TABLE pgtap04_run2 AS
  SELECT * FROM pg_temp.run_timed($$
    SELECT xb_train_forecaster('pgtap04_long', 'walmart', 'date', 'weekly_sales', ARRAY['store'], NULL, 8, 'lstm',
                               '{"epochs": 100000, "patience": 100000}')$$);
SET LOCAL statement_timeout = 0;
SELECT is((SELECT state FROM pgtap04_run2), '57014', 'a second long training (lstm) is also canceled with 57014');
SELECT cmp_ok((SELECT secs FROM pgtap04_run2), '<', 3::float8, 'and also stops in less than 3 s');

SELECT * FROM finish();
ROLLBACK;
