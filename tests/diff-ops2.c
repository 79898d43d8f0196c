/* SPDX-License-Identifier: MIT */
/*
 * Differential: FSETXATTR, SETXATTR, FGETXATTR, GETXATTR, EPOLL_CTL,
 * PIPE (plain and direct), URING_CMD on sockets and other files, and
 * NOP's flags (IORING_NOP_CQE32's big CQEs among them) on both backends,
 * with each error the kernel gives for bad input, linked chains that
 * break, IOSQE_ASYNC, fixed files and CQE_SKIP_SUCCESS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "diff.h"

#define PIPE_NOTIFICATION O_EXCL /* O_NOTIFICATION_PIPE */

static int open_fds(void)
{
	return t_count_dir("/proc/self/fd");
}

/* ------------------------------------------------------------------ */

static void xattr_values(struct diff_ctx *c)
{
	char path[128], link[128], buf[64] = {0}, got[64];
	struct io_uring_sqe *s;
	int fd, pfd;

	snprintf(path, sizeof(path), "%s/x", c->dir);
	snprintf(link, sizeof(link), "%s/link", c->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	REQUIRE_EQ(fd >= 0, 1);
	REQUIRE_EQ(symlink(path, link), 0);
	pfd = open(c->dir, O_PATH);
	s = diff_sqe(c, 1);
	io_uring_prep_fsetxattr(s, fd, "user.a", "hello", 0, 5);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 2);
	io_uring_prep_fgetxattr(s, fd, "user.a", buf, sizeof(buf));
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 3);
	io_uring_prep_setxattr(s, "user.b", "world!", link, XATTR_CREATE, 6);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 4);
	io_uring_prep_getxattr(s, "user.b", buf + 8, path, 16);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 4);
	diff_ret(c, memcmp(buf, "hello\0\0\0world!", 14), __LINE__);
	/* Through the system calls: the values are on the file. */
	diff_ret(c, fgetxattr(fd, "user.a", got, sizeof(got)), __LINE__);
	diff_ret(c, getxattr(path, "user.b", got, sizeof(got)), __LINE__);
	diff_ret(c, memcmp(got, "world!", 6), __LINE__);
	/* Errors the system call gives, in workers: any order. */
	s = diff_sqe(c, 5);
	io_uring_prep_fgetxattr(s, fd, "user.a", NULL, 0);
	s = diff_sqe(c, 6);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, 2);
	s = diff_sqe(c, 7);
	io_uring_prep_fgetxattr(s, fd, "user.none", got, sizeof(got));
	s = diff_sqe(c, 8);
	io_uring_prep_fgetxattr(s, fd, "user.a", (void *)16, sizeof(got));
	s = diff_sqe(c, 9);
	io_uring_prep_fgetxattr(s, fd, "nonamespace.a", got, sizeof(got));
	s = diff_sqe(c, 10);
	io_uring_prep_fsetxattr(s, fd, "user.a", "x", XATTR_CREATE, 1);
	s = diff_sqe(c, 11);
	io_uring_prep_fsetxattr(s, fd, "user.c", "x", XATTR_REPLACE, 1);
	s = diff_sqe(c, 12);
	io_uring_prep_fsetxattr(s, 0x7ffffff0, "user.c", "x", 0, 1);
	s = diff_sqe(c, 13);
	io_uring_prep_getxattr(s, "user.a", got, "/nonexistent/x", 8);
	s = diff_sqe(c, 14);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, 1 << 20);
	s = diff_sqe(c, 15);
	io_uring_prep_fsetxattr(s, pfd, "user.c", "x", 0, 1);
	s = diff_sqe(c, 16);
	io_uring_prep_fgetxattr(s, c->pipe[0], "user.a", got, 8);
	s = diff_sqe(c, 17);
	io_uring_prep_fsetxattr(s, fd, "user.d", (void *)16, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 13);
	close(pfd);
	close(fd);
}

static void xattr_checks(struct diff_ctx *c)
{
	char path[128], name[300], got[16];
	static char long_path[5000];
	struct io_uring_sqe *s;
	int fd;

	snprintf(path, sizeof(path), "%s/x", c->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	REQUIRE_EQ(fd >= 0, 1);
	REQUIRE_EQ(fsetxattr(fd, "user.a", "hello", 5, 0), 0);
	s = diff_sqe(c, 20);
	io_uring_prep_fsetxattr(s, fd, "user.a", "x", 4, 1);
	DIFF_CHECK(c);
	s = diff_sqe(c, 21);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, 8);
	s->xattr_flags = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 22);
	io_uring_prep_fsetxattr(s, fd, "", "x", 0, 1);
	DIFF_CHECK(c);
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[256] = '\0';
	s = diff_sqe(c, 23);
	io_uring_prep_fgetxattr(s, fd, name, got, 8);
	DIFF_CHECK(c);
	name[255] = '\0'; /* the longest name there is */
	s = diff_sqe(c, 24);
	io_uring_prep_fsetxattr(s, fd, name, "x", 0, 1);
	DIFF_CHECK(c);
	s = diff_sqe(c, 25);
	io_uring_prep_fsetxattr(s, fd, (void *)16, "x", 0, 1);
	DIFF_CHECK(c);
	s = diff_sqe(c, 26);
	io_uring_prep_fsetxattr(s, fd, "user.e", (void *)16, 0, 5);
	DIFF_CHECK(c);
	s = diff_sqe(c, 27);
	io_uring_prep_fsetxattr(s, fd, "user.e", "x", 0, 65537);
	DIFF_CHECK(c);
	s = diff_sqe(c, 28);
	io_uring_prep_getxattr(s, "user.a", got, "", 8);
	DIFF_CHECK(c);
	s = diff_sqe(c, 29);
	io_uring_prep_getxattr(s, "user.a", got, (void *)16, 8);
	DIFF_CHECK(c);
	memset(long_path, 'p', sizeof(long_path) - 1);
	s = diff_sqe(c, 30);
	io_uring_prep_setxattr(s, "user.a", "x", long_path, 0, 1);
	DIFF_CHECK(c);
	s = diff_sqe(c, 31);
	io_uring_prep_setxattr(s, "user.a", "x", path, 0, 1);
	s->flags = IOSQE_FIXED_FILE;
	DIFF_CHECK(c);
	/* The flags are checked before the path is read. */
	s = diff_sqe(c, 32);
	io_uring_prep_setxattr(s, "user.a", "x", (void *)16, 9, 1);
	DIFF_CHECK(c);
	s = diff_sqe(c, 33);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, 8);
	s->ioprio = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 34);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, 8);
	s->flags = IOSQE_BUFFER_SELECT;
	DIFF_CHECK(c);
	/* Fields it does not use are not checked. */
	s = diff_sqe(c, 35);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, 8);
	s->buf_index = 3;
	s->splice_fd_in = 4;
	s->addr3 = 8;
	DIFF_CHECK(c);
	close(fd);
}

static void xattr_requests(struct diff_ctx *c)
{
	char path[128], got[16];
	struct io_uring_sqe *s;
	int fd;

	snprintf(path, sizeof(path), "%s/x", c->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	REQUIRE_EQ(fd >= 0, 1);
	REQUIRE_EQ(fsetxattr(fd, "user.a", "hello", 5, 0), 0);
	REQUIRE_EQ(io_uring_register_files(&c->ring, &fd, 1), 0);
	s = diff_sqe(c, 40);
	io_uring_prep_fgetxattr(s, 0, "user.a", got, sizeof(got));
	s->flags = IOSQE_FIXED_FILE | IOSQE_IO_LINK;
	s = diff_sqe(c, 41);
	io_uring_prep_fsetxattr(s, 5, "user.f", "x", 0, 1);
	s->flags = IOSQE_FIXED_FILE;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	REQUIRE_EQ(io_uring_unregister_files(&c->ring), 0);
	s = diff_sqe(c, 42);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, sizeof(got));
	s->flags = IOSQE_ASYNC;
	s = diff_sqe(c, 43);
	io_uring_prep_getxattr(s, "user.a", got, path, sizeof(got));
	s->flags = IOSQE_ASYNC;
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	/*
	 * An error the system call returns does not fail the request, as in
	 * 6.18: CQE_SKIP_SUCCESS skips its CQE too, and its link goes on.
	 */
	s = diff_sqe(c, 44);
	io_uring_prep_fsetxattr(s, fd, "user.g", "x", 0, 1);
	s->flags = IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
	s = diff_sqe(c, 45);
	io_uring_prep_fsetxattr(s, fd, "user.g", "x", XATTR_CREATE, 1);
	s->flags = IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
	diff_sqe(c, 451);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 46);
	io_uring_prep_fsetxattr(s, fd, "user.a", "x", XATTR_CREATE, 1);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 47);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, sizeof(got));
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 48);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	/* A prep failure, or a file not found, fails the chain. */
	s = diff_sqe(c, 49);
	io_uring_prep_fsetxattr(s, fd, "", "x", 0, 1);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 50);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 51);
	io_uring_prep_fgetxattr(s, 0x7ffffff0, "user.a", got, sizeof(got));
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 52);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	close(fd); /* IOSQE_ASYNC: the worker looks the file up */
	s = diff_sqe(c, 53);
	io_uring_prep_fgetxattr(s, fd, "user.a", got, sizeof(got));
	s->flags = IOSQE_IO_LINK | IOSQE_ASYNC;
	diff_sqe(c, 54);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
}

/* ------------------------------------------------------------------ */

static void epoll_wait_log(struct diff_ctx *c, int ep, int line)
{
	struct epoll_event out[4];
	int n = epoll_wait(ep, out, 4, 0);

	diff_ret(c, n, line);
	for (int i = 0; i < n; i++) {
		diff_ret(c, (long long)out[i].data.u64, line);
		diff_ret(c, out[i].events, line);
	}
}

static void epoll_ops(struct diff_ctx *c)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
	struct epoll_event evx = {.events = EPOLLIN | EPOLLEXCLUSIVE};
	struct epoll_event ev2 = {.events = EPOLLIN | EPOLLET, .data.u64 = 0x99};
	struct io_uring_sqe *s;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	char byte;

	s = diff_sqe(c, 1);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_ADD, &ev);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ev.data.u64 = 0; /* copied at prep: this changes nothing */
	REQUIRE_EQ(write(c->pipe[1], "x", 1), 1);
	epoll_wait_log(c, ep, __LINE__);
	s = diff_sqe(c, 2);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_ADD, &ev);
	s = diff_sqe(c, 3);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_MOD, &ev2);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	epoll_wait_log(c, ep, __LINE__);
	REQUIRE_EQ(read(c->pipe[0], &byte, 1), 1);
	s = diff_sqe(c, 4);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_DEL, NULL);
	s = diff_sqe(c, 5);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_DEL, NULL);
	s = diff_sqe(c, 6);
	io_uring_prep_epoll_ctl(s, ep, c->sock[0], EPOLL_CTL_ADD, &ev2);
	s->flags = IOSQE_ASYNC;
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 3);
	REQUIRE_EQ(write(c->sock[1], "y", 1), 1);
	epoll_wait_log(c, ep, __LINE__);
	/* What epoll_ctl itself refuses. */
	s = diff_sqe(c, 7);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], 99, &ev);
	s = diff_sqe(c, 8);
	io_uring_prep_epoll_ctl(s, c->file, c->pipe[0], EPOLL_CTL_ADD, &ev);
	s = diff_sqe(c, 9);
	io_uring_prep_epoll_ctl(s, 0x7ffffff0, c->pipe[0], EPOLL_CTL_ADD, &ev);
	s = diff_sqe(c, 10);
	io_uring_prep_epoll_ctl(s, ep, c->file, EPOLL_CTL_ADD, &ev);
	s = diff_sqe(c, 11);
	io_uring_prep_epoll_ctl(s, ep, ep, EPOLL_CTL_ADD, &ev);
	s = diff_sqe(c, 12);
	io_uring_prep_epoll_ctl(s, ep, 0x7ffffff0, EPOLL_CTL_ADD, &ev);
	s = diff_sqe(c, 13);
	io_uring_prep_epoll_ctl(s, ep, c->sock[0], EPOLL_CTL_MOD, &evx);
	/* IOSQE_FIXED_FILE is ignored: the epoll fd is a plain one. */
	s = diff_sqe(c, 14);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[1], EPOLL_CTL_ADD, &ev);
	s->flags = IOSQE_FIXED_FILE;
	/* A DEL reads no event, a bad pointer included. */
	s = diff_sqe(c, 15);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[1], EPOLL_CTL_DEL, (void *)16);
	s->rw_flags = 1;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 9);
	/* Prep failures. */
	s = diff_sqe(c, 20);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_ADD, (void *)16);
	DIFF_CHECK(c);
	s = diff_sqe(c, 21);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], 99, (void *)16);
	DIFF_CHECK(c);
	s = diff_sqe(c, 22);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_DEL, NULL);
	s->buf_index = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 23);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_DEL, NULL);
	s->splice_fd_in = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 24);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_DEL, NULL);
	s->ioprio = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 25);
	io_uring_prep_epoll_ctl(s, ep, c->pipe[0], EPOLL_CTL_DEL, NULL);
	s->flags = IOSQE_BUFFER_SELECT;
	DIFF_CHECK(c);
	/* Links and CQE_SKIP_SUCCESS. */
	s = diff_sqe(c, 30);
	io_uring_prep_epoll_ctl(s, ep, c->sock[0], EPOLL_CTL_ADD, &ev);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 31);
	s = diff_sqe(c, 32);
	io_uring_prep_epoll_ctl(s, ep, c->sock[0], EPOLL_CTL_DEL, NULL);
	s->flags = IOSQE_CQE_SKIP_SUCCESS;
	diff_sqe(c, 33);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	epoll_wait_log(c, ep, __LINE__);
	close(ep);
}

/* ------------------------------------------------------------------ */

/* A pipe's ends as fcntl sees them, and that bytes go through. */
static void pipe_log(struct diff_ctx *c, int fds[2], int line)
{
	char got[8] = {0};

	diff_ret(c, fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1], line);
	diff_ret(c, fcntl(fds[0], F_GETFD), line);
	diff_ret(c, fcntl(fds[1], F_GETFL) & (O_NONBLOCK | O_DIRECT | O_ACCMODE),
		 line);
	diff_ret(c, write(fds[1], "abc", 3), line);
	diff_ret(c, read(fds[0], got, sizeof(got)), line);
	diff_ret(c, memcmp(got, "abc", 4), line);
	close(fds[0]);
	close(fds[1]);
	fds[0] = fds[1] = -1;
}

static void pipes(struct diff_ctx *c)
{
	int fds[2] = {-1, -1}, before = open_fds();
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	io_uring_prep_pipe(s, fds, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	pipe_log(c, fds, __LINE__);
	s = diff_sqe(c, 2);
	io_uring_prep_pipe(s, fds, O_CLOEXEC | O_NONBLOCK);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	pipe_log(c, fds, __LINE__);
	s = diff_sqe(c, 3);
	io_uring_prep_pipe(s, fds, O_DIRECT);
	s->flags = IOSQE_ASYNC;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	pipe_log(c, fds, __LINE__);
	/* IOSQE_FIXED_FILE, len and buf_index are ignored. */
	s = diff_sqe(c, 4);
	io_uring_prep_pipe(s, fds, 0);
	s->flags = IOSQE_FIXED_FILE;
	s->len = 1;
	s->buf_index = 1;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	pipe_log(c, fds, __LINE__);
	s = diff_sqe(c, 5);
	io_uring_prep_pipe(s, fds, PIPE_NOTIFICATION);
	s = diff_sqe(c, 6);
	io_uring_prep_pipe(s, NULL, 0);
	s = diff_sqe(c, 7);
	io_uring_prep_pipe(s, (int *)16, O_CLOEXEC);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	diff_ret(c, open_fds() - before, __LINE__);
	s = diff_sqe(c, 8);
	io_uring_prep_pipe(s, fds, O_TRUNC);
	DIFF_CHECK(c);
	s = diff_sqe(c, 9);
	io_uring_prep_pipe(s, fds, 0);
	s->fd = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 10);
	io_uring_prep_pipe(s, fds, 0);
	s->off = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 11);
	io_uring_prep_pipe(s, fds, 0);
	s->addr3 = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 12);
	io_uring_prep_pipe(s, fds, 0);
	s->ioprio = 1;
	DIFF_CHECK(c);
	/* A failure breaks the link; CQE_SKIP_SUCCESS posts nothing. */
	s = diff_sqe(c, 13);
	io_uring_prep_pipe(s, NULL, 0);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 14);
	s = diff_sqe(c, 15);
	io_uring_prep_pipe(s, fds, 0);
	s->flags = IOSQE_CQE_SKIP_SUCCESS;
	diff_sqe(c, 16);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	pipe_log(c, fds, __LINE__);
	diff_ret(c, open_fds() - before, __LINE__);
}

/* Which of the first n slots hold a file: FIXED_FD_INSTALL tells. */
static void slots_log(struct diff_ctx *c, unsigned n, __u64 ud)
{
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_sqe *s = diff_sqe(c, (ud + i) | FDRES);

		io_uring_prep_fixed_fd_install(s, (int)i, 0);
	}
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, (int)n);
}

static void pipes_direct(struct diff_ctx *c)
{
	int fds[2] = {-1, -1}, before = open_fds();
	char got[8] = {0};
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	io_uring_prep_pipe_direct(s, fds, 0, 0);
	s = diff_sqe(c, 2);
	io_uring_prep_pipe_direct(s, fds, 0, IORING_FILE_INDEX_ALLOC);
	s = diff_sqe(c, 3);
	io_uring_prep_pipe_direct(s, fds, O_CLOEXEC, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	REQUIRE_EQ(io_uring_register_files_sparse(&c->ring, 8), 0);
	s = diff_sqe(c, 4);
	io_uring_prep_pipe_direct(s, fds, 0, 2);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	diff_ret(c, fds[0] * 100 + fds[1], __LINE__);
	s = diff_sqe(c, 5);
	io_uring_prep_write(s, fds[1], "hello", 5, 0);
	s->flags = IOSQE_FIXED_FILE | IOSQE_IO_LINK;
	s = diff_sqe(c, 6);
	io_uring_prep_read(s, fds[0], got, sizeof(got), 0);
	s->flags = IOSQE_FIXED_FILE;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	diff_ret(c, memcmp(got, "hello", 6), __LINE__);
	s = diff_sqe(c, 7);
	io_uring_prep_pipe_direct(s, fds, O_NONBLOCK, IORING_FILE_INDEX_ALLOC);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	diff_ret(c, fds[0] * 100 + fds[1], __LINE__);
	/* Slot 7 is the table's last: its write end has none, all undone. */
	s = diff_sqe(c, 8);
	io_uring_prep_pipe_direct(s, fds, 0, 7);
	/* Writing the slots back faults: both ends are taken out again. */
	s = diff_sqe(c, 9);
	io_uring_prep_pipe_direct(s, (int *)16, 0, IORING_FILE_INDEX_ALLOC);
	s = diff_sqe(c, 10);
	io_uring_prep_pipe_direct(s, (int *)16, 0, 5);
	s = diff_sqe(c, 11);
	io_uring_prep_pipe_direct(s, fds, O_CLOEXEC, IORING_FILE_INDEX_ALLOC);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 4);
	slots_log(c, 8, 100);
	/* Allocation goes on from where the undone slots left its hint. */
	for (int i = 0; i < 3; i++) {
		fds[0] = fds[1] = -1;
		s = diff_sqe(c, 12 + (unsigned)i);
		io_uring_prep_pipe_direct(s, fds, 0, IORING_FILE_INDEX_ALLOC);
		DIFF_SUBMIT(c);
		DIFF_WAIT(c, 1);
		diff_ret(c, fds[0] * 100 + fds[1], __LINE__);
	}
	slots_log(c, 8, 200);
	REQUIRE_EQ(io_uring_unregister_files(&c->ring), 0);
	diff_ret(c, open_fds() - before, __LINE__);
}

/* ------------------------------------------------------------------ */

static void tcp_pair(int *cl, int *sv, int *ls)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	*ls = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE_EQ(bind(*ls, (struct sockaddr *)&a, sizeof(a)), 0);
	REQUIRE_EQ(listen(*ls, 4), 0);
	REQUIRE_EQ(getsockname(*ls, (struct sockaddr *)&a, &len), 0);
	*cl = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE_EQ(connect(*cl, (struct sockaddr *)&a, sizeof(a)), 0);
	*sv = accept(*ls, NULL, NULL);
	REQUIRE_EQ(*sv >= 0, 1);
}

/* A UDP socket with two datagrams (10 and 2 bytes) queued to itself. */
static int udp_queued(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	REQUIRE_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	REQUIRE_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	REQUIRE_EQ(sendto(fd, "0123456789", 10, 0, (struct sockaddr *)&a, len), 10);
	REQUIRE_EQ(sendto(fd, "01", 2, 0, (struct sockaddr *)&a, len), 2);
	return fd;
}

static void wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	REQUIRE_EQ(poll(&p, 1, 5000), 1);
}

static long long sockopt(int fd, int level, int name)
{
	int val = -1;
	socklen_t len = sizeof(val);

	return getsockopt(fd, level, name, &val, &len) ? -errno : val;
}

static void cmd_sock(struct io_uring_sqe *s, int op, int fd, int level,
		     int name, void *val, int len)
{
	io_uring_prep_cmd_sock(s, op, fd, level, name, val, len);
}

static void sock_cmds(struct diff_ctx *c)
{
	int cl, sv, ls, udp = udp_queued(), val = -1, rcvbuf = 65536, one = 1;
	int devnull = open("/dev/null", O_RDWR);
	struct sockaddr_storage name;
	socklen_t name_len = sizeof(name);
	struct io_uring_sqe *s;

	tcp_pair(&cl, &sv, &ls);
	REQUIRE_EQ(send(cl, "1234567", 7, 0), 7);
	wait_readable(sv);
	wait_readable(udp);
	s = diff_sqe(c, 1);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s = diff_sqe(c, 2);
	cmd_sock(s, SOCKET_URING_OP_SIOCOUTQ, sv, 0, 0, NULL, 0);
	s = diff_sqe(c, 3);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF, &val,
		 sizeof(val));
	s = diff_sqe(c, 4);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, udp, 0, 0, NULL, 0);
	s = diff_sqe(c, 5);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, ls, 0, 0, NULL, 0);
	s = diff_sqe(c, 6);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, c->sock[0], 0, 0, NULL, 0);
	s = diff_sqe(c, 7);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, c->sock[0], SOL_SOCKET, SO_TYPE,
		 &val, sizeof(val));
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 7);
	diff_ret(c, val, __LINE__);
	s = diff_sqe(c, 8);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF, &val,
		 sizeof(val));
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	diff_ret(c, val == sockopt(sv, SOL_SOCKET, SO_RCVBUF), __LINE__);
	/* setsockopt at any level; getsockopt(2) sees what it set. */
	s = diff_sqe(c, 9);
	cmd_sock(s, SOCKET_URING_OP_SETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF,
		 &rcvbuf, sizeof(rcvbuf));
	s = diff_sqe(c, 10);
	cmd_sock(s, SOCKET_URING_OP_SETSOCKOPT, sv, IPPROTO_TCP, TCP_NODELAY,
		 &one, sizeof(one));
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	diff_ret(c, sockopt(sv, SOL_SOCKET, SO_RCVBUF), __LINE__);
	diff_ret(c, sockopt(sv, IPPROTO_TCP, TCP_NODELAY), __LINE__);
	/* What the commands refuse. */
	s = diff_sqe(c, 11);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, sv, IPPROTO_TCP, TCP_NODELAY,
		 &val, sizeof(val));
	s = diff_sqe(c, 12);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, sv, SOL_SOCKET, 9999, &val,
		 sizeof(val));
	s = diff_sqe(c, 13);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF,
		 (void *)16, sizeof(val));
	s = diff_sqe(c, 14);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF, &val,
		 -1);
	s = diff_sqe(c, 15);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF, &val,
		 0);
	s = diff_sqe(c, 16);
	cmd_sock(s, SOCKET_URING_OP_SETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF,
		 &rcvbuf, 2);
	s = diff_sqe(c, 17);
	cmd_sock(s, SOCKET_URING_OP_SETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF,
		 &rcvbuf, -1);
	s = diff_sqe(c, 18);
	cmd_sock(s, SOCKET_URING_OP_SETSOCKOPT, sv, SOL_SOCKET, SO_RCVBUF,
		 (void *)16, sizeof(rcvbuf));
	s = diff_sqe(c, 19);
	io_uring_prep_cmd_getsockname(s, sv, (struct sockaddr *)&name,
				      &name_len, 0);
	s = diff_sqe(c, 20);
	cmd_sock(s, SOCKET_URING_OP_TX_TIMESTAMP, sv, 0, 0, NULL, 0);
	s = diff_sqe(c, 21);
	cmd_sock(s, 99, sv, 0, 0, NULL, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 11);
	/* Files that are not sockets. */
	s = diff_sqe(c, 22);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, c->file, 0, 0, NULL, 0);
	s = diff_sqe(c, 23);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, c->pipe[0], SOL_SOCKET, SO_TYPE,
		 &val, sizeof(val));
	s = diff_sqe(c, 24);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, 0x7ffffff0, 0, 0, NULL, 0);
	s = diff_sqe(c, 25);
	cmd_sock(s, 99, devnull, 0, 0, NULL, 0);
	s = diff_sqe(c, 26);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, c->ring.ring_fd, 0, 0, NULL, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 5);
	/* IOSQE_ASYNC; CMD_FIXED without registered buffers. */
	s = diff_sqe(c, 27);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->flags = IOSQE_ASYNC;
	s = diff_sqe(c, 28);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->uring_cmd_flags = IORING_URING_CMD_FIXED;
	s->buf_index = 3;
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	close(devnull);
	close(udp);
	close(ls);
	close(cl);
	close(sv);
}

static void sock_cmd_checks(struct diff_ctx *c)
{
	int cl, sv, ls, val;
	char buf[64];
	struct io_uring_sqe *s;

	tcp_pair(&cl, &sv, &ls);
	REQUIRE_EQ(send(cl, "1234567", 7, 0), 7);
	wait_readable(sv);
	s = diff_sqe(c, 30);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->__pad1 = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 31);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->uring_cmd_flags = 4;
	DIFF_CHECK(c);
	s = diff_sqe(c, 32);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->uring_cmd_flags = IORING_URING_CMD_MULTISHOT;
	DIFF_CHECK(c);
	s = diff_sqe(c, 33);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->flags = IOSQE_BUFFER_SELECT;
	DIFF_CHECK(c);
	s = diff_sqe(c, 34);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->ioprio = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 35);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->uring_cmd_flags = IORING_URING_CMD_FIXED | IORING_URING_CMD_MULTISHOT;
	s->flags = IOSQE_BUFFER_SELECT;
	DIFF_CHECK(c);
	/* A multishot command that succeeds posts no CQE; failing, it does. */
	s = diff_sqe(c, 36);
	io_uring_prep_provide_buffers(s, buf, 32, 2, 1, 0);
	s = diff_sqe(c, 37);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->uring_cmd_flags = IORING_URING_CMD_MULTISHOT;
	s->flags = IOSQE_BUFFER_SELECT;
	s->buf_group = 1;
	s = diff_sqe(c, 38);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, c->sock[0], 0, 0, NULL, 0);
	s->uring_cmd_flags = IORING_URING_CMD_MULTISHOT;
	s->flags = IOSQE_BUFFER_SELECT;
	s->buf_group = 1;
	diff_sqe(c, 39);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	s = diff_sqe(c, 40);
	io_uring_prep_cancel64(s, 37, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* Fixed files. */
	REQUIRE_EQ(io_uring_register_files(&c->ring, &sv, 1), 0);
	s = diff_sqe(c, 41);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, 0, 0, 0, NULL, 0);
	s->flags = IOSQE_FIXED_FILE;
	s = diff_sqe(c, 42);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, 0, SOL_SOCKET, SO_TYPE, &val,
		 sizeof(val));
	s->flags = IOSQE_FIXED_FILE | IOSQE_ASYNC;
	s = diff_sqe(c, 43);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, 3, 0, 0, NULL, 0);
	s->flags = IOSQE_FIXED_FILE;
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 3);
	REQUIRE_EQ(io_uring_unregister_files(&c->ring), 0);
	/* Links and CQE_SKIP_SUCCESS. */
	s = diff_sqe(c, 44);
	cmd_sock(s, SOCKET_URING_OP_GETSOCKOPT, sv, IPPROTO_TCP, TCP_NODELAY,
		 &val, sizeof(val));
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 45);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s = diff_sqe(c, 46);
	cmd_sock(s, SOCKET_URING_OP_SIOCINQ, sv, 0, 0, NULL, 0);
	s->flags = IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
	s = diff_sqe(c, 47);
	cmd_sock(s, SOCKET_URING_OP_SIOCOUTQ, c->sock[0], 0, 0, NULL, 0);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 48);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 4);
	close(ls);
	close(cl);
	close(sv);
}

/* ------------------------------------------------------------------ */

static void nop_flags(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	s->nop_flags = IORING_NOP_INJECT_RESULT;
	s->len = (__u32)-7;
	s = diff_sqe(c, 2);
	s->nop_flags = IORING_NOP_FILE;
	s->fd = 0x7ffffff0;
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 3);
	s = diff_sqe(c, 4);
	s->nop_flags = IORING_NOP_FILE | IORING_NOP_FIXED_FILE;
	s = diff_sqe(c, 5);
	s->nop_flags = IORING_NOP_FIXED_FILE;
	s = diff_sqe(c, 6);
	s->nop_flags = IORING_NOP_FIXED_BUFFER;
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 7);
	s = diff_sqe(c, 8);
	s->nop_flags = IORING_NOP_TW | IORING_NOP_FILE;
	s->fd = c->file;
	s = diff_sqe(c, 9);
	s->flags = IOSQE_FIXED_FILE;
	s->fd = 55;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 9);
	/* IORING_NOP_CQE32 needs a ring with big CQEs. */
	s = diff_sqe(c, 10);
	s->nop_flags = IORING_NOP_CQE32;
	DIFF_CHECK(c);
	s = diff_sqe(c, 11);
	s->nop_flags = 1U << 6;
	DIFF_CHECK(c);
}

static void nop_big(struct io_uring_sqe *s, unsigned flags, __u64 a, __u64 b)
{
	s->nop_flags = IORING_NOP_CQE32 | flags;
	s->off = a;
	s->addr = b;
}

/*
 * CQE_MIXED: a big CQE that would wrap leaves a padding CQE
 * (IORING_CQE_F_SKIP) in the last slot, which the reaping helpers pass.
 */
static void mixed_wrap(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	for (unsigned i = 1; i <= 3; i++)
		diff_sqe(c, i);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	s = diff_sqe(c, 4);
	nop_big(s, 0, 0x5151, 0x5252);
	DIFF_SUBMIT(c);
	for (unsigned i = 0; i < 4; i++)
		diff_ret(c, c->ring.cq.cqes[i].flags, __LINE__);
	diff_ret(c, *c->ring.cq.ktail, __LINE__);
	DIFF_WAIT_BIG(c, 1);
	diff_ret(c, *c->ring.cq.khead, __LINE__);
	/* A small CQE then takes the slot after the big one. */
	diff_sqe(c, 5);
	DIFF_SUBMIT(c);
	DIFF_WAIT_BIG(c, 1);
	diff_ret(c, *c->ring.cq.khead, __LINE__);
}

static void big_cqes(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	int cl, sv, ls;

	s = diff_sqe(c, 1);
	nop_big(s, 0, 0x1111, 0x2222);
	s = diff_sqe(c, 2);
	s->off = 0x3333; /* a plain NOP: no extras */
	s->addr = 0x4444;
	s = diff_sqe(c, 3);
	nop_big(s, IORING_NOP_INJECT_RESULT, 5, 6);
	s->len = (__u32)-7;
	DIFF_SUBMIT(c);
	DIFF_WAIT_BIG(c, 3);
	s = diff_sqe(c, 4);
	nop_big(s, IORING_NOP_FILE, 7, 8);
	s->fd = 0x7ffffff0;
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 5); /* cancelled before it ran: no extras */
	nop_big(s, 0, 9, 10);
	DIFF_SUBMIT(c);
	DIFF_WAIT_BIG(c, 2);
	s = diff_sqe(c, 6);
	nop_big(s, IORING_NOP_TW, 11, 12);
	s = diff_sqe(c, 7);
	nop_big(s, 0, 13, 14);
	s->flags = IOSQE_CQE_SKIP_SUCCESS;
	DIFF_SUBMIT(c);
	DIFF_WAIT_BIG(c, 1);
	s = diff_sqe(c, 8);
	nop_big(s, 0, 15, 16);
	s->flags = IOSQE_ASYNC;
	DIFF_SUBMIT(c);
	DIFF_WAIT_BIG(c, 1);
	/* The CQ holds 4: the rest overflow, their second halves kept. */
	for (unsigned i = 0; i < 7; i++) {
		s = diff_sqe(c, 20 + i);
		nop_big(s, 0, 100 + i, 200 + i);
	}
	DIFF_SUBMIT(c);
	DIFF_WAIT_BIG(c, 7);
	/* TX_TIMESTAMP waits for timestamps that never come, until cancelled. */
	tcp_pair(&cl, &sv, &ls);
	s = diff_sqe(c, 30);
	io_uring_prep_cmd_sock(s, SOCKET_URING_OP_TX_TIMESTAMP, sv, 0, 0, NULL,
			       0);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 31);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	s = diff_sqe(c, 32);
	io_uring_prep_cancel64(s, 30, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_BIG(c, 3);
	/* One left waiting when the ring goes: teardown cancels it. */
	s = diff_sqe(c, 33);
	io_uring_prep_cmd_sock(s, SOCKET_URING_OP_TX_TIMESTAMP, sv, 0, 0, NULL,
			       0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	close(ls);
	close(cl);
	close(sv);
}

static const struct diff_scenario scenarios[] = {
	{"xattr values and errors", 0, 0, xattr_values, 0},
	{"xattr prep checks", 0, 0, xattr_checks, 0},
	{"xattr fixed files, async, links", 0, 0, xattr_requests, 0},
	{"epoll_ctl", 0, 0, epoll_ops, 0},
	{"pipe", 0, 0, pipes, 0},
	{"pipe direct", 0, 0, pipes_direct, 0},
	{"socket commands", 0, 0, sock_cmds, 0},
	{"socket command checks", 0, 0, sock_cmd_checks, 0},
	{"nop flags", 0, 0, nop_flags, 0},
	{"big CQEs", IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE, 4, big_cqes, 4},
	{"big CQEs, mixed sizes", IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE,
	 4, big_cqes, 8},
	{"mixed sizes: padding at the wrap",
	 IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 2, mixed_wrap, 4},
	{"pipe with SQPOLL", IORING_SETUP_SQPOLL, 0, pipes, 0},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios, sizeof(scenarios) / sizeof(scenarios[0]));
}
