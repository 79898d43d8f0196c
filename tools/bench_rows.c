/* SPDX-License-Identifier: MIT */
/* The rows of `anyring bench`, with the targets issue 6 sets for them. */
#include "bench.h"

#define KL {R_KERNEL_LIBURING, 0.98}
#define RING(g, l, a) .group = g, .label = l, .args = a, .metric = "ns_per_op", \
		      .unit = "ns", .variants = RING_VARIANTS
#define REF(g, l, a) .group = g, .label = l, .args = a, .metric = "ns_per_op", \
		     .unit = "ns", .variants = 1u << V_REF
#define READS(file, qd, mode, tgt)                                             \
	{RING("cached 4 KiB reads", file " QD" #qd " " mode,                  \
	      "read file=" file " qd=" #qd " mode=" mode),                    \
	 .ref = "pread " file, .targets = {KL, tgt}}
/* The same in a process with a second (idle) thread. */
#define READS_MT(file, qd, mode)                                               \
	{RING("cached 4 KiB reads, 2nd thread", file " QD" #qd " " mode,      \
	      "read file=" file " qd=" #qd " mode=" mode " thread=1"),        \
	 .ref = "pread " file, .targets = {KL}}
#define USER_PREAD {R_USER_REF, 0.9}
#define FIO "fio, cached 4 KiB random reads"
/* fio's io_uring engine at QD32: as fast as the best fallback, or more. */
#define FIO_URING(l, a)                                                        \
	{.group = FIO, .label = l, .unit = "ns",                              \
	 .args = "fio engine=io_uring file=2m " a, .metric = "ns_per_op",      \
	 .variants = 1u << V_KERNEL | 1u << V_USER,                            \
	 .ref = "libaio QD32, io_uring blocked",                               \
	 .targets = {{R_USER_REF, 1.0},                                        \
		     {R_USER_REF, 1.0, "psync, io_uring blocked"}}}

const struct bench_row bench_rows[] = {
	{RING("NOP", "batch of 32", "nop"),
	 .targets = {KL, {R_USER_KERNEL, 2.0}}},
	{RING("NOP", "batch of 32, registered ring fd", "nop regfd=1"),
	 .targets = {KL, {R_USER_KERNEL, 2.0}}},
	{RING("NOP", "one at a time", "nop batch=1"), .targets = {KL}},
	{RING("NOP", "one at a time, 2 rings+threads",
	      "nop batch=1 threads=2"),
	 .targets = {KL}},

	{REF("cached 4 KiB reads", "pread 2m", "pread file=2m")},
	{REF("cached 4 KiB reads", "pread 256m", "pread file=256m")},
	{REF("cached 4 KiB reads", "preadv2 NOWAIT 2m", "pread file=2m nowait=1")},
	{REF("cached 4 KiB reads", "preadv2 NOWAIT 256m",
	     "pread file=256m nowait=1")},
	/* What QD32 costs without a ring: 32 buffers in turn, not one hot. */
	{REF("cached 4 KiB reads", "preadv2 NOWAIT 2m, 32 bufs",
	     "pread file=2m nowait=1 bufs=32")},
	{REF("cached 4 KiB reads", "preadv2 NOWAIT 256m, 32 bufs",
	     "pread file=256m nowait=1 bufs=32")},
	READS("2m", 1, "plain", USER_PREAD),
	READS("2m", 1, "fixed", USER_PREAD),
	READS("2m", 1, "fixedbuf", USER_PREAD),
	READS("2m", 32, "plain", USER_PREAD),
	READS("2m", 32, "fixed", USER_PREAD),
	READS("2m", 32, "fixedbuf", USER_PREAD),
	READS("256m", 1, "plain", USER_PREAD),
	READS("256m", 1, "fixed", USER_PREAD),
	READS("256m", 1, "fixedbuf", USER_PREAD),
	READS("256m", 32, "plain", USER_PREAD),
	READS("256m", 32, "fixed", USER_PREAD),
	READS("256m", 32, "fixedbuf", USER_PREAD),
	READS_MT("2m", 1, "plain"),
	READS_MT("2m", 1, "fixed"),
	READS_MT("2m", 1, "fixedbuf"),
	READS_MT("2m", 32, "plain"),
	READS_MT("2m", 32, "fixed"),
	READS_MT("2m", 32, "fixedbuf"),
	READS_MT("256m", 1, "plain"),
	READS_MT("256m", 1, "fixed"),
	READS_MT("256m", 1, "fixedbuf"),
	READS_MT("256m", 32, "plain"),
	READS_MT("256m", 32, "fixed"),
	READS_MT("256m", 32, "fixedbuf"),

	{REF("hand-off (IOSQE_ASYNC)", "thread pool 2m QD1", "pool file=2m qd=1")},
	{REF("hand-off (IOSQE_ASYNC)", "thread pool 2m QD32", "pool file=2m qd=32")},
	{REF("hand-off (IOSQE_ASYNC)", "thread pool 256m QD1",
	     "pool file=256m qd=1")},
	{REF("hand-off (IOSQE_ASYNC)", "thread pool 256m QD32",
	     "pool file=256m qd=32")},
	{RING("hand-off (IOSQE_ASYNC)", "2m QD1", "read file=2m qd=1 async=1"),
	 .ref = "thread pool 2m QD1",
	 .targets = {KL, {R_USER_REF, 3.0}, {R_USER_KERNEL, 1.0}}},
	{RING("hand-off (IOSQE_ASYNC)", "2m QD32", "read file=2m qd=32 async=1"),
	 .ref = "thread pool 2m QD32",
	 .targets = {KL, {R_USER_REF, 1.5}, {R_USER_KERNEL, 1.0}}},
	{RING("hand-off (IOSQE_ASYNC)", "256m QD1", "read file=256m qd=1 async=1"),
	 .ref = "thread pool 256m QD1",
	 .targets = {KL, {R_USER_REF, 3.0}, {R_USER_KERNEL, 1.0}}},
	{RING("hand-off (IOSQE_ASYNC)", "256m QD32",
	      "read file=256m qd=32 async=1"),
	 .ref = "thread pool 256m QD32",
	 .targets = {KL, {R_USER_REF, 1.5}, {R_USER_KERNEL, 1.0}}},
	{RING("page-cache misses (no target)", "256m QD1",
	      "read file=256m qd=1 miss=1"), .targets = {KL}},
	{RING("page-cache misses (no target)", "256m QD32",
	      "read file=256m qd=32 miss=1"), .targets = {KL}},

	{REF("TCP echo, 64 B", "epoll 1 conn", "echo conns=1 mode=epoll")},
	{REF("TCP echo, 64 B", "epoll 64 conns", "echo conns=64 mode=epoll")},
	{RING("TCP echo, 64 B", "1 conn", "echo conns=1"),
	 .ref = "epoll 1 conn", .targets = {KL, {R_USER_REF, 0.9}}},
	{RING("TCP echo, 64 B", "64 conns", "echo conns=64"),
	 .ref = "epoll 64 conns", .targets = {KL, {R_USER_REF, 0.9}}},
	{RING("TCP echo, 64 B", "1 conn, fixed file", "echo conns=1 mode=fixed"),
	 .ref = "epoll 1 conn", .targets = {KL, {R_USER_REF, 0.9}}},
	{RING("TCP echo, 64 B", "64 conns, fixed files",
	      "echo conns=64 mode=fixed"),
	 .ref = "epoll 64 conns", .targets = {KL, {R_USER_REF, 0.9}}},

#define REG(l, a, m, tgt)                                                      \
	{.group = "registration (ns per call)", .label = l, .args = a,         \
	 .metric = m, .unit = "ns", .variants = RING_VARIANTS, .targets = tgt}
#define TWICE {KL, {R_USER_KERNEL, 0.5}}
#define ONLY_KL {KL}
	REG("register_files 1k", "reg what=files n=1000", "register_ns", TWICE),
	REG("register_files 10k", "reg what=files n=10000", "register_ns", TWICE),
	REG("register_files 20k", "reg what=files n=20000", "register_ns", TWICE),
	REG("unregister_files 1k", "reg what=files n=1000", "unregister_ns", ONLY_KL),
	REG("unregister_files 10k", "reg what=files n=10000", "unregister_ns",
	    ONLY_KL),
	REG("unregister_files 20k", "reg what=files n=20000", "unregister_ns",
	    ONLY_KL),
	REG("register_files_sparse 1k", "reg what=sparse n=1000", "register_ns",
	    TWICE),
	REG("register_files_sparse 10k", "reg what=sparse n=10000",
	    "register_ns", TWICE),
	REG("register_files_sparse 20k", "reg what=sparse n=20000",
	    "register_ns", TWICE),
	REG("unregister sparse 1k", "reg what=sparse n=1000", "unregister_ns",
	    ONLY_KL),
	REG("unregister sparse 10k", "reg what=sparse n=10000", "unregister_ns",
	    ONLY_KL),
	REG("unregister sparse 20k", "reg what=sparse n=20000", "unregister_ns",
	    ONLY_KL),
	REG("register_files_update, 1 slot", "reg what=update", "ns_per_op",
	    TWICE),
	REG("register_buffers 1 x 64K", "reg what=buffers n=1", "register_ns",
	    ONLY_KL),
	REG("register_buffers 64 x 64K", "reg what=buffers n=64", "register_ns",
	    ONLY_KL),
	REG("register_buffers 1024 x 64K", "reg what=buffers n=1024",
	    "register_ns", ONLY_KL),
	REG("unregister_buffers 1", "reg what=buffers n=1", "unregister_ns",
	    ONLY_KL),
	REG("unregister_buffers 64", "reg what=buffers n=64", "unregister_ns",
	    ONLY_KL),
	REG("unregister_buffers 1024", "reg what=buffers n=1024",
	    "unregister_ns", ONLY_KL),
	/*
	 * fio's own io_uring engine (raw system calls): kernel is fio on the
	 * kernel, user is fio emulated under Docker's EPERM; the references
	 * are the engines it would fall back to under that block.
	 */
	{REF(FIO, "psync, io_uring blocked", "fio engine=psync file=2m qd=1")},
	{REF(FIO, "libaio QD1, io_uring blocked",
	     "fio engine=libaio file=2m qd=1")},
	{REF(FIO, "libaio QD32, io_uring blocked",
	     "fio engine=libaio file=2m qd=32")},
	{.group = FIO, .label = "io_uring QD1", .unit = "ns",
	 .args = "fio engine=io_uring file=2m qd=1", .metric = "ns_per_op",
	 .variants = 1u << V_KERNEL | 1u << V_USER,
	 .ref = "psync, io_uring blocked"},
	FIO_URING("io_uring QD32", "qd=32"),
	/* With an SQ thread fio's engine makes no io_uring_enter per I/O. */
	{.group = FIO, .label = "io_uring QD1 SQPOLL", .unit = "ns",
	 .args = "fio engine=io_uring file=2m qd=1 sqpoll=1",
	 .metric = "ns_per_op", .variants = 1u << V_KERNEL | 1u << V_USER,
	 .ref = "psync, io_uring blocked"},
	FIO_URING("io_uring QD32 SQPOLL", "qd=32 sqpoll=1"),
	/* What one io_uring_enter costs a raw program, by each path. */
	{.group = "raw io_uring_enter, NOP round trip", .unit = "ns",
	 .label = "through syscall()", .args = "raw via=syscall",
	 .metric = "ns_per_op", .variants = 1u << V_KERNEL | 1u << V_USER},
	{.group = "raw io_uring_enter, NOP round trip", .unit = "ns",
	 .label = "the instruction (trapped)", .args = "raw via=asm",
	 .metric = "ns_per_op", .variants = 1u << V_KERNEL | 1u << V_USER},
	{.group = "memory per slot (user backend heap)",
	 .label = "empty slot (sparse 10k)", .args = "reg what=mem n=10000",
	 .metric = "empty_slot_bytes", .unit = "B", .variants = 1u << V_USER,
	 .max_bytes = 16},
	{.group = "memory per slot (user backend heap)",
	 .label = "occupied slot (10k)", .args = "reg what=mem n=10000",
	 .metric = "file_slot_bytes", .unit = "B", .variants = 1u << V_USER,
	 .max_bytes = 64},
};

const unsigned nr_bench_rows = sizeof(bench_rows) / sizeof(bench_rows[0]);
