/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_SYNC_CANCEL (kernel-semantics.md §3.24): argument checks,
 * every match flag, counts with ALL/ANY, and the per-request CQEs.
 */
#include <pthread.h>

#include "harness.h"

static int cancel(struct io_uring *ring, struct io_uring_sync_cancel_reg *r)
{
	r->timeout.tv_sec = -1;
	r->timeout.tv_nsec = -1;
	return io_uring_register_sync_cancel(ring, r);
}

/* Queue a read on the pipe's read end that will wait for data. */
static void pending_read(struct io_uring *ring, int fd, __u64 data, int fixed)
{
	static char buf[8];
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = data;
	REQUIRE_EQ(io_uring_submit(ring), 1);
}

static void expect_cancelled(struct io_uring *ring, int n)
{
	for (int i = 0; i < n; i++) {
		struct t_cqe c = t_wait_one(ring);

		ASSERT_EQ(c.res, -ECANCELED);
	}
}

static struct io_uring *waiting_ring;

static void *wait_one(void *arg)
{
	struct t_cqe *out = arg;

	*out = t_wait_one(waiting_ring);
	return NULL;
}

/* A thread waiting for the CQE is woken by a cancel from another thread. */
static void check_cancel_wakes_waiter(struct io_uring *ring, int fd)
{
	struct io_uring_sync_cancel_reg r;
	struct t_cqe got;
	pthread_t t;

	pending_read(ring, fd, 77, 0);
	waiting_ring = ring;
	REQUIRE_EQ(pthread_create(&t, NULL, wait_one, &got), 0);
	memset(&r, 0, sizeof(r));
	r.addr = 77;
	ASSERT_EQ(cancel(ring, &r), 0);
	pthread_join(t, NULL);
	ASSERT_EQ(got.user_data, 77);
	ASSERT_EQ(got.res, -ECANCELED);
}

int main(int argc, char **argv)
{
	struct io_uring_sync_cancel_reg r;
	struct io_uring ring;
	struct t_cqe c[4];
	int p[2], q[2];

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_SYNC_CANCEL, IORING_REGISTER_FILES);
	t_ring(&ring, 16, 0);
	REQUIRE_EQ(pipe(p), 0);
	REQUIRE_EQ(pipe(q), 0);

	memset(&r, 0, sizeof(r));
	EXPECT_REG(&ring, IORING_REGISTER_SYNC_CANCEL, NULL, 1, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_SYNC_CANCEL, &r, 2, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_SYNC_CANCEL, (void *)16, 1, -EFAULT);
	r.flags = 64;
	ASSERT_EQ(cancel(&ring, &r), -EINVAL);
	r.flags = 0;
	r.pad[3] = 1;
	ASSERT_EQ(cancel(&ring, &r), -EINVAL);
	r.pad[3] = 0;
	r.pad2[2] = 1;
	ASSERT_EQ(cancel(&ring, &r), -EINVAL);
	memset(&r, 0, sizeof(r));
	r.flags = IORING_ASYNC_CANCEL_FD;
	r.fd = 0x7ffffff0;
	ASSERT_EQ(cancel(&ring, &r), -EBADF);
	r.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED;
	r.fd = 0;
	ASSERT_EQ(cancel(&ring, &r), -EBADF); /* no file table */

	/* By user_data: found, then not found. */
	pending_read(&ring, p[0], 100, 0);
	memset(&r, 0, sizeof(r));
	r.addr = 100;
	ASSERT_EQ(cancel(&ring, &r), 0);
	expect_cancelled(&ring, 1);
	ASSERT_EQ(cancel(&ring, &r), -ENOENT);

	/* ALL with user_data returns the count. */
	pending_read(&ring, p[0], 200, 0);
	pending_read(&ring, q[0], 200, 0);
	r.addr = 200;
	r.flags = IORING_ASYNC_CANCEL_ALL;
	ASSERT_EQ(cancel(&ring, &r), 2);
	expect_cancelled(&ring, 2);
	ASSERT_EQ(cancel(&ring, &r), 0);

	/* By fd (ALL), by fixed fd, by opcode, ANY. */
	pending_read(&ring, p[0], 1, 0);
	pending_read(&ring, q[0], 2, 0);
	memset(&r, 0, sizeof(r));
	r.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
	r.fd = p[0];
	ASSERT_EQ(cancel(&ring, &r), 1);
	c[0] = t_wait_one(&ring);
	ASSERT_EQ(c[0].user_data, 1);
	ASSERT_EQ(c[0].res, -ECANCELED);

	ASSERT_EQ(io_uring_register_files(&ring, &q[0], 1), 0);
	pending_read(&ring, 0, 3, 1);
	memset(&r, 0, sizeof(r));
	r.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED;
	r.fd = 1; /* out of range */
	ASSERT_EQ(cancel(&ring, &r), -EBADF);
	/* FD_FIXED without FD is ignored: this matches user_data 3. */
	r.flags = IORING_ASYNC_CANCEL_FD_FIXED;
	r.addr = 3;
	ASSERT_EQ(cancel(&ring, &r), 0);
	c[0] = t_wait_one(&ring);
	ASSERT_EQ(c[0].user_data, 3);
	ASSERT_EQ(c[0].res, -ECANCELED);

	memset(&r, 0, sizeof(r));
	r.flags = IORING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_ALL;
	r.opcode = IORING_OP_WRITE;
	ASSERT_EQ(cancel(&ring, &r), 0);
	r.opcode = IORING_OP_READ;
	ASSERT_EQ(cancel(&ring, &r), 1);
	expect_cancelled(&ring, 1);

	pending_read(&ring, p[0], 4, 0);
	pending_read(&ring, q[0], 5, 0);
	memset(&r, 0, sizeof(r));
	r.flags = IORING_ASYNC_CANCEL_ANY;
	ASSERT_EQ(cancel(&ring, &r), 2);
	expect_cancelled(&ring, 2);
	ASSERT_EQ(cancel(&ring, &r), 0);
	ASSERT_EQ(t_reap(&ring, c, 4), 0);
	check_cancel_wakes_waiter(&ring, p[0]);

	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	return t_done();
}
