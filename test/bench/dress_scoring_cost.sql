-- Per-row cost of scoring with and without the model cache, and of batch
-- scoring. Run from the repository root against a database with xb:
--   psql -X -f test/bench/dress_scoring_cost.sql
-- 20 copies of the 500 dresses (10,000 rows); the default classifier.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET xb.progress_every = 0;
DROP TABLE IF EXISTS bench_dresses CASCADE;
CREATE TABLE bench_dresses (
  dress_id bigint, style text, price text, rating float8, size text, season text, neckline text,
  sleevelength text, waiseline text, material text, fabrictype text, decoration text, "Pattern Type" text,
  recommendation int);
\copy bench_dresses FROM '../shared/data/dress_attributes.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO bench_dresses SELECT d.* FROM bench_dresses d, generate_series(1, 19);
ALTER TABLE bench_dresses ADD COLUMN row_no int GENERATED ALWAYS AS IDENTITY;
CREATE TABLE bench_2000 AS SELECT * FROM bench_dresses WHERE row_no <= 2000;
ANALYZE bench_dresses;
ANALYZE bench_2000;
SELECT xb_train_classifier('bench_reco', 'SELECT * FROM bench_dresses WHERE row_no <= 500', 'recommendation',
         ARRAY['style', 'price', 'rating', 'size', 'season', 'neckline', 'sleevelength', 'waiseline', 'material',
               'fabrictype', 'decoration', 'Pattern Type']) AS model_id;
SELECT length(weights) AS blob_bytes FROM xb.models WHERE name = 'bench_reco' AND deployed;
\timing on
-- Warm-up: loads LibTorch and decodes the model once.
SELECT xb_recommend('bench_reco', d) FROM bench_dresses d LIMIT 1;
\echo 'reading the rows only (10,000)'
SELECT count(d.*) FROM bench_dresses d;
\echo 'xb_recommend, cache on (10,000 rows)'
SELECT count(*) FROM bench_dresses d WHERE xb_recommend('bench_reco', d) >= 0;
\echo 'xb_recommend with jsonb rows, cache on (10,000 rows)'
SELECT count(*) FROM bench_dresses d WHERE xb_recommend('bench_reco', to_jsonb(d)) >= 0;
\echo 'xb_score, batches of 1000 (10,000 rows)'
SELECT count(*) FROM xb_score('bench_reco', 'bench_dresses', 'row_no');
SET xb.model_cache_size = 0;
\echo 'xb_recommend, cache off: blob read and decoded per row (2,000 rows)'
SELECT count(*) FROM bench_2000 d WHERE xb_recommend('bench_reco', d) >= 0;
\echo 'reading the rows only (2,000)'
SELECT count(d.*) FROM bench_2000 d;
RESET xb.model_cache_size;
\timing off
DROP TABLE bench_dresses, bench_2000;
