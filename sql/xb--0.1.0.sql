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

CREATE FUNCTION xb_forecast(name text, horizon integer DEFAULT NULL)
RETURNS TABLE (series text, ts timestamp, yhat double precision, lo double precision, hi double precision)
AS 'MODULE_PATHNAME', 'xb_forecast'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1000;

COMMENT ON FUNCTION xb_forecast(text, integer) IS
  'Future values of every series of the deployed version of a forecaster, with an interval';

GRANT USAGE ON SCHEMA xb TO PUBLIC;
GRANT SELECT ON xb.models, xb.model_metrics, xb.training_log TO PUBLIC;
