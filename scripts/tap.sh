# SPDX-License-Identifier: GPL-2.0
# TAP-style result lines and the closing "N passed, N failed" line. With a
# results directory (scripts/results.sh) they also go to $RESULTS/tap.txt.

TAP_N=0 TAP_PASS=0 TAP_FAIL=0 TAP_SKIP=0

tap_emit() {
	echo "$*"
	[[ -z ${RESULTS:-} ]] || echo "$*" >>"$RESULTS/tap.txt"
}
tap_ok() { TAP_N=$((TAP_N + 1)); TAP_PASS=$((TAP_PASS + 1)); tap_emit "ok $TAP_N - $*"; }
tap_not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAIL=$((TAP_FAIL + 1)); tap_emit "not ok $TAP_N - $*"; }
tap_skip() { TAP_N=$((TAP_N + 1)); TAP_SKIP=$((TAP_SKIP + 1)); tap_emit "ok $TAP_N - $1 # SKIP $2"; }
# tap_result 1|0 description
tap_result() { if (($1)); then tap_ok "${*:2}"; else tap_not_ok "${*:2}"; fi; }

# The closing line; exit status 1 if anything failed.
tap_summary() {
	((TAP_SKIP == 0)) || tap_emit "# $TAP_SKIP skipped (not counted as passed)"
	tap_emit "$TAP_PASS passed, $TAP_FAIL failed"
	((TAP_FAIL == 0))
}
