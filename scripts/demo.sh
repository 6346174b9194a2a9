#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: build the patched s390 kernel and boot it under QEMU s390x with
# a small init of ours that exercises the converted walkers.
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/guest.sh"

SMP=${SMP:-2}

ensure_deps
ensure_base
head=$(apply_series $(series)) || die "the series does not apply"
build=$(build_s390_kernel demo-s390 "$head" "$REPO/config/s390-demo.config")
initrd=$(build_initramfs)

log "booting under qemu-system-s390x -smp $SMP (console: out/demo-boot.log)"
boot_s390 "$OUT/demo-boot.log" "$build/arch/s390/boot/bzImage" "$initrd" "" \
	qemu-system-s390x -cpu max -smp "$SMP"
grep -a '^demo: ' "$OUT/demo-boot.log" ||
	{ tail -30 "$OUT/demo-boot.log"; die "the guest printed nothing"; }
grep -aq '^demo: all checks passed' "$OUT/demo-boot.log" || die "the demo guest failed"
log "done"
