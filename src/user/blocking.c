/* SPDX-License-Identifier: MIT */
/*
 * The blocker pool: a thread per waiting request, for the operations the
 * kernel queues on a wait queue that has no file to poll (a futex, a
 * child's exit). Threads start on demand, serve one request at a time and
 * leave after a while without one; teardown joins them all.
 *
 * A job goes ARMING (its issuer waits until the thread is queued, or its
 * wait ends at once: RESULT), then WAITING, where cancellation may claim
 * it (CANCELLING) and signal the thread. The thread answers INTERRUPTED
 * (nothing consumed: the canceller completes the request) or, when its
 * wait ended first, completes the request itself. Records live until the
 * pool is destroyed, so a canceller may look at one after its job ended.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "blocking.h"
#include "kernel/syscall.h"

#define BLOCKER_IDLE_SECONDS 5
/* How often a canceller repeats its signal: one may land before the wait. */
#define INTERRUPT_RETRY_NS 1000000L
#define BLOCKING_ORDERS 2

enum blocker_state {
	B_IDLE,        /* on the idle list */
	B_ARMING,      /* its issuer waits until it is queued */
	B_RESULT,      /* ended while arming: its issuer takes res */
	B_WAITING,     /* queued, on the pending list */
	B_CANCELLING,  /* claimed by a canceller, interrupted */
	B_INTERRUPTED, /* nothing consumed: the canceller finishes the job */
	B_DONE,        /* ended: the thread hands the result over */
};

struct blocker {
	struct blocking *pool;
	pthread_t thread;
	bool thread_live;   /* a thread serves this record */
	bool thread_joinable;
	pid_t tid;          /* 0 until its thread has started */
	pthread_cond_t wake;
	bool job;           /* posted, not yet taken by the thread */
	struct uring_req *req;
	const struct blocking_op *op;
	enum blocker_state state;
	unsigned seq;       /* jobs posted: a claim is on one of them */
	long res;
	atomic_bool in_wait;
	struct blocker *next_all, *next_idle, *next_pending, *next_claim;
};

struct blocking {
	struct uring_ctx *ctx;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a job changed state */
	struct blocker *all, *idle;
	struct blocker *pending; /* WAITING, newest first */
	unsigned busy;           /* records with a job */
	bool stopping;
};

static int interrupt_signal;
static pthread_once_t signal_once = PTHREAD_ONCE_INIT;

static void interrupt_handler(int sig)
{
	(void)sig;
}

/*
 * Take the highest real-time signal nobody handles: it is only ever sent
 * to our blocker threads, and its handler (without SA_RESTART) makes their
 * waits return EINTR.
 */
static void choose_signal(void)
{
	int saved = errno;

	for (int sig = SIGRTMAX; sig >= SIGRTMIN; sig--) {
		struct sigaction old, sa = {.sa_handler = interrupt_handler};

		if (sigaction(sig, NULL, &old) || old.sa_handler != SIG_DFL ||
		    (old.sa_flags & SA_SIGINFO))
			continue;
		sigfillset(&sa.sa_mask);
		if (!sigaction(sig, &sa, NULL)) {
			interrupt_signal = sig;
			break;
		}
	}
	errno = saved;
}

pid_t blocker_tid(const struct blocker *b)
{
	return __atomic_load_n(&b->tid, __ATOMIC_ACQUIRE);
}

bool blocker_in_wait(const struct blocker *b)
{
	return atomic_load(&b->in_wait);
}

/* Condition variables here time out on CLOCK_MONOTONIC. */
static void cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

static struct blocking *pool_get(struct uring_ctx *ctx)
{
	struct blocking *bp = __atomic_load_n(&ctx->blocking, __ATOMIC_ACQUIRE);
	struct blocking *none = NULL;

	if (bp)
		return bp;
	bp = calloc(1, sizeof(*bp));
	if (!bp)
		return NULL;
	bp->ctx = ctx;
	pthread_mutex_init(&bp->lock, NULL);
	cond_init_monotonic(&bp->changed);
	if (__atomic_compare_exchange_n(&ctx->blocking, &none, bp, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return bp;
	pthread_cond_destroy(&bp->changed);
	pthread_mutex_destroy(&bp->lock);
	free(bp);
	return none;
}

static void timed_wait(pthread_cond_t *cond, pthread_mutex_t *lock, long ns)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	uring_timespec_add_ns(&until, ns);
	pthread_cond_timedwait(cond, lock, &until);
}

/* The job is over: back to the idle list. The caller holds the lock. */
static void finish_job(struct blocker *b)
{
	struct blocking *bp = b->pool;

	b->req = NULL;
	b->op = NULL;
	b->state = B_IDLE;
	b->next_idle = bp->idle;
	bp->idle = b;
	bp->busy--;
	pthread_cond_broadcast(&bp->changed);
}

static void pending_unlink(struct blocking *bp, struct blocker *b)
{
	for (struct blocker **pp = &bp->pending; *pp;
	     pp = &(*pp)->next_pending) {
		if (*pp == b) {
			*pp = b->next_pending;
			return;
		}
	}
}

/* Hand a result over as an engine event: it completes as task work. */
static void deliver(struct blocker *b, long res)
{
	struct blocking *bp = b->pool;
	struct uring_req *req = b->req;

	b->state = B_DONE;
	pthread_cond_broadcast(&bp->changed);
	pthread_mutex_unlock(&bp->lock);
	b->op->done(req, res);
	uring_event_post(req, false, 0);
	pthread_mutex_lock(&bp->lock);
	finish_job(b);
}

/* The wait ended with res (or BLOCK_RETRY when cancelled); lock held. */
static void job_end(struct blocker *b, long res)
{
	struct blocking *bp = b->pool;

	switch (b->state) {
	case B_ARMING:
		b->res = res;
		b->state = B_RESULT;
		pthread_cond_broadcast(&bp->changed);
		break;
	case B_CANCELLING:
		if (res == BLOCK_RETRY) {
			b->state = B_INTERRUPTED;
			pthread_cond_broadcast(&bp->changed);
		} else {
			deliver(b, res);
		}
		break;
	default:
		pending_unlink(bp, b);
		deliver(b, res);
		break;
	}
}

static void run_job(struct blocker *b)
{
	struct blocking *bp = b->pool;
	struct uring_req *req = b->req;
	const struct blocking_op *op = b->op;
	long res;

	for (;;) {
		/* A claim before the wait began needs no signal to be seen. */
		if (b->state == B_CANCELLING) {
			res = BLOCK_RETRY;
			break;
		}
		atomic_store(&b->in_wait, true);
		pthread_mutex_unlock(&bp->lock);
		res = op->wait(req, b);
		pthread_mutex_lock(&bp->lock);
		atomic_store(&b->in_wait, false);
		if (res == BLOCK_RETRY && b->state != B_CANCELLING &&
		    op->finish)
			res = op->finish(req);
		if (res != BLOCK_RETRY || b->state == B_CANCELLING)
			break;
	}
	job_end(b, res);
}

/*
 * Wait for a job, without limit while the record is not idle (a result
 * or an interruption not yet taken over); false once the thread is to go.
 */
static bool wait_for_job(struct blocker *b)
{
	struct blocking *bp = b->pool;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += BLOCKER_IDLE_SECONDS;
	while (!b->job) {
		if (b->state == B_IDLE && bp->stopping)
			return false;
		if (!pthread_cond_timedwait(&b->wake, &bp->lock, &until) ||
		    b->job)
			continue;
		if (b->state == B_IDLE)
			return false;
		/* Not idle yet: wait on for the job's owner. */
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += BLOCKER_IDLE_SECONDS;
	}
	return true;
}

static void *blocker_main(void *p)
{
	struct blocker *b = p;
	struct blocking *bp = b->pool;
	sigset_t only;
	char name[16];

	snprintf(name, sizeof(name), "iou-blk-%d", (int)gettid());
	pthread_setname_np(pthread_self(), name);
	/* Created with every signal blocked: only the interruption comes in. */
	sigemptyset(&only);
	sigaddset(&only, interrupt_signal);
	pthread_sigmask(SIG_UNBLOCK, &only, NULL);
	pthread_mutex_lock(&bp->lock);
	__atomic_store_n(&b->tid, gettid(), __ATOMIC_RELEASE);
	while (wait_for_job(b)) {
		b->job = false;
		run_job(b);
	}
	b->thread_live = false;
	pthread_cond_broadcast(&bp->changed);
	pthread_mutex_unlock(&bp->lock);
	return NULL;
}

/* Start a thread for an idle record; 0 or -errno. The caller locks. */
static int blocker_spawn(struct blocker *b)
{
	sigset_t all, old;
	int err;

	if (b->thread_live)
		return 0;
	if (b->thread_joinable) {
		pthread_join(b->thread, NULL);
		b->thread_joinable = false;
	}
	b->tid = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&b->thread, NULL, blocker_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	b->thread_live = b->thread_joinable = true;
	return 0;
}

/* An idle record with a live thread, or NULL; the caller locks. */
static struct blocker *blocker_get(struct blocking *bp)
{
	struct blocker *b = bp->idle;

	if (b) {
		bp->idle = b->next_idle;
	} else {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		b->pool = bp;
		cond_init_monotonic(&b->wake);
		b->next_all = bp->all;
		bp->all = b;
	}
	if (blocker_spawn(b)) {
		b->next_idle = bp->idle;
		bp->idle = b;
		return NULL;
	}
	return b;
}

/* Post req to an idle blocker; NULL (res set) if none can take it. */
static struct blocker *post_job(struct uring_req *req,
				const struct blocking_op *op, bool wait_queued)
{
	struct blocking *bp;
	struct blocker *b;

	pthread_once(&signal_once, choose_signal);
	/* A ring being torn down takes no more (its pool may be gone). */
	if (req->ctx->dying) {
		req->res = -ECANCELED;
		return NULL;
	}
	bp = pool_get(req->ctx);
	if (!bp || !interrupt_signal) {
		req->res = bp ? -EOPNOTSUPP : -ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&bp->lock);
	b = bp->stopping ? NULL : blocker_get(bp);
	if (!b) {
		req->res = bp->stopping ? -ECANCELED : -EAGAIN;
		pthread_mutex_unlock(&bp->lock);
		return NULL;
	}
	b->req = req;
	b->op = op;
	b->seq++;
	b->job = true;
	bp->busy++;
	if (wait_queued) {
		b->state = B_ARMING;
	} else {
		b->state = B_WAITING;
		b->next_pending = bp->pending;
		bp->pending = b;
	}
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&bp->lock);
	return b;
}

enum issue_result blocking_arm(struct uring_req *req,
			       const struct blocking_op *op, bool wait_queued)
{
	int saved = errno;
	struct blocker *b = post_job(req, op, wait_queued);
	struct blocking *bp;

	errno = saved;
	if (!b)
		return ISSUE_DONE;
	if (!wait_queued)
		return ISSUE_QUEUED;
	bp = b->pool;
	for (unsigned spins = 0;; spins++) {
		bool queued;

		pthread_mutex_lock(&bp->lock);
		if (b->state == B_RESULT) {
			req->res = (__s32)b->res;
			finish_job(b);
			pthread_mutex_unlock(&bp->lock);
			return ISSUE_DONE;
		}
		pthread_mutex_unlock(&bp->lock);
		queued = op->queued(req, b);
		pthread_mutex_lock(&bp->lock);
		if (queued && b->state == B_ARMING) {
			b->state = B_WAITING;
			b->next_pending = bp->pending;
			bp->pending = b;
			pthread_mutex_unlock(&bp->lock);
			return ISSUE_QUEUED;
		}
		pthread_mutex_unlock(&bp->lock);
		/* The thread needs a CPU to get queued: let it have ours. */
		if (spins > 16)
			sched_yield();
	}
}

/* Claim the pending requests that match, in the kernel's order. */
static struct blocker *claim(struct blocking *bp,
			     bool (*match)(struct uring_req *, void *),
			     void *arg)
{
	struct blocker *claimed = NULL, **tail = &claimed;

	for (unsigned order = 0; order < BLOCKING_ORDERS; order++) {
		struct blocker **pp = &bp->pending;

		while (*pp) {
			struct blocker *b = *pp;

			if (b->op->order != order || !match(b->req, arg)) {
				pp = &b->next_pending;
				continue;
			}
			*pp = b->next_pending;
			b->state = B_CANCELLING;
			b->next_claim = NULL;
			*tail = b;
			tail = &b->next_claim;
		}
	}
	return claimed;
}

/* Signal a claimed blocker until it answers; true if interrupted. */
static bool interrupt(struct blocking *bp, struct blocker *b)
{
	unsigned seq = b->seq;

	while (b->state == B_CANCELLING && b->seq == seq) {
		pid_t tid = b->tid;

		if (tid)
			kernel_syscall6(__NR_tgkill, getpid(), tid,
					interrupt_signal, 0, 0, 0);
		timed_wait(&bp->changed, &bp->lock, INTERRUPT_RETRY_NS);
	}
	return b->state == B_INTERRUPTED && b->seq == seq;
}

struct uring_req *blocking_take(struct blocking *bp,
				bool (*match)(struct uring_req *, void *),
				void *arg, unsigned *lost)
{
	struct uring_req *taken = NULL, **tail = &taken;
	struct blocker *claimed;

	*lost = 0;
	if (!bp)
		return NULL;
	pthread_mutex_lock(&bp->lock);
	claimed = claim(bp, match, arg);
	for (struct blocker *b = claimed; b; b = b->next_claim) {
		struct uring_req *req = b->req;
		const struct blocking_op *op = b->op;

		if (!interrupt(bp, b)) {
			(*lost)++;
			continue;
		}
		finish_job(b);
		op->cancelled(req);
		req->next = NULL;
		*tail = req;
		tail = &req->next;
	}
	pthread_mutex_unlock(&bp->lock);
	return taken;
}

static bool is_target(struct uring_req *req, void *arg)
{
	return req == arg;
}

bool blocking_cancel_one(struct blocking *bp, struct uring_req *lt,
			 struct uring_req *target)
{
	unsigned lost;
	struct uring_req *req = blocking_take(bp, is_target, target, &lost);

	if (!req && !lost)
		return false;
	/* The link timeout says what the kernel's futex cancel counted. */
	uring_req_complete(lt, req ? 1 : -ENOENT, 0);
	uring_complete_cancelled(req);
	return true;
}

static bool match_all(struct uring_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return true;
}

void blocking_destroy(struct blocking *bp)
{
	struct blocker *b;

	if (!bp)
		return;
	pthread_mutex_lock(&bp->lock);
	bp->stopping = true;
	for (;;) {
		unsigned lost;
		struct uring_req *list;

		pthread_mutex_unlock(&bp->lock);
		list = blocking_take(bp, match_all, NULL, &lost);
		uring_complete_cancelled(list);
		pthread_mutex_lock(&bp->lock);
		if (!bp->busy)
			break;
		/* A wait that ended is still being handed over. */
		timed_wait(&bp->changed, &bp->lock, INTERRUPT_RETRY_NS);
	}
	for (b = bp->all; b; b = b->next_all)
		pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&bp->lock);
	while ((b = bp->all)) {
		bp->all = b->next_all;
		if (b->thread_joinable)
			pthread_join(b->thread, NULL);
		pthread_cond_destroy(&b->wake);
		free(b);
	}
	pthread_cond_destroy(&bp->changed);
	pthread_mutex_destroy(&bp->lock);
	free(bp);
}
