#!/bin/sh
# A real liburing program on the userspace backend: Debian's plocate,
# run with io_uring blocked and loaded with anyring's liburing.so.2, must
# take its io_uring path (SQEs submitted on the userspace backend) and
# print what it prints without the block.
# usage: plocate.sh PATH-TO-ANYRING DIR-WITH-LIBURING.SO.2
set -eu
tool=$1 compat=$2
command -v plocate >/dev/null 2>&1 && command -v updatedb >/dev/null 2>&1 || {
	echo "SKIP: plocate is not installed"
	exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree/src/lib" "$tmp/tree/docs"
for i in 1 2 3 4 5 6 7 8; do
	: >"$tmp/tree/src/lib/needle-$i.c"
	: >"$tmp/tree/docs/haystack-$i.txt"
done
updatedb -l 0 -o "$tmp/db" -U "$tmp/tree"
# The installed plocate is setgid, so the loader would ignore
# LD_LIBRARY_PATH: run a copy.
cp "$(command -v plocate)" "$tmp/plocate"
expected=$("$tmp/plocate" -d "$tmp/db" needle)
[ "$(printf '%s\n' "$expected" | wc -l)" -eq 8 ] || {
	echo "FAIL: plocate found $(printf '%s\n' "$expected" | wc -l) files, not 8"
	exit 1
}
# A sanitizer build of liburing.so.2 needs its runtime loaded first.
preload=$(ldd "$compat/liburing.so.2" | awk '/libasan|libtsan/ {print $3}')
for block in eperm enosys; do
	got=$(ANYRING_DEBUG=1 LD_LIBRARY_PATH="$compat" LD_PRELOAD="$preload" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
		"$tool" run --block=$block -- "$tmp/plocate" -d "$tmp/db" needle \
		2>"$tmp/stderr")
	if [ "$got" != "$expected" ]; then
		echo "FAIL ($block): output differs"
		printf 'expected:\n%s\ngot:\n%s\n' "$expected" "$got"
		exit 1
	fi
	grep -q "using the user backend" "$tmp/stderr" || {
		echo "FAIL ($block): the userspace backend was not used"
		cat "$tmp/stderr"
		exit 1
	}
	submitted=$(sed -n 's/^anyring: \([0-9]*\) SQEs submitted.*/\1/p' "$tmp/stderr")
	if [ -z "$submitted" ] || [ "$submitted" -eq 0 ]; then
		echo "FAIL ($block): plocate did not take its io_uring path"
		cat "$tmp/stderr"
		exit 1
	fi
	echo "$block: same 8 results, $submitted SQEs through the userspace backend"
done
