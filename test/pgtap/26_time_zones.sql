-- Time zones (issue 14, item 6): weekly timestamptz rows at local midnight
-- in a zone with daylight saving train (read as wall-clock time, 7 days
-- apart), the zone is stored with the version, and forecasts, retrains and
-- backtests do not depend on the TimeZone of whoever asks.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(15);

SET LOCAL xb.progress_every = 0;
SET LOCAL TimeZone = 'America/New_York';

-- Two stores, three years of Sundays at New York midnight (UTC 04:00 in
-- summer, 05:00 in winter), a yearly pattern and a little noise.
CREATE TEMP TABLE ny_weeks AS
SELECT s AS store, (date '2010-01-03' + 7 * w)::timestamp AT TIME ZONE 'America/New_York' AS week,
       1000 * s + 200 * sin(2 * pi() * w / 52.0) + (w * 37 % 11) AS sales, (w % 5 = 0)::int AS promo
FROM generate_series(1, 2) s, generate_series(0, 155) w;

SELECT lives_ok($$SELECT xb_train_forecaster('pgtap26_ny', 'ny_weeks', 'week', 'sales', ARRAY['store'], horizon => 6)$$,
                'weekly timestamptz rows at local midnight across daylight saving train');
SELECT is((SELECT options->>'time_zone' FROM xb.models WHERE name = 'pgtap26_ny'), 'America/New_York',
          'the training session''s time zone is stored with the version');
SELECT is((SELECT hyperparameters->>'time_zone' FROM xb.models WHERE name = 'pgtap26_ny'), 'America/New_York',
          'and shown with the resolved options');
SELECT is((SELECT count(*) FILTER (WHERE ts::time = '00:00' AND extract(dow FROM ts) = 0)::int FROM xb_forecast('pgtap26_ny')),
          12, 'forecasts fall on local midnight, on Sundays, in summer and winter alike');
SELECT is((SELECT min(ts) FROM xb_forecast('pgtap26_ny')), timestamp '2012-12-30',
          'the first forecast is the Sunday after the last row');
CREATE TEMP TABLE ny_forecast AS SELECT * FROM xb_forecast('pgtap26_ny');

SET LOCAL TimeZone = 'Asia/Tokyo';
SELECT is((SELECT count(*)::int FROM (SELECT * FROM xb_forecast('pgtap26_ny') EXCEPT SELECT * FROM ny_forecast) d), 0,
          'asked from Tokyo, the forecast is the same');
SELECT is((SELECT count(*)::int FROM xb_backtest('pgtap26_ny', 2) WHERE cutoff::time <> '00:00'), 0,
          'a backtest from Tokyo cuts at New York midnights too');
CALL xb_retrain('pgtap26_ny', keep => 'always');
SELECT is((SELECT options->>'time_zone' FROM xb.models WHERE name = 'pgtap26_ny' AND version = 2), 'America/New_York',
          'a retrain from a session in another zone keeps the stored zone');
SELECT is((SELECT count(*)::int FROM (SELECT series, ts FROM xb_forecast('pgtap26_ny')
                                      EXCEPT SELECT series, ts FROM ny_forecast) d), 0,
          'and forecasts the same weeks');

-- Given explicitly, the zone wins over the session's.
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap26_given', 'ny_weeks', 'week', 'sales', ARRAY['store'], horizon => 2,
                                             options => '{"time_zone": "America/Chicago"}')$$,
                'an explicit time_zone');
SELECT is((SELECT min(ts)::time FROM xb_forecast('pgtap26_given')), time '23:00',
          'reads the rows in that zone (New York midnight is 23:00 in Chicago)');
SELECT throws_ok($$SELECT xb_train_forecaster('pgtap26_bad', 'ny_weeks', 'week', 'sales', ARRAY['store'], horizon => 2,
                                              options => '{"time_zone": "Mars/Olympus_Mons"}')$$,
                 '22023', 'option "time_zone" names no time zone: "Mars/Olympus_Mons"', 'an unknown zone is refused');
SELECT throws_ok($$SELECT xb_forecast_agg(week, sales, 2, '{"time_zone": "UTC"}') FROM ny_weeks WHERE store = 1$$,
                 '22023', 'option "time_zone" is not accepted by the forecasting aggregates',
                 'the aggregates say how to get local time instead');

-- Hourly rows in a zone with daylight saving are not local midnights: they
-- are read in UTC (read locally, 01:00 would come twice on 2021-11-07).
CREATE TEMP TABLE ny_hours AS
SELECT t AS hour, 50 + 10 * sin(2 * pi() * extract(hour FROM t AT TIME ZONE 'UTC') / 24) AS load
FROM generate_series(timestamptz '2021-11-01 00:00-04', timestamptz '2021-11-10 23:00-05', interval '1 hour') t;
SELECT lives_ok($$SELECT xb_train_forecaster('pgtap26_hours', 'ny_hours', 'hour', 'load', horizon => 6)$$,
                'hourly timestamptz rows across the autumn change train');
SELECT is((SELECT options->>'time_zone' FROM xb.models WHERE name = 'pgtap26_hours'), 'UTC',
          'they were read, and their zone stored, in UTC');

SELECT * FROM finish();
ROLLBACK;
