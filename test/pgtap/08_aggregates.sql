-- The forecasting aggregates xb_forecast_agg and xb_fit_forecaster, and
-- xb_forecast(model bytea): GROUP BY over Walmart stores, equality with the
-- function form, parallel and partitionwise plans (which run the combine,
-- serialize and deserialize functions) giving the serial result, NULL and
-- timestamptz semantics, cancellation, and bad input.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(118);

SET LOCAL xb.progress_every = 0;
SET LOCAL max_parallel_workers_per_gather = 0;  -- serial unless a section asks for workers

\ir walmart.psql
-- A plain table: parallel workers cannot read temporary ones. Rows in date
-- order, so every page holds every store and each worker sees part of each.
CREATE TABLE pgtap08_walmart AS SELECT store, date, weekly_sales FROM walmart WHERE store <= 4 ORDER BY date, store;
ALTER TABLE pgtap08_walmart SET (parallel_workers = 2);
ANALYZE pgtap08_walmart;

-- The options every comparison uses (tiny and seeded). A pg_temp function is
-- PARALLEL UNSAFE, so the parallel section spells them out.
CREATE FUNCTION pg_temp.opts() RETURNS jsonb LANGUAGE sql IMMUTABLE AS
  $$ SELECT '{"arch": "gru", "epochs": 2, "hidden": 8, "seed": 7}'::jsonb $$;
CREATE FUNCTION pg_temp.finite(x float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS
  $$ SELECT x IS NOT NULL AND x <> 'NaN'::float8 AND x <> 'Infinity'::float8 AND x <> '-Infinity'::float8 $$;
-- The plan's text, one string.
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    plan := plan || line || E'\n';
  END LOOP;
  RETURN plan;
END $$;
-- EXPLAIN ANALYZE in JSON: runs the statement (a CREATE TABLE AS keeps its table).
CREATE FUNCTION pg_temp.analyzed(stmt text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || stmt INTO plan;
  RETURN plan::jsonb;
END $$;
-- How many times a plan line names a node.
CREATE FUNCTION pg_temp.count_of(haystack text, needle text) RETURNS int LANGUAGE sql IMMUTABLE AS
  $$ SELECT (length(haystack) - length(replace(haystack, needle, ''))) / length(needle) $$;

-- fails(statement, sqlstate, description [, message LIKE pattern]): the
-- statement fails with that SQLSTATE, a hint, and (when given) a message
-- matching the pattern.
CREATE FUNCTION pg_temp.fails(stmt text, code text, descr text, msg_like text DEFAULT NULL)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  got_code text := '00000';
  got_msg text := '';
  got_hint text := '';
BEGIN
  BEGIN
    EXECUTE stmt;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS got_code = RETURNED_SQLSTATE, got_msg = MESSAGE_TEXT, got_hint = PG_EXCEPTION_HINT;
  END;
  RETURN NEXT is(got_code, code, descr || ': SQLSTATE ' || code || ' (' || got_msg || ')');
  RETURN NEXT ok(coalesce(got_hint, '') <> '', descr || ': the error has a hint');
  IF msg_like IS NOT NULL THEN
    RETURN NEXT alike(got_msg, msg_like, descr || ': the message matches ' || msg_like);
  END IF;
END $$;

-- ---------------------------------------------------------------------------
-- Catalog (6)
-- ---------------------------------------------------------------------------
SELECT has_type('xb', 'forecast_point', 'type xb.forecast_point exists');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = 'xb.forecast_point'::regtype) AND attnum > 0),
          'ts timestamp without time zone, yhat double precision, lo double precision, hi double precision',
          'xb.forecast_point is (ts timestamp, yhat, lo, hi float8)');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
            WHERE p.proname IN ('xb_fit_forecaster', 'xb_forecast_agg')
              AND p.proparallel = 's' AND a.aggcombinefn <> 0 AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0
              AND a.aggtranstype = 'internal'::regtype),
          3, 'the three aggregates are PARALLEL SAFE with combine, serialize and deserialize functions');
SELECT is((SELECT pg_get_function_arguments('xb_forecast(bytea, integer)'::regprocedure)),
          'model bytea, horizon integer DEFAULT NULL::integer', 'xb_forecast(model bytea, horizon integer DEFAULT NULL)');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE proname = 'xb_forecast'), 2, 'xb_forecast has two forms');
SELECT is((SELECT count(*)::int FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
            WHERE e.extname = 'xb' AND d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
              AND d.objid IN ('xb_forecast(bytea, integer)'::regprocedure,
                              'xb_fit_forecaster(anyelement, double precision, jsonb)'::regprocedure,
                              'xb_forecast_agg(anyelement, double precision, integer)'::regprocedure,
                              'xb_forecast_agg(anyelement, double precision, integer, jsonb)'::regprocedure)),
          4, 'the aggregates and xb_forecast(bytea) belong to extension xb');

-- ---------------------------------------------------------------------------
-- GROUP BY four stores, serially (13)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE pgtap08_serial_agg AS
  SELECT store, xb_forecast_agg(date, weekly_sales, 8, pg_temp.opts()) AS points
  FROM pgtap08_walmart GROUP BY store;
CREATE TEMP TABLE pgtap08_serial_fit AS
  SELECT store, xb_fit_forecaster(date, weekly_sales, jsonb_build_object('series', store) || pg_temp.opts()) AS model
  FROM pgtap08_walmart GROUP BY store;
CREATE TEMP VIEW pgtap08_serial_points AS
  SELECT s.store, p.* FROM pgtap08_serial_agg s, unnest(s.points) WITH ORDINALITY AS p(ts, yhat, lo, hi, step);

SELECT results_eq($$ SELECT store FROM pgtap08_serial_agg ORDER BY store $$, $$ VALUES (1), (2), (3), (4) $$,
                  'xb_forecast_agg: one row per store');
SELECT is((SELECT count(*)::int FROM pgtap08_serial_agg WHERE cardinality(points) = 8), 4,
          'xb_forecast_agg: 8 points per store');
SELECT is((SELECT count(*)::int FROM pgtap08_serial_points
            WHERE ts <> '2012-11-02'::timestamp + (step - 1) * interval '7 days'),
          0, 'the points are the 8 Fridays after 2012-10-26, in order');
SELECT is((SELECT count(*)::int FROM pgtap08_serial_points
            WHERE NOT (pg_temp.finite(yhat) AND pg_temp.finite(lo) AND pg_temp.finite(hi) AND lo <= yhat AND yhat <= hi)),
          0, 'every point is finite with lo <= yhat <= hi');
SELECT is((SELECT count(DISTINCT points)::int FROM pgtap08_serial_agg), 4, 'every store gets its own forecast');
SELECT ok((SELECT bool_and(yhat BETWEEN 0.2 * lo_sales AND 5 * hi_sales) FROM pgtap08_serial_points s
             JOIN (SELECT store, min(weekly_sales) lo_sales, max(weekly_sales) hi_sales FROM walmart GROUP BY store) w
             USING (store)),
          'forecasts are on the scale of the store''s own history');
SELECT results_eq($$ SELECT store FROM pgtap08_serial_fit WHERE length(model) > 1000 ORDER BY store $$,
                  $$ VALUES (1), (2), (3), (4) $$, 'xb_fit_forecaster: one model bytea per store');
SELECT results_eq(
  $$ SELECT f.series, count(*)::int FROM pgtap08_serial_fit m, xb_forecast(m.model) f GROUP BY 1 ORDER BY 1 $$,
  $$ VALUES ('1', 8), ('2', 8), ('3', 8), ('4', 8) $$,
  'xb_forecast(model bytea): 8 rows per model, labelled by the "series" option');
SELECT is((SELECT count(*)::int FROM pgtap08_serial_fit m, xb_forecast(m.model, 3) f), 12,
          'xb_forecast(model, 3): 3 rows per model');
SELECT is((SELECT count(*)::int FROM pgtap08_serial_fit m, xb_forecast(m.model) f WHERE f.series <> m.store::text), 0,
          'each model forecasts its own store');
SELECT is((SELECT count(*)::int FROM xb.models), 0, 'the aggregates write nothing to xb.models');
SELECT is((SELECT cardinality(xb_forecast_agg(d, y, 2))
             FROM (SELECT date '2024-01-01' + i AS d, (10 + i % 7)::float8 AS y FROM generate_series(0, 59) i) s),
          2, 'xb_forecast_agg(ts, y, horizon) without options trains the default GRU');
SELECT is((SELECT xb_forecast_agg(date, weekly_sales, 4, pg_temp.opts()) FROM pgtap08_walmart WHERE store = 3),
          (SELECT xb_forecast_agg(date, weekly_sales, 4, pg_temp.opts()) FROM pgtap08_walmart WHERE store = 3),
          'the same group and seed give the same forecast twice');

-- ---------------------------------------------------------------------------
-- Equal to the function form (8)
-- ---------------------------------------------------------------------------
SELECT lives_ok($$ SELECT xb_train_forecaster('pgtap08_store2', 'SELECT date, weekly_sales FROM walmart WHERE store = 2',
                                               'date', 'weekly_sales', NULL, NULL, 8, 'gru', pg_temp.opts() - 'arch') $$,
                'xb_train_forecaster on store 2 alone');
SELECT results_eq(
  $$ SELECT ts, yhat, lo, hi FROM xb_forecast('pgtap08_store2') ORDER BY ts $$,
  $$ SELECT ts, yhat, lo, hi FROM pgtap08_serial_points WHERE store = 2 ORDER BY ts $$,
  'xb_forecast_agg for store 2 = xb_train_forecaster + xb_forecast(''name'') on store 2 (untyped literal: the name form)');
SELECT results_eq(
  $$ SELECT m.store, f.ts, f.yhat, f.lo, f.hi FROM pgtap08_serial_fit m, xb_forecast(m.model) f ORDER BY 1, 2 $$,
  $$ SELECT store, ts, yhat, lo, hi FROM pgtap08_serial_points ORDER BY 1, 2 $$,
  'xb_forecast(xb_fit_forecaster(...)) = xb_forecast_agg(...) for every store');
SELECT results_eq(
  $$ SELECT f.ts, f.yhat, f.lo, f.hi FROM pgtap08_serial_fit m, xb_forecast(m.model, 3) f WHERE m.store = 1 ORDER BY 1 $$,
  $$ SELECT ts, yhat, lo, hi FROM pgtap08_serial_points WHERE store = 1 AND step <= 3 ORDER BY 1 $$,
  'xb_forecast(model, 3) = the first 3 points of xb_forecast_agg');
SELECT lives_ok($$ SELECT xb_train_forecaster('pgtap08_lstm', 'SELECT date, weekly_sales FROM walmart WHERE store = 4',
                                               'date', 'weekly_sales', NULL, NULL, 4, 'lstm', pg_temp.opts() - 'arch') $$,
                'xb_train_forecaster: an LSTM with horizon 4 on store 4');
SELECT results_eq(
  $$ SELECT ts, yhat, lo, hi FROM xb_forecast('pgtap08_lstm') ORDER BY ts $$,
  $$ SELECT f.ts, f.yhat, f.lo, f.hi
       FROM (SELECT xb_fit_forecaster(date, weekly_sales, pg_temp.opts() || '{"arch": "lstm", "horizon": 4}') AS model
               FROM pgtap08_walmart WHERE store = 4) m, xb_forecast(m.model) f ORDER BY ts $$,
  'xb_fit_forecaster with "arch": "lstm", "horizon": 4 = the function form with arch and horizon');
SELECT results_eq(
  $$ SELECT ts, yhat, lo, hi FROM xb_forecast('pgtap08_lstm') ORDER BY ts $$,
  $$ SELECT p.* FROM (SELECT xb_forecast_agg(date, weekly_sales, 4, pg_temp.opts() || '{"arch": "lstm"}') AS points
                        FROM pgtap08_walmart WHERE store = 4) a, unnest(a.points) p ORDER BY 1 $$,
  'xb_forecast_agg with "arch": "lstm" = the function form');
SELECT throws_ok($$ SELECT * FROM xb_forecast(NULL) $$, '22023', 'name must not be NULL',
                 'xb_forecast(NULL) is still the name form');

-- ---------------------------------------------------------------------------
-- In parallel: Gather over Partial Aggregate, the serial result (15)
-- ---------------------------------------------------------------------------
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;  -- the workers scan: their states cross processes

CREATE TEMP TABLE pgtap08_plans (agg text PRIMARY KEY, plan text);
INSERT INTO pgtap08_plans VALUES
  ('xb_forecast_agg', pg_temp.plan_of(
     'SELECT store, xb_forecast_agg(date, weekly_sales, 8, ''{"arch": "gru", "epochs": 2, "hidden": 8, "seed": 7}'') FROM pgtap08_walmart GROUP BY store')),
  ('xb_fit_forecaster', pg_temp.plan_of(
     'SELECT store, xb_fit_forecaster(date, weekly_sales, ''{"arch": "gru", "epochs": 2}'') FROM pgtap08_walmart GROUP BY store'));
SELECT ok(plan ~ 'Finalize (Hash|Group)Aggregate' AND plan ~ 'Gather' AND plan ~ 'Partial (Hash|Group)Aggregate'
          AND plan ~ 'Parallel Seq Scan on pgtap08_walmart',
          agg || ': the plan is Finalize Aggregate over Gather over Partial Aggregate over Parallel Seq Scan')
  FROM pgtap08_plans ORDER BY agg;

CREATE TEMP TABLE pgtap08_runs (agg text PRIMARY KEY, plan jsonb);
INSERT INTO pgtap08_runs VALUES
  ('xb_forecast_agg', pg_temp.analyzed(
     'CREATE TEMP TABLE pgtap08_parallel_agg AS
        SELECT store, xb_forecast_agg(date, weekly_sales, 8, ''{"arch": "gru", "epochs": 2, "hidden": 8, "seed": 7}'') AS points FROM pgtap08_walmart GROUP BY store'));
INSERT INTO pgtap08_runs VALUES
  ('xb_fit_forecaster', pg_temp.analyzed(
     'CREATE TEMP TABLE pgtap08_parallel_fit AS
        SELECT store, xb_fit_forecaster(date, weekly_sales, jsonb_build_object(''series'', store) || ''{"arch": "gru", "epochs": 2, "hidden": 8, "seed": 7}'') AS model
        FROM pgtap08_walmart GROUP BY store'));
SELECT ok((jsonb_path_query_first(plan, '$.**."Workers Launched"'))::int >= 1,
          agg || ': the parallel run launched workers')
  FROM pgtap08_runs ORDER BY agg;
SELECT ok((jsonb_path_query_first(plan, '$.** ? (@."Node Type" == "Gather")."Actual Rows"'))::int >= 4,
          agg || ': partial states of every store went through Gather')
  FROM pgtap08_runs ORDER BY agg;
SELECT results_eq($$ SELECT store, points::text FROM pgtap08_parallel_agg ORDER BY store $$,
                  $$ SELECT store, points::text FROM pgtap08_serial_agg ORDER BY store $$,
                  'xb_forecast_agg in parallel = serially, to the last digit');
SELECT results_eq(
  $$ SELECT m.store, f.ts, f.yhat, f.lo, f.hi FROM pgtap08_parallel_fit m, xb_forecast(m.model) f ORDER BY 1, 2 $$,
  $$ SELECT m.store, f.ts, f.yhat, f.lo, f.hi FROM pgtap08_serial_fit m, xb_forecast(m.model) f ORDER BY 1, 2 $$,
  'xb_fit_forecaster in parallel forecasts as serially');
SELECT is((SELECT count(*)::int FROM pgtap08_parallel_fit p JOIN pgtap08_serial_fit s USING (store)
            WHERE p.model = s.model), 4, 'xb_fit_forecaster in parallel gives the serial model bytes');
-- Errors raised in the workers keep their SQLSTATE and hint.
SELECT pg_temp.fails($$ SELECT store, xb_forecast_agg(date, weekly_sales, 8, '{"epoch": 2}') FROM pgtap08_walmart GROUP BY store $$,
                     '22023', 'in parallel, an unknown option', '%"epoch"%');
SELECT pg_temp.fails($$ SELECT store, xb_fit_forecaster(date, weekly_sales, '{"arch": "gru", "epochs": 2, "hidden": 8, "seed": 7}')
                          FROM (SELECT * FROM pgtap08_walmart UNION ALL
                                SELECT * FROM pgtap08_walmart WHERE store = 3 AND date = '2011-03-04') w GROUP BY store $$,
                     '22000', 'in parallel, a duplicate timestamp', '%duplicate timestamp 2011-03-04%');

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET LOCAL max_parallel_workers_per_gather = 0;

-- ---------------------------------------------------------------------------
-- Partitionwise: one partial state per store and year, combined (3)
-- ---------------------------------------------------------------------------
CREATE TABLE pgtap08_by_year (store int, date date, weekly_sales float8) PARTITION BY RANGE (date);
CREATE TABLE pgtap08_y2010 PARTITION OF pgtap08_by_year FOR VALUES FROM ('2010-01-01') TO ('2011-01-01');
CREATE TABLE pgtap08_y2011 PARTITION OF pgtap08_by_year FOR VALUES FROM ('2011-01-01') TO ('2012-01-01');
CREATE TABLE pgtap08_y2012 PARTITION OF pgtap08_by_year FOR VALUES FROM ('2012-01-01') TO ('2013-01-01');
INSERT INTO pgtap08_by_year SELECT * FROM pgtap08_walmart;
ANALYZE pgtap08_by_year;
SET LOCAL enable_partitionwise_aggregate = on;
SELECT is(pg_temp.count_of(pg_temp.plan_of(
            'SELECT store, xb_forecast_agg(date, weekly_sales, 8, pg_temp.opts()) FROM pgtap08_by_year GROUP BY store'),
            'Partial'), 3,
          'partitionwise: a Partial Aggregate per partition');
SELECT ok(pg_temp.plan_of('SELECT store, xb_fit_forecaster(date, weekly_sales, pg_temp.opts()) FROM pgtap08_by_year GROUP BY store')
            ~ 'Finalize (Hash|Group)Aggregate',
          'partitionwise: xb_fit_forecaster is finalized from partial states');
SELECT results_eq(
  $$ SELECT store, xb_forecast_agg(date, weekly_sales, 8, pg_temp.opts())::text FROM pgtap08_by_year GROUP BY store ORDER BY store $$,
  $$ SELECT store, points::text FROM pgtap08_serial_agg ORDER BY store $$,
  'partitionwise: three states per store, combined, give the serial forecast');
RESET enable_partitionwise_aggregate;

-- ---------------------------------------------------------------------------
-- NULLs and time types (10)
-- ---------------------------------------------------------------------------
SELECT is((SELECT xb_forecast_agg(date, CASE WHEN date IN ('2011-03-04', '2012-01-06') THEN NULL ELSE weekly_sales END,
                                  4, pg_temp.opts()) FROM pgtap08_walmart WHERE store = 1),
          (SELECT xb_forecast_agg(date, weekly_sales, 4, pg_temp.opts())
             FROM pgtap08_walmart WHERE store = 1 AND date NOT IN ('2011-03-04', '2012-01-06')),
          'rows with a NULL y are skipped (their weeks are gaps, interpolated)');
SELECT is((SELECT xb_forecast_agg(CASE WHEN date = '2011-03-04' THEN NULL ELSE date END, weekly_sales, 4, pg_temp.opts())
             FROM pgtap08_walmart WHERE store = 1),
          (SELECT xb_forecast_agg(date, weekly_sales, 4, pg_temp.opts())
             FROM pgtap08_walmart WHERE store = 1 AND date <> '2011-03-04'),
          'rows with a NULL ts are skipped');
SELECT ok((SELECT xb_fit_forecaster(date, NULL, pg_temp.opts()) FROM pgtap08_walmart WHERE store = 1) IS NULL,
          'a group whose y are all NULL gives NULL, as avg() does');
SELECT ok((SELECT xb_forecast_agg(date, weekly_sales, 8, pg_temp.opts()) FROM pgtap08_walmart WHERE false) IS NULL,
          'no rows give NULL');
SELECT is((SELECT xb_forecast_agg(date::timestamp, weekly_sales, 8, pg_temp.opts()) FROM pgtap08_walmart WHERE store = 2),
          (SELECT points FROM pgtap08_serial_agg WHERE store = 2), 'timestamp and date give the same forecast');
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT is((SELECT xb_forecast_agg(date::timestamp AT TIME ZONE 'UTC', weekly_sales, 8, pg_temp.opts())
             FROM pgtap08_walmart WHERE store = 2),
          (SELECT points FROM pgtap08_serial_agg WHERE store = 2),
          'timestamptz counts in UTC, whatever the session time zone');
SELECT is((SELECT ((xb_forecast_agg(date::timestamp AT TIME ZONE INTERVAL '-05:00', weekly_sales, 2, pg_temp.opts()))[1]).ts
             FROM pgtap08_walmart WHERE store = 2),
          '2012-11-02 05:00'::timestamp, 'a timestamptz forecast comes back as a UTC timestamp');
RESET TimeZone;
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(date, CASE WHEN date = '2011-03-04' THEN NULL ELSE weekly_sales END, 4,
                                               '{"fill": "error", "arch": "gru", "epochs": 2}') FROM pgtap08_walmart WHERE store = 1 $$,
                     '22000', 'a NULL y with "fill": "error"', '%missing%');

-- ---------------------------------------------------------------------------
-- Cancellation: statement_timeout stops a training in the final function (2)
-- ---------------------------------------------------------------------------
\ir run_timed.psql
SET LOCAL statement_timeout = '1s';
CREATE TEMP TABLE pgtap08_timeout AS
  SELECT * FROM pg_temp.run_timed($$ SELECT xb_fit_forecaster(date, weekly_sales, '{"arch": "gru", "epochs": 100000, "patience": 100000}')
                                       FROM pgtap08_walmart WHERE store = 1 $$);
RESET statement_timeout;
SELECT is(state, '57014', 'statement_timeout cancels xb_fit_forecaster: SQLSTATE 57014') FROM pgtap08_timeout;
SELECT ok(secs < 5, 'the cancel lands within seconds (' || round(secs::numeric, 2) || ' s)') FROM pgtap08_timeout;

-- ---------------------------------------------------------------------------
-- Bad input: a clean ERROR with its SQLSTATE and a hint (63)
-- ---------------------------------------------------------------------------
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(date, weekly_sales, NULL) FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'a NULL horizon', '%horizon must not be NULL%');
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(date, weekly_sales, 0) FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'horizon 0', '%horizon must be at least 1%');
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(date, weekly_sales, -5, pg_temp.opts()) FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'a negative horizon');
SELECT pg_temp.fails($$ SELECT xb_fit_forecaster(date, weekly_sales, '{"horizon": 0}') FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'option "horizon": 0');
SELECT pg_temp.fails($$ SELECT xb_fit_forecaster(date, weekly_sales, '{"horizon": "8"}') FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'option "horizon" as a string');
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(date, weekly_sales, 8, '{"horizon": 4}') FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'option "horizon" beside the horizon argument');
SELECT pg_temp.fails($$ SELECT xb_fit_forecaster(date, weekly_sales, '{"epoch": 2}') FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'an unknown option key', '%unknown option "epoch"%');
SELECT pg_temp.fails($$ SELECT xb_fit_forecaster(date, weekly_sales, '{"arch": "rnn"}') FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'an unknown arch', '%rnn%');
SELECT pg_temp.fails($$ SELECT xb_fit_forecaster(date, weekly_sales, '[1, 2]') FROM pgtap08_walmart WHERE store = 1 $$,
                     '22023', 'options that are not an object');
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(store, weekly_sales, 8) FROM pgtap08_walmart $$,
                     '42804', 'an integer ts', '%date, timestamp or timestamptz%');
SELECT pg_temp.fails($$ SELECT xb_fit_forecaster(date, weekly_sales, jsonb_build_object('arch', 'gru', 'epochs', store))
                          FROM pgtap08_walmart WHERE store <= 2 $$,
                     '22023', 'options that change within a group', '%same in every row%');
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(date, weekly_sales, store) FROM pgtap08_walmart WHERE store <= 2 $$,
                     '22023', 'a horizon that changes within a group', '%same in every row%');
SELECT is((SELECT string_agg(store || ':' || cardinality(f), ' ' ORDER BY store)
           FROM (SELECT store, xb_forecast_agg(date, weekly_sales, 8, pg_temp.opts()) AS f FROM pgtap08_walmart
                 WHERE store <> 3 OR date < '2010-06-01' GROUP BY store) g),
          '1:8 2:8 3:8 4:8',
  'a group too short for the network is forecast by auto''s statistical members, not an error that fails the query');
SELECT pg_temp.fails($$ SELECT store, xb_fit_forecaster(date, weekly_sales, jsonb_build_object('series', 'store ' || store) || pg_temp.opts())
                          FROM (SELECT * FROM pgtap08_walmart UNION ALL
                                SELECT * FROM pgtap08_walmart WHERE store = 2 AND date = '2011-03-04') w GROUP BY store $$,
                     '22000', 'a duplicate timestamp in a group', '%duplicate timestamp 2011-03-04 00:00:00 in series "store 2"%');
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(date, CASE WHEN date = '2011-03-04' THEN 'NaN' ELSE weekly_sales END, 8)
                          FROM pgtap08_walmart WHERE store = 1 $$,
                     '22000', 'a NaN y', '%not finite%');
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(CASE WHEN date = '2011-03-04' THEN 'infinity' ELSE date END, weekly_sales, 8)
                          FROM pgtap08_walmart WHERE store = 1 $$,
                     '22000', 'an infinite ts', '%infinite%');
SET LOCAL xb.max_train_rows = 100;
SELECT pg_temp.fails($$ SELECT xb_forecast_agg(date, weekly_sales, 8) FROM pgtap08_walmart WHERE store = 1 $$,
                     '54000', 'a group larger than xb.max_train_rows', '%more than 100 rows%');
RESET xb.max_train_rows;

CREATE TEMP TABLE pgtap08_one_model AS SELECT model FROM pgtap08_serial_fit WHERE store = 1;
SELECT pg_temp.fails($$ SELECT * FROM xb_forecast(NULL::bytea) $$, '22023', 'a NULL model', '%model must not be NULL%');
SELECT pg_temp.fails($$ SELECT * FROM xb_forecast('\x'::bytea) $$, 'XX001', 'an empty model');
SELECT pg_temp.fails($$ SELECT * FROM xb_forecast('\xdeadbeef'::bytea) $$, 'XX001', 'bytes that are not a model');
SELECT pg_temp.fails($$ SELECT f.* FROM pgtap08_one_model m, xb_forecast(substring(m.model FROM 1 FOR length(m.model) / 2)) f $$,
                     'XX001', 'a truncated model');
SELECT pg_temp.fails($$ SELECT f.* FROM pgtap08_one_model m,
                          xb_forecast(set_byte(m.model, length(m.model) / 2, (get_byte(m.model, length(m.model) / 2) + 1) % 256)) f $$,
                     'XX001', 'a model with one byte changed');
SELECT pg_temp.fails($$ SELECT f.* FROM pgtap08_one_model m, xb_forecast(m.model, 0) f $$, '22023', 'xb_forecast(model, 0)');
SELECT pg_temp.fails($$ SELECT f.* FROM pgtap08_one_model m, xb_forecast(m.model, 9) f $$, '22023',
                     'a horizon beyond the trained one', '%beyond the trained horizon 8%');
SELECT is((SELECT count(*)::int FROM pgtap08_one_model m, xb_forecast(m.model) f), 8, 'the intact model still forecasts');

SELECT * FROM finish();
ROLLBACK;
