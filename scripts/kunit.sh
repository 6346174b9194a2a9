# SPDX-License-Identifier: GPL-2.0
# kunit_run ARCH: run the series' KUnit suites with the kernel's own
# kunit.py under QEMU, in $SRC, and print one TAP line per test.
# Needs lib.sh, tap.sh and qemu.sh (our QEMU for s390).

KUNITCONFIG=mm/tests/.kunitconfig

# kunit.py options per architecture, into the array KUNIT_ARGS.
kunit_arch_args() {
	case $1 in
	x86_64)
		# x86 has the lazy MMU mode only with PARAVIRT_XXL, i.e. Xen PV.
		KUNIT_ARGS=(--kconfig_add CONFIG_HYPERVISOR_GUEST=y
			    --kconfig_add CONFIG_PARAVIRT=y
			    --kconfig_add CONFIG_XEN=y --kconfig_add CONFIG_XEN_PV=y) ;;
	s390)
		# -cpu max: with our QEMU, the IPTE-range facility is on.
		KUNIT_ARGS=(--cross_compile=s390x-linux-gnu- "--qemu_args=-cpu max") ;;
	esac
}

# Does $SRC let ARCH select the lazy MMU mode?
arch_has_lazy_mmu() {
	case $1 in
	x86_64) grep -q 'select ARCH_HAS_LAZY_MMU_MODE' "$SRC/arch/x86/Kconfig" ;;
	*) grep -q 'select ARCH_HAS_LAZY_MMU_MODE' "$SRC/arch/$1/Kconfig" ;;
	esac
}

# kunit.py runs qemu-system-ARCH from PATH. wrapper_path ARCH: a directory
# to put first in PATH, with the wrapper we run under that name:
# - x86_64: kunit.py passes "-accel kvm -accel hvf -accel tcg"; Debian 12's
#   QEMU hangs on that without /dev/kvm, and on this machine also with it
#   (nested). The wrapper keeps only tcg, so every machine runs alike.
# - s390: our QEMU, unless QEMU=stock.
wrapper_path() {
	local dir=$CACHE/bin/$1
	mkdir -p "$dir"
	case $1 in
	x86_64) ln -sf "$REPO/scripts/qemu-without-kvm" "$dir/qemu-system-x86_64" ;;
	s390) ln -sf "$REPO/scripts/qemu-s390x-ours" "$dir/qemu-system-s390x" ;;
	esac
	echo "$dir"
}

kunit_run() {
	local arch=$1 kconfig=$KUNITCONFIG build=$CACHE/build/kunit-$1
	local json=$OUT/kunit-$1.json logf=$OUT/kunit-$1.log t0=$SECONDS
	mkdir -p "$build"
	rm -f "$json"
	if ! arch_has_lazy_mmu "$arch"; then
		tap_skip "kunit $arch lazy_mmu_mode suites" \
			"$arch does not select ARCH_HAS_LAZY_MMU_MODE; running KUnit's own tests to show the $arch run works"
		kconfig=lib/kunit/.kunitconfig
	fi
	log "kunit.py run --arch=$arch --kunitconfig=$kconfig (log: out/kunit-$arch.log)"
	(
		cd "$SRC"
		if [[ $arch == x86_64 ]] || [[ $arch == s390 && ${QEMU:-} != stock ]]; then
			PATH=$(wrapper_path "$arch"):$PATH
		fi
		kunit_arch_args "$arch"
		python3 tools/testing/kunit/kunit.py run --arch="$arch" \
			--kunitconfig="$kconfig" "${KUNIT_ARGS[@]}" \
			--build_dir="$build" --jobs="$JOBS" --timeout=600 \
			--json="$json"
	) >"$logf" 2>&1 || true
	log "kunit $arch done in $((SECONDS - t0))s"
	if [[ ! -s $json ]]; then
		tail -20 "$logf" | sed 's/^/# /'
		tap_not_ok "kunit $arch: build and boot (see out/kunit-$arch.log)"
		return
	fi
	local line n=0 want_suite=lazy_mmu_mode_range seen=0
	arch_has_lazy_mmu "$arch" || want_suite=kunit_status
	while read -r line; do
		n=$((n + 1))
		[[ $line != *" $want_suite."* ]] || seen=1
		case $line in
		PASS\ *) tap_ok "kunit $arch ${line#* }" ;;
		SKIP\ *) tap_skip "kunit $arch ${line#* }" "skipped by the test" ;;
		*) tap_not_ok "kunit $arch ${line#* } (${line%% *})" ;;
		esac
	done < <(python3 - "$json" <<'PY'
import json, sys

def walk(group, prefix):
    name = group["name"]
    path = prefix + [name] if name != "KUnit Test Group" else prefix
    for case in group.get("test_cases", []):
        print(case["status"], ".".join(path + [case["name"]]))
    for sub in group.get("sub_groups", []):
        walk(sub, path)

data = json.load(open(sys.argv[1]))
walk(data, [])
PY
)
	if ((seen == 0)); then
		tail -20 "$logf" | sed 's/^/# /'
		tap_not_ok "kunit $arch: suite $want_suite ran ($n results; see out/kunit-$arch.log)"
	fi
}
