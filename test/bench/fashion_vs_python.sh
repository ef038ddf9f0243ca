#!/usr/bin/env bash
# Benchmark: Fashion-MNIST (60,000 training and 10,000 test pictures) trained
# inside the database with xb's default image options, against the same
# network in Python reading the same table (psycopg2 -> PIL -> PyTorch).
#
# Usage: bash test/bench/fashion_vs_python.sh   (as root; run by hand, not in CI)
# Environment: BENCH_TRAIN (60000) and BENCH_TEST (10000) pictures,
#              BENCH_THREADS (2) intra-op threads on both sides,
#              BENCH_TEST_FRACTION (0.05) of the training pictures xb holds out
#              as its own test split (the official test pictures are scored
#              separately and never seen in training),
#              BENCH_NEIGHBOURS (1000) test pictures whose nearest training
#              picture by embedding is looked up in SQL (among 10,000),
#              BENCH_PYTHON (1; 0 skips the Python side),
#              BENCH_ATTENTION_PNG: a file to write xb_attention_png of the
#              first test picture to (scale 8; the README's docs/attention.png),
#              XB_KEEP_CLUSTER=1 keeps the throwaway cluster.
#
# What it prints, one line each, ready to paste:
#   xb:     epochs, seconds per epoch (xb.training_log), training call wall
#           time, test accuracy on the official test pictures (xb_score)
#   python: the same from test/bench/fashion_python_baseline.py (same network,
#           preprocessing, augmentation, optimiser, learning-rate schedule,
#           batches, split sizes and best-epoch restore; its own random draws)
#   ratio:  python seconds per epoch / xb seconds per epoch (> 1: xb faster)
#   embeddings: the share of BENCH_NEIGHBOURS test pictures whose nearest
#           training picture (cosine of xb_embed) has their class, in SQL
#   attention: the share of test pictures for which masking the pixels under
#           the 20 % most attended cells lowers the true class's probability
#           more than masking 20 % random cells (xb_attention_faithfulness),
#           for the trained model and for an untrained one (chance: about 0.5)
#
# One run on this 2-core machine (BENCH_THREADS 2) is recorded in the README,
# "Product images".
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
TRAIN=${BENCH_TRAIN:-60000}
TEST=${BENCH_TEST:-10000}
THREADS=${BENCH_THREADS:-2}
TEST_FRACTION=${BENCH_TEST_FRACTION:-0.05}
NEIGHBOURS=${BENCH_NEIGHBOURS:-1000}
PY=/usr/bin/python3

if ! "$PY" -c 'import torch, psycopg2, PIL, numpy' 2>/dev/null; then
    echo "bench: installing python3-torch python3-psycopg2 python3-pil python3-numpy (Debian packages)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3-torch python3-psycopg2 python3-pil python3-numpy >&2
fi

# shellcheck source-path=SCRIPTDIR/../..
source scripts/cluster.sh
xb_cluster_start || exit 1
trap xb_cluster_stop EXIT
export PGOPTIONS="-c jit_above_cost=100000 -c jit_inline_above_cost=500000 -c jit_optimize_above_cost=500000"
psql -X -q -c "CREATE EXTENSION xb"
start=$(date +%s.%N)
bash scripts/load_fashion_mnist.sh "$TRAIN" "$TEST"
echo "load: $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (CSV from the IDX files, xb_image_png, INSERT)"

psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
SET xb.progress_every = 0;
SET xb.threads = $THREADS;
\\timing on
SELECT xb_train_classifier('fashion', \$\$SELECT id, image, article FROM fashion WHERE split = 'train'\$\$, 'article',
                           ARRAY['image'], '{"test_fraction": $TEST_FRACTION}');
\\timing off
SELECT format('xb: %s epochs (best %s), %s s per epoch, train_seconds %s', max(epoch), m.hyperparameters->'best_epochs'->>0,
              round((max(seconds) / max(epoch))::numeric, 2), round(m.train_seconds::numeric, 1))
FROM xb.training_log l JOIN xb.models m ON m.id = l.model_id WHERE m.name = 'fashion' GROUP BY m.id;
CREATE TABLE scored AS
SELECT s.key::int AS id, s.label FROM xb_score('fashion', \$\$SELECT id, image FROM fashion WHERE split = 'test'\$\$, 'id') s;
SELECT format('xb: test accuracy %s on %s official test pictures', round(avg((s.label = f.article)::int), 4), count(*))
FROM scored s JOIN fashion f USING (id);
SQL

# The same number of epochs as xb's image default (the cosine schedule runs them all).
if [[ ${BENCH_PYTHON:-1} == 1 ]]; then
    echo "python: $($PY test/bench/fashion_python_baseline.py 30 "$TEST_FRACTION" "$THREADS" | tr '\n' ' ')"
fi

psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE embedded AS
SELECT id, article, split, e, sqrt((SELECT sum(x * x) FROM unnest(e) x)) AS norm
FROM (SELECT id, article, split, xb_embed('fashion', image)::float8[] AS e FROM fashion
      WHERE (split = 'train' AND id <= 10000) OR (split = 'test' AND id <= 60000 + $NEIGHBOURS)) x;
CREATE TABLE nearest AS
SELECT q.id, q.article, n.article AS neighbour
FROM embedded q CROSS JOIN LATERAL (
  SELECT t.article FROM embedded t WHERE t.split = 'train'
  ORDER BY (SELECT sum(a * b) FROM unnest(q.e, t.e) AS u(a, b)) / t.norm DESC LIMIT 1) n
WHERE q.split = 'test';
SELECT format('embeddings: nearest of 10000 training pictures has the class of %s of %s test pictures',
              round(avg((article = neighbour)::int), 4), count(*)) FROM nearest;
SELECT format('attention: masking the 20 %% most attended cells costs more than 20 %% random cells on %s of %s test pictures (untrained network: %s)',
              round(trained::numeric, 4), pictures, round(untrained::numeric, 4))
FROM xb_attention_faithfulness('fashion', \$\$SELECT image, article FROM fashion WHERE split = 'test'\$\$, 'article');
SQL
if [[ -n ${BENCH_ATTENTION_PNG:-} ]]; then
    psql -X -q -At -c "SELECT encode(xb_attention_png('fashion', image, 8), 'hex') FROM fashion WHERE id = 60001" |
        perl -ne 'chomp; print pack("H*", $_)' > "$BENCH_ATTENTION_PNG"
    echo "attention picture: $BENCH_ATTENTION_PNG (test picture 60001, scale 8)"
fi
