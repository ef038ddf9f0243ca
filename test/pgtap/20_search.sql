-- Hyperparameter search: options given as arrays are searched on a grid, at
-- random or by a Bayesian search (forecasters, classifiers and regressors);
-- every trial is a row of xb.trials and the model keeps the best on
-- validation (a classifier's or regressor's: cross-validated inside the
-- training part). Runs in one transaction, rolled back.
\ir preamble.psql

SELECT plan(38);

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

SELECT ok((SELECT bool_and(validation_metric = 'wape' AND validation_score = validation_wape)
           FROM pg_temp.trials('pgtap20_grid')), 'a forecaster''s trials are chosen by validation WAPE');

-- Bayes: the first quarter at random, then where the good trials were.
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap20_bayes', 'three', 'date', 'weekly_sales', ARRAY['store'], NULL, 4, 'gru',
                  '{"epochs": 1, "lookback": 8, "hidden": [8, 16], "lr": [0.03, 0.01, 0.001], "search": "bayes", "trials": 4, "seed": 3}')$$,
                'a forecaster trains with a bayes search');
SELECT is((SELECT count(DISTINCT params)::int FROM pg_temp.trials('pgtap20_bayes')), 4,
          'four trials, none repeated');

-- Classifiers and regressors: every trial scored on 5 folds of the training part.
\ir ../../scripts/dresses.psql
SELECT lives_ok($$SELECT xb_train_classifier('pgtap20_reco', 'dresses', 'recommendation',
                  ARRAY['style', 'price', 'rating', 'season', 'material'],
                  '{"epochs": 15, "hidden": [[], [16]], "weight_decay": [0.001, 0.1], "search": "bayes", "trials": 3, "seed": 4}')$$,
                'a classifier trains with a bayes search');
SELECT is((SELECT count(*)::int FROM pg_temp.trials('pgtap20_reco')), 3, 'its three trials are recorded');
SELECT ok((SELECT bool_and(validation_metric = 'log_loss' AND validation_score > 0 AND validation_wape IS NULL AND arch = 'mlp')
           FROM pg_temp.trials('pgtap20_reco')), 'each with its cross-validated log loss');
SELECT is((SELECT trial FROM pg_temp.trials('pgtap20_reco') WHERE chosen),
          (SELECT trial FROM pg_temp.trials('pgtap20_reco') ORDER BY validation_score, trial LIMIT 1),
          'the chosen one has the lowest');
SELECT is((SELECT m.hyperparameters->'hidden' FROM xb.models m WHERE m.name = 'pgtap20_reco'),
          (SELECT params->'hidden' FROM pg_temp.trials('pgtap20_reco') WHERE chosen), 'and the model is that trial');
SELECT is((SELECT m.hyperparameters->'search'->>'folds' FROM xb.models m WHERE m.name = 'pgtap20_reco'), '5',
          'the hyperparameters name the search');
SELECT ok((SELECT count(*) FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap20_reco' AND mm.split = 'test' AND mm.metric = 'roc_auc') = 2,
          'the test split, kept out of the search, scores the model and the majority class');
SELECT ok((SELECT xb_recommend('pgtap20_reco', d) FROM dresses d LIMIT 1) BETWEEN 0 AND 1, 'and it scores');

SELECT lives_ok($$SELECT xb_train_regressor('pgtap20_units', 'dress_totals', 'units', ARRAY['style', 'price', 'rating'],
                  '{"epochs": 10, "hidden": [[], [8]], "refit": true, "seed": 4}')$$,
                'a regressor searches a grid, then refits on every row');
SELECT ok((SELECT bool_and(validation_metric = 'rmse') AND count(*) = 2 FROM pg_temp.trials('pgtap20_units')),
          'its trials are chosen by cross-validated RMSE');
SELECT ok((SELECT count(*) FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
           WHERE m.name = 'pgtap20_units' AND mm.split = 'cv' AND mm.metric = 'rmse_mean') = 2
          AND NOT EXISTS (SELECT FROM xb.model_metrics mm JOIN xb.models m ON m.id = mm.model_id
                          WHERE m.name = 'pgtap20_units' AND mm.split = 'test'),
          'refit: the chosen trial''s folds give the cv metrics, and no test split is held out');
SELECT is((SELECT m.hyperparameters->>'ensemble' FROM xb.models m WHERE m.name = 'pgtap20_units'), '5',
          'the refit model averages 5 seeds, where one seed''s draw varies as much as the trials do');
SELECT lives_ok($$SELECT xb_train_regressor('pgtap20_units_one', 'dress_totals', 'units', ARRAY['style', 'price'],
                  '{"epochs": 5, "hidden": [[], [8]], "refit": true, "ensemble": 1, "seed": 4}')$$,
                'a refit with "ensemble" given ...');
SELECT is((SELECT m.hyperparameters->>'ensemble' FROM xb.models m WHERE m.name = 'pgtap20_units_one'), '1',
          '... keeps it');

SELECT lives_ok($$SELECT xb_train_classifier('pgtap20_default_space', 'dresses', 'recommendation', ARRAY['style', 'price'],
                  '{"epochs": 5, "search": "random", "trials": 2, "search_folds": 2, "seed": 4}')$$,
                '"search" alone searches the default space');
SELECT ok((SELECT m.options ? 'search' AND NOT m.options ? 'weight_decay' FROM xb.models m WHERE m.name = 'pgtap20_default_space')
          AND (SELECT count(*) = 2 FROM pg_temp.trials('pgtap20_default_space')), 'two trials from it; the options stay as given');

SELECT lives_ok($$SELECT xb_train_classifier('pgtap20_linear', 'dresses', 'recommendation', ARRAY['style', 'price', 'rating'],
                  '{"hidden": [], "epochs": 20}')$$, 'hidden [] is a logistic regression');
SELECT ok((SELECT xb_recommend('pgtap20_linear', d) FROM dresses d LIMIT 1) BETWEEN 0 AND 1, 'which scores');

CREATE TEMP TABLE before_tabular AS SELECT count(*) AS n FROM xb.models;
SELECT throws_ok($$SELECT xb_train_classifier('pgtap20_bad', 'dresses', 'recommendation', ARRAY['style'],
                   '{"search_folds": 3}')$$, '22023', 'option "search_folds" is for a search',
                 'search_folds without a search is refused');
SELECT throws_ok($$SELECT xb_train_classifier('pgtap20_bad', 'dresses', 'recommendation', ARRAY['style'],
                   '{"cv": [3, 5]}')$$, '22023', 'option "cv" cannot be searched (it is given as an array)',
                 'an option that is not a hyperparameter cannot be searched');
SELECT is((SELECT count(*) FROM xb.models), (SELECT n FROM before_tabular), 'and nothing was written');

SELECT * FROM finish();
ROLLBACK;
