# SPDX-License-Identifier: GPL-2.0
# kunit_run ARCH: run the series' KUnit suites with the kernel's own
# kunit.py under QEMU, in $SRC, and print one TAP line per test.
# Needs lib.sh and tap.sh.

KUNITCONFIG=mm/tests/.kunitconfig

# kunit.py options per architecture.
kunit_arch_args() {
	case $1 in
	x86_64)
		# x86 has the lazy MMU mode only with PARAVIRT_XXL, i.e. Xen PV.
		echo --kconfig_add CONFIG_HYPERVISOR_GUEST=y \
		     --kconfig_add CONFIG_PARAVIRT=y \
		     --kconfig_add CONFIG_XEN=y --kconfig_add CONFIG_XEN_PV=y ;;
	s390)
		echo --cross_compile=s390x-linux-gnu- ;;
	esac
}

# Does $SRC let ARCH select the lazy MMU mode?
arch_has_lazy_mmu() {
	case $1 in
	x86_64) grep -q 'select ARCH_HAS_LAZY_MMU_MODE' "$SRC/arch/x86/Kconfig" ;;
	*) grep -q 'select ARCH_HAS_LAZY_MMU_MODE' "$SRC/arch/$1/Kconfig" ;;
	esac
}

# kunit.py starts QEMU with "-accel kvm -accel hvf -accel tcg"; Debian 12's
# QEMU hangs on that for x86_64 when /dev/kvm is missing. Put a wrapper
# first in PATH that keeps only tcg then.
qemu_wrapper_path() {
	local dir=$CACHE/bin
	mkdir -p "$dir"
	ln -sf "$REPO/scripts/qemu-without-kvm" "$dir/qemu-system-x86_64"
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
		[[ $arch != x86_64 || -w /dev/kvm ]] ||
			PATH=$(qemu_wrapper_path):$PATH
		# shellcheck disable=SC2046
		python3 tools/testing/kunit/kunit.py run --arch="$arch" \
			--kunitconfig="$kconfig" $(kunit_arch_args "$arch") \
			--build_dir="$build" --jobs="$JOBS" --timeout=600 \
			--json="$json"
	) >"$logf" 2>&1 || true
	log "kunit $arch done in $((SECONDS - t0))s"
	if [[ ! -s $json ]]; then
		tail -20 "$logf" | sed 's/^/# /'
		tap_not_ok "kunit $arch: build and boot (see out/kunit-$arch.log)"
		return
	fi
	local line
	while read -r line; do
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
}
