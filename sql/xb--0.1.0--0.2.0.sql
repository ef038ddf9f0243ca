-- xb 0.1.0 -> 0.2.0. Every change to sql/xb.sql since 0.1.0 has its step here,
-- so an upgraded catalog equals a fresh install (test/upgrade/run.sh checks it).
\echo Use "ALTER EXTENSION xb UPDATE TO '0.2.0'" to load this file. \quit

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
