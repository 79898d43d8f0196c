/* SPDX-License-Identifier: MIT */
/*
 * liburing-ffi: liburing.h compiled once more with its inline helpers made
 * ordinary functions, so bindings that cannot call inline functions (Rust,
 * Python, Zig, Go through cgo) find each one as a symbol. The helpers have
 * one source, the header; liburing-ffi.map names what is exported where.
 */
#define IOURINGINLINE
/* io_uring_get_sqe stays queue.c's, as in liburing.so.2. */
#define LIBURING_INTERNAL
#include "liburing.h"
