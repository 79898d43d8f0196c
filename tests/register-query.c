/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_QUERY (kernel-semantics.md §3.35), blind and with a ring, and
 * REGISTER_ZCRX_IFQ's refusal on an ordinary ring (§3.32); the opcodes and
 * queries liburing 2.15 names beyond 6.18 get 6.18's answers.
 */
#include <dlfcn.h>

#include "harness.h"

/* The same query through a ring's fd, which 6.18 also accepts. */
static int query_ring(struct io_uring *ring, struct io_uring_query_hdr *h)
{
	return io_uring_register(ring->ring_fd, IORING_REGISTER_QUERY, h, 0);
}

/* Query operations newer than 6.18 are refused in the header, call 0. */
static void check_newer_queries(void)
{
	struct io_uring_query_hdr h[2];
	struct io_uring_query_zcrx zcrx;
	struct io_uring_query_scq scq;

	memset(h, 0, sizeof(h));
	memset(&zcrx, 0x55, sizeof(zcrx));
	memset(&scq, 0x55, sizeof(scq));
	h[0].query_op = IO_URING_QUERY_ZCRX;
	h[0].query_data = (unsigned long)&zcrx;
	h[0].size = sizeof(zcrx);
	h[0].next_entry = (unsigned long)&h[1];
	h[1].query_op = IO_URING_QUERY_SCQ;
	h[1].query_data = (unsigned long)&scq;
	h[1].size = sizeof(scq);
	ASSERT_EQ(io_uring_register_query(h), 0);
	ASSERT_EQ(h[0].result, -EOPNOTSUPP);
	ASSERT_EQ(h[1].result, -EOPNOTSUPP);
	ASSERT_EQ(zcrx.register_flags, 0);
	ASSERT_EQ(scq.hdr_size, 0);
}

/* Binaries linked against anyring 0.1 call the query with a ring first. */
static void check_anyring_0_1_query(struct io_uring *ring)
{
	int (*query)(struct io_uring *, struct io_uring_query_hdr *);
	struct io_uring_query_opcode op;
	struct io_uring_query_hdr h;

	query = (int (*)(struct io_uring *, struct io_uring_query_hdr *))
		dlvsym(RTLD_DEFAULT, "io_uring_register_query", "ANYRING_0.1");
	ASSERT_TRUE(query != NULL);
	if (!query)
		return;
	memset(&h, 0, sizeof(h));
	memset(&op, 0, sizeof(op));
	h.query_op = IO_URING_QUERY_OPCODES;
	h.query_data = (unsigned long)&op;
	h.size = sizeof(op);
	ASSERT_EQ(query(NULL, &h), 0);
	ASSERT_EQ(op.nr_request_opcodes, T_OP_LAST_6_18);
	memset(&op, 0, sizeof(op));
	ASSERT_EQ(query(ring, &h), 0);
	ASSERT_EQ(op.nr_register_opcodes, T_REGISTER_LAST_6_18);
}

static void check_query(struct io_uring *ring)
{
	struct io_uring_query_opcode op;
	struct io_uring_query_hdr h[3];
	__u64 other[2];

	ASSERT_EQ(io_uring_register_query(NULL), 0);
	ASSERT_EQ(query_ring(ring, NULL), 0);
	ASSERT_EQ(io_uring_register(-1, IORING_REGISTER_QUERY, NULL, 1), -EINVAL);
	ASSERT_EQ(io_uring_register(-1, IORING_REGISTER_QUERY, (void *)16, 0), -EFAULT);

	memset(h, 0, sizeof(h));
	memset(&op, 0, sizeof(op));
	memset(other, 0x55, sizeof(other));
	h[0].query_op = IO_URING_QUERY_OPCODES;
	h[0].query_data = (unsigned long)&op;
	h[0].size = sizeof(op);
	h[0].next_entry = (unsigned long)&h[1];
	h[1].query_op = 7; /* unknown: reported in the header, data zeroed */
	h[1].size = 8;
	h[1].query_data = (unsigned long)&other[0];
	h[1].next_entry = (unsigned long)&h[2];
	h[2].query_op = IO_URING_QUERY_OPCODES;
	h[2].size = 0; /* invalid */
	h[2].query_data = (unsigned long)&other[1];
	ASSERT_EQ(io_uring_register_query(h), 0);
	ASSERT_EQ(h[0].result, 0);
	ASSERT_EQ(h[1].result, -EOPNOTSUPP);
	ASSERT_EQ(other[0], 0);
	ASSERT_EQ(h[2].result, -EINVAL);
	ASSERT_EQ(op.nr_request_opcodes, T_OP_LAST_6_18);
	ASSERT_EQ(op.nr_register_opcodes, T_REGISTER_LAST_6_18);
	ASSERT_EQ(op.feature_flags, 0x3ffff);
	ASSERT_EQ(op.ring_setup_flags, 0x7ffff);
	ASSERT_EQ(op.enter_flags, 0xff);
	ASSERT_EQ(op.sqe_flags, 0x7f);
	ASSERT_EQ(op.nr_query_opcodes, 1);

	/* A short answer is cut; a long buffer gets the real size back. */
	memset(&op, 0, sizeof(op));
	h[0].next_entry = 0;
	h[0].size = 4;
	ASSERT_EQ(io_uring_register_query(h), 0);
	ASSERT_EQ(op.nr_request_opcodes, T_OP_LAST_6_18);
	ASSERT_EQ(op.nr_register_opcodes, 0);
	h[0].size = 100;
	ASSERT_EQ(io_uring_register_query(h), 0);
	ASSERT_EQ(h[0].size, sizeof(op));

	/* A bad data pointer faults the call. */
	h[0].query_data = 16;
	ASSERT_EQ(query_ring(ring, h), -EFAULT);
	h[0].query_data = (unsigned long)&op;

	/* Through the ring; a non-zero result on input is refused. */
	memset(&op, 0, sizeof(op));
	h[0].next_entry = 0;
	h[0].result = 0;
	ASSERT_EQ(query_ring(ring, h), 0);
	ASSERT_EQ(h[0].result, 0);
	ASSERT_EQ(op.nr_request_opcodes, T_OP_LAST_6_18);
	h[0].result = 1;
	ASSERT_EQ(query_ring(ring, h), 0);
	ASSERT_EQ(h[0].result, -EINVAL);
}

static void check_zcrx(struct io_uring *ring)
{
	struct io_uring_zcrx_ifq_reg reg;

	memset(&reg, 0, sizeof(reg));
	EXPECT_REG(ring, IORING_REGISTER_ZCRX_IFQ, NULL, 1, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_ZCRX_IFQ, &reg, 2, -EINVAL);
	ASSERT_EQ(io_uring_register_ifq(ring, &reg), -EINVAL);
}

/* liburing 2.15's helpers for register opcodes newer than 6.18: EINVAL. */
static void check_newer_register_ops(struct io_uring *ring)
{
	struct zcrx_ctrl ctrl;
	struct io_uring_bpf bpf;

	memset(&ctrl, 0, sizeof(ctrl));
	memset(&bpf, 0, sizeof(bpf));
	bpf.cmd_type = IO_URING_BPF_CMD_FILTER;
	ASSERT_EQ(io_uring_register_zcrx_ctrl(ring, &ctrl), -EINVAL);
	ASSERT_EQ(io_uring_register_bpf_filter(ring, &bpf), -EINVAL);
	ASSERT_EQ(io_uring_register_bpf_filter_task(&bpf), -EINVAL);
}

int main(int argc, char **argv)
{
	struct io_uring ring;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_QUERY, IORING_REGISTER_ZCRX_IFQ);
	t_ring(&ring, 4, 0);
	check_query(&ring);
	check_newer_queries();
	check_anyring_0_1_query(&ring);
	check_zcrx(&ring);
	check_newer_register_ops(&ring);
	io_uring_queue_exit(&ring);
	return t_done();
}
