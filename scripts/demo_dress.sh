#!/usr/bin/env bash
# xb demo, job 2 (product customization): build and install the extension,
# start a throwaway PostgreSQL 15 cluster, load the UCI dress catalogue as it
# is published (messy spellings, 'null' strings, a wide and dirty sales file),
# and inside the database:
#   - train the default MLP classifier "should we make and list it?" with
#     5-fold cross-validation, beside the paper's preset and the majority class;
#   - recommend dresses from table rows and jsonb, score the table in batches;
#   - show which attributes drive the recommendation;
#   - train a regressor on total units per dress (sales cleaned in SQL);
#   - transfer learning: for each season, a model trained on the other three
#     seasons, fine-tuned on that season's dresses, against the same network
#     trained on them from scratch (same seed).
#
# Usage: bash scripts/demo_dress.sh   (from any directory; as root for make install)
# Environment: XB_DATA_DIR (default: <repo>/../shared/data),
#              XB_KEEP_CLUSTER=1 keeps the cluster directory afterwards.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=demo_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo_common.sh"
demo_data demo_dress dress_attributes.csv dress_sales.csv

load() {
    local attributes=${DATA_DIR//\'/\'\'}/dress_attributes.csv sales=${DATA_DIR//\'/\'\'}/dress_sales.csv
    sql -q <<SQL
CREATE EXTENSION xb;
SET xb.progress_every = 0;
CREATE TABLE dresses (
  dress_id bigint, style text, price text, rating float8, size text, season text, neckline text,
  sleevelength text, waiseline text, material text, fabrictype text, decoration text, "Pattern Type" text,
  recommendation int);
\\copy dresses FROM '$attributes' WITH (FORMAT csv, HEADER true)
ALTER TABLE dresses ADD COLUMN row_no int GENERATED ALWAYS AS IDENTITY;

-- The sales file is wide and dirty: every cell as text, cleaned in SQL.
-- Values are cumulative units, so a dress's total is its largest count;
-- 'Removed', 'Orders' and empty cells are dropped.
CREATE TABLE dress_sales_raw (dress_id text, d01 text, d02 text, d03 text, d04 text, d05 text, d06 text, d07 text, d08 text, d09 text, d10 text, d11 text, d12 text, d13 text, d14 text, d15 text, d16 text, d17 text, d18 text, d19 text, d20 text, d21 text, d22 text, d23 text, x01 text, x02 text, x03 text, x04 text, x05 text, x06 text, x07 text, x08 text, x09 text, x10 text, x11 text, x12 text);
\\copy dress_sales_raw FROM '$sales' WITH (FORMAT csv, HEADER true)
CREATE VIEW dress_totals AS
SELECT a.*, s.units
FROM (SELECT DISTINCT ON (dress_id) * FROM dresses ORDER BY dress_id, row_no) a
JOIN (SELECT r.dress_id::bigint AS dress_id, max(trim(v)::int) AS units
      FROM dress_sales_raw r, unnest(ARRAY[d01, d02, d03, d04, d05, d06, d07, d08, d09, d10, d11, d12, d13, d14, d15, d16, d17, d18, d19, d20, d21, d22, d23]) AS v
      WHERE trim(v) ~ '^[0-9]+\$'
      GROUP BY 1) s USING (dress_id);
SQL
    sql -c "SELECT count(*) AS dresses, sum(recommendation) AS recommended, count(DISTINCT dress_id) AS ids FROM dresses" \
        -c "SELECT count(*) AS dresses_with_sales, min(units), round(avg(units)) AS mean_units, max(units) FROM dress_totals"
}

FEATURES="ARRAY['style', 'price', 'rating', 'size', 'season', 'neckline', 'sleevelength', 'waiseline',
                'material', 'fabrictype', 'decoration', 'Pattern Type']"

classify() {
    sql -q <<SQL
SET xb.progress_every = 0;
SELECT xb_train_classifier('dress_reco', 'dresses', 'recommendation', $FEATURES, '{"cv": 5}');
SELECT xb_train_classifier('dress_paper', 'dresses', 'recommendation', $FEATURES, '{"preset": "paper", "cv": 5}');
SQL
    sql <<'SQL'
\echo '5-fold stratified cross-validation (seed 42): mean ± standard deviation over the folds'
SELECT CASE WHEN m.name = 'dress_paper' THEN 'paper preset' WHEN mm.estimator = 'majority' THEN 'majority class'
            ELSE 'default MLP' END AS model,
       round(max(value) FILTER (WHERE metric = 'accuracy_mean')::numeric, 3) || ' ± ' ||
       round(max(value) FILTER (WHERE metric = 'accuracy_std')::numeric, 3) AS accuracy,
       round(max(value) FILTER (WHERE metric = 'roc_auc_mean')::numeric, 3) || ' ± ' ||
       round(max(value) FILTER (WHERE metric = 'roc_auc_std')::numeric, 3) AS roc_auc,
       round(max(value) FILTER (WHERE metric = 'f1_mean')::numeric, 3) AS f1,
       round(max(value) FILTER (WHERE metric = 'log_loss_mean')::numeric, 3) AS log_loss
FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
WHERE split = 'cv' AND (m.name = 'dress_reco' OR mm.estimator = 'model')
GROUP BY 1 ORDER BY 1;
\echo 'Test split (20 %) of the default model: confusion matrix'
SELECT metric, value FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
WHERE m.name = 'dress_reco' AND split = 'test' AND estimator = 'model' AND metric LIKE 'confusion:%' ORDER BY metric;
SQL
}

recommend() {
    sql <<'SQL'
\echo 'The ten dresses the model recommends most'
SELECT d.dress_id, d.style, d.price, d.season, d.material, round(xb_recommend('dress_reco', d)::numeric, 3) AS p
FROM dresses d ORDER BY p DESC, d.row_no LIMIT 10;
\echo 'A new design as jsonb: messy spellings are fine, an unseen material gets a probability too'
SELECT round(xb_recommend('dress_reco', '{"style": "Sexy ", "price": "low", "rating": 4.6, "size": "M",
         "season": "Summer", "neckline": "o-neck", "sleevelength": "sleevless", "waiseline": "empire",
         "material": "bamboo-silk", "fabrictype": null, "decoration": "lace", "Pattern Type": "solid"}'::jsonb)::numeric, 3)
       AS probability;
\echo 'The whole catalogue in batches'
SELECT label, count(*) AS dresses, round(avg(probability)::numeric, 3) AS mean_probability
FROM xb_score('dress_reco', 'dresses', 'row_no') GROUP BY label ORDER BY label;
\echo 'What drives the recommendation: permutation importance on the test split (drop in ROC AUC)'
SELECT rank, feature, round(importance::numeric, 4) AS importance, round(importance_std::numeric, 4) AS std
FROM xb_feature_importance('dress_reco') ORDER BY rank;
SQL
}

regress() {
    sql -q <<SQL
SET xb.progress_every = 0;
SELECT xb_train_regressor('dress_units', 'dress_totals', 'units', $FEATURES, '{"loss": "huber", "cv": 5}');
SQL
    sql <<'SQL'
\echo 'Units per dress: 5-fold cross-validated MAE, RMSE and R² of the MLP and of predicting the mean'
SELECT mm.estimator, replace(metric, '_mean', '') AS metric, round(value::numeric, 3) AS value
FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
WHERE m.name = 'dress_units' AND split = 'cv' AND metric IN ('mae_mean', 'rmse_mean', 'r2_mean')
ORDER BY metric, estimator;
\echo 'How many units will the recommended designs sell?'
SELECT d.dress_id, d.style, round(xb_recommend('dress_reco', d)::numeric, 3) AS p, round(xb_predict('dress_units', d)) AS units,
       d.units AS actual_units
FROM dress_totals d ORDER BY xb_recommend('dress_reco', d) DESC, d.dress_id LIMIT 5;
SQL
}

transfer() {
    sql -q <<SQL
SET xb.progress_every = 0;
SET client_min_messages = warning;
CREATE VIEW dresses_by_season AS
SELECT d.*, CASE lower(trim(coalesce(season, ''))) WHEN 'automn' THEN 'autumn'
                                                   ELSE lower(trim(coalesce(season, ''))) END AS season_name
FROM dresses d;
-- For each season: a model of the three other seasons, then the season's own
-- dresses from scratch, fine-tuned from it, and fine-tuned with frozen layers.
DO \$\$
DECLARE
  s text;
  features text[] := $FEATURES;
BEGIN
  FOREACH s IN ARRAY ARRAY['autumn', 'spring', 'summer', 'winter'] LOOP
    PERFORM xb_train_classifier('others_' || s, format('SELECT * FROM dresses_by_season WHERE season_name <> %L', s),
                                'recommendation', features, '{"seed": 42}');
    PERFORM xb_train_classifier(s || '_scratch', format('SELECT * FROM dresses_by_season WHERE season_name = %L', s),
                                'recommendation', features, '{"seed": 42, "cv": 5}');
    PERFORM xb_train_classifier(s || '_transfer', format('SELECT * FROM dresses_by_season WHERE season_name = %L', s),
                                'recommendation', features,
                                jsonb_build_object('seed', 42, 'cv', 5, 'init_from', 'others_' || s));
    PERFORM xb_train_classifier(s || '_frozen', format('SELECT * FROM dresses_by_season WHERE season_name = %L', s),
                                'recommendation', features,
                                jsonb_build_object('seed', 42, 'cv', 5, 'init_from', 'others_' || s, 'freeze', true));
  END LOOP;
END
\$\$;
SQL
    sql <<'SQL'
\echo 'Transfer learning: each season, 5-fold cross-validated (seed 42), accuracy / ROC AUC'
SELECT split_part(m.name, '_', 1) AS season, m.train_rows AS rows,
       max(v) FILTER (WHERE m.name LIKE '%\_scratch') AS from_scratch,
       max(v) FILTER (WHERE m.name LIKE '%\_transfer') AS init_from,
       max(v) FILTER (WHERE m.name LIKE '%\_frozen') AS init_from_frozen,
       max(majority) AS majority_accuracy
FROM (SELECT m.name, m.train_rows,
             round(max(value) FILTER (WHERE metric = 'accuracy_mean' AND estimator = 'model')::numeric, 3) || ' / ' ||
             round(max(value) FILTER (WHERE metric = 'roc_auc_mean' AND estimator = 'model')::numeric, 3) AS v,
             round(max(value) FILTER (WHERE metric = 'accuracy_mean' AND estimator = 'majority')::numeric, 3) AS majority
      FROM xb.models m JOIN xb.model_metrics mm ON mm.model_id = m.id
      WHERE split = 'cv' AND m.name ~ '_(scratch|transfer|frozen)$' GROUP BY m.name, m.train_rows) m
GROUP BY 1, 2 ORDER BY 1;
SQL
}

demo_setup
phase load load
phase classify classify
phase recommend recommend
phase regress regress
phase transfer transfer
demo_timings
