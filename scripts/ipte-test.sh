# SPDX-License-Identifier: GPL-2.0
# ipte_test_run: the bare-metal IPTE test (qemu/ipte-test) on our QEMU with
# ipter=on and with ipter=off (the stock behaviour); re-emits each of its TAP
# lines, and checks that the IPTE plugin counts, per phase, the global and
# local IPTEs the test says it issued, and that its profile of phase 1 adds
# up to the instructions it counted there. Sourced after lib.sh, tap.sh and
# qemu.sh.

ipte_test_run() {
	local dir=$OUT/ipte-test mode line logf
	mkdir -p "$dir"
	make -s -C "$REPO/qemu/ipte-test" OUT="$dir" >&2 ||
		{ tap_not_ok "ipte-test builds"; return; }
	for mode in on off; do
		logf=$dir/ipter-$mode.log
		log "bare-metal IPTE test, -cpu max,ipter=$mode (log: out/ipte-test/ipter-$mode.log)"
		timeout 120 "$QEMU_OURS" -cpu max,ipter=$mode -nodefaults -display none \
			-serial stdio -m 128M -action panic=exit-failure \
			-kernel "$dir/ipte-test.elf" -append "ipter=$mode" \
			-plugin "$QEMU_PLUGIN,profile=1" -d plugin -D "$dir/ipter-$mode.plugin" \
			</dev/null >"$logf" 2>&1 || true
		grep -aq '^ok \|^not ok ' "$logf" ||
			{ tail -5 "$logf" | sed 's/^/# /'; tap_not_ok "ipte-test ipter=$mode ran"; continue; }
		while read -r line; do
			case $line in
			"ok "*) tap_ok "ipte-test ipter=$mode: ${line#ok * - }" ;;
			"not ok "*) tap_not_ok "ipte-test ipter=$mode: ${line#not ok * - }" ;;
			esac
		done < <(grep -a '^ok \|^not ok ' "$logf" | tr -d '\r')
		grep -aq '^ipte-test: .* passed, 0 failed' "$logf" ||
			tap_not_ok "ipte-test ipter=$mode completed (no crash, no missing check)"
		plugin_counts_match "$logf" "$dir/ipter-$mode.plugin" "ipter=$mode"
		plugin_profile_adds_up "$dir/ipter-$mode.plugin" "ipter=$mode"
	done
}

# plugin_profile_adds_up PLUGIN-LOG WHAT: the instructions of the profile
# ("ipte-count: profile ADDR insns I"), added up, are the vcpu_insns of
# phase 1, and the profile has more than one block.
plugin_profile_adds_up() {
	local got blocks sum want
	got=$(awk '$1 == "ipte-count:" && $2 == "profile" { sum += $5; blocks++ }
		$1 == "ipte-count:" && $2 == "phase" && $3 == 1 {
			for (i = 4; i < NF; i++) if ($i == "vcpu_insns") want = $(i + 1) }
		END { print blocks + 0, sum + 0, want + 0 }' "$1")
	read -r blocks sum want <<<"$got"
	tap_result "$([[ $blocks -gt 1 && $sum -gt 0 && $sum == "$want" ]] && echo 1 || echo 0)" \
		"ipte-count plugin, $2: the profile of phase 1 adds up to its instructions ($blocks blocks, $sum of $want)"
}

# plugin_counts_match CONSOLE PLUGIN-LOG WHAT: for each phase the guest
# reports ("# phase N issued ipte_global G ipte_local L"), the plugin must
# have counted the same ("ipte-count: phase N runs 1 ... ipte_global G
# ipte_local L ...").
plugin_counts_match() {
	local n g l got
	while read -r n g l; do
		got=$(awk -v n="$n" '$1 == "ipte-count:" && $2 == "phase" && $3 == n {
			for (i = 4; i < NF; i++) { if ($i == "ipte_global") g = $(i + 1); if ($i == "ipte_local") l = $(i + 1) }
			print g, l }' "$2")
		tap_result "$([[ $got == "$g $l" ]] && echo 1 || echo 0)" \
			"ipte-count plugin, $3, phase $n: $g global and $l local IPTEs as issued (counted: ${got:-none})"
	done < <(tr -d '\r' <"$1" | awk '$1 == "#" && $2 == "phase" && $4 == "issued" { print $3, $6, $8 }')
}
