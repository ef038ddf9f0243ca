-- The scoring aggregates, xb_predict_agg and xb_recommend_agg: a model given
-- as bytes (not looked up by name), averaged over each group as avg() would
-- average xb_predict and xb_recommend, in parallel plans as serially; what
-- they refuse. test/scale/run.sh runs them on shards through postgres_fdw.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(26);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql

SELECT xb_train_classifier('pgtap29_reco', 'dresses', 'recommendation', ARRAY['style', 'price', 'rating', 'season'],
                           '{"epochs": 4, "seed": 5}') AS reco_id \gset
SELECT xb_train_regressor('pgtap29_units', 'dress_totals', 'units', ARRAY['style', 'price'], '{"epochs": 3, "seed": 5}') AS units_id \gset
SELECT xb_train_classifier('pgtap29_style', 'SELECT * FROM dresses WHERE season IS NOT NULL', 'season', ARRAY['style', 'price'],
                           '{"epochs": 2, "seed": 5}') AS seasons_id \gset
SELECT xb_train_forecaster('pgtap29_fc', $$SELECT date '2024-01-01' + i AS day, i % 7 + 1.0 AS units
                                           FROM generate_series(0, 59) i$$, 'day', 'units',
                           horizon => 3, arch => 'snaive') AS fc_id \gset
CREATE TEMP TABLE bytes AS
SELECT xb_model_bytes('pgtap29_reco') AS reco, xb_model_bytes('pgtap29_units') AS units,
       xb_model_bytes('pgtap29_style') AS seasons, xb_model_bytes('pgtap29_fc') AS fc;

-- Per row: each row's own group gives what the function by name gives.
SELECT is((SELECT count(*) FILTER (WHERE abs(a.p - xb_recommend('pgtap29_reco', d)) < 1e-12)
           FROM (SELECT row_no, xb_recommend_agg(b.reco, to_jsonb(d)) AS p FROM dresses d, bytes b GROUP BY row_no) a
           JOIN dresses d USING (row_no)),
          500::bigint, 'grouped by a key, xb_recommend_agg is each row''s xb_recommend');
SELECT is((SELECT count(*) FILTER (WHERE abs(a.v - xb_predict('pgtap29_units', d)) < 1e-9)
           FROM (SELECT row_no, xb_predict_agg(b.units, to_jsonb(d)) AS v FROM dresses d, bytes b GROUP BY row_no) a
           JOIN dresses d USING (row_no)),
          500::bigint, 'grouped by a key, xb_predict_agg is each row''s xb_predict');

-- Per group: avg() of the function by name.
SELECT ok((SELECT bool_and(abs(a.p - b.p) < 1e-12)
           FROM (SELECT style, xb_recommend_agg(bt.reco, to_jsonb(d)) AS p FROM dresses d, bytes bt GROUP BY style) a
           JOIN (SELECT style, avg(xb_recommend('pgtap29_reco', d)) AS p FROM dresses d GROUP BY style) b USING (style)),
          'over a group, the average probability');

-- A parallel plan (partial aggregates combined by float8_combine) agrees. A
-- plain table (temporary ones are never scanned in parallel) and the model as
-- a constant; the transaction's rollback removes the table.
SELECT reco AS reco_bytes FROM bytes \gset
CREATE TABLE pgtap29_many AS SELECT d.* FROM dresses d, generate_series(1, 20);
ANALYZE pgtap29_many;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.plan_nodes(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE p jsonb;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO p;
  RETURN (SELECT string_agg(coalesce(n->>'Partial Mode', '') || ' ' || (n->>'Node Type'), ', ')
          FROM jsonb_path_query(p, 'strict $.** ? (exists(@."Node Type"))') n);
END $$;
SELECT matches(pg_temp.plan_nodes($$SELECT xb_recommend_agg('$$ || :'reco_bytes' || $$'::bytea, to_jsonb(m)) FROM pgtap29_many m$$),
               'Finalize Aggregate.*Gather.*Partial Aggregate',
               'the plan is parallel: partial aggregates in workers, finalized by the leader');
SELECT ok((SELECT abs(xb_recommend_agg(:'reco_bytes'::bytea, to_jsonb(m))
                      - (SELECT avg(xb_recommend('pgtap29_reco', d)) FROM dresses d)) < 1e-12
           FROM pgtap29_many m),
          'and gives the serial average');
RESET max_parallel_workers_per_gather;

SELECT is((SELECT xb_recommend_agg(b.reco, NULL::jsonb) FROM bytes b), NULL::float8,
          'NULL rows are skipped: a group of only NULLs gives NULL, as avg()');
SELECT is((SELECT xb_recommend_agg(b.reco, r) FROM bytes b,
                  unnest(ARRAY[NULL, '{"style": "Sexy", "price": "Low", "rating": 4.6, "season": "Summer"}'::jsonb]) r),
          xb_recommend('pgtap29_reco', '{"style": "Sexy", "price": "Low", "rating": 4.6, "season": "Summer"}'::jsonb),
          'and the other rows are averaged without them');
SELECT is((SELECT xb_recommend_agg(b.reco, to_jsonb(d)) FROM dresses d, bytes b WHERE false), NULL::float8,
          'an empty group gives NULL');

-- A jsonb row is read key by key; one whose keys differ in case goes through
-- its text instead: both readings agree, and numbers may come as strings.
SELECT is((SELECT count(*) FILTER (WHERE xb_recommend('pgtap29_reco', to_jsonb(d)) =
                                     xb_recommend('pgtap29_reco', (SELECT jsonb_object_agg(upper(k), v)
                                                                   FROM jsonb_each(to_jsonb(d)) e(k, v))))
           FROM dresses d),
          500::bigint, 'a jsonb row read key by key scores as when read through its text');
SELECT is(xb_recommend('pgtap29_reco', '{"style": "Sexy", "price": "Low", "rating": "4.6", "season": "Summer"}'::jsonb),
          xb_recommend('pgtap29_reco', '{"style": "Sexy", "price": "Low", "rating": 4.6, "season": "Summer"}'::jsonb),
          'a number given as a string is read as the number');

-- Who may score with bytes: they come from xb_model_bytes, which needs
-- 'manage' on the model; whoever holds them scores with no right on the model
-- (no catalog is read), as anyone can with an exported file. A role that is
-- no superuser, first with no right at all, then with 'use'.
CREATE ROLE pgtap29_analyst;
CREATE TEMP TABLE by_style AS
SELECT style, avg(xb_recommend('pgtap29_reco', d)) AS p FROM dresses d GROUP BY style;
GRANT SELECT ON dresses, bytes, pgtap29_many, by_style TO pgtap29_analyst;
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap29_analyst', 'SELECT xb_model_bytes(''pgtap29_reco'')')$$, '42501', NULL,
                 'a role without rights on the model cannot read its bytes');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap29_analyst',
                    'SELECT xb_recommend(''pgtap29_reco'', ''{"style": "Sexy"}''::jsonb)')$$, '42501', NULL,
                 'nor score with it by name');
SELECT ok(pg_temp.as_role('pgtap29_analyst',
            $$SELECT count(*) = (SELECT count(*) FROM by_style) AND bool_and(abs(a.p - e.p) < 1e-12)
              FROM (SELECT style, xb_recommend_agg(b.reco, to_jsonb(d)) AS p FROM dresses d, bytes b GROUP BY style) a
              JOIN by_style e USING (style)$$)::boolean,
          'given the bytes, it scores as the owner does by name: xb_recommend_agg');
SELECT ok(pg_temp.as_role('pgtap29_analyst',
            $$SELECT abs(xb_predict_agg(b.units, to_jsonb(d)) - $$ ||
            (SELECT avg(xb_predict('pgtap29_units', d)) FROM dresses d) || $$) < 1e-9 FROM dresses d, bytes b$$)::boolean,
          'and xb_predict_agg');
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.as_role('pgtap29_analyst',
                 $$SELECT pg_temp.plan_nodes('SELECT xb_recommend_agg(''$$ || :'reco_bytes' ||
                 $$''::bytea, to_jsonb(m)) FROM pgtap29_many m')$$),
               'Finalize Aggregate.*Gather.*Partial Aggregate',
               'its plan is parallel too');
SELECT ok(pg_temp.as_role('pgtap29_analyst',
            $$SELECT abs(xb_recommend_agg($$ || quote_literal(:'reco_bytes') || $$::bytea, to_jsonb(m)) - $$ ||
            (SELECT avg(xb_recommend('pgtap29_reco', d)) FROM dresses d) || $$) < 1e-12 FROM pgtap29_many m$$)::boolean,
          'and gives the serial average');
RESET max_parallel_workers_per_gather;
SELECT xb_grant('pgtap29_reco', 'pgtap29_analyst', 'use');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap29_analyst', 'SELECT xb_model_bytes(''pgtap29_reco'')')$$, '42501', NULL,
                 'with ''use'' it still cannot read the bytes (''manage'' can)');
SELECT ok(pg_temp.as_role('pgtap29_analyst',
            $$SELECT xb_recommend('pgtap29_reco', '{"style": "Sexy", "price": "Low", "rating": 4.6, "season": "Summer"}'::jsonb)
                     BETWEEN 0 AND 1$$)::boolean,
          'and scores by name');

-- Refusals.
SELECT throws_ok($$SELECT xb_recommend_agg(NULL, '{}'::jsonb)$$, '22023', 'model must not be NULL',
                 'a NULL model is refused');
SELECT throws_ok($$SELECT xb_recommend_agg(units, '{"style": "Sexy", "price": "Low"}'::jsonb) FROM bytes$$, '22023',
                 'the model bytea is a regressor; xb_recommend_agg needs a classifier',
                 'xb_recommend_agg refuses a regressor');
SELECT throws_ok($$SELECT xb_recommend_agg(seasons, '{"style": "Sexy", "price": "Low"}'::jsonb) FROM bytes$$, '22023',
                 'the model bytea has more than two classes and no positive class',
                 'and a classifier with more than two classes and no positive class');
SELECT throws_ok($$SELECT xb_predict_agg(seasons, '{"style": "Sexy", "price": "Low"}'::jsonb) FROM bytes$$, '42804',
                 'the model bytea predicts text labels, not numbers; xb_predict_agg returns numbers',
                 'xb_predict_agg refuses text labels');
SELECT throws_ok($$SELECT xb_predict_agg(fc, '{}'::jsonb) FROM bytes$$, '22023', NULL,
                 'a forecaster''s bytes are refused');
SELECT throws_ok($$SELECT xb_predict_agg(overlay(units placing '\xff'::bytea from 40), '{"style": "x"}'::jsonb)
                   FROM bytes$$, 'XX001', NULL,
                 'corrupt bytes are refused');
SELECT throws_ok($$SELECT xb_predict_agg(units, '{"style": "Sexy"}'::jsonb) FROM bytes$$, '42703', NULL,
                 'a row without a feature names it');

-- Two models in one statement: each group is scored with its own bytes.
SELECT ok((SELECT bool_and(abs(g.p - CASE WHEN g.k = 1 THEN xb_predict('pgtap29_reco', r) ELSE
                                                 xb_predict('pgtap29_units', r) END) < 1e-9)
           FROM (SELECT k, xb_predict_agg(CASE k WHEN 1 THEN b.reco ELSE b.units END, r) AS p
                 FROM bytes b, (VALUES (1), (2), (1), (2)) v(k),
                      (SELECT '{"style": "Sexy", "price": "Low", "rating": 4.6, "season": "Summer"}'::jsonb AS r) x
                 GROUP BY k) g,
                (SELECT '{"style": "Sexy", "price": "Low", "rating": 4.6, "season": "Summer"}'::jsonb AS r) x),
          'models that change from row to row are each decoded, not mixed up');

SELECT * FROM finish();
ROLLBACK;
