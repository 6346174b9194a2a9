# SPDX-License-Identifier: GPL-2.0
# The kernel's own mm selftests (tools/testing/selftests/mm) for an s390x
# guest: built static with Debian's cross GCC, run one by one by the init
# of guest/selftests.c from /mm of an initramfs. Sourced after lib.sh and
# guest.sh.
#
# Layout:
#   $CACHE/selftests-mm/tree     the selftests (and the few kernel headers
#                                they include) of $MM_SELFTESTS_REV, from
#                                git archive: their Makefile writes into
#                                its own directory, never into $SRC
#   $CACHE/selftests-mm/kbuild   O= of `make headers_install`
#   $CACHE/selftests-mm/usr      the s390 UAPI headers (INSTALL_HDR_PATH)
#   $CACHE/selftests-mm/s390x    Debian's s390x -dev packages, unpacked
#   $OUT/selftests-mm            the binaries and tests.list for the guest

# The tests, in the order the guest runs them, one run a line:
# "BINARY [ARGUMENT...]", with the arguments of
# tools/testing/selftests/mm/run_vmtests.sh. Written to tests.list for the
# guest's init; only these binaries are built. A commented-out entry is
# not run, for the reason beside it. config/selftests.config lists the
# kernel options they need; without one a test skips or fails.
MM_SELFTESTS=(
	map_fixed_noreplace
	map_populate
	droppable
	mremap_dontunmap
	# With -m 2048 its four 2 GiB cases fail: the heuristic overcommit
	# refuses a 2 GiB mapping in a 2 GiB guest. -m 4096 passes them.
	mremap_test
	mlock2-tests
	mlock-random-test
	# on-fault-limit   must run unprivileged (run_vmtests.sh: sudo -u
	#                  nobody); as root it skips
	mrelease_test
	mdwe_test
	mseal_test
	guard-regions
	madv_populate
	process_madv
	merge
	mkdirty
	cow
	gup_longterm
	soft-dirty
	pfnmap
	compaction_test
	prctl_thp_disable
	# pagemap_ioctl    needs userfaultfd write-protect, which s390 has not
	#                  (no HAVE_ARCH_USERFAULTFD_WP): always skips
	# migration, rmap  need two NUMA nodes; s390 has one: every case skips
	"gup_test -u -n 1"
	"gup_test -u -n -1"
	"gup_test -a -n 1"
	"gup_test -a -n -1"
	"gup_test -ct -F 0x1 0 19 0x1000"
	uffd-unit-tests
	# run_vmtests.sh's "20 16" (20 MiB, 16 bounces) takes over 5 min
	# under single-threaded TCG with -smp 4: a fifth of the memory and
	# half the bounces
	"uffd-stress anon 4 8"
	"uffd-stress shmem 4 8"
	"uffd-stress shmem-private 4 8"
	# "uffd-stress hugetlb 128 32", "uffd-stress hugetlb-private 128 32"
	#                  13 times the work of "anon 20 16" (128 MiB, 32
	#                  bounces): left out for the time under TCG
	# uffd-wp-mremap   uffd write-protect only: always skips on s390
	ksm_functional_tests
	"ksm_tests -M -p 10"
	"ksm_tests -U"
	"ksm_tests -Z -p 10 -z 0"
	"ksm_tests -Z -p 10 -z 1"
	# "ksm_tests -H -s 100", "ksm_tests -P -s 100"
	#                  merge 100 MiB: left out for the time under TCG
	# "ksm_tests -N -m 1", "ksm_tests -N -m 0"
	#                  need two NUMA nodes
	khugepaged
	# "khugepaged -s 2", "khugepaged all:shmem", "khugepaged -s 4
	# all:shmem", "khugepaged -c 4 mthp_khugepaged:anon"
	#                  more rounds of khugepaged's scanner: left out for
	#                  the time under TCG
	"transhuge-stress -d 20"
	split_huge_page_test
	folio_split_race_test
	hugetlb-mmap
	hugetlb-shm
	hugetlb-mremap
	hugetlb-madvise
	hugetlb_dio
	hugetlb_fault_after_madv
	hugetlb_madv_vs_map
	thuge-gen
	# memory-failure, hugetlb-soft-offline, hugetlb-read-hwpoison
	#                  s390 has no ARCH_SUPPORTS_MEMORY_FAILURE (and
	#                  memory-failure fails rather than skips without it)
	# va_high_addr_switch
	#                  x86_64, powerpc64 and arm64 only: skips on s390
	# memfd_secret, protection_keys, pkey_sighandler_tests
	#                  not built for s390 by the Makefile
	# hmm-tests (test_hmm.sh), test_vmalloc.sh, test_page_frag.sh,
	# charge_reserved_hugetlb.sh, hugetlb_reparenting_test.sh
	#                  shell scripts that load test modules or set up
	#                  cgroups; the initramfs has no shell
)

# The smoke subset of make check (smoke.list): quick tests of the walkers
# the series converts (fork and COW, mprotect, madvise, mremap) that pass
# on v7.3.
MM_SELFTESTS_SMOKE=(
	cow
	guard-regions
	mkdirty
	mremap_dontunmap
	process_madv
	mlock2-tests
)

# Static libraries that Debian 12 has only in its s390x packages (there is
# no -s390x-cross build of them): fetched with apt-get download from the
# machine's own Debian mirror and unpacked with dpkg-deb -x; no foreign
# architecture is added to dpkg.
#   libnuma-dev   ksm_tests (-lnuma; also migration and rmap, not run)
#   liburing-dev  cow, gup_longterm: their io_uring fixed-buffer cases
#   libcap-dev    mlock-random-test (-lcap)
MM_SELFTESTS_DEBS=(libnuma-dev liburing-dev libcap-dev)

# The tree whose selftests are built; its UAPI headers come from $SRC as
# checked out (the series changes neither).
MM_SELFTESTS_REV=${MM_SELFTESTS_REV:-$BASE_TAG}

# mm_selftests_debs DIR: unpack the s390x packages of MM_SELFTESTS_DEBS
# into DIR (once); the .debs are kept in DIR.debs.
mm_selftests_debs() {
	local dir=$1 dl=$1.debs suite p missing=()
	for p in "${MM_SELFTESTS_DEBS[@]}"; do
		compgen -G "$dl/${p}_*_s390x.deb" >/dev/null || missing+=("$p")
	done
	if ((${#missing[@]})); then
		log "fetching the s390x packages ${missing[*]}"
		suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
		mkdir -p "$dl"
		APT_ARCH=s390x private_apt "$dl" \
			"deb [arch=s390x signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] MIRROR $suite main" \
			download -qq "${missing[@]}" ||
			die "could not download the s390x packages ${missing[*]}"
		rm -rf "$dir"
	fi
	if [[ ! -e $dir/.done ]]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		for p in "$dl"/*_s390x.deb; do
			dpkg-deb -x "$p" "$dir"
		done
		touch "$dir/.done"
	fi
}

# build_mm_selftests: build the binaries of MM_SELFTESTS, static for s390x,
# into $OUT/selftests-mm with the lists of runs, tests.list and smoke.list;
# prints the directory.
build_mm_selftests() {
	local b=$CACHE/selftests-mm out=$OUT/selftests-mm rev t bins=() targets=()
	# shellcheck disable=SC2034 # ensure_deps reads it
	local DEPS=(rsync:rsync) # headers_install copies with rsync
	ensure_deps
	rev=$(git -C "$SRC" rev-parse "$MM_SELFTESTS_REV^{commit}")
	mkdir -p "$b" "$out"

	mm_selftests_debs "$b/s390x"

	log "installing the s390 UAPI headers"
	in_build_dir "$b/kbuild" make -s -C "$SRC" O="$b/kbuild" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- \
		INSTALL_HDR_PATH="$b/usr" headers_install >&2

	if [[ $(cat "$b/tree/.rev" 2>/dev/null) != "$rev" ]]; then
		rm -rf "$b/tree"
		mkdir -p "$b/tree"
		git -C "$SRC" archive "$rev" tools/testing/selftests tools/include \
			tools/arch mm/gup_test.h lib/test_hmm_uapi.h include/vdso |
			tar -x -C "$b/tree"
		echo "$rev" >"$b/tree/.rev"
	fi

	for t in "${MM_SELFTESTS[@]}"; do
		t=${t%% *}
		[[ " ${bins[*]} " == *" $t "* ]] || bins+=("$t")
	done
	targets=("${bins[@]/#/$out/}")
	log "building ${#bins[@]} mm selftests for s390x ($(git -C "$SRC" log -1 --format=%s "$rev"))"
	make -s -C "$b/tree/tools/testing/selftests/mm" -j"$JOBS" \
		ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- OUTPUT="$out" \
		KHDR_INCLUDES="-isystem $b/usr/include" \
		USERCFLAGS="-isystem $b/s390x/usr/include" \
		USERLDFLAGS="-static -L$b/s390x/usr/lib/s390x-linux-gnu" \
		"${targets[@]}" >&2
	printf '%s\n' "${MM_SELFTESTS[@]}" >"$out/tests.list"
	printf '%s\n' "${MM_SELFTESTS_SMOKE[@]}" >"$out/smoke.list"
	echo "$out"
}

# build_mm_selftests_initramfs DIR: the init of guest/selftests.c and the
# binaries of tests.list in DIR (as from build_mm_selftests) under /mm of an
# initramfs; prints its path.
build_mm_selftests_initramfs() {
	local tests=$1 bin files=()
	# Stripped copies: a tenth smaller, and the guest unpacks them faster.
	rm -rf "$tests/stripped"
	mkdir -p "$tests/stripped"
	while read -r bin; do
		s390x-linux-gnu-strip -o "$tests/stripped/$bin" "$tests/$bin"
		files+=("/mm/$bin=$tests/stripped/$bin")
	done < <(cut -d' ' -f1 "$tests/tests.list" | sort -u)
	build_initramfs selftests "/mm/tests.list=$tests/tests.list" \
		"/mm/smoke.list=$tests/smoke.list" "${files[@]}"
}
