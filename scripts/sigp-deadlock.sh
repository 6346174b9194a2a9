#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make sigp-deadlock [ON=ours|stock] [RUNS=50] [SMP=4]: the reproducer of
# QEMU 7.2's SIGP/IPTE deadlock under multi-threaded TCG (fixed in ours by
# qemu/patches/0006). Boots the series' reliability kernel RUNS times with
# -accel tcg,thread=multi -smp SMP and our stress for STRESS_SECONDS
# (default 10) seconds: page-table walkers issuing global IPTEs on every
# CPU while init takes CPUs offline and online (SIGP stop, sense, restart,
# set prefix...). A boot that does not power off within HANG_SECONDS
# (default 150; a run takes about 20 s) counts as hung.
# Prints a TAP line per run and "N passed, N failed"; writes runs.txt and
# the consoles of hung runs to results/<date>-<commit>/sigp-deadlock-ON/.
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/tap.sh"
. "$REPO/scripts/qemu.sh"
. "$REPO/scripts/guest.sh"
. "$REPO/scripts/reliability.sh"

ON=${ON:-ours}
RUNS=${RUNS:-50}
SMP=${SMP:-4}
HANG_SECONDS=${HANG_SECONDS:-150}
case $ON in
ours) qemu=("$QEMU_OURS") ;;
stock) qemu=(qemu-system-s390x) ;;
*) die "ON=$ON: say ON=ours (our QEMU) or ON=stock (Debian's)" ;;
esac
results_begin "sigp-deadlock-$ON"

ensure_base
ensure_qemu
mkdir -p "$REL"
head=$(apply_series $(series)) || die "the series does not apply"
checkout_src "$head"
results_step kernel
kernel=$(rel_kernel series "$head") || die "the series' reliability kernel does not build"

results_step boots
hung=0
for ((i = 1; i <= RUNS; i++)); do
	logf=$REL/sigp-deadlock-$ON-$i.console
	start=$SECONDS
	BOOT_TIMEOUT=$HANG_SECONDS BOOT_MEM=1024 boot_s390 "$logf" "$kernel" \
		"$REL/stress-series.cpio" \
		"stress_seconds=${STRESS_SECONDS:-10} stress_writeback=0" \
		"${qemu[@]}" -cpu max -smp "$SMP" -accel tcg,thread=multi
	secs=$((SECONDS - start))
	done=$(tr -d '\r' <"$logf" | grep -a '^stress: done' | tail -1 || true)
	if [[ -n $done ]]; then
		tap_ok "run $i/$RUNS on $ON QEMU, -smp $SMP, thread=multi: powered off after $secs s: $done"
	else
		hung=$((hung + 1))
		cp "$logf" "$RESULTS/"
		tap_not_ok "run $i/$RUNS on $ON QEMU, -smp $SMP, thread=multi: no power-off within $HANG_SECONDS s (console: $(basename "$logf"))"
	fi
	echo "run $i seconds=$secs $([[ -n $done ]] && echo "done: $done" || echo hung)" >>"$RESULTS/runs.txt"
done
echo "sigp-deadlock $ON: runs=$RUNS hung=$hung smp=$SMP" | tee "$RESULTS/summary.txt"
tap_summary
