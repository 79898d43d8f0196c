#!/bin/sh
# fio with its own io_uring engine, under Docker's refusal (EPERM) and
# the emulation: random writes read back and checked with crc32c.
#
#   fio.sh ANYRING-TOOL VARIANT     (plain, fixed, sqpoll)
set -eu
tool=$1
variant=$2
command -v fio >/dev/null || {
	echo "SKIPPED: fio is not installed"
	exit 77
}
case $variant in
plain) extra="" ;;
fixed) extra="--registerfiles=1 --fixedbufs=1" ;;
sqpoll) extra="--sqthread_poll=1" ;;
*)
	echo "unknown variant $variant"
	exit 2
	;;
esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck disable=SC2086
ANYRING_DEBUG=1 "$tool" run --emulate --block=eperm -- fio --name=verify \
	--ioengine=io_uring --filename="$dir/data" --size=16M --bs=4k \
	--rw=randwrite --iodepth=32 --verify=crc32c --verify_fatal=1 \
	$extra >"$dir/out" 2>&1 || {
	cat "$dir/out"
	echo "fio failed ($variant)"
	exit 1
}
grep -q "^anyring: emulating io_uring's system calls (io_uring_setup: EPERM" \
	"$dir/out" || {
	cat "$dir/out"
	echo "fio did not run through the emulation"
	exit 1
}
grep -q 'err= 0' "$dir/out" || {
	cat "$dir/out"
	echo "fio reported an error ($variant)"
	exit 1
}
echo "fio $variant: 16 MiB written at random and verified (crc32c)"
