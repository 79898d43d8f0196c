#!/bin/sh
# The raw-syscall program through the emulation, compared line by line with
# what the kernel answers it here (exit 77 where io_uring is unusable, as
# there is then no kernel answer to compare with).
#
#   compare.sh ANYRING-TOOL RAW-URING MODE
#
# MODE: eperm-syscall, eperm-asm, enosys-asm (anyring run --emulate
# --block=...), always-asm (ANYRING_EMULATE=always, nothing blocked), or
# untouched (--emulate where io_uring works: the kernel answers, and the
# process carries no seccomp filter).
set -eu
tool=$1
raw=$2
mode=$3
out=${TMPDIR:-/tmp}/raw-uring.$$
trap 'rm -f "$out".*' EXIT

"$raw" syscall >"$out.kernel" 2>&1 || {
	echo "the raw program fails on the kernel:"
	cat "$out.kernel"
	exit 1
}
if grep -q '^single mmap: E' "$out.kernel"; then
	echo "SKIPPED: io_uring is not usable here: $(grep '^single mmap' "$out.kernel")"
	exit 77
fi
case $mode in
eperm-syscall) "$tool" run --emulate --block=eperm -- "$raw" syscall ;;
eperm-asm) "$tool" run --emulate --block=eperm -- "$raw" asm ;;
enosys-asm) "$tool" run --emulate --block=enosys -- "$raw" asm ;;
always-asm) ANYRING_EMULATE=always "$tool" run --emulate -- "$raw" asm ;;
untouched)
	seccomp=$("$tool" run --emulate -- grep '^Seccomp:' /proc/self/status)
	[ "$seccomp" = "Seccomp:	0" ] || {
		echo "the emulation filtered a process that can use io_uring: $seccomp"
		exit 1
	}
	"$tool" run --emulate -- "$raw" asm
	;;
*)
	echo "unknown mode $mode"
	exit 2
	;;
esac >"$out.emulated" 2>&1 || {
	echo "the raw program fails through the emulation ($mode):"
	cat "$out.emulated"
	exit 1
}
if ! diff -u "$out.kernel" "$out.emulated"; then
	echo "the emulation ($mode) differs from the kernel (- kernel, + emulated)"
	exit 1
fi
echo "$(wc -l <"$out.kernel") answers, the same as the kernel's"
