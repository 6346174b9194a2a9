#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make textsize: .text of the objects the series converts, v7.3 vs series.
#
# Configurations: x86_64 defconfig (no lazy MMU mode there), x86_64
# defconfig + xen.config (PARAVIRT_XXL: x86 then has the lazy MMU mode) and
# arm64 defconfig. Only the listed objects are built, after `make prepare`.
# The table goes to results/<date>-<commit>/textsize/textsize.txt.
. "$(dirname "$0")/lib.sh"

OBJS="mm/memory.o mm/madvise.o mm/mprotect.o mm/mremap.o mm/vmalloc.o fs/proc/task_mmu.o"
CONFIGS=("x86_64 defconfig" "x86_64 defconfig xen.config" "arm64 defconfig")


# text_sizes TREE ARCH TARGETS...: build the objects, print "obj size" lines.
text_sizes() {
	local tree=$1 arch=$2 name dir
	shift 2
	name=$(echo "$arch $*" | tr ' ' '-')
	dir=$CACHE/build/textsize-$name-$tree
	local mk=(in_build_dir "$dir" make -s -C "$SRC" O="$dir" ARCH="$arch" CROSS_COMPILE="$(cross_compile "$arch")" -j"$JOBS")
	mkdir -p "$dir"
	[[ -f $dir/.config ]] || "${mk[@]}" "$@" >/dev/null
	"${mk[@]}" prepare >/dev/null
	# shellcheck disable=SC2086
	"${mk[@]}" $OBJS >/dev/null
	for o in $OBJS; do
		echo "$o $("$(cross_compile "$arch")"size -A "$dir/$o" | awk '$1 == ".text" { print $2 }')"
	done
}

results_begin textsize
ensure_deps
ensure_base
head=$(apply_series $(series)) || die "the series does not apply"

declare -A size
for tree in base series; do
	if [[ $tree == base ]]; then checkout_src "$BASE_TAG"; else checkout_src "$head"; fi
	results_step "$tree"
	for cfg in "${CONFIGS[@]}"; do
		log "building $cfg objects for $tree"
		while read -r obj sz; do
			size[$tree,$cfg,$obj]=$sz
		done < <(text_sizes "$tree" $cfg)
	done
done

changed=0 moved=0
{
printf '%-28s %-22s %10s %10s %6s\n' config object v7.3 series delta
for cfg in "${CONFIGS[@]}"; do
	for o in $OBJS; do
		b=${size[base,$cfg,$o]} s=${size[series,$cfg,$o]}
		printf '%-28s %-22s %10d %10d %6d\n' "$cfg" "$o" "$b" "$s" $((s - b))
		if ((s != b)); then
			changed=$((changed + 1))
			moved=$((moved + (s > b ? s - b : b - s)))
		fi
	done
done
# The sum of the absolute deltas: a net sum would let a gain in one object
# hide a loss in another.
echo "text delta: $moved bytes in $changed objects"
} | tee "$RESULTS/textsize.txt"
