-- The MLP regressor: "how many units will this design sell", on total units
-- per dress from the dirty, wide sales file joined to the attributes.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(15);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql

SELECT cmp_ok((SELECT count(*)::int FROM dress_totals), '>', 400, 'the cleaned sales join to most dresses');
SELECT is((SELECT count(*)::int FROM dress_totals WHERE units IS NULL OR units < 0), 0, 'every total is a count');

SELECT lives_ok($$SELECT xb_train_regressor('pgtap11_units', 'dress_totals', 'units',
                    ARRAY['style', 'price', 'rating', 'size', 'season', 'neckline', 'sleevelength', 'waiseline',
                          'material', 'fabrictype', 'decoration', 'Pattern Type'],
                    '{"epochs": 15, "hidden": [16, 8], "seed": 3, "loss": "huber", "cv": 2}')$$,
                'a regressor trains on total units per dress');
SELECT is((SELECT kind || ' ' || target_col FROM xb.models WHERE name = 'pgtap11_units'), 'regressor units',
          'the catalog row is a regressor of units');
SELECT ok((SELECT (lineage->'seconds'->>'read')::float8 >= 0 AND (lineage->'seconds'->>'prepare')::float8 > 0
                  AND (lineage->'seconds'->>'train')::float8 > 0
                  AND abs((lineage->'seconds'->>'prepare')::float8 + (lineage->'seconds'->>'train')::float8 - train_seconds) < 0.01
             FROM xb.models WHERE name = 'pgtap11_units'),
          'the lineage times the read, the preparation and the training');
SELECT is((SELECT count(*)::int FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap11_units' AND split = 'test' AND metric IN ('mae', 'rmse', 'r2')
             AND value NOT IN ('NaN', 'Infinity', '-Infinity')),
          6, 'MAE, RMSE and R² of the model and of the mean baseline are finite');
SELECT ok((SELECT value > 0 FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap11_units' AND split = 'test' AND estimator = 'mean' AND metric = 'mae'),
          'the mean baseline sits beside the model');
SELECT is((SELECT count(*)::int FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap11_units' AND split = 'cv' AND metric LIKE '%\_mean' AND value NOT IN ('NaN', 'Infinity')),
          6, 'cross-validated MAE, RMSE and R² of the model and the mean');
SELECT is((SELECT count(*)::int FROM dress_totals d WHERE xb_predict('pgtap11_units', d) NOT IN ('NaN', 'Infinity', '-Infinity')),
          (SELECT count(*)::int FROM dress_totals), 'xb_predict gives a finite number of units for every dress');
SELECT is(xb_predict('pgtap11_units', (SELECT d FROM dress_totals d ORDER BY dress_id LIMIT 1)),
          xb_predict('pgtap11_units', (SELECT to_jsonb(d) FROM dress_totals d ORDER BY dress_id LIMIT 1)),
          'a row and its jsonb predict the same');
SELECT is((SELECT count(*)::int FROM xb_score('pgtap11_units', 'dress_totals', 'dress_id')
           WHERE label IS NULL AND probability IS NULL AND value IS NOT NULL),
          (SELECT count(*)::int FROM dress_totals), 'xb_score gives values only');
SELECT throws_ok($$SELECT xb_recommend('pgtap11_units', d) FROM dress_totals d LIMIT 1$$, '22023', NULL,
                 'xb_recommend of a regressor is an error');
SELECT throws_ok($$SELECT xb_predict_label('pgtap11_units', d) FROM dress_totals d LIMIT 1$$, '22023', NULL,
                 'xb_predict_label of a regressor is an error');
SELECT is((SELECT count(*)::int FROM xb_feature_importance('pgtap11_units') WHERE metric = 'r2'), 12,
          'feature importance by R² drop');
SELECT lives_ok($$SELECT xb_train_regressor('pgtap11_mse', 'dress_totals', 'units', ARRAY['style', 'rating'],
                    '{"epochs": 5, "hidden": [8], "loss": "mse", "encoding": "embedding"}')$$,
                'MSE loss and embeddings train too');

SELECT * FROM finish();
ROLLBACK;
