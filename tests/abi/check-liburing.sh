#!/bin/sh
# ABI of anyring's compat libraries against liburing's own, built here from
# the conformance suite's copy of liburing's sources (with debug info, so
# abidiff compares types as well as symbols): nothing removed, nothing
# changed, beyond the differences the suppression file lists with reasons.
# usage: check-liburing.sh LIBURING_SRC WORK_DIR VERSION SUPPRESSIONS \
#        OUR_LIBURING OUR_LIBURING_FFI
set -eu
src=$1 work=$2 version=$3 suppressions=$4 ours=$5 ours_ffi=$6
command -v abidiff >/dev/null 2>&1 || { echo "abidiff not installed"; exit 77; }

tree=$work/liburing-$version
if [ ! -f "$tree/.built" ]; then
	rm -rf "$tree"
	mkdir -p "$work"
	cp -r "$src" "$tree"
	chmod -R u+w "$tree"
	# The copy lacks liburing.spec, where its Makefiles read the version.
	printf 'Name: liburing\nVersion: %s\n' "$version" >"$tree/liburing.spec"
	(cd "$tree" && ./configure >configure.log 2>&1 &&
		make -C src -j"$(nproc)" CFLAGS="-g -O2" >make.log 2>&1) ||
		{ echo "liburing $version does not build: see $tree/*.log"; exit 1; }
	touch "$tree/.built"
fi

status=0
for pair in "liburing.so.$version $ours" "liburing-ffi.so.$version $ours_ffi"; do
	set -- $pair
	echo "== abidiff $1 $(basename "$2")"
	abidiff --no-added-syms --suppressions "$suppressions" \
		"$tree/src/$1" "$2" || status=1
done
exit $status
