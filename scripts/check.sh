#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: apply the series to a pristine base, check its style and
# kernel-doc, build our QEMU and run the bare-metal IPTE test on it, run the
# series' KUnit suites on x86_64 and s390 under QEMU (s390 on our QEMU and on
# Debian's), measure the line coverage of ipte_batch.c by its suite, and
# run the smoke subset of make check-full (a few mm selftests and a short
# stress with CPU hotplug on the series, on our QEMU, -smp 4).
# Prints one TAP line per check and ends with "N passed, N failed"; the
# lines also go to results/<date>-<commit>/check/tap.txt.
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/tap.sh"
. "$REPO/scripts/qemu.sh"
. "$REPO/scripts/ipte-test.sh"
. "$REPO/scripts/kunit.sh"
. "$REPO/scripts/guest.sh"
. "$REPO/scripts/coverage.sh"
. "$REPO/scripts/selftests.sh"
. "$REPO/scripts/reliability.sh"
. "$REPO/scripts/workbench-checks.sh"

results_begin check
ensure_deps
ensure_base
mkdir -p "$OUT"

build_dir_guard_check
tree_lock_check
pinned_base_check
figures_check

results_step apply
log "applying the series to $BASE_TAG"
if head=$(apply_series $(series)); then
	tap_ok "series applies to $BASE_TAG with git am (no reject, no fuzz)"
else
	tap_not_ok "series applies to $BASE_TAG with git am (no reject, no fuzz)"
	tap_summary
	exit 1
fi
checkout_src "$head"
config_drop_check

results_step checkpatch
log "checkpatch --strict"
for p in $(series); do
	res=$(cd "$SRC" && scripts/checkpatch.pl --strict --no-color --show-types "$p" 2>&1 || true)
	sum=$(echo "$res" | grep -E '^total: ' | tail -1)
	nerr=$(echo "$sum" | sed -n 's/^total: \([0-9]*\) errors.*/\1/p')
	[[ -n $nerr ]] || nerr=1
	echo "$res" | grep -E '^(ERROR|WARNING|CHECK):' | sed 's/^/# /' || true
	tap_result $((nerr == 0)) "checkpatch --strict $(basename "$p") (${sum#total: })"
done

# kernel-doc: the files of the series that carry kernel-doc comments must
# not gain warnings over the base.
kdoc_warnings() {
	(cd "$SRC" && scripts/kernel-doc -none -Wall "$1" 2>&1 | grep -ci 'warning\|error') || true
}

results_step kernel-doc
log "kernel-doc"
for f in $(git -C "$SRC" diff --name-only "$BASE_TAG" HEAD -- '*.c' '*.h'); do
	grep -q '^/\*\*' "$SRC/$f" || continue
	after=$(kdoc_warnings "$f")
	before=0
	if git -C "$SRC" cat-file -e "$BASE_TAG:$f" 2>/dev/null; then
		git -C "$SRC" show "$BASE_TAG:$f" >"$OUT/kernel-doc-base.${f##*.}"
		before=$(kdoc_warnings "$OUT/kernel-doc-base.${f##*.}")
	fi
	tap_result $((after <= before)) "kernel-doc $f ($after warnings, $before in $BASE_TAG)"
done
rm -f "$OUT"/kernel-doc-base.*

results_step qemu
log "building our QEMU (log: $QEMU_DIR/build.log)"
if (ensure_qemu); then
	tap_ok "our QEMU (qemu/patches on Debian's QEMU 7.2) and the IPTE plugin build"
	ipte_test_run
else
	tap_not_ok "our QEMU (qemu/patches on Debian's QEMU 7.2) and the IPTE plugin build"
fi

results_step kunit-x86_64
kunit_run x86_64
results_step kunit-s390
kunit_run s390
results_step kunit-s390-stock
kunit_run s390 stock
results_step kunit-s390-kasan
kunit_run s390 kasan
SERIES_HEAD=$head
results_step coverage
coverage_run
results_step smoke
rel_smoke

tap_summary
