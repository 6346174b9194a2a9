#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo, the main job: run the benchmark (scripts/bench.sh: Linux v7.3
# and the series, each on our QEMU and on Debian's), then print the table
# of ratios and where the plot is.
. "$(dirname "$0")/bench.sh"

bench_run
cat "$BENCH/table.md"
d=${BENCH#"$REPO"/}
log "plot: $d/global-iptes.svg; figures: $d/bench.csv (medians), $d/runs.csv (every run)"
