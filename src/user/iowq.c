/* SPDX-License-Identifier: MIT */
/*
 * The worker pool, modelled on io-wq: a bounded class for regular files
 * and block devices and an unbounded class for everything else, each with
 * its own worker limit. Workers start on demand, run requests that may
 * block, and leave after a while without work. Like io-wq, the pool keeps
 * few workers running on the CPUs and adds one when a worker is about to
 * block with work still queued: wake-ups and lock traffic stay low when
 * the work is CPU-bound, and blocking work still runs side by side.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "user.h"

#define WORKER_IDLE_SECONDS 5
/*
 * A worker that runs out of work watches the queue this long before it
 * sleeps: hand-offs in a burst then cost a cache miss, not a wake-up.
 */
#define WORKER_SPIN_NS 50000

struct worker_arg;

struct iowq_class {
	struct uring_req *head, *tail;
	unsigned max_workers;
	unsigned nr_workers;
	unsigned nr_idle;        /* sleeping or watching the queue */
	unsigned nr_spinning;    /* idle workers watching the queue */
	unsigned nr_blocked;     /* running a request that may block */
	struct worker_arg *sleeping; /* idle workers waiting to be woken */
	atomic_uint queued;      /* requests on the queue */
};

struct iowq {
	struct uring_ctx *ctx;
	pthread_mutex_t lock;
	pthread_cond_t gone;     /* a worker exited */
	struct iowq_class cls[2]; /* IO_WQ_BOUND, IO_WQ_UNBOUND */
	struct running *running;  /* requests workers are running now */
	/* IOSQE_ASYNC work of the submission batch; under uring_lock. */
	struct uring_req *batch_head[2], *batch_tail[2];
	struct worker_arg *exited; /* workers that returned, to be joined */
	atomic_uint busy;         /* requests queued or running */
	unsigned cpu_workers;     /* running, non-blocked workers per class */
	bool stopping;
	/* REGISTER_IOWQ_AFF: workers move to this set when aff_gen changes. */
	cpu_set_t affinity;
	unsigned aff_gen;
};

struct running {
	struct running *next;
	struct uring_req *req;
};

struct worker_arg {
	struct iowq *wq;
	int cls;
	unsigned aff_seen;
	pthread_t thread;
	pthread_cond_t wake;     /* signalled when taken off `sleeping` */
	bool woken;
	bool blocked;            /* counted in the class's nr_blocked */
	struct worker_arg *sleep_next; /* on the class's sleeping list */
	struct worker_arg *next; /* on wq->exited once the worker returns */
};

/* The worker this thread is, for iowq_worker_may_block(). */
static __thread struct worker_arg *current_worker;

struct iowq *iowq_create(struct uring_ctx *ctx)
{
	struct iowq *wq = calloc(1, sizeof(*wq));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct rlimit nproc;

	if (!wq)
		return NULL;
	wq->ctx = ctx;
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->gone, NULL);
	/* One CPU is left to the submitter that feeds the pool. */
	wq->cpu_workers = cpus > 2 ? (unsigned)cpus - 1 : 1;
	/* io-wq's defaults: min(sq_entries, 4 * CPUs) and RLIMIT_NPROC. */
	wq->cls[IO_WQ_BOUND].max_workers =
		ctx->sq_entries < 4 * cpus ? ctx->sq_entries : (unsigned)(4 * cpus);
	getrlimit(RLIMIT_NPROC, &nproc);
	wq->cls[IO_WQ_UNBOUND].max_workers =
		nproc.rlim_cur > 0x7fffffff ? 0x7fffffff : (unsigned)nproc.rlim_cur;
	return wq;
}

static struct uring_req *dequeue(struct iowq_class *c)
{
	struct uring_req *req = c->head;

	if (req) {
		c->head = req->next;
		if (!c->head)
			c->tail = NULL;
		req->next = NULL;
		atomic_fetch_sub_explicit(&c->queued, 1, memory_order_relaxed);
	}
	return req;
}

unsigned iowq_busy(struct iowq *wq)
{
	return wq ? atomic_load_explicit(&wq->busy, memory_order_relaxed) : 0;
}

struct work_watch {
	struct iowq *wq;
	struct iowq_class *c;
};

static bool work_arrived(const void *arg)
{
	const struct work_watch *w = arg;

	return atomic_load_explicit(&w->c->queued, memory_order_relaxed) ||
	       __atomic_load_n(&w->wq->stopping, __ATOMIC_RELAXED);
}

/*
 * Watch for queued work without the lock; true if some arrived. The
 * caller holds wq->lock, which is dropped while watching.
 */
static bool spin_for_work(struct iowq *wq, struct iowq_class *c)
{
	struct work_watch w = {wq, c};
	bool found;

	/* One watcher per class is enough. */
	if (c->nr_spinning)
		return false;
	c->nr_spinning++;
	c->nr_idle++;
	pthread_mutex_unlock(&wq->lock);
	found = uring_spin_until(work_arrived, &w, WORKER_SPIN_NS);
	pthread_mutex_lock(&wq->lock);
	c->nr_idle--;
	c->nr_spinning--;
	/*
	 * An enqueue or a stop between the watch's end and the lock saw a
	 * watcher and skipped the signal: the state, not the watch, decides.
	 */
	return found || c->head || wq->stopping;
}

/* The caller holds wq->lock; an empty set is stored but cannot apply. */
static void follow_affinity(struct iowq *wq, struct worker_arg *self)
{
	if (self->aff_seen == wq->aff_gen)
		return;
	self->aff_seen = wq->aff_gen;
	if (CPU_COUNT(&wq->affinity))
		pthread_setaffinity_np(pthread_self(), sizeof(wq->affinity),
				       &wq->affinity);
}

static void *worker_main(void *p);

/* Join workers that have returned; the caller holds wq->lock. */
static void reap_exited(struct iowq *wq)
{
	while (wq->exited) {
		struct worker_arg *w = wq->exited;

		wq->exited = w->next;
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->wake);
		free(w);
	}
}

/* Start a worker for the class if its limit allows; caller holds wq->lock. */
static void start_worker(struct iowq *wq, int cls)
{
	struct iowq_class *c = &wq->cls[cls];
	struct worker_arg *arg;

	reap_exited(wq);
	if (c->nr_workers >= c->max_workers)
		return;
	arg = calloc(1, sizeof(*arg));
	if (!arg)
		return;
	arg->wq = wq;
	arg->cls = cls;
	pthread_cond_init(&arg->wake, NULL);
	if (pthread_create(&arg->thread, NULL, worker_main, arg) == 0) {
		c->nr_workers++;
	} else {
		pthread_cond_destroy(&arg->wake);
		free(arg);
	}
}

/* Wake one sleeping worker of the class; false if none sleeps. */
static bool wake_sleeper(struct iowq_class *c)
{
	struct worker_arg *w = c->sleeping;

	if (!w)
		return false;
	c->sleeping = w->sleep_next;
	c->nr_idle--;
	w->woken = true;
	pthread_cond_signal(&w->wake);
	return true;
}

/* Every sleeping worker of both classes; caller holds wq->lock. */
static void wake_all_sleepers(struct iowq *wq)
{
	for (int i = 0; i < 2; i++)
		while (wake_sleeper(&wq->cls[i]))
			;
}

/* Workers of the class running requests that are not about to block. */
static unsigned nr_running(const struct iowq_class *c)
{
	return c->nr_workers - c->nr_idle - c->nr_blocked;
}

/*
 * Queued work gets another worker unless one watches the queue or enough
 * already run on the CPUs (they take it next). Caller holds wq->lock.
 */
static void kick_workers(struct iowq *wq, int cls)
{
	struct iowq_class *c = &wq->cls[cls];

	if (!c->head || c->nr_spinning || nr_running(c) >= wq->cpu_workers)
		return;
	if (!wake_sleeper(c))
		start_worker(wq, cls);
}

void iowq_worker_may_block(void)
{
	struct worker_arg *self = current_worker;
	struct iowq *wq;

	if (!self || self->blocked)
		return;
	/* Completions held back must not wait for a blocking request. */
	uring_complete_batch_flush();
	wq = self->wq;
	pthread_mutex_lock(&wq->lock);
	self->blocked = true;
	wq->cls[self->cls].nr_blocked++;
	kick_workers(wq, self->cls);
	pthread_mutex_unlock(&wq->lock);
}

/* Run one request; ops that cannot say when they block count as blocking. */
static void worker_run(struct iowq *wq, struct uring_req *req)
{
	if (wq->ctx->dying) {
		uring_req_complete(req, -ECANCELED, 0);
		return;
	}
	if (!uring_ops[req->opcode].reports_blocking)
		iowq_worker_may_block();
	uring_req_issue(req, 0);
}

/*
 * Sleep on the class's list until woken; false once idle too long with
 * nothing queued. The caller holds wq->lock.
 */
static bool sleep_for_work(struct iowq *wq, struct iowq_class *c,
			   struct worker_arg *self)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WORKER_IDLE_SECONDS;
	self->woken = false;
	self->sleep_next = c->sleeping;
	c->sleeping = self;
	c->nr_idle++;
	while (!self->woken) {
		if (pthread_cond_timedwait(&self->wake, &wq->lock, &until) &&
		    !self->woken) {
			struct worker_arg **pp = &c->sleeping;

			while (*pp != self)
				pp = &(*pp)->sleep_next;
			*pp = self->sleep_next;
			c->nr_idle--;
			return c->head || wq->stopping;
		}
	}
	return true;
}

/* Take a running request off the list cancellation looks at. */
static void running_remove(struct iowq *wq, struct running *self)
{
	for (struct running **pp = &wq->running; *pp; pp = &(*pp)->next) {
		if (*pp == self) {
			*pp = self->next;
			return;
		}
	}
}

/*
 * The submitter wrote the next request: its lines travel while this one
 * runs. A prefetch never faults, so a request cancelled meanwhile is fine.
 */
static void prefetch_req(const struct uring_req *req)
{
	for (size_t off = 0; req && off < sizeof(*req); off += 64)
		__builtin_prefetch((const char *)req + off);
}

static void *worker_main(void *p)
{
	struct worker_arg *arg = p;
	struct iowq *wq = arg->wq;
	struct iowq_class *c = &wq->cls[arg->cls];
	struct uring_complete_batch batch;
	char name[16];
	sigset_t all;

	/* Named like the kernel's io-wq workers, so tools show the same. */
	snprintf(name, sizeof(name), "iou-wrk-%d", (int)gettid());
	pthread_setname_np(pthread_self(), name);
	/* Signals belong to the application's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	uring_eventfd_worker_thread();
	current_worker = arg;
	uring_complete_batch_start(&batch, wq->ctx);
	pthread_mutex_lock(&wq->lock);
	for (;;) {
		struct uring_req *req;

		follow_affinity(wq, arg);
		/* Over the CPU budget (self included): leave it to others. */
		req = nr_running(c) <= wq->cpu_workers ? dequeue(c) : NULL;
		if (req) {
			struct running self = {wq->running, req};
			struct uring_req *ahead = c->head;

			wq->running = &self;
			kick_workers(wq, arg->cls);
			pthread_mutex_unlock(&wq->lock);
			prefetch_req(ahead);
			worker_run(wq, req);
			/* The last of a burst: its waiter gets the batch now. */
			if (!atomic_load_explicit(&c->queued,
						  memory_order_relaxed))
				uring_complete_batch_flush();
			atomic_fetch_sub_explicit(&wq->busy, 1,
						  memory_order_relaxed);
			pthread_mutex_lock(&wq->lock);
			if (arg->blocked) {
				arg->blocked = false;
				c->nr_blocked--;
			}
			running_remove(wq, &self);
			continue;
		}
		if (uring_complete_batch_held()) {
			pthread_mutex_unlock(&wq->lock);
			uring_complete_batch_flush();
			pthread_mutex_lock(&wq->lock);
			continue;
		}
		if (wq->stopping)
			break;
		if (!c->head && spin_for_work(wq, c))
			continue;
		if (!sleep_for_work(wq, c, arg))
			break;
	}
	c->nr_workers--;
	/* Joined by the next worker start or by iowq_destroy. */
	arg->next = wq->exited;
	wq->exited = arg;
	pthread_cond_broadcast(&wq->gone);
	pthread_mutex_unlock(&wq->lock);
	return NULL;
}

/* Queue a list of requests on a class, with one lock for all of them. */
static void enqueue_list(struct iowq *wq, int cls, struct uring_req *first,
			 struct uring_req *last, unsigned nr)
{
	struct iowq_class *c = &wq->cls[cls];
	struct uring_req *req;

	pthread_mutex_lock(&wq->lock);
	if (c->tail)
		c->tail->next = first;
	else
		c->head = first;
	c->tail = last;
	atomic_fetch_add_explicit(&c->queued, nr, memory_order_relaxed);
	atomic_fetch_add_explicit(&wq->busy, nr, memory_order_relaxed);
	kick_workers(wq, cls);
	/* No worker could start (no resources): run them here. */
	while (!c->nr_workers && (req = dequeue(c))) {
		pthread_mutex_unlock(&wq->lock);
		uring_req_issue(req, 0);
		atomic_fetch_sub_explicit(&wq->busy, 1, memory_order_relaxed);
		pthread_mutex_lock(&wq->lock);
	}
	pthread_mutex_unlock(&wq->lock);
}

void iowq_enqueue(struct iowq *wq, struct uring_req *req, bool bounded)
{
	req->next = NULL;
	enqueue_list(wq, bounded ? IO_WQ_BOUND : IO_WQ_UNBOUND, req, req, 1);
}

/*
 * Only a cancel in the same batch can look for IOSQE_ASYNC work before
 * the batch ends (a sync cancel waits for uring_lock, and no link timeout
 * is armed before a worker issues the request); it queues the batch first.
 */
void iowq_enqueue_async(struct iowq *wq, struct uring_req *req, bool bounded)
{
	int cls = bounded ? IO_WQ_BOUND : IO_WQ_UNBOUND;

	if (uring_submitting != wq->ctx) {
		iowq_enqueue(wq, req, bounded);
		return;
	}
	req->next = NULL;
	if (wq->batch_tail[cls])
		wq->batch_tail[cls]->next = req;
	else
		wq->batch_head[cls] = req;
	wq->batch_tail[cls] = req;
}

void iowq_submit_batch(struct iowq *wq)
{
	/* The lists belong to the thread running the ring's batch. */
	if (!wq || uring_submitting != wq->ctx)
		return;
	for (int cls = 0; cls < 2; cls++) {
		struct uring_req *first = wq->batch_head[cls], *last = first;
		unsigned nr = 1;

		if (!first)
			continue;
		while (last->next) {
			last = last->next;
			nr++;
		}
		wq->batch_head[cls] = wq->batch_tail[cls] = NULL;
		enqueue_list(wq, cls, first, last, nr);
	}
}

struct uring_req *iowq_take(struct iowq *wq,
			    bool (*match)(struct uring_req *, void *), void *arg)
{
	struct uring_req *taken = NULL, **tail = &taken;

	iowq_submit_batch(wq);
	pthread_mutex_lock(&wq->lock);
	for (int i = 0; i < 2; i++) {
		struct iowq_class *c = &wq->cls[i];
		struct uring_req **pp = &c->head, *prev = NULL;

		while (*pp) {
			struct uring_req *req = *pp;

			if (!match(req, arg)) {
				prev = req;
				pp = &req->next;
				continue;
			}
			*pp = req->next;
			if (c->tail == req)
				c->tail = prev;
			req->next = NULL;
			atomic_fetch_sub_explicit(&c->queued, 1,
						  memory_order_relaxed);
			atomic_fetch_sub_explicit(&wq->busy, 1,
						  memory_order_relaxed);
			*tail = req;
			tail = &req->next;
		}
	}
	pthread_mutex_unlock(&wq->lock);
	return taken;
}

/* The request pointers are only compared, never followed after unlock. */
bool iowq_running(struct iowq *wq, bool (*match)(struct uring_req *, void *),
		  void *arg)
{
	bool found = false;

	iowq_submit_batch(wq);
	pthread_mutex_lock(&wq->lock);
	for (struct running *r = wq->running; r && !found; r = r->next)
		found = match(r->req, arg);
	pthread_mutex_unlock(&wq->lock);
	return found;
}

void iowq_set_affinity(struct iowq *wq, const cpu_set_t *set)
{
	pthread_mutex_lock(&wq->lock);
	wq->affinity = *set;
	wq->aff_gen++;
	/* Sleeping workers wake up, move, and wait again. */
	wake_all_sleepers(wq);
	pthread_mutex_unlock(&wq->lock);
}

void iowq_set_max_workers(struct iowq *wq, const unsigned max[2],
			  unsigned old[2])
{
	pthread_mutex_lock(&wq->lock);
	for (int i = 0; i < 2; i++) {
		old[i] = wq->cls[i].max_workers;
		if (max[i])
			wq->cls[i].max_workers = max[i];
	}
	pthread_mutex_unlock(&wq->lock);
}

/* Queued work is cancelled; running work finishes; workers exit. */
void iowq_destroy(struct iowq *wq)
{
	if (!wq)
		return;
	pthread_mutex_lock(&wq->lock);
	__atomic_store_n(&wq->stopping, true, __ATOMIC_RELAXED);
	wake_all_sleepers(wq);
	while (wq->cls[0].nr_workers || wq->cls[1].nr_workers)
		pthread_cond_wait(&wq->gone, &wq->lock);
	reap_exited(wq);
	pthread_mutex_unlock(&wq->lock);
	for (int i = 0; i < 2; i++) {
		struct uring_req *req;

		while ((req = dequeue(&wq->cls[i]))) {
			atomic_fetch_sub(&wq->busy, 1);
			uring_req_complete(req, -ECANCELED, 0);
		}
	}
	pthread_mutex_destroy(&wq->lock);
	pthread_cond_destroy(&wq->gone);
	free(wq);
}
