-- Hyperparameter search: options given as arrays are searched on a grid or
-- at random; every trial is a row of xb.trials and the model keeps the best
-- on validation. Runs in one transaction, rolled back.
\ir preamble.psql

SELECT plan(14);

SET LOCAL xb.progress_every = 0;

\ir walmart.psql
CREATE TEMP TABLE three AS SELECT * FROM walmart WHERE store <= 3;

CREATE FUNCTION pg_temp.trials(model text) RETURNS SETOF xb.trials LANGUAGE sql STABLE AS $$
  SELECT t.* FROM xb.trials t JOIN xb.models m ON m.id = t.model_id WHERE m.name = model AND m.deployed $$;

SELECT lives_ok($$SELECT xb_train_forecaster('pgtap20_grid', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'gru',
                  '{"epochs": 2, "lookback": 8, "lr": [0.01, 0.001], "hidden": [8, 16]}')$$,
                'a grid of lr x hidden trains');
SELECT is((SELECT count(*)::int FROM pg_temp.trials('pgtap20_grid')), 4, 'four trials are recorded');
SELECT is((SELECT array_agg(format('%s/%s', params->>'lr', params->>'hidden') ORDER BY trial) FROM pg_temp.trials('pgtap20_grid')),
          ARRAY['0.01/8', '0.001/8', '0.01/16', '0.001/16'], 'every combination, keys in name order, the last fastest');
SELECT is((SELECT count(*)::int FROM pg_temp.trials('pgtap20_grid') WHERE chosen), 1, 'one is chosen');
SELECT is((SELECT trial FROM pg_temp.trials('pgtap20_grid') WHERE chosen),
          (SELECT trial FROM pg_temp.trials('pgtap20_grid') ORDER BY validation_wape, trial LIMIT 1),
          'the one with the lowest validation WAPE');
SELECT is((SELECT format('%s/%s', m.hyperparameters->>'lr', m.hyperparameters->>'hidden') FROM xb.models m
           WHERE m.name = 'pgtap20_grid'),
          (SELECT format('%s/%s', params->>'lr', params->>'hidden') FROM pg_temp.trials('pgtap20_grid') WHERE chosen),
          'and the model is that trial');
SELECT is((SELECT m.options->'lr' FROM xb.models m WHERE m.name = 'pgtap20_grid'), '[0.01, 0.001]'::jsonb,
          'the options keep the search as given, for xb_retrain');
SELECT ok((SELECT bool_and(validation_wape >= 0 AND seconds > 0) FROM pg_temp.trials('pgtap20_grid')),
          'each trial has its validation score and time');

SELECT xb_train_forecaster('pgtap20_random', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'gru',
       '{"epochs": 2, "lookback": 8, "lr": [0.03, 0.01, 0.003, 0.001], "dropout": [0, 0.1, 0.2], "search": "random", "trials": 3, "seed": 9}');
SELECT xb_train_forecaster('pgtap20_random', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'gru',
       '{"epochs": 2, "lookback": 8, "lr": [0.03, 0.01, 0.003, 0.001], "dropout": [0, 0.1, 0.2], "search": "random", "trials": 3, "seed": 9}');
SELECT is((SELECT count(*)::int FROM xb.trials t JOIN xb.models m ON m.id = t.model_id WHERE m.name = 'pgtap20_random'), 6,
          'a random search records its 3 trials per version');
SELECT results_eq($$SELECT trial, params, validation_wape FROM xb.trials t JOIN xb.models m ON m.id = t.model_id
                    WHERE m.name = 'pgtap20_random' AND m.version = 1 ORDER BY trial$$,
                  $$SELECT trial, params, validation_wape FROM xb.trials t JOIN xb.models m ON m.id = t.model_id
                    WHERE m.name = 'pgtap20_random' AND m.version = 2 ORDER BY trial$$,
                  'the same seed draws and scores the same trials');

SELECT lives_ok($$SELECT xb_train_forecaster('pgtap20_auto', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'nets',
                  '{"epochs": 1, "lookback": 8, "hidden": [8, 16], "heads": 2}')$$, 'nets with a search');
SELECT is((SELECT count(*)::int FROM pg_temp.trials('pgtap20_auto')), 8, 'tries each architecture with each value');

CREATE TEMP TABLE before AS SELECT count(*) AS n FROM xb.models;
SELECT throws_ok($$SELECT xb_train_forecaster('pgtap20_bad', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'gru',
                   '{"lookback": [8, 16]}')$$, '22023', 'option "lookback" cannot be searched (it is given as an array)',
                 'a key that shapes the windows cannot be searched');
SELECT is((SELECT count(*) FROM xb.models), (SELECT n FROM before), 'and nothing was written');

SELECT * FROM finish();
ROLLBACK;
