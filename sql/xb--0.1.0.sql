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
  split     text NOT NULL CHECK (split IN ('train', 'validation', 'test', 'cv')),
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

-- ===========================================================================
-- Product customization (job 2): MLP classifiers and regressors on product
-- attributes, scoring rows of a table or jsonb, batch scoring, permutation
-- importance. Models are rows of xb.models with kind 'classifier' or
-- 'regressor', target_col holding the label or target column.
-- ===========================================================================

CREATE FUNCTION xb_train_classifier(
  name         text,
  source       text,
  label_col    text,
  feature_cols text[],
  options      jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'xb_train_classifier'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION xb_train_classifier IS
  'Trains an MLP classifier (boolean, integer or text label) on a table, view or SELECT; stores it as the next version of name; returns its id';

CREATE FUNCTION xb_train_regressor(
  name         text,
  source       text,
  target_col   text,
  feature_cols text[],
  options      jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'xb_train_regressor'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION xb_train_regressor IS
  'Trains an MLP regressor (numeric target) on a table, view or SELECT; stores it as the next version of name; returns its id';

CREATE FUNCTION xb_recommend(name text, "row" anyelement)
RETURNS double precision
AS 'MODULE_PATHNAME', 'xb_recommend'
LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION xb_recommend(name text, "row" jsonb)
RETURNS double precision
AS 'MODULE_PATHNAME', 'xb_recommend'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION xb_recommend(text, anyelement) IS
  'Probability of the positive class for a table row, with the deployed version of a classifier';
COMMENT ON FUNCTION xb_recommend(text, jsonb) IS
  'Probability of the positive class for a jsonb object of feature -> value, with the deployed version of a classifier';

CREATE FUNCTION xb_predict(name text, "row" anyelement)
RETURNS double precision
AS 'MODULE_PATHNAME', 'xb_predict'
LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION xb_predict(name text, "row" jsonb)
RETURNS double precision
AS 'MODULE_PATHNAME', 'xb_predict'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION xb_predict(text, anyelement) IS
  'A regressor''s value, or a boolean or integer classifier''s label as a number, for a table row';
COMMENT ON FUNCTION xb_predict(text, jsonb) IS
  'A regressor''s value, or a boolean or integer classifier''s label as a number, for a jsonb object';

CREATE FUNCTION xb_predict_label(name text, "row" anyelement)
RETURNS text
AS 'MODULE_PATHNAME', 'xb_predict_label'
LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION xb_predict_label(name text, "row" jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'xb_predict_label'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION xb_predict_label(text, anyelement) IS 'A classifier''s most probable label, as text, for a table row';
COMMENT ON FUNCTION xb_predict_label(text, jsonb) IS 'A classifier''s most probable label, as text, for a jsonb object';

CREATE FUNCTION xb_score(name text, source text, key_col text)
RETURNS TABLE (key text, label text, probability double precision, value double precision)
AS 'MODULE_PATHNAME', 'xb_score'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1000;

COMMENT ON FUNCTION xb_score(text, text, text) IS
  'Scores every row of a table, view or SELECT in batches: key, label, probability (of the positive class, or of the label), value';

CREATE FUNCTION xb_feature_importance(name text)
RETURNS TABLE (feature text, importance double precision, importance_std double precision, metric text, rank integer)
AS 'MODULE_PATHNAME', 'xb_feature_importance'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 20;

COMMENT ON FUNCTION xb_feature_importance(text) IS
  'Permutation importance on the test split: how much the metric drops when a feature''s values are shuffled';

CREATE FUNCTION xb_cached_models()
RETURNS TABLE (name text, id bigint, version integer, uses bigint)
AS 'MODULE_PATHNAME', 'xb_cached_models'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 16;

COMMENT ON FUNCTION xb_cached_models() IS
  'Classifiers and regressors decoded in this backend''s cache (xb.model_cache_size)';
