/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_CLONE_BUFFERS (kernel-semantics.md §3.30): argument checks,
 * ranges, DST_REPLACE with its tag CQEs, SRC_REGISTERED, self-clones and
 * cloned holes.
 */
#include "harness.h"

#define PAGE 4096UL

static int read_fixed(struct io_uring *ring, int fd, void *addr, int index)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	io_uring_prep_read_fixed(sqe, fd, addr, 8, 0, index);
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c.res;
}

static void check_errors(struct io_uring *src, struct io_uring *dst, char *mem)
{
	struct io_uring_clone_buffers c = {.src_fd = (__u32)src->ring_fd};
	struct iovec iov[2] = {{mem, PAGE}, {mem + PAGE, PAGE}};

	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, NULL, 1), -EINVAL);
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 2), -EINVAL);
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, (void *)16, 1), -EFAULT);
	c.flags = 4;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EINVAL);
	c.flags = 0;
	c.pad[0] = 1;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EINVAL);
	c.pad[0] = 0;
	c.src_fd = 0x7ffffff0;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EBADF);
	c.src_fd = 0; /* stdin: not a ring */
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EOPNOTSUPP);
	/* Index 16 is past the table; index 15 is an empty slot. */
	c.src_fd = 16;
	c.flags = IORING_REGISTER_SRC_REGISTERED;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EINVAL);
	c.src_fd = 15;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EBADF);
	c.flags = 0;
	c.src_fd = (__u32)src->ring_fd;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -ENXIO);
	c.src_off = 1;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EINVAL); /* nr 0 with an offset */
	c.src_off = 0;

	ASSERT_EQ(io_uring_register_buffers(src, iov, 2), 0);
	c.nr = 3;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EINVAL);
	c.nr = 2;
	c.src_off = 1;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EOVERFLOW);
	c.src_off = 0;
	c.dst_off = 0xffffffff;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EOVERFLOW);
	c.dst_off = 16383;
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EINVAL);
	c.dst_off = 0;
	ASSERT_EQ(io_uring_register_buffers_sparse(dst, 1), 0);
	ASSERT_EQ(t_reg(dst, IORING_REGISTER_CLONE_BUFFERS, &c, 1), -EBUSY);
	ASSERT_EQ(io_uring_unregister_buffers(dst), 0);
	ASSERT_EQ(io_uring_unregister_buffers(src), 0);
}

static void check_clone_ranges(struct io_uring *src, struct io_uring *dst,
			       char *mem, int fd)
{
	struct iovec iov[3] = {{mem, PAGE}, {NULL, 0}, {mem + 2 * PAGE, PAGE}};
	__u64 tags[3] = {1, 0, 3};
	__u64 dst_tags[2] = {50, 51};
	struct iovec dst_iov[2] = {{mem + 3 * PAGE, PAGE}, {mem + 3 * PAGE, PAGE}};
	struct t_cqe c[8];

	ASSERT_EQ(io_uring_register_buffers_tags(src, iov, tags, 3), 0);
	/* Whole table. */
	ASSERT_EQ(io_uring_clone_buffers(dst, src), 0);
	ASSERT_EQ(read_fixed(dst, fd, mem, 0), 8);
	ASSERT_EQ(read_fixed(dst, fd, mem + PAGE, 1), -EFAULT); /* cloned hole */
	ASSERT_EQ(read_fixed(dst, fd, mem + 2 * PAGE, 2), 8);
	ASSERT_EQ(io_uring_clone_buffers(dst, src), -EBUSY);
	/* Clones carry tag 0: unregistering dst posts nothing. */
	ASSERT_EQ(io_uring_unregister_buffers(dst), 0);
	ASSERT_EQ(t_reap(dst, c, 8), 0);

	/* A range into an offset grows the table; REPLACE fires old tags. */
	ASSERT_EQ(io_uring_register_buffers_tags(dst, dst_iov, dst_tags, 2), 0);
	ASSERT_EQ(io_uring_clone_buffers_offset(dst, src, 1, 2, 1, 0), -EBUSY);
	ASSERT_EQ(io_uring_clone_buffers_offset(dst, src, 1, 2, 1,
						IORING_REGISTER_DST_REPLACE), 0);
	ASSERT_EQ(t_reap(dst, c, 8), 1);
	ASSERT_EQ(c[0].user_data, 51);
	ASSERT_EQ(read_fixed(dst, fd, mem + 3 * PAGE, 0), 8);
	ASSERT_EQ(read_fixed(dst, fd, mem + 2 * PAGE, 1), 8);
	ASSERT_EQ(read_fixed(dst, fd, mem, 2), -EFAULT);
	ASSERT_EQ(io_uring_clone_buffers_offset(dst, src, 4, 0, 1,
						IORING_REGISTER_DST_REPLACE), 0);
	ASSERT_EQ(read_fixed(dst, fd, mem, 4), 8);
	ASSERT_EQ(read_fixed(dst, fd, mem, 3), -EFAULT); /* gap is a hole */
	ASSERT_EQ(io_uring_unregister_buffers(dst), 0);
	ASSERT_EQ(t_reap(dst, c, 8), 1);
	ASSERT_EQ(c[0].user_data, 50);

	/* Source through its registered index. */
	if (t_has_register(IORING_REGISTER_RING_FDS)) {
		ASSERT_EQ(io_uring_register_ring_fd(src), 1);
		ASSERT_EQ(io_uring_clone_buffers(dst, src), 0);
		ASSERT_EQ(read_fixed(dst, fd, mem, 0), 8);
		ASSERT_EQ(io_uring_unregister_buffers(dst), 0);
		ASSERT_EQ(io_uring_unregister_ring_fd(src), 1);
	}

	/* Self-clone with REPLACE releases the old nodes: tags 3, 1. */
	ASSERT_EQ(__io_uring_clone_buffers(src, src, IORING_REGISTER_DST_REPLACE), 0);
	ASSERT_EQ(t_reap(src, c, 8), 2);
	ASSERT_EQ(c[0].user_data, 3);
	ASSERT_EQ(c[1].user_data, 1);
	ASSERT_EQ(read_fixed(src, fd, mem, 0), 8);
	ASSERT_EQ(io_uring_unregister_buffers(src), 0);
	ASSERT_EQ(t_reap(src, c, 8), 0);
}

int main(int argc, char **argv)
{
	struct io_uring src, dst;
	char *mem;
	int fd;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_CLONE_BUFFERS);
	mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = t_temp_file(PAGE, 'c');
	t_ring(&src, 8, 0);
	t_ring(&dst, 8, 0);
	check_errors(&src, &dst, mem);
	check_clone_ranges(&src, &dst, mem, fd);
	io_uring_queue_exit(&src);
	io_uring_queue_exit(&dst);
	close(fd);
	munmap(mem, 4 * PAGE);
	return t_done();
}
