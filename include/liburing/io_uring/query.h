/* SPDX-License-Identifier: MIT */
/*
 * IORING_REGISTER_QUERY's headers and answers, as liburing 2.15 ships them
 * in <liburing/io_uring/query.h>. Layouts are the kernel's.
 */
#ifndef LINUX_IO_URING_QUERY_H
#define LINUX_IO_URING_QUERY_H

#include <linux/types.h>

/* REGISTER_QUERY: a chain of 40-byte headers, each naming its data. */
struct io_uring_query_hdr {
	__u64 next_entry;
	__u64 query_data;
	__u32 query_op;
	__u32 size;
	__s32 result;
	__u32 __resv[3];
};

enum {
	IO_URING_QUERY_OPCODES = 0,
	/* After 6.18. */
	IO_URING_QUERY_ZCRX = 1,
	IO_URING_QUERY_SCQ = 2,

	__IO_URING_QUERY_MAX,
};

/* Answer of IO_URING_QUERY_OPCODES: 48 bytes. */
struct io_uring_query_opcode {
	__u32 nr_request_opcodes;
	__u32 nr_register_opcodes;
	__u64 feature_flags;
	__u64 ring_setup_flags;
	__u64 enter_flags;
	__u64 sqe_flags;
	__u32 nr_query_opcodes;
	__u32 __pad;
};

/* Answer of IO_URING_QUERY_ZCRX. */
struct io_uring_query_zcrx {
	__u64 register_flags;   /* ZCRX_REG_* accepted */
	__u64 area_flags;       /* IORING_ZCRX_AREA_* accepted */
	__u32 nr_ctrl_opcodes;  /* ZCRX_CTRL_* known */
	__u32 features;         /* ZCRX_FEATURE_* */
	__u32 rq_hdr_size;      /* size of the refill ring's header */
	__u32 rq_hdr_alignment;
	__u64 __resv2;
};

/* Answer of IO_URING_QUERY_SCQ: the SQ/CQ rings' header, for NO_MMAP users. */
struct io_uring_query_scq {
	__u64 hdr_size;
	__u64 hdr_alignment;
};

#endif /* LINUX_IO_URING_QUERY_H */
