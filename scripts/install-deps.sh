#!/usr/bin/env bash
# Install the Debian packages listed in deps/debian-packages.txt that are not
# installed yet, and select the OpenMP build of OpenBLAS as the system BLAS and
# LAPACK (LibTorch's CPU kernels run about 3x faster with it for xb's models).
#
# Needs root only when something has to change; otherwise it just checks.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIST=$REPO/deps/debian-packages.txt

# The package names: comments and blank lines dropped.
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$LIST" | grep -v '^$')

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $EUID -ne 0 ]]; then
        echo "install-deps: missing Debian packages: ${missing[*]}" >&2
        echo "install-deps: run as root (sudo $0) or: apt-get install --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
    echo "install-deps: all ${#packages[@]} packages from deps/debian-packages.txt are installed"
fi

# libblas.so.3 / liblapack.so.3 -> openblas-openmp.  The alternative names
# carry the multiarch triplet (libblas.so.3-x86_64-linux-gnu).
for lib in libblas.so.3 liblapack.so.3; do
    while read -r name; do
        want=$(update-alternatives --list "$name" 2>/dev/null | grep '/openblas-openmp/' | head -n 1 || true)
        [[ -n $want ]] || continue
        have=$(update-alternatives --query "$name" | sed -n 's/^Value: //p')
        [[ $have == "$want" ]] && continue
        if [[ $EUID -eq 0 ]]; then
            update-alternatives --set "$name" "$want"
        else
            echo "install-deps: warning: $name points to $have; as root run: update-alternatives --set $name $want" >&2
        fi
    done < <(update-alternatives --get-selections | awk -v lib="$lib" 'index($1, lib "-") == 1 { print $1 }')
done
