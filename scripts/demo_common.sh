# shellcheck shell=bash
# What the demos share: the data check, the throwaway cluster, the timed
# phases and the build/install/start steps.  A demo sources this file, then:
#
#   demo_data demo_dress dress_attributes.csv dress_sales.csv   # or exit
#   ... its own functions, using sql and $DATA_DIR ...
#   demo_setup                  # phases deps, build, install, cluster
#   phase load load             # its own phases
#   demo_timings
#
# Sourcing cds to the repository root, sources scripts/cluster.sh and stops the
# cluster on exit.  Environment: XB_DATA_DIR (default: <repo>/../shared/data),
# XB_KEEP_CLUSTER=1 keeps the cluster directory afterwards.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1

# demo_data NAME FILE...: exit unless each FILE is readable in the data
# directory; sets DATA_DIR to it as an absolute path.
demo_data() {
    local name=$1 f
    shift
    DATA_DIR=${XB_DATA_DIR:-$REPO/../shared/data}
    for f in "$@"; do
        if [[ ! -r $DATA_DIR/$f ]]; then
            echo "$name: cannot read $DATA_DIR/$f (set XB_DATA_DIR to the folder holding $f)" >&2
            exit 1
        fi
    done
    DATA_DIR=$(cd "$DATA_DIR" && pwd)
}

# shellcheck source-path=SCRIPTDIR/..
source scripts/cluster.sh
trap xb_cluster_stop EXIT
trap 'exit 130' INT TERM

PHASES=()
TIMES=()
# phase NAME COMMAND...: run a command and remember how long it took.
phase() {
    local name=$1 start
    shift
    printf '\n===== %s =====\n' "$name"
    start=$EPOCHREALTIME
    "$@"
    PHASES+=("$name")
    TIMES+=("$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')")
}

as_root() {
    if [[ $EUID -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        "$@"
    fi
}

sql() {
    psql -X -v ON_ERROR_STOP=1 "$@"
}

# The extension built, installed, and a fresh cluster running.
demo_setup() {
    phase deps scripts/install-deps.sh
    phase build make -j2
    phase install as_root make install
    phase cluster xb_cluster_start
}

demo_timings() {
    printf '\n===== timings (seconds) =====\n'
    local i
    for i in "${!PHASES[@]}"; do
        printf '%-10s %8s\n' "${PHASES[$i]}" "${TIMES[$i]}"
    done
}
