/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_BUFFERS2 and REGISTER_BUFFERS_UPDATE (kernel-semantics.md
 * §3.15, §3.16), buffer tags (§4), and READ_FIXED / WRITE_FIXED range
 * checks against the registered buffers (§5.5).
 */
#include "harness.h"

#define PAGE 4096UL

static void check_buffers2_errors(struct io_uring *ring, char *mem)
{
	struct iovec iov[2] = {{mem, PAGE}, {NULL, 0}};
	__u64 tags[2] = {1, 2};
	struct io_uring_rsrc_register r = {.nr = 2, .data = (unsigned long)iov};
	struct t_cqe c[4];

	ASSERT_EQ(t_reg(ring, IORING_REGISTER_BUFFERS2, &r, sizeof(r) - 1), -EINVAL);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_BUFFERS2, NULL, sizeof(r)), -EFAULT);
	r.nr = 0;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_BUFFERS2, &r, sizeof(r)), -EINVAL);
	r.nr = 16385;
	r.data = 0;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_BUFFERS2, &r, sizeof(r)), -EINVAL);
	r.nr = 2;
	r.data = (unsigned long)iov;
	r.resv2 = 1;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_BUFFERS2, &r, sizeof(r)), -EINVAL);
	r.resv2 = 0;
	r.flags = IORING_RSRC_REGISTER_SPARSE;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_BUFFERS2, &r, sizeof(r)), -EINVAL);
	r.flags = 4;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_BUFFERS2, &r, sizeof(r)), -EINVAL);
	r.flags = 0;
	/* A tag on the empty second slot: refused, and no CQE for slot 0. */
	r.tags = (unsigned long)tags;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_BUFFERS2, &r, sizeof(r)), -EINVAL);
	ASSERT_EQ(t_reap(ring, c, 4), 0);
	ASSERT_EQ(io_uring_unregister_buffers(ring), -ENXIO);
	ASSERT_EQ(io_uring_register_buffers_sparse(ring, 0), -EINVAL);
	ASSERT_EQ(io_uring_register_buffers_sparse(ring, 16384), 0);
	ASSERT_EQ(io_uring_register_buffers_sparse(ring, 1), -EBUSY);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
}

static void check_update(struct io_uring *ring, char *mem)
{
	struct iovec iov[3] = {{mem, PAGE}, {mem + PAGE, PAGE}, {NULL, 0}};
	struct iovec bad[2] = {{mem, PAGE}, {NULL, PAGE}};
	struct iovec clear = {NULL, 0};
	__u64 tags[3] = {10, 11, 0}, new_tags[2] = {20, 21};
	struct io_uring_rsrc_update2 up = {.data = (unsigned long)iov, .nr = 1};
	struct t_cqe c[8];

	ASSERT_EQ(io_uring_register_buffers_update_tag(ring, 0, iov, NULL, 1), -ENXIO);
	ASSERT_EQ(io_uring_register_buffers_tags(ring, iov, tags, 3), 0);
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof(up) + 8, -EINVAL);
	up.nr = 0;
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof(up), -EINVAL);
	up.nr = 1;
	up.offset = 0xffffffff;
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof(up), -EOVERFLOW);
	ASSERT_EQ(io_uring_register_buffers_update_tag(ring, 2, iov, NULL, 2), -EINVAL);
	/* Entry 1 fails: entry 0 was done, and slot 1 keeps its buffer. */
	ASSERT_EQ(io_uring_register_buffers_update_tag(ring, 0, bad, new_tags, 2), 1);
	ASSERT_EQ(t_reap(ring, c, 8), 1);
	ASSERT_EQ(c[0].user_data, 10);
	/* A tag on a cleared slot is refused; clearing without one works. */
	ASSERT_EQ(io_uring_register_buffers_update_tag(ring, 1, &clear, new_tags, 1),
		  -EINVAL);
	ASSERT_EQ(io_uring_register_buffers_update_tag(ring, 1, &clear, NULL, 1), 1);
	ASSERT_EQ(t_reap(ring, c, 8), 1);
	ASSERT_EQ(c[0].user_data, 11);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
	ASSERT_EQ(t_reap(ring, c, 8), 1);
	ASSERT_EQ(c[0].user_data, 20);
	ASSERT_EQ(c[0].res, 0);
}

static struct t_cqe rw_fixed(struct io_uring *ring, int write, int fd, void *addr,
			     unsigned len, int buf_index)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	if (write)
		io_uring_prep_write_fixed(sqe, fd, addr, len, 0, buf_index);
	else
		io_uring_prep_read_fixed(sqe, fd, addr, len, 0, buf_index);
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c;
}

static void check_fixed_ranges(struct io_uring *ring, char *mem, int fd)
{
	struct iovec iov[2] = {{mem + 32, 96}, {NULL, 0}};

	ASSERT_EQ(rw_fixed(ring, 0, fd, mem, 8, 0).res, -EFAULT); /* no table */
	ASSERT_EQ(io_uring_register_buffers(ring, iov, 2), 0);
	ASSERT_EQ(rw_fixed(ring, 0, fd, mem + 32, 96, 0).res, 96);
	ASSERT_EQ(mem[32], 'r');
	ASSERT_EQ(rw_fixed(ring, 0, fd, mem + 32, 97, 0).res, -EFAULT);
	ASSERT_EQ(rw_fixed(ring, 0, fd, mem + 31, 8, 0).res, -EFAULT);
	ASSERT_EQ(rw_fixed(ring, 0, fd, mem + 128, 0, 0).res, 0);
	ASSERT_EQ(rw_fixed(ring, 0, fd, NULL, 0, 0).res, -EFAULT);
	ASSERT_EQ(rw_fixed(ring, 0, fd, (void *)-8UL, 16, 0).res, -EFAULT);
	ASSERT_EQ(rw_fixed(ring, 0, fd, mem + 32, 8, 1).res, -EFAULT); /* empty */
	ASSERT_EQ(rw_fixed(ring, 0, fd, mem + 32, 8, 2).res, -EFAULT); /* range */
	memcpy(mem + 32, "written!", 8);
	ASSERT_EQ(rw_fixed(ring, 1, fd, mem + 32, 8, 0).res, 8);
	{
		char check[8];

		ASSERT_EQ(pread(fd, check, 8, 0), 8);
		ASSERT_EQ(memcmp(check, "written!", 8), 0);
	}
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
}

/* A READ_FIXED in flight holds its buffer: the tag follows its CQE. */
static void check_deferred_tag(struct io_uring *ring, char *mem)
{
	struct iovec iov = {mem, PAGE};
	__u64 tag = 77;
	struct io_uring_sqe *sqe;
	struct t_cqe c[2];
	int p[2];

	REQUIRE_EQ(pipe(p), 0);
	ASSERT_EQ(io_uring_register_buffers_tags(ring, &iov, &tag, 1), 0);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_read_fixed(sqe, p[0], mem, 16, 0, 0);
	sqe->user_data = 1;
	ASSERT_EQ(io_uring_submit(ring), 1);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
	ASSERT_EQ(t_reap(ring, c, 2), 0);
	ASSERT_EQ(write(p[1], "data", 4), 4);
	c[0] = t_wait_one(ring);
	c[1] = t_wait_one(ring);
	ASSERT_EQ(c[0].user_data, 1);
	ASSERT_EQ(c[0].res, 4);
	ASSERT_EQ(c[1].user_data, 77);
	close(p[0]);
	close(p[1]);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	char *mem;
	int fd;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_BUFFERS2, IORING_REGISTER_BUFFERS_UPDATE);
	mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = t_temp_file(PAGE, 'r');
	t_ring(&ring, 8, 0);
	check_buffers2_errors(&ring, mem);
	check_update(&ring, mem);
	check_fixed_ranges(&ring, mem, fd);
	check_deferred_tag(&ring, mem);
	io_uring_queue_exit(&ring);
	close(fd);
	munmap(mem, 4 * PAGE);
	return t_done();
}
