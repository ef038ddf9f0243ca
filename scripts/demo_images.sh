#!/usr/bin/env bash
# xb demo, product images: build and install the extension, start a throwaway
# PostgreSQL 15 cluster, load Zalando's Fashion-MNIST (Debian's
# dataset-fashion-mnist: 28 x 28 grey pictures of articles, as PNG bytes), and
# inside the database:
#   - train a classifier on the pictures with the default image options
#     (five convolution blocks, attention pooling over the 7 x 7 map);
#   - score the official test pictures and report the accuracy per article;
#   - find the most similar training pictures of a test picture by embedding,
#     in plain SQL;
#   - check that the attention is faithful, and write one picture with the
#     attention drawn over it to attention.png in the current directory.
#
# Usage: bash scripts/demo_images.sh [TRAIN_ROWS [TEST_ROWS]]
#   (defaults 60000 and 10000: about 20 minutes on 2 cores; 10000 and 2000
#   take a few minutes)
# Environment: XB_KEEP_CLUSTER=1 keeps the cluster directory afterwards.

set -euo pipefail

TRAIN_ROWS=${1:-60000}
TEST_ROWS=${2:-10000}
OUT_PNG=$PWD/attention.png
# shellcheck source-path=SCRIPTDIR source=demo_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo_common.sh"

load() {
    sql -q -c "CREATE EXTENSION xb"
    bash scripts/load_fashion_mnist.sh "$TRAIN_ROWS" "$TEST_ROWS"
}

train() {
    sql <<'SQL'
SET xb.progress_every = 0;
SELECT xb_train_classifier('fashion', $$SELECT id, image, article FROM fashion WHERE split = 'train'$$,
                           'article', ARRAY['image'], '{"test_fraction": 0.05}') AS model_id;
SELECT max(epoch) AS epochs, round(max(seconds)::numeric, 1) AS fit_seconds,
       round((max(seconds) / max(epoch))::numeric, 1) AS seconds_per_epoch
FROM xb.training_log WHERE model_id = (SELECT id FROM xb.models WHERE name = 'fashion');
SQL
}

score() {
    sql <<'SQL'
CREATE TABLE scored AS
SELECT s.key::int AS id, s.label, s.probability
FROM xb_score('fashion', $$SELECT id, image FROM fashion WHERE split = 'test'$$, 'id') s;
\echo 'Accuracy on the official test pictures (never seen in training), per article'
SELECT f.article, count(*) AS pictures, round(avg((s.label = f.article)::int), 3) AS accuracy
FROM scored s JOIN fashion f USING (id) GROUP BY ROLLUP (f.article) ORDER BY f.article NULLS LAST;
SQL
}

similar() {
    sql <<'SQL'
\echo 'The five training pictures nearest to test picture 60001 by cosine of xb_embed (among the first 5000)'
WITH q AS (SELECT xb_embed('fashion', image)::float8[] AS e, article FROM fashion WHERE id = 60001),
     t AS (SELECT id, article, xb_embed('fashion', image)::float8[] AS e FROM fashion WHERE split = 'train' AND id <= 5000)
SELECT q.article AS query, t.id, t.article,
       round(((SELECT sum(a * b) FROM unnest(q.e, t.e) AS u(a, b)) /
              sqrt((SELECT sum(a * a) FROM unnest(q.e) a) * (SELECT sum(b * b) FROM unnest(t.e) b)))::numeric, 4) AS cosine
FROM q, t ORDER BY cosine DESC LIMIT 5;
SQL
}

attention() {
    sql <<'SQL'
\echo 'Faithfulness: blacking out the 20 % most attended cells against 20 % random cells (up to 1000 test pictures)'
SELECT * FROM xb_attention_faithfulness('fashion', $$SELECT image, article FROM fashion WHERE split = 'test' LIMIT 1000$$, 'article');
\echo 'Attention of test picture 60001 over the 7 x 7 map (rows of the picture, top to bottom)'
SELECT r AS map_row, array_to_string(array_agg(round(w::numeric, 3) ORDER BY c), ' ') AS weights
FROM (SELECT (i - 1) / 7 AS r, (i - 1) % 7 AS c, w
      FROM fashion, unnest(xb_attention('fashion', image)) WITH ORDINALITY AS a(w, i) WHERE id = 60001) x
GROUP BY r ORDER BY r;
SQL
    sql -At -c "SELECT encode(xb_attention_png('fashion', image, 8), 'hex') FROM fashion WHERE id = 60001" |
        perl -ne 'chomp; print pack("H*", $_)' >"$OUT_PNG"
    echo "wrote $OUT_PNG (test picture 60001 with its attention in red, 224 x 224)"
}

demo_setup
phase load load
phase train train
phase score score
phase similar similar
phase attention attention
demo_timings
