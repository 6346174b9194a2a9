#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make profile PROFILE=SCENARIO [THREADS=single|multi] [ON=stock|ours]:
# where the guest instructions of one scenario of the benchmark go, v7.3 vs
# the series. Boots both benchmark kernels (built as make bench builds them)
# side by side on one QEMU (Debian's by default: no facility) with that
# scenario alone, the ipte-count plugin profiling its runs, and prints per
# kernel function the instructions per page of the runs and the difference.
# Works in out/profile/SCENARIO-THREADS-ON/ (BENCH=DIR: elsewhere); the
# table goes to results/<date>-<commit>/profile-SCENARIO-THREADS-ON/.
[[ -n ${PROFILE:-} ]] || { echo "error: say which scenario: make profile PROFILE=mprotect (see guest/bench.c)" >&2; exit 1; }
BENCH_ONLY=$PROFILE
BENCH_THREADS=${THREADS:-single}
BENCH_PROFILE=1
on=${ON:-stock}
BENCH=${BENCH:-$(dirname "$0")/../out/profile/$PROFILE-$BENCH_THREADS-$on}
. "$(dirname "$0")/bench.sh"
[[ $on == stock || $on == ours ]] || die "ON=$on: say ON=stock or ON=ours"

results_begin "profile-$PROFILE-$BENCH_THREADS-$on"
results_step kernels
bench_kernels
results_step boots
bench_boots "v7.3:$on:$K_BASE:$I_BASE" "series:$on:$K_SERIES:$I_SERIES"
results_step report
python3 "$REPO/scripts/profile-report.py" \
	"v7.3:${K_BASE%/arch/s390/boot/bzImage}/System.map:$BENCH/v7.3.console:$BENCH/v7.3.emu" \
	"series:${K_SERIES%/arch/s390/boot/bzImage}/System.map:$BENCH/series.console:$BENCH/series.emu" |
	tee "$RESULTS/profile.txt"
