-- xb_train_forecaster and xb_forecast on three Walmart stores: the catalog
-- rows a training writes, its metrics and log, versioning and deployment,
-- forecast shape and calendar, determinism, every architecture, multi-column
-- series keys, and table, view and SELECT sources.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(99);

SET LOCAL xb.progress_every = 0;

\ir walmart.psql
CREATE TEMP TABLE pgtap02_walmart3 AS SELECT * FROM walmart WHERE store <= 3;
CREATE TEMP VIEW pgtap02_v3 AS SELECT * FROM walmart WHERE store <= 3;
CREATE TEMP VIEW pgtap02_regional AS
  SELECT CASE WHEN store <= 2 THEN 'east' ELSE 'west' END AS region, store, date, weekly_sales
  FROM walmart WHERE store <= 3;

-- Ids returned by the trainings, by label.
CREATE TEMP TABLE pgtap02_ids (label text PRIMARY KEY, id bigint);

CREATE FUNCTION pg_temp.finite(x float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS
  $$ SELECT x IS NOT NULL AND x <> 'NaN'::float8 AND x <> 'Infinity'::float8 AND x <> '-Infinity'::float8 $$;
CREATE FUNCTION pg_temp.id_of(label text) RETURNS bigint LANGUAGE sql STABLE AS
  $$ SELECT id FROM pgtap02_ids WHERE pgtap02_ids.label = $1 $$;
-- Rows of a forecast that are not finite or not ordered lo <= yhat <= hi.
CREATE FUNCTION pg_temp.bad_points(model text) RETURNS bigint LANGUAGE sql VOLATILE AS
  $$ SELECT count(*) FROM xb_forecast(model)
      WHERE NOT (pg_temp.finite(yhat) AND pg_temp.finite(lo) AND pg_temp.finite(hi) AND lo <= yhat AND yhat <= hi)
         OR series IS NULL OR ts IS NULL $$;

-- ---------------------------------------------------------------------------
-- One training on a table source: the xb.models row (20)
-- ---------------------------------------------------------------------------
SELECT lives_ok($$
  INSERT INTO pgtap02_ids SELECT 'main', xb_train_forecaster('pgtap02_main', 'pgtap02_walmart3', 'date', 'weekly_sales',
    ARRAY['store'], NULL, 8, 'gru', '{"epochs": 5, "hidden": 16, "seed": 1}')$$,
  'training a GRU on 3 stores (table source) works');
SELECT isnt(pg_temp.id_of('main'), NULL, 'xb_train_forecaster returns an id');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap02_main'), 1, 'one xb.models row for the name');
SELECT is((SELECT id FROM xb.models WHERE name = 'pgtap02_main'), pg_temp.id_of('main'), 'the returned id is the row''s id');
SELECT is((SELECT kind FROM xb.models WHERE id = pg_temp.id_of('main')), 'forecaster', 'kind is forecaster');
SELECT is((SELECT version FROM xb.models WHERE id = pg_temp.id_of('main')), 1, 'version is 1');
SELECT ok((SELECT deployed FROM xb.models WHERE id = pg_temp.id_of('main')), 'the first version is deployed');
SELECT is((SELECT arch FROM xb.models WHERE id = pg_temp.id_of('main')), 'gru', 'arch is gru');
SELECT is((SELECT train_rows FROM xb.models WHERE id = pg_temp.id_of('main')), 429::bigint, 'train_rows = 3 x 143 = 429');
SELECT is((SELECT time_from FROM xb.models WHERE id = pg_temp.id_of('main')), '2010-02-05'::timestamp, 'time_from is 2010-02-05');
SELECT is((SELECT time_to FROM xb.models WHERE id = pg_temp.id_of('main')), '2012-10-26'::timestamp, 'time_to is 2012-10-26');
SELECT ok((SELECT length(weights) > 0 FROM xb.models WHERE id = pg_temp.id_of('main')), 'weights are not empty');
SELECT is((SELECT row(source, time_col, target_col, series_cols, feature_cols, horizon)::text
             FROM xb.models WHERE id = pg_temp.id_of('main')),
          row('pgtap02_walmart3', 'date', 'weekly_sales', ARRAY['store'], '{}'::text[], 8)::text,
          'source, time_col, target_col, series_cols, feature_cols and horizon are stored as given');
SELECT is((SELECT options FROM xb.models WHERE id = pg_temp.id_of('main')),
          '{"epochs": 5, "hidden": 16, "seed": 1}'::jsonb, 'options are stored as given');
SELECT ok((SELECT hyperparameters @> '{"arch": "gru", "horizon": 8, "epochs": 5, "hidden": 16, "seed": 1}'
             FROM xb.models WHERE id = pg_temp.id_of('main')),
          'hyperparameters hold the effective options');
SELECT is((SELECT status FROM xb.models WHERE id = pg_temp.id_of('main')), 'trained', 'status is trained');
SELECT is((SELECT owner FROM xb.models WHERE id = pg_temp.id_of('main')), current_user::name, 'owner is the current user');
SELECT ok((SELECT train_seconds > 0 AND pg_temp.finite(train_seconds) FROM xb.models WHERE id = pg_temp.id_of('main')),
          'train_seconds is positive');
SELECT ok((SELECT device <> '' FROM xb.models WHERE id = pg_temp.id_of('main')), 'device is recorded');
SELECT is((SELECT (lineage->>'series')::int FROM xb.models WHERE id = pg_temp.id_of('main')), 3,
          'lineage counts 3 series');

-- ---------------------------------------------------------------------------
-- The lineage is built as jsonb by PostgreSQL: quotes in names, series keys
-- or an arch cannot break it (6)
-- ---------------------------------------------------------------------------
SELECT is((SELECT array_agg(k ORDER BY k) FROM xb.models, jsonb_object_keys(lineage) k WHERE id = pg_temp.id_of('main')),
          ARRAY['arch_requested', 'best_epochs', 'frequency', 'rows_dropped', 'runtime', 'seconds', 'series', 'series_skipped',
                'xb'],
          'the lineage keys');
SELECT ok((SELECT (lineage->'seconds'->>'read')::float8 >= 0 AND (lineage->'seconds'->>'prepare')::float8 > 0
                  AND (lineage->'seconds'->>'train')::float8 > 0
                  AND abs((lineage->'seconds'->>'prepare')::float8 + (lineage->'seconds'->>'train')::float8 - train_seconds) < 0.01
             FROM xb.models WHERE id = pg_temp.id_of('main')),
          'the lineage times the read, the preparation and the training, which add up to train_seconds');
SELECT is((SELECT ARRAY[jsonb_typeof(lineage->'series'), jsonb_typeof(lineage->'best_epochs'), lineage->>'arch_requested',
                        lineage->>'xb']
             FROM xb.models WHERE id = pg_temp.id_of('main')),
          ARRAY['number', 'array', 'gru', (SELECT extversion FROM pg_extension WHERE extname = 'xb')],
          'counts are numbers, best epochs an array, the arch and xb''s version strings');
SELECT lives_ok($$
  INSERT INTO pgtap02_ids SELECT 'quote', xb_train_forecaster('pgtap02 "q''uote"',
    $q$SELECT 'O''Brien "B"\' AS shop, date, weekly_sales FROM walmart WHERE store = 1$q$, 'date', 'weekly_sales',
    ARRAY['shop'], NULL, 4, 'snaive')$$,
  'a model name and a series key with quotes and a backslash train');
SELECT is((SELECT lineage->>'arch_requested' FROM xb.models WHERE id = pg_temp.id_of('quote')), 'snaive',
          'its lineage is valid jsonb');
SELECT is((SELECT array_agg(DISTINCT series) FROM xb_forecast('pgtap02 "q''uote"')), ARRAY['O''Brien "B"\'],
          'the series key comes back as it was');
SELECT throws_ok($$ SELECT xb_train_forecaster('pgtap02 badarch', 'pgtap02_walmart3', 'date', 'weekly_sales', NULL, NULL, 4,
                                               'gru", "xb": "0') $$,
                 '22023', NULL, 'an arch with a quote is an unknown architecture');

-- ---------------------------------------------------------------------------
-- Metrics (8)
-- ---------------------------------------------------------------------------
SELECT set_eq(
  format('SELECT estimator, metric FROM xb.model_metrics WHERE model_id = %s AND split = ''test''', pg_temp.id_of('main')),
  $$ SELECT e, m FROM unnest(ARRAY['model', 'seasonal_naive', 'cold_start']) e,
                      unnest(ARRAY['mae', 'mse', 'rmse', 'mape', 'smape', 'wape', 'r2', 'mase']) m
     UNION ALL SELECT e, 'coverage' FROM unnest(ARRAY['model', 'cold_start']) e $$,
  'test split: the 8 measures for model, seasonal_naive and cold_start (each series forecast as if new), and coverage for model and cold_start');
SELECT set_eq(
  format('SELECT DISTINCT split, estimator FROM xb.model_metrics WHERE model_id = %s', pg_temp.id_of('main')),
  $$ SELECT s, e FROM unnest(ARRAY['train', 'validation', 'test']) s, unnest(ARRAY['model', 'seasonal_naive']) e
     UNION ALL SELECT 'test', 'cold_start' $$,
  'metrics exist for train, validation and test, for model and seasonal_naive, and for cold_start on test');
SELECT is((SELECT count(*)::int FROM xb.model_metrics
            WHERE model_id = pg_temp.id_of('main') AND split <> 'test' AND metric NOT IN
                  ('mae', 'mse', 'rmse', 'mape', 'smape', 'wape', 'r2', 'mase')),
          0, 'train and validation hold only the 8 measures');
SELECT is((SELECT count(*)::int FROM xb.model_metrics
            WHERE model_id = pg_temp.id_of('main') AND split = 'test' AND NOT pg_temp.finite(value)),
          0, 'every test metric is finite (no NULL, NaN or infinity)');
SELECT ok((SELECT value BETWEEN 0 AND 1 FROM xb.model_metrics
            WHERE model_id = pg_temp.id_of('main') AND split = 'test' AND estimator = 'model' AND metric = 'coverage'),
          'coverage is between 0 and 1');
SELECT is((SELECT count(*)::int FROM xb.model_metrics
            WHERE model_id = pg_temp.id_of('main') AND metric IN ('mae', 'mse', 'rmse', 'mape', 'smape', 'wape', 'mase')
              AND pg_temp.finite(value) AND value < 0),
          0, 'error measures are not negative');
SELECT is((SELECT count(*)::int
             FROM xb.model_metrics r JOIN xb.model_metrics m USING (model_id, split, estimator)
            WHERE model_id = pg_temp.id_of('main') AND r.metric = 'rmse' AND m.metric = 'mse'
              AND abs(r.value * r.value - m.value) > 1e-6 * m.value),
          0, 'rmse = sqrt(mse) for every split and estimator');
SELECT is((SELECT count(*)::int
             FROM xb.model_metrics r JOIN xb.model_metrics a USING (model_id, split, estimator)
            WHERE model_id = pg_temp.id_of('main') AND r.metric = 'rmse' AND a.metric = 'mae'
              AND r.value < a.value * (1 - 1e-9)),
          0, 'rmse >= mae for every split and estimator');

-- ---------------------------------------------------------------------------
-- Training log (3)
-- ---------------------------------------------------------------------------
SELECT results_eq(
  format('SELECT epoch FROM xb.training_log WHERE model_id = %s ORDER BY epoch', pg_temp.id_of('main')),
  'SELECT generate_series(1, 5)',
  'training_log has one row per epoch, epochs 1..5');
SELECT is((SELECT count(*)::int FROM xb.training_log
            WHERE model_id = pg_temp.id_of('main')
              AND NOT (pg_temp.finite(train_loss) AND train_loss >= 0 AND pg_temp.finite(validation_loss)
                       AND validation_loss >= 0 AND pg_temp.finite(seconds) AND seconds >= 0)),
          0, 'train_loss, validation_loss and seconds are finite and not negative');
SELECT is((SELECT count(*)::int FROM xb.training_log
            WHERE model_id = pg_temp.id_of('main') AND NOT (pg_temp.finite(learning_rate) AND learning_rate > 0)),
          0, 'learning_rate is logged and positive');

-- ---------------------------------------------------------------------------
-- Forecasts (9)
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap02_main')), 24, 'forecast has 3 stores x 8 rows');
SELECT results_eq(
  $$ SELECT series, ts FROM xb_forecast('pgtap02_main') ORDER BY series, ts $$,
  $$ SELECT s::text, d FROM generate_series(1, 3) s,
            generate_series('2012-11-02'::timestamp, '2012-12-21'::timestamp, interval '7 days') d
     ORDER BY 1, 2 $$,
  'every series gets exactly the 8 Fridays after 2012-10-26');
SELECT is(pg_temp.bad_points('pgtap02_main'), 0::bigint, 'every point is finite with lo <= yhat <= hi');
SELECT results_eq(
  $$ SELECT series, count(*)::int, min(ts), max(ts) FROM xb_forecast('pgtap02_main', 3) GROUP BY series ORDER BY series $$,
  $$ VALUES ('1', 3, '2012-11-02'::timestamp, '2012-11-16'::timestamp),
            ('2', 3, '2012-11-02'::timestamp, '2012-11-16'::timestamp),
            ('3', 3, '2012-11-02'::timestamp, '2012-11-16'::timestamp) $$,
  'xb_forecast(name, 3) gives the first 3 Fridays per series');
SELECT results_eq(
  $$ SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap02_main', 3) ORDER BY series, ts $$,
  $$ SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap02_main') WHERE ts <= '2012-11-16' ORDER BY series, ts $$,
  'a shorter horizon gives the first steps of the full forecast');
SELECT results_eq(
  $$ SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap02_main', NULL) ORDER BY series, ts $$,
  $$ SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap02_main', 8) ORDER BY series, ts $$,
  'horizon NULL means the trained horizon');
SELECT results_eq(
  $$ SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap02_main') ORDER BY series, ts $$,
  $$ SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap02_main') ORDER BY series, ts $$,
  'forecasting twice gives the same numbers');
SELECT is((SELECT count(*)::int
             FROM (SELECT series, avg(yhat) AS f FROM xb_forecast('pgtap02_main') GROUP BY series) f
             JOIN (SELECT store::text AS series, avg(weekly_sales) AS a FROM walmart
                    WHERE store <= 3 AND date > '2011-10-28' GROUP BY store) a USING (series)
            WHERE f.f BETWEEN 0.25 * a.a AND 4 * a.a),
          3, 'the mean forecast of each store is on the scale of its last year of sales');
SELECT ok((SELECT bool_and(hi - lo > 0) FROM xb_forecast('pgtap02_main')), 'intervals have positive width');

-- ---------------------------------------------------------------------------
-- The same seed under another name gives the same model (3)
-- ---------------------------------------------------------------------------
SELECT lives_ok($$
  INSERT INTO pgtap02_ids SELECT 'seed', xb_train_forecaster('pgtap02_seed', 'pgtap02_walmart3', 'date', 'weekly_sales',
    ARRAY['store'], NULL, 8, 'gru', '{"epochs": 5, "hidden": 16, "seed": 1}')$$,
  'training the same spec under another name works');
SELECT results_eq(
  $$ SELECT series, ts, yhat FROM xb_forecast('pgtap02_main') ORDER BY series, ts $$,
  $$ SELECT series, ts, yhat FROM xb_forecast('pgtap02_seed') ORDER BY series, ts $$,
  'the same seed gives identical yhat');
SELECT results_eq(
  format('SELECT split, estimator, metric, value FROM xb.model_metrics WHERE model_id = %s ORDER BY 1, 2, 3', pg_temp.id_of('main')),
  format('SELECT split, estimator, metric, value FROM xb.model_metrics WHERE model_id = %s ORDER BY 1, 2, 3', pg_temp.id_of('seed')),
  'the same seed gives identical metrics');

-- ---------------------------------------------------------------------------
-- Training the name again: version 2 becomes the deployed one (10)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE pgtap02_v1_forecast AS SELECT * FROM xb_forecast('pgtap02_main');
SELECT lives_ok($$
  INSERT INTO pgtap02_ids SELECT 'main_v2', xb_train_forecaster('pgtap02_main', 'pgtap02_walmart3', 'date', 'weekly_sales',
    ARRAY['store'], NULL, 4, 'gru', '{"epochs": 3, "hidden": 16, "seed": 2}')$$,
  'training the same name again works');
SELECT isnt(pg_temp.id_of('main_v2'), pg_temp.id_of('main'), 'the new version has a new id');
SELECT is((SELECT version FROM xb.models WHERE id = pg_temp.id_of('main_v2')), 2, 'the new version is version 2');
SELECT results_eq(
  $$ SELECT version, deployed FROM xb.models WHERE name = 'pgtap02_main' ORDER BY version $$,
  $$ VALUES (1, false), (2, true) $$,
  'version 2 is deployed and version 1 is not');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap02_main' AND deployed), 1,
          'exactly one version of the name is deployed');
SELECT ok((SELECT count(*) = 26 FROM xb.model_metrics WHERE model_id = pg_temp.id_of('main') AND split = 'test')
          AND (SELECT count(*) = 5 FROM xb.training_log WHERE model_id = pg_temp.id_of('main')),
          'version 1 keeps its metrics and training log');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap02_main')), 12,
          'xb_forecast uses the deployed version 2 (horizon 4: 3 x 4 rows)');
SELECT throws_ok($$ SELECT * FROM xb_forecast('pgtap02_main', 5) $$, '22023', NULL,
                 'horizon 5 is beyond the deployed version''s horizon 4');
SELECT throws_ok($$ UPDATE xb.models SET deployed = true WHERE name = 'pgtap02_main' AND version = 1 $$, '23505', NULL,
                 'a second deployed version of a name is refused by models_one_deployed');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap02_seed' AND deployed), 1,
          'retraining one name leaves another name''s deployment alone');

-- ---------------------------------------------------------------------------
-- Every architecture trains and forecasts (16)
-- ---------------------------------------------------------------------------
SELECT lives_ok(format($$
  INSERT INTO pgtap02_ids SELECT %L, xb_train_forecaster(%L, 'pgtap02_walmart3', 'date', 'weekly_sales',
    ARRAY['store'], NULL, 8, %L, '{"epochs": 2, "hidden": 16, "seed": 1}')$$, a, 'pgtap02_arch_' || a, a),
  'architecture ' || a || ' trains')
  FROM unnest(ARRAY['gru', 'lstm', 'transformer', 'attention_lstm']) a;
SELECT is((SELECT arch FROM xb.models WHERE id = pg_temp.id_of(a)), a, 'architecture ' || a || ' is recorded')
  FROM unnest(ARRAY['gru', 'lstm', 'transformer', 'attention_lstm']) a;
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap02_arch_' || a)), 24, 'architecture ' || a || ' forecasts 24 rows')
  FROM unnest(ARRAY['gru', 'lstm', 'transformer', 'attention_lstm']) a;
SELECT is(pg_temp.bad_points('pgtap02_arch_' || a), 0::bigint,
          'architecture ' || a || ': every point is finite with lo <= yhat <= hi')
  FROM unnest(ARRAY['gru', 'lstm', 'transformer', 'attention_lstm']) a;

-- ---------------------------------------------------------------------------
-- A multi-column series key (region text, store int) from a view (7)
-- ---------------------------------------------------------------------------
SELECT lives_ok($$
  INSERT INTO pgtap02_ids SELECT 'multi', xb_train_forecaster('pgtap02_multi', 'pgtap02_regional', 'date', 'weekly_sales',
    ARRAY['region', 'store'], NULL, 8, 'gru', '{"epochs": 2, "hidden": 16, "seed": 1}')$$,
  'training with series_cols {region, store} works');
SELECT is((SELECT series_cols FROM xb.models WHERE id = pg_temp.id_of('multi')), ARRAY['region', 'store'],
          'series_cols are stored in order');
SELECT is((SELECT train_rows FROM xb.models WHERE id = pg_temp.id_of('multi')), 429::bigint, 'train_rows is 429');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap02_multi')), 24, 'forecast has 3 series x 8 rows');
SELECT is((SELECT count(DISTINCT series)::int FROM xb_forecast('pgtap02_multi')), 3, 'forecast has 3 distinct series');
SELECT is((SELECT count(*)::int
             FROM (SELECT DISTINCT series FROM xb_forecast('pgtap02_multi')) f
             JOIN (SELECT DISTINCT region, store FROM pgtap02_regional) k
               ON strpos(f.series, k.region) > 0 AND strpos(f.series, k.store::text) > 0),
          3, 'each series text contains both its region and its store');
SELECT is((SELECT count(*)::int
             FROM (SELECT DISTINCT series FROM xb_forecast('pgtap02_multi')) f
            WHERE (strpos(series, 'east') > 0) = (strpos(series, 'west') > 0)),
          0, 'each series text names exactly one region');

-- ---------------------------------------------------------------------------
-- A SELECT text source, with a covariate (6)
-- ---------------------------------------------------------------------------
SELECT lives_ok($$
  INSERT INTO pgtap02_ids SELECT 'select', xb_train_forecaster('pgtap02_select',
    'SELECT store, date, weekly_sales, temperature FROM walmart WHERE store <= 3', 'date', 'weekly_sales',
    ARRAY['store'], ARRAY['temperature'], 8, 'gru', '{"epochs": 2, "hidden": 16, "seed": 1}')$$,
  'training on a SELECT text source with a feature column works');
SELECT is((SELECT source FROM xb.models WHERE id = pg_temp.id_of('select')),
          'SELECT store, date, weekly_sales, temperature FROM walmart WHERE store <= 3', 'the query text is stored as source');
SELECT is((SELECT feature_cols FROM xb.models WHERE id = pg_temp.id_of('select')), ARRAY['temperature'],
          'feature_cols are stored');
SELECT is((SELECT train_rows FROM xb.models WHERE id = pg_temp.id_of('select')), 429::bigint, 'train_rows is 429');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap02_select')), 24, 'forecast has 24 rows');
SELECT results_eq(
  format($$SELECT split, metric, value FROM xb.model_metrics WHERE model_id = %s AND estimator = 'seasonal_naive' ORDER BY 1, 2$$,
         pg_temp.id_of('main')),
  format($$SELECT split, metric, value FROM xb.model_metrics WHERE model_id = %s AND estimator = 'seasonal_naive' ORDER BY 1, 2$$,
         pg_temp.id_of('select')),
  'the seasonal-naive baseline is the same on the same data and splits');

-- ---------------------------------------------------------------------------
-- A view source (4)
-- ---------------------------------------------------------------------------
SELECT lives_ok($$
  INSERT INTO pgtap02_ids SELECT 'view', xb_train_forecaster('pgtap02_view', 'pgtap02_v3', 'date', 'weekly_sales',
    ARRAY['store'], NULL, 8, 'gru', '{"epochs": 2, "hidden": 16, "seed": 1}')$$,
  'training on a view source works');
SELECT is((SELECT train_rows FROM xb.models WHERE id = pg_temp.id_of('view')), 429::bigint, 'train_rows is 429');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap02_view')), 24, 'forecast has 24 rows');
SELECT is(pg_temp.bad_points('pgtap02_view'), 0::bigint, 'every point is finite with lo <= yhat <= hi');

-- ---------------------------------------------------------------------------
-- No series columns: one series (4)
-- ---------------------------------------------------------------------------
SELECT lives_ok($$
  INSERT INTO pgtap02_ids SELECT 'single', xb_train_forecaster('pgtap02_single',
    'SELECT date, weekly_sales FROM walmart WHERE store = 1', 'date', 'weekly_sales',
    NULL, NULL, 8, 'gru', '{"epochs": 2, "hidden": 16, "seed": 1}')$$,
  'training a single series (series_cols NULL) works');
SELECT is((SELECT train_rows FROM xb.models WHERE id = pg_temp.id_of('single')), 143::bigint, 'train_rows is 143');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap02_single')), 8, 'forecast has 8 rows');
SELECT is((SELECT count(DISTINCT coalesce(series, ''))::int FROM xb_forecast('pgtap02_single')), 1,
          'forecast has one series');

-- ---------------------------------------------------------------------------
-- Catalog totals after all of the above (2)
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM xb.models WHERE name LIKE 'pgtap02\_%'), 11, '11 model versions were stored');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name LIKE 'pgtap02\_%' AND deployed), 10,
          '10 names, one deployed version each');

SELECT * FROM finish();
ROLLBACK;
