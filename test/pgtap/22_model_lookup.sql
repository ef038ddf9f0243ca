-- One model lookup, one privilege answer: every function that takes a model
-- name answers 42501 (naming the owner) for a model the caller may not use
-- or manage, and 42704 (naming the closest name it may use) for one that
-- does not exist. Runs in one transaction that is rolled back.
\ir preamble.psql

SELECT plan(54);

SET LOCAL xb.progress_every = 0;

CREATE ROLE pgtap22_owner;
CREATE ROLE pgtap22_user;
CREATE ROLE pgtap22_stranger;

CREATE TABLE pgtap22_sales AS
SELECT s AS store, DATE '2020-01-01' + i AS day, 100 + 10 * s + 5 * sin(i / 3.0) AS units, 1 + (i % 7) / 10.0 AS price
FROM generate_series(1, 2) s, generate_series(0, 59) i;
CREATE TABLE pgtap22_items AS
SELECT i AS item, CASE i % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS style, (i % 5)::float8 AS price,
       (i % 3 = 0) AS liked
FROM generate_series(1, 60) i;
GRANT SELECT ON pgtap22_sales, pgtap22_items TO PUBLIC;
CREATE TEMP TABLE probe AS SELECT '{"style": "a", "price": 2}'::jsonb AS j;
GRANT SELECT ON probe TO PUBLIC;

-- What a statement answers when a role runs it: ok, or SQLSTATE: message | hint.
CREATE FUNCTION pg_temp.answer(who text, query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  state text;
  message text;
  hint text;
BEGIN
  EXECUTE format('SET LOCAL ROLE %I', who);
  BEGIN
    EXECUTE query;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RESET ROLE;
    RETURN state || ': ' || message || ' | ' || hint;
  END;
  RESET ROLE;
  RETURN 'ok';
END $$;

SET LOCAL ROLE pgtap22_owner;
SELECT xb_train_forecaster('pgtap22_fc', 'pgtap22_sales', 'day', 'units', ARRAY['store'], ARRAY['price'], 4, 'gru',
                           '{"epochs": 1, "lookback": 8, "hidden": 4, "seed": 1}');
SELECT xb_train_classifier('pgtap22_reco', 'pgtap22_items', 'liked', ARRAY['style', 'price'],
                           '{"epochs": 1, "hidden": [4], "seed": 1}');
SELECT xb_grant('pgtap22_fc', 'pgtap22_user');
SELECT xb_grant('pgtap22_reco', 'pgtap22_user');
RESET ROLE;

-- Every function that takes a model name; %1$L is the name.
CREATE TEMP TABLE calls (fn text, model text, query text, needs text);
INSERT INTO calls VALUES
  ('xb_forecast', 'pgtap22_fc', 'SELECT * FROM xb_forecast(%1$L)', 'use'),
  ('xb_sensitivity', 'pgtap22_fc', 'SELECT * FROM xb_sensitivity(%1$L, ''price'', ARRAY[0.1])', 'use'),
  ('xb_residuals', 'pgtap22_fc', 'SELECT * FROM xb_residuals(%1$L)', 'manage'),
  ('xb_backtest', 'pgtap22_fc', 'SELECT * FROM xb_backtest(%1$L, 2)', 'use'),
  ('xb_model_bytes', 'pgtap22_fc', 'SELECT xb_model_bytes(%1$L)', 'manage'),
  ('xb_deploy', 'pgtap22_fc', 'SELECT xb_deploy(%1$L, 1)', 'manage'),
  ('xb_rollback', 'pgtap22_fc', 'SELECT xb_rollback(%1$L)', 'manage'),
  ('xb_retrain', 'pgtap22_fc', 'CALL xb_retrain(%1$L)', 'manage'),
  ('xb_refresh_forecasts', 'pgtap22_fc', 'SELECT xb_refresh_forecasts(%1$L)', 'manage'),
  ('xb_grant', 'pgtap22_fc', 'SELECT xb_grant(%1$L, ''public'')', 'own'),
  ('xb_revoke', 'pgtap22_fc', 'SELECT xb_revoke(%1$L, ''public'')', 'own'),
  ('xb_recommend', 'pgtap22_reco', 'SELECT xb_recommend(%1$L, (SELECT j FROM probe))', 'use'),
  ('xb_predict', 'pgtap22_reco', 'SELECT xb_predict(%1$L, (SELECT j FROM probe))', 'use'),
  ('xb_predict_label', 'pgtap22_reco', 'SELECT xb_predict_label(%1$L, (SELECT j FROM probe))', 'use'),
  ('xb_score', 'pgtap22_reco', 'SELECT * FROM xb_score(%1$L, ''pgtap22_items'', ''item'')', 'use'),
  ('xb_feature_importance', 'pgtap22_reco', 'SELECT * FROM xb_feature_importance(%1$L)', 'use');

-- A stranger: 42501 from each, naming the owner.
SELECT is(pg_temp.answer('pgtap22_stranger', format(query, model)),
          CASE needs
            WHEN 'own' THEN format('42501: permission denied: only the owner of model "%s" can grant, revoke or drop it | '
                                   'Its owner is pgtap22_owner.', model)
            ELSE format('42501: permission denied for model "%s" | Its owner (pgtap22_owner) can grant it: '
                        'xb_grant(%L, ''pgtap22_stranger'', %L).', model, model, needs) END,
          fn || ': a model the caller may not use is 42501')
FROM calls ORDER BY fn;

-- A role with 'use': 42501 from each function that needs more.
SELECT is(pg_temp.answer('pgtap22_user', format(query, model)),
          CASE needs
            WHEN 'own' THEN format('42501: permission denied: only the owner of model "%s" can grant, revoke or drop it | '
                                   'Its owner is pgtap22_owner.', model)
            ELSE format('42501: permission denied to manage model "%s" | You may use it. Its owner (pgtap22_owner) '
                        'can grant more: xb_grant(%L, ''pgtap22_user'', ''manage'').', model, model) END,
          fn || ': a model the caller may use but not manage is 42501')
FROM calls WHERE needs <> 'use' ORDER BY fn;

-- A name that does not exist: 42704 from each, naming the closest name the caller may use.
SELECT is(pg_temp.answer('pgtap22_owner', format(query, left(model, -1))),
          format('42704: model "%s" does not exist | Did you mean "%s"?', left(model, -1), model),
          fn || ': a name that does not exist is 42704 with the closest name')
FROM calls ORDER BY fn;

-- The stranger may use neither model, so nothing is suggested to it.
SELECT is(pg_temp.answer('pgtap22_stranger', 'SELECT * FROM xb_forecast(''pgtap22_f'')'),
          '42704: model "pgtap22_f" does not exist | SELECT name, version FROM xb.models lists the models you can use.',
          'a name close only to models the caller may not use suggests nothing');
SELECT is(pg_temp.answer('pgtap22_owner', 'SELECT * FROM xb_forecast(''zzz'')'),
          '42704: model "zzz" does not exist | SELECT name, version FROM xb.models lists the models you can use.',
          'a name close to none suggests nothing');
SELECT is(pg_temp.answer('pgtap22_owner', 'SELECT xb_model_bytes(''pgtap22_fc'', 7)'),
          '42704: model "pgtap22_fc" has no version 7 | Its versions are: 1.', 'a missing version is 42704 and lists them');
SELECT is(pg_temp.answer('pgtap22_owner', 'SELECT * FROM xb_residuals(''pgtap22_fc'', 7)'),
          '42704: model "pgtap22_fc" has no version 7 | Its versions are: 1.', '... from xb_residuals too');
SELECT is(pg_temp.answer('pgtap22_owner', 'SELECT xb_deploy(''pgtap22_fc'', 7)'),
          '42704: model "pgtap22_fc" has no version 7 | Its versions are: 1.', '... and from xb_deploy');
SELECT is(pg_temp.answer('pgtap22_stranger', 'SELECT xb_model_bytes(''pgtap22_fc'', 7)'),
          '42501: permission denied for model "pgtap22_fc" | Its owner (pgtap22_owner) can grant it: '
          'xb_grant(''pgtap22_fc'', ''pgtap22_stranger'', ''manage'').', 'a stranger learns nothing of its versions');

-- Export and residuals need manage: a forecaster's blob holds the last
-- lookback points of every series and their covariates, the residuals the
-- test split's actuals. 'use' keeps forecasting and scoring.
SELECT is(pg_temp.answer('pgtap22_user', 'SELECT * FROM xb_forecast(''pgtap22_fc'')'), 'ok', 'with use, a role forecasts');
SELECT is(pg_temp.answer('pgtap22_user', 'SELECT xb_recommend(''pgtap22_reco'', (SELECT j FROM probe))'), 'ok',
          '... and scores');
SELECT is(pg_temp.answer('pgtap22_user', 'SELECT weights FROM xb.models WHERE name = ''pgtap22_fc'''),
          '42501: permission denied for table models | ', 'but cannot read the weights column');
SELECT is(pg_temp.answer('pgtap22_user', 'SELECT name, version, kind, arch, options, lineage FROM xb.models WHERE name = ''pgtap22_fc'''),
          'ok', '... while the other columns stay readable');
SELECT is(pg_temp.answer('pgtap22_user', $q$DO $d$ BEGIN IF (SELECT count(*) FROM xb.residuals r JOIN xb.models m ON m.id = r.model_id
                                                         WHERE m.name = 'pgtap22_fc') > 0 THEN RAISE 'visible'; END IF; END $d$$q$),
          'ok', 'nor the rows of xb.residuals');
SELECT xb_grant('pgtap22_fc', 'pgtap22_user', 'manage');
SELECT is(pg_temp.answer('pgtap22_user', 'SELECT xb_model_bytes(''pgtap22_fc'')'), 'ok', 'with manage, a role exports');
SELECT is(pg_temp.answer('pgtap22_user', $q$DO $d$ BEGIN IF (SELECT count(*) FROM xb_residuals('pgtap22_fc')) = 0
                                                         THEN RAISE 'none'; END IF; END $d$$q$),
          'ok', '... and reads the residuals');
SELECT is(pg_temp.answer('pgtap22_stranger', $q$DO $d$ BEGIN IF (SELECT owner FROM xb.model_names WHERE name = 'pgtap22_fc')
                                                             <> 'pgtap22_owner' THEN RAISE 'hidden'; END IF; END $d$$q$),
          'ok', 'names and owners are visible to every role');

SELECT * FROM finish();
ROLLBACK;
