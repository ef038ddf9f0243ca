-- What a classifier decides with, and whether it is any good (issue 14,
-- item 1): a binary classifier's decision threshold is stored and chosen on
-- validation rows (never the test split); a model that does not beat its
-- baseline where it was not trained says so (a WARNING and the metric
-- beats_baseline); "refit": true trains the deployed model on every row
-- after cross-validation, which then gives its metrics. The README's own
-- dress classifier is checked in 14_dress_bar.sql.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(25);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql

CREATE TEMP TABLE features AS
SELECT ARRAY['style', 'price', 'rating', 'size', 'season', 'neckline', 'sleevelength', 'waiseline', 'material',
             'fabrictype', 'decoration', 'Pattern Type'] AS cols;

CREATE FUNCTION pg_temp.metric(model text, split text, estimator text, metric text) RETURNS float8
LANGUAGE sql STABLE AS $$
  SELECT mm.value FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
  WHERE m.name = $1 AND m.deployed AND mm.split = $2 AND mm.estimator = $3 AND mm.metric = $4 $$;

-- ---------------------------------------------------------------------------
-- The threshold: chosen on validation rows by default, or fixed.
SELECT lives_ok($$SELECT xb_train_classifier('pgtap25_auto', 'dresses', 'recommendation', (SELECT cols FROM features),
                                             '{"epochs": 30, "hidden": [32], "seed": 5}')$$,
                'a binary classifier with the default threshold rule');
SELECT is((SELECT hyperparameters->'threshold' FROM xb.models WHERE name = 'pgtap25_auto'), '"balanced_accuracy"'::jsonb,
          'the rule is recorded with the options');
SELECT ok((SELECT (hyperparameters->>'decision_threshold')::float8 > 0 AND (hyperparameters->>'decision_threshold')::float8 < 1
           FROM xb.models WHERE name = 'pgtap25_auto'),
          'the threshold it chose is recorded');
SELECT is(pg_temp.metric('pgtap25_auto', 'test', 'model', 'threshold'),
          (SELECT (hyperparameters->>'decision_threshold')::float8 FROM xb.models WHERE name = 'pgtap25_auto'),
          'the test metrics were computed with that threshold');
SELECT is((SELECT count(*)::int FROM dresses d
           WHERE (xb_recommend('pgtap25_auto', d) >= (SELECT (hyperparameters->>'decision_threshold')::float8
                                                       FROM xb.models WHERE name = 'pgtap25_auto'))
                 <> (xb_predict('pgtap25_auto', d) = 1)),
          0, 'xb_predict says 1 exactly when the positive probability reaches the stored threshold');
SELECT is((SELECT count(DISTINCT xb_predict('pgtap25_auto', d))::int FROM dresses d), 2,
          'it predicts both classes');
SELECT is((xb_model_info(xb_model_bytes('pgtap25_auto'))->>'decision_threshold')::float8,
          (SELECT (hyperparameters->>'decision_threshold')::float8 FROM xb.models WHERE name = 'pgtap25_auto'),
          'xb_model_info shows the threshold the blob holds');
SELECT xb_model_load('pgtap25_imported', xb_model_bytes('pgtap25_auto')) > 0 AS imported;
SELECT is((SELECT (hyperparameters->>'decision_threshold')::float8 FROM xb.models WHERE name = 'pgtap25_imported'),
          (SELECT (hyperparameters->>'decision_threshold')::float8 FROM xb.models WHERE name = 'pgtap25_auto'),
          'and an import records it as training did');
SELECT ok(pg_temp.metric('pgtap25_auto', 'test', 'model', 'balanced_accuracy') BETWEEN 0 AND 1
          AND pg_temp.metric('pgtap25_auto', 'test', 'majority', 'balanced_accuracy') = 0.5,
          'balanced accuracy beside the majority class''s 0.5');
SELECT is(pg_temp.metric('pgtap25_auto', 'test', 'model', 'beats_baseline') IN (0, 1), true,
          'whether it beats the majority class on its test split is recorded');

SELECT lives_ok($$SELECT xb_train_classifier('pgtap25_fixed', 'dresses', 'recommendation', (SELECT cols FROM features),
                                             '{"epochs": 30, "hidden": [32], "seed": 5, "threshold": 0.7}')$$,
                'a fixed threshold');
SELECT is((SELECT (hyperparameters->>'decision_threshold')::float8 FROM xb.models WHERE name = 'pgtap25_fixed'), 0.7::float8,
          'is stored as given');
SELECT is((SELECT count(*)::int FROM dresses d
           WHERE (xb_recommend('pgtap25_fixed', d) >= 0.7) <> (xb_predict_label('pgtap25_fixed', d) = '1')),
          0, 'and decides xb_predict_label');

-- ---------------------------------------------------------------------------
-- A model that cannot beat its baseline says so. The only feature is
-- constant: no model can tell the rows apart.
CREATE TEMP TABLE coin AS
SELECT i, 1.0::float8 AS constant, (i % 5 = 0)::int AS heads, (i % 7)::float8 AS units FROM generate_series(1, 300) i;
SELECT lives_ok($$SELECT xb_train_classifier('pgtap25_coin', 'coin', 'heads', ARRAY['constant'],
                                             '{"epochs": 60, "lr": 0.01, "hidden": [4]}')$$,
                'a classifier that learns nothing is still trained and deployed');
SELECT is(pg_temp.metric('pgtap25_coin', 'test', 'model', 'beats_baseline'), 0::float8,
          'beats_baseline = 0 on the test split (the WARNING is in test/expected/classifier.out)');
SELECT is((SELECT count(DISTINCT xb_predict('pgtap25_coin', c))::int FROM coin c), 1,
          'it predicts one class: scores that carry no information keep the threshold at 0.5');

-- ---------------------------------------------------------------------------
-- Refit: cross-validation gives the metrics, every row trains the model.
SELECT lives_ok($$SELECT xb_train_classifier('pgtap25_refit', 'dresses', 'recommendation', (SELECT cols FROM features),
                                             '{"epochs": 15, "hidden": [16], "cv": 3, "refit": true}')$$,
                '"refit": true after 3-fold cross-validation');
SELECT is((SELECT (hyperparameters->'rows'->>'test')::int + (hyperparameters->'rows'->>'train')::int
                  + (hyperparameters->'rows'->>'validation')::int FROM xb.models WHERE name = 'pgtap25_refit'),
          500, 'every row trains the deployed model (no test split)');
SELECT is((SELECT count(*)::int FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap25_refit' AND mm.split = 'test'),
          0, 'so it has no test metrics');
SELECT ok(pg_temp.metric('pgtap25_refit', 'cv', 'model', 'log_loss_mean') > 0
          AND pg_temp.metric('pgtap25_refit', 'cv', 'model', 'beats_baseline') IN (0, 1),
          'cross-validation gives its metrics and the verdict against the majority class');
CALL xb_retrain('pgtap25_refit', 'always');
SELECT is((SELECT version FROM xb.models WHERE name = 'pgtap25_refit' AND deployed), 2, 'a refit model retrains');
-- Version 2's cross-validated log loss made unbeatable (as the superuser
-- running this suite): the next retrain must lose to it and be rejected.
UPDATE xb.model_metrics SET value = 1e-6
WHERE model_id = (SELECT id FROM xb.models WHERE name = 'pgtap25_refit' AND version = 2)
  AND split = 'cv' AND estimator = 'model' AND metric = 'log_loss_mean';
CALL xb_retrain('pgtap25_refit');
SELECT is((SELECT version FROM xb.models WHERE name = 'pgtap25_refit' AND deployed), 2,
          'xb_retrain compares refit versions by their cross-validated log loss (version 3 lost, 2 stays)');

-- ---------------------------------------------------------------------------
-- Refused: a threshold for more than two classes, out of range; refit without cv.
SELECT throws_ok($$SELECT xb_train_classifier('pgtap25_bad', 'SELECT *, (row_no % 3)::text AS tri FROM dresses', 'tri',
                                              ARRAY['style', 'price'],
                                              '{"epochs": 2, "threshold": 0.4}')$$,
                 '22023', 'option "threshold" is for two classes', 'a threshold needs two classes');
SELECT throws_ok($$SELECT xb_train_classifier('pgtap25_bad', 'dresses', 'recommendation', ARRAY['style'],
                                              '{"threshold": 1.5}')$$,
                 '22023', NULL, 'a threshold outside (0, 1)');
SELECT throws_ok($$SELECT xb_train_classifier('pgtap25_bad', 'dresses', 'recommendation', ARRAY['style'],
                                              '{"refit": true}')$$,
                 '22023', 'option "refit" needs "cv" or a search', 'refit without cross-validation');

SELECT * FROM finish();
ROLLBACK;
