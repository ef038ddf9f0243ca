-- The threat model (README, "Threat model"): an owner, a grantee (use, then
-- manage), a stranger and the superuser running this file. A stored source
-- runs only as the role that wrote it, in a security-restricted operation,
-- with its own search_path; the model cache and the per-statement lookup
-- never outlive a privilege check; client errors carry no backtraces; the
-- catalog is written only through xb's functions; the settings any role may
-- change are bounded. Runs in one transaction, rolled back.
\ir preamble.psql

SELECT plan(34);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql
\ir walmart.psql

CREATE ROLE pgtap21_owner LOGIN;
CREATE ROLE pgtap21_grantee LOGIN;
CREATE ROLE pgtap21_stranger LOGIN;

-- The owner's data, in its own schema, and a function of its own that the
-- source calls: it notes whom it runs as and tries to make its author a
-- superuser (which only works when a superuser runs it).
CREATE SCHEMA pgtap21_src AUTHORIZATION pgtap21_owner;
CREATE TABLE pgtap21_src.sales AS SELECT * FROM walmart WHERE store <= 2 AND date < DATE '2011-12-01';
CREATE TABLE pgtap21_src.dress AS SELECT * FROM dresses;
ALTER TABLE pgtap21_src.sales OWNER TO pgtap21_owner;
ALTER TABLE pgtap21_src.dress OWNER TO pgtap21_owner;
CREATE TABLE pgtap21_seen (who name, restricted boolean);
GRANT INSERT ON pgtap21_seen TO pgtap21_owner;
CREATE FUNCTION pgtap21_src.spy() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    EXECUTE 'ALTER ROLE pgtap21_owner SUPERUSER';
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
  -- A security-restricted operation may not create temporary tables.
  BEGIN
    EXECUTE 'CREATE TEMP TABLE pgtap21_probe ()';
    EXECUTE 'DROP TABLE pgtap21_probe';
    INSERT INTO public.pgtap21_seen VALUES (current_user, false);
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO public.pgtap21_seen VALUES (current_user, true);
  END;
  RETURN true;
END $$;
ALTER FUNCTION pgtap21_src.spy() OWNER TO pgtap21_owner;

CREATE TEMP TABLE probe AS SELECT '{"style": "Sexy", "price": "Low", "season": "Summer"}'::jsonb AS j;
GRANT SELECT ON probe TO PUBLIC;

-- The owner trains a forecaster whose source calls its function and names
-- its table through its own search_path, and a classifier.
SET LOCAL search_path = pgtap21_src, public;
SELECT pg_temp.as_role('pgtap21_owner', $$SELECT xb_train_forecaster('pgtap21_fc',
  'SELECT s.* FROM sales s, (SELECT spy()) AS ok(yes) WHERE ok.yes', 'date', 'weekly_sales', ARRAY['store'], NULL, 4,
  'gru', '{"epochs": 1, "lookback": 8, "hidden": 4, "seed": 1}')$$);
SELECT pg_temp.as_role('pgtap21_owner', $$SELECT xb_train_classifier('pgtap21_reco', 'dress', 'recommendation',
  ARRAY['style', 'price', 'season'], '{"epochs": 2, "hidden": [4], "seed": 1}')$$);
SET LOCAL search_path TO DEFAULT;
TRUNCATE pgtap21_seen;

-- ---------------------------------------------------------------------------
-- 1. Stored sources run as their author
-- ---------------------------------------------------------------------------
SELECT is((SELECT format('%s | %s', source_author, source_search_path) FROM xb.models WHERE name = 'pgtap21_fc'),
          'pgtap21_owner | pgtap21_src, public', 'a version records who wrote its source and its search_path');
SELECT lives_ok($$SELECT count(*) FROM xb_backtest('pgtap21_fc', 2)$$,
                'the superuser backtests it: the source finds its table through the stored search_path');
SELECT is((SELECT string_agg(DISTINCT who::text, ',') FROM pgtap21_seen), 'pgtap21_owner',
          'the source ran as its author, not as the superuser calling');
SELECT ok((SELECT bool_and(restricted) FROM pgtap21_seen), 'inside a security-restricted operation');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'pgtap21_owner'), false,
          'so the author''s function could not make its author a superuser');
SELECT is(current_user::text, 'postgres', 'and the caller is itself again afterwards');
SELECT is(current_setting('search_path'), '"$user", public', '... with its own search_path');

-- The author's function fails: the identity is restored for the rest of the
-- transaction, also when a plpgsql exception block catches the error.
CREATE FUNCTION pg_temp.backtest_failing() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM count(*) FROM xb_backtest('pgtap21_fc', 40);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN current_user || ' ' || current_setting('search_path');
END $$;
SELECT is(pg_temp.backtest_failing(), 'postgres "$user", public',
          'a failing stored source leaves the caller''s role and search_path in place');

SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_stranger', 'SELECT count(*) FROM xb_backtest(''pgtap21_fc'', 2)')$$,
                 '42501', 'permission denied for model "pgtap21_fc"', 'a stranger may not backtest it');
SELECT pg_temp.as_role('pgtap21_owner', $$SELECT xb_grant('pgtap21_fc', 'pgtap21_grantee', 'use')$$);
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap21_grantee', 'SELECT count(*) FROM xb_backtest(''pgtap21_fc'', 2)')$$,
                'a role granted use backtests it, reading what the author may read');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_grantee', 'CALL xb_retrain(''pgtap21_fc'')')$$,
                 '42501', 'permission denied to manage model "pgtap21_fc"', 'but may not retrain it');
SELECT pg_temp.as_role('pgtap21_owner', $$SELECT xb_grant('pgtap21_fc', 'pgtap21_grantee', 'manage')$$);
TRUNCATE pgtap21_seen;
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap21_grantee', 'CALL xb_retrain(''pgtap21_fc'', keep => ''always'')')$$,
                'with manage it retrains a source it could not read itself');
SELECT is((SELECT format('%s %s %s', version, owner, source_author) FROM xb.models WHERE name = 'pgtap21_fc' AND deployed),
          '2 pgtap21_grantee pgtap21_owner', 'the new version is the grantee''s, its source still the author''s');
SELECT is((SELECT string_agg(DISTINCT who::text, ',') FROM pgtap21_seen), 'pgtap21_owner', 'and ran as the author');

-- A caller's temporary view cannot stand in for a relation the source names.
CREATE TABLE public.pgtap21_rows AS SELECT * FROM dresses;
ALTER TABLE public.pgtap21_rows OWNER TO pgtap21_owner;
SELECT pg_temp.as_role('pgtap21_owner', $$SELECT xb_train_classifier('pgtap21_tmp', 'pgtap21_rows', 'recommendation',
  ARRAY['style', 'price'], '{"epochs": 1, "hidden": [4]}')$$);
SELECT pg_temp.as_role('pgtap21_owner', $$SELECT xb_grant('pgtap21_tmp', 'pgtap21_grantee', 'manage')$$);
DROP TABLE public.pgtap21_rows;
GRANT SELECT ON dresses TO pgtap21_grantee;
SET LOCAL ROLE pgtap21_grantee;
CREATE TEMP VIEW pgtap21_rows AS SELECT d.* FROM dresses d;
GRANT SELECT ON pgtap21_rows TO PUBLIC;  -- as an attacker would
RESET ROLE;
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_grantee', 'CALL xb_retrain(''pgtap21_tmp'', keep => ''always'')')$$,
                 '42501', 'a model''s stored source may not read temporary relation "pgtap21_rows" for another role',
                 'a temporary view of the caller''s cannot shadow a name the stored source reads');

-- An author that was dropped: the source is unusable, never run as the caller.
CREATE ROLE pgtap21_gone LOGIN;
GRANT SELECT ON dresses TO pgtap21_gone;
SELECT pg_temp.as_role('pgtap21_gone', $$SELECT xb_train_classifier('pgtap21_orphan', 'dresses', 'recommendation',
  ARRAY['style', 'price'], '{"epochs": 1, "hidden": [4]}')$$);
REVOKE SELECT ON dresses FROM pgtap21_gone;
DROP ROLE pgtap21_gone;
SELECT throws_ok($$CALL xb_retrain('pgtap21_orphan')$$, '42501',
                 'the source of model "pgtap21_orphan" was written by role "pgtap21_gone", which no longer exists',
                 'a dropped author''s source is refused, even to the superuser');

-- ---------------------------------------------------------------------------
-- 2. The model cache hands out shared ownership
-- ---------------------------------------------------------------------------
-- The source scores two other models in turn: with room for one, each row
-- evicts the model before, xb_score's own included.
SELECT xb_train_classifier('pgtap21_other', 'dresses', 'recommendation', ARRAY['style', 'season'],
                           '{"epochs": 2, "hidden": [4], "seed": 2}');
SELECT xb_train_classifier('pgtap21_third', 'dresses', 'recommendation', ARRAY['price', 'season'],
                           '{"epochs": 2, "hidden": [4], "seed": 3}');
CREATE TEMP VIEW churn AS
SELECT d.*, CASE WHEN d.row_no % 2 = 0 THEN xb_predict('pgtap21_other', d) ELSE xb_predict('pgtap21_third', d) END AS other
FROM dresses d WHERE d.row_no <= 60;
CREATE TEMP TABLE scored_wide AS SELECT * FROM xb_score('pgtap21_reco', 'churn', 'row_no');
SET LOCAL xb.model_cache_size = 1;
SELECT is((SELECT count(*) FROM (SELECT * FROM xb_score('pgtap21_reco', 'churn', 'row_no')
                                 EXCEPT SELECT * FROM scored_wide) AS changed), 0::bigint,
          'a source that scores other models mid-scan, with room for one model: xb_score keeps its own');
SELECT ok((SELECT count(*) FROM xb_cached_models()) <= 1, 'and the cache holds at most one');
RESET xb.model_cache_size;

-- ---------------------------------------------------------------------------
-- 6. The per-statement lookup is the current role's
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.pgtap21_score(model text, j jsonb) RETURNS float8 LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN xb_recommend(model, j);
END $$;
CREATE FUNCTION public.pgtap21_owner_scores(j jsonb) RETURNS float8 LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
BEGIN
  RETURN public.pgtap21_score('pgtap21_reco', j);
END $$;
ALTER FUNCTION public.pgtap21_owner_scores(jsonb) OWNER TO pgtap21_owner;
SELECT ok(pg_temp.as_role('pgtap21_stranger', 'SELECT public.pgtap21_owner_scores(j) FROM probe')::float8 BETWEEN 0 AND 1,
          'the owner''s SECURITY DEFINER function scores its model for a stranger');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_stranger', 'SELECT public.pgtap21_score(''pgtap21_reco'', j) FROM probe')$$,
                 '42501', 'permission denied for model "pgtap21_reco"',
                 'the same wrapper called by the stranger itself, later in the transaction, is refused');

-- ---------------------------------------------------------------------------
-- 8. The catalog is written only through xb's functions
-- ---------------------------------------------------------------------------
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_stranger',
                   'INSERT INTO xb.model_names (name, owner) VALUES (''pgtap21_squat'', ''pgtap21_stranger'')')$$,
                 '42501', 'permission denied for table model_names', 'a stranger cannot squat a name');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_stranger', $q$INSERT INTO xb.models (id, name, version, kind, arch,
                   source, hyperparameters, train_rows, device, train_seconds, weights, source_author, source_search_path)
                   VALUES (nextval('xb.models_id_seq'), 'pgtap21_squat', 1, 'classifier', 'mlp', 'x', '{}', 0, 'cpu', 0,
                   '\x00', 'pgtap21_stranger', '')$q$)$$,
                 '42501', NULL, 'nor insert a model row');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_owner', 'UPDATE xb.models SET status = ''x'' WHERE name = ''pgtap21_reco''')$$,
                 '42501', 'permission denied for table models', 'the owner, too, writes only through the functions');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_owner', 'DELETE FROM xb.model_grants')$$,
                 '42501', 'permission denied for table model_grants', '... grants included');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_stranger', 'SELECT xb.deploy_version(''pgtap21_reco'', 1)')$$,
                 '42501', 'permission denied for model "pgtap21_reco"', 'a primitive called directly checks the caller');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap21_grantee',
                   'SELECT xb.set_grant(''pgtap21_fc'', ''pgtap21_stranger'', ''manage'')')$$,
                 '42501', 'permission denied: only the owner of model "pgtap21_fc" can grant, revoke or drop it',
                 'manage does not reach grants through a primitive');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap21_grantee', 'SELECT xb_deploy(''pgtap21_fc'', 1)')$$,
                'the functions still write for those with the right');
SELECT is((SELECT version FROM xb.models WHERE name = 'pgtap21_fc' AND deployed), 1, '... as they did');
SELECT is((SELECT granted_by::text FROM xb.model_grants WHERE name = 'pgtap21_fc'), 'pgtap21_owner',
          'and record the caller, not the catalog''s owner');

-- ---------------------------------------------------------------------------
-- 9. The cache shows only what the role may use; settings are bounded
-- ---------------------------------------------------------------------------
SELECT ok(pg_temp.as_role('pgtap21_owner', 'SELECT xb_recommend(''pgtap21_reco'', j) FROM probe')::float8 BETWEEN 0 AND 1,
          'the owner scores (the model is now cached in this backend)');
SELECT ok(pg_temp.as_role('pgtap21_owner', $$SELECT count(*) FROM xb_cached_models() WHERE name = 'pgtap21_reco'$$)::int = 1,
          'the owner sees it cached');
SELECT is(pg_temp.as_role('pgtap21_stranger', 'SELECT count(*) FROM xb_cached_models()'), '0',
          'a stranger in the same backend sees nothing of it');
SELECT throws_ok($$SET LOCAL xb.threads = 65$$, '22023', NULL, 'xb.threads is bounded');
SELECT throws_ok($$SET LOCAL xb.model_cache_size = 65$$, '22023', NULL, 'xb.model_cache_size is bounded');

SELECT * FROM finish();
ROLLBACK;
