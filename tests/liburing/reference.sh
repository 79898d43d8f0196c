#!/bin/sh
# liburing itself, the reference, built from the conformance suite's copy of
# its sources: once per build tree (a lock keeps parallel tests from
# building it twice), and each of its tests linked to it only when asked.
#
# usage: reference.sh lib LIBURING_SRC TREE VERSION
#        reference.sh test LIBURING_SRC TREE VERSION TEST
# Prints the path of what was asked for (the tree, or TEST's program).
set -eu
what=$1 src=$2 tree=$3 version=$4
mkdir -p "$(dirname "$tree")"
exec 9>"$tree.lock"
flock 9

if [ ! -f "$tree/.built" ]; then
	rm -rf "$tree"
	cp -r "$src" "$tree"
	chmod -R u+w "$tree"
	# The copy lacks liburing.spec, where its Makefiles read the version;
	# debug info lets abidiff compare types as well as symbols.
	printf 'Name: liburing\nVersion: %s\n' "$version" >"$tree/liburing.spec"
	(cd "$tree" && ./configure >configure.log 2>&1 &&
		make -C src -j"$(nproc)" CFLAGS="-g -O2" >make.log 2>&1) || {
		echo "liburing $version does not build: see $tree/*.log" >&2
		exit 1
	}
	touch "$tree/.built"
fi
[ "$what" = lib ] && { echo "$tree"; exit 0; }

t=$5
cd "$tree/test"
# As liburing's own build compiles its tests (and the suite's run.sh).
cflags="-D_GNU_SOURCE -D__SANE_USERSPACE_TYPES__ -D_LARGEFILE_SOURCE
	-D_FILE_OFFSET_BITS=64 -DLIBURING_BUILD_TEST -g -O2 -w
	-I../src/include -include ../config-host.h"
# shellcheck disable=SC2086
for prog in exec-target "$t"; do
	[ -x "$prog.t" ] && continue
	extra=""
	[ "$prog" = exec-target ] || extra="helpers.c ../src/liburing.a -lpthread"
	${CC:-cc} $cflags -o "$prog.t" "$prog.c" $extra >"$prog.build.log" 2>&1 || {
		echo "liburing's $prog does not build: see $tree/test/$prog.build.log" >&2
		exit 1
	}
done
echo "$tree/test/$t.t"
