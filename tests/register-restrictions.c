/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_RESTRICTIONS and REGISTER_ENABLE_RINGS (kernel-semantics.md
 * §3.11, §3.12) and the restrictions they put on register calls and SQEs
 * (§1 step 8, §5.5 step 4).
 */
#include "harness.h"

static struct io_uring_restriction allow(unsigned kind, unsigned value)
{
	struct io_uring_restriction r = {.opcode = (__u16)kind};

	r.sqe_op = (__u8)value;
	return r;
}

static void check_registration_errors(void)
{
	struct io_uring_restriction res[104];
	struct io_uring ring;

	memset(res, 0, sizeof(res));
	/* Only a disabled ring takes restrictions; checked before arg. */
	t_ring(&ring, 4, 0);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 1), -EBADFD);
	EXPECT_REG(&ring, IORING_REGISTER_RESTRICTIONS, NULL, 1, -EBADFD);
	ASSERT_EQ(io_uring_enable_rings(&ring), -EBADFD);
	io_uring_queue_exit(&ring);

	t_ring(&ring, 4, IORING_SETUP_R_DISABLED);
	EXPECT_REG(&ring, IORING_REGISTER_RESTRICTIONS, NULL, 1, -EINVAL);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 104), -EINVAL);
	ASSERT_EQ(io_uring_register_restrictions(&ring, (void *)16, 1), -EFAULT);
	res[0] = allow(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_LAST);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 1), -EINVAL);
	res[0] = allow(IORING_RESTRICTION_SQE_OP, IORING_OP_LAST);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 1), -EINVAL);
	res[0] = allow(IORING_RESTRICTION_LAST, 0);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 1), -EINVAL);
	/* Failures leave nothing registered; reserved bytes are unchecked. */
	res[0] = allow(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP);
	res[0].resv = 7;
	res[0].resv2[1] = 9;
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 1), 0);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 1), -EBUSY);
	EXPECT_REG(&ring, IORING_REGISTER_ENABLE_RINGS, res, 0, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_ENABLE_RINGS, NULL, 1, -EINVAL);
	/* 103 is the largest set. */
	io_uring_queue_exit(&ring);
	t_ring(&ring, 4, IORING_SETUP_R_DISABLED);
	for (int i = 0; i < 103; i++)
		res[i] = allow(IORING_RESTRICTION_SQE_FLAGS_ALLOWED, 0);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 103), 0);
	io_uring_queue_exit(&ring);
}

static void check_disabled_ring(void)
{
	struct io_uring_sqe *sqe;
	struct io_uring ring;

	t_ring(&ring, 4, IORING_SETUP_R_DISABLED);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	ASSERT_EQ(io_uring_submit(&ring), -EBADFD);
	/* Register calls are all allowed before enabling. */
	ASSERT_TRUE(io_uring_register_personality(&ring) > 0);
	ASSERT_EQ(io_uring_enable_rings(&ring), 0);
	ASSERT_EQ(io_uring_enable_rings(&ring), -EBADFD);
	ASSERT_EQ(io_uring_submit(&ring), 1);
	io_uring_queue_exit(&ring);
}

static struct t_cqe submit_one(struct io_uring *ring, unsigned op_nop_or_read,
			       unsigned flags, __u64 data)
{
	static char buf[8];
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	if (op_nop_or_read == IORING_OP_NOP)
		io_uring_prep_nop(sqe);
	else
		io_uring_prep_read(sqe, 0, buf, 0, 0);
	sqe->flags = (__u8)flags;
	sqe->user_data = data;
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c;
}

static void check_enforcement(void)
{
	struct io_uring_restriction res[4] = {
		allow(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_PROBE),
		allow(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP),
		allow(IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_IO_LINK),
		allow(IORING_RESTRICTION_SQE_FLAGS_REQUIRED, IOSQE_ASYNC),
	};
	struct io_uring_probe *probe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct t_cqe c[2];

	t_ring(&ring, 8, IORING_SETUP_R_DISABLED);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 4), 0);
	ASSERT_EQ(io_uring_enable_rings(&ring), 0);
	/* Register ops outside the set, ENABLE_RINGS included. */
	ASSERT_EQ(io_uring_register_personality(&ring), -EACCES);
	ASSERT_EQ(io_uring_enable_rings(&ring), -EACCES);
	probe = io_uring_get_probe_ring(&ring);
	ASSERT_TRUE(probe != NULL);
	io_uring_free_probe(probe);

	ASSERT_EQ(submit_one(&ring, IORING_OP_NOP, IOSQE_ASYNC, 1).res, 0);
	/* Required flag missing; a flag neither allowed nor required. */
	ASSERT_EQ(submit_one(&ring, IORING_OP_NOP, 0, 2).res, -EACCES);
	ASSERT_EQ(submit_one(&ring, IORING_OP_NOP, IOSQE_ASYNC | IOSQE_IO_DRAIN, 3).res,
		  -EACCES);
	/* An op outside the set. */
	ASSERT_EQ(submit_one(&ring, IORING_OP_READ, IOSQE_ASYNC, 4).res, -EACCES);
	/* Invalid flags are checked before restrictions: EINVAL. */
	ASSERT_EQ(submit_one(&ring, IORING_OP_NOP, IOSQE_ASYNC | 0x80, 5).res, -EINVAL);

	/* A refused member fails its link: head -ECANCELED, then -EACCES. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->flags = IOSQE_ASYNC | IOSQE_IO_LINK;
	sqe->user_data = 10;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, 0, NULL, 0, 0);
	sqe->flags = IOSQE_ASYNC;
	sqe->user_data = 11;
	ASSERT_EQ(t_submit_wait(&ring, c, 2), 2);
	ASSERT_EQ(c[0].user_data, 10);
	ASSERT_EQ(c[0].res, -ECANCELED);
	ASSERT_EQ(c[1].user_data, 11);
	ASSERT_EQ(c[1].res, -EACCES);
	io_uring_queue_exit(&ring);

	/* An empty set allows nothing. */
	t_ring(&ring, 4, IORING_SETUP_R_DISABLED);
	ASSERT_EQ(io_uring_register_restrictions(&ring, res, 0), 0);
	ASSERT_EQ(io_uring_enable_rings(&ring), 0);
	ASSERT_EQ(submit_one(&ring, IORING_OP_NOP, 0, 1).res, -EACCES);
	ASSERT_EQ(io_uring_register_probe(&ring, NULL, 0), -EACCES);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_RESTRICTIONS, IORING_REGISTER_PERSONALITY);
	check_registration_errors();
	check_disabled_ring();
	check_enforcement();
	return t_done();
}
