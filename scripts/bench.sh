#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the benchmark. Builds Linux v7.3 and v7.3 + the series for
# s390 with the same configuration, and boots each on our QEMU (IPTE-range
# facility on) and on Debian's QEMU (no facility). The guest
# (guest/bench.c, and guest/module for vmalloc) runs every scenario between
# phase markers; the ipte-count plugin and our trace event count IPTEs,
# entries and the instructions of the vCPU that ran the scenario. Writes
# out/bench/bench.csv, table.md and global-iptes.svg. Sourced by demo.sh.
#
# Instruction counts depend on where the timer ticks fall, so every run is
# repeated (REPS in guest/bench.c) and the report takes the median. -icount
# would make them exact, but QEMU 7.2 then spends most of its time in
# tlb_reset_dirty(): a fork and mprotect run took 10x as long. norandmaps
# gives every boot the same address-space layout (a stack that happens to
# straddle one more page costs one more COW fault and its IPTE).
# BENCH_ONLY=NAME runs the scenario NAME alone (a comma-separated list:
# several; see guest/bench.c).
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/qemu.sh"
. "$REPO/scripts/guest.sh"

BENCH=$(realpath -m "${BENCH:-$OUT/bench}")	# BENCH=DIR: write there instead
SMP=${SMP:-2}
BENCH_CONFIG=("$REPO/config/s390-demo.config" "$REPO/config/bench.config")

# bench_kernel NAME COMMIT: the kernel and the initramfs (with the module
# built for it) of one side; prints "KERNEL INITRAMFS".
bench_kernel() {
	local name=$1 commit=$2 build mod=$BENCH/module-$1
	build=$(build_s390_kernel "bench-$name" "$commit" "${BENCH_CONFIG[@]}")
	build_module "$build" "$REPO/guest/module" "$mod"
	cp "$(build_initramfs bench "$mod/ipte_bench.ko")" "$BENCH/initramfs-$name.cpio"
	echo "$build/arch/s390/boot/bzImage $BENCH/initramfs-$name.cpio"
}

# bench_boot NAME KERNEL INITRAMFS QEMU: one boot; the console goes to
# $BENCH/NAME.console, the plugin's and the trace's lines to NAME.emu.
bench_boot() {
	local name=$1 kernel=$2 initrd=$3 qemu=$4 t0=$SECONDS
	local cmd=("$QEMU_OURS") log=plugin,trace:s390_ipte
	if [[ $qemu == stock ]]; then
		cmd=(qemu-system-s390x)
		log=plugin
	fi
	log "booting $name on $qemu QEMU, -smp $SMP (console: ${BENCH#"$REPO"/}/$name.console)"
	BOOT_TIMEOUT=5400 boot_s390 "$BENCH/$name.console" "$kernel" "$initrd" \
		"norandmaps${BENCH_ONLY:+ bench_only=$BENCH_ONLY}" \
		"${cmd[@]}" -cpu max -smp "$SMP" -accel tcg,thread=single \
		-plugin "$QEMU_PLUGIN,trace=on" -d "$log" -D "$BENCH/$name.emu"
	log "$name: $(grep -ac 'bench: run' "$BENCH/$name.console") runs in $((SECONDS - t0))s"
}

# bench_boots KERNEL INITRAMFS NAME:QEMU...: the boots of one kernel, side by
# side (each QEMU runs its vCPUs in one thread; with -icount the counts do
# not depend on the host's load).
bench_boots() {
	local kernel=$1 initrd=$2 b
	for b in "${@:3}"; do
		bench_boot "${b%%:*}" "$kernel" "$initrd" "${b#*:}" &
	done
	wait
	for b in "${@:3}"; do
		grep -aq '^bench: done' "$BENCH/${b%%:*}.console" ||
			{ tail -20 "$BENCH/${b%%:*}.console"; die "the benchmark guest did not finish (${b%%:*})"; }
	done
}

bench_run() {
	local series out k_base i_base k_series i_series
	ensure_deps
	ensure_base
	ensure_qemu
	mkdir -p "$BENCH"
	series=$(apply_series $(series)) || die "the series does not apply"
	out=$(bench_kernel v7.3 "$BASE_TAG")
	read -r k_base i_base <<<"$out"
	out=$(bench_kernel series "$series")
	read -r k_series i_series <<<"$out"
	bench_boots "$k_base" "$i_base" v7.3-ours:ours v7.3-stock:stock
	bench_boots "$k_series" "$i_series" series-ours:ours series-stock:stock
	python3 "$REPO/scripts/bench-report.py" "$BENCH" \
		"v7.3:ours:$BENCH/v7.3-ours.console:$BENCH/v7.3-ours.emu" \
		"v7.3:stock:$BENCH/v7.3-stock.console:$BENCH/v7.3-stock.emu" \
		"series:ours:$BENCH/series-ours.console:$BENCH/series-ours.emu" \
		"series:stock:$BENCH/series-stock.console:$BENCH/series-stock.emu" \
		>"$BENCH/report.txt"
	if [[ -f $BENCH/plot.gp ]]; then
		gnuplot "$BENCH/plot.gp"
		log "wrote ${BENCH#"$REPO"/}/bench.csv, table.md and global-iptes.svg"
	else
		log "wrote ${BENCH#"$REPO"/}/bench.csv and table.md (no plotted scenario ran)"
	fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	bench_run
fi
