#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make ipte-pagealloc: check our QEMU against a real user of facility 13.
#
# Linux v7.3 (no series) with DEBUG_PAGEALLOC and debug_pagealloc=on
# invalidates kernel pages with range IPTEs (arch/s390/mm/pageattr.c) when
# the CPU has the IPTE-range facility. Boot it to userspace on our QEMU with
# ipter=on and ipter=off; the IPTE trace gives the entries per IPTE.
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/tap.sh"
. "$REPO/scripts/qemu.sh"
. "$REPO/scripts/guest.sh"

ensure_deps
ensure_base
ensure_qemu
build=$(build_s390_kernel pagealloc-s390-v7.3 "$BASE_TAG" \
	"$REPO/config/s390-demo.config" "$REPO/config/debug-pagealloc.config")
initrd=$(build_initramfs init)

for mode in on off; do
	logf=$OUT/pagealloc-ipter-$mode.log trace=$OUT/pagealloc-ipter-$mode.trace
	log "booting v7.3 + debug_pagealloc=on with -cpu max,ipter=$mode"
	boot_s390 "$logf" "$build/arch/s390/boot/bzImage" "$initrd" debug_pagealloc=on \
		"$QEMU_OURS" -cpu max,ipter=$mode -smp 2 -accel tcg,thread=single \
		-plugin "$QEMU_PLUGIN" -d plugin,trace:s390_ipte -D "$trace"
	booted=0
	grep -aq '^demo: all checks passed' "$logf" && booted=1
	tap_result $booted "v7.3 debug_pagealloc=on boots to userspace, ipter=$mode"
	read -r n multi max < <(awk '/s390_ipte /{ for (i = 1; i < NF; i++) if ($i == "entries") e = $(i + 1);
		n++; if (e > 1) m++; if (e > max) max = e } END { print n + 0, m + 0, max + 0 }' "$trace")
	echo "# ipter=$mode: $n IPTEs traced, $multi with more than one entry, at most $max entries"
	grep -a '^ipte-count: total' "$trace" | sed 's/^/# /' || true
	if [[ $mode == on ]]; then
		tap_result $((multi > 0)) "ipter=on: range IPTEs invalidate more than one entry ($multi of $n)"
	else
		tap_result $((n > 0 && multi == 0)) "ipter=off: only single-entry IPTEs ($n)"
	fi
done
tap_summary
