# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the workbench. Sourced by the other scripts; never run.
#
# Layout:
#   $CACHE/dl         downloaded packages (base kernel, QEMU source)
#   $CACHE/src        git repository: the pristine base (tag $BASE_TAG) and,
#                     checked out, base + series as built by `make check`
#   $CACHE/apply      git worktree of $CACHE/src where the series is applied
#   $CACHE/build/*    out-of-tree kernel builds
#   $CACHE/ccache     compiler cache
#   $REPO/linux       developer work tree (git clone sharing $CACHE/src)

set -euo pipefail
shopt -s inherit_errexit

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LMR_CACHE:-$HOME/.cache/lazy-mmu-range}
PATCHES=$REPO/patches
OUT=$REPO/out
SRC=$CACHE/src
WORKTREE=$REPO/linux

# The base: exactly this version of Debian's package, whose tarball must
# import as exactly this git tree. LMR_BASE_VERSION and LMR_BASE_TREE
# measure another one (LMR_BASE_TREE=any skips the tree check); the
# results' manifests name what was used.
BASE_PKG=linux-source-7.3
BASE_SUITE=trixie-backports
BASE_TAG=v7.3-base
BASE_VERSION=${LMR_BASE_VERSION:-7.3.4-1~bpo13+1}
BASE_TREE=${LMR_BASE_TREE:-5b1b93321fb4c4dd9c489ce15c4f3caaadd798d7}
# Debian 12's QEMU source, which qemu/patches apply to, pinned the same
# way (scripts/qemu.sh): LMR_QEMU_VERSION, LMR_QEMU_TREE.
QEMU_VERSION=${LMR_QEMU_VERSION:-1:7.2+dfsg-7+deb12u18}
QEMU_TREE=${LMR_QEMU_TREE:-20beada99df2ec8b1ca4c60ba6ec046d2be30312}

IDENT_NAME='lazy-mmu-range developers'
IDENT_EMAIL='dev@lazy-mmu-range.invalid'
export GIT_AUTHOR_NAME=$IDENT_NAME GIT_AUTHOR_EMAIL=$IDENT_EMAIL
export GIT_COMMITTER_NAME=$IDENT_NAME GIT_COMMITTER_EMAIL=$IDENT_EMAIL

export CCACHE_DIR=$CACHE/ccache
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Debian's ccache masquerade directory: gcc and the cross compilers.
export PATH=/usr/lib/ccache:$PATH
JOBS=${JOBS:-$(nproc)}

# The CROSS_COMPILE prefix for a kernel ARCH on this x86_64 machine.
cross_compile() {
	case $1 in
	s390) echo s390x-linux-gnu- ;;
	arm64) echo aarch64-linux-gnu- ;;
	esac
}

T0=${T0:-$(date +%s)}
export T0

log() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages the workbench needs, as "command-or-file:package".
DEPS=(
	s390x-linux-gnu-gcc:gcc-s390x-linux-gnu
	aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
	qemu-system-s390x:qemu-system-misc
	qemu-system-x86_64:qemu-system-x86
	bc:bc flex:flex bison:bison
	/usr/include/libelf.h:libelf-dev
	/usr/include/openssl/ssl.h:libssl-dev
	/usr/s390x-linux-gnu/lib/libc.a:libc6-dev-s390x-cross
	ccache:ccache python3:python3 git:git xz:xz-utils xxd:xxd
	gnuplot:gnuplot-nox
	# the stress guest's disk (scripts/reliability.sh)
	mke2fs:e2fsprogs
	make:make gcc:gcc perl:perl
	# to build our QEMU (scripts/qemu.sh)
	meson:meson ninja:ninja-build pkg-config:pkg-config dpkg-source:dpkg-dev
	/usr/include/glib-2.0/glib.h:libglib2.0-dev
	/usr/include/pixman-1/pixman.h:libpixman-1-dev
	/usr/include/libfdt.h:libfdt-dev
)

# Install what is missing (as root), or say exactly what to install.
ensure_deps() {
	local want=() d
	for d in "${DEPS[@]}"; do
		case ${d%%:*} in
		/*) [[ -e ${d%%:*} ]] ;;
		*) command -v "${d%%:*}" >/dev/null ;;
		esac || want+=("${d#*:}")
	done
	((${#want[@]})) || return 0
	if [[ $(id -u) != 0 ]]; then
		die "missing packages; run: sudo apt-get install ${want[*]}"
	fi
	log "installing ${want[*]}"
	apt-get update -qq >/dev/null ||
		die "apt-get update failed; then run: apt-get install ${want[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" \
		>/dev/null || die "could not install: ${want[*]}"
}

# The Debian mirror this machine already uses, read from its apt setup.
debian_mirror() {
	local codename uri
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
	      awk -v s="$codename" '$2 == s { print $1; exit }')
	[[ -n $uri ]] || die "no apt source for Debian '$codename' found in the apt configuration"
	echo "$uri"
}

# private_apt DIR LINE ARGS...: run "apt-get ARGS" in DIR with an apt setup
# of our own whose only source is LINE, where MIRROR stands for this
# machine's Debian mirror. The setup lives in a temporary directory that is
# removed afterwards, so no mirror name stays on disk. APT_ARCH=ARCH makes
# it a setup for that architecture alone (to download foreign packages
# without adding the architecture to dpkg).
private_apt() {
	local dir=$1 line=$2 tmp rc=0 opts
	shift 2
	tmp=$(mktemp -d)
	mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
	echo "${line/MIRROR/$(debian_mirror)}" >"$tmp/sources.list"
	opts=(-o Dir::Etc::SourceList="$tmp/sources.list"
	      -o Dir::Etc::SourceParts=/dev/null
	      -o Dir::State::Lists="$tmp/lists"
	      -o Dir::Cache="$tmp/cache" -o APT::Sandbox::User=root)
	[[ -z ${APT_ARCH:-} ]] ||
		opts+=(-o APT::Architecture="$APT_ARCH" -o APT::Architectures="$APT_ARCH")
	if apt-get "${opts[@]}" update -qq >&2; then
		(cd "$dir" && apt-get "${opts[@]}" "$@" >&2) || rc=$?
	else
		rc=$?
	fi
	rm -rf "$tmp"
	return $rc
}

# Download the base kernel package, version $BASE_VERSION; print its path.
fetch_base_deb() {
	local dir=$CACHE/dl deb
	mkdir -p "$dir"
	deb=$dir/${BASE_PKG}_${BASE_VERSION//:/%3a}_all.deb
	if [[ ! -f $deb ]]; then
		log "fetching $BASE_PKG $BASE_VERSION from $BASE_SUITE"
		private_apt "$dir" "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] MIRROR $BASE_SUITE main" \
			download -qq "$BASE_PKG=$BASE_VERSION" ||
			die "could not download $BASE_PKG $BASE_VERSION from $BASE_SUITE; the workbench is pinned to that version (see above for what apt says): to measure another, run with LMR_BASE_VERSION=VERSION LMR_BASE_TREE=any"
		[[ -f $deb ]] || die "apt did not write $deb"
	fi
	echo "$deb"
}

# Create $SRC: a git repository whose tag $BASE_TAG is the pristine base,
# and check that it is the pinned tree.
ensure_base() {
	lock_tree
	if ! git -C "$SRC" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null 2>&1; then
		import_base
	fi
	local tree
	tree=$(git -C "$SRC" rev-parse "$BASE_TAG^{tree}")
	[[ $BASE_TREE == any || $tree == "$BASE_TREE" ]] ||
		die "the base in $SRC ($(git -C "$SRC" log -1 --format=%s "$BASE_TAG")) is tree $tree, not the pinned $BASE_TREE of $BASE_PKG $BASE_VERSION; delete $SRC to import the pinned one, or run with LMR_BASE_TREE=$tree to measure this one"
}

import_base() {
	local deb tmp ver
	deb=$(fetch_base_deb)
	tmp=$CACHE/unpack
	rm -rf "$tmp" "$SRC"
	mkdir -p "$tmp"
	log "unpacking $(basename "$deb")"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards '*.tar.xz'
	tar -xf "$tmp"/usr/src/${BASE_PKG}.tar.xz -C "$tmp"
	mv "$tmp/$BASE_PKG" "$SRC"
	rm -rf "$tmp"
	ver=$(make -s -C "$SRC" kernelversion)
	[[ $ver == 7.3 || $ver == 7.3.* ]] ||
		die "$(basename "$deb") holds Linux $ver, not 7.3.x"
	log "importing Linux $ver into $SRC"
	git -C "$SRC" init -q
	git -C "$SRC" add -A -f .
	GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
		git -C "$SRC" commit -q -m "Linux $ver ($(basename "$deb" .deb))"
	git -C "$SRC" tag "$BASE_TAG"
}

# Every command that checks out or builds the shared kernel tree $SRC holds
# $CACHE/tree.lock for as long as it runs, so that two commands started at
# once take turns instead of switching the tree under each other.
lock_tree() {
	[[ ${LMR_TREE_LOCK:-} == "$CACHE" ]] && return
	mkdir -p "$CACHE"
	exec {TREE_LOCK_FD}>>"$CACHE/tree.lock"
	if ! flock -n "$TREE_LOCK_FD"; then
		log "another workbench command uses $CACHE; waiting for it to finish"
		flock "$TREE_LOCK_FD"
	fi
	export LMR_TREE_LOCK=$CACHE TREE_LOCK_FD
}

# without_lock CMD...: run CMD without the lock's file descriptor, for what
# may outlive the command (watchers, QEMU under timeout): the lock ends
# with the command that took it.
without_lock() {
	if [[ -n ${TREE_LOCK_FD:-} ]]; then
		"$@" {TREE_LOCK_FD}>&-
	else
		"$@"
	fi
}

series() { ls "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-'; }

# Apply the series in the scratch worktree $CACHE/apply: fails on any
# reject (git am accepts no fuzz). Prints the resulting commit.
apply_series() {
	local apply=$CACHE/apply
	if [[ ! -e $apply/.git ]]; then
		git -C "$SRC" worktree prune
		git -C "$SRC" worktree add -q --detach "$apply" "$BASE_TAG" >&2
	fi
	git -C "$apply" am --abort >/dev/null 2>&1 || true
	git -C "$apply" checkout -q -f --detach "$BASE_TAG"
	git -C "$apply" clean -q -fdx
	GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
		git -C "$apply" am -q --whitespace=error-all "$@" >&2 || {
		git -C "$apply" am --abort >/dev/null 2>&1 || true
		return 1
	}
	git -C "$apply" rev-parse HEAD
}

# Check out a commit in $SRC, rewriting only the files that differ, so that
# incremental builds stay incremental.
checkout_src() {
	git -C "$SRC" checkout -q -f --detach "$1"
	git -C "$SRC" clean -q -fd
}

# build_dir_owner_alive PID STAMP: is PID a process that started before
# STAMP was written (so not a later process that reuses the number)?
build_dir_owner_alive() {
	local age
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	age=$(ps -o etimes= -p "$1") || return 1
	(($(date +%s) - age <= $(stat -c %Y "$2") + 1))
}

# The kernel builds in $CACHE/build outlive the run that made them. A run
# killed in the middle of one (a session's end, a timeout) can leave a
# truncated object that is newer than its source; make takes it as up to
# date and the next link fails on it ("member ... is not an object").
# in_build_dir DIR CMD...: run CMD, which builds in DIR, with a stamp in DIR
# for as long as it runs. A stamp left by a run that is gone marks every
# file written since as suspect: they are deleted, so that make writes them
# again (from ccache, mostly). A run that is still alive is waited for.
in_build_dir() {
	local dir=$1 stamp=$1/.building pid rc=0 waited=0
	shift
	mkdir -p "$dir"
	while [[ -f $stamp ]]; do
		pid=$(cat "$stamp")
		if build_dir_owner_alive "$pid" "$stamp"; then
			((waited % 60)) || log "waiting for run $pid, which is building in ${dir#"$CACHE"/}"
			((waited < 3600)) || die "run $pid has been building in $dir for an hour; stop it or delete $stamp"
			sleep 10
			waited=$((waited + 10))
			continue
		fi
		local suspect=(find "$dir" -type f -newer "$stamp" ! -name .config)
		log "${dir#"$CACHE"/}: the run that built there last was killed; deleting the $("${suspect[@]}" | wc -l) files it wrote"
		"${suspect[@]}" -delete
		rm -f "$stamp"
	done
	echo "$BASHPID" >"$stamp"
	without_lock every_minute build_progress "$dir" "$stamp" >/dev/null &
	local watch=$!
	"$@" || rc=$?
	stop_watch "$watch"
	rm -f "$stamp"
	return "$rc"
}

# every_minute CMD...: run "CMD... MINUTES" every minute until killed (see
# stop_watch) or until the command that started it is gone. A TERM ends
# the wait at once, so no sleep outlives it holding the caller's pipes open.
every_minute() {
	local sleeper='' n=0 owner=$$
	trap '[[ -z $sleeper ]] || kill "$sleeper" 2>/dev/null; exit 0' TERM
	while kill -0 "$owner" 2>/dev/null; do
		sleep 60 &
		sleeper=$!
		wait "$sleeper" || true
		sleeper=''
		n=$((n + 1))
		"$@" "$n" || true
	done
}

# stop_watch PID: stop a watcher started in the background.
stop_watch() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# build_progress DIR STAMP MINUTES: log how far a long build has come.
build_progress() {
	log "still building in ${1#"$CACHE"/} ($3 min): $(find "$1" -type f -newer "$2" 2>/dev/null | wc -l) files written"
}

. "$REPO/scripts/results.sh"
