#!/usr/bin/env bash
# Loads Zalando's Fashion-MNIST (Debian's dataset-fashion-mnist) into a table
#   fashion (id int, image bytea, label int, article text, split text)
# with each 28 x 28 grey picture as PNG bytes, made by xb_image_png from the
# IDX files' raw pixels (scripts/fashion_mnist_csv.sh), so xb must be
# installed in the database.
#
# Usage: bash scripts/load_fashion_mnist.sh [TRAIN_ROWS [TEST_ROWS]]
#   (defaults: all 60000 and 10000)
# Connects with psql's environment (PGHOST, PGPORT, PGDATABASE, PGUSER).

set -euo pipefail

CSV="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fashion_mnist_csv.sh"
{
    cat <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS fashion;
CREATE TABLE fashion (id int PRIMARY KEY, image bytea NOT NULL, label int NOT NULL, article text NOT NULL,
                      split text NOT NULL);
CREATE TEMP TABLE fashion_pixels (id int, label int, article text, split text, pixels text);
COPY fashion_pixels FROM STDIN WITH (FORMAT csv);
SQL
    bash "$CSV" "${1:-60000}" "${2:-10000}"
    cat <<'SQL'
\.
INSERT INTO fashion
SELECT id, xb_image_png(decode(pixels, 'hex'), 28, 28, 1), label, article, split FROM fashion_pixels;
ANALYZE fashion;
SQL
} | psql -X -q -v ON_ERROR_STOP=1
psql -X -At -c "SELECT 'fashion: ' || count(*) FILTER (WHERE split = 'train') || ' training and ' ||
                       count(*) FILTER (WHERE split = 'test') || ' test pictures' FROM fashion"
