/* SPDX-License-Identifier: MIT */
/*
 * Our UAPI and liburing structures have the kernel's and liburing 2.x's
 * layouts (kernel-semantics.md §8). Checked at compile time; the program
 * only reports success.
 */
#include <stddef.h>
#include <stdio.h>

#include "liburing.h"

#define SIZE(type, n) _Static_assert(sizeof(type) == (n), #type " size")
#define AT(type, field, n)                                                     \
	_Static_assert(offsetof(type, field) == (n), #type "." #field)

AT(struct io_uring_sqe, opcode, 0);
AT(struct io_uring_sqe, flags, 1);
AT(struct io_uring_sqe, ioprio, 2);
AT(struct io_uring_sqe, fd, 4);
AT(struct io_uring_sqe, off, 8);
AT(struct io_uring_sqe, addr, 16);
AT(struct io_uring_sqe, len, 24);
AT(struct io_uring_sqe, rw_flags, 28);
AT(struct io_uring_sqe, user_data, 32);
AT(struct io_uring_sqe, buf_index, 40);
AT(struct io_uring_sqe, personality, 42);
AT(struct io_uring_sqe, file_index, 44);
AT(struct io_uring_sqe, addr3, 48);
AT(struct io_uring_sqe, cmd, 48);
SIZE(struct io_uring_sqe, 64);
SIZE(struct io_uring_cqe, 16);
SIZE(struct io_uring_params, 120);
SIZE(struct io_uring_rsrc_update, 16);
SIZE(struct io_uring_rsrc_update2, 32);
SIZE(struct io_uring_rsrc_register, 32);
SIZE(struct io_uring_probe, 16);
SIZE(struct io_uring_probe_op, 8);
SIZE(struct io_uring_restriction, 16);
SIZE(struct io_uring_buf_reg, 40);
SIZE(struct io_uring_buf_status, 40);
SIZE(struct io_uring_napi, 16);
SIZE(struct io_uring_sync_cancel_reg, 64);
SIZE(struct io_uring_file_index_range, 16);
SIZE(struct io_uring_clock_register, 16);
SIZE(struct io_uring_clone_buffers, 32);
SIZE(struct io_uring_region_desc, 64);
SIZE(struct io_uring_mem_region_reg, 32);
SIZE(struct io_uring_query_hdr, 40);
SIZE(struct io_uring_query_opcode, 48);
SIZE(struct io_uring_reg_wait, 64);
SIZE(struct io_uring_getevents_arg, 24);
SIZE(struct io_uring_buf, 16);
SIZE(struct io_uring_buf_ring, 16);
AT(struct io_uring_buf_ring, tail, 14);
AT(struct io_uring_sync_cancel_reg, opcode, 32);
AT(struct io_uring_buf_reg, min_left, 16);

SIZE(struct io_uring_bpf_ctx, 40);
SIZE(struct io_uring_bpf_filter, 64);
AT(struct io_uring_bpf_filter, filter_ptr, 16);
SIZE(struct io_uring_bpf, 72);
AT(struct io_uring_bpf, filter, 8);
SIZE(struct zcrx_ctrl, 72);
AT(struct zcrx_ctrl, zc_export, 24);
AT(struct io_uring_zcrx_ifq_reg, rx_buf_len, 68);
SIZE(struct io_uring_query_zcrx, 40);
SIZE(struct io_uring_query_scq, 16);
SIZE(struct io_timespec, 16);
SIZE(struct io_uring_task_restriction, 16);
SIZE(struct io_uring_cqe_iter, 24);

/* liburing 2.x's application-side structures. */
SIZE(struct io_uring_sq, 104);
AT(struct io_uring_sq, sqes_sz, 96);
SIZE(struct io_uring_cq, 88);
SIZE(struct io_uring, 216);
AT(struct io_uring, cq, 104);
AT(struct io_uring, flags, 192);
AT(struct io_uring, ring_fd, 196);
AT(struct io_uring, features, 200);
AT(struct io_uring, enter_ring_fd, 204);
AT(struct io_uring, int_flags, 208);

/* liburing 2.15's UAPI: Linux 6.18's and what later kernels added. */
_Static_assert(IORING_OP_PIPE == 62, "last 6.18 SQE opcode");
_Static_assert(IORING_OP_URING_CMD128 == 64, "IORING_OP_URING_CMD128");
_Static_assert(IORING_OP_LAST == 65, "IORING_OP_LAST");
_Static_assert(IORING_REGISTER_QUERY == 35, "last 6.18 register opcode");
_Static_assert(IORING_REGISTER_BPF_FILTER == 37, "REGISTER_BPF_FILTER");
_Static_assert(IORING_REGISTER_LAST == 38, "IORING_REGISTER_LAST");
_Static_assert(IORING_SETUP_SQ_REWIND == 1U << 20, "SQ_REWIND");
_Static_assert(IORING_TIMEOUT_IMMEDIATE_ARG == 1U << 7, "IMMEDIATE_ARG");
_Static_assert(IO_URING_QUERY_SCQ == 2, "IO_URING_QUERY_SCQ");
_Static_assert(IO_URING_VERSION_MAJOR == 2 && IO_URING_VERSION_MINOR == 15,
	       "API level 2.15");
_Static_assert(IORING_REGISTER_USE_REGISTERED_RING == 1U << 31, "USE_REG");
_Static_assert(IORING_OFF_CQ_RING == 0x8000000ULL, "CQ offset");
_Static_assert(IORING_OFF_SQES == 0x10000000ULL, "SQE offset");
_Static_assert(IORING_OFF_PBUF_RING == 0x80000000ULL, "PBUF offset");
_Static_assert(IORING_FEAT_NO_IOWAIT == 1U << 17, "last 6.18 feature");
_Static_assert(IORING_SETUP_SQE_MIXED == 1U << 19, "SQE_MIXED");
_Static_assert(IORING_ENTER_NO_IOWAIT == 1U << 7, "last enter flag");

int main(void)
{
	puts("layouts match");
	return 0;
}
