/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_RESIZE_RINGS (kernel-semantics.md §3.33) through
 * io_uring_resize_rings(), keeping pending SQEs and CQEs.
 */
#include "harness.h"

static void nops(struct io_uring *ring, int n, __u64 first)
{
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		io_uring_prep_nop(sqe);
		sqe->user_data = first + (unsigned)i;
	}
}

/* A buffer ring the kernel allocated stays usable across a resize. */
static void check_mapped_extras_survive(void)
{
	static char buf[32];
	struct io_uring_buf_ring *br;
	struct io_uring_params p;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct t_cqe c;
	int err, fds[2];

	t_ring(&ring, 4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
	br = io_uring_setup_buf_ring(&ring, 4, 1, IOU_PBUF_RING_MMAP, &err);
	REQUIRE_EQ(br != NULL, 1);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 2;
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), 0);
	io_uring_buf_ring_add(br, buf, sizeof(buf), 3, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_advance(br, 1);
	REQUIRE_EQ(pipe(fds), 0);
	REQUIRE_EQ(write(fds[1], "kept", 4), 4);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], NULL, sizeof(buf), 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 1;
	REQUIRE_EQ(t_submit_wait(&ring, &c, 1), 1);
	ASSERT_EQ(c.res, 4);
	ASSERT_EQ(c.flags >> IORING_CQE_BUFFER_SHIFT, 3);
	ASSERT_EQ(memcmp(buf, "kept", 4), 0);
	ASSERT_EQ(io_uring_free_buf_ring(&ring, br, 4, 1), 0);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct io_uring ring, plain;
	struct t_cqe c[16];

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_RESIZE_RINGS);
	t_ring(&plain, 4, 0);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 8;
	ASSERT_EQ(io_uring_resize_rings(&plain, &p), -EINVAL); /* not DEFER */
	io_uring_queue_exit(&plain);

	t_ring(&ring, 4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
	EXPECT_REG(&ring, IORING_REGISTER_RESIZE_RINGS, NULL, 1, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_RESIZE_RINGS, &p, 2, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_RESIZE_RINGS, (void *)16, 1, -EFAULT);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_entries = 8;
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), -EINVAL); /* 0 entries */
	p.sq_entries = 65536;
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 65536;
	p.flags = IORING_SETUP_CLAMP;
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), 0);
	ASSERT_EQ(p.sq_entries, 32768);
	ASSERT_EQ(p.cq_entries, 65536);

	/* Shrink with completions pending: they must fit, or EOVERFLOW. */
	nops(&ring, 6, 1);
	ASSERT_EQ(io_uring_submit(&ring), 6);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 2;
	p.cq_entries = 4;
	p.flags = IORING_SETUP_CQSIZE;
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), -EOVERFLOW);
	p.sq_entries = 4;
	p.cq_entries = 8;
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), 0);
	/* What comes back: the flags asked for, sizes, offsets, no features. */
	ASSERT_EQ(p.flags, IORING_SETUP_CQSIZE);
	ASSERT_EQ(p.features, 0);
	ASSERT_EQ(p.cq_entries, 8);
	ASSERT_EQ(p.cq_off.cqes, 64);
	ASSERT_EQ(ring.sq.ring_entries, 4);
	ASSERT_EQ(ring.cq.ring_entries, 8);
	/* Pending unsubmitted SQEs survive too. */
	nops(&ring, 2, 100);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 16;
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), 0);
	ASSERT_EQ(io_uring_sq_ready(&ring), 2);
	ASSERT_EQ(io_uring_submit_and_wait(&ring, 8), 2);
	ASSERT_EQ(t_reap(&ring, c, 16), 8);
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(c[i].user_data, (unsigned)i + 1);
	ASSERT_EQ(c[6].user_data, 100);
	ASSERT_EQ(c[7].user_data, 101);

	/* Prepared SQEs that would not fit the smaller SQ: refused first. */
	nops(&ring, 5, 200);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 4;
	ASSERT_EQ(io_uring_resize_rings(&ring, &p), -EOVERFLOW);
	ASSERT_EQ(io_uring_submit_and_wait(&ring, 5), 5);
	ASSERT_EQ(t_reap(&ring, c, 16), 5);
	ASSERT_EQ(c[4].user_data, 204);
	check_mapped_extras_survive();
	io_uring_queue_exit(&ring);
	return t_done();
}
