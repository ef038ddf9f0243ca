-- Installing, removing and reinstalling xb; the catalog it creates.
CREATE EXTENSION xb;

SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) AS columns
FROM information_schema.columns
WHERE table_schema = 'xb'
GROUP BY table_name
ORDER BY table_name;

SELECT p.oid::regprocedure AS function, pg_get_function_result(p.oid) AS returns
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'xb'
ORDER BY p.oid::regprocedure::text;

-- xb.max_training_threads defaults to the cores the server may use, which differ per machine: shown as 'cores'.
SELECT name, CASE WHEN name = 'xb.max_training_threads' AND setting::int > 0 THEN 'cores' ELSE setting END AS setting,
       context
FROM pg_settings WHERE name LIKE 'xb.%' ORDER BY name;

-- Settings are checked.
SET xb.device = 'tpu';
SET xb.device = 'cuda:0';
RESET xb.device;

DROP EXTENSION xb;
SELECT count(*) AS xb_schemas_left FROM pg_namespace WHERE nspname = 'xb';
CREATE EXTENSION xb;
SELECT count(*) AS models FROM xb.models;
DROP EXTENSION xb;
