-- Transfer learning: options.init_from starts from a deployed model's
-- weights; hidden layers are copied, the input and output layers start afresh
-- when the features or classes differ; freeze keeps the copied layers.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(12);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql

SELECT lives_ok($$SELECT xb_train_classifier('pgtap12_base', 'dresses', 'recommendation',
                    ARRAY['style', 'price', 'rating', 'season', 'material'], '{"epochs": 8, "hidden": [16, 8], "seed": 1}')$$,
                'a base model trains');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap12_same', 'dresses', 'recommendation',
                    ARRAY['style', 'price', 'rating', 'season', 'material'],
                    '{"epochs": 3, "seed": 2, "init_from": "pgtap12_base"}')$$,
                'fine-tuning on the same features trains');
SELECT is((SELECT hyperparameters->>'transfer' FROM xb.models WHERE name = 'pgtap12_same'),
          'copied input, hidden1, output; re-initialised none', 'every layer is copied');
SELECT is((SELECT hyperparameters->'hidden' FROM xb.models WHERE name = 'pgtap12_same'), '[16, 8]'::jsonb,
          'the hidden layers are those of the model it starts from');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap12_other', 'dresses', 'recommendation',
                    ARRAY['size', 'neckline', 'sleevelength'],
                    '{"epochs": 3, "seed": 2, "init_from": "pgtap12_base", "freeze": true}')$$,
                'init_from with different features works');
SELECT is((SELECT hyperparameters->>'transfer' FROM xb.models WHERE name = 'pgtap12_other'),
          'copied hidden1, output; re-initialised input; frozen hidden1',
          'the input layer starts afresh, the copied hidden layer is frozen');
SELECT ok((SELECT count(*) = 500 FROM dresses d WHERE xb_recommend('pgtap12_other', d) BETWEEN 0 AND 1),
          'and the fine-tuned model scores');
SELECT lives_ok($$SELECT xb_train_regressor('pgtap12_units', 'dress_totals', 'units', ARRAY['style', 'price'],
                    '{"epochs": 3, "init_from": "pgtap12_base"}')$$,
                'a regressor can start from a classifier');
SELECT is((SELECT hyperparameters->>'transfer' FROM xb.models WHERE name = 'pgtap12_units'),
          'copied hidden1; re-initialised input, output', 'its input and output layers start afresh');

CREATE FUNCTION pg_temp.models() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM xb.models $$;
CREATE TEMP TABLE before AS SELECT pg_temp.models() AS n;
SELECT throws_ok($$SELECT xb_train_classifier('pgtap12_x', 'dresses', 'recommendation', ARRAY['style'],
                    '{"init_from": "pgtap12_no_such_model"}')$$, '42704', 'model "pgtap12_no_such_model" does not exist',
                 'init_from an unknown model is an error');
SELECT throws_ok($$SELECT xb_train_classifier('pgtap12_x', 'dresses', 'recommendation', ARRAY['style'],
                    '{"init_from": "pgtap12_base", "hidden": [32]}')$$, '22023', NULL,
                 'other hidden sizes than the source''s are an error');
SELECT is(pg_temp.models(), (SELECT n FROM before), 'and leave no model behind');

SELECT * FROM finish();
ROLLBACK;
