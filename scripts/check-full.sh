#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-full: the reliability runs on -smp 4 s390 guests.
# - The kernel's mm selftests on v7.3 and on the series, each on our QEMU
#   (the batched path) and on Debian's (no IPTE-range facility); then on the
#   series' debug kernel (KASAN, lockdep, DEBUG_VM, DEBUG_PAGEALLOC with
#   debug_pagealloc=on, PAGE_TABLE_CHECK enforced, KFENCE) on our QEMU. A test must
#   pass with the series wherever it passes on v7.3 on the same QEMU.
# - Our stress (guest/stress.c) with the vmalloc module and CPU hotplug, on
#   the same kernels: no data mismatch, no kernel report.
# Prints TAP lines and ends with "N passed, N failed"; writes them and
# results.md (test x kernel x QEMU) to results/<date>-<commit>/check-full/. CHECK_FULL_REPORT=1 only
# evaluates the consoles of the last run again.
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/tap.sh"
. "$REPO/scripts/qemu.sh"
. "$REPO/scripts/guest.sh"
. "$REPO/scripts/selftests.sh"
. "$REPO/scripts/reliability.sh"

STRESS_SECONDS=${STRESS_SECONDS:-120}
t0=$SECONDS
results_begin check-full

# The runs: "KERNEL-NAME QEMU"; the debug kernel boots with
# debug_pagealloc=on, and with kasan_multi_shot so that one KASAN report does
# not hide the next.
RUNS=("v7.3 ours" "v7.3 stock" "series ours" "series stock" "series-debug ours")
STRESS_RUNS=("v7.3 ours" "series ours" "series stock" "series-debug ours")
declare -A APPEND=([v7.3]="" [series]="" [series-debug]="debug_pagealloc=on kasan_multi_shot")
# Selftests the debug kernel cannot pass, and why.
declare -A DEBUG_NOT_RUN=(
	[pfnmap]="maps RAM through /dev/mem, which the debug kernel's STRICT_DEVMEM (needed by PAGE_TABLE_CHECK) refuses"
)
# The v7.3 run that a run of the series is held against.
declare -A BASELINE=([series ours]="v7.3 ours" [series stock]="v7.3 stock"
		     [series-debug ours]="v7.3 ours")

# Build the kernels, boot every run (two at a time).
check_full_boots() {
	local head k_base k_series k_debug run name qemu boots=()
	ensure_deps
	ensure_base
	ensure_qemu
	rm -rf "$REL"
	mkdir -p "$REL"

	head=$(apply_series $(series)) || die "the series does not apply"
	checkout_src "$head"
	tests=$(build_mm_selftests) || die "the mm selftests do not build"
	REL_SELFTESTS_INITRD=$(build_mm_selftests_initramfs "$tests")

	k_base=$(rel_kernel v7.3 "$BASE_TAG")
	k_series=$(rel_kernel series "$head")
	k_debug=$(rel_kernel series-debug "$head" "$REPO/config/debug.config")
	for k in "$k_base" "$k_series" "$k_debug"; do
		[[ -f $k ]] || die "a kernel of check-full did not build"
	done
	log "kernels built after $((SECONDS - t0)) s"

	local -A KERNEL=([v7.3]=$k_base [series]=$k_series [series-debug]=$k_debug)
	for run in "${RUNS[@]}"; do
		read -r name qemu <<<"$run"
		boots+=("rel_selftests $name ${KERNEL[$name]} $qemu '${APPEND[$name]}'")
	done
	for run in "${STRESS_RUNS[@]}"; do
		read -r name qemu <<<"$run"
		boots+=("rel_stress $name ${KERNEL[$name]} $qemu $STRESS_SECONDS '${APPEND[$name]}'")
	done
	rel_parallel "${boots[@]}"
	log "boots done after $((SECONDS - t0)) s"
}

results_step boots
[[ -n ${CHECK_FULL_REPORT:-} ]] || check_full_boots
results_step report

declare -A RESULT SECS
for run in "${RUNS[@]}"; do
	read -r name qemu <<<"$run"
	rel_selftests_tap "$name" "$qemu"
	while read -r t res s; do
		RESULT[$run/$t]=$res SECS[$run/$t]=$s
	done < <(rel_selftest_results "$REL/selftests-$name-$qemu.console")
done

mapfile -t TESTS < <(rel_selftest_results "$REL/selftests-v7.3-ours.console" | cut -d' ' -f1)
for run in "series ours" "series stock" "series-debug ours"; do
	base=${BASELINE[$run]}
	for t in "${TESTS[@]}"; do
		b=${RESULT[$base/$t]:-missing} r=${RESULT[$run/$t]:-missing}
		if [[ $run == series-debug* && -n ${DEBUG_NOT_RUN[$t]:-} ]]; then
			tap_skip "selftest $t on ${run/ //}: $r" "${DEBUG_NOT_RUN[$t]}"
		elif [[ $b == pass && $r == timeout && $run == series-debug* ]]; then
			# KASAN, lockdep and debug_pagealloc slow the guest down
			# several times; held against a kernel without them, a
			# timeout is no verdict
			tap_skip "selftest $t on ${run/ //}: timeout" \
				"the debug kernel ran past the limit (${base/ //}: pass in ${SECS[$base/$t]} s)"
		elif [[ $b == pass ]]; then
			tap_result $([[ $r == pass ]] && echo 1 || echo 0) \
				"selftest $t on ${run/ //}: $r (${base/ //}: pass)"
		else
			tap_skip "selftest $t on ${run/ //}: $r" "${base/ //} does not pass it either ($b)"
		fi
	done
done

for run in "${STRESS_RUNS[@]}"; do
	rel_stress_tap $run
done

# page_table_check is the only page_ext user of the debug kernel: its
# boot allocates page_ext only if the check is on.
for logf in "$REL"/{selftests,stress}-series-debug-ours.console; do
	tap_result "$(grep -aqE 'allocated [0-9]+ bytes of page_ext' "$logf" && echo 1 || echo 0)" \
		"debug kernel: page_table_check on in $(basename "$logf") (page_ext allocated at boot)"
done

{
	echo "| mm selftest |$(printf ' %s |' "${RUNS[@]/ //}")"
	echo "| --- |$(printf ' --- |%.0s' "${RUNS[@]}")"
	for t in "${TESTS[@]}"; do
		printf '| %s |' "$t"
		for run in "${RUNS[@]}"; do
			printf ' %s (%s s) |' "${RESULT[$run/$t]:-missing}" "${SECS[$run/$t]:-?}"
		done
		echo
	done
	echo
	echo "| stress ($STRESS_SECONDS s) | summary | vmalloc module | kernel reports |"
	echo "| --- | --- | --- | --- |"
	for run in "${STRESS_RUNS[@]}"; do
		read -r name qemu <<<"$run"
		logf=$REL/stress-$name-$qemu.console
		printf '| %s | %s | %s | %s |\n' "$name/$qemu" \
			"$(tr -d '\r' <"$logf" | grep -a '^stress: done' | tail -1 | sed 's/^stress: done //')" \
			"$(tr -d '\r' <"$logf" | grep -a 'stress_vmalloc: done' | tail -1 | sed 's/.*stress_vmalloc: done //')" \
			"$(rel_console_problems "$logf" | wc -l)"
	done
} >"$REL/results.md"
cp "$REL/results.md" "$RESULTS/"
log "check-full took $((SECONDS - t0)) s"
tap_summary
