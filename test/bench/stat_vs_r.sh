#!/usr/bin/env bash
# xb's statistical members vs R's forecast package on the Walmart hold-out
# (45 stores, train weeks 1-130, h = 13, m = 52) plus xb's throughput.
# Needs g++ (C++17) and Rscript with the forecast package
# (apt-get install r-cran-forecast). Builds outside the source tree.
#   test/bench/stat_vs_r.sh [--series N]     (default 10000 synthetic series)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${XB_DATA_DIR:-$root/../shared/data}/walmart_weekly.csv"
build="${BUILD_DIR:-/tmp/xbstat}"
mkdir -p "$build"
src="$root/src/core/forecast"
g++ -std=c++17 -O2 -I"$root/src" -o "$build/stat_members_bench" "$root/test/bench/stat_members_bench.cpp" \
  "$src/ets.cpp" "$src/stl.cpp" "$src/theta.cpp" "$src/naive.cpp" "$src/croston.cpp"
echo "R: $(Rscript -e 'cat(R.version.string, "/ forecast", as.character(packageVersion("forecast")))' 2>/dev/null)"
Rscript "$root/test/bench/stat_reference.R" bench "$data" "$build/r_forecasts.csv" \
  > "$build/r_times.txt" 2> "$build/r_stderr.txt"
"$build/stat_members_bench" "$data" "$build/r_forecasts.csv" "$build/r_times.txt" "$@"
