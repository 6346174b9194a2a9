#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the benchmark. Builds Linux v7.3 and v7.3 + the series for
# s390 with the same configuration, and boots each on our QEMU (IPTE-range
# facility on) and on Debian's QEMU (no facility). The guest
# (guest/bench.c, and guest/module for vmalloc) runs every scenario between
# phase markers; the ipte-count plugin and our trace event count IPTEs,
# entries and the instructions of the vCPU that ran the scenario. Works in
# out/bench (consoles, emulator logs) and writes the results to
# results/<date>-<commit>/bench/: bench.csv, table.md, targets.md,
# headline.md, global-iptes.svg, manifest.json. Sourced by demo.sh.
#
# Instruction counts depend on where the timer ticks fall, so every run is
# repeated (REPS in guest/bench.c) and the report takes the median. -icount
# would make them exact, but QEMU 7.2 then spends most of its time in
# tlb_reset_dirty(): a fork and mprotect run took 10x as long. norandmaps
# gives every boot the same address-space layout (a stack that happens to
# straddle one more page costs one more COW fault and its IPTE).
# BENCH_ONLY=NAME runs the scenario NAME alone (a comma-separated list:
# several; see guest/bench.c), BENCH_THREADS=single or multi only those runs.
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
# BENCH_PROFILE=1 makes the plugin profile the marked runs (phase 1).
bench_boot() {
	local name=$1 kernel=$2 initrd=$3 qemu=$4 t0=$SECONDS
	local cmd=("$QEMU_OURS") log=plugin,trace:s390_ipte watch
	if [[ $qemu == stock ]]; then
		cmd=(qemu-system-s390x)
		log=plugin
	fi
	log "booting $name on $qemu QEMU, -smp $SMP (console: ${BENCH#"$REPO"/}/$name.console)"
	without_lock watch_console "$BENCH/$name.console" 'bench: run' "$name: runs" >/dev/null &
	watch=$!
	BOOT_TIMEOUT=5400 boot_s390 "$BENCH/$name.console" "$kernel" "$initrd" \
		"norandmaps${BENCH_ONLY:+ bench_only=$BENCH_ONLY}${BENCH_THREADS:+ bench_threads=$BENCH_THREADS}" \
		"${cmd[@]}" -cpu max -smp "$SMP" -accel tcg,thread=single \
		-plugin "$QEMU_PLUGIN,trace=on${BENCH_PROFILE:+,profile=1}" \
		-d "$log" -D "$BENCH/$name.emu"
	stop_watch "$watch"
	log "$name: $(grep -ac 'bench: run' "$BENCH/$name.console") runs in $((SECONDS - t0))s"
}

# bench_boots NAME:QEMU:KERNEL:INITRAMFS...: boots side by side (each QEMU
# runs its vCPUs in one thread).
bench_boots() {
	local b name qemu kernel initrd
	for b in "$@"; do
		IFS=: read -r name qemu kernel initrd <<<"$b"
		bench_boot "$name" "$kernel" "$initrd" "$qemu" &
	done
	wait
	for b in "$@"; do
		name=${b%%:*}
		grep -aq '^bench: done' "$BENCH/$name.console" ||
			{ tail -20 "$BENCH/$name.console"; die "the benchmark guest did not finish ($name)"; }
	done
}

# bench_kernels: build both kernels; sets K_BASE, I_BASE, K_SERIES, I_SERIES.
bench_kernels() {
	local series out
	ensure_deps
	ensure_base
	ensure_qemu
	mkdir -p "$BENCH"
	series=$(apply_series $(series)) || die "the series does not apply"
	out=$(bench_kernel v7.3 "$BASE_TAG")
	read -r K_BASE I_BASE <<<"$out"
	out=$(bench_kernel series "$series")
	read -r K_SERIES I_SERIES <<<"$out"
}

# bench_run: the whole benchmark; its results (table.md, targets.md,
# headline.md, bench.csv, runs.csv, the plot) go to $RESULTS.
bench_run() {
	results_begin bench
	results_step kernels
	bench_kernels
	results_step boots-v7.3
	bench_boots "v7.3-ours:ours:$K_BASE:$I_BASE" "v7.3-stock:stock:$K_BASE:$I_BASE"
	results_step boots-series
	bench_boots "series-ours:ours:$K_SERIES:$I_SERIES" "series-stock:stock:$K_SERIES:$I_SERIES"
	results_step report
	python3 "$REPO/scripts/bench-report.py" "$BENCH" \
		"v7.3:ours:$BENCH/v7.3-ours.console:$BENCH/v7.3-ours.emu" \
		"v7.3:stock:$BENCH/v7.3-stock.console:$BENCH/v7.3-stock.emu" \
		"series:ours:$BENCH/series-ours.console:$BENCH/series-ours.emu" \
		"series:stock:$BENCH/series-stock.console:$BENCH/series-stock.emu"
	[[ ! -f $BENCH/plot.gp ]] || gnuplot "$BENCH/plot.gp"
	cp "$BENCH"/{table,targets,headline}.md "$BENCH"/{bench,runs}.csv "$RESULTS"/
	[[ ! -f $BENCH/global-iptes.svg ]] || cp "$BENCH/global-iptes.svg" "$RESULTS"/
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	bench_run
	cat "$RESULTS/targets.md"
	log "the table: ${RESULTS#"$REPO"/}/table.md"
fi
