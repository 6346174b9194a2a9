# SPDX-License-Identifier: GPL-2.0
# The workbench of the lazy-mmu-range series. See README.md.

.PHONY: help check check-full demo bench profile status export worktree am textsize bisect-build coverage qemu ipte-pagealloc sigp-deadlock

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## check         apply the series to Linux 7.3, checkpatch, kernel-doc, KUnit (x86_64, s390)
check:
	@scripts/check.sh

## check-full    mm selftests and stress on SMP guests, v7.3 vs series, debug kernel
check-full:
	@scripts/check-full.sh

## demo          the benchmark: IPTEs and instructions, v7.3 vs the series, table and plot
demo:
	@scripts/demo.sh

## bench         the benchmark alone: out/bench/bench.csv
bench:
	@scripts/bench.sh

## profile       PROFILE=SCENARIO [THREADS=multi] [ON=ours]: instructions per function, v7.3 vs series
profile:
	@scripts/profile.sh

## worktree      create linux/: base + series as commits, to edit the series
worktree:
	@scripts/series.sh worktree

## export        write the commits of linux/ back to patches/
export:
	@scripts/series.sh export

## status        say whether linux/ has commits or edits not yet exported
status:
	@scripts/series.sh status

## am            KSRC=/path/to/linux: apply the series to your tree on a new branch
am:
	@scripts/series.sh am

## textsize      .text of the converted objects, v7.3 vs series (x86_64, arm64)
textsize:
	@scripts/textsize.sh

## bisect-build  build every prefix of the series (s390, x86_64)
bisect-build:
	@scripts/bisect-build.sh

## coverage      line coverage of arch/s390/mm/ipte_batch.c by its KUnit suite (gcov)
coverage:
	@scripts/coverage.sh

## qemu          build our QEMU (IPTE-range facility, IPTE trace) and the IPTE plugin
qemu:
	@bash -c '. scripts/lib.sh; . scripts/qemu.sh; ensure_deps; ensure_qemu; log "built $$QEMU_BUILD/qemu-system-s390x and $$QEMU_PLUGIN"'

## ipte-pagealloc  v7.3 + debug_pagealloc=on on our QEMU: range IPTEs seen, ipter=on/off
ipte-pagealloc:
	@scripts/ipte-pagealloc.sh

## sigp-deadlock  [ON=ours|stock] [RUNS=50]: QEMU's SIGP/IPTE deadlock under multi-threaded TCG, N boots
sigp-deadlock:
	@scripts/sigp-deadlock.sh
