#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo, the main job: run the benchmark (scripts/bench.sh: Linux v7.3
# and the series on our QEMU, the series on Debian's QEMU), then print the
# table of ratios and where the plot is.
. "$(dirname "$0")/bench.sh"

bench_run
cat "$BENCH/table.md"
log "plot: out/bench/global-iptes.svg; figures: out/bench/bench.csv (medians), out/bench/runs.csv (every run)"
