# SPDX-License-Identifier: GPL-2.0
# kunit_run ARCH [stock|kasan]: run the series' KUnit suites with the
# kernel's own kunit.py under QEMU, in $SRC, and print one TAP line per test.
# Needs lib.sh, tap.sh and qemu.sh (our QEMU for s390).

KUNITCONFIG=mm/tests/.kunitconfig
# Generic KASAN with its KUnit hooks, for the s390 suite's KASAN cases
KUNIT_KASAN_CONFIG=$REPO/config/kunit-kasan.config

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
		KUNIT_ARGS=(--cross_compile=s390x-linux-gnu- "--qemu_args=-cpu max -smp 2") ;;
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
# (in out/, so that every clone has its own) to put first in PATH, with
# scripts/kunit-qemu under that name: single-threaded TCG alone, on the
# QEMU in LMR_KUNIT_QEMU (ours for s390), else Debian's.
wrapper_path() {
	local dir=$OUT/bin/$1 name=qemu-system-$1
	[[ $1 == s390 ]] && name=qemu-system-s390x
	mkdir -p "$dir"
	ln -sf "$REPO/scripts/kunit-qemu" "$dir/$name"
	echo "$dir"
}

# The kunitconfigs of the series for ARCH and VARIANT, as kunit.py options,
# into the array KUNIT_CONFIGS, the suites that must run, into WANT_SUITES,
# and a pattern of the cases that must pass (not be skipped), into
# WANT_PASSED with their least number in WANT_NR_PASSED.
kunit_configs() {
	KUNIT_CONFIGS=(--kunitconfig="$KUNITCONFIG")
	WANT_SUITES=(lazy_mmu_mode_range)
	WANT_PASSED='' WANT_NR_PASSED=0
	if [[ $1 == s390 && -f $SRC/arch/s390/mm/.kunitconfig ]]; then
		KUNIT_CONFIGS+=(--kunitconfig=arch/s390/mm/.kunitconfig)
		WANT_SUITES+=(s390_ipte_batch)
	fi
	if [[ $2 == kasan ]]; then
		KUNIT_CONFIGS+=(--kunitconfig="$KUNIT_KASAN_CONFIG")
		# the cases the run is for, skipped without KASAN's hooks
		WANT_PASSED='s390_ipte_batch.ipte_test_kasan_*'
		WANT_NR_PASSED=3
	fi
}

# kunit_run ARCH [stock|kasan]: build the KUnit kernel of ARCH and run it;
# for s390 on our QEMU (IPTE-range facility on), with "stock" boot the same
# kernel on Debian's QEMU (no facility), with "kasan" build a kernel with
# generic KASAN too and boot it on our QEMU. TAP lines are named "kunit
# ARCH", "kunit s390-stock" or "kunit s390-kasan".
kunit_run() {
	local arch=$1 variant=${2:-} qemu=ours name=$1 build=$CACHE/build/kunit-$1
	local cmd=run
	case $variant in
	stock) qemu=stock cmd=exec name=$arch-stock ;;
	kasan) name=$arch-kasan build=$CACHE/build/kunit-$arch-kasan ;;
	esac
	local json=$OUT/kunit-$name.json logf=$OUT/kunit-$name.log t0=$SECONDS
	mkdir -p "$build"
	rm -f "$json" "$build/test.log"
	kunit_configs "$arch" "$variant"
	if ! arch_has_lazy_mmu "$arch"; then
		tap_skip "kunit $name lazy_mmu_mode suites" \
			"$arch does not select ARCH_HAS_LAZY_MMU_MODE; running KUnit's own tests to show the $arch run works"
		KUNIT_CONFIGS=(--kunitconfig=lib/kunit/.kunitconfig)
		WANT_SUITES=(kunit_status)
	fi
	log "kunit.py $cmd --arch=$arch ${KUNIT_CONFIGS[*]} on $qemu QEMU (log: out/kunit-$name.log)"
	(
		cd "$SRC"
		PATH=$(wrapper_path "$arch"):$PATH
		[[ $qemu == ours && $arch == s390 ]] && export LMR_KUNIT_QEMU=$QEMU_OURS
		kunit_arch_args "$arch"
		# exec boots the kernel that run built last
		[[ $cmd == exec ]] || KUNIT_ARGS+=("${KUNIT_CONFIGS[@]}" --jobs="$JOBS")
		in_build_dir "$build" python3 tools/testing/kunit/kunit.py $cmd --arch="$arch" \
			"${KUNIT_ARGS[@]}" --build_dir="$build" --timeout=600 \
			--json="$json"
	) >"$logf" 2>&1 || true
	log "kunit $name done in $((SECONDS - t0))s"
	if [[ ! -s $json ]]; then
		tail -20 "$logf" | sed 's/^/# /'
		tap_not_ok "kunit $name: build and boot (see out/kunit-$name.log)"
		return
	fi
	kunit_results "$name" "$json" "$logf"
	[[ $arch != s390 ]] || kunit_s390_mode "$name" "$qemu" "$build/test.log"
}

# kunit_s390_mode NAME QEMU TESTLOG: the s390 suite reports whether
# batching was on and whether the machine has the guest-TLB options of IPTE
# and IDTE. Both must be with our QEMU (-cpu max has the IPTE-range facility
# and the guest-TLB bit) and off on Debian's, else the run did not test what
# it claims.
kunit_s390_mode() {
	local want="batching: on, guest-TLB options: yes" line
	[[ $2 == ours ]] || want="batching: off, guest-TLB options: no"
	line=$(grep -o 'IPTE-range facility: [a-z]*, batching: [a-z]*, guest-TLB options: [a-z]*' "$3" || true)
	if [[ -z $line ]]; then
		tap_not_ok "kunit $1 on $2 QEMU: the s390 suite did not report its mode"
	elif [[ $line == *"$want" ]]; then
		tap_ok "kunit $1 on $2 QEMU: $line"
	else
		tap_not_ok "kunit $1 on $2 QEMU: $line (want $want)"
	fi
}

# kunit_results NAME JSON LOG: one TAP line per test case, and a failure for
# each suite of WANT_SUITES that did not run.
kunit_results() {
	local name=$1 json=$2 logf=$3 line suite n=0 passed=0
	local -A seen=()
	while read -r line; do
		n=$((n + 1))
		suite=${line#* }
		seen[${suite%%.*}]=1
		# shellcheck disable=SC2053 # WANT_PASSED is a pattern
		[[ -n $WANT_PASSED && $suite == $WANT_PASSED && $line == PASS\ * ]] &&
			passed=$((passed + 1))
		case $line in
		PASS\ *) tap_ok "kunit $name ${line#* }" ;;
		SKIP\ *) tap_skip "kunit $name ${line#* }" "skipped by the test" ;;
		*) tap_not_ok "kunit $name ${line#* } (${line%% *})" ;;
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
	for suite in "${WANT_SUITES[@]}"; do
		[[ -z ${seen[$suite]:-} ]] || continue
		tail -20 "$logf" | sed 's/^/# /'
		tap_not_ok "kunit $name: suite $suite ran ($n results; see out/kunit-$name.log)"
	done
	[[ -z $WANT_PASSED ]] ||
		tap_result $((passed >= WANT_NR_PASSED)) \
			"kunit $name: $passed cases $WANT_PASSED passed (want $WANT_NR_PASSED)"
}
