/* SPDX-License-Identifier: MIT */
/*
 * liburing 2.12-2.15's additions: what Linux 6.18 answers for the setup
 * flags, opcodes and timeout flag newer than it; io_uring_get_sqe128; the
 * CQE iterator, io_uring_cqe_seen and io_uring_peek_batch_cqe, also on a
 * CQE_MIXED ring, where 32-byte CQEs take two slots and a padding entry
 * fills the last slot when a big CQE would wrap.
 */
#include "harness.h"

static int setup_flags(unsigned flags)
{
	struct io_uring_params p;
	struct io_uring ring;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	ret = io_uring_queue_init_params(4, &ring, &p);
	if (!ret)
		io_uring_queue_exit(&ring);
	return ret;
}

static void check_newer_setup_flags(void)
{
	ASSERT_EQ(setup_flags(IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY),
		  -EINVAL);
	ASSERT_EQ(setup_flags(IORING_SETUP_SQE_MIXED), -EINVAL);
}

/* Newer opcodes and the immediate timeout are refused in their CQEs. */
static void check_newer_requests(void)
{
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct t_cqe cqe[3];

	t_ring(&ring, 4, 0);
	ASSERT_TRUE(io_uring_get_sqe128(&ring) == NULL);
	ASSERT_EQ(io_uring_sq_ready(&ring), 0);
	io_uring_queue_exit(&ring);

	/* SUBMIT_ALL: a refused SQE would otherwise end the batch. */
	t_ring(&ring, 4, IORING_SETUP_SQE128 | IORING_SETUP_SUBMIT_ALL);
	sqe = io_uring_get_sqe128(&ring);
	REQUIRE_EQ(sqe != NULL, 1);
	ASSERT_TRUE(sqe == &ring.sq.sqes[0]);
	io_uring_prep_nop128(sqe);
	sqe->user_data = 1;
	sqe = io_uring_get_sqe128(&ring);
	REQUIRE_EQ(sqe != NULL, 1);
	ASSERT_TRUE(sqe == &ring.sq.sqes[2]); /* 128 bytes further on */
	io_uring_prep_uring_cmd128(sqe, SOCKET_URING_OP_SIOCINQ, 0);
	ASSERT_EQ(sqe->opcode, IORING_OP_URING_CMD128);
	sqe->user_data = 2;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_timeout(sqe, NULL, 0, IORING_TIMEOUT_IMMEDIATE_ARG);
	sqe->addr = 1000;
	sqe->user_data = 3;
	REQUIRE_EQ(t_submit_wait(&ring, cqe, 3), 3);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(cqe[i].user_data, i + 1);
		ASSERT_EQ(cqe[i].res, -EINVAL);
	}
	io_uring_queue_exit(&ring);
}

static void queue_nops(struct io_uring *ring, __u64 first, int n)
{
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		io_uring_prep_nop(sqe);
		sqe->user_data = first + (__u64)i;
	}
	REQUIRE_EQ(io_uring_submit(ring), n);
}

static void check_iterator(void)
{
	struct io_uring_cqe *cqe, *batch[8];
	struct io_uring ring;
	unsigned head, seen = 0;

	t_ring(&ring, 4, 0);
	ASSERT_EQ(io_uring_cqe_shift(&ring), 0);
	queue_nops(&ring, 1, 3);
	io_uring_for_each_cqe(&ring, head, cqe) {
		ASSERT_EQ(head, seen);
		ASSERT_EQ(cqe->user_data, seen + 1);
		ASSERT_EQ(io_uring_cqe_nr(cqe), 1);
		seen++;
	}
	ASSERT_EQ(seen, 3);
	ASSERT_EQ(io_uring_peek_batch_cqe(&ring, batch, 2), 2);
	ASSERT_EQ(batch[1]->user_data, 2);
	io_uring_cq_advance(&ring, seen);
	ASSERT_EQ(io_uring_cq_ready(&ring), 0);
	ASSERT_EQ(io_uring_peek_batch_cqe(&ring, batch, 8), 0);
	io_uring_queue_exit(&ring);

	t_ring(&ring, 4, IORING_SETUP_CQE32);
	ASSERT_EQ(io_uring_cqe_shift(&ring), 1);
	queue_nops(&ring, 1, 2);
	ASSERT_EQ(io_uring_peek_batch_cqe(&ring, batch, 8), 2);
	ASSERT_TRUE(batch[1] == &ring.cq.cqes[2]);
	io_uring_cqe_seen(&ring, batch[0]);
	io_uring_cqe_seen(&ring, batch[1]);
	ASSERT_EQ(*ring.cq.khead, 2);
	io_uring_queue_exit(&ring);
}

/* n NOPs from user_data first on; those in mask post 32-byte CQEs. */
static void queue_mixed(struct io_uring *ring, __u64 first, int n,
			unsigned big_mask)
{
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		io_uring_prep_nop(sqe);
		sqe->user_data = first + (__u64)i;
		if (big_mask & (1U << i)) {
			sqe->nop_flags = IORING_NOP_CQE32;
			sqe->off = sqe->user_data * 7;
			sqe->addr = ~sqe->off;
		}
	}
	REQUIRE_EQ(io_uring_submit(ring), n);
}

/* The CQEs ready, read with io_uring_peek_batch_cqe and consumed. */
static int reap_mixed(struct io_uring *ring, struct t_cqe *out, int max)
{
	struct io_uring_cqe *batch[8];
	unsigned nr;
	int n = 0;

	while ((nr = io_uring_peek_batch_cqe(ring, batch, 8)) > 0) {
		for (unsigned i = 0; i < nr && n < max; i++, n++) {
			out[n].user_data = batch[i]->user_data;
			out[n].res = batch[i]->res;
			out[n].flags = batch[i]->flags;
			if (batch[i]->flags & IORING_CQE_F_32)
				ASSERT_EQ(batch[i]->big_cqe[0],
					  batch[i]->user_data * 7);
			io_uring_cqe_seen(ring, batch[i]);
		}
	}
	return n;
}

static void check_mixed(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct t_cqe got[8];
	unsigned head, slots = 0;
	int ret, n = 0;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQE_MIXED;
	ret = io_uring_queue_init_params(4, &ring, &p);
	REQUIRE_EQ(ret, 0);
	REQUIRE_EQ(p.cq_entries, 8);

	/* Slots 0-4: small, big, big. */
	queue_mixed(&ring, 1, 3, 0x6);
	io_uring_for_each_cqe(&ring, head, cqe) {
		ASSERT_EQ(head, slots);
		ASSERT_EQ(cqe->user_data, 1 + (head > 0) + (head > 1));
		ASSERT_EQ(io_uring_cqe_nr(cqe), head ? 2 : 1);
		if (head) {
			ASSERT_EQ(cqe->big_cqe[0], cqe->user_data * 7);
			ASSERT_EQ(cqe->big_cqe[1], ~(cqe->user_data * 7));
		}
		slots += io_uring_cqe_nr(cqe);
		n++;
	}
	ASSERT_EQ(n, 3);
	ASSERT_EQ(slots, 5);
	io_uring_cq_advance(&ring, slots);

	/* Slots 5-6 small; a big CQE cannot start in slot 7: it pads. */
	queue_mixed(&ring, 10, 3, 0x4);
	n = reap_mixed(&ring, got, 8);
	ASSERT_EQ(n, 3);
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(got[i].user_data, 10 + i);
		ASSERT_EQ(got[i].res, 0);
		ASSERT_EQ(got[i].flags, i == 2 ? IORING_CQE_F_32 : 0);
	}
	ASSERT_EQ(*ring.cq.khead, *ring.cq.ktail);
	ASSERT_EQ(*ring.cq.khead, 5 + 2 + 1 + 2);
	io_uring_queue_exit(&ring);
}

/* Refusals of io_uring_submit_and_wait_reg come before any submission. */
static void check_wait_reg_refusals(void)
{
	struct io_uring_cqe *cqe = NULL;
	struct io_uring ring;
	unsigned ktail;

	t_ring(&ring, 4, 0);
	io_uring_prep_nop(io_uring_get_sqe(&ring));
	ktail = *ring.sq.ktail;
	ASSERT_EQ(io_uring_submit_and_wait_reg(&ring, &cqe, 1, -1), -EINVAL);
	ring.features &= ~IORING_FEAT_EXT_ARG;
	ASSERT_EQ(io_uring_submit_and_wait_reg(&ring, &cqe, 1, 0), -EINVAL);
	ASSERT_EQ(*ring.sq.ktail, ktail);
	ASSERT_EQ(ring.sq.sqe_head, 0);
	ASSERT_EQ(io_uring_sq_ready(&ring), 1);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	check_newer_setup_flags();
	check_newer_requests();
	check_iterator();
	check_mixed();
	check_wait_reg_refusals();
	return t_done();
}
