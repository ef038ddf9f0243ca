-- Cold start: a series in future_source that a network has no history of (a
-- new product) is forecast from the training series most like it by its
-- static covariates (attributes constant within each series). On the dress
-- data: a GRU trained on most dresses' sales with their attributes joined to
-- every row, then a fifth of the dresses, held out, forecast as new.
-- Runs in one transaction, rolled back.
\ir preamble.psql

SELECT plan(13);

SET LOCAL xb.progress_every = 0;

\ir ../../scripts/dresses.psql

CREATE TEMP TABLE ds AS
SELECT s.dress_id::text AS dress, s.t, s.units, a.style, a.price, a.rating, a.season, a.material
FROM dress_steps s JOIN (SELECT DISTINCT ON (dress_id) * FROM dresses ORDER BY dress_id, row_no) a USING (dress_id);
CREATE TEMP TABLE held AS SELECT DISTINCT dress FROM ds WHERE abs(hashtext(dress)) % 5 = 0;
CREATE TEMP TABLE ds_train AS SELECT * FROM ds WHERE dress NOT IN (SELECT dress FROM held) AND t <= '2013-10-06';
CREATE TEMP TABLE ds_new AS SELECT * FROM ds WHERE dress IN (SELECT dress FROM held) AND t > '2013-10-06';

SELECT xb_train_forecaster('pgtap32_cold', 'ds_train', 't', 'units', ARRAY['dress'],
                           ARRAY['style', 'price', 'rating', 'season', 'material'], 3, 'gru',
                           '{"epochs": 3, "lookback": 6, "hidden": 8, "seed": 1}');

CREATE TEMP TABLE fc AS SELECT * FROM xb_forecast('pgtap32_cold', future_source => 'ds_new');
SELECT is((SELECT count(*)::int FROM fc WHERE series IN (SELECT dress FROM held)), 3 * (SELECT count(*)::int FROM held),
          'every new dress gets the 3 steps of the horizon');
SELECT is((SELECT count(*)::int FROM fc WHERE series NOT IN (SELECT dress FROM held)),
          3 * (SELECT count(DISTINCT dress)::int FROM ds_train), 'and the training dresses theirs, as before');
SELECT results_eq($$SELECT DISTINCT ts FROM fc WHERE series IN (SELECT dress FROM held) ORDER BY 1$$,
                  $$SELECT DISTINCT t::timestamp FROM ds_new ORDER BY 1$$,
                  'starting at a new dress''s first row of future_source');
SELECT ok((SELECT bool_and(yhat = yhat AND yhat NOT IN ('Infinity', '-Infinity') AND lo <= yhat AND yhat <= hi AND lo < hi)
           FROM fc WHERE series IN (SELECT dress FROM held)),
          'each a finite point inside an interval');
SELECT results_eq($$SELECT * FROM xb_forecast('pgtap32_cold', future_source => 'ds_new') ORDER BY 1, 2$$,
                  $$SELECT * FROM fc ORDER BY 1, 2$$, 'the same rows forecast alike twice');

-- Another dress, described otherwise: its own forecast. One held-out dress's
-- rows with every attribute set to another held-out dress's unlike it.
CREATE TEMP TABLE pair AS
SELECT a.dress AS one, b.dress AS other
FROM (SELECT DISTINCT ON (dress) * FROM ds_new ORDER BY dress) a
JOIN (SELECT DISTINCT ON (dress) * FROM ds_new ORDER BY dress) b
  ON a.dress < b.dress AND a.style <> b.style AND a.price <> b.price AND a.rating <> b.rating
ORDER BY a.dress, b.dress LIMIT 1;
CREATE TEMP TABLE redescribed AS
SELECT 'copy' AS dress, d.t, d.units, o.style, o.price, o.rating, o.season, o.material
FROM ds_new d, pair, (SELECT DISTINCT ON (dress) * FROM ds_new ORDER BY dress) o
WHERE d.dress = pair.one AND o.dress = pair.other;
SELECT ok((SELECT count(*) FROM xb_forecast('pgtap32_cold', future_source => 'redescribed') f
           JOIN fc o ON o.series = (SELECT other FROM pair) AND o.ts = f.ts
           WHERE f.series = 'copy' AND abs(f.yhat - o.yhat) < 1e-6 * greatest(1, abs(o.yhat))) = 3,
          'a new dress described as another is forecast as that one');
SELECT ok((SELECT count(*) FROM xb_forecast('pgtap32_cold', future_source => 'redescribed') f
           JOIN fc o ON o.series = (SELECT one FROM pair) AND o.ts = f.ts
           WHERE f.series = 'copy' AND f.yhat <> o.yhat) > 0,
          'and not as the dress whose rows it copied');
SELECT ok((SELECT count(*) FROM xb_forecast('pgtap32_cold', future_source => 'redescribed',
                                             overrides => '{"rating": {"set": 5}, "price": "high"}') f
           JOIN xb_forecast('pgtap32_cold', future_source => 'redescribed') o USING (series, ts)
           WHERE f.series = 'copy' AND f.yhat <> o.yhat) > 0,
          'overrides apply to a new dress''s covariates');

SELECT throws_ok($$SELECT * FROM xb_forecast('pgtap32_cold', future_source =>
                     $q$SELECT 'blank' AS dress, t, units, style, price, NULL::float8 AS rating, season, material FROM ds_new$q$)$$,
                 '22000', NULL, 'a new dress without a rating on any row is a clean error');

SELECT set_eq($$SELECT DISTINCT estimator FROM xb.model_metrics m JOIN xb.models x ON x.id = m.model_id
                WHERE x.name = 'pgtap32_cold' AND split = 'test'$$,
              ARRAY['model', 'seasonal_naive', 'cold_start', 'cold_start_all'],
              'test metrics: cold_start (each training dress forecast as if new) and cold_start_all (from all alike)');
SELECT ok((SELECT bool_and(value >= 0 AND value < 'Infinity') FROM xb.model_metrics m JOIN xb.models x ON x.id = m.model_id
           WHERE x.name = 'pgtap32_cold' AND estimator LIKE 'cold_start%' AND metric <> 'r2'),
          'and they are finite');

-- A statistical model keeps no covariates: a new series gets no rows.
SELECT xb_train_forecaster('pgtap32_stat', 'SELECT dress, t, units FROM ds_train', 't', 'units', ARRAY['dress'],
                           NULL, 3, 'snaive');
SELECT is((SELECT count(*)::int FROM xb_forecast('pgtap32_stat', future_source => 'SELECT dress, t FROM ds_new')),
          3 * (SELECT count(DISTINCT dress)::int FROM ds_train), 'a statistical model forecasts only its own series');

-- A network without static covariates borrows from every training dress alike.
SELECT xb_train_forecaster('pgtap32_plain', 'SELECT dress, t, units FROM ds_train', 't', 'units', ARRAY['dress'],
                           NULL, 3, 'gru', '{"epochs": 2, "lookback": 6, "hidden": 8, "seed": 1}');
SELECT is((SELECT count(DISTINCT series)::int FROM xb_forecast('pgtap32_plain', future_source => 'SELECT dress, t FROM ds_new')
           WHERE series IN (SELECT dress FROM held)), (SELECT count(*)::int FROM held),
          'a network without static covariates forecasts new dresses too');

SELECT * FROM finish();
ROLLBACK;
