-- xb 0.1.0 -> 0.2.0. Every change to sql/xb.sql since 0.1.0 has its step here,
-- so an upgraded catalog equals a fresh install (test/upgrade/run.sh checks it).
\echo Use "ALTER EXTENSION xb UPDATE TO '0.2.0'" to load this file. \quit

-- Stored sources run as their author ------------------------------------------
-- 0.1.0 did not record who wrote a version's source or under which
-- search_path: the upgrade takes the role that trained the version (its
-- owner) and PostgreSQL's default search_path, '"$user", public'.
ALTER TABLE xb.models ADD COLUMN source_author name, ADD COLUMN source_search_path text;
UPDATE xb.models SET source_author = owner, source_search_path = '"$user", public';
ALTER TABLE xb.models ALTER COLUMN source_author SET NOT NULL, ALTER COLUMN source_search_path SET NOT NULL;

-- Catalog writes only through xb's functions ----------------------------------
REVOKE INSERT, UPDATE ON xb.models FROM PUBLIC;
REVOKE USAGE ON SEQUENCE xb.models_id_seq FROM PUBLIC;
REVOKE INSERT ON xb.model_metrics, xb.training_log, xb.residuals, xb.trials FROM PUBLIC;
REVOKE INSERT, DELETE ON xb.forecasts FROM PUBLIC;
REVOKE INSERT ON xb.model_names FROM PUBLIC;
REVOKE INSERT, UPDATE, DELETE ON xb.model_grants FROM PUBLIC;
DROP POLICY add_version ON xb.models;
DROP POLICY deploy ON xb.models;
DROP POLICY add ON xb.model_metrics;
DROP POLICY add ON xb.training_log;
DROP POLICY add ON xb.residuals;
DROP POLICY add ON xb.trials;
DROP POLICY add ON xb.forecasts;
DROP POLICY remove ON xb.forecasts;
DROP POLICY claim ON xb.model_names;
DROP POLICY grant_own ON xb.model_grants;
DROP POLICY change_own ON xb.model_grants;
DROP POLICY revoke_own ON xb.model_grants;
DROP FUNCTION xb.begin_model_version(text, boolean);

-- Catalog writes ----------------------------------------------------------------
-- Ordinary roles may only read the catalog (through row-level security);
-- every write goes through one C choke point that checks the caller's right
-- on the name as the caller, then runs a fixed statement as the owner of
-- these tables. The public functions call these primitives; calling one
-- directly gives nothing more.

CREATE FUNCTION xb.deploy_version(model_name text, version integer)   -- manage
RETURNS integer AS 'MODULE_PATHNAME', 'xb_deploy_version' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION xb.reject_version(model_name text, version integer)   -- manage
RETURNS void AS 'MODULE_PATHNAME', 'xb_reject_version' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION xb.set_grant(model_name text, grantee text, privilege text)   -- owner
RETURNS void AS 'MODULE_PATHNAME', 'xb_set_grant' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION xb.drop_grant(model_name text, grantee text)   -- owner
RETURNS void AS 'MODULE_PATHNAME', 'xb_drop_grant' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION xb.import_version(model_name text, model bytea, deploy boolean, time_col text, target_col text,
                                  series_cols text[])   -- manage
RETURNS bigint AS 'MODULE_PATHNAME', 'xb_import_version' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION xb.replace_forecasts(model_name text, horizon integer)   -- manage
RETURNS bigint AS 'MODULE_PATHNAME', 'xb_replace_forecasts' LANGUAGE C VOLATILE PARALLEL UNSAFE;
-- Retraining the deployed version's stored spec: its source runs as its author.
CREATE FUNCTION xb.retrain_forecaster(model_name text, keep text)   -- manage
RETURNS bigint AS 'MODULE_PATHNAME', 'xb_retrain_forecaster' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION xb.retrain_tabular(model_name text, keep text)   -- manage
RETURNS bigint AS 'MODULE_PATHNAME', 'xb_retrain_tabular' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION xb_deploy(name text, version integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF xb_deploy.name IS NULL OR xb_deploy.version IS NULL THEN
    RAISE EXCEPTION 'name and version must not be NULL'
      USING ERRCODE = 'invalid_parameter_value', HINT = 'xb_rollback(name) goes back one version.';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('xb.models'), hashtext(xb_deploy.name));
  PERFORM xb.model_id(xb_deploy.name, 'manage', xb_deploy.version);
  RETURN xb.deploy_version(xb_deploy.name, xb_deploy.version);
END
$$;

-- New arguments: the old signature goes, with nothing that depends on it.
DROP FUNCTION xb_model_load(text, bytea, boolean);
CREATE FUNCTION xb_model_load(name text, model bytea, deploy boolean DEFAULT true, time_col text DEFAULT NULL,
                              target_col text DEFAULT NULL, series_cols text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF xb_model_load.name IS NULL OR xb_model_load.name = '' THEN
    RAISE EXCEPTION 'name must be a non-empty text' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Checks the whole blob, then 'manage', then writes (deployed when asked,
  -- or when the name has no deployed version).
  RETURN xb.import_version(xb_model_load.name, xb_model_load.model, coalesce(xb_model_load.deploy, true),
                           nullif(xb_model_load.time_col, ''), nullif(xb_model_load.target_col, ''),
                           xb_model_load.series_cols);
END
$$;

COMMENT ON FUNCTION xb_model_load(text, bytea, boolean, text, text, text[]) IS
  'Imports a model blob (from xb_model_bytes or xb_fit_forecaster) as the next version of name; returns its id. '
  'A forecaster''s time, target and series columns, named here, let xb_evaluate and future_source read a source';

CREATE OR REPLACE PROCEDURE xb_retrain(name text, keep text DEFAULT 'better')
LANGUAGE plpgsql
AS $$
DECLARE
  was record;
  new_id bigint;
  new_version integer;
  key_metric text;
  old_score double precision;
  new_score double precision;
  old_split text;
  new_split text;
  same record;
  same_rows text;
BEGIN
  IF xb_retrain.keep IS NULL OR xb_retrain.keep NOT IN ('better', 'always') THEN
    RAISE EXCEPTION 'keep must be ''better'' or ''always'', not %', coalesce(quote_literal(xb_retrain.keep), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = '''better'' keeps the new version only if it scores no worse; ''always'' keeps it.';
  END IF;
  -- The name's lock, held to commit, before reading what is deployed: two
  -- retrains of one name (pg_cron jobs at the same minute) run one after the
  -- other, and each compares with the version deployed when it starts.
  PERFORM pg_advisory_xact_lock(hashtext('xb.models'), hashtext(xb_retrain.name));
  SELECT m.id, m.name, m.version, m.kind, m.source INTO was
  FROM xb.models m WHERE m.id = (SELECT xb.model_id(xb_retrain.name, 'manage'));
  IF was.source = '(imported)' THEN
    RAISE EXCEPTION 'model "%" was imported and has no training source to retrain on', xb_retrain.name
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Retrain it in the database it was trained in.';
  END IF;

  -- The stored source runs as the role that wrote it, not as the caller.
  IF was.kind = 'forecaster' THEN
    new_id := xb.retrain_forecaster(was.name, xb_retrain.keep);
  ELSE
    new_id := xb.retrain_tabular(was.name, xb_retrain.keep);
  END IF;
  SELECT m.version INTO new_version FROM xb.models m WHERE m.id = new_id;

  -- Both versions scored on the same rows just read (a forecaster's: the
  -- newest points, forecast from the same cut; a classifier's or
  -- regressor's: the new version's test split, which the deployed one never
  -- trained on): two rows of the new version's xb.trials, whose chosen says
  -- which one keep keeps.
  SELECT max(t.validation_score) FILTER (WHERE t.params->>'retrain' = 'deployed') AS old_score,
         max(t.validation_score) FILTER (WHERE t.params->>'retrain' = 'new') AS new_score,
         bool_or(t.chosen) FILTER (WHERE t.params->>'retrain' = 'new') AS keep_new,
         max(t.validation_metric) AS metric, max(t.params->>'points') AS points,
         max(t.params->>'horizon') AS horizon, max(t.params->>'series') AS series,
         max(t.params->>'from') AS first_time, max(t.params->>'to') AS last_time, count(*) AS n
  INTO same FROM xb.trials t WHERE t.model_id = new_id AND t.params ? 'retrain';
  IF same.n = 2 THEN
    same_rows := CASE WHEN same.horizon IS NOT NULL
      THEN format('both forecast the same %s newest points (the last %s of %s series, %s to %s) from the history '
                  'before them', same.points, same.horizon, same.series, same.first_time, same.last_time)
      ELSE format('both scored on the same %s rows, the new version''s test split', same.points) END;
    IF same.keep_new THEN
      RAISE NOTICE 'xb_retrain: "%" version % (% %) replaces version % (% %)%; %', was.name, new_version, same.metric,
        round(same.new_score::numeric, 4), was.version, same.metric, round(same.old_score::numeric, 4),
        CASE WHEN xb_retrain.keep = 'always' AND (same.new_score > same.old_score OR (same.new_score IS NULL AND
                  same.old_score IS NOT NULL)) THEN ' (keep => ''always'')' ELSE '' END, same_rows;
    ELSE
      PERFORM xb.reject_version(was.name, new_version);
      PERFORM @extschema@.xb_deploy(was.name, was.version);
      RAISE NOTICE 'xb_retrain: "%" version % (% %) is worse than version % (% %), which stays deployed; %',
        was.name, new_version, same.metric, round(same.new_score::numeric, 4), was.version, same.metric,
        round(same.old_score::numeric, 4), same_rows;
    END IF;
    PERFORM xb.apply_retention(was.name);
    RETURN;
  END IF;

  -- Otherwise each version's own test split (a classifier or regressor refit
  -- on every row, "refit": true, has none and is judged by its
  -- cross-validation mean).
  key_metric := CASE was.kind WHEN 'forecaster' THEN 'mase' WHEN 'classifier' THEN 'log_loss' ELSE 'rmse' END;
  SELECT coalesce(max(mm.value) FILTER (WHERE mm.model_id = was.id AND mm.split = 'test'),
                  max(mm.value) FILTER (WHERE mm.model_id = was.id AND mm.split = 'cv')),
         coalesce(max(mm.value) FILTER (WHERE mm.model_id = new_id AND mm.split = 'test'),
                  max(mm.value) FILTER (WHERE mm.model_id = new_id AND mm.split = 'cv')),
         CASE WHEN bool_or(mm.model_id = was.id AND mm.split = 'test') THEN 'test' ELSE 'cv' END,
         CASE WHEN bool_or(mm.model_id = new_id AND mm.split = 'test') THEN 'test' ELSE 'cv' END
  INTO old_score, new_score, old_split, new_split FROM xb.model_metrics mm
  WHERE mm.model_id IN (was.id, new_id) AND mm.estimator = 'model'
    AND ((mm.split = 'test' AND mm.metric = key_metric) OR (mm.split = 'cv' AND mm.metric = key_metric || '_mean'));

  -- NaN sorts above every number, so a NaN score counts as the worst.
  IF xb_retrain.keep = 'always' OR old_score IS NULL OR new_score <= old_score THEN
    RAISE NOTICE 'xb_retrain: "%" version % (% % %) replaces version % (% % %), each scored on its own split',
      was.name, new_version, new_split, key_metric, round(new_score::numeric, 4), was.version, old_split, key_metric,
      round(old_score::numeric, 4);
  ELSE
    PERFORM xb.reject_version(was.name, new_version);
    PERFORM @extschema@.xb_deploy(was.name, was.version);
    RAISE NOTICE 'xb_retrain: "%" version % (% % %) is worse than version % (% % %), which stays deployed; each '
      'was scored on its own split', was.name, new_version, new_split, key_metric, round(new_score::numeric, 4),
      was.version, old_split, key_metric, round(old_score::numeric, 4);
  END IF;
  PERFORM xb.apply_retention(was.name);
END
$$;

CREATE OR REPLACE FUNCTION xb_refresh_forecasts(name text, horizon integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  model_kind text;
  written bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('xb.models'), hashtext(xb_refresh_forecasts.name));
  SELECT m.kind INTO model_kind FROM xb.models m WHERE m.id = (SELECT xb.model_id(xb_refresh_forecasts.name, 'manage'));
  IF model_kind <> 'forecaster' THEN
    RAISE EXCEPTION 'model "%" is a %, not a forecaster', xb_refresh_forecasts.name, model_kind
      USING ERRCODE = 'invalid_parameter_value', HINT = 'xb_score() scores classifiers and regressors over a table.';
  END IF;
  written := xb.replace_forecasts(xb_refresh_forecasts.name, xb_refresh_forecasts.horizon);
  RETURN written;
END
$$;

CREATE OR REPLACE FUNCTION xb_grant(name text, role text, privilege text DEFAULT 'use')
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  grantee_name name;
BEGIN
  IF xb_grant.privilege IS NULL OR xb_grant.privilege NOT IN ('use', 'manage') THEN
    RAISE EXCEPTION 'privilege must be ''use'' or ''manage'', not %', coalesce(quote_literal(xb_grant.privilege), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = '''use'': see, forecast and score; ''manage'': also export, read residuals, train, deploy, import and retrain.';
  END IF;
  grantee_name := xb.grantee_name(xb_grant.role);
  PERFORM xb.model_id(xb_grant.name, 'own');
  PERFORM xb.set_grant(xb_grant.name, grantee_name, xb_grant.privilege);
END
$$;

CREATE OR REPLACE FUNCTION xb_revoke(name text, role text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  grantee_name name;
BEGIN
  grantee_name := xb.grantee_name(xb_revoke.role);
  PERFORM xb.model_id(xb_revoke.name, 'own');
  PERFORM xb.drop_grant(xb_revoke.name, grantee_name);
END
$$;

-- One model lookup ---------------------------------------------------------------
-- Every function that takes a model name asks xb.model_id (C), which gives
-- one answer: 42501 for a name the role may not use or manage, 42704 for a
-- name or version that does not exist (with the closest name as a hint).
CREATE FUNCTION xb.model_id(model_name text, needed text, version integer DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'xb_model_id' LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE OR REPLACE FUNCTION xb_residuals(name text, version integer DEFAULT NULL)
RETURNS TABLE (series text, ts timestamp, step integer, actual double precision, fitted double precision,
               residual double precision, lo double precision, hi double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  found_id bigint := xb.model_id(xb_residuals.name, 'manage', xb_residuals.version);
BEGIN
  RETURN QUERY
    SELECT r.series, r.ts, r.step, r.actual, r.fitted, r.actual - r.fitted, r.lo, r.hi
      FROM xb.residuals r WHERE r.model_id = found_id
     ORDER BY r.series, r.ts;
END $$;

CREATE OR REPLACE FUNCTION xb_rollback(name text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  current integer;
  previous integer;
BEGIN
  IF xb_rollback.name IS NULL THEN
    RAISE EXCEPTION 'name must not be NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('xb.models'), hashtext(xb_rollback.name));
  SELECT m.version INTO current FROM xb.models m WHERE m.id = (SELECT xb.model_id(xb_rollback.name, 'manage'));
  SELECT max(m.version) INTO previous FROM xb.models m WHERE m.name = xb_rollback.name AND m.version < current;
  IF previous IS NULL THEN
    RAISE EXCEPTION 'model "%" has no version before the deployed version %', xb_rollback.name, current
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'xb_deploy(name, version) deploys any version, newer ones included.';
  END IF;
  RETURN @extschema@.xb_deploy(xb_rollback.name, previous);
END
$$;

DROP FUNCTION xb.deployed_model(text, text);
DROP FUNCTION xb.raise_missing_version(text, integer);
DROP FUNCTION xb.require_access(text, text);
DROP FUNCTION xb.require_owner(text);

-- Export and residuals need 'manage' -------------------------------------------
-- A forecaster's blob holds the last lookback points of every series and
-- their covariates, and xb.residuals the test split's actuals: both are
-- training data, for the roles that may manage the model. 'use' keeps
-- forecasting and scoring.
REVOKE SELECT ON xb.models FROM PUBLIC;
GRANT SELECT (id, name, version, kind, arch, owner, created_at, source, time_col, target_col, series_cols, feature_cols,
  horizon, options, hyperparameters, train_rows, time_from, time_to, lineage, device, train_seconds, status, deployed,
  source_author, source_search_path) ON xb.models TO PUBLIC;
DROP POLICY visible ON xb.residuals;
CREATE POLICY visible ON xb.residuals FOR SELECT
  USING (EXISTS (SELECT FROM xb.models m WHERE m.id = model_id AND xb.may_manage(m.name)));
DROP FUNCTION xb_model_bytes(text, integer);
CREATE FUNCTION xb_model_bytes(name text, version integer DEFAULT NULL)
RETURNS bytea
AS 'MODULE_PATHNAME', 'xb_model_bytes'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION xb_model_bytes(text, integer) IS
  'The model blob of the deployed (or given) version, with its rows of xb.model_metrics, for xb_model_load() in '
  'another database or xb_forecast(bytea); needs manage: a forecaster''s blob holds the last lookback points of '
  'every series and their covariates';

-- auto (the statistical members combined, chosen on rolling origins) is the
-- default architecture; the old auto (every network, the best on
-- validation) is now called nets.
CREATE OR REPLACE FUNCTION xb_train_forecaster(
  name         text,
  source       text,
  time_col     text,
  target_col   text,
  series_cols  text[] DEFAULT NULL,
  feature_cols text[] DEFAULT NULL,
  horizon      integer DEFAULT 8,
  arch         text DEFAULT 'auto',
  options      jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'xb_train_forecaster'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Versions trained as 0.1.0's auto were every network, the best on
-- validation: retraining them reruns that, under its new name.
UPDATE xb.models SET lineage = jsonb_set(lineage, '{arch_requested}', '"nets"')
 WHERE lineage->>'arch_requested' = 'auto';

-- Views for BI tools ----------------------------------------------------------
-- Both run with the reader's rights (security_invoker): row-level security
-- shows each reader only the models it may use (xb.forecast_accuracy, read
-- from the test split's actuals, only those it may manage), whoever owns the
-- view. Neither reads the weights column.

-- One row per deployed model: what it is, and its key test metric beside the
-- baseline's (forecaster: MASE against seasonal naive; classifier: log loss
-- against the majority class; regressor: RMSE against the training mean;
-- lower is better, so a ratio below 1 means the model beats its baseline).
CREATE VIEW xb.model_summary WITH (security_invoker = true) AS
SELECT m.name, m.version, m.kind, m.arch, n.owner, m.owner AS trained_by, m.created_at AS trained_at, m.train_rows,
       m.status, k.metric AS key_metric, s.model_score, k.baseline, s.baseline_score,
       s.model_score / nullif(s.baseline_score, 0) AS score_ratio,
       s.accuracy, s.baseline_accuracy, s.roc_auc, s.coverage, s.split AS scored_on
FROM xb.models m
JOIN xb.model_names n ON n.name = m.name
CROSS JOIN LATERAL (SELECT CASE m.kind WHEN 'forecaster' THEN 'mase' WHEN 'classifier' THEN 'log_loss' ELSE 'rmse' END,
                           CASE m.kind WHEN 'forecaster' THEN 'seasonal_naive' WHEN 'classifier' THEN 'majority'
                                       ELSE 'mean' END) k(metric, baseline)
-- The test split; for a version without one (an import), its latest
-- xb_evaluate, if any: one scan of its metrics (row-level security checks
-- every scan), the rows of the split kept.
CROSS JOIN LATERAL (
  SELECT max(r.split) AS split,
         max(r.value) FILTER (WHERE r.estimator = 'model' AND r.metric = k.metric) AS model_score,
         max(r.value) FILTER (WHERE r.estimator = k.baseline AND r.metric = k.metric) AS baseline_score,
         max(r.value) FILTER (WHERE r.estimator = 'model' AND r.metric = 'accuracy') AS accuracy,
         max(r.value) FILTER (WHERE r.estimator = k.baseline AND r.metric = 'accuracy') AS baseline_accuracy,
         max(r.value) FILTER (WHERE r.estimator = 'model' AND r.metric = 'roc_auc') AS roc_auc,
         max(r.value) FILTER (WHERE r.estimator = 'model' AND r.metric = 'coverage') AS coverage
  FROM (SELECT mm.split, mm.estimator, mm.metric, mm.value,
               bool_or(mm.split = 'test') OVER () AS has_test
        FROM xb.model_metrics mm WHERE mm.model_id = m.id AND mm.split IN ('test', 'evaluation')) r
  WHERE (r.split = 'test') = r.has_test) s
WHERE m.deployed;

COMMENT ON VIEW xb.model_summary IS
  'One row per deployed model: kind, architecture, version, owner, training time and rows, status, its key test metric '
  'beside its baseline''s and their ratio (below 1: better than the baseline), accuracy, ROC AUC, interval coverage, '
  'and the split they come from (test, or for an import the latest xb_evaluate)';

-- Per forecaster version and series: the test split's metrics, from
-- xb.residuals (the same definitions as xb.model_metrics: fractions, not
-- percentages; bias is mean(fitted - actual)). Backtests are not stored:
-- xb_backtest() computes them when called.
CREATE VIEW xb.forecast_accuracy WITH (security_invoker = true) AS
SELECT m.name, m.version, m.deployed, r.series, count(*) AS points, min(r.ts) AS test_from, max(r.ts) AS test_to,
       avg(abs(r.fitted - r.actual)) AS mae,
       sqrt(avg((r.fitted - r.actual) * (r.fitted - r.actual))) AS rmse,
       avg(abs(r.fitted - r.actual) / abs(r.actual)) FILTER (WHERE r.actual <> 0) AS mape,
       avg(CASE WHEN abs(r.actual) + abs(r.fitted) = 0 THEN 0
                ELSE 2 * abs(r.fitted - r.actual) / (abs(r.actual) + abs(r.fitted)) END) AS smape,
       sum(abs(r.fitted - r.actual)) / nullif(sum(abs(r.actual)), 0) AS wape,
       avg(r.fitted - r.actual) AS bias,
       avg(CASE WHEN r.actual BETWEEN r.lo AND r.hi THEN 1.0 ELSE 0.0 END::double precision)
         FILTER (WHERE r.lo IS NOT NULL AND r.hi IS NOT NULL) AS coverage
FROM xb.residuals r
JOIN xb.models m ON m.id = r.model_id
GROUP BY m.id, r.series;

COMMENT ON VIEW xb.forecast_accuracy IS
  'One row per forecaster version and series: test-split points, MAE, RMSE, MAPE, sMAPE, WAPE, bias and interval '
  'coverage (rows of the models the reader may manage)';

GRANT SELECT ON xb.model_summary, xb.forecast_accuracy TO PUBLIC;

-- The model lookup's privilege check in PL/pgSQL, the same query: its plan is
-- kept for the session, where a SQL function parsed and planned it again for
-- every row that row-level security checks.
CREATE OR REPLACE FUNCTION xb.model_access(model_name text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (SELECT CASE
             WHEN n.name IS NULL THEN 'new'
             WHEN EXISTS (SELECT FROM pg_roles r  -- superusers are members of every role
                          WHERE r.rolname = n.owner AND pg_has_role(r.oid, 'MEMBER'))
                  OR (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN 'owner'
             WHEN EXISTS (SELECT FROM xb.model_grants g
                          WHERE g.name = n.name AND g.privilege = 'manage'
                            AND (g.grantee = 'public' OR EXISTS (SELECT FROM pg_roles r
                                                                 WHERE r.rolname = g.grantee
                                                                   AND pg_has_role(r.oid, 'MEMBER')))) THEN 'manage'
             WHEN EXISTS (SELECT FROM xb.model_grants g
                          WHERE g.name = n.name
                            AND (g.grantee = 'public' OR EXISTS (SELECT FROM pg_roles r
                                                                 WHERE r.rolname = g.grantee
                                                                   AND pg_has_role(r.oid, 'MEMBER')))) THEN 'use'
             ELSE 'none'
           END
    FROM (SELECT model_name AS wanted) w LEFT JOIN xb.model_names n ON n.name = w.wanted);
END
$$;

-- The aggregates' support functions are internal: they move from the
-- extension's schema to schema xb (the aggregates keep pointing at them).
ALTER FUNCTION @extschema@.xb_fit_forecaster_transfn(internal, anyelement, double precision, jsonb) SET SCHEMA xb;
ALTER FUNCTION xb.xb_fit_forecaster_transfn(internal, anyelement, double precision, jsonb) RENAME TO fit_forecaster_transfn;
ALTER FUNCTION @extschema@.xb_forecast_agg_transfn(internal, anyelement, double precision, integer) SET SCHEMA xb;
ALTER FUNCTION xb.xb_forecast_agg_transfn(internal, anyelement, double precision, integer) RENAME TO forecast_agg_transfn;
ALTER FUNCTION @extschema@.xb_forecast_agg_transfn(internal, anyelement, double precision, integer, jsonb) SET SCHEMA xb;
ALTER FUNCTION xb.xb_forecast_agg_transfn(internal, anyelement, double precision, integer, jsonb)
  RENAME TO forecast_agg_transfn;
ALTER FUNCTION @extschema@.xb_series_agg_combine(internal, internal) SET SCHEMA xb;
ALTER FUNCTION xb.xb_series_agg_combine(internal, internal) RENAME TO series_agg_combine;
ALTER FUNCTION @extschema@.xb_series_agg_serialize(internal) SET SCHEMA xb;
ALTER FUNCTION xb.xb_series_agg_serialize(internal) RENAME TO series_agg_serialize;
ALTER FUNCTION @extschema@.xb_series_agg_deserialize(bytea, internal) SET SCHEMA xb;
ALTER FUNCTION xb.xb_series_agg_deserialize(bytea, internal) RENAME TO series_agg_deserialize;
ALTER FUNCTION @extschema@.xb_fit_forecaster_final(internal) SET SCHEMA xb;
ALTER FUNCTION xb.xb_fit_forecaster_final(internal) RENAME TO fit_forecaster_final;
ALTER FUNCTION @extschema@.xb_forecast_agg_final(internal) SET SCHEMA xb;
ALTER FUNCTION xb.xb_forecast_agg_final(internal) RENAME TO forecast_agg_final;

-- They come from xb_base.so now, which needs no LibTorch, so parallel workers
-- load none (src/pg_base/module.cpp).
CREATE OR REPLACE FUNCTION xb.fit_forecaster_transfn(internal, anyelement, double precision, jsonb)
RETURNS internal AS '$libdir/xb_base', 'xb_fit_forecaster_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION xb.forecast_agg_transfn(internal, anyelement, double precision, integer)
RETURNS internal AS '$libdir/xb_base', 'xb_forecast_agg_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION xb.forecast_agg_transfn(internal, anyelement, double precision, integer, jsonb)
RETURNS internal AS '$libdir/xb_base', 'xb_forecast_agg_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION xb.series_agg_combine(internal, internal)
RETURNS internal AS '$libdir/xb_base', 'xb_series_agg_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION xb.series_agg_serialize(internal)
RETURNS bytea AS '$libdir/xb_base', 'xb_series_agg_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION xb.series_agg_deserialize(bytea, internal)
RETURNS internal AS '$libdir/xb_base', 'xb_series_agg_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION xb.fit_forecaster_final(internal)
RETURNS bytea AS '$libdir/xb_base', 'xb_fit_forecaster_final'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION xb.forecast_agg_final(internal)
RETURNS xb.forecast_point[] AS '$libdir/xb_base', 'xb_forecast_agg_final'
LANGUAGE C STABLE PARALLEL SAFE;

-- What one row of each catalog table and view is.
COMMENT ON TABLE xb.models IS
  'One row per model version: what was trained (kind, architecture, source, columns, options) on '
  'what (rows, time range, lineage), how (device, seconds), its status, whether it is the deployed '
  'version of its name, and its blob (weights, read through xb_model_bytes)';
COMMENT ON TABLE xb.model_metrics IS
  'One row per model version, split (train, validation, test, cv, or evaluation: the last xb_evaluate), '
  'estimator (the model, or its baseline: seasonal_naive, majority, mean) and metric: its value';
COMMENT ON TABLE xb.training_log IS
  'One row per model version, ensemble member and epoch: training and validation loss, learning '
  'rate, seconds';
COMMENT ON TABLE xb.residuals IS
  'One row per forecaster version, series and time of its test split: actual, fitted, horizon '
  'step and interval (visible to the roles that may manage the model)';
COMMENT ON TABLE xb.forecasts IS
  'One row per model name, series and future time: the deployed version''s forecast and interval, '
  'written by xb_refresh_forecasts';
COMMENT ON TABLE xb.trials IS
  'One row per candidate of a model version''s hyperparameter search or of auto: its parameters, '
  'validation scores, the score that chose (validation_metric, validation_score), seconds, and whether it was kept';
COMMENT ON TABLE xb.model_names IS
  'One row per model name: the role that owns it (the one that trained or imported its first version)';
COMMENT ON TABLE xb.model_grants IS
  'One row per model name and grantee (a role, or public): the privilege xb_grant gave (use or '
  'manage), by whom and when';
COMMENT ON VIEW xb.model_privileges IS
  'One row per model name and grantee (PUBLIC for everyone): the privilege xb_grant gave, by whom '
  'and when';

-- xb_drop and retention.
ALTER TABLE xb.model_names ADD COLUMN keep_versions integer CHECK (keep_versions > 0);
-- Version numbers are never given twice, also after xb_drop.
ALTER TABLE xb.model_names ADD COLUMN last_version integer NOT NULL DEFAULT 0;
UPDATE xb.model_names n SET last_version = coalesce((SELECT max(m.version) FROM xb.models m WHERE m.name = n.name), 0);
CREATE FUNCTION xb.drop_version(model_name text, version integer)   -- manage
RETURNS void AS 'MODULE_PATHNAME', 'xb_drop_version' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION xb.drop_model(model_name text)   -- owner
RETURNS integer AS 'MODULE_PATHNAME', 'xb_drop_model' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION xb.set_retention(model_name text, keep_versions integer)   -- manage
RETURNS void AS 'MODULE_PATHNAME', 'xb_set_retention' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Dropping and retention ------------------------------------------------------
-- xb_drop(name) drops a model: every version with its metrics, log,
-- residuals, trials and materialized forecasts, its grants and its name
-- (the owner only, as DROP TABLE). xb_drop(name, version) drops one version
-- that is not deployed ('manage'). xb_set_retention(name, n) keeps the n
-- newest versions (and always the deployed one): applied at once, and by
-- every xb_retrain after its keep decision.

CREATE FUNCTION xb.apply_retention(model_name text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  old record;
  dropped integer := 0;
BEGIN
  FOR old IN
    SELECT m.version FROM xb.models m JOIN xb.model_names n ON n.name = m.name
    WHERE m.name = apply_retention.model_name AND n.keep_versions IS NOT NULL AND NOT m.deployed
      AND m.version <= (SELECT max(v.version) FROM xb.models v WHERE v.name = m.name) - n.keep_versions
    ORDER BY m.version
  LOOP
    PERFORM xb.drop_version(apply_retention.model_name, old.version);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END
$$;

-- Two functions, not a version defaulting to NULL: a version computed by a
-- subquery that finds nothing must not drop the whole model.
CREATE FUNCTION xb_drop(name text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF xb_drop.name IS NULL THEN
    RAISE EXCEPTION 'name must not be NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('xb.models'), hashtext(xb_drop.name));
  RETURN xb.drop_model(xb_drop.name);
END
$$;

COMMENT ON FUNCTION xb_drop(text) IS
  'Drops a model: every version, its grants and its name (owner only); returns how many versions';

CREATE FUNCTION xb_drop(name text, version integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF xb_drop.name IS NULL OR xb_drop.version IS NULL THEN
    RAISE EXCEPTION 'name and version must not be NULL' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'xb_drop(name) drops the whole model.';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('xb.models'), hashtext(xb_drop.name));
  PERFORM xb.drop_version(xb_drop.name, xb_drop.version);
  RETURN 1;
END
$$;

COMMENT ON FUNCTION xb_drop(text, integer) IS
  'Drops one version that is not deployed (''manage''); returns 1';

CREATE FUNCTION xb_set_retention(name text, keep_versions integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF xb_set_retention.name IS NULL OR xb_set_retention.keep_versions IS NULL THEN
    RAISE EXCEPTION 'name and keep_versions must not be NULL'
      USING ERRCODE = 'invalid_parameter_value', HINT = 'keep_versions 0 keeps every version.';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('xb.models'), hashtext(xb_set_retention.name));
  PERFORM xb.set_retention(xb_set_retention.name, xb_set_retention.keep_versions);
  RETURN xb.apply_retention(xb_set_retention.name);
END
$$;

COMMENT ON FUNCTION xb_set_retention(text, integer) IS
  'Keeps the newest keep_versions versions of a model (and the deployed one), now and after every xb_retrain (0: all); returns how many it dropped now';

-- xb_forecast with an interval level (xb_forecast_typed's level): a
-- function of its own, so xb_forecast keeps its 0.1.0 signature and the
-- views built on it survive upgrades.
CREATE FUNCTION xb.forecast_at_level(name text, horizon integer, future_source text, overrides jsonb,
                                     level double precision)
RETURNS TABLE (series text, ts timestamp, yhat double precision, lo double precision, hi double precision)
AS 'MODULE_PATHNAME', 'xb_forecast'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1000;

-- Typed forecasts: the series keys in the types of the series columns, and
-- the version that forecast. keys is a value of the key's type (NULL::int,
-- or NULL::a_composite_type with one field per series column, in order):
--   SELECT w.*, f.yhat FROM walmart w JOIN xb_forecast_typed('walmart_gru', NULL::int) f
--     ON f.key = w.store AND f.ts = w.date;
-- A series key of several columns is their text values joined by '|'.
CREATE FUNCTION xb_forecast_typed(
  name          text,
  keys          anyelement,
  horizon       integer DEFAULT NULL,
  future_source text DEFAULT NULL,
  overrides     jsonb DEFAULT NULL,
  level         double precision DEFAULT NULL)
RETURNS TABLE (key anyelement, ts timestamp, yhat double precision, lo double precision, hi double precision,
               version integer)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED ROWS 1000
AS $$
DECLARE
  key_type regtype := pg_typeof(keys);
  fields integer := 0;
  key_expr text;
  version_before integer;
  version_after integer;
  bad text;
  s text[];
  t timestamp[];
  y double precision[];
  l double precision[];
  h double precision[];
BEGIN
  SELECT count(*), 'ROW(' || string_agg(format('nullif(split_part(u.series, ''|'', %s), '''')::%s', c.field, c.type),
                                        ', ' ORDER BY c.field) || ')::' || key_type::text
  INTO fields, key_expr
  FROM (SELECT row_number() OVER (ORDER BY a.attnum) AS field, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_type pt JOIN pg_attribute a ON a.attrelid = pt.typrelid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE pt.oid = key_type) c;
  IF fields = 0 THEN
    key_expr := format('nullif(u.series, '''')::%s', key_type);  -- '': a model of one series
  END IF;
  SELECT m.version INTO version_before FROM xb.models m WHERE m.id = xb.model_id(xb_forecast_typed.name, 'use');
  -- The forecast once, as text keys; then the keys cast on their own, so a
  -- cast error is told apart from the forecast's own errors.
  SELECT array_agg(f.series), array_agg(f.ts), array_agg(f.yhat), array_agg(f.lo), array_agg(f.hi)
  INTO s, t, y, l, h
  FROM xb.forecast_at_level(xb_forecast_typed.name, xb_forecast_typed.horizon, xb_forecast_typed.future_source,
                             xb_forecast_typed.overrides, xb_forecast_typed.level) f;
  IF fields > 0 AND EXISTS (SELECT FROM unnest(s) k WHERE array_length(string_to_array(k, '|'), 1) <> fields) THEN
    RAISE EXCEPTION 'the series keys of model "%" do not split into the % fields of type %', xb_forecast_typed.name,
      fields, key_type
      USING ERRCODE = 'datatype_mismatch',
            HINT = 'A key of several columns is their values joined by ''|'': one holding ''|'' cannot be split; use xb_forecast.';
  END IF;
  -- Another session may deploy a version while this one forecasts: the
  -- version column must name the one that forecast.
  SELECT m.version INTO version_after FROM xb.models m WHERE m.id = xb.model_id(xb_forecast_typed.name, 'use');
  IF version_after <> version_before THEN
    RAISE EXCEPTION 'model "%" was deployed anew (version % to %) during the forecast', xb_forecast_typed.name,
      version_before, version_after
      USING ERRCODE = 'serialization_failure', HINT = 'Run the statement again.';
  END IF;
  BEGIN
    RETURN QUERY EXECUTE format('SELECT %s, u.ts, u.yhat, u.lo, u.hi, $6 '
                                'FROM unnest($1, $2, $3, $4, $5) AS u(series, ts, yhat, lo, hi)', key_expr)
      USING s, t, y, l, h, version_before;
  EXCEPTION WHEN invalid_text_representation OR invalid_datetime_format OR datetime_field_overflow
                 OR numeric_value_out_of_range OR string_data_right_truncation THEN
    GET STACKED DIAGNOSTICS bad = MESSAGE_TEXT;
    RAISE EXCEPTION 'the series keys of model "%" are not values of type %: %', xb_forecast_typed.name, key_type, bad
      USING ERRCODE = 'datatype_mismatch',
            HINT = 'Pass NULL of the series column''s type, or of a composite type with one field per series column.';
  END;
END
$$;

COMMENT ON FUNCTION xb_forecast_typed(text, anyelement, integer, text, jsonb, double precision) IS
  'xb_forecast with the series keys in their own type (NULL::int, or NULL of a composite type for several series '
  'columns) and the version that forecast; level asks for another interval level (0.5, 0.8, 0.9, 0.95, 0.99)';


-- Trainings running now, for DBAs (NOTICEs from pg_cron jobs reach no one):
-- a backend that trains reports its progress as its pg_stat_activity query
-- text, which PostgreSQL shows only to the same role and to members of
-- pg_read_all_stats, so this view shows each reader the trainings it could
-- see there.
CREATE VIEW xb.trainings WITH (security_invoker = true) AS
SELECT a.pid, a.usename AS role, a.datname AS database, a.backend_type,
       m[7] AS model, m[1] AS phase, m[2]::integer AS member, m[3]::integer AS epoch,
       CASE WHEN m[4] ~ 'nan|inf' THEN NULL ELSE m[4]::double precision END AS train_loss,
       CASE WHEN m[5] ~ 'nan|inf' THEN NULL ELSE m[5]::double precision END AS validation_loss,
       m[6]::double precision AS seconds, a.query_start AS started, now() - a.query_start AS elapsed
FROM pg_catalog.pg_stat_activity a,
     -- The one format xb writes, anchored, with numbers no cast can refuse:
     -- a statement made up to look like a training cannot break the view.
     LATERAL (SELECT regexp_match(a.query,
       '^/\* xb training \*/ phase=([a-z]{1,16})'
       '(?: member=([0-9]{1,6}) epoch=([0-9]{1,9})'
       ' train_loss=(-?[0-9]\.[0-9]{6}e[-+][0-2]?[0-9]{1,2}|-?nan|-?inf)'
       ' validation_loss=(-?[0-9]\.[0-9]{6}e[-+][0-2]?[0-9]{1,2}|-?nan|-?inf)'
       ' seconds=([0-9]{1,12}\.[0-9]))? model=(.*)$') AS m) p
WHERE a.state = 'active' AND p.m IS NOT NULL;
COMMENT ON VIEW xb.trainings IS
  'One row per training or backtest running now that the reader may see in pg_stat_activity: backend, role, model, '
  'phase, ensemble member, epoch, losses and seconds of the latest epoch, start';
GRANT SELECT ON xb.trainings TO PUBLIC;


COMMENT ON PROCEDURE xb_retrain(text, text) IS
  'Retrains the deployed version''s spec on current data as the next version; keeps it only if not worse than the '
  'deployed version on the same rows (forecasters: the newest points; classifiers and regressors: the new test split; '
  'in xb.trials), refit models by cross-validation (keep => ''always'' keeps it); applies xb_set_retention';

-- Scoring aggregates with the model as a value: the average over the group
-- of what xb_predict or xb_recommend gives for each jsonb row (NULL rows
-- skipped, as avg() skips them); grouped by a unique key, each row's own.
-- They read no catalog, so postgres_fdw can run them on the server that
-- holds the rows (README, "Scaling out"). The state is avg()'s float8[].
CREATE FUNCTION xb.predict_agg_transfn(double precision[], bytea, jsonb)
RETURNS double precision[] AS 'MODULE_PATHNAME', 'xb_predict_agg_transfn'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION xb.recommend_agg_transfn(double precision[], bytea, jsonb)
RETURNS double precision[] AS 'MODULE_PATHNAME', 'xb_recommend_agg_transfn'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE AGGREGATE xb_predict_agg(model bytea, "row" jsonb) (
  SFUNC = xb.predict_agg_transfn, STYPE = double precision[], INITCOND = '{0,0,0}',
  COMBINEFUNC = pg_catalog.float8_combine, FINALFUNC = pg_catalog.float8_avg, PARALLEL = SAFE);
COMMENT ON AGGREGATE xb_predict_agg(bytea, jsonb) IS
  'Average over the group of xb_predict''s value for each jsonb row, with a model bytea (from xb_model_bytes)';

CREATE AGGREGATE xb_recommend_agg(model bytea, "row" jsonb) (
  SFUNC = xb.recommend_agg_transfn, STYPE = double precision[], INITCOND = '{0,0,0}',
  COMBINEFUNC = pg_catalog.float8_combine, FINALFUNC = pg_catalog.float8_avg, PARALLEL = SAFE);
COMMENT ON AGGREGATE xb_recommend_agg(bytea, jsonb) IS
  'Average over the group of xb_recommend''s probability of the positive class for each jsonb row, with a model bytea';

COMMENT ON AGGREGATE xb_forecast_agg(anyelement, double precision, integer) IS
  'Trains a forecaster (auto: the statistical members) on the group''s series and returns its next horizon steps as xb.forecast_point[]';

-- ===========================================================================
-- Image features: a bytea column of PNG or JPEG pictures among feature_cols
-- of xb_train_classifier or xb_train_regressor is encoded by five
-- convolution blocks with attention pooling (options "image": {...}).
-- ===========================================================================

CREATE FUNCTION xb_embed(name text, image bytea)
RETURNS real[]
AS 'MODULE_PATHNAME', 'xb_embed'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION xb_embed(text, bytea) IS
  'The image embedding (attention-pooled convolutional features) of a picture, from the deployed model''s image encoder';

CREATE FUNCTION xb_attention(name text, image bytea)
RETURNS real[]
AS 'MODULE_PATHNAME', 'xb_attention'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION xb_attention(text, bytea) IS
  'The attention weights over the cells of the final feature map (row by row, summing to 1) for a picture';

CREATE FUNCTION xb_attention_png(name text, image bytea, scale integer DEFAULT 4)
RETURNS bytea
AS 'MODULE_PATHNAME', 'xb_attention_png'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION xb_attention_png(text, bytea, integer) IS
  'A PNG of the picture (scale times the model''s input size) with the attention drawn over it in red';

CREATE FUNCTION xb_attention_faithfulness(name text, source text, label_col text, fraction double precision DEFAULT 0.2)
RETURNS TABLE (pictures bigint, trained double precision, untrained double precision)
AS 'MODULE_PATHNAME', 'xb_attention_faithfulness'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1;

COMMENT ON FUNCTION xb_attention_faithfulness(text, text, text, double precision) IS
  'Share of labelled pictures whose true class loses more probability when the most attended cells are blacked out than as many random ones; also for an untrained network (about 0.5)';


CREATE FUNCTION xb_image_png(pixels bytea, width integer, height integer, channels integer DEFAULT 1)
RETURNS bytea
AS 'MODULE_PATHNAME', 'xb_image_png'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION xb_image_png(bytea, integer, integer, integer) IS
  'Raw 8-bit pixels (row by row; channels 1 grey or 3 RGB) as a PNG';

CREATE FUNCTION xb_image_png(pixels real[], width integer, height integer, channels integer DEFAULT 1)
RETURNS bytea
AS 'MODULE_PATHNAME', 'xb_image_png_values'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION xb_image_png(real[], integer, integer, integer) IS
  'Pixel values from 0 to 255 (row by row; channels 1 grey or 3 RGB) as a PNG: a numeric array with a declared width and height, made an image feature';

-- xb_evaluate: a forecaster scored on actuals it has not seen, kept as split 'evaluation'.
ALTER TABLE xb.model_metrics DROP CONSTRAINT model_metrics_split_check;
ALTER TABLE xb.model_metrics ADD CONSTRAINT model_metrics_split_check
  CHECK (split IN ('train', 'validation', 'test', 'cv', 'evaluation'));

CREATE FUNCTION xb_evaluate(name text, source text, version integer DEFAULT NULL)
RETURNS TABLE (series text, estimator text, metric text, value double precision)
AS 'MODULE_PATHNAME', 'xb_evaluate'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;

COMMENT ON FUNCTION xb_evaluate IS
  'Scores a model version (deployed or given) on rows of source it has not seen: a forecaster on the actuals in '
  'its forecast, per series and for all (series NULL), beside seasonal naive from source''s earlier rows; a '
  'classifier or regressor on labelled rows, beside the majority class or the mean. The overall rows replace the '
  'version''s split evaluation in xb.model_metrics';

-- Forecast explanations (issue 14).
CREATE FUNCTION xb_explain_forecast(
  name          text,
  horizon       integer DEFAULT NULL,
  future_source text DEFAULT NULL,
  overrides     jsonb DEFAULT NULL)
RETURNS TABLE (series text, ts timestamp, yhat double precision, feature text, contribution double precision)
AS 'MODULE_PATHNAME', 'xb_explain_forecast'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1000;

COMMENT ON FUNCTION xb_explain_forecast(text, integer, text, jsonb) IS
  'What each numeric covariate adds to a network''s forecast, per series, time and feature: the forecast less the '
  'forecast with that feature''s future values at its mean over the history the model keeps (one at a time); '
  'a statistical model''s forecast split into trend (level and trend) and seasonal, which add up to it';

-- Search for every model kind (issue 16): the score that chose each candidate.
ALTER TABLE xb.trials ADD COLUMN validation_metric text, ADD COLUMN validation_score double precision;
UPDATE xb.trials SET validation_metric = 'wape', validation_score = nullif(validation_wape, 'NaN')
WHERE validation_wape <> 'NaN';
UPDATE xb.trials SET validation_wape = NULL WHERE validation_wape = 'NaN';

-- The model cache keeps forecasters too (issue 15).
COMMENT ON FUNCTION xb_cached_models() IS
  'Models (classifiers, regressors, forecasters) decoded in this backend''s cache (xb.model_cache_size)';

-- 0.2.0 forecasts the series of future_source that are new to a network.
COMMENT ON FUNCTION xb_forecast(text, integer, text, jsonb) IS
  'Future values of every series of the deployed version of a forecaster, with an interval. future_source '
  '(a table or SELECT with the series, time and feature columns) gives future covariates, and a network '
  'forecasts its series that are new to the model (new products) from the training series most like them '
  'by their static covariates; overrides (''{"price": {"mul": 0.9}, "promo": {"set": 1}}'') change the '
  'covariates for a what-if';
