/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_NAPI / UNREGISTER_NAPI (kernel-semantics.md §3.27, §3.28) and
 * REGISTER_CLOCK (§3.29), with a wait that uses the registered clock.
 */
#include "harness.h"

static void check_napi(void)
{
	struct io_uring_napi n;
	struct io_uring ring, iopoll;

	t_ring(&ring, 4, 0);
	memset(&n, 0, sizeof(n));
	EXPECT_REG(&ring, IORING_REGISTER_NAPI, NULL, 1, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_NAPI, &n, 0, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_NAPI, (void *)16, 1, -EFAULT);
	n.pad[1] = 1;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), -EINVAL);
	n.pad[1] = 0;
	n.resv = 1;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), -EINVAL);

	/* The current settings come back even when the operation fails. */
	memset(&n, 0xff, sizeof(n));
	n.pad[0] = n.pad[1] = 0;
	n.resv = 0;
	n.opcode = 9;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), -EINVAL);
	ASSERT_EQ(n.busy_poll_to, 0);
	ASSERT_EQ(n.prefer_busy_poll, 0);
	ASSERT_EQ(n.opcode, 0);
	ASSERT_EQ(n.op_param, IO_URING_NAPI_TRACKING_INACTIVE);

	memset(&n, 0, sizeof(n));
	n.opcode = IO_URING_NAPI_STATIC_ADD_ID;
	n.op_param = 1000;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), -EINVAL); /* not STATIC */
	memset(&n, 0, sizeof(n));
	n.op_param = 2;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), -EINVAL);
	n.op_param = IO_URING_NAPI_TRACKING_STATIC;
	n.busy_poll_to = 50;
	n.prefer_busy_poll = 7;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), 0);
	ASSERT_EQ(n.op_param, IO_URING_NAPI_TRACKING_INACTIVE); /* old mode */
	memset(&n, 0, sizeof(n));
	n.opcode = IO_URING_NAPI_STATIC_ADD_ID;
	n.op_param = 1000;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), 0);
	ASSERT_EQ(n.busy_poll_to, 50);
	ASSERT_EQ(n.prefer_busy_poll, 1);
	ASSERT_EQ(n.op_param, IO_URING_NAPI_TRACKING_STATIC);
	n.opcode = IO_URING_NAPI_STATIC_ADD_ID;
	n.op_param = 1000;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), -EEXIST);
	n.opcode = IO_URING_NAPI_STATIC_ADD_ID;
	n.op_param = 10; /* below MIN_NAPI_ID */
	ASSERT_EQ(io_uring_register_napi(&ring, &n), -EINVAL);
	n.opcode = IO_URING_NAPI_STATIC_DEL_ID;
	n.op_param = 1000;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), 0);
	n.opcode = IO_URING_NAPI_STATIC_DEL_ID;
	n.op_param = 1000;
	ASSERT_EQ(io_uring_register_napi(&ring, &n), -ENOENT);

	EXPECT_REG(&ring, IORING_UNREGISTER_NAPI, NULL, 0, -EINVAL);
	memset(&n, 0xff, sizeof(n));
	ASSERT_EQ(io_uring_unregister_napi(&ring, &n), 0);
	ASSERT_EQ(n.busy_poll_to, 50);
	ASSERT_EQ(n.prefer_busy_poll, 1);
	ASSERT_EQ(n.opcode, 0);
	ASSERT_EQ(n.op_param, 0);
	ASSERT_EQ(n.resv, 0);
	ASSERT_EQ(io_uring_unregister_napi(&ring, NULL), 0);
	EXPECT_REG(&ring, IORING_UNREGISTER_NAPI, (void *)16, 1, -EFAULT);
	memset(&n, 0, sizeof(n));
	ASSERT_EQ(io_uring_register_napi(&ring, &n), 0);
	ASSERT_EQ(n.busy_poll_to, 0);
	ASSERT_EQ(n.op_param, IO_URING_NAPI_TRACKING_INACTIVE);
	io_uring_queue_exit(&ring);

	/* IOPOLL rings refuse NAPI but may unregister it. */
	{
		int ret = io_uring_queue_init(4, &iopoll, IORING_SETUP_IOPOLL);

		/* The userspace backend has no IOPOLL rings (documented). */
		if (ret == -EINVAL && t_backend_kind() == ANYRING_BACKEND_USER)
			return;
		REQUIRE_EQ(ret, 0);
	}
	memset(&n, 0, sizeof(n));
	ASSERT_EQ(io_uring_register_napi(&iopoll, &n), -EINVAL);
	ASSERT_EQ(io_uring_unregister_napi(&iopoll, NULL), 0);
	io_uring_queue_exit(&iopoll);
}

static void check_clock(void)
{
	struct io_uring_clock_register c = {.clockid = CLOCK_MONOTONIC};
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	struct timespec now;
	struct io_uring ring;

	t_ring(&ring, 4, 0);
	EXPECT_REG(&ring, IORING_REGISTER_CLOCK, NULL, 0, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_CLOCK, &c, 1, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_CLOCK, (void *)16, 0, -EFAULT);
	c.__resv[2] = 1;
	ASSERT_EQ(io_uring_register_clock(&ring, &c), -EINVAL);
	c.__resv[2] = 0;
	c.clockid = CLOCK_REALTIME;
	ASSERT_EQ(io_uring_register_clock(&ring, &c), -EINVAL);
	c.clockid = CLOCK_MONOTONIC;
	ASSERT_EQ(io_uring_register_clock(&ring, &c), 0);
	c.clockid = CLOCK_BOOTTIME;
	ASSERT_EQ(io_uring_register_clock(&ring, &c), 0);
	/* An absolute timeout already in the past on the chosen clock. */
	clock_gettime(CLOCK_BOOTTIME, &now);
	ts.tv_sec = now.tv_sec - 1;
	ts.tv_nsec = 0;
	{
		struct io_uring_getevents_arg arg = {.ts = (unsigned long)&ts};

		ASSERT_EQ(io_uring_enter2((unsigned)ring.ring_fd, 0, 1,
					  IORING_ENTER_GETEVENTS |
						  IORING_ENTER_EXT_ARG |
						  IORING_ENTER_ABS_TIMER,
					  (sigset_t *)&arg, sizeof(arg)),
			  -ETIME);
	}
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000;
	ASSERT_EQ(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), -ETIME);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_NAPI, IORING_REGISTER_CLOCK);
	check_napi();
	check_clock();
	return t_done();
}
