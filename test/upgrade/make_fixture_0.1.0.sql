-- Run on an 85ffcd6 (0.1.0) build: models of every kind, versions, grants.
CREATE EXTENSION xb;
CREATE ROLE upgrade_reader;
CREATE TABLE walmart_small (store int, date date, weekly_sales float8, holiday_flag int, temperature float8);
\copy walmart_small FROM PROGRAM 'awk -F, ''NR>1 && $1<=3 {print $1","$2","$3","$4","$5}'' /work/shared/data/walmart_weekly.csv' WITH (FORMAT csv)
SET xb.progress_every = 0;
SELECT xb_train_forecaster('upgrade_gru', 'walmart_small', 'date', 'weekly_sales', ARRAY['store'],
  ARRAY['holiday_flag', 'temperature'], 4, 'gru', '{"epochs": 3, "hidden": 8, "seed": 1}');
SELECT xb_train_forecaster('upgrade_gru', 'SELECT * FROM walmart_small WHERE store <= 2', 'date', 'weekly_sales', ARRAY['store'],
  ARRAY['holiday_flag'], 4, 'lstm', '{"epochs": 2, "hidden": 8, "seed": 2}');
SELECT xb_rollback('upgrade_gru');
SELECT xb_grant('upgrade_gru', 'upgrade_reader', 'use');
CREATE TABLE dresses_small (dress_id bigint, style text, price text, rating float8, size text, season text, recommendation int);
\copy dresses_small FROM PROGRAM 'cut -d, -f1-6,14 /work/shared/data/dress_attributes.csv | tr -d "\r" | tail -n +2 | head -200' WITH (FORMAT csv)
SELECT xb_train_classifier('upgrade_clf', 'dresses_small', 'recommendation', ARRAY['style', 'price', 'rating', 'size', 'season'],
  '{"epochs": 5, "hidden": [8], "seed": 3}');
SELECT xb_train_regressor('upgrade_reg', 'dresses_small', 'rating', ARRAY['style', 'price', 'size', 'season'],
  '{"epochs": 5, "hidden": [8], "seed": 4}');
