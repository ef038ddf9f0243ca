-- Per-model privileges: a name belongs to the role that trained it first;
-- xb_grant gives 'use' or 'manage' to a role, a group or PUBLIC; row-level
-- security hides what a role may not use. Roles are created inside the
-- transaction, which is rolled back.
\ir preamble.psql

SELECT plan(41);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql

CREATE ROLE pgtap19_alice;
CREATE ROLE pgtap19_bob;
CREATE ROLE pgtap19_carol;
CREATE ROLE pgtap19_team;
GRANT pgtap19_team TO pgtap19_carol;
GRANT SELECT ON dresses TO pgtap19_alice, pgtap19_bob, pgtap19_carol;
CREATE TEMP TABLE secret AS SELECT * FROM dresses;  -- bob may not read it

CREATE TEMP TABLE probe AS SELECT '{"style": "Sexy", "price": "Low", "season": "Summer"}'::jsonb AS j;
GRANT SELECT ON probe TO PUBLIC;
CREATE FUNCTION pg_temp.train(who text, model text, source text DEFAULT 'dresses') RETURNS text LANGUAGE sql AS $$
  SELECT pg_temp.as_role(who, format($q$SELECT xb_train_classifier(%L, %L, 'recommendation',
                                        ARRAY['style', 'price', 'season'], '{"epochs": 2, "hidden": [4]}')$q$, model, source)) $$;
CREATE FUNCTION pg_temp.sees(who text, model text) RETURNS int LANGUAGE sql AS $$
  SELECT pg_temp.as_role(who, format('SELECT count(*) FROM xb.models WHERE name = %L', model))::int $$;
CREATE FUNCTION pg_temp.score(who text, model text) RETURNS text LANGUAGE sql AS $$
  SELECT pg_temp.as_role(who, format('SELECT xb_recommend(%L, (SELECT j FROM probe))', model)) $$;

-- ---------------------------------------------------------------------------
-- Owner
-- ---------------------------------------------------------------------------
SELECT lives_ok($$SELECT pg_temp.train('pgtap19_alice', 'pgtap19_reco')$$, 'a role without superuser trains a model');
SELECT is((SELECT owner::text FROM xb.model_names WHERE name = 'pgtap19_reco'), 'pgtap19_alice',
          'the name belongs to the role that trained it');
SELECT is(pg_temp.sees('pgtap19_alice', 'pgtap19_reco'), 1, 'its owner sees it');
SELECT ok(pg_temp.score('pgtap19_alice', 'pgtap19_reco')::float8 BETWEEN 0 AND 1, 'and scores with it');
SELECT ok(pg_temp.as_role('pgtap19_alice', $$SELECT count(*) FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
                                              WHERE m.name = 'pgtap19_reco'$$)::int > 0, 'and sees its metrics');

-- ---------------------------------------------------------------------------
-- No privilege
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.sees('pgtap19_bob', 'pgtap19_reco'), 0, 'another role does not see its rows');
SELECT is(pg_temp.as_role('pgtap19_bob', $$SELECT count(*) FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
                                           WHERE m.name = 'pgtap19_reco'$$)::int, 0, '... nor its metrics');
SELECT throws_ok($$SELECT pg_temp.score('pgtap19_bob', 'pgtap19_reco')$$, '42501',
                 'permission denied for model "pgtap19_reco"', 'scoring is denied');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap19_bob', 'SELECT xb_model_bytes(''pgtap19_reco'')')$$, '42501',
                 'permission denied for model "pgtap19_reco"', 'exporting is denied');
SELECT throws_ok($$SELECT pg_temp.train('pgtap19_bob', 'pgtap19_reco')$$, '42501',
                 'permission denied for model "pgtap19_reco"', 'training a new version of it is denied');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap19_bob', 'SELECT xb_deploy(''pgtap19_reco'', 1)')$$, '42501',
                 'permission denied for model "pgtap19_reco"', 'deploying is denied');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap19_bob', 'SELECT xb_grant(''pgtap19_reco'', ''pgtap19_bob'', ''manage'')')$$,
                 '42501', 'permission denied: only the owner of model "pgtap19_reco" can grant, revoke or drop it',
                 'granting oneself is denied');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap19_bob', $q$UPDATE xb.models SET deployed = false
                                                     WHERE name = 'pgtap19_reco'$q$)$$,
                 '42501', 'permission denied for table models', 'writing the catalog directly is refused');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap19_reco' AND deployed), 1, '... which stay as they were');

-- A role that puts its own pg_has_role ahead of pg_catalog gains nothing.
CREATE SCHEMA pgtap19_evil;
CREATE FUNCTION pgtap19_evil.pg_has_role(oid, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
GRANT USAGE ON SCHEMA pgtap19_evil TO pgtap19_bob;
SET search_path = pgtap19_evil, pg_catalog, public;
SELECT is(pg_temp.sees('pgtap19_bob', 'pgtap19_reco'), 0, 'shadowing pg_has_role reveals nothing');
RESET search_path;

-- ---------------------------------------------------------------------------
-- use
-- ---------------------------------------------------------------------------
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap19_alice', 'SELECT xb_grant(''pgtap19_reco'', ''pgtap19_bob'', ''use'')')$$,
                'the owner grants use');
SELECT is((SELECT format('%s %s %s', grantee, privilege, granted_by) FROM xb.model_privileges WHERE name = 'pgtap19_reco'),
          'pgtap19_bob use pgtap19_alice', 'xb.model_privileges lists it');
SELECT is(pg_temp.sees('pgtap19_bob', 'pgtap19_reco'), 1, 'with use, the rows are visible');
SELECT is(pg_temp.score('pgtap19_bob', 'pgtap19_reco'), pg_temp.score('pgtap19_alice', 'pgtap19_reco'),
          'and scoring works');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap19_bob', 'SELECT octet_length(xb_model_bytes(''pgtap19_reco''))')$$,
                 '42501', 'permission denied to manage model "pgtap19_reco"', 'but exporting needs manage');
SELECT throws_ok($$SELECT pg_temp.train('pgtap19_bob', 'pgtap19_reco')$$, '42501',
                 'permission denied to manage model "pgtap19_reco"', 'but a new version is denied');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap19_bob', 'SELECT xb_rollback(''pgtap19_reco'')')$$, '42501',
                 'permission denied to manage model "pgtap19_reco"', 'and so is a rollback');

-- ---------------------------------------------------------------------------
-- manage
-- ---------------------------------------------------------------------------
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap19_alice', 'SELECT xb_grant(''pgtap19_reco'', ''pgtap19_bob'', ''manage'')')$$,
                'the owner raises it to manage');
SELECT lives_ok($$SELECT pg_temp.train('pgtap19_bob', 'pgtap19_reco')$$, 'with manage, a new version trains');
SELECT is((SELECT format('%s %s', owner, deployed) FROM xb.models WHERE name = 'pgtap19_reco' AND version = 2),
          'pgtap19_bob t', 'the version records who trained it, and is deployed');
SELECT is(pg_temp.as_role('pgtap19_bob', 'SELECT xb_rollback(''pgtap19_reco'')'), '1', 'and rolls back');
SELECT ok(pg_temp.as_role('pgtap19_bob', 'SELECT octet_length(xb_model_bytes(''pgtap19_reco''))')::int > 0,
          'and exports');
SELECT throws_ok($$SELECT pg_temp.train('pgtap19_bob', 'pgtap19_reco', 'secret')$$, '42501', NULL,
                 'training reads the source with the caller''s rights');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap19_bob', 'SELECT xb_revoke(''pgtap19_reco'', ''pgtap19_bob'')')$$,
                 '42501', 'permission denied: only the owner of model "pgtap19_reco" can grant, revoke or drop it',
                 'manage is not ownership: no revoking');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap19_alice', 'SELECT xb_revoke(''pgtap19_reco'', ''pgtap19_bob'')')$$,
                'the owner revokes');
SELECT is(pg_temp.sees('pgtap19_bob', 'pgtap19_reco'), 0, 'and the rows are hidden again, the ones bob trained too');

-- ---------------------------------------------------------------------------
-- Groups, PUBLIC, errors
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.sees('pgtap19_carol', 'pgtap19_reco'), 0, 'carol sees nothing');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap19_alice', 'SELECT xb_grant(''pgtap19_reco'', ''pgtap19_team'')')$$,
                'a grant to a group (use is the default)');
SELECT is(pg_temp.sees('pgtap19_carol', 'pgtap19_reco'), 2, 'reaches its members');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap19_alice', 'SELECT xb_grant(''pgtap19_reco'', ''public'')')$$,
                'a grant to PUBLIC');
SELECT is(pg_temp.sees('pgtap19_bob', 'pgtap19_reco'), 2, 'reaches every role');
SELECT throws_ok($$SELECT xb_grant('pgtap19_reco', 'pgtap19_nobody')$$, '42704', NULL, 'an unknown role is a clean error');
SELECT throws_ok($$SELECT xb_grant('pgtap19_reco', 'pgtap19_bob', 'own')$$, '22023',
                 'privilege must be ''use'' or ''manage'', not ''own''', 'an unknown privilege is a clean error');
SELECT throws_ok($$SELECT xb_grant('pgtap19_none', 'pgtap19_bob')$$, '42704', 'model "pgtap19_none" does not exist',
                 'granting an unknown model is a clean error');
CREATE ROLE pgtap19_gone;
SELECT xb_grant('pgtap19_reco', 'pgtap19_gone');
DROP ROLE pgtap19_gone;
SELECT is(pg_temp.sees('pgtap19_alice', 'pgtap19_reco'), 2, 'a grant to a role since dropped breaks nothing');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name = 'pgtap19_reco'), 2,
          'a superuser sees every version');

SELECT * FROM finish();
ROLLBACK;
