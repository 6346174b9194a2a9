# SPDX-License-Identifier: GPL-2.0
# ipte_test_run: the bare-metal IPTE test (qemu/ipte-test) on our QEMU with
# ipter=on and with ipter=off (the stock behaviour); re-emits each of its TAP
# lines. Sourced after lib.sh, tap.sh and qemu.sh.

ipte_test_run() {
	local dir=$OUT/ipte-test mode line logf
	mkdir -p "$dir"
	make -s -C "$REPO/qemu/ipte-test" OUT="$dir" >&2 ||
		{ tap_not_ok "ipte-test builds"; return; }
	for mode in on off; do
		logf=$dir/ipter-$mode.log
		log "bare-metal IPTE test, -cpu max,ipter=$mode (log: out/ipte-test/ipter-$mode.log)"
		timeout 120 "$QEMU_BUILD/qemu-system-s390x" -L /usr/share/qemu \
			-cpu max,ipter=$mode -nodefaults -display none \
			-serial stdio -m 128M -action panic=exit-failure \
			-kernel "$dir/ipte-test.elf" -append "ipter=$mode" \
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
	done
}
