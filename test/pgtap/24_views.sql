-- The views for BI tools: xb.model_summary (one row per deployed model, its
-- key test metric beside its baseline's) and xb.forecast_accuracy (test
-- metrics per forecaster version and series, from xb.residuals). Both run
-- with the reader's rights, so a BI role with nothing but PUBLIC's default
-- privileges sees only the models it may use, read-only transactions
-- included; xb.model_summary answers in under 50 ms over 1,000 versions.
-- Runs in one transaction that is rolled back; roles are created inside it.
\ir preamble.psql

SELECT plan(30);

SET LOCAL xb.progress_every = 0;

CREATE ROLE pgtap24_bi;        -- the BI tool: only what PUBLIC has, and xb_grant
CREATE ROLE pgtap24_stranger;  -- no grant at all

CREATE TEMP TABLE sales AS
SELECT s AS store, DATE '2020-01-01' + i AS day, 100 + 10 * s + 5 * sin(i / 3.0) + (i % 7) AS units
FROM generate_series(1, 2) s, generate_series(0, 79) i;
CREATE TEMP TABLE products AS
SELECT i AS product_id, (ARRAY['casual', 'party', 'work'])[1 + i % 3] AS style, (i % 10) / 2.0 AS rating,
       (i % 3 = 1 OR i % 10 > 6) AS made, i % 17 + 3 * (i % 3) AS units
FROM generate_series(1, 200) i;


-- The fastest of some runs of a query as a role, planning included, in ms;
-- with the plan of that run.
CREATE FUNCTION pg_temp.best_ms(who text, query text, runs int, OUT ms float8, OUT plan text)
LANGUAGE plpgsql AS $$
DECLARE
  j json;
  t float8;
BEGIN
  ms := 'Infinity';
  FOR i IN 1..runs LOOP
    EXECUTE format('SET LOCAL ROLE %I', who);
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || query INTO j;
    RESET ROLE;
    t := (j -> 0 ->> 'Planning Time')::float8 + (j -> 0 ->> 'Execution Time')::float8;
    IF t < ms THEN
      ms := t;
    END IF;
  END LOOP;
  EXECUTE format('SET LOCAL ROLE %I', who);
  SELECT string_agg(l, E'\n') INTO plan FROM pg_temp.explain_lines('EXPLAIN (ANALYZE, COSTS OFF) ' || query) l;
  RESET ROLE;
END $$;
CREATE FUNCTION pg_temp.explain_lines(stmt text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE stmt;
END $$;

-- ---------------------------------------------------------------------------
-- Definitions
-- ---------------------------------------------------------------------------
SELECT is((SELECT string_agg(c.relname || ':' || array_to_string(c.reloptions, ','), ' ' ORDER BY c.relname)
           FROM pg_class c WHERE c.oid IN ('xb.model_summary'::regclass, 'xb.forecast_accuracy'::regclass)),
          'forecast_accuracy:security_invoker=true model_summary:security_invoker=true',
          'both views run with the reader''s rights (security_invoker)');
SELECT is((SELECT count(*)::int FROM information_schema.view_column_usage
           WHERE view_schema = 'xb' AND view_name IN ('model_summary', 'forecast_accuracy') AND column_name = 'weights'),
          0, 'neither reads the weights column');
SELECT is((SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c
           WHERE c.relnamespace = 'xb'::regnamespace AND c.relkind IN ('r', 'v')
             AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'One row per %'),
          NULL, 'every table and view of schema xb has a comment saying what one row is');
SELECT ok(has_table_privilege('pgtap24_bi', 'xb.model_summary', 'SELECT')
          AND has_table_privilege('pgtap24_bi', 'xb.forecast_accuracy', 'SELECT'), 'PUBLIC may read them');

-- ---------------------------------------------------------------------------
-- One model of each kind
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE trained AS
SELECT xb_train_forecaster('pgtap24_fc', 'sales', 'day', 'units', ARRAY['store'], NULL, 7) AS id
UNION ALL SELECT xb_train_classifier('pgtap24_clf', 'products', 'made', ARRAY['style', 'rating'], '{"epochs": 3, "seed": 1}')
UNION ALL SELECT xb_train_regressor('pgtap24_reg', 'products', 'units', ARRAY['style', 'rating'], '{"epochs": 3, "seed": 1}');
CREATE TEMP TABLE test_metric AS
SELECT m.name, mm.estimator, mm.metric, mm.value FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
WHERE m.name LIKE 'pgtap24_%' AND mm.split = 'test';

SELECT is((SELECT string_agg(format('%s %s v%s %s %s/%s', name, kind, version, owner = current_user AND trained_by = owner,
                                    key_metric, baseline), ', ' ORDER BY name)
           FROM xb.model_summary WHERE name LIKE 'pgtap24_%'),
          'pgtap24_clf classifier v1 t log_loss/majority, pgtap24_fc forecaster v1 t mase/seasonal_naive, '
          'pgtap24_reg regressor v1 t rmse/mean',
          'model_summary: one row per deployed model, with its key metric and baseline by kind');
SELECT is((SELECT format('%s %s %s', model_score, baseline_score, coverage) FROM xb.model_summary WHERE name = 'pgtap24_fc'),
          (SELECT format('%s %s %s', max(value) FILTER (WHERE estimator = 'model' AND metric = 'mase'),
                         max(value) FILTER (WHERE estimator = 'seasonal_naive' AND metric = 'mase'),
                         max(value) FILTER (WHERE estimator = 'model' AND metric = 'coverage'))
           FROM test_metric WHERE name = 'pgtap24_fc'),
          'a forecaster''s test MASE, seasonal naive''s, and the interval coverage');
SELECT is((SELECT format('%s %s %s %s %s', model_score, baseline_score, accuracy, baseline_accuracy, roc_auc)
           FROM xb.model_summary WHERE name = 'pgtap24_clf'),
          (SELECT format('%s %s %s %s %s', max(value) FILTER (WHERE estimator = 'model' AND metric = 'log_loss'),
                         max(value) FILTER (WHERE estimator = 'majority' AND metric = 'log_loss'),
                         max(value) FILTER (WHERE estimator = 'model' AND metric = 'accuracy'),
                         max(value) FILTER (WHERE estimator = 'majority' AND metric = 'accuracy'),
                         max(value) FILTER (WHERE estimator = 'model' AND metric = 'roc_auc'))
           FROM test_metric WHERE name = 'pgtap24_clf'),
          'a classifier''s test log loss and the majority class''s, accuracy of both, ROC AUC');
SELECT is((SELECT format('%s %s', model_score, baseline_score) FROM xb.model_summary WHERE name = 'pgtap24_reg'),
          (SELECT format('%s %s', max(value) FILTER (WHERE estimator = 'model' AND metric = 'rmse'),
                         max(value) FILTER (WHERE estimator = 'mean' AND metric = 'rmse'))
           FROM test_metric WHERE name = 'pgtap24_reg'),
          'a regressor''s test RMSE and the training mean''s');
SELECT ok((SELECT bool_and(abs(score_ratio - model_score / baseline_score) < 1e-12) FROM xb.model_summary
           WHERE name LIKE 'pgtap24_%'), 'score_ratio is model_score / baseline_score');

SELECT is((SELECT string_agg(format('%s v%s %s %s', name, version, series, points), ', ' ORDER BY series)
           FROM xb.forecast_accuracy WHERE name = 'pgtap24_fc'),
          'pgtap24_fc v1 1 8, pgtap24_fc v1 2 8', 'forecast_accuracy: one row per forecaster version and series');
-- Pooled over the series, the statistical forecaster's residuals are its test split.
SELECT ok((SELECT abs(sum(a.mae * a.points) / sum(a.points) - (SELECT value FROM test_metric WHERE name = 'pgtap24_fc'
                                                                  AND estimator = 'model' AND metric = 'mae')) < 1e-9
              AND abs(sqrt(sum(a.rmse ^ 2 * a.points) / sum(a.points))
                      - (SELECT value FROM test_metric WHERE name = 'pgtap24_fc' AND estimator = 'model'
                            AND metric = 'rmse')) < 1e-9
              AND abs(sum(a.coverage * a.points) / sum(a.points)
                      - (SELECT value FROM test_metric WHERE name = 'pgtap24_fc' AND estimator = 'model'
                            AND metric = 'coverage')) < 1e-9
              AND abs(sum(a.smape * a.points) / sum(a.points)
                      - (SELECT value FROM test_metric WHERE name = 'pgtap24_fc' AND estimator = 'model'
                            AND metric = 'smape')) < 1e-9
           FROM xb.forecast_accuracy a WHERE a.name = 'pgtap24_fc'),
          'its MAE, RMSE, coverage and sMAPE, pooled over series, are the test metrics of xb.model_metrics');
SELECT is((SELECT format('%s %s', round(mae::numeric, 9), round(bias::numeric, 9)) FROM xb.forecast_accuracy
           WHERE name = 'pgtap24_fc' AND series = '1'),
          (SELECT format('%s %s', round(avg(abs(residual))::numeric, 9), round(avg(-residual)::numeric, 9))
           FROM xb_residuals('pgtap24_fc') WHERE series = '1'),
          'per series MAE and bias (fitted - actual) from the residuals');

-- ---------------------------------------------------------------------------
-- What a BI role sees
-- ---------------------------------------------------------------------------
SELECT xb_grant('pgtap24_fc', 'pgtap24_bi', 'use'), xb_grant('pgtap24_clf', 'pgtap24_bi', 'use') \g /dev/null
SELECT is(pg_temp.as_role('pgtap24_bi', $$SELECT string_agg(name, ',' ORDER BY name) FROM xb.model_summary$$),
          'pgtap24_clf,pgtap24_fc', 'a BI role granted use of two models sees those two in model_summary');
SELECT is(pg_temp.as_role('pgtap24_bi', $$SELECT format('%s %s', model_score, baseline_score) FROM xb.model_summary
                                          WHERE name = 'pgtap24_fc'$$),
          (SELECT format('%s %s', model_score, baseline_score) FROM xb.model_summary WHERE name = 'pgtap24_fc'),
          'with their metrics');
SELECT is(pg_temp.as_role('pgtap24_bi', $$SELECT count(*) FROM xb.forecast_accuracy$$), '0',
          'forecast_accuracy reads the test split''s actuals: nothing for use');
SELECT xb_grant('pgtap24_fc', 'pgtap24_bi', 'manage') \g /dev/null
SELECT is(pg_temp.as_role('pgtap24_bi', $$SELECT string_agg(DISTINCT name, ',') FROM xb.forecast_accuracy$$),
          'pgtap24_fc', 'and the rows of a model it may manage');
SELECT is(pg_temp.as_role('pgtap24_stranger', $$SELECT count(*) FROM xb.model_summary$$)
          || ' ' || pg_temp.as_role('pgtap24_stranger', $$SELECT count(*) FROM xb.forecast_accuracy$$), '0 0',
          'a role granted nothing sees no row of either view, although a superuser owns them');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap24_bi', 'SELECT weights FROM xb.models')$$, '42501', NULL,
                 'the BI role cannot read weights');

-- ---------------------------------------------------------------------------
-- 1,000 versions: model_summary stays under 50 ms
-- ---------------------------------------------------------------------------
-- The suite runs with jit_above_cost = 0 (to catch symbol clashes), which
-- compiles every statement of every privilege check; here PostgreSQL's
-- default applies, as on a production server.
SET LOCAL jit_above_cost = 100000;
-- 247 more versions of pgtap24_fc (not deployed) and 250 of each of three
-- other names (the last one deployed), imported from pgtap24_fc's blob.
CREATE TEMP TABLE blob AS SELECT xb_model_bytes('pgtap24_fc') AS b;
SELECT lives_ok($$SELECT count(xb_model_load('pgtap24_fc', (SELECT b FROM blob), deploy => false))
                  FROM generate_series(1, 247)$$, '247 versions of one name imported with xb_model_load');
SELECT lives_ok($$SELECT count(xb_model_load('pgtap24_bulk_' || n, (SELECT b FROM blob)))
                  FROM generate_series(1, 3) n, generate_series(1, 250)$$, '250 versions of three others');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name LIKE 'pgtap24_%'), 1000, '1,000 versions in the catalog');
ANALYZE xb.models, xb.model_metrics, xb.model_names, xb.model_grants;
SELECT is((SELECT string_agg(format('%s v%s %s', name, version, coalesce(model_score::text, 'no score')), ', '
                             ORDER BY name)
           FROM xb.model_summary WHERE name LIKE 'pgtap24_bulk_%'),
          'pgtap24_bulk_1 v250 no score, pgtap24_bulk_2 v250 no score, pgtap24_bulk_3 v250 no score',
          'an imported version has no test metrics of its own: no score');
SELECT is((SELECT version FROM xb.model_summary WHERE name = 'pgtap24_fc'), 1, 'a name''s deployed version is its row');

CREATE TEMP TABLE timing AS
SELECT current_user::text AS who, (pg_temp.best_ms(current_user, 'SELECT * FROM xb.model_summary', 5)).*
UNION ALL
SELECT 'pgtap24_bi', (pg_temp.best_ms('pgtap24_bi', 'SELECT * FROM xb.model_summary', 5)).*;
SELECT diag(format(E'model_summary over 1,000 versions as %s: best of 5 runs %s ms\n%s', who, round(ms::numeric, 2), plan))
FROM timing ORDER BY who = 'pgtap24_bi';
SELECT ok((SELECT ms < 50 FROM timing WHERE who <> 'pgtap24_bi'),
          'a superuser reads model_summary in under 50 ms (best of 5, planning included)');
SELECT ok((SELECT ms < 50 FROM timing WHERE who = 'pgtap24_bi'),
          'the BI role, through row-level security, too');

-- ---------------------------------------------------------------------------
-- Read-only transactions (a BI tool's replica or read-only connection)
-- ---------------------------------------------------------------------------
SET LOCAL transaction_read_only = on;
SELECT is(current_setting('transaction_read_only'), 'on', 'the transaction is now read-only');
SELECT is(pg_temp.as_role('pgtap24_bi', $$SELECT count(*) FROM xb.model_summary$$), '2',
          'the BI role reads model_summary in it');
SELECT is(pg_temp.as_role('pgtap24_bi', $$SELECT count(*) FROM xb.forecast_accuracy$$), '2',
          'and forecast_accuracy');
SELECT is(pg_temp.as_role('pgtap24_bi', $$SELECT count(*) FROM xb_forecast('pgtap24_fc')$$), '14',
          'and forecasts with xb_forecast');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap24_bi', 'SELECT xb_refresh_forecasts(''pgtap24_fc'')')$$, '25006', NULL,
                 'while writing the catalog is refused (25006)');

SELECT * FROM finish();
ROLLBACK;
