/* SPDX-License-Identifier: MIT */
/*
 * Loopback TCP echo of 64-byte messages over N connections. A client
 * process (the same for every server) sends one message on each
 * connection, then reads every echo back, and times the rounds. Servers:
 * io_uring recv -> send -> recv per connection (plain or fixed files), or a
 * plain epoll loop.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <liburing.h>

#include "worker.h"

#define MSG 64
#define BUF 4096
#define MAX_CONNS 1024

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void client(unsigned short port, int nconns, int result_fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fds[MAX_CONNS];
	char msg[MSG], got[MSG];
	unsigned long done = 0;
	struct meter m;
	double ns;

	for (int i = 0; i < nconns; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (void *)&sa, sizeof(sa)))
			fail("connect", errno);
		nodelay(fds[i]);
	}
	meter_start(&m);
	do {
		for (int i = 0; i < nconns; i++) {
			memset(msg, 'a' + (int)(done % 26), MSG);
			if (send(fds[i], msg, MSG, 0) != MSG)
				fail("client send", errno);
		}
		for (int i = 0; i < nconns; i++) {
			if (recv(fds[i], got, MSG, MSG_WAITALL) != MSG)
				fail("client recv", errno);
			if (got[0] != 'a' + (int)(done % 26))
				fail("echo mismatch", EIO);
		}
		done += (unsigned long)nconns;
	} while (meter_more(&m, done));
	ns = meter_ns_per_op(&m, done);
	for (int i = 0; i < nconns; i++)
		close(fds[i]);
	if (write(result_fd, &ns, sizeof(ns)) != sizeof(ns))
		fail("client result", errno);
}

struct conn {
	char buf[BUF];
	int len, sent;
};

static void queue_recv(struct io_uring *ring, struct conn *c, int fd, int idx,
		       bool fixed)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_recv(sqe, fixed ? idx : fd, c->buf, BUF, 0);
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, (__u64)idx << 1);
}

static void queue_send(struct io_uring *ring, struct conn *c, int fd, int idx,
		       bool fixed)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_send(sqe, fixed ? idx : fd, c->buf + c->sent,
			   (size_t)(c->len - c->sent), 0);
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, (__u64)idx << 1 | 1);
}

static void serve_uring(const int *fds, int n, bool fixed)
{
	struct conn *conns = calloc((size_t)n, sizeof(*conns));
	struct io_uring ring;
	int open = n, ret;

	ret = io_uring_queue_init((unsigned)(2 * n < 8 ? 8 : 2 * n), &ring, 0);
	if (ret || !conns)
		fail("queue_init", ret ? ret : ENOMEM);
	if (fixed && (ret = io_uring_register_files(&ring, fds, (unsigned)n)))
		fail("register_files", ret);
	for (int i = 0; i < n; i++)
		queue_recv(&ring, &conns[i], fds[i], i, fixed);
	while (open) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0)
			fail("server submit", ret);
		io_uring_for_each_cqe(&ring, head, cqe) {
			int idx = (int)(cqe->user_data >> 1);
			struct conn *c = &conns[idx];

			seen++;
			if (cqe->res < 0)
				fail("server cqe", cqe->res);
			if (!(cqe->user_data & 1)) {
				if (!cqe->res) {
					open--;
					continue;
				}
				c->len = cqe->res;
				c->sent = 0;
			} else {
				c->sent += cqe->res;
			}
			if (c->sent < c->len)
				queue_send(&ring, c, fds[idx], idx, fixed);
			else
				queue_recv(&ring, c, fds[idx], idx, fixed);
		}
		io_uring_cq_advance(&ring, seen);
	}
	io_uring_queue_exit(&ring);
	free(conns);
}

static void serve_epoll(const int *fds, int n)
{
	struct epoll_event evs[64];
	char buf[BUF];
	int ep = epoll_create1(0), open = n;

	for (int i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};

		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			fail("epoll_ctl", errno);
	}
	while (open) {
		int nev = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < nev; i++) {
			int fd = evs[i].data.fd;
			ssize_t len = recv(fd, buf, BUF, MSG_DONTWAIT), off = 0;

			if (len < 0 && errno == EAGAIN)
				continue;
			if (len <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				open--;
				continue;
			}
			while (off < len) {
				ssize_t s = send(fd, buf + off, (size_t)(len - off), 0);

				if (s < 0)
					fail("epoll send", errno);
				off += s;
			}
		}
	}
	close(ep);
}

int case_echo(void)
{
	int nconns = (int)arg_long("conns", 1), lfd, result[2], status;
	const char *mode = arg_str("mode", "plain");
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fds[MAX_CONNS];
	double ns;
	pid_t pid;

	if (nconns < 1 || nconns > MAX_CONNS)
		fail("conns", EINVAL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&sa, sizeof(sa)) ||
	    listen(lfd, MAX_CONNS) || getsockname(lfd, (void *)&sa, &len) ||
	    pipe(result))
		fail("listen", errno);
	pid = fork();
	if (pid < 0)
		fail("fork", errno);
	if (!pid) {
		close(lfd);
		client(ntohs(sa.sin_port), nconns, result[1]);
		_exit(0);
	}
	for (int i = 0; i < nconns; i++) {
		fds[i] = accept(lfd, NULL, NULL);
		if (fds[i] < 0)
			fail("accept", errno);
		nodelay(fds[i]);
	}
	if (!strcmp(mode, "epoll"))
		serve_epoll(fds, nconns);
	else
		serve_uring(fds, nconns, !strcmp(mode, "fixed"));
	if (read(result[0], &ns, sizeof(ns)) != sizeof(ns) ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail("client", EIO);
	report("ns_per_op", ns);
	for (int i = 0; i < nconns; i++)
		close(fds[i]);
	close(lfd);
	return 0;
}
