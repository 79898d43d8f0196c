/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_QUERY (kernel-semantics.md §3.35), blind and with a ring, and
 * REGISTER_ZCRX_IFQ's refusal on an ordinary ring (§3.32).
 */
#include "harness.h"

static void check_query(struct io_uring *ring)
{
	struct io_uring_query_opcode op;
	struct io_uring_query_hdr h[3];
	__u64 other[2];

	ASSERT_EQ(io_uring_register_query(NULL, NULL), 0);
	ASSERT_EQ(io_uring_register_query(ring, NULL), 0);
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
	ASSERT_EQ(io_uring_register_query(NULL, h), 0);
	ASSERT_EQ(h[0].result, 0);
	ASSERT_EQ(h[1].result, -EOPNOTSUPP);
	ASSERT_EQ(other[0], 0);
	ASSERT_EQ(h[2].result, -EINVAL);
	ASSERT_EQ(op.nr_request_opcodes, IORING_OP_LAST);
	ASSERT_EQ(op.nr_register_opcodes, IORING_REGISTER_LAST);
	ASSERT_EQ(op.feature_flags, 0x3ffff);
	ASSERT_EQ(op.ring_setup_flags, 0x7ffff);
	ASSERT_EQ(op.enter_flags, 0xff);
	ASSERT_EQ(op.sqe_flags, 0x7f);
	ASSERT_EQ(op.nr_query_opcodes, 1);

	/* A short answer is cut; a long buffer gets the real size back. */
	memset(&op, 0, sizeof(op));
	h[0].next_entry = 0;
	h[0].size = 4;
	ASSERT_EQ(io_uring_register_query(NULL, h), 0);
	ASSERT_EQ(op.nr_request_opcodes, IORING_OP_LAST);
	ASSERT_EQ(op.nr_register_opcodes, 0);
	h[0].size = 100;
	ASSERT_EQ(io_uring_register_query(NULL, h), 0);
	ASSERT_EQ(h[0].size, sizeof(op));

	/* A bad data pointer faults the call. */
	h[0].query_data = 16;
	ASSERT_EQ(io_uring_register_query(ring, h), -EFAULT);
	h[0].query_data = (unsigned long)&op;

	/* Through the ring; a non-zero result on input is refused. */
	memset(&op, 0, sizeof(op));
	h[0].next_entry = 0;
	h[0].result = 0;
	ASSERT_EQ(io_uring_register_query(ring, h), 0);
	ASSERT_EQ(h[0].result, 0);
	ASSERT_EQ(op.nr_request_opcodes, IORING_OP_LAST);
	h[0].result = 1;
	ASSERT_EQ(io_uring_register_query(ring, h), 0);
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

int main(int argc, char **argv)
{
	struct io_uring ring;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_QUERY, IORING_REGISTER_ZCRX_IFQ);
	t_ring(&ring, 4, 0);
	check_query(&ring);
	check_zcrx(&ring);
	io_uring_queue_exit(&ring);
	return t_done();
}
