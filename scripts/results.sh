# SPDX-License-Identifier: GPL-2.0
# Results are files that the commands write, never text typed by hand. A
# command that tests or measures calls results_begin NAME first; what it
# finds goes into $RESULTS = results/<date>-<commit>/NAME/, and when it
# exits (whatever its status) scripts/results.py writes manifest.json
# there: this repository's commit, the base and QEMU sources and their
# tree hashes, the hashes of both series, the host, and the wall time of
# each step (results_step). What the run began with (commit, uncommitted
# changes, the series' hashes) is noted when it begins. Sourced by lib.sh.
#
# LMR_RESULTS=DIR writes to DIR/NAME instead. The commit is suffixed
# "-dirty" when tracked files differ from it: such results say so, and the
# figure check (scripts/results.py check) refuses to quote them.

results_begin() {
	local commit
	# a second run of the same command waits here, not after it has
	# deleted the first one's results
	lock_tree
	commit=$(git -C "$REPO" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	[[ -z $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] ||
		commit+=-dirty
	RESULTS=${LMR_RESULTS:-$REPO/results/$(date -u +%F)-$commit}/$1
	rm -rf "$RESULTS"
	mkdir -p "$RESULTS"
	ensure_deps	# python3 among them
	python3 "$REPO/scripts/results.py" begin "$RESULTS" "${0#"$REPO"/}"
	echo "$(date +%s) setup" >"$RESULTS/.steps"
	trap 'results_end $?' EXIT
}

# results_step NAME: the step NAME begins (and the one before it ends).
results_step() {
	[[ -n ${RESULTS:-} ]] || return 0
	echo "$(date +%s) $*" >>"$RESULTS/.steps"
}

# The EXIT trap: never changes the command's exit status.
results_end() {
	set +e
	echo "$(date +%s) end" >>"$RESULTS/.steps"
	export REPO CACHE SRC BASE_PKG BASE_VERSION BASE_TAG QEMU_VERSION
	python3 "$REPO/scripts/results.py" manifest "$RESULTS" "$1" ||
		log "could not write $RESULTS/manifest.json"
	rm -f "$RESULTS"/.{steps,begin}
	log "results: ${RESULTS#"$REPO"/}/"
	return 0
}
