#!/usr/bin/env bash
# Zalando's Fashion-MNIST (Debian's dataset-fashion-mnist) as CSV lines
#   id,label,article,split,pixels
# one per picture: pixels are the 784 bytes of the 28 x 28 grey picture in
# hex, row by row (xb_image_png(decode(pixels, 'hex'), 28, 28) makes a PNG).
# Training pictures get ids 1..60000 and split 'train', test pictures ids
# 60001..70000 and split 'test'.
#
# Usage: bash scripts/fashion_mnist_csv.sh [TRAIN_ROWS [TEST_ROWS]]
#   (defaults: all 60000 and 10000; fewer take the first ones of each file)
# Environment: XB_FASHION_DIR (/usr/share/datasets/fashion-mnist).

set -euo pipefail

DIR=${XB_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
TRAIN_ROWS=${1:-60000}
TEST_ROWS=${2:-10000}
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [ -r "$DIR/$f" ] || { echo "fashion_mnist_csv: $DIR/$f is missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
done
case "$TRAIN_ROWS$TEST_ROWS" in *[!0-9]*) echo "fashion_mnist_csv: row counts must be numbers" >&2; exit 1 ;; esac

# IDX files: images have a 16-byte header, labels an 8-byte one.
pictures() {  # file prefix, rows, first id, split
    paste -d, \
        <(gzip -dc "$DIR/$1-labels-idx1-ubyte.gz" | tail -c +9 | head -c "$2" | od -An -v -tu1 -w1 | tr -d ' ') \
        <(gzip -dc "$DIR/$1-images-idx3-ubyte.gz" | tail -c +17 | head -c $(($2 * 784)) | od -An -v -tx1 -w784 | tr -d ' ') |
        awk -F, -v first="$3" -v part="$4" '
            BEGIN { n = split("T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot", article, ",") }
            { printf "%d,%s,%s,%s,%s\n", first + NR - 1, $1, article[$1 + 1], part, $2 }'
}

pictures train "$TRAIN_ROWS" 1 train
pictures t10k "$TEST_ROWS" 60001 test
