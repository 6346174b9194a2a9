#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Line coverage of arch/s390/mm/ipte_batch.c by its KUnit suite. A kernel
# with gcov for that object alone runs the s390 KUnit suites at boot on our
# QEMU (IPTE-range facility on, 2 CPUs); its init (guest/gcov-dump.c) prints
# the .gcda in hex on the console; gcov on the host counts the lines.
# Sourced by check.sh (coverage_run prints a TAP line); run alone by
# `make coverage`.

COVERAGE_TARGET=90	# per cent of the lines of ipte_batch.c

coverage_run() {
	local build initrd logf=$OUT/coverage-boot.log gcda report pct
	build=$(KBUILD_VARS=GCOV_PROFILE_ipte_batch.o=y build_s390_kernel \
		coverage-s390 "$SERIES_HEAD" "$REPO/config/s390-demo.config" \
		"$REPO/config/coverage.config") || {
		tap_not_ok "coverage: the gcov kernel builds"
		return
	}
	initrd=$(build_initramfs gcov-dump)
	log "booting the gcov kernel (console: out/coverage-boot.log)"
	boot_s390 "$logf" "$build/arch/s390/boot/bzImage" "$initrd" "" \
		"$QEMU_OURS" -cpu max -smp 2 -accel tcg,thread=single
	gcda=$build/arch/s390/mm/ipte_batch.gcda
	rm -f "$gcda"
	sed -n 's/^gcov: \([0-9a-f]*\)\r*$/\1/p' "$logf" | xxd -r -p >"$gcda"
	if ! grep -aq '^gcov: end' "$logf" || [[ ! -s $gcda ]]; then
		grep -a '^gcov:' "$logf" | head -3 | sed 's/^/# /'
		tap_not_ok "coverage: the guest hands over the gcov data (see out/coverage-boot.log)"
		return
	fi
	# grep the file itself: behind a pipe, grep -q's early exit would make
	# the writer die of SIGPIPE, which pipefail turns into a failure
	grep -aqE $'^ok [0-9]+ s390_ipte_batch\r?$' "$logf" ||
		tap_not_ok "coverage: s390_ipte_batch passed in the gcov kernel"
	report=$(cd "$build" && s390x-linux-gnu-gcov -n -o arch/s390/mm \
		"$SRC/arch/s390/mm/ipte_batch.c" 2>&1)
	pct=$(awk '/^File .*\/arch\/s390\/mm\/ipte_batch.c/ { f = 1; next }
		   f && /^Lines executed:/ { sub(/^Lines executed:/, ""); print; exit }' \
		<<<"$report")
	echo "$report" >"$OUT/coverage-gcov.txt"
	if [[ -z $pct ]]; then
		tap_not_ok "coverage: gcov reads the data (see out/coverage-gcov.txt)"
	elif awk -v p="${pct%%%*}" -v t=$COVERAGE_TARGET 'BEGIN { exit !(p >= t) }'; then
		tap_ok "coverage of arch/s390/mm/ipte_batch.c by its KUnit suite: $pct lines (target ${COVERAGE_TARGET}%)"
	else
		tap_not_ok "coverage of arch/s390/mm/ipte_batch.c by its KUnit suite: $pct lines (target ${COVERAGE_TARGET}%)"
	fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	. "$(dirname "$0")/lib.sh"
	. "$REPO/scripts/tap.sh"
	. "$REPO/scripts/qemu.sh"
	. "$REPO/scripts/guest.sh"
	results_begin coverage
	ensure_deps
	ensure_base
	SERIES_HEAD=$(apply_series $(series)) || die "the series does not apply"
	ensure_qemu
	coverage_run
	tap_summary
fi
