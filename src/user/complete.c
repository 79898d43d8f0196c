/* SPDX-License-Identifier: MIT */
/*
 * Completions: posting CQEs (the tail published with release ordering, a
 * full CQ spilling to an overflow list that loses nothing), waking
 * waiters, and retiring requests and their links.
 */
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "tsan.h"
#include "rsrc.h"
#include "user.h"

struct cqe_overflow {
	struct cqe_overflow *next;
	struct io_uring_cqe cqe;
	__u64 extra[2]; /* the second half of a big CQE */
};

unsigned uring_cq_ready(struct uring_ctx *ctx)
{
	return __atomic_load_n(ctx->cq_tail, __ATOMIC_RELAXED) -
	       __atomic_load_n(ctx->cq_head, __ATOMIC_ACQUIRE);
}

static void set_sq_flag(struct uring_ctx *ctx, unsigned flag, bool on)
{
	if (on)
		__atomic_fetch_or(ctx->sq_flags, flag, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(ctx->sq_flags, ~flag, __ATOMIC_RELEASE);
}

static void wake_waiters(struct uring_ctx *ctx)
{
	struct uring_shared *sh = ctx->shared;

	/* Sequentially consistent, against a sleeper's count-then-check. */
	atomic_fetch_add(&sh->cq_events, 1);
	/* Not private: the sleeper may be a forked child sharing the ring. */
	if (atomic_load(&sh->cq_waiters))
		kernel_syscall6(__NR_futex, (long)&sh->cq_events, FUTEX_WAKE,
				0x7fffffff, 0, 0, 0);
	if (atomic_load(&ctx->cq_poll_waiters) && ctx->poll)
		poll_engine_wake_waiter(ctx->poll);
}

/*
 * CQE_MIXED: a big CQE (IORING_CQE_F_32) takes two slots, its second half
 * in the next one; one that would wrap leaves a padding CQE
 * (IORING_CQE_F_SKIP) in the last slot and starts at the first.
 */
static unsigned cq_write_mixed(struct uring_ctx *ctx,
			       const struct io_uring_cqe *src, unsigned nr,
			       const __u64 *extra)
{
	unsigned tail = *ctx->cq_tail, n = 0;
	unsigned used = tail - __atomic_load_n(ctx->cq_head, __ATOMIC_ACQUIRE);
	unsigned room = used >= ctx->cq_entries ? 0 : ctx->cq_entries - used;

	for (; n < nr; n++) {
		bool big = src[n].flags & IORING_CQE_F_32;
		bool pad = big && (tail & ctx->cq_mask) == ctx->cq_mask;
		unsigned need = 1 + big + pad;
		struct io_uring_cqe *dst;

		if (need > room)
			break;
		room -= need;
		if (pad) {
			dst = &ctx->cqes[tail++ & ctx->cq_mask];
			*dst = (struct io_uring_cqe){.flags = IORING_CQE_F_SKIP};
		}
		dst = &ctx->cqes[tail++ & ctx->cq_mask];
		dst->user_data = src[n].user_data;
		dst->res = src[n].res;
		dst->flags = src[n].flags;
		if (big) {
			__u64 *half = (__u64 *)&ctx->cqes[tail++ & ctx->cq_mask];

			half[0] = extra ? extra[2 * n] : 0;
			half[1] = extra ? extra[2 * n + 1] : 0;
		}
	}
	if (n)
		__atomic_store_n(ctx->cq_tail, tail, __ATOMIC_RELEASE);
	return n;
}

/*
 * Write up to nr CQEs at the tail and publish them with one store of the
 * tail; returns how many fit. A big CQE's second half is extra[2 * i],
 * zero without extra. The caller holds completion_lock.
 */
static unsigned cq_write(struct uring_ctx *ctx, const struct io_uring_cqe *src,
			 unsigned nr, const __u64 *extra)
{
	unsigned tail = *ctx->cq_tail;
	unsigned used = tail - __atomic_load_n(ctx->cq_head, __ATOMIC_ACQUIRE);
	/* A head the application moved past the tail leaves no room. */
	unsigned room = used >= ctx->cq_entries ? 0 : ctx->cq_entries - used;
	unsigned n = nr < room ? nr : room;

	if (ctx->flags & IORING_SETUP_CQE_MIXED)
		return cq_write_mixed(ctx, src, nr, extra);
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_cqe *dst =
			&ctx->cqes[((tail + i) & ctx->cq_mask) << ctx->cqe_shift];

		dst->user_data = src[i].user_data;
		dst->res = src[i].res;
		dst->flags = src[i].flags;
		if (ctx->cqe_shift) {
			dst->big_cqe[0] = extra ? extra[2 * i] : 0;
			dst->big_cqe[1] = extra ? extra[2 * i + 1] : 0;
		}
	}
	if (n)
		__atomic_store_n(ctx->cq_tail, tail + n, __ATOMIC_RELEASE);
	return n;
}

/* Move overflowed CQEs into the CQ while there is room; lock held. */
static void flush_overflow_locked(struct uring_ctx *ctx)
{
	struct cqe_overflow *o;

	while ((o = ctx->overflow_head) && cq_write(ctx, &o->cqe, 1, o->extra)) {
		ctx->overflow_head = o->next;
		if (!ctx->overflow_head)
			ctx->overflow_tail = NULL;
		free(o);
	}
	if (!ctx->overflow_head)
		set_sq_flag(ctx, IORING_SQ_CQ_OVERFLOW, false);
}

void uring_flush_overflow(struct uring_ctx *ctx)
{
	if (!(__atomic_load_n(ctx->sq_flags, __ATOMIC_ACQUIRE) &
	      IORING_SQ_CQ_OVERFLOW))
		return;
	pthread_mutex_lock(&ctx->completion_lock);
	flush_overflow_locked(ctx);
	pthread_mutex_unlock(&ctx->completion_lock);
	wake_waiters(ctx);
}

static void overflow_add(struct uring_ctx *ctx, const struct io_uring_cqe *cqe,
			 const __u64 *extra)
{
	struct cqe_overflow *o = malloc(sizeof(*o));

	if (!o) {
		/* Out of memory: the kernel counts the loss the same way. */
		__atomic_fetch_add(ctx->cq_overflow, 1, __ATOMIC_RELAXED);
		return;
	}
	o->next = NULL;
	o->cqe = *cqe;
	o->extra[0] = extra ? extra[0] : 0;
	o->extra[1] = extra ? extra[1] : 0;
	if (ctx->overflow_tail)
		ctx->overflow_tail->next = o;
	else
		ctx->overflow_head = o;
	ctx->overflow_tail = o;
	set_sq_flag(ctx, IORING_SQ_CQ_OVERFLOW, true);
}

/*
 * nr CQEs went in under completion_lock: count them, unlock, then signal
 * the eventfd and wake waiters once.
 */
static void posted_unlock(struct uring_ctx *ctx, unsigned nr)
{
	ctx->cq_posted += nr;
	ring_tsan_release(ctx->fd);
	uring_ready_signal_locked(ctx);
	pthread_mutex_unlock(&ctx->completion_lock);
	uring_eventfd_signal(ctx);
	wake_waiters(ctx);
	if (__atomic_load_n(&ctx->count_timeouts, __ATOMIC_RELAXED))
		uring_count_timeouts_check(ctx);
}

/*
 * Post CQEs in order (extra: their big CQE halves, or NULL), then signal
 * the eventfd and wake waiters once.
 */
static void post_cqes_extra(struct uring_ctx *ctx,
			    const struct io_uring_cqe *cqes, unsigned nr,
			    const __u64 *extra)
{
	pthread_mutex_lock(&ctx->completion_lock);
	/* Earlier overflowed CQEs go first, so order is kept. */
	if (ctx->overflow_head)
		flush_overflow_locked(ctx);
	/*
	 * In order: once the CQ is full the rest overflow. On a CQE_MIXED
	 * ring a small CQE still fits where a big one did not, as in 6.18.
	 */
	if (ctx->overflow_head) {
		for (unsigned i = 0; i < nr; i++)
			overflow_add(ctx, &cqes[i], extra ? &extra[2 * i] : NULL);
	} else if (ctx->flags & IORING_SETUP_CQE_MIXED) {
		for (unsigned i = 0; i < nr; i++) {
			const __u64 *x = extra ? &extra[2 * i] : NULL;

			if (!cq_write_mixed(ctx, &cqes[i], 1, x))
				overflow_add(ctx, &cqes[i], x);
		}
	} else {
		for (unsigned i = cq_write(ctx, cqes, nr, extra); i < nr; i++)
			overflow_add(ctx, &cqes[i], extra ? &extra[2 * i] : NULL);
	}
	posted_unlock(ctx, nr);
}

static void post_cqes(struct uring_ctx *ctx, const struct io_uring_cqe *cqes,
		      unsigned nr)
{
	post_cqes_extra(ctx, cqes, nr, NULL);
}

void uring_flush_deferred(struct uring_ctx *ctx)
{
	unsigned nr;

	/* Posting can complete counted timeouts, which defer CQEs again. */
	while ((nr = ctx->nr_defer)) {
		ctx->nr_defer = 0;
		post_cqes(ctx, ctx->defer_cqes, nr);
	}
}

void uring_post_cqe(struct uring_ctx *ctx, __u64 user_data, __s32 res,
		    __u32 cflags)
{
	struct io_uring_cqe one = {.user_data = user_data, .res = res,
				   .flags = cflags};

	/* Inside a submission batch, CQEs wait for its end, as in the kernel. */
	if (uring_submitting == ctx)
		uring_defer_cqe(ctx, user_data, res, cflags);
	else
		post_cqes(ctx, &one, 1);
}

void uring_inflight_add(struct uring_req *req)
{
	if (req->inflight)
		return;
	req->inflight = true;
	atomic_fetch_add(&req->ctx->nr_inflight, 1);
}

static void inflight_remove(struct uring_req *req)
{
	if (req->inflight)
		atomic_fetch_sub(&req->ctx->nr_inflight, 1);
}

/* Back to the ring's cache: directly under uring_lock, else lock-free. */
static void req_recycle(struct uring_req *req)
{
	struct uring_ctx *ctx = req->ctx;

	if (uring_submitting == ctx) {
		req->free_next = ctx->req_cache;
		ctx->req_cache = req;
		return;
	}
	req->free_next = atomic_load_explicit(&ctx->req_free_remote,
					      memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(
		&ctx->req_free_remote, &req->free_next, req,
		memory_order_release, memory_order_relaxed))
		;
}

/* What a request holds until its CQE is out: files, buffers, our fd. */
static void req_release(struct uring_req *req)
{
	/* After the CQE: a tag freed here follows the request's CQE. */
	if (req->file_node)
		rsrc_node_put(req->file_node);
	if (req->buf_node)
		rsrc_node_put(req->buf_node);
	if (req->owned_fd >= 0)
		kernel_close(req->owned_fd);
	req->file_node = NULL;
	req->buf_node = NULL;
	req->owned_fd = -1;
}

void uring_req_free(struct uring_req *req)
{
	req_release(req);
	if (req->iov)
		free(req->iov);
	if (req->op_data)
		free(req->op_data);
	req_recycle(req);
}

void uring_release_wait(struct uring_ctx *ctx)
{
	while (atomic_load(&ctx->releasing))
		sched_yield();
}

void uring_req_cache_free(struct uring_ctx *ctx)
{
	struct uring_req *req = atomic_exchange(&ctx->req_free_remote, NULL);

	for (int i = 0; i < 2; i++) {
		while (req) {
			struct uring_req *next = req->free_next;

			free(req);
			req = next;
		}
		req = ctx->req_cache;
		ctx->req_cache = NULL;
	}
}

/* Retire the LINK_TIMEOUT of a request that finished first. */
static void disarm_link_timeout(struct uring_req *req)
{
	struct uring_ctx *ctx = req->ctx;
	struct uring_req *lt;

	/* Only ever cleared elsewhere: no timeout now means none to disarm. */
	if (!__atomic_load_n(&req->link_timeout, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&ctx->timeout_lock);
	lt = req->link_timeout;
	__atomic_store_n(&req->link_timeout, NULL, __ATOMIC_RELAXED);
	if (lt)
		lt->timeout_target = NULL;
	pthread_mutex_unlock(&ctx->timeout_lock);
	if (!lt)
		return;
	/* If the timer is firing right now, the firing completes it. */
	if (!req->lt_armed || poll_engine_remove(ctx->poll, lt))
		uring_req_complete(lt, -ECANCELED, 0);
}

static bool posts_cqe(const struct uring_req *req)
{
	return !(req->flags & IOSQE_CQE_SKIP_SUCCESS) ||
	       (req->res < 0 && !req->res_no_fail);
}

/* What follows a request's CQE: its link, the drain, and its memory. */
static void req_retire(struct uring_req *req)
{
	struct uring_ctx *ctx = req->ctx;
	struct uring_req *next = req->link;

	disarm_link_timeout(req);
	req->link = NULL;
	if (next)
		uring_link_continue(next, req->failed &&
						  !(req->flags & IOSQE_IO_HARDLINK));
	inflight_remove(req);
	uring_req_free(req);
	uring_drain_kick(ctx);
}

/*
 * Post a completing thread's CQEs and let go of their requests' files and
 * buffers; uring_release_wait() waits while this runs, so a register call
 * never returns between the two.
 */
static void post_and_release(struct uring_ctx *ctx,
			     const struct io_uring_cqe *cqes, unsigned ncqe,
			     struct uring_req *const *reqs, unsigned nr)
{
	atomic_fetch_add(&ctx->releasing, 1);
	if (ncqe)
		post_cqes(ctx, cqes, ncqe);
	for (unsigned i = 0; i < nr; i++)
		req_release(reqs[i]);
	atomic_fetch_sub(&ctx->releasing, 1);
}

/*
 * A worker's batch. Every completion reads this, so it is a pointer in
 * initial-exec TLS (no __tls_get_addr call, and little static TLS used).
 */
static __thread struct uring_complete_batch *worker_batch
	__attribute__((tls_model("initial-exec")));

void uring_complete_batch_start(struct uring_complete_batch *b,
				struct uring_ctx *ctx)
{
	b->ctx = ctx;
	b->nr = 0;
	worker_batch = b;
}

bool uring_complete_batch_held(void)
{
	return worker_batch && worker_batch->nr;
}

/*
 * All the batch's CQEs go out before any request retires, so a linked
 * request, a drained one or a resource tag still posts after them.
 */
void uring_complete_batch_flush(void)
{
	struct uring_complete_batch *b = worker_batch;
	struct io_uring_cqe cqes[WORKER_BATCH];
	struct uring_req *reqs[WORKER_BATCH];
	unsigned nr;

	/* Retiring can complete more (a failed link): they go next round. */
	while (b && (nr = b->nr)) {
		unsigned ncqe = 0;

		memcpy(reqs, b->reqs, nr * sizeof(reqs[0]));
		b->nr = 0;
		for (unsigned i = 0; i < nr; i++) {
			if (!posts_cqe(reqs[i]))
				continue;
			cqes[ncqe].user_data = reqs[i]->user_data;
			cqes[ncqe].res = reqs[i]->res;
			cqes[ncqe].flags = reqs[i]->cflags;
			ncqe++;
		}
		post_and_release(b->ctx, cqes, ncqe, reqs, nr);
		for (unsigned i = 0; i < nr; i++)
			req_retire(reqs[i]);
	}
}

/* Post the CQEs this thread holds for ctx: a worker's batch, a submission's. */
static void flush_held(struct uring_ctx *ctx)
{
	if (worker_batch && worker_batch->ctx == ctx)
		uring_complete_batch_flush();
	if (uring_submitting == ctx)
		uring_flush_deferred(ctx);
}

/*
 * A big CQE is posted at once, not held: first the CQEs this thread holds
 * for the ring (a worker's batch, a submission's deferred ones), so that
 * the order stays the order of completion.
 */
static void complete_big(struct uring_req *req)
{
	struct uring_ctx *ctx = req->ctx;
	struct io_uring_cqe cqe = {.user_data = req->user_data,
				   .res = req->res, .flags = req->cflags};

	/* On a CQE_MIXED ring the flag says which CQEs are big. */
	if (ctx->flags & IORING_SETUP_CQE_MIXED)
		cqe.flags |= IORING_CQE_F_32;
	flush_held(ctx);
	atomic_fetch_add(&ctx->releasing, 1);
	if (posts_cqe(req))
		post_cqes_extra(ctx, &cqe, 1, req->cqe_extra);
	req_release(req);
	atomic_fetch_sub(&ctx->releasing, 1);
	req_retire(req);
}

bool uring_req_post_more(struct uring_req *req, __s32 res, __u32 cflags)
{
	struct uring_ctx *ctx = req->ctx;
	struct io_uring_cqe cqe = {.user_data = req->user_data, .res = res,
				   .flags = cflags | IORING_CQE_F_MORE};

	/* Held CQEs take their places first, so order and room are right. */
	flush_held(ctx);
	pthread_mutex_lock(&ctx->completion_lock);
	/* Behind overflowed CQEs it would break their order: it does not fit. */
	if (ctx->overflow_head || !cq_write(ctx, &cqe, 1, NULL)) {
		pthread_mutex_unlock(&ctx->completion_lock);
		return false;
	}
	req->res = res;
	posted_unlock(ctx, 1);
	return true;
}

void uring_req_complete(struct uring_req *req, __s32 res, __u32 cflags)
{
	struct uring_complete_batch *b = worker_batch;

	req->res = res;
	if (res < 0 && !req->res_no_fail)
		req->failed = true;
	/* A multishot CQE with MORE leaves the request running. */
	if (cflags & IORING_CQE_F_MORE) {
		uring_post_cqe(req->ctx, req->user_data, res, cflags);
		return;
	}
	/* A zero-copy send's last CQE is its notification. */
	if (req->zc_notif) {
		req->zc_notif = false;
		uring_post_cqe(req->ctx, req->user_data, res,
			       cflags | IORING_CQE_F_MORE);
		res = req->res = req->zc_notif_res;
		cflags = IORING_CQE_F_NOTIF;
	}
	if (req->big_cqe) {
		req->cflags = cflags;
		complete_big(req);
		return;
	}
	if (b && b->ctx == req->ctx) {
		req->cflags = cflags;
		b->reqs[b->nr++] = req;
		if (b->nr == WORKER_BATCH)
			uring_complete_batch_flush();
		return;
	}
	if (uring_submitting == req->ctx) {
		/* Under uring_lock the CQE waits for the batch's end. */
		if (posts_cqe(req))
			uring_defer_cqe(req->ctx, req->user_data, res, cflags);
	} else {
		struct io_uring_cqe cqe = {.user_data = req->user_data,
					   .res = res, .flags = cflags};

		post_and_release(req->ctx, &cqe, posts_cqe(req), &req, 1);
	}
	req_retire(req);
}
