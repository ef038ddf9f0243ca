#!/usr/bin/env bash
# Any schema: xb installed with CREATE EXTENSION xb SCHEMA analytics, with
# analytics NOT on the search_path, must work when every call is written
# fully qualified (analytics.xb_...): the functions that call other xb
# functions (xb_rollback and xb_retrain call xb_deploy) name them through
# @extschema@, never through the caller's search_path, and internal ones
# (the aggregates' support functions) live in schema xb. A representative call of each family runs here on
# small generated data: training a forecaster and a classifier, forecasting,
# residuals, versions (deploy, rollback), retraining (kept and rejected),
# materialized forecasts, sharing (grant, revoke, a role that uses the model),
# backtests, export and import, the aggregates and the catalog views.
#
# Prints TAP (pgTAP); run through prove (test/run_all.sh does) or alone. Needs
# a running server reachable through the PG* variables (scripts/cluster.sh),
# a superuser, and xb and pgTAP installed. Uses and drops the database
# xb_schema and the role xb_schema_reader. Takes about 15 seconds.
set -uo pipefail

DB=xb_schema
ROLE=xb_schema_reader
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $ROLE" >/dev/null 2>&1
}
trap cleanup EXIT
cleanup
createdb "$DB" || { echo "Bail out! cannot create $DB"; exit 1; }
psql -X -q -d postgres -c "CREATE ROLE $ROLE" >/dev/null || { echo "Bail out! cannot create role $ROLE"; exit 1; }

export PGOPTIONS="-c xb.threads=1 -c xb.progress_every=0 -c client_min_messages=warning"
psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
CREATE EXTENSION pgtap;
CREATE SCHEMA analytics;
CREATE EXTENSION xb SCHEMA analytics;

-- Two stores of daily sales with a price covariate; dresses-like products.
CREATE TABLE sales AS
SELECT s AS store, DATE '2020-01-01' + i AS day, 100 + 10 * s + 5 * sin(i / 3.0) + (i % 7) AS units,
       1 + (i % 5) / 10.0 AS price
FROM generate_series(1, 2) s, generate_series(0, 79) i;
CREATE TABLE products AS
SELECT i AS product_id, (ARRAY['casual', 'party', 'work'])[1 + i % 3] AS style, (i % 10) / 2.0 AS rating,
       (i % 3 = 1 OR i % 10 > 6) AS made
FROM generate_series(1, 200) i;
GRANT SELECT ON sales TO xb_schema_reader;

SELECT plan(30);

SELECT is((SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
           WHERE e.extname = 'xb'), 'analytics', 'xb is installed in schema analytics');
SELECT ok(NOT ('analytics' = ANY (current_schemas(true))), 'which is not on the search_path');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE p.proname LIKE 'xb\_%' AND n.nspname NOT IN ('analytics')), 0,
          'every xb_ function lives in analytics');

-- Training and forecasting.
SELECT lives_ok($$SELECT analytics.xb_train_forecaster('sc_fc', 'sales', 'day', 'units', ARRAY['store'], ARRAY['price'], 7,
                  'gru', '{"epochs": 1, "lookback": 14, "hidden": 4, "seed": 1}')$$, 'a forecaster trains');
SELECT lives_ok($$SELECT analytics.xb_train_forecaster('sc_fc', 'sales', 'day', 'units', ARRAY['store'], ARRAY['price'], 7,
                  'gru', '{"epochs": 1, "lookback": 14, "hidden": 4, "seed": 2}')$$, 'and a second version');
SELECT is((SELECT count(*)::int FROM analytics.xb_forecast('sc_fc')), 14, 'it forecasts 7 days of 2 stores');
SELECT is((SELECT count(*)::int FROM analytics.xb_forecast('sc_fc', horizon => 3, overrides => '{"price": {"mul": 0.9}}')),
          6, 'with a shorter horizon and a what-if');
SELECT ok((SELECT count(*) > 0 FROM analytics.xb_residuals('sc_fc')), 'its residuals read back');
SELECT ok((SELECT count(*) > 0 FROM analytics.xb_sensitivity('sc_fc', 'price', ARRAY[-0.1, 0.1])), 'its sensitivity table');

-- Versions.
SELECT is(analytics.xb_rollback('sc_fc'), 1, 'xb_rollback goes back to version 1 (it calls xb_deploy)');
SELECT is(analytics.xb_deploy('sc_fc', 2), 2, 'xb_deploy deploys version 2 again');

-- Retraining: kept, then rejected after a bad load (the first month a
-- thousand times larger: the new version learns its scale from it, and
-- forecasts the newest week worse than the deployed one from the same days).
SELECT lives_ok($$CALL analytics.xb_retrain('sc_fc', keep => 'always')$$, 'xb_retrain keeps a new version');
SELECT is((SELECT version FROM xb.models WHERE name = 'sc_fc' AND deployed), 3, 'version 3 is deployed');
UPDATE sales SET units = units * 1000 WHERE day < DATE '2020-01-31';
SELECT lives_ok($$CALL analytics.xb_retrain('sc_fc')$$, 'xb_retrain against a better deployed version');
SELECT is((SELECT string_agg(version || ':' || status || ':' || deployed, ' ' ORDER BY version) FROM xb.models
           WHERE name = 'sc_fc'), '1:trained:false 2:trained:false 3:trained:true 4:rejected:false',
          'rejects version 4 and redeploys version 3 (it calls xb_deploy)');
UPDATE sales SET units = units / 1000 WHERE day < DATE '2020-01-31';

-- Materialized forecasts, backtests.
SELECT is(analytics.xb_refresh_forecasts('sc_fc'), 14::bigint, 'xb_refresh_forecasts writes 14 rows');
SELECT ok((SELECT count(*) > 0 FROM analytics.xb_backtest('sc_fc', folds => 2)), 'xb_backtest runs');

-- Export and import.
SELECT lives_ok($$SELECT analytics.xb_model_load('sc_copy', analytics.xb_model_bytes('sc_fc'))$$,
                'xb_model_load imports what xb_model_bytes exports');
SELECT results_eq($$SELECT series, ts, yhat FROM analytics.xb_forecast('sc_copy') ORDER BY 1, 2$$,
                  $$SELECT series, ts, yhat FROM analytics.xb_forecast('sc_fc') ORDER BY 1, 2$$,
                  'and the copy forecasts the same');

-- Sharing: a role with USAGE on analytics (the DBA's grant) and 'use' of the model.
GRANT USAGE ON SCHEMA analytics TO xb_schema_reader;
SELECT lives_ok($$SELECT analytics.xb_grant('sc_fc', 'xb_schema_reader', 'use')$$, 'xb_grant');
SET ROLE xb_schema_reader;
SELECT is((SELECT count(*)::int FROM analytics.xb_forecast('sc_fc')), 14, 'the grantee forecasts');
SELECT is((SELECT string_agg(DISTINCT name, ',') FROM xb.models), 'sc_fc', 'and sees only that model');
RESET ROLE;
SELECT lives_ok($$SELECT analytics.xb_revoke('sc_fc', 'xb_schema_reader')$$, 'xb_revoke');
SET ROLE xb_schema_reader;
SELECT throws_ok($$SELECT * FROM analytics.xb_forecast('sc_fc')$$, '42501', NULL, 'and the role no longer may');
RESET ROLE;

-- Classifier.
SELECT lives_ok($$SELECT analytics.xb_train_classifier('sc_clf', 'products', 'made', ARRAY['style', 'rating'],
                  '{"epochs": 3, "hidden": [8], "seed": 1}')$$, 'a classifier trains');
SELECT ok((SELECT bool_and(analytics.xb_recommend('sc_clf', p) BETWEEN 0 AND 1)
           AND count(analytics.xb_predict('sc_clf', p)) = 200 FROM products p),
          'xb_recommend and xb_predict score rows');

-- Aggregates.
SELECT ok((SELECT count(*) = 2 AND bool_and(cardinality(f) = 5)
           FROM (SELECT store, analytics.xb_forecast_agg(day, units, 5, '{"arch": "gru", "epochs": 1, "lookback": 7,
                                                                          "hidden": 4, "seed": 1}') AS f
                 FROM sales GROUP BY store) g)
          AND (SELECT count(*) = 6 FROM analytics.xb_forecast(
                 (SELECT analytics.xb_fit_forecaster(day, units, '{"arch": "gru", "epochs": 1, "lookback": 7, "hidden": 4,
                                                                   "horizon": 6}') FROM sales WHERE store = 1))),
          'xb_forecast_agg and xb_fit_forecaster with xb_forecast(bytea)');

-- The catalog views stay in schema xb; a grantee reads them and forecasts in
-- read-only transactions (a BI tool's connection).
SELECT is((SELECT string_agg(name || ' v' || version, ',' ORDER BY name) FROM xb.model_summary),
          'sc_clf v1,sc_copy v1,sc_fc v3', 'xb.model_summary lists the deployed models');
SELECT analytics.xb_grant('sc_fc', 'xb_schema_reader', 'use') \g /dev/null
SET default_transaction_read_only = on;
SET ROLE xb_schema_reader;
SELECT is((SELECT string_agg(name, ',') FROM xb.model_summary), 'sc_fc',
          'read-only, the grantee sees its model in xb.model_summary');
SELECT is((SELECT count(*)::int FROM analytics.xb_forecast('sc_fc')), 14, 'and forecasts with it');
RESET ROLE;

SELECT * FROM finish();
SQL
