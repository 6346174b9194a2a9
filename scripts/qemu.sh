# SPDX-License-Identifier: GPL-2.0
# Our QEMU: Debian 12's QEMU 7.2 source with qemu/patches applied (the
# IPTE-range facility in TCG, an IPTE trace event), built for s390x only,
# and the IPTE counting plugin. Sourced after lib.sh.
#
#   $CACHE/qemu/src      git repository: Debian's source (tag base) + patches
#   $CACHE/qemu/build    the build

QEMU_DIR=$CACHE/qemu
QEMU_SRC=$QEMU_DIR/src
QEMU_BUILD=$QEMU_DIR/build
QEMU_PLUGIN=$QEMU_BUILD/ipte-count.so
# Our qemu-system-s390x, with Debian's firmware.
QEMU_OURS=$REPO/scripts/qemu-s390x-ours
export LMR_QEMU_BUILD=$QEMU_BUILD

# Unpack Debian's QEMU source (with Debian's patches) into $QEMU_SRC, and
# check that it is the pinned tree.
ensure_qemu_src() {
	lock_tree
	git -C "$QEMU_SRC" rev-parse -q --verify refs/tags/base >/dev/null 2>&1 ||
		import_qemu_src
	local tree
	tree=$(git -C "$QEMU_SRC" rev-parse 'base^{tree}')
	[[ $QEMU_TREE == any || $tree == "$QEMU_TREE" ]] ||
		die "the QEMU source in $QEMU_SRC ($(git -C "$QEMU_SRC" log -1 --format=%s base)) is tree $tree, not the pinned $QEMU_TREE of qemu $QEMU_VERSION; delete $QEMU_DIR to import the pinned one, or run with LMR_QEMU_TREE=$tree to use this one"
}

import_qemu_src() {
	local dsc=$CACHE/dl/qemu_${QEMU_VERSION#*:}.dsc
	mkdir -p "$CACHE/dl"
	if [[ ! -f $dsc ]]; then
		log "fetching Debian's QEMU source package $QEMU_VERSION"
		private_apt "$CACHE/dl" "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] MIRROR bookworm main" \
			source --download-only -qq "qemu=$QEMU_VERSION" ||
			die "could not download the qemu source package $QEMU_VERSION; the workbench is pinned to that version (see above for what apt says): to use another, run with LMR_QEMU_VERSION=VERSION LMR_QEMU_TREE=any"
		[[ -f $dsc ]] || die "apt did not write $dsc"
	fi
	log "unpacking $(basename "$dsc")"
	rm -rf "$QEMU_SRC"
	mkdir -p "$QEMU_DIR"
	# (no keyring for the uploader's signature here: apt checked the files)
	dpkg-source -q -x "$dsc" "$QEMU_SRC" >"$QEMU_DIR/unpack.log" 2>&1 ||
		die "could not unpack $(basename "$dsc"); see $QEMU_DIR/unpack.log"
	git -C "$QEMU_SRC" init -q
	git -C "$QEMU_SRC" add -A -f .
	GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
		git -C "$QEMU_SRC" commit -q -m "$(basename "$dsc" .dsc)"
	git -C "$QEMU_SRC" tag base
}

qemu_series() { ls "$REPO"/qemu/patches/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-'; }

# Build our qemu-system-s390x and the plugin (incrementally).
ensure_qemu() {
	ensure_qemu_src
	local want have
	want=$(cat $(qemu_series) | sha1sum | cut -c1-40)
	have=$(cat "$QEMU_DIR/applied" 2>/dev/null || true)
	if [[ $want != "$have" ]]; then
		log "applying qemu/patches to Debian's QEMU"
		git -C "$QEMU_SRC" am --abort >/dev/null 2>&1 || true
		git -C "$QEMU_SRC" checkout -q -f --detach base
		git -C "$QEMU_SRC" am -q $(qemu_series) ||
			die "qemu/patches do not apply to Debian's QEMU source"
		echo "$want" >"$QEMU_DIR/applied"
	fi
	if [[ ! -f $QEMU_BUILD/build.ninja ]]; then
		log "configuring QEMU (s390x-softmmu, plugins, no docs or tools)"
		rm -rf "$QEMU_BUILD"
		mkdir -p "$QEMU_BUILD"
		(cd "$QEMU_BUILD" && "$QEMU_SRC"/configure --target-list=s390x-softmmu \
			--without-default-features --disable-docs --disable-tools \
			--disable-werror --enable-plugins --disable-install-blobs \
			--enable-trace-backends=log) >"$QEMU_DIR/configure.log" 2>&1 ||
			die "QEMU configure failed; see $QEMU_DIR/configure.log"
	fi
	log "building qemu-system-s390x in $QEMU_BUILD (log: $QEMU_DIR/build.log)"
	: >"$QEMU_DIR/build.log"
	without_lock watch_console "$QEMU_DIR/build.log" '^\[[0-9]*/[0-9]*\]' "QEMU build: steps" >/dev/null &
	local watch=$! rc=0
	ninja -C "$QEMU_BUILD" -j "$JOBS" qemu-system-s390x >"$QEMU_DIR/build.log" 2>&1 || rc=$?
	stop_watch "$watch"
	((rc == 0)) ||
		{ tail -20 "$QEMU_DIR/build.log"; die "QEMU build failed; see $QEMU_DIR/build.log"; }
	# shellcheck disable=SC2046
	gcc -shared -fPIC -O2 -Wall -Werror -I"$QEMU_SRC/include/qemu" \
		$(pkg-config --cflags glib-2.0) -o "$QEMU_PLUGIN" \
		"$REPO/qemu/plugin/ipte-count.c" || die "the plugin does not build"
}
