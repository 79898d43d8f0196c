/* SPDX-License-Identifier: MIT */
/*
 * The poll engine: one thread per ring that waits, with epoll, for the
 * files requests are blocked on, and for the ring's timers. An armed
 * request has its own epoll entry (on the request's own dup of the fd),
 * one-shot for retries and edge-triggered for multishot polls, so wakeups
 * behave like the kernel's poll wait queues; a wait on a fixed file uses
 * the file's standing entry instead (poll_watch.h).
 *
 * Requests are named to epoll by an id, never by pointer: a request
 * cancelled while an event for it is in flight is simply not found.
 *
 * A thread waiting for CQEs takes the engine's place while it waits: it
 * polls the epoll set itself, so a readiness that completes its request
 * wakes it directly rather than the engine thread, which would then have
 * to wake it. The engine thread parks meanwhile, and resumes once no
 * waiter has come for a grace period, so requests still progress when
 * nobody waits.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "poll_table.h"
#include "poll_watch.h"
#include "user.h"

#define WAKE_ID 0
#define MAX_EVENTS 64
/* How long the engine stays parked after a waiter's turn (see engine_turn). */
#define PARK_GRACE_NS 1000000L

struct poll_engine {
	struct uring_ctx *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	int epfd, wake_fd;
	__u64 next_id;
	struct poll_table polls;  /* armed, by id */
	struct poll_watches watches; /* fixed files' standing entries */
	struct uring_req *timers; /* by deadline, earliest first */
	bool stop;
	/*
	 * Who polls: the engine thread, or a waiter in its place, never both,
	 * so the wake-up eventfd (a kick, or a CQE posted for the waiter)
	 * always reaches the thread it is meant for.
	 */
	pthread_cond_t unpark;   /* the engine, parked */
	pthread_cond_t handover; /* a waiter, until the engine stops polling */
	bool waiter_polling;
	unsigned waiter_turns, turns_seen; /* turns taken; as the engine saw */
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

/* Its own epoll entry for req; 0 or an errno. The caller locks. */
static int arm_own_entry(struct poll_engine *pe, struct uring_req *req)
{
	struct epoll_event ev = {.events = req->poll_mask,
				 .data.u64 = req->poll_id};

	ev.events |= req->poll_multishot ? EPOLLET : EPOLLONESHOT;
	return epoll_ctl(pe->epfd, EPOLL_CTL_ADD, req->fd, &ev) ? errno : 0;
}

/*
 * Wait on a standing entry: 0, an errno, or -1 to try again now. A
 * multishot poll reports the state it finds, as an entry of its own would
 * when added.
 */
static int arm_watched(struct poll_engine *pe, struct uring_req *req)
{
	int ret = poll_watch_wait(&pe->watches, pe->epfd, req);
	struct pollfd now = {.fd = req->fd, .events = (short)req->poll_mask};

	if (!ret && req->poll_multishot && poll(&now, 1, 0) > 0 &&
	    (now.revents & (short)req->poll_mask))
		uring_event_queue(req, false, (unsigned)now.revents);
	return ret > 0 ? -1 : -ret;
}

void poll_engine_arm(struct poll_engine *pe, struct uring_req *req)
{
	struct uring_ctx *ctx = req->ctx;
	int err;

	if (req->ctx->dying) {
		uring_req_complete(req, -ECANCELED, 0);
		return;
	}
	pthread_mutex_lock(&pe->lock);
	req->poll_id = ++pe->next_id;
	poll_table_insert(&pe->polls, req);
	err = poll_watch_applies(req) ? arm_watched(pe, req)
				      : arm_own_entry(pe, req);
	if (!err) {
		pthread_mutex_unlock(&pe->lock);
		uring_events_try_run(ctx);
		return;
	}
	poll_table_remove(&pe->polls, req);
	pthread_mutex_unlock(&pe->lock);
	if (err < 0) {
		/* Its file changed after it tried: it tries again. */
		uring_event_post(req, false, 0);
	} else if (err == EPERM && !req->poll_multishot &&
		   req->opcode != IORING_OP_POLL_ADD) {
		/* Not pollable after all: finish it the blocking way. */
		iowq_enqueue(req->ctx->wq, req, true);
	} else {
		uring_req_complete(req, -err, 0);
	}
}

void poll_engine_unwatch(struct poll_engine *pe, struct rsrc_node *node)
{
	pthread_mutex_lock(&pe->lock);
	poll_watch_release(&pe->watches, pe->epfd, node);
	pthread_mutex_unlock(&pe->lock);
}

/* Take an armed request out of epoll's sight. The caller locks. */
static void disarm(struct poll_engine *pe, struct uring_req *req)
{
	if (!poll_watch_unlink(&pe->watches, req))
		epoll_ctl(pe->epfd, EPOLL_CTL_DEL, req->fd, NULL);
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
	/* A parked engine recomputes when its park ends. */
	if (pe->engine_parked && pe->timers == req)
		pthread_cond_signal(&pe->unpark);
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
		disarm(pe, req);
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
		disarm(pe, *tail);
		uring_event_forget(*tail);
	}
	timers = tail;
	tail = req_list_take(&pe->timers, match, arg, tail);
	for (; timers != tail; timers = &(*timers)->next)
		uring_event_forget(*timers);
	pthread_mutex_unlock(&pe->lock);
	return taken;
}

/* A request woken by a watch: queued while the engine's lock holds it. */
static void watch_wake(struct uring_req *req, unsigned events, void *arg)
{
	struct poll_engine *pe = arg;

	if (!req->poll_multishot) {
		poll_table_remove(&pe->polls, req);
		uring_event_queue_woken(req, events);
		return;
	}
	uring_event_queue(req, false, events);
}

/*
 * Events are queued under the engine's lock: a multishot poll stays armed,
 * and a cancel that took it once the lock was free could free it first.
 */
static void handle_event(struct poll_engine *pe, const struct epoll_event *ev)
{
	struct uring_req *req;

	pthread_mutex_lock(&pe->lock);
	if (ev->data.u64 & POLL_WATCH_TAG) {
		poll_watch_event(&pe->watches, pe->epfd, ev->data.u64,
				 ev->events, watch_wake, pe);
	} else if ((req = poll_table_find(&pe->polls, ev->data.u64))) {
		if (!req->poll_multishot) {
			poll_table_remove(&pe->polls, req);
			epoll_ctl(pe->epfd, EPOLL_CTL_DEL, req->fd, NULL);
			uring_event_queue_woken(req, ev->events);
		} else {
			uring_event_queue(req, false, ev->events);
		}
	}
	pthread_mutex_unlock(&pe->lock);
	uring_events_try_run(pe->ctx);
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

/* When the engine's park ends: the grace period, or an earlier timer. */
static void park_deadline(const struct poll_engine *pe, struct timespec *until)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	uring_timespec_add_ns(until, PARK_GRACE_NS);
	if (pe->timers && uring_timespec_cmp(&pe->timers->deadline, until) < 0)
		*until = pe->timers->deadline;
}

static bool timer_due(const struct poll_engine *pe)
{
	struct timespec now;

	if (!pe->timers)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return uring_timespec_cmp(&now, &pe->timers->deadline) >= 0;
}

/*
 * Park while a waiter polls, and until a grace period passes with no
 * waiter taking a turn: a thread that leaves its wait usually comes back
 * within microseconds, and resuming the engine only to park it again
 * would cost two context switches each time. A timer that falls due ends
 * the park. False once the engine is to stop.
 */
static bool engine_turn(struct poll_engine *pe)
{
	struct timespec until;
	bool stop;

	pthread_mutex_lock(&pe->lock);
	/* Out of its poll round: a waiter waiting for the turn takes it. */
	pe->engine_polling = false;
	pthread_cond_broadcast(&pe->handover);
	/* A polling waiter runs the timers itself. */
	while (!pe->stop &&
	       (pe->waiter_polling ||
		(pe->waiter_turns != pe->turns_seen && !timer_due(pe)))) {
		pe->turns_seen = pe->waiter_turns;
		pe->engine_parked = true;
		park_deadline(pe, &until);
		pthread_cond_timedwait(&pe->unpark, &pe->lock, &until);
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
	/*
	 * A kernel ring's task work interrupts epoll waits with an EINTR that
	 * looks like a signal's: a process with kernel rings sleeps on the
	 * futex, which the kernel restarts after task work.
	 */
	if (backend_kernel_ring_made())
		return false;
	/*
	 * In a forked child the engine's thread and epoll set are the
	 * parent's, and the copy of its state may say it polls forever.
	 */
	if (uring_ctx_inherited(pe->ctx))
		return false;
	pthread_mutex_lock(&pe->lock);
	if (pe->waiter_polling || pe->stop || (!pe->polls.nr && !pe->timers)) {
		pthread_mutex_unlock(&pe->lock);
		return false;
	}
	pe->waiter_polling = true;
	pe->waiter_turns++;
	/* The engine leaves its epoll wait and parks; then the set is ours. */
	if (pe->engine_polling) {
		poll_engine_kick(pe);
		while (pe->engine_polling)
			pthread_cond_wait(&pe->handover, &pe->lock);
	}
	pthread_mutex_unlock(&pe->lock);
	return true;
}

static void waiter_end_turn(struct poll_engine *pe)
{
	pthread_mutex_lock(&pe->lock);
	/* The engine resumes after its grace period, if nobody comes back. */
	pe->waiter_polling = false;
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
	if (atomic_load(&ctx->shared->cq_events) == seen &&
	    poll_once(pe, timeout) == -EINTR)
		ret = -EINTR;
	atomic_fetch_sub(&ctx->cq_poll_waiters, 1);
	polling_here = NULL;
	waiter_end_turn(pe);
	return ret;
}

void poll_engine_wake_waiter(struct poll_engine *pe)
{
	/* A CQE posted by the polling waiter itself needs no wake-up. */
	if (polling_here != pe)
		poll_engine_kick(pe);
}

static void engine_free(struct poll_engine *pe)
{
	if (pe->epfd >= 0)
		close(pe->epfd);
	if (pe->wake_fd >= 0)
		close(pe->wake_fd);
	poll_table_free(&pe->polls);
	poll_watch_free(&pe->watches);
	pthread_cond_destroy(&pe->unpark);
	pthread_cond_destroy(&pe->handover);
	pthread_mutex_destroy(&pe->lock);
	free(pe);
}

struct poll_engine *poll_engine_create(struct uring_ctx *ctx)
{
	struct poll_engine *pe = calloc(1, sizeof(*pe));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_ID};
	pthread_condattr_t attr;

	if (!pe)
		return NULL;
	pe->ctx = ctx;
	pthread_mutex_init(&pe->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pe->unpark, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&pe->handover, NULL);
	pe->epfd = epoll_create1(EPOLL_CLOEXEC);
	pe->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pe->epfd < 0 || pe->wake_fd < 0 || poll_table_init(&pe->polls) ||
	    epoll_ctl(pe->epfd, EPOLL_CTL_ADD, pe->wake_fd, &ev) ||
	    pthread_create(&pe->thread, NULL, engine_main, pe)) {
		engine_free(pe);
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
	engine_free(pe);
}
