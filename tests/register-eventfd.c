/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_EVENTFD, REGISTER_EVENTFD_ASYNC, UNREGISTER_EVENTFD
 * (kernel-semantics.md §3.4, §3.5, §3.7) and IORING_CQ_EVENTFD_DISABLED.
 */
#include <sys/eventfd.h>

#include "harness.h"

static __u64 eventfd_count(int efd)
{
	__u64 v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void nop(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	io_uring_prep_nop(sqe);
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_EQ(c.res, 0);
}

int main(int argc, char **argv)
{
	int efd = eventfd(0, EFD_NONBLOCK), other = eventfd(0, 0);
	struct io_uring ring;
	int p[2];

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_EVENTFD);
	t_ring(&ring, 8, 0);
	REQUIRE_EQ(pipe(p), 0);

	EXPECT_REG(&ring, IORING_REGISTER_EVENTFD, &efd, 0, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_EVENTFD, &efd, 2, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_EVENTFD, NULL, 1, -EFAULT);
	ASSERT_EQ(io_uring_register_eventfd(&ring, 0x7ffffff0), -EBADF);
	ASSERT_EQ(io_uring_register_eventfd(&ring, p[0]), -EINVAL);
	ASSERT_EQ(io_uring_unregister_eventfd(&ring), -ENXIO);
	EXPECT_REG(&ring, IORING_UNREGISTER_EVENTFD, &efd, 0, -EINVAL);
	EXPECT_REG(&ring, IORING_UNREGISTER_EVENTFD, NULL, 1, -EINVAL);

	ASSERT_EQ(io_uring_register_eventfd(&ring, efd), 0);
	/* Busy is checked before the argument is read. */
	EXPECT_REG(&ring, IORING_REGISTER_EVENTFD, NULL, 1, -EBUSY);
	ASSERT_EQ(io_uring_register_eventfd_async(&ring, other), -EBUSY);

	nop(&ring);
	ASSERT_EQ(eventfd_count(efd), 1);
	/* Disabled through the CQ ring's flags: no signal. */
	ASSERT_TRUE(io_uring_cq_eventfd_enabled(&ring));
	ASSERT_EQ(io_uring_cq_eventfd_toggle(&ring, false), 0);
	ASSERT_TRUE(!io_uring_cq_eventfd_enabled(&ring));
	nop(&ring);
	ASSERT_EQ(eventfd_count(efd), 0);
	ASSERT_EQ(io_uring_cq_eventfd_toggle(&ring, true), 0);
	nop(&ring);
	ASSERT_EQ(eventfd_count(efd), 1);
	ASSERT_EQ(io_uring_unregister_eventfd(&ring), 0);
	nop(&ring);
	ASSERT_EQ(eventfd_count(efd), 0);

	/*
	 * ASYNC: only completions posted by an io-wq worker signal. An inline
	 * NOP does not, nor does a pipe read completed through poll in the
	 * submitter's task; a read forced to the worker pool does.
	 */
	ASSERT_EQ(io_uring_register_eventfd_async(&ring, efd), 0);
	nop(&ring);
	ASSERT_EQ(eventfd_count(efd), 0);
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		int file = t_temp_file(16, 'a');
		char buf[4];
		struct t_cqe c;

		io_uring_prep_read(sqe, p[0], buf, sizeof(buf), 0);
		ASSERT_EQ(io_uring_submit(&ring), 1);
		ASSERT_EQ(write(p[1], "abcd", 4), 4);
		c = t_wait_one(&ring);
		ASSERT_EQ(c.res, 4);
		ASSERT_EQ(eventfd_count(efd), 0);

		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, file, buf, sizeof(buf), 0);
		sqe->flags |= IOSQE_ASYNC;
		REQUIRE_EQ(t_submit_wait(&ring, &c, 1), 1);
		ASSERT_EQ(c.res, 4);
		ASSERT_EQ(eventfd_count(efd), 1);
		close(file);
	}
	ASSERT_EQ(io_uring_unregister_eventfd(&ring), 0);

	io_uring_queue_exit(&ring);
	close(efd);
	close(other);
	close(p[0]);
	close(p[1]);
	return t_done();
}
