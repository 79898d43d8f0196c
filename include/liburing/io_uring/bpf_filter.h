/* SPDX-License-Identifier: MIT */
/*
 * IORING_REGISTER_BPF_FILTER's argument (after Linux 6.18), as liburing 2.15
 * ships it in <liburing/io_uring/bpf_filter.h>. Layouts are the kernel's.
 */
#ifndef LINUX_IO_URING_BPF_FILTER_H
#define LINUX_IO_URING_BPF_FILTER_H

#include <linux/types.h>

/* What a filter program sees of a request. */
struct io_uring_bpf_ctx {
	__u64 user_data;
	__u8 opcode;
	__u8 sqe_flags;
	__u8 pdu_size; /* bytes of the per-opcode part below */
	__u8 pad[5];
	union {
		struct {
			__u32 family;
			__u32 type;
			__u32 protocol;
		} socket;
		struct {
			__u64 flags;
			__u64 mode;
			__u64 resolve;
		} open;
	};
};

/* io_uring_bpf_filter.flags */
enum {
	/* Opcodes left without a filter are denied. */
	IO_URING_BPF_FILTER_DENY_REST = 1,
	/* Refuse the filter when its pdu_size is not the kernel's. */
	IO_URING_BPF_FILTER_SZ_STRICT = 2,
};

struct io_uring_bpf_filter {
	__u32 opcode;     /* the IORING_OP_* filtered */
	__u32 flags;
	__u32 filter_len; /* instructions at filter_ptr */
	__u8 pdu_size;
	__u8 resv[3];
	__u64 filter_ptr; /* struct sock_filter[] */
	__u64 resv2[5];
};

/* io_uring_bpf.cmd_type */
enum {
	IO_URING_BPF_CMD_FILTER = 1,
};

struct io_uring_bpf {
	__u16 cmd_type;
	__u16 cmd_flags;
	__u32 resv;
	union {
		struct io_uring_bpf_filter filter;
	};
};

#endif /* LINUX_IO_URING_BPF_FILTER_H */
