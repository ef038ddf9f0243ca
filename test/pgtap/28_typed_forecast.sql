-- Forecast rows that join back without casts (issue 14, item 9):
-- xb_forecast_typed(name, NULL::the_key_type) gives the series keys in their
-- own type (one column, or a composite for several), and the version that
-- forecast; xb_forecast keeps its signature for views built on it.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(17);

SET LOCAL xb.progress_every = 0;

-- Twelve stores in two regions: 1, 2, ..., 12 sort as numbers, not as text.
CREATE TEMP TABLE sales AS
SELECT s AS store, CASE WHEN s % 2 = 0 THEN 'east' ELSE 'west' END AS region, date '2021-01-03' + 7 * w AS week,
       100 * s + 20 * sin(2 * pi() * w / 52.0) + (w * 37 % 11) AS units
FROM generate_series(1, 12) s, generate_series(0, 120) w;

SELECT lives_ok($$SELECT xb_train_forecaster('pgtap28_one', 'sales', 'week', 'units', ARRAY['store'], horizon => 3)$$,
                'a forecaster keyed by an integer column');
SELECT is(pg_typeof(key)::text, 'integer', 'NULL::int gives integer keys')
FROM xb_forecast_typed('pgtap28_one', NULL::int) LIMIT 1;
SELECT is((SELECT array_agg(DISTINCT key ORDER BY key) FROM xb_forecast_typed('pgtap28_one', NULL::int)),
          (SELECT array_agg(s) FROM generate_series(1, 12) s), 'they sort as numbers: 1, 2, ..., 12');
SELECT is((SELECT count(*)::int FROM xb_forecast_typed('pgtap28_one', NULL::int) f
           JOIN (SELECT DISTINCT store FROM sales) s ON s.store = f.key), 36,
          'and join the source on the key column without a cast (12 stores x 3 weeks)');
SELECT is((SELECT count(*)::int FROM (SELECT key::text, ts, yhat, lo, hi FROM xb_forecast_typed('pgtap28_one', NULL::int)
                                      EXCEPT SELECT series, ts, yhat, lo, hi FROM xb_forecast('pgtap28_one')) d), 0,
          'the rows are xb_forecast''s');
SELECT is((SELECT DISTINCT version FROM xb_forecast_typed('pgtap28_one', NULL::int)), 1, 'with the version that forecast');
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap28_one', 'sales', 'week', 'units', ARRAY['store'], horizon => 3)$$,
                'a second version');
SELECT is((SELECT DISTINCT version FROM xb_forecast_typed('pgtap28_one', NULL::int, horizon => 2)), 2,
          'is the one that forecasts now, and the options pass through');

-- Two key columns: a composite type with one field per series column.
CREATE TYPE pg_temp.region_store AS (region text, store int);
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap28_two', 'sales', 'week', 'units', ARRAY['region', 'store'], horizon => 2)$$,
                'a forecaster keyed by two columns');
SELECT is((SELECT count(*)::int FROM xb_forecast_typed('pgtap28_two', NULL::pg_temp.region_store) f
           JOIN (SELECT DISTINCT region, store FROM sales) s ON (s.region, s.store) = ((f.key).region, (f.key).store)), 24,
          'a composite type gives each key column in its own type');

SELECT throws_like($$SELECT * FROM xb_forecast_typed('pgtap28_one', NULL::date)$$,
                   'the series keys of model "pgtap28_one" are not values of type date: invalid input syntax for type date: %',
                   'keys of another type are a clear error');
SELECT throws_ok($$SELECT * FROM xb_forecast_typed('pgtap28_one', NULL::pg_temp.region_store)$$, '42804',
                 'the series keys of model "pgtap28_one" do not split into the 2 fields of type region_store',
                 'so is a composite with the wrong number of fields');

-- The interval level per call (issue 14, "what BigQuery ML users reach
-- for"): every forecaster keeps 0.5, 0.8, 0.9, 0.95 and 0.99 beside its
-- trained level (0.9 by default); the point forecast does not move.
CREATE TEMP TABLE pgtap28_levels AS
SELECT f.key, f.ts, f.yhat, f.lo, f.hi, w.lo AS lo95, w.hi AS hi95
FROM xb_forecast_typed('pgtap28_one', NULL::int, level => 0.8) f
JOIN xb_forecast_typed('pgtap28_one', NULL::int, level => 0.95) w USING (key, ts);
SELECT is((SELECT count(*)::int FROM pgtap28_levels l JOIN xb_forecast('pgtap28_one') f ON f.series = l.key::text AND f.ts = l.ts
           WHERE l.yhat = f.yhat), 36, 'a level per call keeps the point forecast');
SELECT ok((SELECT bool_and(lo >= lo95 AND hi <= hi95) AND bool_or(hi - lo < hi95 - lo95) FROM pgtap28_levels),
          'the 80 % interval lies inside the 95 % one, and is narrower');
SELECT is((SELECT count(*)::int FROM (SELECT key::text, ts, lo, hi FROM xb_forecast_typed('pgtap28_one', NULL::int, level => 0.9)
                                      EXCEPT SELECT series, ts, lo, hi FROM xb_forecast('pgtap28_one')) d), 0,
          'the trained level (0.9) is xb_forecast''s interval');
SELECT throws_ok($$SELECT * FROM xb_forecast_typed('pgtap28_one', NULL::int, level => 0.85)$$, '22023',
                 'the model has no interval at level 0.85', 'a level the model does not keep names the ones it does');
SELECT throws_ok($$SELECT * FROM xb_forecast_typed('pgtap28_one', NULL::int, level => 1)$$, '22023',
                 'level must be between 0 and 1, not 1', 'a level outside (0, 1) is refused');

SELECT * FROM finish();
ROLLBACK;
