/* SPDX-License-Identifier: MIT */
/*
 * Direct descriptors and the fixed-file SQEs (kernel-semantics.md §5.2 -
 * §5.5): OPENAT/SOCKET/ACCEPT into the table, CLOSE of a slot, the
 * FILES_UPDATE SQE, FIXED_FD_INSTALL, MSG_RING SEND_FD, READV_FIXED and
 * NOP's fixed flags.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "harness.h"

static struct t_cqe run1(struct io_uring *ring, struct io_uring_sqe *sqe,
			 __u64 data)
{
	struct t_cqe c;

	sqe->user_data = data;
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c;
}

static struct io_uring_sqe *sqe_of(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	REQUIRE_EQ(sqe != NULL, 1);
	return sqe;
}

static void check_open_and_close(struct io_uring *ring, const char *path)
{
	struct io_uring_sqe *s;
	char buf[8];

	s = sqe_of(ring);
	io_uring_prep_openat_direct(s, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0, 0);
	ASSERT_EQ(run1(ring, s, 1).res, -EINVAL);
	s = sqe_of(ring);
	io_uring_prep_openat_direct(s, AT_FDCWD, path, O_RDONLY, 0, 0);
	s->flags |= IOSQE_FIXED_FILE;
	ASSERT_EQ(run1(ring, s, 2).res, -EBADF);
	s = sqe_of(ring);
	io_uring_prep_openat_direct(s, AT_FDCWD, path, O_RDONLY, 0, 0);
	ASSERT_EQ(run1(ring, s, 3).res, 0);
	s = sqe_of(ring);
	io_uring_prep_read(s, 0, buf, 4, 0);
	s->flags |= IOSQE_FIXED_FILE;
	ASSERT_EQ(run1(ring, s, 4).res, 4);
	ASSERT_EQ(memcmp(buf, "dddd", 4), 0);
	s = sqe_of(ring);
	io_uring_prep_openat_direct(s, AT_FDCWD, "/nonexistent", O_RDONLY, 0, 1);
	ASSERT_EQ(run1(ring, s, 5).res, -ENOENT);
	/* CLOSE's own argument checks. */
	s = sqe_of(ring);
	io_uring_prep_close_direct(s, 0);
	s->off = 1;
	ASSERT_EQ(run1(ring, s, 6).res, -EINVAL);
	s = sqe_of(ring);
	io_uring_prep_close_direct(s, 0);
	s->fd = 3;
	ASSERT_EQ(run1(ring, s, 7).res, -EINVAL);
	s = sqe_of(ring);
	io_uring_prep_close(s, 0);
	s->flags |= IOSQE_FIXED_FILE;
	ASSERT_EQ(run1(ring, s, 8).res, -EBADF);
	s = sqe_of(ring);
	io_uring_prep_close_direct(s, 0);
	ASSERT_EQ(run1(ring, s, 9).res, 0);
	s = sqe_of(ring);
	io_uring_prep_read(s, 0, buf, 4, 0);
	s->flags |= IOSQE_FIXED_FILE;
	ASSERT_EQ(run1(ring, s, 10).res, -EBADF);
}

static void check_files_update_sqe(struct io_uring *ring, int fd)
{
	struct io_uring_sqe *s;
	int fds[3] = {fd, fd, fd};
	__u64 tag = 0x77;
	struct t_cqe c[3];

	s = sqe_of(ring);
	io_uring_prep_files_update(s, fds, 1, 0);
	s->flags |= IOSQE_FIXED_FILE;
	ASSERT_EQ(run1(ring, s, 1).res, -EINVAL);
	s = sqe_of(ring);
	io_uring_prep_files_update(s, fds, 0, 0);
	ASSERT_EQ(run1(ring, s, 2).res, -EINVAL);
	s = sqe_of(ring);
	io_uring_prep_files_update(s, fds, 1, 0);
	s->rw_flags = 1;
	ASSERT_EQ(run1(ring, s, 3).res, -EINVAL);
	/* With one free slot, ALLOC installs one and writes its index back. */
	ASSERT_EQ(io_uring_register_files_update_tag(ring, 0, &fd, &tag, 1), 1);
	s = sqe_of(ring);
	io_uring_prep_files_update(s, fds, 3, IORING_FILE_INDEX_ALLOC);
	ASSERT_EQ(run1(ring, s, 4).res, 1);
	ASSERT_EQ(fds[0], 1);
	ASSERT_EQ(fds[1], fd);
	/* Replacing the tagged slot: the tag CQE comes before the SQE's. */
	fds[0] = -1;
	s = sqe_of(ring);
	io_uring_prep_files_update(s, fds, 1, 0);
	s->user_data = 5;
	ASSERT_EQ(io_uring_submit(ring), 1);
	c[0] = t_wait_one(ring);
	c[1] = t_wait_one(ring);
	ASSERT_EQ(c[0].user_data, 0x77);
	ASSERT_EQ(c[1].user_data, 5);
	ASSERT_EQ(c[1].res, 1);
}

static void check_fd_install(struct io_uring *ring)
{
	struct io_uring_sqe *s;
	struct t_cqe c;

	s = sqe_of(ring);
	io_uring_prep_fixed_fd_install(s, 1, 0);
	s->flags = 0;
	ASSERT_EQ(run1(ring, s, 1).res, -EBADF);
	s = sqe_of(ring);
	io_uring_prep_fixed_fd_install(s, 1, 2);
	ASSERT_EQ(run1(ring, s, 2).res, -EINVAL);
	s = sqe_of(ring);
	io_uring_prep_fixed_fd_install(s, 0, 0);
	ASSERT_EQ(run1(ring, s, 3).res, -EBADF); /* empty slot */
	s = sqe_of(ring);
	io_uring_prep_fixed_fd_install(s, 1, 0);
	c = run1(ring, s, 4);
	ASSERT_TRUE(c.res >= 0);
	if (c.res >= 0) {
		ASSERT_EQ(fcntl(c.res, F_GETFD), FD_CLOEXEC);
		close(c.res);
	}
	s = sqe_of(ring);
	io_uring_prep_fixed_fd_install(s, 1, IORING_FIXED_FD_NO_CLOEXEC);
	c = run1(ring, s, 5);
	ASSERT_TRUE(c.res >= 0);
	if (c.res >= 0) {
		ASSERT_EQ(fcntl(c.res, F_GETFD), 0);
		close(c.res);
	}
}

static void check_msg_ring_fd(struct io_uring *src, struct io_uring *dst)
{
	struct io_uring_sqe *s;
	struct t_cqe c;

	ASSERT_EQ(io_uring_register_files_sparse(dst, 2), 0);
	s = sqe_of(src);
	io_uring_prep_msg_ring_fd_alloc(s, dst->ring_fd, 1, 0xd00d, 0);
	ASSERT_EQ(run1(src, s, 1).res, 0);
	c = t_wait_one(dst);
	ASSERT_EQ(c.user_data, 0xd00d);
	ASSERT_EQ(c.res, 0);
	s = sqe_of(src);
	io_uring_prep_msg_ring_fd(s, dst->ring_fd, 1, 1, 0xd00e,
				  IORING_MSG_RING_CQE_SKIP);
	ASSERT_EQ(run1(src, s, 2).res, 0);
	ASSERT_EQ(t_reap(dst, &c, 1), 0);
	s = sqe_of(src);
	io_uring_prep_msg_ring_fd(s, dst->ring_fd, 0, 1, 0, 0); /* empty */
	ASSERT_EQ(run1(src, s, 3).res, -EBADF);
	s = sqe_of(src);
	io_uring_prep_msg_ring_fd(s, src->ring_fd, 1, 1, 0, 0); /* itself */
	ASSERT_EQ(run1(src, s, 4).res, -EINVAL);
	s = sqe_of(src);
	io_uring_prep_msg_ring_fd(s, dst->ring_fd, 1, 1, 0, 0);
	s->len = 1;
	ASSERT_EQ(run1(src, s, 5).res, -EINVAL);
	/* The file sent is usable in the target's slot 1. */
	{
		char buf[4];

		s = sqe_of(dst);
		io_uring_prep_read(s, 1, buf, 4, 0);
		s->flags |= IOSQE_FIXED_FILE;
		ASSERT_EQ(run1(dst, s, 6).res, 4);
	}
	ASSERT_EQ(io_uring_unregister_files(dst), 0);
}

static void check_sockets(struct io_uring *ring)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	struct io_uring_sqe *s;
	int lfd, cfd;

	ASSERT_EQ(io_uring_unregister_files(ring), 0);
	ASSERT_EQ(io_uring_register_files_sparse(ring, 4), 0);
	s = sqe_of(ring);
	io_uring_prep_socket_direct_alloc(s, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_EQ(run1(ring, s, 1).res, 0);
	s = sqe_of(ring);
	io_uring_prep_socket_direct(s, AF_INET, SOCK_STREAM, 0, 3, 0);
	ASSERT_EQ(run1(ring, s, 2).res, 0);
	s = sqe_of(ring);
	io_uring_prep_socket_direct(s, AF_INET, SOCK_STREAM, 0, 4, 0);
	ASSERT_EQ(run1(ring, s, 3).res, -EINVAL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE_EQ(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	REQUIRE_EQ(listen(lfd, 4), 0);
	getsockname(lfd, (struct sockaddr *)&addr, &len);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE_EQ(connect(cfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	s = sqe_of(ring);
	io_uring_prep_accept_direct(s, lfd, NULL, NULL, 0, IORING_FILE_INDEX_ALLOC);
	ASSERT_EQ(run1(ring, s, 4).res, 1);
	s = sqe_of(ring);
	io_uring_prep_send(s, 1, "ping", 4, 0);
	s->flags |= IOSQE_FIXED_FILE;
	ASSERT_EQ(run1(ring, s, 5).res, 4);
	{
		char buf[4];

		ASSERT_EQ(read(cfd, buf, 4), 4);
	}
	close(cfd);
	close(lfd);
}

static void check_fixed_variants(struct io_uring *ring, int fd)
{
	static char mem[4096];
	struct iovec reg = {mem, sizeof(mem)};
	struct iovec v[2] = {{mem, 8}, {mem + 100, 8}};
	struct io_uring_sqe *s;

	ASSERT_EQ(io_uring_register_buffers(ring, &reg, 1), 0);
	s = sqe_of(ring);
	io_uring_prep_readv_fixed(s, fd, v, 2, 0, 0, 0);
	ASSERT_EQ(run1(ring, s, 1).res, 16);
	v[1].iov_len = 0;
	s = sqe_of(ring);
	io_uring_prep_readv_fixed(s, fd, v, 2, 0, 0, 0);
	ASSERT_EQ(run1(ring, s, 2).res, -EFAULT);
	v[1].iov_base = mem + 4090;
	v[1].iov_len = 8;
	s = sqe_of(ring);
	io_uring_prep_writev_fixed(s, fd, v, 2, 0, 0, 0);
	ASSERT_EQ(run1(ring, s, 3).res, -EFAULT);
	s = sqe_of(ring);
	io_uring_prep_readv_fixed(s, fd, v, 1, 0, 0, 1);
	ASSERT_EQ(run1(ring, s, 4).res, -EFAULT);
	/* NOP can name a fixed file and a fixed buffer. */
	s = sqe_of(ring);
	io_uring_prep_nop(s);
	s->nop_flags = IORING_NOP_FIXED_BUFFER;
	s->buf_index = 0;
	ASSERT_EQ(run1(ring, s, 5).res, 0);
	s = sqe_of(ring);
	io_uring_prep_nop(s);
	s->nop_flags = IORING_NOP_FIXED_BUFFER;
	s->buf_index = 1;
	ASSERT_EQ(run1(ring, s, 6).res, -EFAULT);
	s = sqe_of(ring);
	io_uring_prep_nop(s);
	s->nop_flags = IORING_NOP_FILE | IORING_NOP_FIXED_FILE;
	s->fd = 9;
	ASSERT_EQ(run1(ring, s, 7).res, -EBADF);
	/* Without NOP_FILE no file is looked up at all. */
	s = sqe_of(ring);
	io_uring_prep_nop(s);
	s->nop_flags = IORING_NOP_FIXED_FILE;
	s->fd = 9;
	ASSERT_EQ(run1(ring, s, 8).res, 0);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
}

int main(int argc, char **argv)
{
	char path[] = "/tmp/anyring-direct-XXXXXX";
	struct io_uring ring, other;
	int fd, files[2];

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_FILES2, IORING_REGISTER_BUFFERS);
	fd = mkstemp(path);
	REQUIRE_EQ(write(fd, "dddddddddddddddddddd", 20), 20);
	t_ring(&ring, 8, 0);
	t_ring(&other, 8, 0);
	files[0] = -1;
	files[1] = -1;
	ASSERT_EQ(io_uring_register_files(&ring, files, 2), 0);
	check_open_and_close(&ring, path);
	check_files_update_sqe(&ring, fd);
	check_fd_install(&ring);
	check_msg_ring_fd(&ring, &other);
	check_sockets(&ring);
	check_fixed_variants(&ring, fd);
	io_uring_queue_exit(&ring);
	io_uring_queue_exit(&other);
	unlink(path);
	close(fd);
	return t_done();
}
