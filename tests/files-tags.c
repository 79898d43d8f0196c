/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_FILES2 (kernel-semantics.md §3.13) and resource tags (§4):
 * argument checks, sparse tables, tag CQEs on update and unregister in the
 * kernel's order, none for a failed registration, deferral behind an
 * in-flight user, and overflow when the CQ is full.
 */
#include <poll.h>

#include "harness.h"

static void check_files2_errors(struct io_uring *ring, int fd)
{
	int fds[2] = {fd, -1};
	__u64 tags[2] = {1, 0};
	struct io_uring_rsrc_register r = {.nr = 2, .data = (unsigned long)fds,
					   .tags = (unsigned long)tags};

	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r) + 1), -EINVAL);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, NULL, sizeof(r)), -EFAULT);
	r.nr = 0;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EINVAL);
	r.nr = 2;
	r.resv2 = 1;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EINVAL);
	r.resv2 = 0;
	r.flags = 2;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EINVAL);
	r.flags = IORING_RSRC_REGISTER_SPARSE; /* sparse with data */
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EINVAL);
	r.flags = 0;
	r.nr = (1U << 20) + 1;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EMFILE);
	r.nr = 2;
	/* A tag on an empty slot fails the whole table. */
	tags[1] = 2;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EINVAL);
	tags[1] = 0;
	r.tags = 16;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EFAULT);
	r.tags = (unsigned long)tags;
	fds[1] = 0x7ffffff0;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EBADF);
	fds[1] = -1;
	/* data == 0 means all slots empty, with or without SPARSE. */
	r.data = 0;
	r.tags = 0;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), 0);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES2, &r, sizeof(r)), -EBUSY);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
	ASSERT_EQ(io_uring_register_files_sparse(ring, 0), -EINVAL);
	ASSERT_EQ(io_uring_register_files_sparse(ring, (1U << 20) + 1), -EMFILE);
}

static void check_no_cqe_on_failure(struct io_uring *ring, int fd)
{
	int fds[3] = {fd, fd, 0x7ffffff0};
	__u64 tags[3] = {11, 12, 13};
	struct t_cqe c[4];

	ASSERT_EQ(io_uring_register_files_tags(ring, fds, tags, 3), -EBADF);
	ASSERT_EQ(t_reap(ring, c, 4), 0);
	ASSERT_EQ(io_uring_unregister_files(ring), -ENXIO);
}

static void check_tag_order(struct io_uring *ring, int fd)
{
	int fds[4] = {fd, fd, fd, fd};
	__u64 tags[4] = {11, 12, 13, 14};
	int replace[2] = {fd, -1};
	__u64 new_tags[2] = {21, 0};
	struct t_cqe c[8];

	ASSERT_EQ(io_uring_register_files_tags(ring, fds, tags, 4), 0);
	ASSERT_EQ(t_reap(ring, c, 8), 0);
	/* Replacing slots 1 and 2 releases 12 then 13, at once. */
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 1, replace, new_tags, 2), 2);
	ASSERT_EQ(t_reap(ring, c, 8), 2);
	ASSERT_EQ(c[0].user_data, 12);
	ASSERT_EQ(c[1].user_data, 13);
	/* Opcode 6 installs untagged nodes; replacing 21 posts it. */
	ASSERT_EQ(io_uring_register_files_update(ring, 1, replace, 1), 1);
	ASSERT_EQ(t_reap(ring, c, 8), 1);
	ASSERT_EQ(c[0].user_data, 21);
	/* Unregister releases from the highest index down: 14, then 11. */
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
	ASSERT_EQ(t_reap(ring, c, 8), 2);
	ASSERT_EQ(c[0].user_data, 14);
	ASSERT_EQ(c[1].user_data, 11);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(c[i].res, 0);
		ASSERT_EQ(c[i].flags, 0);
	}
}

/* A request holding the node defers its tag until after its own CQE. */
static void check_deferred_tag(struct io_uring *ring)
{
	int p[2], fds[1];
	__u64 tag = 99;
	struct io_uring_sqe *sqe;
	struct t_cqe c[4];
	char buf[8];

	REQUIRE_EQ(pipe(p), 0);
	fds[0] = p[0];
	ASSERT_EQ(io_uring_register_files_tags(ring, fds, &tag, 1), 0);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_read(sqe, 0, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 1;
	ASSERT_EQ(io_uring_submit(ring), 1);
	/* Unregister does not wait, and the read still holds the file. */
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
	ASSERT_EQ(t_reap(ring, c, 4), 0);
	ASSERT_EQ(write(p[1], "ping", 4), 4);
	c[0] = t_wait_one(ring);
	ASSERT_EQ(c[0].user_data, 1);
	ASSERT_EQ(c[0].res, 4);
	c[1] = t_wait_one(ring);
	ASSERT_EQ(c[1].user_data, 99);
	ASSERT_EQ(c[1].res, 0);
	close(p[0]);
	close(p[1]);
}

/* Tag CQEs that find the CQ full overflow and are delivered later. */
static void check_tag_overflow(int fd)
{
	struct io_uring_params p = {.flags = IORING_SETUP_CQSIZE, .cq_entries = 2};
	int fds[4] = {fd, fd, fd, fd};
	__u64 tags[4] = {1, 2, 3, 4};
	struct io_uring ring;
	struct t_cqe c[8];
	int n;

	REQUIRE_EQ(io_uring_queue_init_params(2, &ring, &p), 0);
	ASSERT_EQ(io_uring_register_files_tags(&ring, fds, tags, 4), 0);
	ASSERT_EQ(io_uring_unregister_files(&ring), 0);
	ASSERT_EQ(io_uring_cq_ready(&ring), 2);
	ASSERT_TRUE(io_uring_cq_has_overflow(&ring));
	ASSERT_EQ(*ring.cq.koverflow, 0);
	n = t_reap(&ring, c, 8);
	ASSERT_EQ(n, 4);
	for (int i = 0; i < n; i++)
		ASSERT_EQ(c[i].user_data, 4 - i);
	ASSERT_TRUE(!io_uring_cq_has_overflow(&ring));
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	int fd;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_FILES2);
	fd = t_temp_file(64, 't');
	t_ring(&ring, 8, 0);
	check_files2_errors(&ring, fd);
	check_no_cqe_on_failure(&ring, fd);
	check_tag_order(&ring, fd);
	check_deferred_tag(&ring);
	io_uring_queue_exit(&ring);
	check_tag_overflow(fd);
	close(fd);
	return t_done();
}
