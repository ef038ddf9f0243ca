#!/usr/bin/env bash
# Issue 15's "for a single model, report the intra-op speed-up": the same GRU
# training with xb.threads = 1 and xb.threads = 2, which splits each
# mini-batch into two data-parallel shards (src/core/common/data_parallel),
# alternating which runs first; then a 2-member ensemble, whose members
# train side by side on two threads. The series are those of test/bench/run's
# item 4 (weekly, 143 weeks, 2 covariates), fewer of them: GRU hidden 64,
# lookback and horizon 28, 2 epochs, seed 1. Prints each training's seconds, its last training loss and the
# ratio of each pair. Then the same for a classifier: a 2-member ensemble of
# an MLP 8 -> 64 -> 32 -> 2 on 200,000 generated rows (3 epochs, seed 1),
# whose members also train side by side on two threads.
#
# Usage: bash test/bench/shards_vs_one_thread.sh [series, default 2000] [runs, default 3]
# (as root or the cluster's owner, like scripts/cluster.sh; by hand, not in CI;
# about 5 minutes at the defaults on 2 cores). Result of 2026-12-05: one
# model 1.41x, 1.47x, 1.43x; a 2-member ensemble, whose members now train
# side by side on one thread each, 1.93x, 1.94x, 1.83x (2026-12-04, each
# member on two shards in turn: 0.92x, 1.06x, 1.24x).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
SERIES=${1:-2000}
RUNS=${2:-3}

# shellcheck source-path=SCRIPTDIR/../..
source scripts/cluster.sh
export PGOPTIONS="-c jit=off"
xb_cluster_start >/dev/null
trap xb_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION xb;
SELECT setseed(0.42);
CREATE TABLE many AS
SELECT s AS store, (date '2010-02-05' + 7 * w) AS date,
       l * (1 + 0.2 * sin(2 * pi() * w / 52.0 + p)) * (1 + 0.3 * h) + 0.05 * l * (random() - 0.5) AS weekly_sales,
       h AS holiday_flag, 60 + 25 * sin(2 * pi() * (w - 15) / 52.0) + 5 * (random() - 0.5) AS temperature
FROM (SELECT s, 50000 + 150000 * random() AS l, random() - 0.5 AS p FROM generate_series(1, $SERIES) AS s) AS par,
     generate_series(0, 142) AS w,
     LATERAL (SELECT (w % 52 IN (0, 30, 42, 46))::int AS h) AS hh;
ANALYZE many;
CREATE TABLE rows8 AS
SELECT id, f[1] AS f1, f[2] AS f2, f[3] AS f3, f[4] AS f4, f[5] AS f5, f[6] AS f6, f[7] AS f7, f[8] AS f8,
       (f[1] + f[2] * f[3] - f[4] + 0.3 * random() > 0.5)::int AS label
FROM (SELECT i AS id, ARRAY(SELECT random() + 0 * i FROM generate_series(1, 8)) AS f
      FROM generate_series(1, 200000) AS i) AS g;
ANALYZE rows8;
SQL

# One training in a new session with xb.threads = $1: $2 the model's name,
# $3 the xb_train_* call. Prints "seconds last_train_loss runtime".
timed_training() {
    psql -X -q -At -v ON_ERROR_STOP=1 <<SQL | tail -1
SET xb.progress_every = 0;
SET xb.threads = $1;
SET client_min_messages = warning;
SELECT $3 IS NOT NULL;
SELECT round(m.train_seconds::numeric, 2) || ' ' ||
       (SELECT round(train_loss::numeric, 5) FROM xb.training_log l WHERE l.model_id = m.id
        ORDER BY member DESC, epoch DESC LIMIT 1) || ' ' || (m.lineage->>'runtime')
FROM xb.models m WHERE m.name = '$2' ORDER BY m.version DESC LIMIT 1;
SQL
}

# The GRU on $1 threads, an ensemble of $2.
train() {
    timed_training "$1" many "xb_train_forecaster('many', 'many', 'date', 'weekly_sales', ARRAY['store'],
      ARRAY['holiday_flag', 'temperature'], 28, 'gru',
      '{\"val_periods\": 28, \"test_periods\": 28, \"lookback\": 28, \"seed\": 1, \"epochs\": 2, \"ensemble\": $2}')"
}

# The classifier on $1 threads, an ensemble of $2.
train_classifier() {
    timed_training "$1" rows8 "xb_train_classifier('rows8', 'rows8', 'label',
      ARRAY['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'],
      '{\"hidden\": [64, 32], \"epochs\": 3, \"seed\": 1, \"ensemble\": $2}')"
}

# One thread against two, alternating which runs first: $1 the training function, $2 the ensemble size.
pairs() {
    local one two run
    for ((run = 1; run <= RUNS; run++)); do
        if ((run % 2)); then
            one=$($1 1 "$2")
            two=$($1 2 "$2")
        else
            two=$($1 2 "$2")
            one=$($1 1 "$2")
        fi
        printf '%s, ensemble %s, run %s: 1 thread %s s (loss %s), 2 threads %s s (loss %s): %.2fx\n' "$1" "$2" "$run" \
            "${one%% *}" "$(cut -d' ' -f2 <<<"$one")" "${two%% *}" "$(cut -d' ' -f2 <<<"$two")" \
            "$(echo "${one%% *} / ${two%% *}" | bc -l)"
    done
}

echo "$SERIES series, GRU hidden 64, lookback 28, horizon 28, 2 epochs, seed 1"
pairs train 1
pairs train 2
echo "200,000 rows of 8 features, MLP 64-32, 3 epochs, seed 1"
pairs train_classifier 2
