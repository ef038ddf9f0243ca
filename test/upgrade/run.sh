#!/usr/bin/env bash
# Upgrading keeps models: a catalog made by the 0.1.0 build (85ffcd6) is
# restored, the extension is updated in place with ALTER EXTENSION xb UPDATE,
# and every model of the three kinds must forecast and score exactly as the
# 0.1.0 build did (values recorded in the fixture when it was made); grants
# must still hold. Then the schema of the upgraded extension must equal a
# fresh install's (pg_dump --binary-upgrade -s lists every member object).
#
#   fixture_0.1.0.sql       pg_dump of a database made by make_fixture_0.1.0.sql
#                           on the 0.1.0 build, its CREATE EXTENSION pinned to
#                           VERSION '0.1.0'
#
# Prints TAP; run through prove (test/run_all.sh does) or alone. Needs a
# running server reachable through the PG* variables and a superuser; the new
# build installed (it ships xb--0.1.0.sql and the upgrade scripts).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OLD=xb_upgrade_old
FRESH=xb_upgrade_fresh
source "$HERE/../tap.sh"

q() {  # q DB SQL: one value
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

echo "1..9"
dropdb --if-exists "$OLD" >/dev/null 2>&1
dropdb --if-exists "$FRESH" >/dev/null 2>&1
psql -X -q -d postgres -c "DO \$\$ BEGIN CREATE ROLE upgrade_reader; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
createdb "$OLD" && createdb "$FRESH"

psql -X -q -v ON_ERROR_STOP=1 -d "$OLD" -f "$HERE/fixture_0.1.0.sql" >/dev/null 2>"$HERE/../../build/upgrade_restore.log"
tap $? "the 0.1.0 catalog restores"
[[ $(q "$OLD" "SELECT extversion FROM pg_extension WHERE extname = 'xb'") == 0.1.0 ]]
tap $? "it is at version 0.1.0"

q "$OLD" "ALTER EXTENSION xb UPDATE" >/dev/null
[[ $(q "$OLD" "SELECT extversion FROM pg_extension WHERE extname = 'xb'") == $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$HERE/../../control/xb.control") ]]
tap $? "ALTER EXTENSION xb UPDATE reaches the current version"

# The same values as the 0.1.0 build computed, to 1e-9 relative.
same() {  # same WHAT SQL-giving-(key, value)
    local bad
    bad=$(q "$OLD" "SELECT count(*) FROM upgrade_expected e FULL JOIN ($2) n(key, value) ON n.key = e.key
                    WHERE coalesce(e.what, '$1') = '$1'
                      AND (e.key IS NULL OR n.key IS NULL OR abs(e.value - n.value) > 1e-9 * greatest(1, abs(e.value)))")
    [[ $bad == 0 ]]
}
same forecast "SELECT series || ' ' || ts, yhat FROM xb_forecast('upgrade_gru')" &&
    same forecast_lo "SELECT series || ' ' || ts, lo FROM xb_forecast('upgrade_gru')" &&
    same forecast_v2 "SELECT series || ' ' || ts, yhat FROM xb_forecast((SELECT weights FROM xb.models
                                                                          WHERE name = 'upgrade_gru' AND version = 2))"
tap $? "the deployed forecaster and its other version forecast as before, intervals too"
same recommend "SELECT dress_id::text, xb_recommend('upgrade_clf', d) FROM dresses_small d"
tap $? "the classifier scores every row as before"
same predict "SELECT dress_id::text, xb_predict('upgrade_reg', d) FROM dresses_small d"
tap $? "the regressor predicts every row as before"
[[ $(q "$OLD" "SET ROLE upgrade_reader; SELECT count(*) FROM xb_forecast('upgrade_gru')") == 12 ]]
tap $? "a role granted use before the upgrade still forecasts"
[[ $(q "$OLD" "SELECT string_agg(name || ' v' || version || ' ' || deployed, ', ' ORDER BY id) FROM xb.models") == \
    "upgrade_gru v1 true, upgrade_gru v2 false, upgrade_clf v1 true, upgrade_reg v1 true" ]]
tap $? "versions and the deployed flags are kept"

# Schema: the upgraded extension against a fresh install of the current version.
q "$OLD" "DROP TABLE upgrade_expected, dresses_small, walmart_small" >/dev/null
q "$FRESH" "CREATE EXTENSION xb" >/dev/null
# What differs between any two databases is left out or masked: comments,
# the oids and frozen xids binary-upgrade mode writes, and the random key of
# the \restrict lines (pg_dump 15.14 and later).
dump() {
    pg_dump -s --binary-upgrade -d "$1" |
        grep -v -e '^--' -e '^$' -e 'binary_upgrade_set_' -e 'pg_catalog.setval' -e '^\\restrict ' -e '^\\unrestrict ' |
        sed -E -e "s/relfrozenxid = '[0-9]+', relminmxid = '[0-9]+'/relfrozenxid = X, relminmxid = X/" \
            -e "s/^WHERE oid = '[0-9]+';/WHERE oid = X;/" \
            -e "/binary_upgrade_create_empty_extension/s/[0-9]{4,}/OID/g"
}
diff <(dump "$OLD") <(dump "$FRESH") >"$HERE/../../build/upgrade_schema.diff"
rc=$?
tap $rc "an upgraded catalog has the schema of a fresh install"
[[ $rc -ne 0 ]] && head -n 60 "$HERE/../../build/upgrade_schema.diff" | sed 's/^/# /'

dropdb "$OLD"
dropdb "$FRESH"
[[ $TAP_FAILED -eq 0 ]]
