/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_FILE_ALLOC_RANGE (kernel-semantics.md §3.25) and the slot
 * allocator it steers (§5.1), driven by direct opens with
 * IORING_FILE_INDEX_ALLOC, explicit installs and direct closes.
 */
#include "harness.h"

static int open_direct(struct io_uring *ring, unsigned slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	io_uring_prep_openat_direct(sqe, AT_FDCWD, "/dev/null", O_RDONLY, 0, slot);
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c.res;
}

static int close_direct(struct io_uring *ring, unsigned slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	io_uring_prep_close_direct(sqe, slot);
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c.res;
}

static void check_range_errors(struct io_uring *ring)
{
	struct io_uring_file_index_range r = {.off = 0, .len = 0};

	EXPECT_REG(ring, IORING_REGISTER_FILE_ALLOC_RANGE, NULL, 0, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_FILE_ALLOC_RANGE, &r, 1, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_FILE_ALLOC_RANGE, (void *)16, 0, -EFAULT);
	/* Without a table only the empty range fits. */
	EXPECT_REG(ring, IORING_REGISTER_FILE_ALLOC_RANGE, &r, 0, 0);
	ASSERT_EQ(io_uring_register_file_alloc_range(ring, 0, 1), -EINVAL);
	ASSERT_EQ(io_uring_register_file_alloc_range(ring, 0xffffffff, 2), -EOVERFLOW);
	ASSERT_EQ(io_uring_register_files_sparse(ring, 10), 0);
	ASSERT_EQ(io_uring_register_file_alloc_range(ring, 10, 0), 0);
	ASSERT_EQ(io_uring_register_file_alloc_range(ring, 11, 0), -EINVAL);
	ASSERT_EQ(io_uring_register_file_alloc_range(ring, 5, 6), -EINVAL);
	r.resv = 1;
	EXPECT_REG(ring, IORING_REGISTER_FILE_ALLOC_RANGE, &r, 0, -EINVAL);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
}

/* The verified sequence from §5.1: range [10,15) on a 20-slot table. */
static void check_range_allocation(struct io_uring *ring)
{
	ASSERT_EQ(io_uring_register_files_sparse(ring, 20), 0);
	ASSERT_EQ(io_uring_register_file_alloc_range(ring, 10, 5), 0);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 10);
	ASSERT_EQ(open_direct(ring, 2), 0);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 11);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 12);
	ASSERT_EQ(open_direct(ring, 17), 0);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 13);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 14);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), -ENFILE);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
}

/* Table of 4: wrap-around of the hint, and freed slots coming back. */
static void check_hint(struct io_uring *ring)
{
	ASSERT_EQ(io_uring_register_files_sparse(ring, 4), 0);
	ASSERT_EQ(open_direct(ring, 1), 0);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 2);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 3);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 0);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), -ENFILE);
	ASSERT_EQ(close_direct(ring, 2), 0);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 2);
	ASSERT_EQ(close_direct(ring, 0), 0);
	ASSERT_EQ(close_direct(ring, 3), 0);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 3);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), 0);
	/* Direct close of an empty slot, past the table, and without one. */
	ASSERT_EQ(close_direct(ring, 3), 0);
	ASSERT_EQ(close_direct(ring, 3), -EBADF);
	ASSERT_EQ(close_direct(ring, 4), -EINVAL);
	ASSERT_EQ(open_direct(ring, 4), -EINVAL);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
	ASSERT_EQ(open_direct(ring, IORING_FILE_INDEX_ALLOC), -ENFILE);
	ASSERT_EQ(open_direct(ring, 0), -ENXIO);
	ASSERT_EQ(close_direct(ring, 0), -ENXIO);
}

int main(int argc, char **argv)
{
	struct io_uring ring;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_FILE_ALLOC_RANGE, IORING_REGISTER_FILES2);
	t_ring(&ring, 8, 0);
	check_range_errors(&ring);
	check_range_allocation(&ring);
	check_hint(&ring);
	io_uring_queue_exit(&ring);
	return t_done();
}
