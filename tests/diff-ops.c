/* SPDX-License-Identifier: MIT */
/*
 * Differential: the operations on both backends — reads and writes, file
 * and path operations, sockets, splice and tee, provided buffers and
 * MSG_RING — with their argument errors.
 */
#include <linux/openat2.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include "diff.h"

/* Take the SQE's buffer from group bgid. */
static void select_group(struct io_uring_sqe *s, __u16 bgid)
{
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = bgid;
}

static void reads_writes(struct diff_ctx *c)
{
	struct iovec iov[2] = {{c->buf, 3}, {c->buf + 100, 5}};
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	io_uring_prep_read(s, c->file, c->buf, 10, 2);
	s = diff_sqe(c, 2);
	io_uring_prep_read(s, c->file, c->buf, 10, 4096); /* at EOF */
	s = diff_sqe(c, 3);
	io_uring_prep_readv(s, c->file, iov, 2, 26);
	s = diff_sqe(c, 4);
	io_uring_prep_write(s, c->file, "XYZ", 3, 4095);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 4);
	diff_ret(c, c->buf[0] * 256 + c->buf[100], __LINE__);
	s = diff_sqe(c, 5);
	io_uring_prep_writev(s, c->file, iov, 2, 8000);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 6);
	io_uring_prep_read(s, c->file, c->buf + 200, 8, 8000);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 7);
	io_uring_prep_read(s, c->file, c->buf, 4, -1); /* file position */
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	/* Errors. */
	s = diff_sqe(c, 8);
	io_uring_prep_read(s, 0x7ffffff0, c->buf, 4, 0);
	s = diff_sqe(c, 9);
	io_uring_prep_read(s, c->file, (void *)16, 4, 0);
	s = diff_sqe(c, 11);
	io_uring_prep_read(s, c->file, c->buf, 4, 0);
	s->rw_flags = 1 << 20;
	s = diff_sqe(c, 12);
	io_uring_prep_read(s, c->pipe[0], c->buf, 4, 0);
	s->rw_flags = RWF_NOWAIT;
	s = diff_sqe(c, 13);
	io_uring_prep_write(s, c->pipe[0], c->buf, 4, 0); /* read end */
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 5);
	/* A bad iovec array fails at prep and ends the batch there. */
	s = diff_sqe(c, 10);
	io_uring_prep_readv(s, c->file, (void *)16, 2, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 14);
	io_uring_prep_readv(s, c->file, iov, 1025, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* Pipe read that waits, async file read, write to a pipe. */
	s = diff_sqe(c, 15);
	io_uring_prep_read(s, c->pipe[0], c->buf, 3, 0);
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 16);
	io_uring_prep_write(s, c->pipe[1], "abc", 3, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 17);
	io_uring_prep_read(s, c->file, c->buf, 26, 0);
	s->flags = IOSQE_ASYNC;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	diff_ret(c, memcmp(c->buf, "abcdefghijklmnopqrstuvwxyz", 26), __LINE__);
}

static void file_ops(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	s = diff_sqe(c, 1);
	io_uring_prep_fsync(s, c->file, 0);
	s = diff_sqe(c, 2);
	io_uring_prep_fsync(s, c->file, IORING_FSYNC_DATASYNC);
	s = diff_sqe(c, 3);
	io_uring_prep_fsync(s, c->file, 4);
	s = diff_sqe(c, 4);
	io_uring_prep_sync_file_range(s, c->file, 100, 0, 0);
	s = diff_sqe(c, 5);
	io_uring_prep_fallocate(s, c->file, 0, 0, 10000);
	s = diff_sqe(c, 6);
	io_uring_prep_fadvise(s, c->file, 0, 100, POSIX_FADV_SEQUENTIAL);
	s = diff_sqe(c, 7);
	io_uring_prep_fadvise(s, c->file, 0, 100, POSIX_FADV_DONTNEED);
	s = diff_sqe(c, 8);
	io_uring_prep_madvise(s, map, 4096, MADV_DONTNEED);
	s = diff_sqe(c, 10);
	io_uring_prep_fsync(s, 0x7ffffff0, 0);
	s = diff_sqe(c, 11);
	io_uring_prep_fadvise(s, c->file, 0, 100, 99);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 3);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 7);
	/* Workers run unlinked requests in any order: truncate after. */
	s = diff_sqe(c, 9);
	io_uring_prep_ftruncate(s, c->file, 5000);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	{
		struct stat st;

		fstat(c->file, &st);
		diff_ret(c, st.st_size, __LINE__);
	}
	s = diff_sqe(c, 12);
	io_uring_prep_ftruncate(s, c->file, 10);
	s->addr = 1;
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 13);
	io_uring_prep_fallocate(s, c->file, 0, 0, 1);
	s->rw_flags = 1;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	munmap(map, 4096);
}

static void path_ops(struct diff_ctx *c)
{
	char a[128], b[128], d[128];
	struct open_how how = {.flags = O_RDONLY};
	struct statx stx;
	struct io_uring_sqe *s;
	int dfd = open(c->dir, O_DIRECTORY | O_RDONLY);

	snprintf(a, sizeof(a), "%s/a", c->dir);
	snprintf(b, sizeof(b), "%s/b", c->dir);
	snprintf(d, sizeof(d), "%s/d", c->dir);
	s = diff_sqe(c, 1 | FDRES);
	io_uring_prep_openat(s, AT_FDCWD, a, O_CREAT | O_WRONLY, 0600);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 2 | FDRES);
	io_uring_prep_openat(s, dfd, "a", O_RDONLY, 0);
	s = diff_sqe(c, 3 | FDRES);
	io_uring_prep_openat(s, AT_FDCWD, "/nonexistent/x", O_RDONLY, 0);
	s = diff_sqe(c, 5 | FDRES);
	io_uring_prep_openat2(s, AT_FDCWD, a, &how);
	s = diff_sqe(c, 6);
	io_uring_prep_statx(s, AT_FDCWD, a, 0, STATX_SIZE, &stx);
	s = diff_sqe(c, 7);
	io_uring_prep_statx(s, AT_FDCWD, b, 0, STATX_SIZE, &stx);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 5);
	s = diff_sqe(c, 4 | FDRES);
	io_uring_prep_openat(s, AT_FDCWD, (void *)16, O_RDONLY, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 8);
	io_uring_prep_rename(s, a, b);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 9);
	io_uring_prep_mkdir(s, d, 0700);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 10);
	io_uring_prep_mkdir(s, d, 0700); /* EEXIST */
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	s = diff_sqe(c, 11);
	io_uring_prep_symlink(s, b, a);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 12);
	io_uring_prep_unlink(s, a, 0);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 13);
	io_uring_prep_link(s, b, a, 0);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 14);
	io_uring_prep_unlink(s, d, AT_REMOVEDIR);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 4);
	/* Argument errors. */
	s = diff_sqe(c, 15 | FDRES);
	io_uring_prep_openat_direct(s, AT_FDCWD, a, O_RDONLY | O_CLOEXEC, 0, 0);
	s = diff_sqe(c, 16 | FDRES);
	io_uring_prep_openat_direct(s, AT_FDCWD, a, O_RDONLY, 0, 0);
	s = diff_sqe(c, 17 | FDRES);
	io_uring_prep_openat2(s, AT_FDCWD, a, &how);
	s->len = 8;
	s = diff_sqe(c, 18);
	io_uring_prep_unlink(s, a, 1);
	s = diff_sqe(c, 19);
	io_uring_prep_mkdir(s, d, 0700);
	s->flags = IOSQE_FIXED_FILE;
	s = diff_sqe(c, 20 | FDRES);
	io_uring_prep_openat(s, AT_FDCWD, a, O_RDONLY, 0);
	s->buf_index = 1;
	for (int i = 0; i < 6; i++)
		DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 6);
	/* close: a real fd, a bad one, the ring itself. */
	{
		int fd = dup(c->file);

		s = diff_sqe(c, 21);
		io_uring_prep_close(s, fd);
		s = diff_sqe(c, 22);
		io_uring_prep_close(s, 0x7ffffff0);
		s = diff_sqe(c, 23);
		io_uring_prep_close(s, c->ring.ring_fd);
		s = diff_sqe(c, 24);
		io_uring_prep_close(s, fd);
		s->off = 1;
		for (int i = 0; i < 4; i++)
			DIFF_SUBMIT(c);
		DIFF_WAIT_SORTED(c, 4);
	}
	/* A FIFO: a writer with no reader is ENXIO, a reader does not wait. */
	snprintf(d, sizeof(d), "%s/fifo", c->dir);
	mkfifo(d, 0600);
	s = diff_sqe(c, 25 | FDRES);
	io_uring_prep_openat(s, AT_FDCWD, d, O_WRONLY, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 26 | FDRES);
	io_uring_prep_openat(s, AT_FDCWD, d, O_RDONLY, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	unlink(d);
	close(dfd);
}

static void sockets(struct diff_ctx *c)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	struct iovec iov = {c->buf, 5};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct io_uring_sqe *s;
	int lfd, cfd;

	s = diff_sqe(c, 1);
	io_uring_prep_send(s, c->sock[0], "hello", 5, 0);
	s = diff_sqe(c, 2);
	io_uring_prep_recv(s, c->sock[1], c->buf, 16, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 3);
	io_uring_prep_recv(s, c->sock[1], c->buf, 16, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	s = diff_sqe(c, 4);
	io_uring_prep_sendmsg(s, c->sock[0], &msg, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 5);
	io_uring_prep_recvmsg(s, c->sock[1], &msg, MSG_DONTWAIT);
	s = diff_sqe(c, 6);
	io_uring_prep_recv(s, c->sock[1], c->buf, 16, MSG_DONTWAIT);
	s = diff_sqe(c, 7);
	io_uring_prep_send(s, c->file, "x", 1, 0); /* not a socket */
	s = diff_sqe(c, 8);
	io_uring_prep_shutdown(s, c->sock[0], SHUT_WR);
	s->flags = IOSQE_IO_DRAIN;
	s = diff_sqe(c, 9);
	io_uring_prep_recv(s, c->sock[1], c->buf, 16, 0); /* EOF now */
	s->flags = IOSQE_IO_DRAIN;
	for (int i = 0; i < 5; i++)
		DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 5);
	/* socket, bind, listen, accept, connect over loopback. */
	s = diff_sqe(c, 10 | FDRES);
	io_uring_prep_socket(s, AF_INET, SOCK_STREAM, 0, 0);
	s = diff_sqe(c, 11 | FDRES);
	io_uring_prep_socket(s, AF_INET, SOCK_STREAM, 0, 1);
	s = diff_sqe(c, 12 | FDRES);
	io_uring_prep_socket(s, 12345, SOCK_STREAM, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 3);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = diff_sqe(c, 13);
	io_uring_prep_bind(s, lfd, (struct sockaddr *)&addr, sizeof(addr));
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 14);
	io_uring_prep_listen(s, lfd, 8);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	getsockname(lfd, (struct sockaddr *)&addr, &len);
	s = diff_sqe(c, 15 | FDRES);
	io_uring_prep_accept(s, lfd, NULL, NULL, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	s = diff_sqe(c, 16);
	io_uring_prep_connect(s, cfd, (struct sockaddr *)&addr, sizeof(addr));
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	s = diff_sqe(c, 17);
	io_uring_prep_connect(s, cfd, (struct sockaddr *)&addr, 200);
	s = diff_sqe(c, 18);
	io_uring_prep_accept(s, lfd, NULL, NULL, 1 << 30);
	s = diff_sqe(c, 19);
	io_uring_prep_listen(s, lfd, 8);
	s->addr = 1;
	DIFF_SUBMIT(c);
	DIFF_SUBMIT(c);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 3);
	close(cfd);
	close(lfd);
}

static void splice_tee_buffers(struct diff_ctx *c)
{
	static char bufs[4][16];
	struct io_uring_sqe *s;
	int p2[2];

	REQUIRE_EQ(pipe(p2), 0);
	s = diff_sqe(c, 1);
	io_uring_prep_splice(s, c->file, 0, c->pipe[1], -1, 10, 0);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 2);
	io_uring_prep_tee(s, c->pipe[0], p2[1], 10, 0);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 3);
	io_uring_prep_read(s, p2[0], c->buf, 10, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	s = diff_sqe(c, 4);
	io_uring_prep_splice(s, c->file, 0, c->pipe[1], -1, 10, 1U << 20);
	s = diff_sqe(c, 5);
	io_uring_prep_tee(s, c->pipe[0], p2[1], 10, 0);
	s->off = 1;
	DIFF_SUBMIT(c);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	/* Provided buffers: FIFO selection, removal counts, errors. */
	s = diff_sqe(c, 6);
	io_uring_prep_provide_buffers(s, bufs, 16, 4, 7, 10);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	REQUIRE_EQ(write(c->sock[0], "hello", 5), 5);
	s = diff_sqe(c, 7);
	io_uring_prep_recv(s, c->sock[1], NULL, 0, 0);
	select_group(s, 7);
	s = diff_sqe(c, 8);
	io_uring_prep_read(s, c->file, NULL, 4, 0);
	select_group(s, 7);
	s = diff_sqe(c, 9);
	io_uring_prep_remove_buffers(s, 1, 7);
	s = diff_sqe(c, 10);
	io_uring_prep_remove_buffers(s, 5, 7);
	s = diff_sqe(c, 11);
	io_uring_prep_remove_buffers(s, 5, 7);
	s = diff_sqe(c, 12);
	io_uring_prep_read(s, c->file, NULL, 4, 0);
	select_group(s, 7);
	s = diff_sqe(c, 13);
	io_uring_prep_remove_buffers(s, 1, 99);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 7);
	s = diff_sqe(c, 14);
	io_uring_prep_provide_buffers(s, bufs, 16, 0, 7, 0);
	s = diff_sqe(c, 15);
	io_uring_prep_provide_buffers(s, bufs, 0, 1, 7, 0);
	s = diff_sqe(c, 16);
	io_uring_prep_provide_buffers(s, bufs, 16, 1, 7, 70000);
	s = diff_sqe(c, 17);
	io_uring_prep_remove_buffers(s, 0, 7);
	for (int i = 0; i < 4; i++)
		DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 4);
	close(p2[0]);
	close(p2[1]);
}

/*
 * A read that ends at EOF uses none of an incremental buffer, which keeps
 * its room: IORING_CQE_F_BUF_MORE, as after a read that used part of it.
 */
static void inc_buffer_eof(struct diff_ctx *c, struct io_uring_buf_ring *inc,
			   char *buf)
{
	struct io_uring_sqe *s;
	int p[2];

	REQUIRE_EQ(pipe(p), 0);
	io_uring_buf_ring_add(inc, buf, 64, 21, io_uring_buf_ring_mask(2), 0);
	io_uring_buf_ring_advance(inc, 1);
	REQUIRE_EQ(write(p[1], "xy", 2), 2);
	close(p[1]);
	for (__u64 ud = 30; ud < 33; ud++) {
		s = diff_sqe(c, ud);
		io_uring_prep_read(s, p[0], NULL, 16, -1);
		select_group(s, 4);
		DIFF_SUBMIT(c);
		DIFF_WAIT(c, 1);
	}
	close(p[0]);
}

/* Recv and read from a buffer ring: plain, incremental, and MMAP'd. */
static void buffer_rings(struct diff_ctx *c)
{
	static char bufs[4][64];
	uint16_t head = 0;
	struct io_uring_buf_ring *br, *inc;
	struct io_uring_sqe *s;
	int err;

	br = io_uring_setup_buf_ring(&c->ring, 2, 3, IOU_PBUF_RING_MMAP, &err);
	inc = io_uring_setup_buf_ring(&c->ring, 2, 4, IOU_PBUF_RING_INC, &err);
	REQUIRE_EQ(br && inc, 1);
	io_uring_buf_ring_add(br, bufs[0], 64, 10, io_uring_buf_ring_mask(2), 0);
	io_uring_buf_ring_add(br, bufs[1], 64, 11, io_uring_buf_ring_mask(2), 1);
	io_uring_buf_ring_advance(br, 2);
	io_uring_buf_ring_add(inc, bufs[2], 8, 20, io_uring_buf_ring_mask(2), 0);
	io_uring_buf_ring_advance(inc, 1);
	/* Two recvs and a read take the ring in order; the third: ENOBUFS. */
	REQUIRE_EQ(write(c->sock[0], "ring", 4), 4);
	s = diff_sqe(c, 1);
	io_uring_prep_recv(s, c->sock[1], NULL, 0, 0);
	select_group(s, 3);
	s = diff_sqe(c, 2);
	io_uring_prep_read(s, c->file, NULL, 5, 0);
	select_group(s, 3);
	s = diff_sqe(c, 3);
	io_uring_prep_read(s, c->file, NULL, 5, 0);
	select_group(s, 3);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	diff_ret(c, memcmp(bufs[0], "ring", 4), __LINE__);
	diff_ret(c, io_uring_buf_ring_head(&c->ring, 3, &head), __LINE__);
	diff_ret(c, head, __LINE__);
	/* Incremental: 3 then 5 bytes use the 8-byte buffer, then it is gone. */
	REQUIRE_EQ(write(c->sock[0], "abc", 3), 3);
	s = diff_sqe(c, 4);
	io_uring_prep_recv(s, c->sock[1], NULL, 0, 0);
	select_group(s, 4);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	REQUIRE_EQ(write(c->sock[0], "defghij", 7), 7);
	s = diff_sqe(c, 5);
	io_uring_prep_recv(s, c->sock[1], NULL, 0, 0);
	select_group(s, 4);
	s = diff_sqe(c, 6);
	io_uring_prep_recv(s, c->sock[1], NULL, 0, 0);
	select_group(s, 4);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	diff_ret(c, memcmp(bufs[2], "abcdefgh", 8), __LINE__);
	diff_ret(c, io_uring_buf_ring_head(&c->ring, 4, &head), __LINE__);
	diff_ret(c, head, __LINE__);
	/* PROVIDE_BUFFERS into a ring group is refused. */
	s = diff_sqe(c, 7);
	io_uring_prep_provide_buffers(s, bufs[3], 64, 1, 3, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	inc_buffer_eof(c, inc, bufs[3]);
	diff_ret(c, io_uring_free_buf_ring(&c->ring, br, 2, 3), __LINE__);
	diff_ret(c, io_uring_free_buf_ring(&c->ring, inc, 2, 4), __LINE__);
}

/* READ_MULTISHOT and RECVMSG (single and multishot) with provided buffers. */
static void multishot_buffers(struct diff_ctx *c)
{
	static char bufs[8][64];
	struct iovec iov = {NULL, 0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct io_uring_recvmsg_out *out;
	struct io_uring_sqe *s;
	int p2[2];

	REQUIRE_EQ(pipe(p2), 0);
	s = diff_sqe(c, 1);
	io_uring_prep_provide_buffers(s, bufs, 64, 8, 5, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* Argument errors: no buffer selection, a regular file. */
	s = diff_sqe(c, 2);
	io_uring_prep_read_multishot(s, p2[0], 0, 0, 5);
	s->flags = 0;
	s = diff_sqe(c, 3);
	io_uring_prep_read_multishot(s, c->file, 0, 0, 5);
	DIFF_SUBMIT(c);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	/* One CQE per read, then end of file ends it. */
	s = diff_sqe(c, 4);
	io_uring_prep_read_multishot(s, p2[0], 0, 0, 5);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(p2[1], "abc", 3), 3);
	DIFF_WAIT(c, 1);
	REQUIRE_EQ(write(p2[1], "defg", 4), 4);
	DIFF_WAIT(c, 1);
	close(p2[1]);
	DIFF_WAIT(c, 1);
	close(p2[0]);
	/* Single-shot recvmsg into a provided buffer. */
	REQUIRE_EQ(write(c->sock[0], "hello", 5), 5);
	s = diff_sqe(c, 5);
	io_uring_prep_recvmsg(s, c->sock[1], &mh, 0);
	select_group(s, 5);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* Multishot recvmsg: header, payload, and the end at EOF. */
	s = diff_sqe(c, 6);
	io_uring_prep_recvmsg_multishot(s, c->sock[1], &mh, 0);
	select_group(s, 5);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(c->sock[0], "xy", 2), 2);
	DIFF_WAIT(c, 1);
	out = (struct io_uring_recvmsg_out *)bufs[c->log[c->n - 1].flags >>
						  IORING_CQE_BUFFER_SHIFT];
	diff_ret(c, out->payloadlen, __LINE__);
	diff_ret(c, out->namelen, __LINE__);
	diff_ret(c, memcmp(out + 1, "xy", 2), __LINE__);
	shutdown(c->sock[0], SHUT_WR);
	DIFF_WAIT(c, 1);
	/* Multishot recvmsg needs provided buffers. */
	s = diff_sqe(c, 7);
	io_uring_prep_recvmsg_multishot(s, c->sock[1], &mh, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

/* Wait (5 s at most) until the CQ overflows, reaping nothing. */
static void wait_overflow(struct diff_ctx *c, int line)
{
	for (int i = 0; i < 5000; i++) {
		io_uring_get_events(&c->ring);
		if (io_uring_cq_has_overflow(&c->ring))
			break;
		usleep(1000);
	}
	diff_ret(c, io_uring_cq_has_overflow(&c->ring), line);
	diff_ret(c, io_uring_cq_ready(&c->ring), line);
}

/* Log what a nonblocking pipe still holds, emptying it. */
static void pipe_left(struct diff_ctx *c, int fd, int line)
{
	diff_ret(c, read(fd, c->buf, sizeof(c->buf)), line);
}

/*
 * A READ_MULTISHOT whose CQE finds the CQ (4 entries) full ends: that CQE
 * goes to the overflow list without IORING_CQE_F_MORE, the rest of the
 * data stays in the pipe. Once with data at submission, once with data
 * that comes while it waits.
 */
static void mshot_read_overflow(struct diff_ctx *c)
{
	static char bufs[16][8];
	struct io_uring_buf_ring *br;
	struct io_uring_sqe *s;
	int p[2], err;

	REQUIRE_EQ(pipe2(p, O_NONBLOCK), 0);
	br = io_uring_setup_buf_ring(&c->ring, 16, 6, 0, &err);
	REQUIRE_EQ(br != NULL, 1);
	for (int i = 0; i < 16; i++)
		io_uring_buf_ring_add(br, bufs[i], 8, (unsigned short)i,
				      io_uring_buf_ring_mask(16), i);
	io_uring_buf_ring_advance(br, 16);
	memset(c->buf, 'm', 64);
	for (__u64 ud = 1; ud < 3; ud++) {
		if (ud == 1)
			REQUIRE_EQ(write(p[1], c->buf, 64), 64);
		s = diff_sqe(c, ud);
		io_uring_prep_read_multishot(s, p[0], 0, 0, 6);
		DIFF_SUBMIT(c);
		if (ud == 2)
			REQUIRE_EQ(write(p[1], c->buf, 64), 64);
		wait_overflow(c, __LINE__);
		DIFF_WAIT(c, 5);
		pipe_left(c, p[0], __LINE__);
	}
	diff_ret(c, io_uring_free_buf_ring(&c->ring, br, 16, 6), __LINE__);
	close(p[0]);
	close(p[1]);
}

/* Register a 2-entry incremental ring at br, group bgid, with min_left. */
static void inc_min_left_ring(struct diff_ctx *c, struct io_uring_buf_ring *br,
			      __u16 bgid, __u32 min_left, char *mem,
			      unsigned sz)
{
	struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)br,
				       .ring_entries = 2, .bgid = bgid,
				       .min_left = min_left};

	io_uring_buf_ring_init(br);
	diff_ret(c, io_uring_register_buf_ring(&c->ring, &reg,
					       IOU_PBUF_RING_INC), __LINE__);
	for (int i = 0; i < 2; i++)
		io_uring_buf_ring_add(br, mem + i * sz, sz, (unsigned short)i,
				      io_uring_buf_ring_mask(2), i);
	io_uring_buf_ring_advance(br, 2);
}

/* Log each entry's offset into its buffer, its length, and the head. */
static void inc_entries_log(struct diff_ctx *c, struct io_uring_buf_ring *br,
			    __u16 bgid, const char *mem, unsigned sz, int line)
{
	uint16_t head = 0;

	for (int i = 0; i < 2; i++) {
		diff_ret(c, (long long)(br->bufs[i].addr -
					(uintptr_t)(mem + i * sz)), line);
		diff_ret(c, br->bufs[i].len, line);
	}
	diff_ret(c, io_uring_buf_ring_head(&c->ring, bgid, &head), line);
	diff_ret(c, head, line);
}

/* A buffer-select read of len (0: the buffer's) bytes from fd. */
static void inc_read(struct diff_ctx *c, __u64 ud, int fd, unsigned len,
		     __u16 bgid)
{
	struct io_uring_sqe *s = diff_sqe(c, ud);

	io_uring_prep_read(s, fd, NULL, len, 0);
	select_group(s, bgid);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

/*
 * An incremental buffer with fewer than the group's min_left bytes left
 * is finished: no IORING_CQE_F_BUF_MORE, length 0, the head moves on. A
 * multishot RECVMSG so goes on to the next buffer instead of -EFAULT for
 * a tail too small for its header.
 */
static void inc_min_left(struct diff_ctx *c)
{
	struct msghdr mh = {0};
	struct io_uring_buf_ring *br;
	struct io_uring_sqe *s;
	char *mem;
	int p[2];

	br = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE_EQ(br != MAP_FAILED, 1);
	mem = c->buf + 4096;
	REQUIRE_EQ(pipe(p), 0);
	/* 100-byte buffers, min_left 32: 40 left stays, then 30 does not. */
	inc_min_left_ring(c, br, 7, 32, mem, 100);
	for (__u64 ud = 1; ud < 4; ud++) {
		REQUIRE_EQ(write(p[1], "0123456789abcdefghijklmnopqrstuvwxyz"
				       "0123456789abcdefghijklmnop",
				 ud == 1 ? 60 : 10),
			   ud == 1 ? 60 : 10);
		inc_read(c, ud, p[0], 0, 7);
		inc_entries_log(c, br, 7, mem, 100, __LINE__);
	}
	/* A file read (committed at selection) leaving 30 of 100. */
	inc_read(c, 4, c->file, 70, 7);
	inc_entries_log(c, br, 7, mem, 100, __LINE__);
	diff_ret(c, io_uring_unregister_buf_ring(&c->ring, 7), __LINE__);
	/* min_left 40: exactly 40 left stays, 39 does not. */
	inc_min_left_ring(c, br, 7, 40, mem, 100);
	for (__u64 ud = 5; ud < 7; ud++) {
		REQUIRE_EQ(write(p[1], c->buf, ud == 5 ? 60 : 1),
			   ud == 5 ? 60 : 1);
		inc_read(c, ud, p[0], 0, 7);
		inc_entries_log(c, br, 7, mem, 100, __LINE__);
	}
	diff_ret(c, io_uring_unregister_buf_ring(&c->ring, 7), __LINE__);
	/* Multishot RECVMSG, 16-byte headers in 64-byte buffers, min_left 16. */
	inc_min_left_ring(c, br, 7, 16, mem, 64);
	s = diff_sqe(c, 8);
	io_uring_prep_recvmsg_multishot(s, c->sock[1], &mh, 0);
	select_group(s, 7);
	DIFF_SUBMIT(c);
	for (int i = 0; i < 3; i++) {
		REQUIRE_EQ(write(c->sock[0], c->buf, i ? 4 : 20), i ? 4 : 20);
		DIFF_WAIT(c, 1);
		inc_entries_log(c, br, 7, mem, 64, __LINE__);
	}
	shutdown(c->sock[0], SHUT_WR);
	DIFF_WAIT(c, 1);
	diff_ret(c, io_uring_unregister_buf_ring(&c->ring, 7), __LINE__);
	munmap(br, 4096);
	close(p[0]);
	close(p[1]);
}

static void msg_ring(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	io_uring_prep_msg_ring(s, c->ring.ring_fd, 42, 0xabc, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 2);
	io_uring_prep_msg_ring_cqe_flags(s, c->ring.ring_fd, 7, 0xdef, 0, 0x55);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 3);
	io_uring_prep_msg_ring(s, c->file, 1, 1, 0);
	s = diff_sqe(c, 4);
	io_uring_prep_msg_ring(s, 0x7ffffff0, 1, 1, 0);
	s = diff_sqe(c, 5);
	io_uring_prep_msg_ring(s, c->ring.ring_fd, 1, 1, 0);
	s->file_index = 3;
	s = diff_sqe(c, 6);
	io_uring_prep_msg_ring(s, c->ring.ring_fd, 1, 1, 1U << 5);
	DIFF_SUBMIT(c);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 4);
}

/* Multishot accept and multishot recv with provided buffers. */
static void multishot(struct diff_ctx *c)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	static char bufs[3][8];
	struct io_uring_sqe *s;
	int lfd, conns[2];

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE_EQ(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	REQUIRE_EQ(listen(lfd, 8), 0);
	getsockname(lfd, (struct sockaddr *)&addr, &len);
	s = diff_sqe(c, 1 | FDRES);
	io_uring_prep_multishot_accept(s, lfd, NULL, NULL, 0);
	DIFF_SUBMIT(c);
	for (int i = 0; i < 2; i++) {
		conns[i] = socket(AF_INET, SOCK_STREAM, 0);
		REQUIRE_EQ(connect(conns[i], (struct sockaddr *)&addr, sizeof(addr)), 0);
		DIFF_WAIT(c, 1);
	}
	s = diff_sqe(c, 2);
	io_uring_prep_cancel64(s, 1 | FDRES, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	close(conns[0]);
	close(conns[1]);
	close(lfd);

	s = diff_sqe(c, 3);
	io_uring_prep_provide_buffers(s, bufs, 8, 3, 5, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 4);
	io_uring_prep_recv_multishot(s, c->sock[1], NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = 5;
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(c->sock[0], "one", 3), 3);
	DIFF_WAIT(c, 1);
	REQUIRE_EQ(write(c->sock[0], "two", 3), 3);
	DIFF_WAIT(c, 1);
	shutdown(c->sock[0], SHUT_WR);
	DIFF_WAIT(c, 1);
	/* Without buffer selection, multishot recv is refused. */
	s = diff_sqe(c, 5);
	io_uring_prep_recv_multishot(s, c->sock[1], c->buf, 8, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

/* Queue a recv of up to 16 bytes on fixed file slot. */
static void fixed_recv(struct diff_ctx *c, __u64 user_data, int slot)
{
	struct io_uring_sqe *s = diff_sqe(c, user_data);

	io_uring_prep_recv(s, slot, c->buf + 16 * (user_data % 16), 16, 0);
	s->flags |= IOSQE_FIXED_FILE;
}

/*
 * Several requests waiting on one fixed file at once, on datagram sockets
 * so each recv takes one message whichever wakes first: cancelled, left
 * behind by a slot update and by unregistering, and next to a multishot
 * poll on the same slot.
 */
static void fixed_files_waiting(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	int a[2], b[2], fds[2];

	REQUIRE_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, a), 0);
	REQUIRE_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, b), 0);
	fds[0] = a[1];
	fds[1] = b[1];
	diff_ret(c, io_uring_register_files(&c->ring, fds, 2), __LINE__);
	fixed_recv(c, 1, 0);
	fixed_recv(c, 2, 0);
	s = diff_sqe(c, 3);
	io_uring_prep_poll_add(s, 0, POLLIN);
	s->flags |= IOSQE_FIXED_FILE;
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	REQUIRE_EQ(write(a[0], "hello", 5), 5);
	REQUIRE_EQ(write(a[0], "world", 5), 5);
	DIFF_WAIT_SORTED(c, 3);
	/* A cancelled waiter leaves the file usable for the next one. */
	fixed_recv(c, 4, 0);
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 5);
	io_uring_prep_cancel64(s, 4, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	fixed_recv(c, 6, 0);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(a[0], "again", 5), 5);
	DIFF_WAIT(c, 1);
	/* The slot moves on to b[1]; the waiting recv keeps a[1]. */
	fixed_recv(c, 7, 0);
	DIFF_SUBMIT(c);
	diff_ret(c, io_uring_register_files_update(&c->ring, 0, &b[1], 1),
		 __LINE__);
	fixed_recv(c, 8, 0);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(b[0], "to-b", 4), 4);
	DIFF_WAIT(c, 1);
	REQUIRE_EQ(write(a[0], "to-a", 4), 4);
	DIFF_WAIT(c, 1);
	/* A multishot poll and a recv on the same slot. */
	s = diff_sqe(c, 9);
	io_uring_prep_poll_multishot(s, 1, POLLIN);
	s->flags |= IOSQE_FIXED_FILE;
	fixed_recv(c, 10, 1);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	REQUIRE_EQ(write(b[0], "both", 4), 4);
	DIFF_WAIT_SORTED(c, 2);
	s = diff_sqe(c, 11);
	io_uring_prep_poll_remove(s, 9);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	/* Unregistered with a recv waiting: the recv still has its file. */
	fixed_recv(c, 12, 1);
	DIFF_SUBMIT(c);
	diff_ret(c, io_uring_unregister_files(&c->ring), __LINE__);
	REQUIRE_EQ(write(b[0], "last", 4), 4);
	DIFF_WAIT(c, 1);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/*
 * A fixed socket that gets a message while nothing waits on it (and a
 * wait elsewhere lets that be noticed): the next recv takes the message at
 * once, and the one after waits for, and gets, the next message.
 */
static void fixed_file_idle(struct diff_ctx *c)
{
	struct __kernel_timespec ts = {.tv_nsec = 1000000};
	struct io_uring_sqe *s;
	int a[2];

	REQUIRE_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, a), 0);
	diff_ret(c, io_uring_register_files(&c->ring, &a[1], 1), __LINE__);
	fixed_recv(c, 1, 0);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(a[0], "one", 3), 3);
	DIFF_WAIT(c, 1);
	REQUIRE_EQ(write(a[0], "idle", 4), 4);
	s = diff_sqe(c, 2);
	io_uring_prep_timeout(s, &ts, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	fixed_recv(c, 3, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	fixed_recv(c, 4, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	REQUIRE_EQ(write(a[0], "three", 5), 5);
	DIFF_WAIT(c, 1);
	diff_ret(c, io_uring_unregister_files(&c->ring), __LINE__);
	close(a[0]);
	close(a[1]);
}

/* An async read of 16 bytes at off, with extra SQE flags. */
static void async_read(struct diff_ctx *c, __u64 ud, int fd, unsigned off,
		       unsigned flags)
{
	struct io_uring_sqe *s = diff_sqe(c, ud);

	io_uring_prep_read(s, fd, c->buf + off, 16, off);
	s->flags = IOSQE_ASYNC | flags;
}

/*
 * Opening a FIFO blocks a worker until a writer comes; the opens queued
 * before it on the same worker complete meanwhile.
 */
static void async_open_blocked(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	char fifo[96];
	int wfd;
	unsigned one_worker[2] = {1, 0};

	/* One worker: the FIFO open blocks the very worker that ran the rest. */
	diff_ret(c, io_uring_register_iowq_max_workers(&c->ring, one_worker),
		 __LINE__);
	snprintf(fifo, sizeof(fifo), "%s/fifo", c->dir);
	REQUIRE_EQ(mkfifo(fifo, 0600), 0);
	for (unsigned i = 0; i < 4; i++) {
		s = diff_sqe(c, (500 + i) | FDRES);
		io_uring_prep_openat(s, AT_FDCWD, c->dir, O_RDONLY, 0);
		s->flags = IOSQE_ASYNC;
	}
	s = diff_sqe(c, 510 | FDRES);
	io_uring_prep_openat(s, AT_FDCWD, fifo, O_RDONLY, 0);
	s->flags = IOSQE_ASYNC;
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 4);
	/* Queued behind the blocked worker, and cancelled in its own batch. */
	s = diff_sqe(c, 520 | FDRES);
	io_uring_prep_openat(s, AT_FDCWD, c->dir, O_RDONLY, 0);
	s->flags = IOSQE_ASYNC;
	s = diff_sqe(c, 521);
	io_uring_prep_cancel64(s, 520 | FDRES, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	wfd = open(fifo, O_WRONLY);
	REQUIRE_EQ(wfd >= 0, 1);
	DIFF_WAIT(c, 1);
	close(wfd);
}

/*
 * Bursts of worker-run requests: each CQE exactly once, a drain and a
 * link after the requests before them, skipped successes skipped, and a
 * request blocked in a worker holding back nobody else's CQE.
 */
static void async_bursts(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	for (unsigned i = 0; i < 40; i++)
		async_read(c, 100 + i, c->file, i * 16, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 40);
	/* Offset 416 is a multiple of 26: the alphabet starts again. */
	diff_ret(c, memcmp(c->buf + 26 * 16, "abcdefghijklmnop", 16), __LINE__);
	for (unsigned i = 0; i < 6; i++)
		async_read(c, 200 + i, c->file, i * 16, 0);
	s = diff_sqe(c, 210);
	s->flags = IOSQE_IO_DRAIN;
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 6);
	DIFF_WAIT(c, 1);
	async_read(c, 300, c->file, 0, IOSQE_IO_LINK);
	async_read(c, 301, c->pipe[1], 0, IOSQE_IO_LINK); /* EBADF */
	diff_sqe(c, 302);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	async_read(c, 310, c->file, 0, IOSQE_CQE_SKIP_SUCCESS);
	async_read(c, 311, c->file, 16, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	for (unsigned i = 0; i < 4; i++)
		async_read(c, 401 + i, c->file, i * 16, 0);
	async_read(c, 400, c->pipe[0], 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 4);
	REQUIRE_EQ(write(c->pipe[1], "0123456789abcdef", 16), 16);
	DIFF_WAIT(c, 1);
	async_open_blocked(c);
}

/* Bytes of the partly cached file: page-sized runs that differ. */
static char part_byte(size_t i)
{
	return (char)('A' + (i * 7 + i / 4096) % 53);
}

/*
 * Evict the file from the page cache, then cache its first page again by
 * writing it: a read from offset 0 finds that page and not the next, so
 * a non-blocking read stops after it.
 */
static void cache_first_page(int fd)
{
	char page[4096];

	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = part_byte(i);
	REQUIRE_EQ(fsync(fd), 0);
	REQUIRE_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	REQUIRE_EQ(pwrite(fd, page, sizeof(page), 0), sizeof(page));
}

/* Log whether the buffer holds the file's first len bytes. */
static void part_check(struct diff_ctx *c, const char *buf, size_t len,
		       int line)
{
	size_t i = 0;

	while (i < len && buf[i] == part_byte(i))
		i++;
	diff_ret(c, (long long)i, line);
}

/* Read the partly cached file from 0 in one SQE, flags and all. */
static void part_read(struct diff_ctx *c, int fd, __u64 ud, unsigned len,
		      unsigned sqe_flags)
{
	struct io_uring_sqe *s;

	cache_first_page(fd);
	memset(c->buf, 0, sizeof(c->buf));
	s = diff_sqe(c, ud);
	io_uring_prep_read(s, fd, c->buf, len, 0);
	s->flags = (__u8)sqe_flags;
	if (sqe_flags & IOSQE_IO_LINK)
		diff_sqe(c, ud + 1);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, sqe_flags & IOSQE_IO_LINK ? 2 : 1);
	part_check(c, c->buf, len, __LINE__);
}

/*
 * A buffered read of a regular file whose first page alone is cached:
 * the kernel reads on past it until done or end of file, whatever the
 * buffers (iovecs split mid-page, registered, provided), the offset (the
 * file position too) or the path (a worker); only RWF_NOWAIT stops short.
 */
static void partly_cached_reads(struct diff_ctx *c)
{
	struct iovec iov[2] = {{c->buf, 3000}, {c->buf + 3000, 5192}};
	struct iovec reg = {c->buf, sizeof(c->buf)};
	char content[5 * 4096], *bufs = malloc(8192);
	struct io_uring_sqe *s;
	int fd = t_temp_file(0, 0);

	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = part_byte(i);
	REQUIRE_EQ(write(fd, content, sizeof(content)), sizeof(content));
	part_read(c, fd, 1, 8192, IOSQE_IO_LINK);
	part_read(c, fd, 3, 8192, IOSQE_ASYNC);
	/* Two iovecs, the page boundary inside the second. */
	cache_first_page(fd);
	memset(c->buf, 0, sizeof(c->buf));
	s = diff_sqe(c, 4);
	io_uring_prep_readv(s, fd, iov, 2, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	part_check(c, c->buf, 8192, __LINE__);
	/* A registered buffer. */
	diff_ret(c, io_uring_register_buffers(&c->ring, &reg, 1), __LINE__);
	cache_first_page(fd);
	memset(c->buf, 0, sizeof(c->buf));
	s = diff_sqe(c, 5);
	io_uring_prep_read_fixed(s, fd, c->buf, 8192, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	part_check(c, c->buf, 8192, __LINE__);
	diff_ret(c, io_uring_unregister_buffers(&c->ring), __LINE__);
	/* The file position, which ends after all of it. */
	cache_first_page(fd);
	REQUIRE_EQ(lseek(fd, 0, SEEK_SET), 0);
	memset(c->buf, 0, sizeof(c->buf));
	s = diff_sqe(c, 6);
	io_uring_prep_read(s, fd, c->buf, 8192, -1);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	part_check(c, c->buf, 8192, __LINE__);
	diff_ret(c, lseek(fd, 0, SEEK_CUR), __LINE__);
	/* A provided buffer, which the whole read fills. */
	REQUIRE_EQ(bufs != NULL, 1);
	memset(bufs, 0, 8192);
	s = diff_sqe(c, 7);
	io_uring_prep_provide_buffers(s, bufs, 8192, 1, 9, 3);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	cache_first_page(fd);
	s = diff_sqe(c, 8);
	io_uring_prep_read(s, fd, NULL, 8192, 0);
	select_group(s, 9);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	part_check(c, bufs, 8192, __LINE__);
	/* RWF_NOWAIT: the cached page only. */
	cache_first_page(fd);
	s = diff_sqe(c, 9);
	io_uring_prep_read(s, fd, c->buf, 8192, 0);
	s->rw_flags = RWF_NOWAIT;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* The end of file inside the uncached page. */
	REQUIRE_EQ(ftruncate(fd, 6000), 0);
	part_read(c, fd, 10, 8192, 0);
	free(bufs);
	close(fd);
}

static const struct diff_scenario scenarios[] = {
	{"multishot accept and recv", 0, 0, multishot, 0},
	{"reads and writes", 0, 0, reads_writes, 0},
	{"file operations", 0, 0, file_ops, 0},
	{"path operations", 0, 0, path_ops, 0},
	{"sockets", 0, 0, sockets, 0},
	{"fixed files waiting together", 0, 0, fixed_files_waiting, 0},
	{"fixed file idle between waits", 0, 0, fixed_file_idle, 0},
	{"async bursts", 0, 64, async_bursts, 0},
	{"splice, tee, provided buffers", 0, 0, splice_tee_buffers, 0},
	{"msg_ring", 0, 0, msg_ring, 0},
	{"buffer rings", 0, 0, buffer_rings, 0},
	{"multishot read and recvmsg with buffers", 0, 0, multishot_buffers, 0},
	{"multishot read overflowing the CQ", IORING_SETUP_CQSIZE, 2,
	 mshot_read_overflow, 4},
	{"incremental buffers with min_left", 0, 0, inc_min_left, 0},
	{"reads and writes with SQPOLL", IORING_SETUP_SQPOLL, 0, reads_writes, 0},
	{"partly cached file reads", 0, 0, partly_cached_reads, 0},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios, sizeof(scenarios) / sizeof(scenarios[0]));
}
