#!/usr/bin/env bash
# Benchmark: training a forecaster inside the database with xb, against the
# obvious alternative -- a data scientist exporting the table to Python and
# training the same network there (psycopg2 -> pandas -> PyTorch).
#
# Usage: bash test/bench/walmart_train_vs_python.sh   (as root; run by hand, not in CI)
# Environment: BENCH_RUNS (3) runs per side, BENCH_SYNTH_SERIES (500),
#              BENCH_SYNTH_EPOCHS (10), BENCH_THREADS (unset: LibTorch's default
#              intra-op threads; N: SET xb.threads = N and torch.set_num_threads(N)),
#              XB_DATA_DIR (<repo>/../shared/data),
#              XB_KEEP_CLUSTER=1 keeps the throwaway cluster.
#
# What it measures, on one machine, with the two sides run one after the other
# (never concurrently) and BENCH_RUNS times each, interleaved; every figure is
# the median of the runs:
#
#   xb      one psql session: SET xb.progress_every = 0; LOAD 'xb'; xb_train_forecaster(...);
#           SELECT count(*) FROM xb_forecast(...).  "total" is the wall time of
#           that psql process (connect, loading xb.so and LibTorch into the
#           fresh backend, reading the table through SPI, preprocessing,
#           training, evaluating on every split, writing the model row,
#           forecasting).  Breakdown: the LOAD (xb.so and LibTorch's static
#           initialisers; xb's counterpart of Python's imports), the wall time
#           of the training call, the core's xb.models.train_seconds, the fit
#           loop alone (last xb.training_log.seconds) and the forecast call.
#   python  one /usr/bin/python3 process running test/bench/walmart_python_baseline.py:
#           interpreter start and imports (numpy, pandas, psycopg2, torch), export
#           (SELECT * into a pandas DataFrame), preprocessing (split, scalers,
#           calendar and seasonal channels, windows), training (same network,
#           initial weights, optimiser, batches and early stopping as xb), evaluation
#           and serialisation (metrics on every split, conformal quantiles, as xb
#           does inside its training call), forecast (next horizon weeks of every
#           series, kept in a DataFrame).  "total" is the wall time of that process.
#
# How to read the output:
#   "ratio python/xb" > 1 means the Python route took longer than xb; < 1 means
#   xb was slower.  A second ratio leaves out the start-up of both sides --
#   Python's interpreter start and imports, xb's LOAD into a fresh backend --
#   which a notebook or a pooled connection pays once, not per model.
#   "per epoch" compares the training loops alone: both sides run the same
#   LibTorch (Debian's libtorch 1.13 under xb and under python3-torch) with the
#   same number of intra-op threads, so a difference there is overhead, not maths.
#   The accuracy lines give WAPE and MASE on the test split (last 13 weeks of
#   every series, one 13-week window per series; MASE scaled by the in-sample
#   seasonal-naive error), from xb.model_metrics for xb and computed the same way
#   in Python, beside the seasonal-naive forecast.  The Python network is built
#   to start from xb's initial weights, so on the same LibTorch both sides
#   should report the same epochs and (near) identical accuracy; if they do not,
#   the work differed and the ratio should be read with that in mind.
#
# The throwaway cluster (scripts/cluster.sh) forces JIT for every query for test
# coverage; the benchmark's sessions (psql and psycopg2 alike) set PostgreSQL's
# default JIT costs back through PGOPTIONS, as a production server would have.
#
# Second scale point: BENCH_SYNTH_SERIES synthetic weekly series x 143 weeks
# generated deterministically in SQL (generator and parameters are printed),
# trained for a fixed BENCH_SYNTH_EPOCHS epochs on both sides (equal work,
# bounded time).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
RUNS=${BENCH_RUNS:-3}
SYNTH_SERIES=${BENCH_SYNTH_SERIES:-500}
SYNTH_EPOCHS=${BENCH_SYNTH_EPOCHS:-10}
DATA_DIR=${XB_DATA_DIR:-$REPO/../shared/data}
CSV=$DATA_DIR/walmart_weekly.csv
PY=/usr/bin/python3
BASELINE=$REPO/test/bench/walmart_python_baseline.py
PY_THREADS=""  # intra-op threads for Python: what xb reports using (xb.models.device)
FEATURES="holiday_flag,temperature,fuel_price,cpi,unemployment"

if [[ ! -r $CSV ]]; then
    echo "bench: cannot read $CSV (set XB_DATA_DIR to the folder holding walmart_weekly.csv)" >&2
    exit 1
fi
CSV=$(cd "$(dirname "$CSV")" && pwd)/$(basename "$CSV")

as_root() {
    if [[ $EUID -ne 0 ]] && command -v sudo >/dev/null 2>&1; then sudo "$@"; else "$@"; fi
}

# ------------------------------------------------------------------ setup
if [[ ! -f $(pg_config --pkglibdir)/xb.so || ! -f $(pg_config --sharedir)/extension/xb.control ]]; then
    echo "bench: xb is not installed; building and installing it" >&2
    make -j2 >&2
    as_root make install >&2
fi
if ! "$PY" -c 'import torch, pandas, psycopg2' 2>/dev/null; then
    echo "bench: installing python3-torch python3-pandas python3-psycopg2 (Debian packages)" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3-torch python3-pandas python3-psycopg2 >&2
fi

# shellcheck source-path=SCRIPTDIR/../..
source scripts/cluster.sh
xb_cluster_start || exit 1
WORK=$(mktemp -d /tmp/xb-bench.XXXXXX)
cleanup() {
    xb_cluster_stop
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# PostgreSQL's default JIT thresholds for every benchmark session (see header).
export PGOPTIONS="-c jit_above_cost=100000 -c jit_inline_above_cost=500000 -c jit_optimize_above_cost=500000"

sql() { psql -X -q -v ON_ERROR_STOP=1; }

csv_literal=${CSV//\'/\'\'}
sql >/dev/null <<SQL
CREATE EXTENSION xb;
CREATE TABLE walmart (
    store int, date date, weekly_sales float8, holiday_flag int,
    temperature float8, fuel_price float8, cpi float8, unemployment float8);
\\copy walmart FROM '$csv_literal' WITH (FORMAT csv, HEADER true)
ANALYZE walmart;
SQL

# Synthetic weekly series shaped like the Walmart stores.  Everything random
# comes from random() after setseed(), in a fixed row order (the parameter
# table is read in insertion order, weeks in generate_series order).
SYNTH_SEED=0.42
SYNTH_DESC="synth: $SYNTH_SERIES series x 143 weeks (Fridays from 2010-02-05), setseed($SYNTH_SEED); per series: level U(50k,200k), trend U(-5%,+10%)/year, yearly amplitude U(5%,25%) of level with phase U(-0.5,0.5) rad, holiday uplift U(10%,50%) on ISO weeks 6/36/47/52 (holiday_flag), noise N(0, U(3%,8%) of level); covariates: temperature 60+25 sin(yearly)+N(0,5) F, fuel_price 2.7+0.006 w+N(0,0.05), cpi (170..230)+0.04 w, unemployment (5..10)-0.01 w"
sql >/dev/null <<SQL
SELECT setseed($SYNTH_SEED);
CREATE TABLE synth_params AS
SELECT s AS store,
       50000 + 150000 * random() AS level,
       -0.05 + 0.15 * random()   AS trend,
       0.05 + 0.20 * random()    AS amp,
       random() - 0.5            AS phase,
       0.10 + 0.40 * random()    AS uplift,
       0.03 + 0.05 * random()    AS noise,
       170 + 60 * random()       AS cpi0,
       5 + 5 * random()          AS unemp0
FROM generate_series(1, $SYNTH_SERIES) AS s;
CREATE TABLE synth AS
SELECT store, date,
       level * (1 + trend * w / 52.0) * (1 + amp * sin(2 * pi() * doy / 365.25 + phase))
             * (1 + uplift * holiday) + level * noise * gauss1 AS weekly_sales,
       holiday AS holiday_flag,
       60 + 25 * sin(2 * pi() * (doy - 105) / 365.25) + 5 * gauss2 AS temperature,
       2.7 + 0.006 * w + 0.05 * gauss3 AS fuel_price,
       cpi0 + 0.04 * w AS cpi,
       unemp0 - 0.01 * w AS unemployment
FROM (
    SELECT p.*, w, d AS date, extract(doy FROM d) - 1 AS doy,
           (extract(week FROM d) IN (6, 36, 47, 52))::int AS holiday,
           sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS gauss1,
           sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS gauss2,
           sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS gauss3
    FROM synth_params p
    CROSS JOIN LATERAL generate_series(0, 142) AS w
    CROSS JOIN LATERAL (SELECT (date '2010-02-05' + 7 * w)::date AS d) AS dd
) AS g;
DROP TABLE synth_params;
ANALYZE synth;
SQL

# ------------------------------------------------------------- measuring
# now: seconds since the epoch, sub-microsecond.
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# xb_run NAME TABLE OPTIONS_JSON OUT: one psql session training and forecasting;
# writes key=value lines to OUT.
xb_run() {
    local name=$1 table=$2 opts=$3 out=$4 start end id load_ms train_ms fc_ms
    start=$(now)
    psql -X -A -t -q -v ON_ERROR_STOP=1 >"$out.raw" 2>"$out.err" <<SQL
SET xb.progress_every = 0;
SET xb.threads = ${BENCH_THREADS:-0};
\\timing on
LOAD 'xb';
SELECT xb_train_forecaster('$name', '$table', 'date', 'weekly_sales', ARRAY['store'],
  string_to_array('$FEATURES', ','), 13, 'gru', '$opts');
SELECT count(*) FROM xb_forecast('$name');
SQL
    end=$(now)
    load_ms=$(sed -n 1p "$out.raw" | awk '/^Time:/ { print $2 }')
    id=$(sed -n 2p "$out.raw")
    train_ms=$(sed -n 3p "$out.raw" | awk '/^Time:/ { print $2 }')
    fc_ms=$(sed -n 5p "$out.raw" | awk '/^Time:/ { print $2 }')
    if [[ -z $load_ms || -z $id || -z $train_ms || -z $fc_ms ]]; then
        echo "bench: unexpected psql output:" >&2
        cat "$out.raw" "$out.err" >&2
        exit 1
    fi
    {
        echo "sec_total=$(elapsed "$start" "$end")"
        echo "sec_load=$(awk -v m="$load_ms" 'BEGIN { print m / 1000 }')"
        echo "sec_train_call=$(awk -v m="$train_ms" 'BEGIN { print m / 1000 }')"
        echo "sec_forecast_call=$(awk -v m="$fc_ms" 'BEGIN { print m / 1000 }')"
        echo "forecast_rows=$(sed -n 4p "$out.raw")"
        psql -X -A -t -q -v ON_ERROR_STOP=1 <<SQL
SELECT 'sec_train_seconds=' || train_seconds FROM xb.models WHERE id = $id
UNION ALL SELECT 'device=' || device FROM xb.models WHERE id = $id
UNION ALL SELECT 'epochs=' || count(*) FROM xb.training_log WHERE model_id = $id
UNION ALL SELECT 'sec_fit=' || max(seconds) FROM xb.training_log WHERE model_id = $id
UNION ALL SELECT split || '_' || estimator || '_' || metric || '=' || value
          FROM xb.model_metrics WHERE model_id = $id;
SQL
    } >"$out"
}

# py_run TABLE EXTRA_ARGS OUT
py_run() {
    local table=$1 extra=$2 out=$3 start end
    start=$(now)
    # shellcheck disable=SC2086
    "$PY" "$BASELINE" --table "$table" --features "$FEATURES" --horizon 13 --lookback 13 \
        --val-periods 13 --test-periods 13 --seed 1 --threads "$PY_THREADS" $extra >"$out" 2>"$out.err" || {
        echo "bench: the Python baseline failed:" >&2
        cat "$out.err" >&2
        exit 1
    }
    end=$(now)
    echo "sec_total=$(elapsed "$start" "$end")" >>"$out"
}

# med KEY FILE...: the median of KEY over the files (the upper middle for an even count).
med() {
    local key=$1
    shift
    grep -h "^$key=" "$@" | cut -d= -f2- | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int(NR / 2) + 1]; else print "nan" }'
}
# val KEY FILE: the value of KEY in one file.
val() { grep -h "^$1=" "$2" | head -n 1 | cut -d= -f2-; }
# fmt PRINTF_FORMAT VALUE
fmt() { awk -v f="$1" -v x="$2" 'BEGIN { printf f, x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# bench LABEL KEY TABLE XB_OPTIONS PY_ARGS: RUNS interleaved runs of each side.
bench() {
    local label=$1 key=$2 table=$3 opts=$4 pyargs=$5 i
    for ((i = 1; i <= RUNS; i++)); do
        xb_run "bench_$key" "$table" "$opts" "$WORK/xb_${key}_$i"
        if [[ -z ${PY_THREADS} ]]; then
            PY_THREADS=$(val device "$WORK/xb_${key}_1" | sed -n 's/.*, \([0-9]\+\) threads.*/\1/p')
            PY_THREADS=${PY_THREADS:-0}
        fi
        py_run "$table" "$pyargs" "$WORK/py_${key}_$i"
        printf '  %s run %d/%d: xb %.1f s, python %.1f s\n' "$label" "$i" "$RUNS" \
            "$(val sec_total "$WORK/xb_${key}_$i")" "$(val sec_total "$WORK/py_${key}_$i")" >&2
    done
}

# report LABEL KEY: the summary lines of one scale point.
report() {
    local label=$1 key=$2 i
    local -a x=() p=()
    for ((i = 1; i <= RUNS; i++)); do
        x+=("$WORK/xb_${key}_$i")
        p+=("$WORK/py_${key}_$i")
    done
    local xt pt pimp pnoimp xep pep xnoload
    xt=$(med sec_total "${x[@]}")
    pt=$(med sec_total "${p[@]}")
    # interpreter start + imports: everything outside the measured phases.
    for f in "${p[@]}"; do
        echo "sec_startup_imports=$(awk -v t="$(val sec_total "$f")" -v a="$(val sec_export "$f")" \
            -v b="$(val sec_preprocess "$f")" -v c="$(val sec_train "$f")" -v d="$(val sec_evaluate "$f")" \
            -v e="$(val sec_forecast "$f")" 'BEGIN { print t - a - b - c - d - e }')" >>"$f"
        echo "sec_without_imports=$(awk -v t="$(val sec_total "$f")" -v s="$(val sec_startup_imports "$f")" \
            'BEGIN { print t - s }')" >>"$f"
        echo "sec_per_epoch=$(awk -v t="$(val sec_train "$f")" -v e="$(val epochs "$f")" 'BEGIN { print t / e }')" >>"$f"
    done
    for f in "${x[@]}"; do
        echo "sec_per_epoch=$(awk -v t="$(val sec_fit "$f")" -v e="$(val epochs "$f")" 'BEGIN { print t / e }')" >>"$f"
    done
    pimp=$(med sec_startup_imports "${p[@]}")
    pnoimp=$(med sec_without_imports "${p[@]}")
    xep=$(med sec_per_epoch "${x[@]}")
    pep=$(med sec_per_epoch "${p[@]}")

    printf 'train+forecast, %s: xb %s s, python (export + pandas + torch) %s s, ratio python/xb = %sx\n' \
        "$label" "$(fmt %.2f "$xt")" "$(fmt %.2f "$pt")" "$(ratio "$pt" "$xt")"
    xnoload=$(awk -v t="$xt" -v l="$(med sec_load "${x[@]}")" 'BEGIN { print t - l }')
    printf '  without start-up (python interpreter + imports %s s, xb LOAD %s s): xb %s s, python %s s, ratio python/xb = %sx\n' \
        "$(fmt %.2f "$pimp")" "$(fmt %.2f "$(med sec_load "${x[@]}")")" "$(fmt %.2f "$xnoload")" \
        "$(fmt %.2f "$pnoimp")" "$(ratio "$pnoimp" "$xnoload")"
    printf '  training loop per epoch: xb %s s, python %s s, ratio python/xb = %sx\n' \
        "$(fmt %.3f "$xep")" "$(fmt %.3f "$pep")" "$(ratio "$pep" "$xep")"
    printf '  xb breakdown:     loading xb.so + LibTorch into the backend %s s, train call %s s (of which core train_seconds %s s, fit loop %s s, %s epochs), forecast call %s s (%s rows), psql session total %s s\n' \
        "$(fmt %.2f "$(med sec_load "${x[@]}")")" \
        "$(fmt %.2f "$(med sec_train_call "${x[@]}")")" "$(fmt %.2f "$(med sec_train_seconds "${x[@]}")")" \
        "$(fmt %.2f "$(med sec_fit "${x[@]}")")" "$(med epochs "${x[@]}")" \
        "$(fmt %.3f "$(med sec_forecast_call "${x[@]}")")" "$(med forecast_rows "${x[@]}")" "$(fmt %.2f "$xt")"
    printf '  python breakdown: startup+imports %s s (imports alone %s s), export %s s, preprocessing %s s, training %s s (%s epochs), evaluation+save %s s, forecast %s s (%s rows), process total %s s\n' \
        "$(fmt %.2f "$pimp")" "$(fmt %.2f "$(med sec_imports "${p[@]}")")" \
        "$(fmt %.3f "$(med sec_export "${p[@]}")")" "$(fmt %.3f "$(med sec_preprocess "${p[@]}")")" \
        "$(fmt %.2f "$(med sec_train "${p[@]}")")" "$(med epochs "${p[@]}")" \
        "$(fmt %.3f "$(med sec_evaluate "${p[@]}")")" "$(fmt %.3f "$(med sec_forecast "${p[@]}")")" \
        "$(med forecast_rows "${p[@]}")" "$(fmt %.2f "$pt")"
    printf '  accuracy, test split: xb WAPE %s MASE %s | python WAPE %s MASE %s | seasonal naive WAPE %s MASE %s\n' \
        "$(fmt %.4f "$(med test_model_wape "${x[@]}")")" "$(fmt %.4f "$(med test_model_mase "${x[@]}")")" \
        "$(fmt %.4f "$(med test_model_wape "${p[@]}")")" "$(fmt %.4f "$(med test_model_mase "${p[@]}")")" \
        "$(fmt %.4f "$(med test_seasonal_naive_wape "${x[@]}")")" \
        "$(fmt %.4f "$(med test_seasonal_naive_mase "${x[@]}")")"
    # Both sides prepare the data the same way when their seasonal-naive
    # baselines agree; both train the same model when their epochs agree.
    local m
    for m in test_seasonal_naive_wape test_seasonal_naive_mase; do
        if ! awk -v a="$(med "$m" "${x[@]}")" -v b="$(med "$m" "${p[@]}")" \
            'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * (a < 0 ? -a : a)) }'; then
            printf '  note: %s differs: xb %s, python %s -- the two sides did not prepare the same data\n' \
                "$m" "$(med "$m" "${x[@]}")" "$(med "$m" "${p[@]}")"
        fi
    done
    if [[ $(med epochs "${x[@]}") != "$(med epochs "${p[@]}")" ]]; then
        printf '  note: the sides trained for different numbers of epochs (xb %s, python %s): compare per epoch\n' \
            "$(med epochs "${x[@]}")" "$(med epochs "${p[@]}")"
    fi
    # Runs of one side should agree exactly (same data, seed and LibTorch).
    local side files spread
    for side in xb python; do
        if [[ $side == xb ]]; then files=("${x[@]}"); else files=("${p[@]}"); fi
        spread=$(grep -h '^test_model_wape=' "${files[@]}" | sort -u | wc -l)
        if [[ $spread -gt 1 ]]; then
            printf '  note: %s test WAPE differed between runs: %s\n' "$side" \
                "$(grep -h '^test_model_wape=' "${files[@]}" | cut -d= -f2 | tr '\n' ' ')"
        fi
    done
    printf '  runs (total s): xb %s| python %s\n' \
        "$(for f in "${x[@]}"; do fmt '%.2f ' "$(val sec_total "$f")"; done)" \
        "$(for f in "${p[@]}"; do fmt '%.2f ' "$(val sec_total "$f")"; done)"
}

WALMART_OPTS='{"val_periods":13,"test_periods":13,"lookback":13,"seed":1}'
SYNTH_OPTS="{\"val_periods\":13,\"test_periods\":13,\"lookback\":13,\"seed\":1,\"epochs\":$SYNTH_EPOCHS}"

echo "bench: walmart, $RUNS runs per side" >&2
bench "walmart" walmart walmart "$WALMART_OPTS" ""
echo "bench: $SYNTH_SERIES synthetic series, $RUNS runs per side" >&2
bench "synth" synth synth "$SYNTH_OPTS" "--epochs $SYNTH_EPOCHS"

x1=$WORK/xb_walmart_1
p1=$WORK/py_walmart_1
echo
echo "== xb in the database vs. export to Python: train + forecast, median of $RUNS sequential runs per side =="
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs; PostgreSQL $(pg_config --version | awk '{ print $2 }')"
echo "xb: $(val device "$x1"); python: torch $(val torch_version "$p1") with $(val threads "$p1") intra-op threads, 1 inter-op thread ($("$PY" -c 'import pandas, numpy; print("pandas", pandas.__version__, "numpy", numpy.__version__)'))"
echo "model: GRU hidden 64 x 1 layer + MLP decoder, lookback 13, horizon 13, validation 13 + test 13 weeks, Adam lr 0.001, batch 64, dropout 0.1, seed 1, seasonal channels (lag 52)"
echo
report "45 stores x 143 weeks (6,435 rows), GRU, up to 100 epochs with early stopping (patience 10)" walmart
echo
report "$SYNTH_SERIES synthetic series x 143 weeks ($(val rows "$WORK/py_synth_1") rows), GRU, fixed $SYNTH_EPOCHS epochs" synth
echo "  generator: $SYNTH_DESC"
