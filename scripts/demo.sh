#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: build the patched s390 kernel and boot it under QEMU s390x with
# a small init of ours that exercises the converted walkers.
. "$(dirname "$0")/lib.sh"

SMP=${SMP:-2}
BUILD=$CACHE/build/demo-s390
MK=(make -s -C "$SRC" O="$BUILD" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- -j"$JOBS")

ensure_deps
ensure_base
head=$(apply_series $(series)) || die "the series does not apply"
checkout_src "$head"

mkdir -p "$BUILD" "$OUT/guest"
if ! cmp -s "$REPO/config/s390-demo.config" "$BUILD/.fragment"; then
	cp "$REPO/config/s390-demo.config" "$BUILD/.config"
	"${MK[@]}" olddefconfig
	cp "$REPO/config/s390-demo.config" "$BUILD/.fragment"
fi
log "building the s390 kernel (base + series) in $BUILD"
"${MK[@]}" bzImage usr/gen_init_cpio

log "building the guest's init"
s390x-linux-gnu-gcc -static -O2 -Wall -pthread -o "$OUT/guest/init" "$REPO/guest/init.c"
cat >"$OUT/guest/initramfs.list" <<LIST
dir /dev 755 0 0
nod /dev/console 600 0 0 c 5 1
file /init $OUT/guest/init 755 0 0
LIST
"$BUILD/usr/gen_init_cpio" "$OUT/guest/initramfs.list" >"$OUT/guest/initramfs.cpio"

log "booting under qemu-system-s390x -smp $SMP (log: out/demo-boot.log)"
timeout 600 qemu-system-s390x -nodefaults -nographic -no-reboot -serial stdio \
	-machine s390-ccw-virtio -cpu max -smp "$SMP" -m 1024 \
	-kernel "$BUILD/arch/s390/boot/bzImage" -initrd "$OUT/guest/initramfs.cpio" \
	-append "console=ttyS0 rdinit=/init panic=-1" </dev/null >"$OUT/demo-boot.log" 2>&1 || true
grep -a '^demo: ' "$OUT/demo-boot.log" || { tail -30 "$OUT/demo-boot.log"; die "the guest printed nothing"; }
grep -aq '^demo: all checks passed' "$OUT/demo-boot.log" || die "the demo guest failed"
log "done"
