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
 *
 * A thread waiting for CQEs takes the engine's place while it waits: it
 * polls the epoll set itself, so a readiness that completes its request
 * wakes it directly rather than the engine thread, which would then have
 * to wake it. The engine thread parks meanwhile and resumes when the
 * waiter leaves, so requests still progress when nobody waits.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "poll_table.h"
#include "user.h"

#define WAKE_ID 0
/* In a polling waiter's own set: the engine's set, and a posted CQE. */
#define ENGINE_SET_ID 1
#define CQWAKE_ID 2
#define MAX_EVENTS 64

struct poll_engine {
	struct uring_ctx *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	int epfd, wake_fd;
	__u64 next_id;
	struct poll_table polls;  /* armed, by id */
	struct uring_req *timers; /* by deadline, earliest first */
	bool stop;
	/*
	 * Who polls: the engine thread, or a waiter in its place. The waiter
	 * sleeps on its own set, holding the engine's set and cqwake_fd, so
	 * no wake-up meant for it can go to the engine thread instead.
	 */
	int waiter_epfd, cqwake_fd;
	pthread_cond_t unpark;
	bool waiter_polling;
	bool engine_polling; /* in its poll round: a waiter kicks it out */
	bool engine_parked;
};

/* The ring whose engine this thread polls for, while it waits. */
static __thread struct poll_engine *polling_here;

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
	poll_table_insert(&pe->polls, req);
	if (epoll_ctl(pe->epfd, EPOLL_CTL_ADD, req->fd, &ev)) {
		int err = errno;

		poll_table_remove(&pe->polls, req);
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
	if (!found && poll_table_remove(&pe->polls, req)) {
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
	struct uring_req *taken, **tail, **timers;

	pthread_mutex_lock(&pe->lock);
	taken = poll_table_take(&pe->polls, match, arg);
	for (tail = &taken; *tail; tail = &(*tail)->next) {
		epoll_ctl(pe->epfd, EPOLL_CTL_DEL, (*tail)->fd, NULL);
		uring_event_forget(*tail);
	}
	timers = tail;
	tail = req_list_take(&pe->timers, match, arg, tail);
	for (; timers != tail; timers = &(*timers)->next)
		uring_event_forget(*timers);
	pthread_mutex_unlock(&pe->lock);
	return taken;
}

static void handle_event(struct poll_engine *pe, const struct epoll_event *ev)
{
	struct uring_req *req;

	pthread_mutex_lock(&pe->lock);
	req = poll_table_find(&pe->polls, ev->data.u64);
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
	poll_table_remove(&pe->polls, req);
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

/* Drain an eventfd: its readiness has been seen. */
static void drain(int fd)
{
	__u64 v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* already drained by another poller */
	}
}

/*
 * Run due timers, then give the time until the next one, capped by an
 * absolute deadline; NULL to wait without limit.
 */
static struct timespec *poll_timeout(struct poll_engine *pe,
				     const struct timespec *deadline,
				     struct timespec *rel)
{
	struct timespec next, now;
	bool has_timer = run_timers(pe, &next);

	if (!has_timer && !deadline)
		return NULL;
	if (!has_timer || (deadline && uring_timespec_cmp(deadline, &next) < 0))
		next = *deadline;
	clock_gettime(CLOCK_MONOTONIC, &now);
	rel->tv_sec = next.tv_sec - now.tv_sec;
	rel->tv_nsec = next.tv_nsec - now.tv_nsec;
	if (rel->tv_nsec < 0) {
		rel->tv_sec--;
		rel->tv_nsec += 1000000000L;
	}
	if (rel->tv_sec < 0)
		rel->tv_sec = rel->tv_nsec = 0;
	return rel;
}

static long epoll_wait_for(int epfd, struct epoll_event *events, int max,
			   const struct timespec *timeout)
{
	return kernel_syscall6(__NR_epoll_pwait2, epfd, (long)events, max,
			       (long)timeout, 0, 0);
}

/* One wait on the engine's set and its events; the count or -errno. */
static int poll_once(struct poll_engine *pe, const struct timespec *timeout)
{
	struct epoll_event events[MAX_EVENTS];
	int n = (int)epoll_wait_for(pe->epfd, events, MAX_EVENTS, timeout);

	for (int i = 0; i < n; i++) {
		if (events[i].data.u64 == WAKE_ID)
			drain(pe->wake_fd);
		else
			handle_event(pe, &events[i]);
	}
	return n;
}

/* A waiter's sleep: until the engine's set has events or a CQE comes. */
static int waiter_poll(struct poll_engine *pe, const struct timespec *timeout)
{
	static const struct timespec now = {0, 0};
	struct epoll_event events[2];
	int n = (int)epoll_wait_for(pe->waiter_epfd, events, 2, timeout);

	for (int i = 0; i < n; i++) {
		if (events[i].data.u64 == CQWAKE_ID)
			drain(pe->cqwake_fd);
		else
			poll_once(pe, &now);
	}
	return n;
}

/* Park while a waiter polls; false once the engine is to stop. */
static bool engine_turn(struct poll_engine *pe)
{
	bool stop;

	pthread_mutex_lock(&pe->lock);
	pe->engine_polling = false;
	while (pe->waiter_polling && !pe->stop) {
		pe->engine_parked = true;
		pthread_cond_wait(&pe->unpark, &pe->lock);
	}
	pe->engine_parked = false;
	stop = pe->stop;
	pe->engine_polling = !stop;
	pthread_mutex_unlock(&pe->lock);
	return !stop;
}

static void *engine_main(void *p)
{
	struct poll_engine *pe = p;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (engine_turn(pe)) {
		struct timespec rel;

		poll_once(pe, poll_timeout(pe, NULL, &rel));
	}
	return NULL;
}

/* Take the engine's place; false if another waiter has it or it is idle. */
static bool waiter_take_turn(struct poll_engine *pe)
{
	bool kick;

	/*
	 * A kernel ring's task work interrupts epoll waits with an EINTR that
	 * looks like a signal's: a process with kernel rings sleeps on the
	 * futex, which the kernel restarts after task work.
	 */
	if (backend_kernel_ring_made())
		return false;
	pthread_mutex_lock(&pe->lock);
	if (pe->waiter_polling || pe->stop || (!pe->polls.nr && !pe->timers)) {
		pthread_mutex_unlock(&pe->lock);
		return false;
	}
	pe->waiter_polling = true;
	kick = pe->engine_polling;
	pthread_mutex_unlock(&pe->lock);
	/* The engine leaves its epoll wait and parks. */
	if (kick)
		poll_engine_kick(pe);
	return true;
}

static void waiter_end_turn(struct poll_engine *pe)
{
	pthread_mutex_lock(&pe->lock);
	pe->waiter_polling = false;
	if (pe->engine_parked)
		pthread_cond_signal(&pe->unpark);
	pthread_mutex_unlock(&pe->lock);
}

int poll_engine_wait(struct poll_engine *pe, unsigned seen,
		     const struct timespec *deadline)
{
	struct uring_ctx *ctx = pe->ctx;
	struct timespec rel, *timeout;
	int ret = 0;

	if (!waiter_take_turn(pe))
		return 1;
	polling_here = pe;
	/* Counted before the check: a poster either sees us or we see it. */
	atomic_fetch_add(&ctx->cq_poll_waiters, 1);
	/* Due timers post here, before the check too. */
	timeout = poll_timeout(pe, deadline, &rel);
	/* Like the kernel's wait, a signal ends it, restartable or not. */
	if (atomic_load(&ctx->cq_events) == seen &&
	    waiter_poll(pe, timeout) == -EINTR)
		ret = -EINTR;
	atomic_fetch_sub(&ctx->cq_poll_waiters, 1);
	polling_here = NULL;
	waiter_end_turn(pe);
	return ret;
}

void poll_engine_wake_waiter(struct poll_engine *pe)
{
	__u64 one = 1;

	/* A CQE posted by the polling waiter itself needs no wake-up. */
	if (polling_here == pe)
		return;
	if (write(pe->cqwake_fd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the waiter wakes anyway. */
	}
}

struct poll_engine *poll_engine_create(struct uring_ctx *ctx)
{
	struct poll_engine *pe = calloc(1, sizeof(*pe));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_ID};
	struct epoll_event set = {.events = EPOLLIN, .data.u64 = ENGINE_SET_ID};
	struct epoll_event cq = {.events = EPOLLIN, .data.u64 = CQWAKE_ID};

	if (!pe)
		return NULL;
	pe->ctx = ctx;
	pthread_mutex_init(&pe->lock, NULL);
	pthread_cond_init(&pe->unpark, NULL);
	pe->epfd = epoll_create1(EPOLL_CLOEXEC);
	pe->waiter_epfd = epoll_create1(EPOLL_CLOEXEC);
	pe->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pe->cqwake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pe->epfd < 0 || pe->waiter_epfd < 0 || pe->wake_fd < 0 ||
	    pe->cqwake_fd < 0 || poll_table_init(&pe->polls) ||
	    epoll_ctl(pe->epfd, EPOLL_CTL_ADD, pe->wake_fd, &ev) ||
	    epoll_ctl(pe->waiter_epfd, EPOLL_CTL_ADD, pe->epfd, &set) ||
	    epoll_ctl(pe->waiter_epfd, EPOLL_CTL_ADD, pe->cqwake_fd, &cq) ||
	    pthread_create(&pe->thread, NULL, engine_main, pe)) {
		int fds[] = {pe->epfd, pe->waiter_epfd, pe->wake_fd,
			     pe->cqwake_fd};

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				close(fds[i]);
		poll_table_free(&pe->polls);
		pthread_cond_destroy(&pe->unpark);
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
	pthread_cond_signal(&pe->unpark);
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
	poll_table_free(&pe->polls);
	close(pe->epfd);
	close(pe->waiter_epfd);
	close(pe->wake_fd);
	close(pe->cqwake_fd);
	pthread_cond_destroy(&pe->unpark);
	pthread_mutex_destroy(&pe->lock);
	free(pe);
}
