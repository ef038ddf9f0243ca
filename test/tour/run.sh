#!/usr/bin/env bash
# The README's tour as a new user runs it: every ```sql block from "A tour of
# the SQL" up to "Product images" (the Walmart forecaster, versions, retraining,
# pg_cron, retention, privileges, the dress classifier and regressor, cold
# start for new dresses), in order, in one psql session with ON_ERROR_STOP,
# on a fresh database called `sales`, from the repository root. Nothing is
# changed or left out: a block that stops working fails this test. Then a
# few checks of what the tour promises: the classifier predicts both
# classes, the July model beats seasonal naive, the nightly job is scheduled.
#
# Prints TAP; run through prove (test/run_all.sh does, on a cluster started
# with XB_CLUSTER_PRELOAD=pg_cron). Needs a superuser through the PG* variables.
# The first check prints how long the tour took.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO/test/tap.sh"
cd "$REPO" || exit 1

q() {  # q DB SQL: one value
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# The tour creates a database called sales, the roles analysts and ml_team
# and a pg_cron job: refuse a cluster that already has any of them rather
# than drop someone's data.
taken=$(q postgres "SELECT concat_ws(', ',
                      (SELECT 'database sales' FROM pg_database WHERE datname = 'sales'),
                      (SELECT string_agg('role ' || rolname, ', ') FROM pg_roles WHERE rolname IN ('analysts', 'ml_team')))")
if [[ -n $taken ]]; then
    echo "1..1"
    echo "not ok 1 - the tour needs a cluster without $taken (run it on a throwaway one)"
    exit 1
fi

tour=$(mktemp)
log=$(mktemp)
cleanup() {  # what the tour leaves in the cluster
    q postgres "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'walmart_nightly' AND database = 'sales'" \
        >/dev/null 2>&1
    dropdb --force --if-exists sales >/dev/null || echo "# cleanup: could not drop database sales" >&2
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS analysts" -c "DROP ROLE IF EXISTS ml_team" >/dev/null ||
        echo "# cleanup: could not drop the roles analysts and ml_team" >&2
    rm -f "$tour" "$log"
}
trap cleanup EXIT

# The blocks, as written, each preceded by a line that names it in the log.
awk '
    /^## A tour of the SQL/ { intour = 1 }
    /^## Product images/    { intour = 0 }
    intour && /^```sql$/    { inblock = 1; n++; printf "\\echo tour block %d (README.md line %d)\n", n, NR + 1; next }
    inblock && /^```$/      { inblock = 0; next }
    inblock                 { print }
' README.md >"$tour"
blocks=$(grep -c '^\\echo tour block' "$tour")

echo "1..6"
[[ $blocks -ge 10 ]]
tap $? "the tour has its blocks ($blocks)"

createdb sales
start=$SECONDS
# The checks run in the same session: the dress tables are temporary.
cat >>"$tour" <<'EOF'
\echo tour end
\pset format unaligned
\pset tuples_only on
SELECT 'classes ' || count(DISTINCT xb_predict('dress_reco', d)) FROM dresses d;
SELECT 'new classes ' || count(DISTINCT xb_predict('dress_reco', d)) FROM new_dresses d;
SELECT 'july ' || (min(value) FILTER (WHERE estimator = 'model') < min(value) FILTER (WHERE estimator = 'seasonal_naive'))
FROM xb_evaluate('walmart_july', 'walmart') WHERE series IS NULL AND metric = 'wape';
EOF
psql -X -v ON_ERROR_STOP=1 -d sales -f "$tour" >"$log" 2>&1
rc=$?
seconds=$((SECONDS - start))
last_block=$(grep '^tour block' "$log" | tail -n 1)
tap $rc "every block runs as written (${seconds} s)" "stopped in ${last_block:-no block}: $(grep -E 'ERROR|FATAL' "$log" | head -n 3)"

grep -qx 'classes 2' "$log"
tap $? "the README's dress classifier predicts both classes on the catalogue" "$(grep 'classes' "$log")"
grep -qx 'new classes 2' "$log"
tap $? "and on the 50 listings it never saw" "$(grep 'new classes' "$log")"
grep -qx 'july true' "$log"
tap $? "the model trained to July beats seasonal naive on the weeks after it" "$(grep '^july' "$log")"
[[ $(q postgres "SELECT count(*) FROM cron.job WHERE jobname = 'walmart_nightly' AND database = 'sales'") == 1 ]]
tap $? "the nightly retrain-and-refresh job is scheduled in the database that holds the model"

exit $((TAP_FAILED > 0))
