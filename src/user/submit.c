/* SPDX-License-Identifier: MIT */
/*
 * io_uring_enter(2) for userspace rings: consuming SQEs in order through
 * the kernel's init checks, building links, holding drained requests back,
 * and issuing each request inline, through the poll engine or a worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fd_dup.h"
#include "rsrc.h"
#include "user.h"

#define SQE_VALID_FLAGS                                                        \
	(IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_IO_LINK |                   \
	 IOSQE_IO_HARDLINK | IOSQE_ASYNC | IOSQE_BUFFER_SELECT |               \
	 IOSQE_CQE_SKIP_SUCCESS)
#define LINK_FLAGS (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)
#define ENTER_VALID_FLAGS 0xffU

__thread struct uring_ctx *uring_submitting
	__attribute__((tls_model("initial-exec")));

/* A chain being assembled from consecutive linked SQEs. */
struct link_build {
	struct uring_req *head, *last;
	bool failed;
};

/*
 * Zero a recycled request with 16-byte stores: the inline `rep stos` a
 * memset of this size becomes costs more than the rest of a NOP's issue.
 */
static void req_zero(struct uring_req *req)
{
	typedef long long v2 __attribute__((vector_size(16), may_alias));
	const size_t start = offsetof(struct uring_req, res);
	v2 *p = (v2 *)((char *)req + start), zero = {0, 0};

	_Static_assert(offsetof(struct uring_req, res) % 16 == 0, "zeroed part");
	_Static_assert(sizeof(*req) % 16 == 0, "request size");
	/* The empty asm keeps the compiler from turning this into memset. */
	for (size_t i = 0; i < (sizeof(*req) - start) / sizeof(v2); i++) {
		__builtin_memcpy(&p[i], &zero, sizeof(zero));
		__asm__ volatile("" ::: "memory");
	}
}

/* A request from the ring's cache (refilled from remote frees) or the heap. */
static struct uring_req *req_alloc(struct uring_ctx *ctx)
{
	struct uring_req *req = ctx->req_cache;

	if (!req)
		req = atomic_exchange_explicit(&ctx->req_free_remote, NULL,
					       memory_order_acquire);
	if (req) {
		ctx->req_cache = req->free_next;
		req_zero(req);
	} else {
		req = calloc(1, sizeof(*req));
		if (!req)
			return NULL;
	}
	req->ctx = ctx;
	req->owned_fd = -1;
	return req;
}

/* The kernel's io_init_req() checks, in its order; 0 or -errno. */
static int req_init(struct uring_ctx *ctx, struct uring_req *req,
		    const struct io_uring_sqe *sqe)
{
	const struct uring_op *op;
	__u8 flags = sqe->flags;

	/* Every field the zeroing skips is set before the first check. */
	req->user_data = sqe->user_data;
	req->flags = flags;
	req->opcode = sqe->opcode;
	req->ioprio = sqe->ioprio;
	req->fd = -1;
	req->orig_fd = sqe->fd;
	req->off = sqe->off;
	req->addr = sqe->addr;
	req->len = sqe->len;
	req->op_flags = sqe->rw_flags;
	req->buf_index = sqe->buf_index;
	req->personality = sqe->personality;
	req->file_index = sqe->file_index;
	req->addr3 = sqe->addr3;
	if (sqe->opcode >= URING_OP_LAST) {
		req->opcode = IORING_OP_NOP;
		return -EINVAL;
	}
	op = &uring_ops[sqe->opcode];
	if (flags & ~SQE_VALID_FLAGS)
		return -EINVAL;
	if ((flags & IOSQE_BUFFER_SELECT) && !op->buffer_select)
		return -EOPNOTSUPP;
	if (flags & IOSQE_CQE_SKIP_SUCCESS)
		ctx->skip_cqe_used = true;
	if ((flags & IOSQE_IO_DRAIN) && ctx->skip_cqe_used)
		return -EOPNOTSUPP;
	if (!uring_sqe_allowed(ctx, sqe->opcode, flags))
		return -EACCES;
	if (sqe->ioprio && !op->ioprio)
		return -EINVAL;
	if ((ctx->flags & IORING_SETUP_IOPOLL) && !op->iopoll)
		return -EINVAL;
	if (sqe->personality &&
	    !uring_personality_known(ctx, sqe->personality))
		return -EINVAL;
	/* What the kernel answers for an op it was built without. */
	if (!op->supported)
		return -EOPNOTSUPP;
	if (op->needs_file)
		req->fd = sqe->fd;
	return op->prep ? op->prep(req, sqe) : 0;
}

static void task_work_add(struct uring_req *req, bool fail)
{
	struct uring_ctx *ctx = req->ctx;

	req->tw_fail = fail;
	req->tw_next = NULL;
	if (ctx->tw_tail)
		ctx->tw_tail->tw_next = req;
	else
		ctx->tw_head = req;
	ctx->tw_tail = req;
}

/* Fail every request of a chain: the failing one keeps its own result. */
static void fail_chain(struct uring_req *req)
{
	while (req) {
		struct uring_req *next = req->link;
		__s32 res = req->res < 0 && req->failed ? req->res : -ECANCELED;

		req->link = NULL;
		uring_req_complete(req, res, 0);
		req = next;
	}
}

void uring_link_continue(struct uring_req *next, bool fail)
{
	if (uring_submitting == next->ctx) {
		task_work_add(next, fail);
		return;
	}
	if (fail)
		fail_chain(next);
	else
		uring_req_issue(next, ISSUE_NONBLOCK);
}

void uring_run_task_work(struct uring_ctx *ctx)
{
	struct uring_req *req;

	if (atomic_load(&ctx->events_pending))
		uring_events_run(ctx);
	while ((req = ctx->tw_head)) {
		ctx->tw_head = req->tw_next;
		if (!ctx->tw_head)
			ctx->tw_tail = NULL;
		if (req->tw_fail)
			fail_chain(req);
		else
			uring_req_issue(req, ISSUE_NONBLOCK);
	}
}

/* Hold a file reference (as the kernel's fget does) while async. */
static void hold_file(struct uring_req *req)
{
	if (req->fd >= 0 && req->owned_fd < 0 &&
	    !(req->flags & IOSQE_FIXED_FILE)) {
		int fd = uring_dup_fd(req->fd);

		if (fd >= 0)
			req->fd = req->owned_fd = fd;
	}
}

/*
 * io-wq's classes: bounded for regular files, block devices and ops that
 * never block unboundedly; unbounded for the rest. IOSQE_ASYNC work has no
 * file yet when it is queued, so the kernel classes it by its op alone.
 */
static bool wq_bounded(const struct uring_op *op)
{
	return !op->unbound_nonreg;
}

/* Run the op's issue, as the request's personality if it has one. */
static enum issue_result issue_with_creds(struct uring_req *req,
					  const struct uring_op *op,
					  unsigned flags)
{
	struct uring_creds saved;
	enum issue_result r;
	int ret;

	if (!req->personality)
		return op->issue(req, flags);
	ret = uring_personality_enter(req, &saved);
	if (ret) {
		req->res = ret;
		return ISSUE_DONE;
	}
	r = op->issue(req, flags);
	uring_personality_leave(&saved);
	return r;
}

void uring_req_issue(struct uring_req *req, unsigned flags)
{
	const struct uring_op *op = &uring_ops[req->opcode];
	struct uring_ctx *ctx = req->ctx;

	if (ctx->dying) {
		uring_req_complete(req, -ECANCELED, 0);
		return;
	}
	/*
	 * IOSQE_ASYNC: straight to a worker, which looks the file up when it
	 * runs the request (a close before then gives EBADF, as on 6.18).
	 */
	if ((req->flags & IOSQE_ASYNC) && (flags & ISSUE_NONBLOCK) &&
	    !req->async) {
		req->async = true;
		uring_inflight_add(req);
		iowq_enqueue_async(ctx->wq, req, wq_bounded(op));
		return;
	}
	/* A fixed file is looked up, and held, when the request issues. */
	if (op->needs_file && (req->flags & IOSQE_FIXED_FILE) &&
	    !req->file_node) {
		req->file_node = rsrc_file_get(ctx, (unsigned)req->orig_fd);
		if (!req->file_node) {
			uring_req_complete(req, -EBADF, 0);
			return;
		}
		req->fd = req->file_node->fd;
	}
	if (req->link_timeout && !req->lt_armed) {
		req->lt_armed = true;
		uring_link_timeout_arm(req->link_timeout);
	}
	/*
	 * A drain waits for requests that outlive their issue; one that
	 * completes inline is done before the next SQE is read, so it is
	 * counted only when it leaves (and before, if its issue may hand it
	 * to another thread).
	 */
	if (op->queues_itself)
		uring_inflight_add(req);
	/* Before the attempt: a readiness after it must not go unseen. */
	if (req->file_node)
		req->watch_seq = atomic_load_explicit(&req->file_node->poll_seq,
						      memory_order_acquire);
	switch (issue_with_creds(req, op, flags)) {
	case ISSUE_DONE:
		uring_req_complete(req, req->res, req->cflags);
		return;
	case ISSUE_POLL:
		req->async = true;
		hold_file(req);
		uring_inflight_add(req);
		poll_engine_arm(ctx->poll, req);
		return;
	case ISSUE_PUNT:
		/* Pollable files wait in the poll engine: this one blocks. */
		req->async = true;
		hold_file(req);
		uring_inflight_add(req);
		iowq_enqueue(ctx->wq, req, true);
		return;
	case ISSUE_QUEUED:
		return;
	}
}

static void chain_inflight_add(struct uring_req *head)
{
	/* A lone request is counted only if it outlives its issue. */
	if (!head->link && !head->link_timeout)
		return;
	for (struct uring_req *r = head; r; r = r->link) {
		uring_inflight_add(r);
		if (r->link_timeout)
			uring_inflight_add(r->link_timeout);
	}
}

/* Queue the chain behind a drain if it needs to be; true if queued. */
static bool drain_queue(struct uring_req *head)
{
	struct uring_ctx *ctx = head->ctx;
	bool queue;

	/* Only this thread (holding uring_lock) starts a drain queue. */
	if (!(head->flags & IOSQE_IO_DRAIN) &&
	    !__atomic_load_n(&ctx->drain_head, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&ctx->inflight_lock);
	queue = (head->flags & IOSQE_IO_DRAIN) || ctx->drain_head;
	if (queue) {
		head->drained = true;
		head->next = NULL;
		if (ctx->drain_tail)
			ctx->drain_tail->next = head;
		else
			__atomic_store_n(&ctx->drain_head, head, __ATOMIC_SEQ_CST);
		ctx->drain_tail = head;
	}
	pthread_mutex_unlock(&ctx->inflight_lock);
	return queue;
}

/*
 * Release drained chains in order: a DRAIN chain waits until everything
 * submitted before it has completed; others only for the ones before them.
 */
void uring_drain_kick(struct uring_ctx *ctx)
{
	for (;;) {
		struct uring_req *head;

		/* Pairs with drain_queue's store: one of us sees the other. */
		if (!__atomic_load_n(&ctx->drain_head, __ATOMIC_SEQ_CST))
			return;
		pthread_mutex_lock(&ctx->inflight_lock);
		head = ctx->drain_head;
		if (!head || ((head->flags & IOSQE_IO_DRAIN) &&
			      atomic_load(&ctx->nr_inflight))) {
			pthread_mutex_unlock(&ctx->inflight_lock);
			return;
		}
		__atomic_store_n(&ctx->drain_head, head->next, __ATOMIC_RELAXED);
		if (!ctx->drain_head)
			ctx->drain_tail = NULL;
		pthread_mutex_unlock(&ctx->inflight_lock);
		head->drained = false;
		chain_inflight_add(head);
		uring_req_issue(head, ISSUE_NONBLOCK);
	}
}

/* A whole chain (or single request) is ready: issue, drain or fail it. */
static void queue_chain(struct uring_ctx *ctx, struct uring_req *head,
			bool failed)
{
	if (failed) {
		chain_inflight_add(head);
		/* The head fails at once; the rest as task work, as in 6.18. */
		struct uring_req *rest = head->link;
		head->link = NULL;
		uring_req_complete(head, head->failed ? head->res : -ECANCELED, 0);
		if (rest)
			task_work_add(rest, true);
		return;
	}
	if (drain_queue(head)) {
		uring_drain_kick(ctx);
		return;
	}
	chain_inflight_add(head);
	uring_req_issue(head, ISSUE_NONBLOCK);
}

/* Attach a LINK_TIMEOUT to the request before it in the chain. */
static int attach_link_timeout(struct link_build *lb, struct uring_req *req)
{
	struct uring_req *target = lb->last;

	if (!target || target->link_timeout ||
	    target->opcode == IORING_OP_LINK_TIMEOUT)
		return -EINVAL;
	__atomic_store_n(&target->link_timeout, req, __ATOMIC_RELAXED);
	req->timeout_target = target;
	return 0;
}

/* Add a request that passed (or failed) its init checks to the batch. */
static bool add_to_batch(struct uring_ctx *ctx, struct link_build *lb,
			 struct uring_req *req, int err)
{
	bool linked = req->flags & LINK_FLAGS;

	if (err) {
		req->res = err;
		req->failed = true;
	}
	if (!err && req->opcode == IORING_OP_LINK_TIMEOUT && lb->head) {
		err = attach_link_timeout(lb, req);
		if (err) {
			req->res = err;
			req->failed = true;
		}
	} else if (!err && req->opcode == IORING_OP_LINK_TIMEOUT) {
		req->res = -EINVAL;
		req->failed = true;
		err = -EINVAL;
	}
	if (lb->head) {
		if (req->timeout_target) {
			/* The timeout rides on its target, not in the chain. */
			if (lb->failed || err)
				lb->failed = true;
		} else {
			lb->last->link = req;
			lb->last = req;
		}
		if (err)
			lb->failed = true;
		if (linked)
			return true;
		queue_chain(ctx, lb->head, lb->failed);
		lb->head = lb->last = NULL;
		lb->failed = false;
		return true;
	}
	if (linked) {
		lb->head = lb->last = req;
		lb->failed = err != 0;
		return true;
	}
	if (err) {
		uring_inflight_add(req);
		uring_req_complete(req, err, 0);
		/* A standalone failure ends the batch unless SUBMIT_ALL. */
		return ctx->flags & IORING_SETUP_SUBMIT_ALL;
	}
	queue_chain(ctx, req, false);
	return true;
}

/*
 * A NOP with no flags, options or personality passes every init check and
 * completes with 0 whatever else its SQE holds, so it needs no request:
 * outside a link and a drain its CQE is all there is to it.
 */
static bool plain_nop(struct uring_ctx *ctx, const struct link_build *lb,
		      const struct io_uring_sqe *sqe)
{
	return sqe->opcode == IORING_OP_NOP && !sqe->flags && !sqe->ioprio &&
	       !sqe->nop_flags && !sqe->personality && !lb->head &&
	       !__atomic_load_n(&ctx->drain_head, __ATOMIC_RELAXED) &&
	       !ctx->dying &&
	       (!ctx->restricted || uring_sqe_allowed(ctx, IORING_OP_NOP, 0));
}

/* Which SQE the next SQ slot names, or -1 for an invalid index. */
static long next_sqe_index(struct uring_ctx *ctx, unsigned head)
{
	unsigned idx;

	if (!ctx->sq_array)
		return head & ctx->sq_mask;
	idx = __atomic_load_n(&ctx->sq_array[head & ctx->sq_mask],
			      __ATOMIC_RELAXED);
	return idx < ctx->sq_entries ? (long)idx : -1;
}

/* Consume up to to_submit SQEs; called with uring_lock held. */
int uring_submit_sqes(struct uring_ctx *ctx, unsigned to_submit)
{
	unsigned head = __atomic_load_n(ctx->sq_head, __ATOMIC_RELAXED);
	unsigned tail = __atomic_load_n(ctx->sq_tail, __ATOMIC_ACQUIRE);
	struct link_build lb = {0};
	unsigned submitted = 0;
	struct uring_ctx *outer = uring_submitting;

	if (to_submit > tail - head)
		to_submit = tail - head;
	/* Another ring's batch, nested: its deferred CQEs go out first. */
	if (outer && outer != ctx)
		uring_flush_deferred(outer);
	uring_submitting = ctx;
	while (submitted < to_submit) {
		long idx = next_sqe_index(ctx, head);
		const struct io_uring_sqe *sqe;
		struct uring_req *req;
		int err;

		head++;
		if (idx < 0) {
			__atomic_fetch_add(ctx->sq_dropped, 1, __ATOMIC_RELAXED);
			break;
		}
		sqe = &ctx->sqes[(size_t)idx << ctx->sqe_shift];
		if (plain_nop(ctx, &lb, sqe)) {
			submitted++;
			uring_defer_cqe(ctx, sqe->user_data, 0, 0);
			continue;
		}
		req = req_alloc(ctx);
		if (!req) {
			head--;
			break;
		}
		submitted++;
		err = req_init(ctx, req, sqe);
		if (!add_to_batch(ctx, &lb, req, err))
			break;
	}
	/* Under uring_lock; atomic only for the report's reader. */
	__atomic_store_n(&ctx->sqes_submitted, ctx->sqes_submitted + submitted,
			 __ATOMIC_RELAXED);
	/* The SQEs are consumed: the application may reuse them now. */
	__atomic_store_n(ctx->sq_head, head, __ATOMIC_RELEASE);
	if (lb.head)
		queue_chain(ctx, lb.head, lb.failed);
	uring_run_task_work(ctx);
	iowq_submit_batch(ctx->wq);
	uring_flush_deferred(ctx);
	uring_submitting = outer;
	return (int)submitted;
}

bool uring_is_submitter(struct uring_ctx *ctx)
{
	int owner = atomic_load_explicit(&ctx->submitter, memory_order_acquire);

	return !owner || owner == uring_task_id();
}

/* Before any work: what the kernel refuses a call on this ring. */
static int enter_allowed(struct uring_ctx *ctx, unsigned to_submit,
			 unsigned flags)
{
	if (ctx->disabled)
		return -EBADFD;
	if (ctx->flags & IORING_SETUP_SQPOLL)
		return 0;
	/* Only the owner submits, and runs DEFER_TASKRUN's work by waiting. */
	if ((to_submit || ((flags & IORING_ENTER_GETEVENTS) &&
			   (ctx->flags & IORING_SETUP_DEFER_TASKRUN))) &&
	    !uring_is_submitter(ctx))
		return -EEXIST;
	return 0;
}

int uring_enter(unsigned fd, unsigned to_submit, unsigned min_complete,
		unsigned flags, const void *arg, size_t argsz)
{
	int saved_errno = errno, ret = 0, wait_ret = 0;
	struct uring_ctx *ctx;

	if (flags & ~ENTER_VALID_FLAGS)
		return -EINVAL;
	uring_tctx_touch();
	ctx = uring_ctx_get(fd, flags & IORING_ENTER_REGISTERED_RING);
	if (!ctx) {
		if (flags & IORING_ENTER_REGISTERED_RING)
			ret = uring_tctx_lookup_error(fd);
		else
			ret = fcntl((int)fd, F_GETFD) < 0 ? -EBADF : -EOPNOTSUPP;
		errno = saved_errno;
		return ret;
	}
	ret = enter_allowed(ctx, to_submit, flags);
	if (!ret && (ctx->flags & IORING_SETUP_SQPOLL)) {
		if (flags & IORING_ENTER_SQ_WAKEUP)
			uring_sqpoll_wake(ctx);
		ret = (int)to_submit;
	} else if (!ret && to_submit) {
		pthread_mutex_lock(&ctx->uring_lock);
		ret = uring_submit_sqes(ctx, to_submit);
		pthread_mutex_unlock(&ctx->uring_lock);
		uring_events_try_run(ctx);
	}
	if (ret >= 0 && (flags & IORING_ENTER_GETEVENTS)) {
		uring_flush_overflow(ctx);
		wait_ret = uring_wait_cqes(ctx, min_complete, flags, arg, argsz);
	}
	uring_ctx_put(ctx);
	errno = saved_errno;
	return ret ? ret : wait_ret;
}
