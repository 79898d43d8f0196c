#!/bin/sh
# ABI of anyring's compat libraries against liburing's own, built here from
# the conformance suite's copy of liburing's sources (with debug info, so
# abidiff compares types as well as symbols): nothing removed, nothing
# changed, beyond the differences the suppression file lists with reasons.
# usage: check-liburing.sh LIBURING_SRC TREE VERSION SUPPRESSIONS \
#        OUR_LIBURING OUR_LIBURING_FFI
# (TREE: where reference.sh builds liburing, shared with the suite's runs)
set -eu
src=$1 tree=$2 version=$3 suppressions=$4 ours=$5 ours_ffi=$6
command -v abidiff >/dev/null 2>&1 || { echo "abidiff not installed"; exit 77; }

sh "$(dirname "$0")/../liburing/reference.sh" lib "$src" "$tree" "$version" \
	>/dev/null

status=0
for pair in "liburing.so.$version $ours" "liburing-ffi.so.$version $ours_ffi"; do
	set -- $pair
	echo "== abidiff $1 $(basename "$2")"
	abidiff --no-added-syms --suppressions "$suppressions" \
		"$tree/src/$1" "$2" || status=1
done
exit $status
