/* SPDX-License-Identifier: MIT */
/*
 * Differential: the ring fd's poll readiness on both backends. poll,
 * select and epoll (level- and edge-triggered) see it readable exactly
 * while CQEs wait; a blocked poll wakes when a worker posts one; POLL_ADD
 * from a second ring of the same backend completes when one is posted.
 * Readable only is compared: the userspace ring reports POLLOUT always,
 * and through epoll without EPOLLRDNORM (README, known differences).
 */
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "diff.h"

static int ring_readable(struct diff_ctx *c)
{
	struct pollfd p = {.fd = c->ring.ring_fd,
			   .events = POLLIN | POLLRDNORM};
	int ret = poll(&p, 1, 0);

	return ret < 0 ? -errno : p.revents & (POLLIN | POLLRDNORM);
}

static int select_readable(struct diff_ctx *c)
{
	struct timeval zero = {0, 0};
	fd_set r;
	int ret;

	FD_ZERO(&r);
	FD_SET(c->ring.ring_fd, &r);
	ret = select(c->ring.ring_fd + 1, &r, NULL, NULL, &zero);
	return ret < 0 ? -errno : ret * 10 + FD_ISSET(c->ring.ring_fd, &r);
}

/* Events epoll reports now: their count, or -errno. */
static int epoll_ready(int ep)
{
	struct epoll_event ev[4];
	int ret = epoll_wait(ep, ev, 4, 0);

	if (ret < 0)
		return -errno;
	for (int i = 0; i < ret; i++)
		if (ev[i].data.u64 != 77 || !(ev[i].events & EPOLLIN))
			return -1000;
	return ret;
}

static void nop(struct diff_ctx *c, __u64 ud)
{
	io_uring_prep_nop(diff_sqe(c, ud));
	DIFF_SUBMIT(c);
}

static void poll_and_select(struct diff_ctx *c)
{
	diff_ret(c, ring_readable(c), __LINE__);
	diff_ret(c, select_readable(c), __LINE__);
	nop(c, 1);
	diff_ret(c, ring_readable(c), __LINE__);
	diff_ret(c, select_readable(c), __LINE__);
	DIFF_WAIT(c, 1);
	diff_ret(c, ring_readable(c), __LINE__);
	diff_ret(c, select_readable(c), __LINE__);
}

static void epoll_level(struct diff_ctx *c)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
	int ep = epoll_create1(EPOLL_CLOEXEC);

	diff_ret(c, epoll_ctl(ep, EPOLL_CTL_ADD, c->ring.ring_fd, &ev), __LINE__);
	diff_ret(c, epoll_ready(ep), __LINE__);
	nop(c, 1);
	diff_ret(c, epoll_ready(ep), __LINE__);
	/* Level-triggered: still there while the CQE waits. */
	diff_ret(c, epoll_ready(ep), __LINE__);
	DIFF_WAIT(c, 1);
	diff_ret(c, epoll_ready(ep), __LINE__);
	diff_ret(c, epoll_ctl(ep, EPOLL_CTL_DEL, c->ring.ring_fd, NULL),
		 __LINE__);
	nop(c, 2);
	diff_ret(c, epoll_ready(ep), __LINE__);
	DIFF_WAIT(c, 1);
	close(ep);
}

static void epoll_edge(struct diff_ctx *c)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 77};
	int ep = epoll_create1(EPOLL_CLOEXEC);

	diff_ret(c, epoll_ctl(ep, EPOLL_CTL_ADD, c->ring.ring_fd, &ev), __LINE__);
	nop(c, 1);
	diff_ret(c, epoll_ready(ep), __LINE__);
	/* Edge-triggered: once per posting, even with the CQ not emptied. */
	diff_ret(c, epoll_ready(ep), __LINE__);
	nop(c, 2);
	diff_ret(c, epoll_ready(ep), __LINE__);
	DIFF_WAIT(c, 2);
	diff_ret(c, epoll_ready(ep), __LINE__);
	close(ep);
}

static void *write_later(void *arg)
{
	int fd = *(int *)arg;

	if (write(fd, "w", 1) != 1)
		abort();
	return NULL;
}

/* A poll that blocks wakes when a CQE is posted away from the caller. */
static void blocked_poll_wakes(struct diff_ctx *c)
{
	struct pollfd p = {.fd = c->ring.ring_fd, .events = POLLIN};
	struct io_uring_sqe *s;
	pthread_t t;
	char b;

	s = diff_sqe(c, 1);
	io_uring_prep_read(s, c->pipe[0], &b, 1, 0);
	DIFF_SUBMIT(c);
	diff_ret(c, ring_readable(c), __LINE__);
	REQUIRE_EQ(pthread_create(&t, NULL, write_later, &c->pipe[1]), 0);
	diff_ret(c, poll(&p, 1, -1), __LINE__);
	diff_ret(c, p.revents & POLLIN, __LINE__);
	pthread_join(t, NULL);
	DIFF_WAIT(c, 1);
}

/* POLL_ADD on the ring fd, from a second ring of the same backend. */
static void poll_add_from_another_ring(struct diff_ctx *c)
{
	struct io_uring other;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *s;

	REQUIRE_EQ(anyring_set_backend(c->backend), 0);
	REQUIRE_EQ(io_uring_queue_init(4, &other, 0), 0);
	anyring_set_backend(ANYRING_BACKEND_AUTO);
	s = io_uring_get_sqe(&other);
	io_uring_prep_poll_add(s, c->ring.ring_fd, POLLIN);
	s->user_data = 50;
	diff_ret(c, io_uring_submit(&other), __LINE__);
	diff_ret(c, io_uring_peek_cqe(&other, &cqe), __LINE__);
	nop(c, 1);
	diff_ret(c, io_uring_wait_cqe(&other, &cqe), __LINE__);
	diff_ret(c, (long long)cqe->user_data, __LINE__);
	diff_ret(c, cqe->res & POLLIN, __LINE__);
	io_uring_cqe_seen(&other, cqe);
	DIFF_WAIT(c, 1);
	io_uring_queue_exit(&other);
}

static const struct diff_scenario scenarios[] = {
	{"ring fd: poll and select", 0, 0, poll_and_select, 0},
	{"ring fd: epoll level-triggered", 0, 0, epoll_level, 0},
	{"ring fd: epoll edge-triggered", 0, 0, epoll_edge, 0},
	{"ring fd: a blocked poll wakes", 0, 0, blocked_poll_wakes, 0},
	{"ring fd: POLL_ADD from another ring", 0, 0,
	 poll_add_from_another_ring, 0},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios, sizeof(scenarios) / sizeof(scenarios[0]));
}
