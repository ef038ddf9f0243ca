#!/usr/bin/env bash
# How auto's network candidate was chosen (issue 13: "robust settings ...
# chosen from evidence on several datasets, never from a test split").
# Earlier cutoffs only: each data set of auto_evidence.sh loses its last H
# steps (the split that bench scores, never looked at here), and the H steps
# before them are held out and scored. Candidates: the GRU preset alone, and
# five-member ensembles with the squared and the absolute loss; seeds 1 and 2;
# then auto (with the candidate the preset names) and auto without networks.
#
#   walmart    45 stores, weekly, 5 covariates (true future values given):
#              train to week 117, score weeks 118-130
#   synthetic  40 weekly series with trend, season and promotions (the
#              generator of auto_evidence.sh): train to week 130, score 131-143
#
# Usage: bash test/bench/auto_network_study.sh ['ARCH SEED {OPTIONS}' ...]
#        (default: the runs above). About 10 minutes on 2 cores. Needs xb
#        installed. Starts and removes its own cluster; never asserts.
#
# Result (2026-12-04, WAPE on the held-out 13 weeks, seeds 1 / 2):
#   walmart:   gru 0.0542 / 0.0571; ensemble 5 0.0555 / 0.0562; ensemble 5
#              with mae 0.0571 / 0.0571; auto 0.0355 / 0.0355 (it kept the
#              statistical members); auto without networks 0.0355
#   synthetic: gru 0.0824 / 0.0762; ensemble 5 0.0766 / 0.0772; ensemble 5
#              with mae 0.0738 / 0.0742; auto 0.0738 / 0.0742 (it kept the
#              network); auto without networks 0.1139
# Averaged over both, ensemble 5 with mae is the lowest (0.0656 against
# 0.0664 with mse and 0.0675 alone), and the least spread between seeds:
# models/forecast_presets.json "auto_network".
# The auto rows above compared the network with seasonal naive, which is
# what auto's recipe is at validation origins of two seasons or less; since
# the comparison counts only origins where the recipe runs as on the whole
# history, auto trains no network at these cutoffs (117 and 130 weeks: no
# such origin) and scores 0.0355 and 0.1139, seeds 1 and 2 alike.
#
# The architecture (2026-12-05, the same cutoffs; every deep architecture
# with the preset's settings, ensemble 5 and the absolute loss; run as
#   O='{"ensemble":5,"loss":"mae"}'; bash test/bench/auto_network_study.sh \
#     "gru 1 $O" "gru 2 $O" "lstm 1 $O" "lstm 2 $O" "attention_lstm 1 $O" \
#     "attention_lstm 2 $O" "transformer 1 $O" "transformer 2 $O"
# ), WAPE seeds 1 / 2 (seconds):
#   walmart:   gru 0.0561 / 0.0565 (16-17); lstm 0.0574 / 0.0576 (25-28);
#              attention_lstm 0.0633 / 0.0624 (32-34); transformer 0.0571 /
#              0.0565 (138-161)
#   synthetic: gru 0.0749 / 0.0741 (6-8); lstm 0.0754 / 0.0771 (5-7);
#              attention_lstm 0.0808 / 0.0801 (6-8); transformer 0.0791 /
#              0.0790 (32-36)
# Averaged over both, gru 0.0654, lstm 0.0669, transformer 0.0679,
# attention_lstm 0.0717: the GRU stays auto's network (the best on both and
# among the fastest), and the others are not worth their time as further
# candidates. (The GRU rows differ from the 2026-12-04 ones above since the
# ensemble's members train side by side with draws of their own.)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO/scripts/cluster.sh"
xb_cluster_start 2>/dev/null || { echo "could not start a cluster" >&2; exit 1; }
trap 'xb_cluster_stop' EXIT
cd "$REPO" || exit 1

q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" "$@"; }

q -c "CREATE EXTENSION xb" \
  -c "\\i test/bench/forecast_sets.psql" >/dev/null || exit 1

declare -A FEATURES=([walmart]="holiday_flag,temperature,fuel_price,cpi,unemployment" [synthetic]="promo")
H=13
runs=("gru 1 {}" "gru 2 {}" "gru 1 {\"ensemble\":5}" "gru 2 {\"ensemble\":5}"
      "gru 1 {\"ensemble\":5,\"loss\":\"mae\"}" "gru 2 {\"ensemble\":5,\"loss\":\"mae\"}" "auto 1 {}" "auto 2 {}"
      "auto 1 {\"networks\":false}")
[[ $# -gt 0 ]] && runs=("$@")
printf '| data | arch | seed | options | WAPE | seconds |\n| --- | --- | --- | --- | --- | --- |\n'
for d in walmart synthetic; do
    # The last H weeks of every series are never read; the H before them are the study's test.
    q -c "CREATE TABLE ${d}_cut AS SELECT series, max(t) - 7 * $H AS test_end, max(t) - 14 * $H AS cutoff
                                   FROM $d GROUP BY series" \
      -c "CREATE VIEW ${d}_train AS SELECT d.* FROM $d d JOIN ${d}_cut c USING (series) WHERE d.t <= c.cutoff" \
      -c "CREATE VIEW ${d}_test AS SELECT d.* FROM $d d JOIN ${d}_cut c USING (series)
                                   WHERE d.t > c.cutoff AND d.t <= c.test_end" || exit 1
    features=${FEATURES[$d]}
    fcols="ARRAY['${features//,/\',\'}']"
    i=0
    for run in "${runs[@]}"; do
        read -r arch seed opts <<<"$run"
        i=$((i + 1))
        json=$(sed "s/^{/{\"seed\":$seed,/; s/,}$/}/" <<<"$opts")
        out=$(psql -X -q -At -v ON_ERROR_STOP=1 2>&1 <<SQL
SET client_min_messages = warning;
SELECT clock_timestamp() AS start \gset
SELECT xb_train_forecaster('${d}_$i', '${d}_train', 't', 'y', ARRAY['series'], $fcols, $H, '$arch', '$json');
SELECT round(extract(epoch FROM clock_timestamp() - :'start'::timestamptz)::numeric, 1);
SELECT round((sum(abs(a.y - f.yhat)) / sum(abs(a.y)))::numeric, 4)
FROM xb_forecast('${d}_$i', $H, '${d}_test') f JOIN ${d}_test a ON a.series = f.series AND a.t = f.ts::date;
SELECT m.arch FROM xb.models m WHERE m.name = '${d}_$i';
SQL
)
        read -r _ secs wape chosen <<<"$(tr '\n' ' ' <<<"$out")"
        printf '| %s | %s | %s | %s | %s | %s |\n' "$d" "$arch${chosen:+ ($chosen)}" "$seed" "$json" "$wape" "$secs"
    done
done
