/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_FILES_UPDATE and REGISTER_FILES_UPDATE2 (kernel-semantics.md
 * §3.6, §3.14): argument checks, SKIP, clearing, partial counts, and the
 * rule that a failed entry has already released the slot's old file.
 */
#include "harness.h"

static struct t_cqe fixed_read(struct io_uring *ring, int index)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	char buf[4];
	struct t_cqe c;

	io_uring_prep_read(sqe, index, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c;
}

static void check_update_errors(struct io_uring *ring, int fd)
{
	int one[1] = {fd};
	struct io_uring_files_update up = {.offset = 0, .fds = (unsigned long)one};
	struct io_uring_files_update bad_resv = {.offset = 0, .resv = 1,
						 .fds = (unsigned long)one};
	struct io_uring_files_update overflow = {.offset = 0xfffffffe,
						 .fds = (unsigned long)one};

	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE, &up, 0, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE, NULL, 1, -EFAULT);
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE, &bad_resv, 1, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE, &overflow, 4, -EOVERFLOW);
	/* No table yet. */
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE, &up, 1, -ENXIO);
	ASSERT_EQ(io_uring_register_files_sparse(ring, 4), 0);
	up.offset = 3;
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE, &up, 2, -EINVAL);
	up.offset = 0;
	up.fds = 16; /* unreadable fd array */
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE, &up, 1, -EFAULT);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
}

static void check_update_semantics(struct io_uring *ring, int fd)
{
	int fds[4] = {fd, fd, fd, fd};
	int mixed[3] = {IORING_REGISTER_FILES_SKIP, -1, fd};
	int failing[3] = {fd, 0x7ffffff0, fd};
	int self[1] = {ring->ring_fd};

	ASSERT_EQ(io_uring_register_files(ring, fds, 4), 0);
	/* SKIP leaves slot 0, -1 empties slot 1, fd fills slot 2. */
	ASSERT_EQ(io_uring_register_files_update(ring, 0, mixed, 3), 3);
	ASSERT_EQ(fixed_read(ring, 0).res, 4);
	ASSERT_EQ(fixed_read(ring, 1).res, -EBADF);
	ASSERT_EQ(fixed_read(ring, 2).res, 4);
	/* A partial success returns the count and hides the error... */
	ASSERT_EQ(io_uring_register_files_update(ring, 1, failing, 3), 1);
	ASSERT_EQ(fixed_read(ring, 1).res, 4);
	/* ...and the failing entry has already released slot 2's file. */
	ASSERT_EQ(fixed_read(ring, 2).res, -EBADF);
	/* The first entry failing returns the error itself. */
	ASSERT_EQ(io_uring_register_files_update(ring, 3, failing + 1, 1), -EBADF);
	ASSERT_EQ(fixed_read(ring, 3).res, -EBADF);
	ASSERT_EQ(io_uring_register_files_update(ring, 0, self, 1), -EBADF);
	ASSERT_EQ(fixed_read(ring, 0).res, -EBADF);
	/* O_PATH descriptors are refused as at registration. */
	self[0] = open(".", O_PATH | O_CLOEXEC);
	ASSERT_TRUE(self[0] >= 0);
	ASSERT_EQ(io_uring_register_files_update(ring, 0, self, 1), -EBADF);
	close(self[0]);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
}

static void check_update2_errors(struct io_uring *ring, int fd)
{
	int one[1] = {fd};
	__u64 tag[1] = {5};
	struct io_uring_rsrc_update2 up = {.offset = 0, .data = (unsigned long)one,
					   .nr = 1};

	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE2, &up, sizeof(up) - 1, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE2, NULL, sizeof(up), -EFAULT);
	up.nr = 0;
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE2, &up, sizeof(up), -EINVAL);
	up.nr = 1;
	up.resv = 1;
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE2, &up, sizeof(up), -EINVAL);
	up.resv = 0;
	up.resv2 = 1;
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE2, &up, sizeof(up), -EINVAL);
	up.resv2 = 0;
	up.offset = 0xffffffff;
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE2, &up, sizeof(up), -EOVERFLOW);
	up.offset = 0;
	EXPECT_REG(ring, IORING_REGISTER_FILES_UPDATE2, &up, sizeof(up), -ENXIO);

	ASSERT_EQ(io_uring_register_files_sparse(ring, 2), 0);
	/* A tag on an empty (-1) or skipped (-2) entry is refused. */
	one[0] = -1;
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 0, one, tag, 1), -EINVAL);
	one[0] = IORING_REGISTER_FILES_SKIP;
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 0, one, tag, 1), -EINVAL);
	one[0] = fd;
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 0, one, (__u64 *)16, 1),
		  -EFAULT);
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 1, one, tag, 2), -EINVAL);
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 1, one, tag, 1), 1);
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 0, one, NULL, 1), 1);
	ASSERT_EQ(fixed_read(ring, 0).res, 4);
	ASSERT_EQ(fixed_read(ring, 1).res, 4);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
}

/* A large sparse table: slots far apart, the last one, and their tags. */
static void check_large_sparse(struct io_uring *ring, int fd)
{
	int one[1] = {fd};
	struct t_cqe cqes[4];
	__u64 tag;

	ASSERT_EQ(io_uring_register_files_sparse(ring, 1300), 0);
	ASSERT_EQ(fixed_read(ring, 700).res, -EBADF);
	tag = 31;
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 3, one, &tag, 1), 1);
	tag = 32;
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 1299, one, &tag, 1), 1);
	tag = 33;
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 600, one, &tag, 1), 1);
	ASSERT_EQ(fixed_read(ring, 1299).res, 4);
	ASSERT_EQ(fixed_read(ring, 600).res, 4);
	ASSERT_EQ(fixed_read(ring, 3).res, 4);
	ASSERT_EQ(fixed_read(ring, 1298).res, -EBADF);
	ASSERT_EQ(fixed_read(ring, 1300).res, -EBADF);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
	/* Unregistering puts the highest slot first. */
	ASSERT_EQ(t_reap(ring, cqes, 4), 3);
	ASSERT_EQ(cqes[0].user_data, 32);
	ASSERT_EQ(cqes[1].user_data, 33);
	ASSERT_EQ(cqes[2].user_data, 31);
}

int main(int argc, char **argv)
{
	struct t_cqe cqes[8];
	struct io_uring ring;
	int fd;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_FILES_UPDATE, IORING_REGISTER_FILES2);
	fd = t_temp_file(4096, 'u');
	t_ring(&ring, 8, 0);
	check_update_errors(&ring, fd);
	check_update_semantics(&ring, fd);
	check_update2_errors(&ring, fd);
	/* Only the tag-5 node of slot 1 posts a CQE (at unregister). */
	ASSERT_EQ(t_reap(&ring, cqes, 8), 1);
	ASSERT_EQ(cqes[0].user_data, 5);
	ASSERT_EQ(cqes[0].res, 0);
	ASSERT_EQ(cqes[0].flags, 0);
	check_large_sparse(&ring, fd);
	io_uring_queue_exit(&ring);
	close(fd);
	return t_done();
}
