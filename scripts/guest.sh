# SPDX-License-Identifier: GPL-2.0
# s390 guest kernels and their boot under QEMU. Sourced after lib.sh.

# merge_kconfig DIR ARCH FRAGMENT...: DIR/.config for the tree in $SRC from
# the Kconfig defaults plus the fragments, merged by the kernel's own
# scripts/kconfig/merge_config.sh. An option that a fragment asks for and
# that Kconfig does not give (a dependency not met, a symbol gone) fails,
# naming the option, instead of being dropped without a word.
merge_kconfig() {
	local dir=$1 arch=$2 out dropped
	shift 2
	mkdir -p "$dir"
	out=$(cd "$SRC" && ARCH=$arch CROSS_COMPILE=$(cross_compile "$arch") \
	      in_build_dir "$dir" scripts/kconfig/merge_config.sh -O "$dir" "$@" 2>&1) ||
		{ echo "$out" >&2; die "merge_config.sh failed for ${dir#"$CACHE"/}"; }
	dropped=$(sed -n -e 's/^WARNING: Value requested for \(.*\) not in final .config$/\1/p' \
			-e 's/^WARNING: \(.*\) differs:$/\1/p' <<<"$out")
	if [[ -n $dropped ]]; then
		grep -A2 -e '^WARNING: Value requested for' -e '^WARNING: .* differs:$' <<<"$out" >&2
		rm -f "$dir/.config"
		die "${dir#"$CACHE"/}: Kconfig dropped what the fragments ($(basename -a "$@" | tr '\n' ' ')) ask for: $(echo $dropped)"
	fi
}

# config_key COMMIT FRAGMENT...: what a merged .config depends on.
config_key() {
	cat "${@:2}"
	echo "# Kconfig files: $(git -C "$SRC" ls-tree -r "$1" | awk '$4 ~ /(^|\/)Kconfig[^\/]*$/' | sha1sum)"
}

# build_s390_kernel NAME COMMIT FRAGMENT...: build bzImage of COMMIT (checked
# out in $SRC) in $CACHE/build/NAME from the Kconfig defaults plus the
# fragments; prints the build directory (arch/s390/boot/bzImage is in it).
# KBUILD_VARS (optional): more make variables, e.g. GCOV_PROFILE_x.o=y.
build_s390_kernel() {
	local name=$1 commit=$2 dir=$CACHE/build/$1
	shift 2
	local mk=(in_build_dir "$dir" make -s -C "$SRC" O="$dir" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- -j"$JOBS")
	# shellcheck disable=SC2206 # word splitting intended
	mk+=(${KBUILD_VARS:-})
	checkout_src "$commit"
	mkdir -p "$dir"
	# merged again when a fragment or a Kconfig file changes
	if ! config_key "$commit" "$@" | cmp -s - "$dir/.fragments"; then
		rm -f "$dir/.fragments"
		merge_kconfig "$dir" s390 "$@"
		config_key "$commit" "$@" >"$dir/.fragments"
	fi
	log "building the s390 kernel $name ($(git -C "$SRC" log -1 --format=%s "$commit"))"
	"${mk[@]}" bzImage >&2
	echo "$dir"
}

# build_initramfs NAME [FILE | DEST=FILE]...: guest/NAME.c, built static for
# s390x, as the init of an initramfs packed with the kernel's own
# gen_init_cpio, with each FILE in its root, or at the path DEST (in / or
# a directory right below it; executable FILEs stay executable); prints
# its path.
build_initramfs() {
	local dir=$OUT/initramfs/$1 f src dest d dirs=" /dev "
	mkdir -p "$dir"
	gcc -O2 -o "$dir/gen_init_cpio" "$SRC/usr/gen_init_cpio.c"
	s390x-linux-gnu-gcc -static -O2 -Wall -pthread -o "$dir/init" "$REPO/guest/$1.c"
	cat >"$dir/initramfs.list" <<LIST
dir /dev 755 0 0
nod /dev/console 600 0 0 c 5 1
file /init $dir/init 755 0 0
LIST
	for f in "${@:2}"; do
		if [[ $f == /*=* ]]; then
			dest=${f%%=*} src=${f#*=}
		else
			dest=/$(basename "$f") src=$f
		fi
		d=$(dirname "$dest")
		if [[ $d != / && $dirs != *" $d "* ]]; then
			dirs+="$d "
			echo "dir $d 755 0 0" >>"$dir/initramfs.list"
		fi
		echo "file $dest $src $([[ -x $src ]] && echo 755 || echo 644) 0 0" >>"$dir/initramfs.list"
	done
	"$dir/gen_init_cpio" "$dir/initramfs.list" >"$dir/initramfs.cpio"
	echo "$dir/initramfs.cpio"
}

# build_module BUILD SRC DIR: the out-of-tree module in SRC, copied to DIR,
# built against the kernel build BUILD (its modules first, for
# Module.symvers).
build_module() {
	local mk=(in_build_dir "$1" make -s -C "$1" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-)
	rm -rf "$3"
	cp -r "$2" "$3"
	"${mk[@]}" -j"$JOBS" modules >&2 && "${mk[@]}" M="$3" modules >&2
}

# boot_s390 LOG KERNEL INITRAMFS APPEND QEMU-COMMAND...: boot to the guest's
# init and power off; the console goes to LOG. BOOT_MEM: guest memory in
# MiB (default 1024); BOOT_TIMEOUT: seconds (default 900), after which QEMU
# gets SIGTERM and, 10 s later, SIGKILL: a deadlocked QEMU ignores SIGTERM.
boot_s390() {
	local logf=$1 kernel=$2 initrd=$3 append=$4
	shift 4
	without_lock timeout -k 10 "${BOOT_TIMEOUT:-900}" "$@" -nodefaults -nographic -no-reboot -serial stdio \
		-machine s390-ccw-virtio -m "${BOOT_MEM:-1024}" -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 rdinit=/init panic=-1 $append" \
		</dev/null >"$logf" 2>&1 || true
}

# watch_console LOG PATTERN WHAT: the progress of a long boot; every minute
# log how many lines of LOG match PATTERN, and the last. Runs until killed.
watch_console() {
	every_minute console_progress "$@"
}

console_progress() {
	local last
	last=$(grep -a "$2" "$1" 2>/dev/null | tail -1 | tr -d '\r') || true
	log "$3: $(grep -ac "$2" "$1" 2>/dev/null || true) after $4 min${last:+ (last: $last)}"
}
