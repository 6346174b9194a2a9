#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo, the main job: run the benchmark (scripts/bench.sh: Linux v7.3
# and the series, each on our QEMU and on Debian's), then print the
# headline table, the targets and where the full table and the plot are.
. "$(dirname "$0")/bench.sh"

bench_run
echo
cat "$RESULTS/headline.md"
echo
cat "$RESULTS/targets.md"
d=${RESULTS#"$REPO"/}
log "every scenario and size: $d/table.md; the plot: $d/global-iptes.svg; figures: $d/bench.csv (medians), $d/runs.csv (every run)"
