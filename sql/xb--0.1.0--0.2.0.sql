-- xb 0.1.0 -> 0.2.0. Every change to sql/xb.sql since 0.1.0 has its step here,
-- so an upgraded catalog equals a fresh install (test/upgrade/run.sh checks it).
\echo Use "ALTER EXTENSION xb UPDATE TO '0.2.0'" to load this file. \quit
