# shellcheck shell=bash
# TAP for the shell suites (source it): tap STATUS DESCRIPTION [DETAIL]
# prints "ok N - DESCRIPTION" when STATUS is 0, else "not ok N - ..." with
# DETAIL as "# " lines; TAP_FAILED counts the failures.
TAP_N=0
TAP_FAILED=0

tap() {
    TAP_N=$((TAP_N + 1))
    if [[ $1 == 0 ]]; then
        echo "ok $TAP_N - $2"
    else
        TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_N - $2"
        [[ -n ${3:-} ]] && sed 's/^/# /' <<<"$3"
    fi
    return 0
}
