#!/usr/bin/env bash
# Issue 15's "for a single model, report the intra-op speed-up": the same GRU
# training with xb.threads = 1 and xb.threads = 2, which splits each
# mini-batch into two data-parallel shards (src/core/common/data_parallel),
# alternating which runs first; then a 2-member ensemble, whose members
# train side by side on two threads. The series are those of test/bench/run's
# item 4 (weekly, 143 weeks, 2 covariates), fewer of them: GRU hidden 64,
# lookback and horizon 28, 2 epochs, seed 1. Prints each training's seconds, its last training loss and the
# ratio of each pair.
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
SQL

# One training in a new session: "seconds last_train_loss runtime".
train() {
    psql -X -q -At -v ON_ERROR_STOP=1 <<SQL | tail -1
SET xb.progress_every = 0;
SET xb.threads = $1;
SET client_min_messages = warning;
SELECT xb_train_forecaster('many', 'many', 'date', 'weekly_sales', ARRAY['store'],
  ARRAY['holiday_flag', 'temperature'], 28, 'gru',
  '{"val_periods": 28, "test_periods": 28, "lookback": 28, "seed": 1, "epochs": 2, "ensemble": $2}') IS NOT NULL;
SELECT round(m.train_seconds::numeric, 2) || ' ' ||
       (SELECT round(train_loss::numeric, 5) FROM xb.training_log l WHERE l.model_id = m.id
        ORDER BY member DESC, epoch DESC LIMIT 1) || ' ' || (m.lineage->>'runtime')
FROM xb.models m WHERE m.name = 'many' ORDER BY m.version DESC LIMIT 1;
SQL
}

echo "$SERIES series, GRU hidden 64, lookback 28, horizon 28, 2 epochs, seed 1"
for ensemble in 1 2; do
    for ((run = 1; run <= RUNS; run++)); do
        if ((run % 2)); then
            one=$(train 1 "$ensemble")
            two=$(train 2 "$ensemble")
        else
            two=$(train 2 "$ensemble")
            one=$(train 1 "$ensemble")
        fi
        printf 'ensemble %s, run %s: 1 thread %s s (loss %s), 2 threads %s s (loss %s): %.2fx\n' "$ensemble" "$run" \
            "${one%% *}" "$(cut -d' ' -f2 <<<"$one")" "${two%% *}" "$(cut -d' ' -f2 <<<"$two")" \
            "$(echo "${one%% *} / ${two%% *}" | bc -l)"
    done
done
