#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bisect-build: build every prefix of the series for s390 and x86_64
# (allnoconfig + config/bisect.config) and report the first that fails;
# a line per prefix and architecture in results/<date>-<commit>/bisect-build/.
. "$(dirname "$0")/lib.sh"

ARCHS=${ARCHS:-"s390 x86_64"}


results_begin bisect-build
ensure_deps
ensure_base
mkdir -p "$OUT"
head=$(apply_series $(series)) || die "the series does not apply"
mapfile -t commits < <(git -C "$SRC" rev-list --reverse "$BASE_TAG..$head")

n=0
for c in "${commits[@]}"; do
	n=$((n + 1))
	subject=$(git -C "$SRC" log -1 --format=%s "$c")
	checkout_src "$c"
	results_step "patch-$n"
	for arch in $ARCHS; do
		dir=$CACHE/build/bisect-$arch
		mk=(in_build_dir "$dir" make -s -C "$SRC" O="$dir" ARCH="$arch" CROSS_COMPILE="$(cross_compile "$arch")" -j"$JOBS")
		mkdir -p "$dir"
		if [[ ! -f $dir/.config ]]; then
			"${mk[@]}" allnoconfig KCONFIG_ALLCONFIG="$REPO/config/bisect.config" >/dev/null
			grep -q '^CONFIG_LAZY_MMU_MODE_KUNIT_TEST=y' "$dir/.config" ||
				log "note: $arch config lacks CONFIG_LAZY_MMU_MODE_KUNIT_TEST"
		fi
		log "patch $n/${#commits[@]} ($subject): building $arch"
		if ! "${mk[@]}" W=1 vmlinux >"$OUT/bisect-$arch.log" 2>&1; then
			grep -E 'error|Error' "$OUT/bisect-$arch.log" | head -20
			echo "patch $n/${#commits[@]} $arch: does not build: $subject" >>"$RESULTS/bisect.txt"
			die "patch $n ($subject) does not build for $arch; see out/bisect-$arch.log"
		fi
		if grep -E '^[^ ]+:[0-9]+:[0-9]+: warning:' "$OUT/bisect-$arch.log" |
		   grep -F -f <(git -C "$SRC" diff --name-only "$c~1" "$c"); then
			log "warning: patch $n adds W=1 warnings in the files it touches ($arch)"
			echo "patch $n/${#commits[@]} $arch: builds, with new W=1 warnings: $subject" >>"$RESULTS/bisect.txt"
		else
			echo "patch $n/${#commits[@]} $arch: builds, W=1 clean in its files: $subject" >>"$RESULTS/bisect.txt"
		fi
	done
done
echo "all ${#commits[@]} prefixes of the series build for $ARCHS" | tee -a "$RESULTS/bisect.txt"
