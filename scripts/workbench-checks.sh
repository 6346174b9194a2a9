# SPDX-License-Identifier: GPL-2.0
# make check's checks of the workbench itself: what it promises about
# killed builds, concurrent runs, pinned inputs, kernel configs and
# quoted figures. Sourced by check.sh after lib.sh, tap.sh and guest.sh.

# The guard of the kernel build directories: a run killed midway left its
# stamp, a finished object before it and a truncated one after it. Only
# the truncated one may go.
build_dir_guard_check() {
	local dir=$OUT/guard-check pid ok=0
	rm -rf "$dir"
	mkdir -p "$dir"
	true &
	pid=$!
	wait "$pid"
	echo 'finished' >"$dir/old.o"
	touch -d '-2 min' "$dir/old.o"
	echo "$pid" >"$dir/.building"
	touch -d '-1 min' "$dir/.building"
	: >"$dir/truncated.o"
	in_build_dir "$dir" touch "$dir/built" 2>/dev/null &&
		[[ -s $dir/old.o && ! -e $dir/truncated.o && -e $dir/built && ! -e $dir/.building ]] &&
		ok=1
	tap_result "$ok" "workbench: a build directory left by a killed run loses the files written after its stamp, and only those"
	rm -rf "$dir"
}

# Two commands started at once on one cache: the second waits until the
# first is done (each notes when it holds the tree and when it lets go).
tree_lock_check() {
	local tmp ok=0
	tmp=$(mktemp -d)
	for who in A B; do
		env -u LMR_TREE_LOCK LMR_CACHE="$tmp" bash -c \
			'. "$1/scripts/lib.sh"; lock_tree; echo "$(date +%s%N) $2 in"; sleep 2; echo "$(date +%s%N) $2 out"' \
			_ "$REPO" "$who" >>"$tmp/order" 2>/dev/null &
		sleep 0.5
	done
	wait
	# in, out, in, out by the same command each time: never two inside
	sort -n "$tmp/order" | awk '{ print $3 }' | tr '\n' ' ' | grep -qx 'in out in out ' &&
		[[ $(sort -n "$tmp/order" | awk 'NR == 1 || NR == 2 { print $2 }' | uniq | wc -l) == 1 ]] &&
		ok=1
	tap_result "$ok" "workbench: two commands started at once take turns on the shared kernel tree"
	rm -rf "$tmp"
}

# The base is pinned: another tree in the cache, or a version the archive
# does not have, is refused with a message that says how to override.
pinned_base_check() {
	local out tmp
	out=$(LMR_BASE_TREE=0000000000000000000000000000000000000000 bash -c \
		'. "$1/scripts/lib.sh"; ensure_base' _ "$REPO" 2>&1) && out=
	tap_result "$(grep -q 'not the pinned .*LMR_BASE_TREE=' <<<"$out" && echo 1 || echo 0)" \
		"workbench: a base tree other than the pinned one is refused (${out:0:60}...)"
	tmp=$(mktemp -d)
	out=$(env -u LMR_TREE_LOCK LMR_CACHE="$tmp" LMR_BASE_VERSION=7.3.0-0 bash -c \
		'. "$1/scripts/lib.sh"; ensure_base' _ "$REPO" 2>&1) && out=
	tap_result "$(grep -q 'could not download .* 7.3.0-0 .*LMR_BASE_VERSION=' <<<"$out" && echo 1 || echo 0)" \
		"workbench: a base version other than the pinned one is refused when the archive lacks it"
	rm -rf "$tmp"
}

# A fragment asking for an option that Kconfig cannot give fails the
# build and names the option (PAGE_TABLE_CHECK without
# EXCLUSIVE_SYSTEM_RAM, the defect this check was written for).
config_drop_check() {
	local tmp out
	tmp=$(mktemp -d)
	printf 'CONFIG_DEVMEM=y\n# CONFIG_STRICT_DEVMEM is not set\nCONFIG_PAGE_TABLE_CHECK=y\n' >"$tmp/frag.config"
	out=$( (merge_kconfig "$tmp/build" s390 "$REPO/config/s390-demo.config" "$tmp/frag.config") 2>&1) && out=
	tap_result "$(grep -q "dropped .*CONFIG_PAGE_TABLE_CHECK" <<<"$out" && echo 1 || echo 0)" \
		"workbench: a config option that Kconfig drops fails the kernel's configuration"
	rm -rf "$tmp"
}

# The README and the cover letter quote only committed results. The check
# must also catch a figure changed by hand: the first number of the
# README's first table row, and the first figure of its text. Each
# doctored copy must fail, on the doctored line, where the original passes.
figures_check() {
	local docs=("$REPO/README.md" "$PATCHES/0000-cover-letter.patch") out tmp rc=0 f line
	out=$(python3 "$REPO/scripts/results.py" check "${docs[@]}" 2>&1) || rc=$?
	tap_result $((rc == 0)) "figures: the README and the cover letter quote only committed results"
	[[ -z $out ]] || echo "$out" | sed 's/^/# /'
	tmp=$(mktemp -d)
	awk '!done && /^\| / && /[0-9]/ && !/^\|[-|: ]+$/ && ++n > 1 && match($0, /[0-9]+/) {
		$0 = substr($0, 1, RSTART - 1) (substr($0, RSTART, RLENGTH) + 1) substr($0, RSTART + RLENGTH); done = 1 } 1' \
		"$REPO/README.md" >"$tmp/table.md"
	python3 "$REPO/scripts/results.py" doctor "$REPO/README.md" "$tmp/text.md" >/dev/null 2>&1 || true
	for f in table text; do
		line=$(cmp "$REPO/README.md" "$tmp/$f.md" 2>/dev/null | sed -n 's/.* line \([0-9]*\)$/\1/p' || true)
		out=$(python3 "$REPO/scripts/results.py" check "$tmp/$f.md" 2>&1) || true
		if [[ -z $line ]]; then
			tap_not_ok "figures: a doctored $f figure is caught (no figure to doctor found)"
		else
			tap_result "$( ((rc == 0)) && grep -q "^$tmp/$f.md:$line: " <<<"$out" && echo 1 || echo 0)" \
				"figures: a doctored $f figure is caught (line $line)"
		fi
	done
	rm -rf "$tmp"
}
