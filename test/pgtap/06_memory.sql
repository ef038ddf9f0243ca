-- Memory: one backend trains 30 small models (the four architectures in
-- turn, each name gaining versions) and forecasts each, one statement per
-- model; its resident memory, read from /proc/self/status after each, must
-- level off after a warm-up. Models 1-5 load LibTorch's kernels and each
-- architecture's code; from then to the end the growth must stay under 50 MB,
-- both in VmRSS and in RssAnon (the private heap, where a leak shows). The
-- heap breathes by a few MB from one model to the next, so the peak of models
-- 26-30 is compared with the peak of models 1-5. The bound is generous: a
-- training here allocates 1-2 MB (windows, weights, gradients, Adam state),
-- so it catches a leak of about 2 MB or more per model; the measured figures
-- are printed.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(6);

SET LOCAL xb.progress_every = 0;

-- Ten daily series of 120 days with a weekly pattern and a covariate.
CREATE TEMP TABLE pgtap06_daily AS
  SELECT s, date '2021-01-01' + t AS d, 20 * s + 5 * sin(t * 0.8976) + (t % 6) AS y, (t % 6 = 0)::int AS promo
  FROM generate_series(1, 10) s, generate_series(0, 119) t;

-- A field of this backend's /proc/self/status, in kB.
CREATE FUNCTION pg_temp.status_kb(field text) RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT (regexp_match(pg_read_file('/proc/self/status'), '(?:^|\n)' || field || ':\s+(\d+) kB'))[1]::bigint $$;

CREATE TEMP TABLE pgtap06_rss (model int PRIMARY KEY, arch text, id bigint, points bigint, vm_rss_kb bigint,
                               rss_anon_kb bigint);

-- Two statements per model: train and forecast; then read the memory.
SELECT format($$
    INSERT INTO pgtap06_rss (model, arch, id)
    VALUES (%2$s, %1$L, xb_train_forecaster('pgtap06_' || %1$L, 'pgtap06_daily', 'd', 'y', ARRAY['s'], ARRAY['promo'],
                                            7, %1$L, '{"epochs": 2, "hidden": 64, "lookback": 14, "seed": %2$s}'))$$,
              arch, i),
       format($$
    UPDATE pgtap06_rss SET points = (SELECT count(*) FROM xb_forecast('pgtap06_' || %1$L)) WHERE model = %2$s$$, arch, i),
       format($$
    UPDATE pgtap06_rss SET vm_rss_kb = pg_temp.status_kb('VmRSS'), rss_anon_kb = pg_temp.status_kb('RssAnon')
    WHERE model = %s$$, i)
FROM generate_series(1, 30) i, LATERAL (SELECT (ARRAY['gru', 'lstm', 'transformer', 'attention_lstm'])[1 + (i - 1) % 4] AS arch) a
ORDER BY i \gexec

-- Memory in MB after model n, and the peak over models a..b.
CREATE FUNCTION pg_temp.mb(n int, col text) RETURNS numeric LANGUAGE plpgsql STABLE AS $$
DECLARE
  kb bigint;
BEGIN
  EXECUTE format('SELECT %I FROM pgtap06_rss WHERE model = $1', col) INTO kb USING n;
  RETURN round(kb / 1024.0, 1);
END $$;
CREATE FUNCTION pg_temp.peak_mb(a int, b int, col text) RETURNS numeric LANGUAGE plpgsql STABLE AS $$
DECLARE
  kb bigint;
BEGIN
  EXECUTE format('SELECT max(%I) FROM pgtap06_rss WHERE model BETWEEN $1 AND $2', col) INTO kb USING a, b;
  RETURN round(kb / 1024.0, 1);
END $$;

SELECT diag(format('%s (MB) after models 1, 5, 10, 20, 30: %s, %s, %s, %s, %s; peak of 1-5: %s, of 26-30: %s; growth %s MB',
                   label, pg_temp.mb(1, col), pg_temp.mb(5, col), pg_temp.mb(10, col), pg_temp.mb(20, col),
                   pg_temp.mb(30, col), pg_temp.peak_mb(1, 5, col), pg_temp.peak_mb(26, 30, col),
                   pg_temp.peak_mb(26, 30, col) - pg_temp.peak_mb(1, 5, col)))
FROM (VALUES ('VmRSS', 'vm_rss_kb'), ('RssAnon', 'rss_anon_kb')) AS v(label, col);

SELECT is((SELECT count(*)::int FROM pgtap06_rss WHERE id IS NOT NULL), 30, '30 models trained in one backend');
SELECT is((SELECT count(*)::int FROM xb.models WHERE name LIKE 'pgtap06\_%'), 30, 'as 30 versions of 4 names');
SELECT is((SELECT count(*)::int FROM pgtap06_rss WHERE points = 70), 30, 'each forecast 10 series x 7 days');
SELECT is((SELECT count(*)::int FROM pgtap06_rss WHERE vm_rss_kb > 0 AND rss_anon_kb > 0), 30,
          'memory was read after every model');
SELECT cmp_ok(pg_temp.peak_mb(26, 30, 'vm_rss_kb') - pg_temp.peak_mb(1, 5, 'vm_rss_kb'), '<', 50::numeric,
              'VmRSS: the peak of models 26-30 is less than 50 MB above the peak of models 1-5');
SELECT cmp_ok(pg_temp.peak_mb(26, 30, 'rss_anon_kb') - pg_temp.peak_mb(1, 5, 'rss_anon_kb'), '<', 50::numeric,
              'RssAnon: the peak of models 26-30 is less than 50 MB above the peak of models 1-5');

SELECT * FROM finish();
ROLLBACK;
