-- The MLP classifier on the real dress catalogue: messy categories, label
-- types, multi-class, odd column names, scoring rows, tables and jsonb, the
-- per-backend model cache, batch scoring and feature importance.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(53);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql

-- Small and fast: what is tested here is behaviour, not accuracy.
CREATE TEMP TABLE opts AS SELECT '{"epochs": 8, "hidden": [16, 8], "seed": 3}'::jsonb AS quick;
CREATE TEMP TABLE features AS
SELECT ARRAY['style', 'price', 'rating', 'size', 'season', 'neckline', 'sleevelength', 'waiseline', 'material',
             'fabrictype', 'decoration', 'Pattern Type'] AS cols;

SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_reco', 'dresses', 'recommendation',
                                             (SELECT cols FROM features), (SELECT quick FROM opts))$$,
                'a classifier trains on the dress attributes as loaded');
SELECT is((SELECT kind || ' ' || arch || ' ' || target_col || ' ' || array_length(feature_cols, 1) || ' ' || train_rows
           FROM xb.models WHERE name = 'pgtap10_reco'),
          'classifier mlp recommendation 12 500', 'the catalog row describes it');
SELECT is((SELECT count(*)::int FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap10_reco' AND split = 'test' AND estimator = 'model'
             AND metric IN ('accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss')
             AND value BETWEEN 0 AND 100),
          6, 'accuracy, precision, recall, F1, ROC AUC and log loss on the test split');
-- The test split holds about a fifth of the rows (each row by its seeded
-- hash, so not exactly 100 of 500).
CREATE TEMP VIEW pgtap10_test AS
SELECT sum(value) FILTER (WHERE metric LIKE 'confusion:actual=%') AS cells,
       sum(value) FILTER (WHERE metric LIKE 'confusion:actual=0,%') AS zeros,
       max(value) FILTER (WHERE metric = 'rows') AS test_rows
FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
WHERE m.name = 'pgtap10_reco' AND split = 'test' AND estimator = 'model';
SELECT ok((SELECT cells = test_rows AND test_rows BETWEEN 80 AND 120 FROM pgtap10_test),
          'the four confusion cells add up to the test split''s rows, about a fifth of 500');
SELECT ok((SELECT abs(value - (SELECT zeros / cells FROM pgtap10_test)) < 1e-9
           FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap10_reco' AND split = 'test' AND estimator = 'majority' AND metric = 'accuracy'),
          'the majority-class baseline sits beside the model (the share of class 0 in the test split)');
SELECT ok((SELECT count(*) > 0 FROM xb.training_log l JOIN xb.models m ON m.id = l.model_id WHERE m.name = 'pgtap10_reco'),
          'the epochs are logged');

-- ---------------------------------------------------------------------------
-- Messy categories, missing values, unseen categories
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE probe AS
SELECT '{"style": "Sexy", "price": "Low", "rating": 4.6, "size": "M", "season": "Summer", "neckline": "o-neck",
         "sleevelength": "sleevless", "waiseline": "empire", "material": "null", "fabrictype": "chiffon",
         "decoration": "ruffles", "Pattern Type": "animal"}'::jsonb AS j;

SELECT is(xb_recommend('pgtap10_reco', (SELECT j || '{"style": "  sexy "}' FROM probe)),
          xb_recommend('pgtap10_reco', (SELECT j FROM probe)), '''Sexy'' and ''  sexy '' are one category');
SELECT is(xb_recommend('pgtap10_reco', (SELECT j || '{"material": null}' FROM probe)),
          xb_recommend('pgtap10_reco', (SELECT j FROM probe)), 'the word null is a missing value');
SELECT is(xb_recommend('pgtap10_reco', (SELECT j || '{"material": ""}' FROM probe)),
          xb_recommend('pgtap10_reco', (SELECT j FROM probe)), 'an empty string is a missing value');
SELECT isnt(xb_recommend('pgtap10_reco', (SELECT j || '{"style": "casual"}' FROM probe)),
            xb_recommend('pgtap10_reco', (SELECT j FROM probe)), 'another style changes the probability');
SELECT ok(xb_recommend('pgtap10_reco', (SELECT j || '{"style": "ballgown-never-seen"}' FROM probe)) BETWEEN 0 AND 1,
          'an unseen category gives a probability, not an error');
SELECT ok(xb_recommend('pgtap10_reco', (SELECT j || '{"rating": null, "size": null}' FROM probe)) BETWEEN 0 AND 1,
          'missing values give a probability');
SELECT is(xb_recommend('pgtap10_reco', (SELECT j || '{"rating": "4.6"}' FROM probe)),
          xb_recommend('pgtap10_reco', (SELECT j FROM probe)), 'a number may come as a JSON string');

-- ---------------------------------------------------------------------------
-- Table rows
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM dresses d WHERE xb_recommend('pgtap10_reco', d) BETWEEN 0 AND 1), 500,
          'xb_recommend scores every row of the table');
SELECT is((SELECT count(*)::int FROM dresses d WHERE xb_predict('pgtap10_reco', d) IN (0, 1)), 500,
          'xb_predict gives the 0/1 label of an integer-labelled classifier');
SELECT is((SELECT count(*)::int FROM dresses d
           WHERE xb_predict_label('pgtap10_reco', d) = xb_predict('pgtap10_reco', d)::int::text), 500,
          'xb_predict_label agrees with xb_predict');
SELECT is((SELECT count(*)::int FROM dresses d
           WHERE (xb_recommend('pgtap10_reco', d) >= (SELECT (hyperparameters->>'decision_threshold')::float8
                                                      FROM xb.models WHERE name = 'pgtap10_reco'))
                 = (xb_predict('pgtap10_reco', d) = 1)), 500,
          'the label is the positive class exactly when its probability reaches the stored threshold');
SELECT is(xb_recommend('pgtap10_reco', (SELECT d FROM dresses d WHERE dress_id = 1006032852 LIMIT 1)),
          xb_recommend('pgtap10_reco', (SELECT to_jsonb(d) FROM dresses d WHERE dress_id = 1006032852 LIMIT 1)),
          'a table row and its jsonb score the same');
SELECT is(xb_recommend('pgtap10_reco', NULL::dresses), NULL, 'a NULL row gives NULL');

-- ---------------------------------------------------------------------------
-- Label types and multi-class
-- ---------------------------------------------------------------------------
CREATE TEMP VIEW labelled AS
SELECT d.*, recommendation = 1 AS liked, CASE recommendation WHEN 1 THEN 'make it' ELSE 'skip' END AS verdict,
       coalesce(nullif(lower(trim(season)), ''), 'unknown') AS season_label
FROM dresses d;

SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_bool', 'labelled', 'liked', ARRAY['style', 'price', 'rating'],
                                             (SELECT quick FROM opts))$$, 'a boolean label trains');
SELECT is((SELECT count(*)::int FROM labelled d WHERE xb_predict('pgtap10_bool', d) IN (0, 1)
                                                 AND xb_predict_label('pgtap10_bool', d) IN ('true', 'false')), 500,
          'a boolean label predicts 0/1 and true/false');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_text', 'labelled', 'verdict', ARRAY['style', 'price', 'rating'],
                                             (SELECT quick FROM opts) || '{"positive_class": "make it"}')$$,
                'a text label trains, with its positive class named');
SELECT is((SELECT count(*)::int FROM labelled d WHERE xb_predict_label('pgtap10_text', d) IN ('make it', 'skip')), 500,
          'a text label predicts its text');
SELECT throws_ok($$SELECT xb_predict('pgtap10_text', d) FROM labelled d LIMIT 1$$, '42804', NULL,
                 'xb_predict of a text-labelled classifier is an error');
SELECT ok((SELECT count(*) = 500 FROM labelled d
           WHERE abs(xb_recommend('pgtap10_text', d) - xb_recommend('pgtap10_bool', d)) < 0.5),
          'the named positive class is the one xb_recommend reports');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_season', 'labelled', 'season_label',
                                             ARRAY['style', 'price', 'rating', 'sleevelength', 'material'],
                                             (SELECT quick FROM opts))$$, 'a multi-class label trains');
SELECT is((SELECT count(*)::int FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap10_season' AND split = 'test' AND estimator = 'model'
             AND metric = 'confusion:actual=autumn,predicted=winter'), 1,
          'the multi-class confusion matrix names its classes');
SELECT ok((SELECT bool_and(xb_predict_label('pgtap10_season', d) IN (SELECT season_label FROM labelled)) FROM labelled d),
          'a multi-class prediction is one of the classes');
SELECT is((SELECT count(*)::int FROM xb_score('pgtap10_season', 'labelled', 'dress_id')
           WHERE probability BETWEEN 0 AND 1 AND value IS NULL), 500,
          'xb_score gives the probability of each predicted class');
SELECT throws_ok($$SELECT xb_recommend('pgtap10_season', d) FROM labelled d LIMIT 1$$, '22023', NULL,
                 'xb_recommend needs a positive class for more than two classes');

-- ---------------------------------------------------------------------------
-- Column names with a space or a quote; a row missing a feature
-- ---------------------------------------------------------------------------
CREATE TEMP VIEW odd_names AS
SELECT style AS "Dress style", rating AS "it's ""rated""", recommendation FROM dresses;
SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_odd', 'odd_names', 'recommendation',
                                             ARRAY['Dress style', 'it''s "rated"'], (SELECT quick FROM opts))$$,
                'columns with a space and quotes in their names train');
SELECT is((SELECT count(*)::int FROM odd_names o WHERE xb_recommend('pgtap10_odd', o) BETWEEN 0 AND 1), 500,
          'and score');
SELECT throws_like($$SELECT xb_recommend('pgtap10_reco', '{"style": "sexy"}'::jsonb)$$,
                   '%feature column "price"%', 'a jsonb row missing a feature is an error naming the column');
SELECT throws_ok($$SELECT xb_recommend('pgtap10_reco', '{"style": "sexy"}'::jsonb)$$, '42703', NULL,
                 'with SQLSTATE 42703');
SELECT throws_like($$SELECT xb_recommend('pgtap10_reco', o) FROM odd_names o LIMIT 1$$, '%feature column "style"%',
                   'a table row missing a feature is an error naming the column');

-- ---------------------------------------------------------------------------
-- Reproducibility and the model cache
-- ---------------------------------------------------------------------------
SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_again', 'dresses', 'recommendation', (SELECT cols FROM features),
                                             (SELECT quick FROM opts))$$, 'the same training again');
SELECT is((SELECT count(*)::int FROM dresses d WHERE xb_recommend('pgtap10_again', d) = xb_recommend('pgtap10_reco', d)),
          500, 'same data and seed: identical probabilities');

CREATE TEMP TABLE before_v2 AS SELECT row_no, xb_recommend('pgtap10_reco', d) AS p FROM dresses d;
SELECT is((SELECT version FROM xb_cached_models() WHERE name = 'pgtap10_reco'), 1, 'version 1 is cached after scoring');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_reco', 'dresses', 'recommendation', (SELECT cols FROM features),
                                             (SELECT quick FROM opts) || '{"seed": 4}')$$, 'a second version trains');
CREATE TEMP TABLE after_v2 AS SELECT row_no, xb_recommend('pgtap10_reco', d) AS p FROM dresses d;
SELECT is((SELECT array_agg(version) FROM xb_cached_models() WHERE name = 'pgtap10_reco'), ARRAY[2],
          'the cache now holds version 2 only');
SELECT ok((SELECT count(*) > 0 FROM before_v2 b JOIN after_v2 a USING (row_no) WHERE a.p <> b.p),
          'scores come from the new version');
SET LOCAL xb.model_cache_size = 0;
SELECT is((SELECT count(*)::int FROM dresses d JOIN after_v2 a USING (row_no) WHERE xb_recommend('pgtap10_reco', d) = a.p),
          500, 'without the cache: the same scores, decoded per row');
SELECT is((SELECT count(*)::int FROM xb_cached_models()), 0, 'and nothing kept');
SET LOCAL xb.model_cache_size = 1;
SELECT count(*) FROM dresses d WHERE xb_recommend('pgtap10_reco', d) >= 0 AND xb_recommend('pgtap10_again', d) >= 0 \g /dev/null
SELECT is((SELECT count(*)::int FROM xb_cached_models()), 1,
          'xb.model_cache_size = 1 keeps one model while two are scored');
RESET xb.model_cache_size;
SELECT count(*) FROM dresses d WHERE xb_recommend('pgtap10_again', d) >= 0 \g /dev/null
UPDATE xb.models SET weights = overlay(weights PLACING '\xdeadbeef'::bytea FROM 200) WHERE name = 'pgtap10_again' AND deployed;
SELECT throws_ok($$SELECT xb_recommend('pgtap10_again', d) FROM dresses d LIMIT 1$$, 'XX001', NULL,
                 'a row changed in place is decoded again, never served from the cache');

-- ---------------------------------------------------------------------------
-- Batch scoring, importance, encodings, cross-validation
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM xb_score('pgtap10_reco', 'SELECT * FROM dresses', 'row_no') s
           JOIN after_v2 a ON a.row_no::text = s.key AND abs(a.p - s.probability) < 1e-6), 500,
          'xb_score gives the probabilities of xb_recommend (up to float rounding: batches multiply differently)');
SELECT is((SELECT count(*)::int FROM xb_score('pgtap10_reco', 'dresses', 'dress_id') WHERE label IN ('0', '1') AND value IN (0, 1)),
          500, 'and the label, as text and as a number');
SELECT is((SELECT array_agg(rank ORDER BY rank) FROM xb_feature_importance('pgtap10_reco') WHERE metric = 'roc_auc'),
          ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'feature importance ranks the 12 attributes by ROC AUC drop');
SELECT ok((SELECT bool_and(i.feature = ANY (f.cols)) FROM xb_feature_importance('pgtap10_reco') i, features f),
          'under their column names');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_label', 'dresses', 'recommendation', (SELECT cols FROM features),
                                             (SELECT quick FROM opts) || '{"encoding": "label"}')$$, 'label encoding trains');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_embed', 'dresses', 'recommendation', (SELECT cols FROM features),
                                             (SELECT quick FROM opts) || '{"encoding": "embedding", "class_weights": "balanced"}')$$,
                'embedding encoding with balanced class weights trains');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap10_cv', 'dresses', 'recommendation', (SELECT cols FROM features),
                                             (SELECT quick FROM opts) || '{"cv": 3}')$$, 'cross-validation runs');
SELECT is((SELECT count(*)::int FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap10_cv' AND split = 'cv' AND metric IN ('accuracy_mean', 'accuracy_std', 'roc_auc_mean', 'roc_auc_std')),
          8, 'cross-validated means and deviations of the model and the majority class');

SELECT * FROM finish();
ROLLBACK;
