-- xb 0.1.0: the catalog and the forecasting functions.
\echo Use "CREATE EXTENSION xb" to load this file. \quit

CREATE SCHEMA xb;

-- One row per trained model version. Training a name again adds a version;
-- exactly one version per name is deployed, and the functions use that one.
CREATE TABLE xb.models (
  id              bigserial PRIMARY KEY,
  name            text NOT NULL CHECK (name <> ''),
  version         integer NOT NULL CHECK (version > 0),
  kind            text NOT NULL CHECK (kind IN ('forecaster', 'classifier', 'regressor')),
  arch            text NOT NULL,
  owner           name NOT NULL DEFAULT current_user,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- what it was trained on (the stored spec lets a later xb_retrain rerun it)
  source          text NOT NULL,
  time_col        text,
  target_col      text,
  series_cols     text[] NOT NULL DEFAULT '{}',
  feature_cols    text[] NOT NULL DEFAULT '{}',
  horizon         integer,
  options         jsonb NOT NULL DEFAULT '{}',
  hyperparameters jsonb NOT NULL,
  train_rows      bigint NOT NULL,
  time_from       timestamp,
  time_to         timestamp,
  lineage         jsonb NOT NULL DEFAULT '{}',
  device          text NOT NULL,
  train_seconds   double precision NOT NULL,
  status          text NOT NULL DEFAULT 'trained',
  deployed        boolean NOT NULL DEFAULT false,
  weights         bytea NOT NULL,
  UNIQUE (name, version)
);
CREATE UNIQUE INDEX models_one_deployed ON xb.models (name) WHERE deployed;

-- Accuracy per model, split and estimator: the model itself, and the
-- seasonal-naive baseline on the same points so every user sees whether the
-- network beats it.
CREATE TABLE xb.model_metrics (
  model_id  bigint NOT NULL REFERENCES xb.models (id) ON DELETE CASCADE,
  split     text NOT NULL CHECK (split IN ('train', 'validation', 'test')),
  estimator text NOT NULL DEFAULT 'model',
  metric    text NOT NULL,
  value     double precision,
  PRIMARY KEY (model_id, split, estimator, metric)
);

CREATE TABLE xb.training_log (
  model_id        bigint NOT NULL REFERENCES xb.models (id) ON DELETE CASCADE,
  member          integer NOT NULL DEFAULT 0,  -- ensemble member (options.ensemble)
  epoch           integer NOT NULL,
  train_loss      double precision NOT NULL,
  validation_loss double precision,
  learning_rate   double precision,
  seconds         double precision NOT NULL,
  PRIMARY KEY (model_id, member, epoch)
);

-- The test split of each model, tiled by horizon-long windows from its first
-- point: one fitted value per series and time, with its step and interval.
CREATE TABLE xb.residuals (
  model_id bigint NOT NULL REFERENCES xb.models (id) ON DELETE CASCADE,
  series   text NOT NULL,
  ts       timestamp NOT NULL,
  step     integer NOT NULL,
  actual   double precision NOT NULL,
  fitted   double precision NOT NULL,
  lo       double precision,
  hi       double precision,
  PRIMARY KEY (model_id, series, ts)
);

CREATE FUNCTION xb_train_forecaster(
  name         text,
  source       text,
  time_col     text,
  target_col   text,
  series_cols  text[] DEFAULT NULL,
  feature_cols text[] DEFAULT NULL,
  horizon      integer DEFAULT 8,
  arch         text DEFAULT 'gru',
  options      jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'xb_train_forecaster'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION xb_train_forecaster IS
  'Trains a forecaster on a table, view or SELECT; stores it as the next version of name; returns its id';

CREATE FUNCTION xb_forecast(
  name          text,
  horizon       integer DEFAULT NULL,
  future_source text DEFAULT NULL,
  overrides     jsonb DEFAULT NULL)
RETURNS TABLE (series text, ts timestamp, yhat double precision, lo double precision, hi double precision)
AS 'MODULE_PATHNAME', 'xb_forecast'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1000;

COMMENT ON FUNCTION xb_forecast(text, integer, text, jsonb) IS
  'Future values of every series of the deployed version of a forecaster, with an interval. future_source '
  '(a table or SELECT with the series, time and feature columns) gives future covariates; overrides '
  '(''{"price": {"mul": 0.9}, "promo": {"set": 1}}'') changes them for a what-if';

CREATE FUNCTION xb_sensitivity(
  name          text,
  feature       text,
  deltas        double precision[],
  relative      boolean DEFAULT true,
  per_series    boolean DEFAULT false,
  future_source text DEFAULT NULL)
RETURNS TABLE (series text, delta double precision, mean_forecast double precision,
               relative_change double precision, elasticity double precision)
AS 'MODULE_PATHNAME', 'xb_sensitivity'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10;

COMMENT ON FUNCTION xb_sensitivity IS
  'Elasticity table: the forecast with a numeric feature changed by each delta (relative: times 1 + delta, '
  'else plus delta), as the mean relative change against the unchanged forecast; per series optionally';

CREATE FUNCTION xb_residuals(name text, version integer DEFAULT NULL)
RETURNS TABLE (series text, ts timestamp, step integer, actual double precision, fitted double precision,
               residual double precision, lo double precision, hi double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  found_id bigint;
BEGIN
  SELECT m.id INTO found_id FROM xb.models m
   WHERE m.name = xb_residuals.name
     AND CASE WHEN xb_residuals.version IS NULL THEN m.deployed ELSE m.version = xb_residuals.version END;
  IF found_id IS NULL THEN
    RAISE EXCEPTION 'model "%"% does not exist', xb_residuals.name,
          coalesce(' version ' || xb_residuals.version, '')
      USING ERRCODE = 'undefined_object',
            HINT = 'SELECT name, version FROM xb.models lists the models you can use.';
  END IF;
  RETURN QUERY
    SELECT r.series, r.ts, r.step, r.actual, r.fitted, r.actual - r.fitted, r.lo, r.hi
      FROM xb.residuals r WHERE r.model_id = found_id
     ORDER BY r.series, r.ts;
END $$;

COMMENT ON FUNCTION xb_residuals IS
  'Actual, fitted and residual per series and time on the test split of a forecaster (deployed or given version)';

CREATE FUNCTION xb_backtest(name text, folds integer DEFAULT 3, step integer DEFAULT NULL)
RETURNS TABLE (fold integer, cutoff timestamp, step integer, estimator text, points bigint,
               mae double precision, rmse double precision, smape double precision, wape double precision,
               mase double precision, coverage double precision)
AS 'MODULE_PATHNAME', 'xb_backtest'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;

COMMENT ON FUNCTION xb_backtest IS
  'Rolling-origin backtest: retrains the deployed forecaster''s spec with the last (fold - 1) * step points '
  'removed (step defaults to the horizon) and returns test metrics per fold, horizon step and estimator';

GRANT USAGE ON SCHEMA xb TO PUBLIC;
GRANT SELECT ON xb.models, xb.model_metrics, xb.training_log, xb.residuals TO PUBLIC;
