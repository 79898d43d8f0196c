/* SPDX-License-Identifier: MIT */
/* REGISTER_PROBE (kernel-semantics.md §3.8) and the probe helpers. */
#include "harness.h"

#define OPS 256

int main(int argc, char **argv)
{
	size_t size = sizeof(struct io_uring_probe) +
		      OPS * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *p = calloc(1, size), *q;
	struct io_uring ring;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_PROBE);
	t_ring(&ring, 4, 0);
	EXPECT_REG(&ring, IORING_REGISTER_PROBE, NULL, 4, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_PROBE, p, 257, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_PROBE, (void *)16, 4, -EFAULT);
	/* Any non-zero input byte is refused. */
	p->ops[3].resv2 = 1;
	EXPECT_REG(&ring, IORING_REGISTER_PROBE, p, 4, -EINVAL);
	memset(p, 0, size);
	p->resv = 1;
	EXPECT_REG(&ring, IORING_REGISTER_PROBE, p, 4, -EINVAL);
	memset(p, 0, size);

	/* A short probe fills ops_len entries and leaves the rest alone. */
	p->ops[5].resv = 0;
	EXPECT_REG(&ring, IORING_REGISTER_PROBE, p, 4, 0);
	ASSERT_EQ(p->last_op, T_OP_LAST_6_18 - 1);
	ASSERT_EQ(p->ops_len, 4);
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(p->ops[i].op, i);
		ASSERT_EQ(p->ops[i].flags, IO_URING_OP_SUPPORTED);
	}
	ASSERT_EQ(p->ops[4].op, 0);
	ASSERT_EQ(p->ops[4].flags, 0);

	memset(p, 0, size);
	EXPECT_REG(&ring, IORING_REGISTER_PROBE, p, OPS, 0);
	ASSERT_EQ(p->ops_len, T_OP_LAST_6_18);
	ASSERT_EQ(p->ops[T_OP_LAST_6_18].flags, 0);
	ASSERT_EQ(p->ops[IORING_OP_READ].op, IORING_OP_READ);

	q = io_uring_get_probe_ring(&ring);
	ASSERT_TRUE(q != NULL);
	if (q) {
		ASSERT_EQ(q->last_op, T_OP_LAST_6_18 - 1);
		ASSERT_TRUE(io_uring_opcode_supported(q, IORING_OP_NOP));
		ASSERT_TRUE(!io_uring_opcode_supported(q, T_OP_LAST_6_18));
		ASSERT_TRUE(!io_uring_opcode_supported(q, -1));
		io_uring_free_probe(q);
	}
	q = io_uring_get_probe();
	ASSERT_TRUE(q != NULL);
	if (q) {
		ASSERT_EQ(q->last_op, T_OP_LAST_6_18 - 1);
		io_uring_free_probe(q);
	}
	io_uring_queue_exit(&ring);
	free(p);
	return t_done();
}
