#!/bin/sh
# liburing-ffi.so.2 exports every inline helper of liburing.h as a symbol,
# each liburing-ffi already has under liburing-ffi's version node.
# usage: ffi-exports.sh LIBURING_H LIBURING_FFI_SO
set -u
header=$1 lib=$2
status=0
exports=$(objdump -T "$lib" | awk '$2 == "g" && $4 == ".text" { print $NF }')
# The header's helpers: IOURINGINLINE, then the name before its '('.
helpers=$(awk '
	/^IOURINGINLINE/ { decl = ""; on = 1 }
	on { decl = decl " " $0
	     if (index(decl, "(")) {
		     sub(/\(.*/, "", decl); n = split(decl, w, /[ *]+/)
		     print w[n]; on = 0 } }' "$header" | sort -u)
[ -n "$helpers" ] || { echo "no helpers found in $header"; exit 1; }
count=0
for h in $helpers; do
	case $h in _io_uring_get_sqe) continue ;; esac # liburing's internal
	count=$((count + 1))
	printf '%s\n' "$exports" | grep -qx "$h" ||
		{ echo "not exported: $h"; status=1; }
done
for pair in "io_uring_prep_nop LIBURING_2.4" "io_uring_cqe_nr LIBURING_2.12" \
	"io_uring_get_sqe128 LIBURING_2.13" "io_uring_cqe_iter_next LIBURING_2.15" \
	"io_uring_prep_cmd_zone_reset_all LIBURING_2.16"; do
	set -- $pair
	objdump -T "$lib" | awk 'NF > 2 { print $NF, $(NF-1) }' | grep -qx "$1 $2" ||
		{ echo "not at $2: $1"; status=1; }
done
[ "$(objdump -p "$lib" | awk '/SONAME/ { print $2 }')" = liburing-ffi.so.2 ] ||
	{ echo "wrong soname"; status=1; }
[ $status = 0 ] && echo "ffi: $count inline helpers exported"
exit $status
