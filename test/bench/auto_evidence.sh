#!/usr/bin/env bash
# Every forecasting candidate, auto, and R's forecast package on three data
# sets, one table (issue: forecasts that win by default). Each data set's last
# H steps are held out, every call uses default options (only a seed for the
# networks) and the forecasts are scored outside xb on the held-out actuals:
#
#   walmart    45 stores x 143 weeks, 5 covariates (their true future values
#              given with future_source), H 13
#   dresses    the dress sales: 23 cumulative counts every other day, turned
#              into 22 steps of units sold (scripts/dresses.psql, dress_steps);
#              the 220 dresses with every count, no covariates; H 3
#   synthetic  40 weekly series x 156 weeks with a known trend, a yearly
#              season and promotions (a 0/1 covariate, future values given),
#              noise 5 %; generated from a fixed seed; H 13
#
# R anchors: snaive, ets, auto.arima, stlf, thetaf and croston per series
# (stlf needs two full seasons: only Walmart and synthetic; croston is R's
# classic method times 1 - alpha / 2 = 0.95, the SBA that xb's croston is),
# no covariates.
#
# Result of 2026-12-05 (auto with its network, its five members side by
# side; the README's table has every row): walmart auto 0.0314 for seeds 1-3
# (no network: its validation windows hold two seasons or less), dresses
# auto 0.5702 (no covariates), synthetic auto 0.0842, 0.0850, 0.0877 (it kept
# its GRU; 12-16 s; 0.0863, 0.0816, 0.0839 in 26-28 s with its members one
# after the other, 0.0911, 0.0915, 0.0887 in 34-37 s before data-parallel
# training), against 0.1046 for the statistical members alone.
#
# Usage: bash test/bench/auto_evidence.sh [SEEDS]   (default "1 2 3": the
#        seeds of the GRU and of auto; about 15 minutes on 2 cores). Needs xb installed and Rscript
#        with r-cran-forecast. Starts and removes its own cluster. Prints a
#        markdown table; never asserts.
set -uo pipefail

SEEDS=${1:-"1 2 3"}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO/scripts/cluster.sh"
xb_cluster_start 2>/dev/null || { echo "could not start a cluster" >&2; exit 1; }
WORK=$(mktemp -d)
chmod 777 "$WORK"
trap 'xb_cluster_stop; rm -rf "$WORK"' EXIT
cd "$REPO" || exit 1

q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" "$@"; }

q -c "CREATE EXTENSION xb" \
  -c "\\i test/bench/forecast_sets.psql" \
  -c "\\i scripts/dresses.psql" \
  -c "CREATE TABLE public.dresses AS SELECT dress_id::text AS series, t, units AS y FROM dress_steps" >/dev/null || exit 1

# dataset H FEATURES(comma list or empty) PERIOD: rows, cutoff, train and test
declare -A H=([walmart]=13 [dresses]=3 [synthetic]=13)
declare -A FEATURES=([walmart]="holiday_flag,temperature,fuel_price,cpi,unemployment" [dresses]="" [synthetic]="promo")
declare -A PERIOD=([walmart]=52 [dresses]=1 [synthetic]=52)
printf '| data | candidate | seed | WAPE | seconds |\n| --- | --- | --- | --- | --- |\n'
for d in walmart dresses synthetic; do
    h=${H[$d]}
    q -c "CREATE TABLE ${d}_cut AS SELECT series, max(t) - ((SELECT (max(t) - min(t)) / (count(*) - 1) * $h
                                                              FROM $d x WHERE x.series = d.series))::int AS cutoff
                                   FROM $d d GROUP BY series" \
      -c "CREATE VIEW ${d}_train AS SELECT d.* FROM $d d JOIN ${d}_cut c USING (series) WHERE d.t <= c.cutoff" \
      -c "CREATE VIEW ${d}_test AS SELECT d.* FROM $d d JOIN ${d}_cut c USING (series) WHERE d.t > c.cutoff" || exit 1
    features=${FEATURES[$d]}
    fcols=NULL future=NULL
    if [[ -n $features ]]; then
        fcols="ARRAY['${features//,/\',\'}']"
        future="'${d}_test'"
    fi
    runs=("snaive 0" "ets 0" "theta 0" "stlf 0" "croston 0")
    # auto trains a network where there are covariates: then its seed matters too.
    for s in $SEEDS; do runs+=("auto $s"); done
    for s in $SEEDS; do runs+=("gru $s"); done
    for run in "${runs[@]}"; do
        read -r arch seed <<<"$run"
        name="${d}_${arch}_${seed}"
        out=$(psql -X -q -At -v ON_ERROR_STOP=1 2>"$WORK/err" <<SQL
SET client_min_messages = warning;
SELECT clock_timestamp() AS start \gset
SELECT xb_train_forecaster('$name', '${d}_train', 't', 'y', ARRAY['series'], $fcols, $h, '$arch', '{"seed": $seed}');
SELECT round(extract(epoch FROM clock_timestamp() - :'start'::timestamptz)::numeric, 1);
SELECT round((sum(abs(a.y - f.yhat)) / sum(abs(a.y)))::numeric, 4)
FROM xb_forecast('$name', $h, $future) f JOIN ${d}_test a ON a.series = f.series AND a.t = f.ts::date;
SELECT arch FROM xb.models WHERE name = '$name';
SQL
)
        if [[ $? -ne 0 ]]; then
            printf '| %s | %s | %s | failed: %s | |\n' "$d" "$arch" "$seed" "$(head -c 120 "$WORK/err" | tr '\n' ' ')"
            continue
        fi
        read -r _ secs wape trained <<<"$(tr '\n' ' ' <<<"$out")"
        [[ $trained != "$arch" ]] && arch="$arch ($trained)"  # what auto kept
        printf '| %s | xb %s | %s | %s | %s |\n' "$d" "$arch" "$([[ $seed != 0 ]] && echo "$seed" || echo -)" \
            "$wape" "$secs"
    done
    # R: the same train rows, per series, no covariates.
    q -c "\\copy (SELECT series, t, y FROM ${d}_train ORDER BY series, t) TO '$WORK/${d}_train.csv' CSV HEADER" \
      -c "\\copy (SELECT series, t, y FROM ${d}_test ORDER BY series, t) TO '$WORK/${d}_test.csv' CSV HEADER"
    Rscript --vanilla - "$WORK/${d}_train.csv" "$WORK/${d}_test.csv" "$h" "${PERIOD[$d]}" "$d" <<'EOF'
suppressMessages(library(forecast))
a <- commandArgs(trailingOnly = TRUE)
train <- read.csv(a[1]); test <- read.csv(a[2]); h <- as.integer(a[3]); m <- as.integer(a[4]); d <- a[5]
methods <- list(snaive = function(y) snaive(y, h = h)$mean,
                ets = function(y) forecast(ets(y), h = h)$mean,
                auto.arima = function(y) forecast(auto.arima(y), h = h)$mean,
                stlf = function(y) if (m > 1 && length(y) > 2 * m) stlf(y, h = h)$mean else NULL,
                thetaf = function(y) thetaf(y, h = h)$mean,
                croston = function(y) croston(y, h = h)$mean * 0.95)
for (nm in names(methods)) {
  err <- 0; tot <- 0; ok <- TRUE
  t0 <- proc.time()[["elapsed"]]
  for (s in unique(train$series)) {
    y <- ts(train$y[train$series == s], frequency = m)
    f <- tryCatch(methods[[nm]](y), error = function(e) NULL)
    if (is.null(f)) { ok <- FALSE; break }
    actual <- test$y[test$series == s]
    err <- err + sum(abs(actual - as.numeric(f)[seq_along(actual)])); tot <- tot + sum(abs(actual))
  }
  secs <- proc.time()[["elapsed"]] - t0
  if (ok) cat(sprintf("| %s | R %s | - | %.4f | %.1f |\n", d, nm, err / tot, secs))
}
EOF
done
