-- pg_cancel_backend stops a training and a long scoring in another session
-- promptly (the seconds are measured and printed), the backend survives, no
-- model row is left, and the same session trains and forecasts again; and
-- statement_timeout stops a long scoring. (statement_timeout on training is
-- 04_interrupt.sql.)
--
-- The second session is a dblink connection to this database: it must see
-- xb, so xb and dblink are committed here when missing, and dropped again at
-- the end, with the models the second session committed.
--
-- pgTAP's throws_ok cannot catch 57014 (PL/pgSQL's OTHERS excludes
-- QUERY_CANCELED), so pg_temp functions below catch it explicitly.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;

CREATE TEMP TABLE pgtap05_created AS
  SELECT NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'xb') AS xb,
         NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'dblink') AS dblink;
CREATE EXTENSION IF NOT EXISTS xb;
CREATE EXTENSION IF NOT EXISTS dblink;

BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;

SELECT plan(29);

-- Daily series from generate_series: visible to the other session, unlike a
-- temporary table. 20 x 200 days for the long training; 10,000 x 16 days
-- (two windows per series) for a model whose forecast scores 10,000 windows.
CREATE FUNCTION pg_temp.long_training_sql(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT format($$SELECT xb_train_forecaster(%L,
      'SELECT s, date ''2020-01-01'' + t AS d, 10 + s + sin(t / 3.0) AS y FROM generate_series(1, 20) s, generate_series(0, 199) t',
      'd', 'y', ARRAY['s'], NULL, 7, 'gru', '{"epochs": 100000, "patience": 100000, "seed": 1}')$$, name) $f$;
CREATE FUNCTION pg_temp.small_training_sql(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT format($$SELECT xb_train_forecaster(%L,
      'SELECT s, date ''2020-01-01'' + t AS d, 10 + s + sin(t / 3.0) AS y FROM generate_series(1, 3) s, generate_series(0, 99) t',
      'd', 'y', ARRAY['s'], NULL, 7, 'gru', '{"epochs": 2, "hidden": 8, "seed": 1}')$$, name) $f$;
-- xb_forecast called once per row of generate_series (the horizon depends on
-- g, so it is rescanned): about 0.1 s per call, minutes in all.
CREATE FUNCTION pg_temp.long_scoring_sql() RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT $$SELECT count(*) FROM generate_series(1, 5000) g, LATERAL xb_forecast('pgtap05_many', 1 + g % 2) f$$ $f$;

CREATE FUNCTION pg_temp.connstr() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT format('host=%s port=%s dbname=%s user=%s', split_part(current_setting('unix_socket_directories'), ',', 1),
                current_setting('port'), quote_ident(current_database()), quote_ident(current_user)) $$;

-- Waits until backend pid has run its current statement for min_secs;
-- returns how long it had run, or NULL after timeout_secs.
CREATE FUNCTION pg_temp.wait_running(p int, min_secs float8, timeout_secs float8) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  ran float8;
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity is otherwise frozen for the transaction
    SELECT extract(epoch FROM clock_timestamp() - query_start) INTO ran
      FROM pg_stat_activity WHERE pid = p AND state = 'active';
    IF ran >= min_secs THEN RETURN ran; END IF;
    IF clock_timestamp() - t0 > make_interval(secs => timeout_secs) THEN RETURN NULL; END IF;
    PERFORM pg_sleep(0.02);
  END LOOP;
END $$;

-- Cancels backend p, which runs conn's query, and waits until conn's result
-- is there. busy: the query was still running just before; secs: from
-- pg_cancel_backend to the result. A backend still busy after 30 s is
-- terminated so the file cannot hang (secs is then 30+).
CREATE FUNCTION pg_temp.cancel_and_wait(conn text, p int, OUT busy boolean, OUT sent boolean, OUT secs float8)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
BEGIN
  busy := dblink_is_busy(conn) = 1;
  t0 := clock_timestamp();
  sent := pg_cancel_backend(p);
  WHILE dblink_is_busy(conn) = 1 LOOP
    IF clock_timestamp() - t0 > interval '30 s' THEN
      PERFORM pg_terminate_backend(p);
      EXIT;
    END IF;
    PERFORM pg_sleep(0.01);
  END LOOP;
  secs := extract(epoch FROM clock_timestamp() - t0);
END $$;

-- The SQLSTATE ('00000' for success) and message of conn's pending result.
CREATE FUNCTION pg_temp.result_of(conn text, OUT state text, OUT msg text)
LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM * FROM dblink_get_result(conn) AS t(v bigint);
    state := '00000';
  EXCEPTION WHEN query_canceled OR others THEN
    state := SQLSTATE;
    msg := SQLERRM;
  END;
  PERFORM * FROM dblink_get_result(conn, false) AS t(v bigint);  -- the end of the results
END $$;

CREATE FUNCTION pg_temp.remote_int(conn text, sql text) RETURNS bigint LANGUAGE sql AS $$
  SELECT v FROM dblink(conn, sql) AS t(v bigint) $$;

-- pg_temp.run_timed(stmt): runs stmt here; its SQLSTATE, message and seconds.
\ir run_timed.psql

SELECT is(dblink_connect('pgtap05', pg_temp.connstr()), 'OK', 'a second session connects through dblink');
DO $$ BEGIN
  PERFORM dblink_exec('pgtap05', 'SET xb.progress_every = 0');
  PERFORM dblink_exec('pgtap05', 'SET client_min_messages = warning');
END $$;
CREATE TEMP TABLE pgtap05_worker AS
  SELECT pg_temp.remote_int('pgtap05', 'SELECT pg_backend_pid()')::int AS pid;

-- ---------------------------------------------------------------------------
-- pg_cancel_backend during training (13)
-- ---------------------------------------------------------------------------
SELECT is(dblink_send_query('pgtap05', pg_temp.long_training_sql('pgtap05_long')), 1,
          'the second session starts a training of 100000 epochs');
SELECT isnt(pg_temp.wait_running(pid, 1.5, 60), NULL, 'it has been training for 1.5 s') FROM pgtap05_worker;
CREATE TEMP TABLE pgtap05_train_cancel AS SELECT c.* FROM pgtap05_worker, LATERAL pg_temp.cancel_and_wait('pgtap05', pid) c;
CREATE TEMP TABLE pgtap05_train_result AS SELECT * FROM pg_temp.result_of('pgtap05');
SELECT diag(format('training: pg_cancel_backend to error in %s ms', round(secs::numeric * 1000, 1))) FROM pgtap05_train_cancel;

SELECT ok(busy, 'the training was still running when it was canceled') FROM pgtap05_train_cancel;
SELECT ok(sent, 'pg_cancel_backend signalled the training backend') FROM pgtap05_train_cancel;
SELECT cmp_ok(secs, '<', 3::float8, 'the training stopped less than 3 s after pg_cancel_backend') FROM pgtap05_train_cancel;
SELECT is(state, '57014', 'the training failed with SQLSTATE 57014 (query_canceled)') FROM pgtap05_train_result;
SELECT matches(msg, 'canceling statement due to user request', 'with PostgreSQL''s cancel message') FROM pgtap05_train_result;
SELECT is(pg_temp.remote_int('pgtap05', 'SELECT pg_backend_pid()')::int, pid,
          'the same backend answers afterwards (it survived)') FROM pgtap05_worker;
SELECT is(pg_temp.remote_int('pgtap05', 'SELECT 1'), 1::bigint, 'SELECT 1 works on it');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap05_long'), 0, 'no xb.models row for the canceled training');
SELECT is(pg_temp.remote_int('pgtap05', $$SELECT count(*) FROM xb.models WHERE name = 'pgtap05_long'$$), 0::bigint,
          'nor as the canceled session sees it');
SELECT isnt(pg_temp.remote_int('pgtap05', pg_temp.small_training_sql('pgtap05_after')), NULL,
            'the next training on that session works');
SELECT is(pg_temp.remote_int('pgtap05', $$SELECT count(*) FROM xb_forecast('pgtap05_after')$$), 21::bigint,
          'and its model forecasts 3 series x 7 days');

-- ---------------------------------------------------------------------------
-- pg_cancel_backend during scoring (9)
-- ---------------------------------------------------------------------------
SELECT isnt(pg_temp.remote_int('pgtap05', format($$SELECT xb_train_forecaster('pgtap05_many',
      'SELECT s, date ''2020-01-01'' + t AS d, (s %% 7) + sin(t) + t * 0.01 AS y FROM generate_series(1, 10000) s, generate_series(0, 15) t',
      'd', 'y', ARRAY['s'], NULL, 2, 'gru',
      '{"epochs": 1, "hidden": 8, "lookback": 8, "val_periods": 2, "test_periods": 2, "batch_size": 1024, "seasonal_lag": false}')$$)),
            NULL, 'a model of 10,000 series trains');
SELECT is(dblink_send_query('pgtap05', pg_temp.long_scoring_sql()), 1,
          'the second session starts scoring it 5000 times in one statement');
SELECT isnt(pg_temp.wait_running(pid, 1.5, 60), NULL, 'it has been scoring for 1.5 s') FROM pgtap05_worker;
CREATE TEMP TABLE pgtap05_score_cancel AS SELECT c.* FROM pgtap05_worker, LATERAL pg_temp.cancel_and_wait('pgtap05', pid) c;
CREATE TEMP TABLE pgtap05_score_result AS SELECT * FROM pg_temp.result_of('pgtap05');
SELECT diag(format('scoring: pg_cancel_backend to error in %s ms', round(secs::numeric * 1000, 1))) FROM pgtap05_score_cancel;

SELECT ok(busy, 'the scoring was still running when it was canceled') FROM pgtap05_score_cancel;
SELECT ok(sent, 'pg_cancel_backend signalled the scoring backend') FROM pgtap05_score_cancel;
SELECT cmp_ok(secs, '<', 3::float8, 'the scoring stopped less than 3 s after pg_cancel_backend') FROM pgtap05_score_cancel;
SELECT is(state, '57014', 'the scoring failed with SQLSTATE 57014 (query_canceled)') FROM pgtap05_score_result;
SELECT is(pg_temp.remote_int('pgtap05', 'SELECT pg_backend_pid()')::int, pid,
          'the same backend answers afterwards') FROM pgtap05_worker;
SELECT is(pg_temp.remote_int('pgtap05', $$SELECT count(*) FROM xb_forecast('pgtap05_many')$$), 20000::bigint,
          'the next forecast on that session works (10,000 series x 2 days)');

-- ---------------------------------------------------------------------------
-- statement_timeout during scoring, in this session (5)
-- ---------------------------------------------------------------------------
SET LOCAL statement_timeout = '1s';
CREATE TEMP TABLE pgtap05_timeout AS SELECT * FROM pg_temp.run_timed(pg_temp.long_scoring_sql());
SET LOCAL statement_timeout = 0;
SELECT diag(format('scoring: statement_timeout 1 s stopped it after %s s', round(secs::numeric, 3))) FROM pgtap05_timeout;

SELECT is(state, '57014', 'a long scoring under statement_timeout = 1s fails with 57014') FROM pgtap05_timeout;
SELECT matches(msg, 'statement timeout', 'with PostgreSQL''s statement timeout message') FROM pgtap05_timeout;
SELECT cmp_ok(secs, '<', 3::float8, 'it stopped less than 3 s after it started') FROM pgtap05_timeout;
SELECT cmp_ok(secs, '>=', 0.9::float8, 'it ran until the timeout (it did not fail at once)') FROM pgtap05_timeout;
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap05_many')), 20000, 'the next forecast in this session works');

SELECT lives_ok($$SELECT dblink_disconnect('pgtap05')$$, 'the second session disconnects');

SELECT * FROM finish();
ROLLBACK;

-- What the second session committed, and what this file installed.
SET client_min_messages = warning;
DELETE FROM xb.models WHERE name IN ('pgtap05_long', 'pgtap05_after', 'pgtap05_many');
SELECT xb AS do_drop_xb, dblink AS do_drop_dblink FROM pgtap05_created \gset
\if :do_drop_xb
DROP EXTENSION xb;
\endif
\if :do_drop_dblink
DROP EXTENSION dblink;
\endif
