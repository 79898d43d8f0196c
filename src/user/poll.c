/* SPDX-License-Identifier: MIT */
/*
 * The poll engine: one thread per ring that waits, with epoll, for the
 * files requests are blocked on, and for the ring's timers. Each armed
 * request has its own epoll entry (on the request's own dup of the fd),
 * one-shot for retries and edge-triggered for multishot polls, so wakeups
 * behave like the kernel's poll wait queues.
 *
 * Requests are named to epoll by an id, never by pointer: a request
 * cancelled while an event for it is in flight is simply not found.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "user.h"

#define WAKE_ID 0
#define MAX_EVENTS 64

struct poll_engine {
	struct uring_ctx *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	int epfd, wake_fd;
	__u64 next_id;
	struct uring_req *polls;  /* armed, unordered */
	struct uring_req *timers; /* by deadline, earliest first */
	bool stop;
};

void poll_engine_kick(struct poll_engine *pe)
{
	__u64 one = 1;

	if (write(pe->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the thread wakes anyway. */
	}
}

static bool unlink_req(struct uring_req **list, struct uring_req *req)
{
	for (struct uring_req **pp = list; *pp; pp = &(*pp)->next) {
		if (*pp == req) {
			*pp = req->next;
			req->next = NULL;
			return true;
		}
	}
	return false;
}

void poll_engine_arm(struct poll_engine *pe, struct uring_req *req)
{
	struct epoll_event ev = {0};

	if (req->ctx->dying) {
		uring_req_complete(req, -ECANCELED, 0);
		return;
	}
	ev.events = req->poll_mask;
	ev.events |= req->poll_multishot ? EPOLLET : EPOLLONESHOT;
	pthread_mutex_lock(&pe->lock);
	req->poll_id = ++pe->next_id;
	ev.data.u64 = req->poll_id;
	req->next = pe->polls;
	pe->polls = req;
	if (epoll_ctl(pe->epfd, EPOLL_CTL_ADD, req->fd, &ev)) {
		int err = errno;

		unlink_req(&pe->polls, req);
		pthread_mutex_unlock(&pe->lock);
		/* Not pollable after all (or gone): finish it the blocking way. */
		if (err == EPERM && !req->poll_multishot &&
		    req->opcode != IORING_OP_POLL_ADD)
			iowq_enqueue(req->ctx->wq, req, true);
		else
			uring_req_complete(req, err == EBADF ? -EBADF : -err, 0);
		return;
	}
	pthread_mutex_unlock(&pe->lock);
}

void poll_engine_add_timer(struct poll_engine *pe, struct uring_req *req)
{
	struct uring_req **pp;

	pthread_mutex_lock(&pe->lock);
	for (pp = &pe->timers; *pp; pp = &(*pp)->next)
		if (uring_timespec_cmp(&req->deadline, &(*pp)->deadline) < 0)
			break;
	req->next = *pp;
	*pp = req;
	pthread_mutex_unlock(&pe->lock);
	poll_engine_kick(pe);
}

bool poll_engine_remove(struct poll_engine *pe, struct uring_req *req)
{
	bool found;

	pthread_mutex_lock(&pe->lock);
	found = unlink_req(&pe->timers, req);
	if (!found && unlink_req(&pe->polls, req)) {
		found = true;
		epoll_ctl(pe->epfd, EPOLL_CTL_DEL, req->fd, NULL);
	}
	pthread_mutex_unlock(&pe->lock);
	if (found)
		uring_event_forget(req);
	return found;
}

struct uring_req *poll_engine_take(struct poll_engine *pe,
				   bool (*match)(struct uring_req *, void *),
				   void *arg)
{
	struct uring_req *taken = NULL, **tail = &taken;
	struct uring_req **lists[2] = {&pe->polls, &pe->timers};

	pthread_mutex_lock(&pe->lock);
	for (int i = 0; i < 2; i++) {
		struct uring_req **pp = lists[i];

		while (*pp) {
			struct uring_req *req = *pp;

			if (!match(req, arg)) {
				pp = &req->next;
				continue;
			}
			*pp = req->next;
			if (i == 0)
				epoll_ctl(pe->epfd, EPOLL_CTL_DEL, req->fd, NULL);
			req->next = NULL;
			uring_event_forget(req);
			*tail = req;
			tail = &req->next;
		}
	}
	pthread_mutex_unlock(&pe->lock);
	return taken;
}

static struct uring_req *find_poll(struct poll_engine *pe, __u64 id)
{
	for (struct uring_req *r = pe->polls; r; r = r->next)
		if (r->poll_id == id)
			return r;
	return NULL;
}

static void handle_event(struct poll_engine *pe, const struct epoll_event *ev)
{
	struct uring_req *req;

	pthread_mutex_lock(&pe->lock);
	req = find_poll(pe, ev->data.u64);
	if (!req) {
		pthread_mutex_unlock(&pe->lock);
		return;
	}
	if (req->poll_multishot) {
		/* Stays armed: a cancel unqueues the event it takes with it. */
		pthread_mutex_unlock(&pe->lock);
		uring_event_post(req, false, ev->events);
		return;
	}
	unlink_req(&pe->polls, req);
	epoll_ctl(pe->epfd, EPOLL_CTL_DEL, req->fd, NULL);
	pthread_mutex_unlock(&pe->lock);
	uring_event_post(req, false, ev->events);
}

/* Fire every expired timer; returns the next deadline, if any. */
static bool run_timers(struct poll_engine *pe, struct timespec *next)
{
	for (;;) {
		struct timespec now;
		struct uring_req *req;

		clock_gettime(CLOCK_MONOTONIC, &now);
		pthread_mutex_lock(&pe->lock);
		req = pe->timers;
		if (!req || uring_timespec_cmp(&now, &req->deadline) < 0) {
			if (req)
				*next = req->deadline;
			pthread_mutex_unlock(&pe->lock);
			return req != NULL;
		}
		pe->timers = req->next;
		req->next = NULL;
		pthread_mutex_unlock(&pe->lock);
		uring_event_post(req, true, 0);
	}
}

static void *engine_main(void *p)
{
	struct poll_engine *pe = p;
	struct epoll_event events[MAX_EVENTS];
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct timespec next, now, rel, *timeout = NULL;
		int n;

		if (run_timers(pe, &next)) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			rel.tv_sec = next.tv_sec - now.tv_sec;
			rel.tv_nsec = next.tv_nsec - now.tv_nsec;
			if (rel.tv_nsec < 0) {
				rel.tv_sec--;
				rel.tv_nsec += 1000000000L;
			}
			if (rel.tv_sec < 0)
				rel.tv_sec = rel.tv_nsec = 0;
			timeout = &rel;
		}
		n = (int)kernel_syscall6(__NR_epoll_pwait2, pe->epfd,
					 (long)events, MAX_EVENTS, (long)timeout,
					 0, 0);
		if (n < 0)
			n = 0;
		for (int i = 0; i < n; i++) {
			if (events[i].data.u64 == WAKE_ID) {
				__u64 v;

				if (read(pe->wake_fd, &v, sizeof(v)) < 0) {
					/* nothing to drain */
				}
				continue;
			}
			handle_event(pe, &events[i]);
		}
		pthread_mutex_lock(&pe->lock);
		bool stop = pe->stop;
		pthread_mutex_unlock(&pe->lock);
		if (stop)
			return NULL;
	}
}

struct poll_engine *poll_engine_create(struct uring_ctx *ctx)
{
	struct poll_engine *pe = calloc(1, sizeof(*pe));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_ID};

	if (!pe)
		return NULL;
	pe->ctx = ctx;
	pthread_mutex_init(&pe->lock, NULL);
	pe->epfd = epoll_create1(EPOLL_CLOEXEC);
	pe->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pe->epfd < 0 || pe->wake_fd < 0 ||
	    epoll_ctl(pe->epfd, EPOLL_CTL_ADD, pe->wake_fd, &ev) ||
	    pthread_create(&pe->thread, NULL, engine_main, pe)) {
		if (pe->epfd >= 0)
			close(pe->epfd);
		if (pe->wake_fd >= 0)
			close(pe->wake_fd);
		free(pe);
		return NULL;
	}
	return pe;
}

static bool match_all(struct uring_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return true;
}

/* Stop the thread, then cancel whatever is still armed. */
void poll_engine_destroy(struct poll_engine *pe)
{
	struct uring_req *req;

	if (!pe)
		return;
	pthread_mutex_lock(&pe->lock);
	pe->stop = true;
	pthread_mutex_unlock(&pe->lock);
	poll_engine_kick(pe);
	pthread_join(pe->thread, NULL);
	req = poll_engine_take(pe, match_all, NULL);
	while (req) {
		struct uring_req *next = req->next;

		req->next = NULL;
		if (req->timeout_target)
			__atomic_store_n(&req->timeout_target->link_timeout,
					 NULL, __ATOMIC_RELAXED);
		uring_req_complete(req, -ECANCELED, 0);
		req = next;
	}
	close(pe->epfd);
	close(pe->wake_fd);
	pthread_mutex_destroy(&pe->lock);
	free(pe);
}
