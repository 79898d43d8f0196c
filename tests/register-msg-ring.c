/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_SEND_MSG_RING (kernel-semantics.md §3.31): a MSG_RING request
 * run synchronously with no source ring (fd -1).
 */
#include <sys/eventfd.h>

#include "harness.h"

static void prep(struct io_uring_sqe *sqe, int fd)
{
	memset(sqe, 0, sizeof(*sqe));
	io_uring_prep_msg_ring(sqe, fd, 77, 0x1234, 0);
}

int main(int argc, char **argv)
{
	struct io_uring_sqe sqe;
	struct io_uring ring, disabled;
	struct t_cqe c[2];
	int efd = eventfd(0, 0);

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_SEND_MSG_RING);
	t_ring(&ring, 4, 0);
	/* Only blind: with a ring fd it is an unknown opcode. */
	prep(&sqe, ring.ring_fd);
	EXPECT_REG(&ring, IORING_REGISTER_SEND_MSG_RING, &sqe, 1, -EINVAL);
	ASSERT_EQ(io_uring_register(-1, IORING_REGISTER_SEND_MSG_RING, NULL, 1), -EINVAL);
	ASSERT_EQ(io_uring_register(-1, IORING_REGISTER_SEND_MSG_RING, &sqe, 2), -EINVAL);
	ASSERT_EQ(io_uring_register(-1, IORING_REGISTER_SEND_MSG_RING, (void *)16, 1),
		  -EFAULT);
	sqe.flags = IOSQE_ASYNC;
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EINVAL);
	prep(&sqe, ring.ring_fd);
	sqe.opcode = IORING_OP_NOP;
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EINVAL);
	prep(&sqe, ring.ring_fd);
	sqe.personality = 1;
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EINVAL);
	prep(&sqe, ring.ring_fd);
	sqe.msg_ring_flags = 4;
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EINVAL);
	prep(&sqe, ring.ring_fd);
	sqe.addr = IORING_MSG_SEND_FD;
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EINVAL);
	prep(&sqe, 0x7ffffff0);
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EBADF);
	prep(&sqe, efd);
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EBADFD);
	prep(&sqe, ring.ring_fd);
	sqe.addr3 = 1;
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EINVAL);
	prep(&sqe, ring.ring_fd);
	sqe.msg_ring_flags = IORING_MSG_RING_CQE_SKIP;
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EINVAL);
	prep(&sqe, ring.ring_fd);
	sqe.file_index = 5; /* CQE flags without FLAGS_PASS */
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EINVAL);
	ASSERT_EQ(t_reap(&ring, c, 2), 0);

	t_ring(&disabled, 4, IORING_SETUP_R_DISABLED);
	prep(&sqe, disabled.ring_fd);
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), -EBADFD);
	io_uring_queue_exit(&disabled);

	/* Delivered: user_data = off, res = len, flags passed on request. */
	prep(&sqe, ring.ring_fd);
	sqe.ioprio = 3; /* ignored */
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), 0);
	memset(&sqe, 0, sizeof(sqe));
	/* Not F_SKIP or F_32: liburing 2.15's helpers act on those on any ring. */
	io_uring_prep_msg_ring_cqe_flags(&sqe, ring.ring_fd, 5, 0x99, 0, 0xa9c);
	ASSERT_EQ(io_uring_register_sync_msg(&sqe), 0);
	ASSERT_EQ(t_reap(&ring, c, 2), 2);
	ASSERT_EQ(c[0].user_data, 0x1234);
	ASSERT_EQ(c[0].res, 77);
	ASSERT_EQ(c[0].flags, 0);
	ASSERT_EQ(c[1].user_data, 0x99);
	ASSERT_EQ(c[1].res, 5);
	ASSERT_EQ(c[1].flags, 0xa9c);
	io_uring_queue_exit(&ring);
	close(efd);
	return t_done();
}
