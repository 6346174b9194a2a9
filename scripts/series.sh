#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The series and the developer work tree ($REPO/linux).
#
#   series.sh worktree   create linux/: base + series as commits on branch
#                        'series' (nothing is done if it exists)
#   series.sh export     write the commits of linux/ back to patches/
#   series.sh status     say whether linux/ has commits or edits that are
#                        not yet exported; exit 1 if so
#   series.sh am         KSRC=/path/to/linux: apply the series to a git tree
#                        of the user's on a new branch
. "$(dirname "$0")/lib.sh"

COVER=$PATCHES/0000-cover-letter.patch

worktree() {
	if [[ -e $WORKTREE/.git ]]; then
		log "$WORKTREE exists; leaving it as it is"
		return
	fi
	ensure_deps
	ensure_base
	log "cloning the base into $WORKTREE"
	git clone -q --shared --no-checkout "$SRC" "$WORKTREE"
	git -C "$WORKTREE" checkout -q -b series "$BASE_TAG"
	git -C "$WORKTREE" am -q $(series)
	log "linux/ is on branch 'series': $(git -C "$WORKTREE" rev-list --count "$BASE_TAG"..) commits on $BASE_TAG"
	log "Debian's .gitignore hides new files: add them with 'git add -f'"
}

# The cover letter's own text (subject, then body), without the parts that
# git format-patch generates.
cover_blurb() {
	awk '
		/^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); print; print ""; next }
		!body && /^$/ { body = 1; next }
		body && /^[^ ].* \([0-9]+\):$/ { exit }
		body { print }
	' "$COVER"
}

# format-patch the work tree's commits into directory $1.
format_series() {
	local out=$1
	git -C "$WORKTREE" config branch.series.description "$(cover_blurb)"
	git -C "$WORKTREE" format-patch -q --cover-letter \
		--cover-from-description=subject --zero-commit --no-signature \
		--base="$BASE_TAG" -o "$out" "$BASE_TAG"..HEAD
	# The cover letter takes the date of the last commit, not the time of
	# the export, so that exporting the same commits gives the same files.
	sed -i "s/^Date: .*/Date: $(git -C "$WORKTREE" log -1 --format=%aD)/" \
		"$out"/0000-cover-letter.patch
}

need_worktree() {
	[[ -e $WORKTREE/.git ]] || die "no work tree; create it with: make worktree"
}

export_series() {
	need_worktree
	local tmp
	tmp=$(mktemp -d)
	format_series "$tmp"
	rm -f "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch
	cp "$tmp"/*.patch "$PATCHES"/
	rm -rf "$tmp"
	log "exported $(series | wc -l) patches and the cover letter to patches/"
}

status() {
	need_worktree
	local tmp dirty=0 edits
	edits=$(git -C "$WORKTREE" status --porcelain --ignored=matching)
	if [[ -n $edits ]]; then
		echo "linux/ has edits that are not committed:"
		echo "$edits" | sed 's/^/  /'
		dirty=1
	fi
	tmp=$(mktemp -d)
	format_series "$tmp"
	if ! diff -qr "$tmp" "$PATCHES" >/dev/null; then
		echo "linux/ has commits that are not exported to patches/ (run: make export):"
		diff -r "$tmp" "$PATCHES" | grep '^[<>] Subject\|^Only in\|^diff' | sed 's/^/  /' || true
		dirty=1
	fi
	rm -rf "$tmp"
	((dirty)) || echo "linux/ and patches/ agree: nothing to export"
	return $dirty
}

# Apply the series to a user's own kernel git tree, on a new branch.
am_user_tree() {
	local ksrc=${KSRC:?set KSRC=/path/to/linux}
	local branch=${BRANCH:-lazy-mmu-range}
	git -C "$ksrc" rev-parse --git-dir >/dev/null 2>&1 ||
		die "$ksrc is not a git tree"
	[[ -z $(git -C "$ksrc" status --porcelain --untracked-files=no) ]] ||
		die "$ksrc has uncommitted changes; commit or stash them first"
	git -C "$ksrc" rev-parse -q --verify "refs/heads/$branch" >/dev/null &&
		die "branch $branch exists in $ksrc; choose another with BRANCH=name"
	git -C "$ksrc" checkout -q -b "$branch"
	# The patches name their author; the commits are the user's, with
	# the user's own git identity (lib.sh sets the project's for the
	# workbench's own trees).
	env -u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL -u GIT_COMMITTER_NAME \
		-u GIT_COMMITTER_EMAIL git -C "$ksrc" am $(series) ||
		die "the series does not apply to $ksrc; 'git -C $ksrc am --abort' restores it"
	log "applied $(series | wc -l) patches to $ksrc on branch $branch"
}

case ${1:-} in
worktree) worktree ;;
export) export_series ;;
status) status ;;
am) am_user_tree ;;
*) die "usage: $0 worktree|export|status|am" ;;
esac
