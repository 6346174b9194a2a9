# SPDX-License-Identifier: GPL-2.0
# Reliability runs on SMP s390 guests: the kernel's mm selftests
# (scripts/selftests.sh, guest/selftests.c) and our data-checking stress
# (guest/stress.c, with the vmalloc module of guest/stress-module), on v7.3
# and on the series, on our QEMU (IPTE-range facility: the batched path)
# and on Debian's (no facility: the v7.3 path), and on a debug kernel.
# Sourced after lib.sh, tap.sh, qemu.sh, guest.sh and selftests.sh, by
# check-full.sh (everything) and check.sh (the smoke subset).

REL=$OUT/reliability
REL_SMP=${REL_SMP:-4}
REL_MEM=4096		# MiB; mremap_test maps 2 GiB at once
REL_CONFIG=("$REPO/config/s390-demo.config" "$REPO/config/selftests.config"
	    "$REPO/config/reliability.config")

# rel_kernel NAME COMMIT [FRAGMENT...]: build the kernel NAME of COMMIT with
# REL_CONFIG and the FRAGMENTs, the stress module for it, and the stress
# guest's initramfs with that module, $REL/stress-NAME.cpio; prints the
# kernel's path.
rel_kernel() {
	local name=$1 commit=$2 build mod=$REL/module-$1
	build=$(build_s390_kernel "rel-$name" "$commit" "${REL_CONFIG[@]}" "${@:3}") || return
	build_module "$build" "$REPO/guest/stress-module" "$mod" || return
	cp "$(build_initramfs stress "$mod/stress_vmalloc.ko")" "$REL/stress-$name.cpio"
	echo "$build/arch/s390/boot/bzImage"
}

# rel_parallel COMMAND...: run each COMMAND (a string) in the background,
# REL_JOBS (default 2) at a time.
rel_parallel() {
	local c
	for c in "$@"; do
		while (($(jobs -rp | wc -l) >= ${REL_JOBS:-2})); do
			wait -n || true
		done
		eval "$c" &
	done
	wait
}

# rel_boot LOG KERNEL INITRAMFS QEMU APPEND: boot on our QEMU (QEMU=ours)
# or Debian's (stock), -smp REL_SMP, with multi-threaded TCG (REL_TCG=multi,
# the default: the vCPUs really run at the same time) or single-threaded
# TCG (REL_TCG=single). Debian's QEMU 7.2 can deadlock with thread=multi
# when a SIGP (CPU online, or CPU stop at power-off) meets an IPTE on
# another vCPU; qemu/patches/0006 fixes that in ours (scripts/sigp-deadlock.sh
# reproduces it), so Debian's always runs single-threaded.
rel_boot() {
	local logf=$1 kernel=$2 initrd=$3 qemu=$4 append=$5 cmd=("$QEMU_OURS")
	local tcg=${REL_TCG:-multi}
	[[ $qemu == stock ]] && cmd=(qemu-system-s390x) tcg=single
	log "booting $(basename "$logf" .console) on $qemu QEMU, -smp $REL_SMP, thread=$tcg (console: ${logf#"$REPO"/})"
	without_lock watch_console "$logf" '^\(selftest\|stress\): ' \
		"$(basename "$logf" .console): lines of results" >/dev/null &
	local watch=$!
	BOOT_MEM=$REL_MEM BOOT_TIMEOUT=${BOOT_TIMEOUT:-3600} boot_s390 "$logf" \
		"$kernel" "$initrd" "$append" \
		"${cmd[@]}" -cpu max -smp "$REL_SMP" -accel "tcg,thread=$tcg" ${REL_QEMU_ARGS:-}
	stop_watch "$watch"
}

# rel_console_problems LOG: print the kernel's reports of trouble in LOG
# (warnings, BUGs, oopses, KASAN, lockdep, page_table_check, RCU stalls...).
rel_console_problems() {
	tr -d '\r' <"$1" | grep -aE \
		'WARNING:|BUG:|BUG |Oops|Kernel panic|KASAN:|KFENCE:|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|rcu_.*stall|soft lockup|hung_task|page_table_check|Bad page|bad pte|IPTE batch:' |
		grep -avE '^(selftest|stress)' | head -20 || true
}

# rel_console_tap LOG WHAT: one TAP line: LOG has no kernel report.
rel_console_tap() {
	local problems
	problems=$(rel_console_problems "$1")
	[[ -z $problems ]] || sed 's/^/# /' <<<"$problems"
	tap_result $((${#problems} == 0)) "$2: no kernel warning, BUG, KASAN or lockdep report (${1#"$REPO"/})"
}

# rel_selftests NAME KERNEL QEMU [APPEND]: the mm selftests in one boot;
# the console goes to $REL/selftests-NAME-QEMU.console.
rel_selftests() {
	local name=$1 kernel=$2 qemu=$3 append=${4:-}
	rel_boot "$REL/selftests-$name-$qemu.console" "$kernel" "$REL_SELFTESTS_INITRD" \
		"$qemu" "selftest_timeout=${SELFTEST_TIMEOUT:-120} $append"
}

# rel_selftests_tap NAME QEMU: TAP lines for the boot of rel_selftests.
rel_selftests_tap() {
	local logf=$REL/selftests-$1-$2.console
	tap_result $(grep -aq '^selftest: done' "$logf" && echo 1 || echo 0) \
		"selftests $1/$2: the guest ran every test to the end"
	rel_console_tap "$logf" "selftests $1/$2"
}

# rel_selftest_results LOG: "NAME RESULT SECONDS" per run of LOG.
rel_selftest_results() {
	tr -d '\r' <"$1" | sed -n 's/^selftest: \([^ ]*\) \(pass\|fail\|skip\|timeout\) [0-9]* \([0-9.]*\)$/\1 \2 \3/p'
}

# rel_stress NAME KERNEL QEMU SECONDS [APPEND]: the stress in one boot,
# with the initramfs of rel_kernel NAME and a fresh ext2 file system on a
# virtio disk for its writeback check; the console goes to
# $REL/stress-NAME-QEMU.console.
rel_stress() {
	local name=$1 kernel=$2 qemu=$3 secs=$4 append=${5:-}
	local disk=$REL/stress-$name-$qemu.ext2
	rm -f "$disk"
	truncate -s 64M "$disk"
	mke2fs -q -F -t ext2 "$disk" || die "mke2fs of $disk failed"
	REL_QEMU_ARGS="-drive file=$disk,format=raw,if=none,id=wb -device virtio-blk-ccw,drive=wb" \
		rel_boot "$REL/stress-$name-$qemu.console" "$kernel" "$REL/stress-$name.cpio" \
		"$qemu" "stress_seconds=$secs stress_disk=1 $append"
	rm -f "$disk"
}

# rel_stress_tap NAME QEMU: TAP lines for the boot of rel_stress.
rel_stress_tap() {
	local logf=$REL/stress-$1-$2.console done fs
	done=$(tr -d '\r' <"$logf" | grep -a '^stress: done' | tail -1 || true)
	tr -d '\r' <"$logf" | grep -a '^stress: FAIL' | head -5 | sed 's/^/# /' || true
	tap_result $([[ $done == *" failures=0 "* ]] && echo 1 || echo 0) \
		"stress $1/$2: ${done:-no summary line}"
	tap_result $([[ $done =~ hotplug=[1-9] ]] && echo 1 || echo 0) \
		"stress $1/$2: CPUs went offline and online during the run"
	for fs in tmpfs ext2; do
		done=$(tr -d '\r' <"$logf" | grep -a "^stress: writeback $fs " | tail -1 || true)
		tap_result $([[ $done =~ rounds=[1-9].*\ failed=0\  ]] && echo 1 || echo 0) \
			"stress $1/$2: shared $fs mapping written during unmap and writeback: ${done:-no summary line}"
	done
	done=$(tr -d '\r' <"$logf" | grep -a '^stress: window ' | tail -1 || true)
	tap_result $([[ $done =~ rounds=[1-9].*\ failed=0\  ]] && echo 1 || echo 0) \
		"stress $1/$2: every CPU sees a range's new state once its system call returns: ${done:-no summary line}"
	done=$(tr -d '\r' <"$logf" | grep -a 'stress_vmalloc: done' | tail -1 || true)
	tap_result $([[ $done == *" failures=0"* ]] && echo 1 || echo 0) \
		"stress $1/$2: vmalloc module: ${done:-no summary line}"
	rel_console_tap "$logf" "stress $1/$2"
}

# rel_smoke: make check's subset, on the series (SERIES_HEAD) on our QEMU:
# the selftests of smoke.list, and the stress for SMOKE_SECONDS, side by
# side. Prints TAP lines.
rel_smoke() {
	local tests kernel t res s n=0
	mkdir -p "$REL"
	tests=$(build_mm_selftests) || { tap_not_ok "smoke: the mm selftests build"; return; }
	REL_SELFTESTS_INITRD=$(build_mm_selftests_initramfs "$tests")
	kernel=$(rel_kernel series "$SERIES_HEAD") ||
		{ tap_not_ok "smoke: the series' reliability kernel builds"; return; }
	rel_parallel "rel_selftests smoke $kernel ours selftest_list=smoke.list" \
		"rel_stress series $kernel ours ${SMOKE_SECONDS:-30}"
	rel_selftests_tap smoke ours
	while read -r t res s; do
		n=$((n + 1))
		tap_result $([[ $res == pass ]] && echo 1 || echo 0) \
			"smoke: selftest $t on series/ours: $res ($s s)"
	done < <(rel_selftest_results "$REL/selftests-smoke-ours.console")
	((n == $(wc -l <"$tests/smoke.list"))) ||
		tap_not_ok "smoke: $n of $(wc -l <"$tests/smoke.list") selftests reported"
	rel_stress_tap series ours
}
