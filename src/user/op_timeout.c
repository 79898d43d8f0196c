/* SPDX-License-Identifier: MIT */
/*
 * TIMEOUT (relative or absolute, on the chosen clock, counted, multishot),
 * TIMEOUT_REMOVE (remove or update) and LINK_TIMEOUT. Timers live in the
 * poll engine; counted timeouts also complete once enough other CQEs are
 * posted.
 */
#include <stdlib.h>

#include "blocking.h"
#include "uaccess.h"
#include "user.h"

#define TIMEOUT_FLAGS                                                          \
	(IORING_TIMEOUT_ABS | IORING_TIMEOUT_CLOCK_MASK |                      \
	 IORING_TIMEOUT_ETIME_SUCCESS | IORING_TIMEOUT_MULTISHOT)

static int clock_bits(unsigned flags)
{
	return __builtin_popcount(flags & IORING_TIMEOUT_CLOCK_MASK);
}

static clockid_t timeout_clock(unsigned flags)
{
	if (flags & IORING_TIMEOUT_BOOTTIME)
		return CLOCK_BOOTTIME;
	if (flags & IORING_TIMEOUT_REALTIME)
		return CLOCK_REALTIME;
	return CLOCK_MONOTONIC;
}

static int read_ts(struct __kernel_timespec *ts, __u64 addr)
{
	if (uring_copy_from_user(ts, (void *)(uintptr_t)addr, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0)
		return -EINVAL;
	return 0;
}

int uring_timeout_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	unsigned flags = sqe->timeout_flags;
	bool link = req->opcode == IORING_OP_LINK_TIMEOUT;

	if (sqe->buf_index || sqe->len != 1 || sqe->splice_fd_in)
		return -EINVAL;
	if (flags & ~TIMEOUT_FLAGS)
		return -EINVAL;
	if (clock_bits(flags) > 1)
		return -EINVAL;
	if ((flags & IORING_TIMEOUT_MULTISHOT) && (flags & IORING_TIMEOUT_ABS))
		return -EINVAL;
	if (link && (sqe->off || (flags & IORING_TIMEOUT_MULTISHOT)))
		return -EINVAL;
	req->timeout_count = (unsigned)sqe->off;
	req->clock = timeout_clock(flags);
	return read_ts(&req->ts, sqe->addr);
}

static int arm_timer(struct uring_req *req)
{
	int ret = uring_timespec_to_deadline(&req->ts,
					     req->op_flags & IORING_TIMEOUT_ABS,
					     req->clock, &req->deadline);

	if (ret)
		return ret;
	poll_engine_add_timer(req->ctx->poll, req);
	return 0;
}

static void count_list_remove(struct uring_req *req)
{
	struct uring_ctx *ctx = req->ctx;

	pthread_mutex_lock(&ctx->completion_lock);
	for (struct uring_req **pp = &ctx->count_timeouts; *pp;
	     pp = &(*pp)->tw_next) {
		if (*pp == req) {
			*pp = req->tw_next;
			break;
		}
	}
	pthread_mutex_unlock(&ctx->completion_lock);
}

/* Count a timeout's CQE; waiters read the count without the lock. */
static void count_timeout_cqe(struct uring_ctx *ctx)
{
	pthread_mutex_lock(&ctx->completion_lock);
	__atomic_store_n(&ctx->cq_timeouts, ctx->cq_timeouts + 1,
			 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctx->completion_lock);
}

static void timeout_complete(struct uring_req *req, __s32 res, __u32 cflags)
{
	count_timeout_cqe(req->ctx);
	uring_req_complete(req, res, cflags);
}

enum issue_result uring_timeout_issue(struct uring_req *req, unsigned flags)
{
	struct uring_ctx *ctx = req->ctx;
	int ret;

	(void)flags;
	if (req->opcode == IORING_OP_LINK_TIMEOUT)
		return ISSUE_QUEUED; /* armed by its target, at the target's issue */
	if (req->timeout_count && !(req->op_flags & IORING_TIMEOUT_MULTISHOT)) {
		pthread_mutex_lock(&ctx->completion_lock);
		req->timeout_target_seq =
			ctx->cq_posted - ctx->cq_timeouts + req->timeout_count;
		req->tw_next = ctx->count_timeouts;
		ctx->count_timeouts = req;
		pthread_mutex_unlock(&ctx->completion_lock);
	}
	ret = arm_timer(req);
	if (ret) {
		count_list_remove(req);
		req->res = ret;
		return ISSUE_DONE;
	}
	return ISSUE_QUEUED;
}

/* Counted timeouts whose count of other completions has been reached. */
void uring_count_timeouts_check(struct uring_ctx *ctx)
{
	struct uring_req *done = NULL;

	pthread_mutex_lock(&ctx->completion_lock);
	for (struct uring_req **pp = &ctx->count_timeouts; *pp;) {
		struct uring_req *req = *pp;

		if ((int)(ctx->cq_posted - ctx->cq_timeouts -
			  req->timeout_target_seq) >= 0) {
			*pp = req->tw_next;
			req->tw_next = done;
			done = req;
		} else {
			pp = &req->tw_next;
		}
	}
	pthread_mutex_unlock(&ctx->completion_lock);
	while (done) {
		struct uring_req *next = done->tw_next;

		done->tw_next = NULL;
		if (poll_engine_remove(ctx->poll, done))
			timeout_complete(done, 0, 0);
		done = next;
	}
}

/* The target of a link timeout is issued: start its timer. */
void uring_link_timeout_arm(struct uring_req *lt)
{
	if (arm_timer(lt)) {
		/* Bad time: the kernel refused it at prep; never reached. */
	}
}

static bool is_req(struct uring_req *req, void *arg)
{
	return req == arg;
}

static void link_timeout_fire(struct uring_req *lt)
{
	struct uring_ctx *ctx = lt->ctx;
	struct uring_req *target;

	pthread_mutex_lock(&ctx->timeout_lock);
	target = lt->timeout_target;
	lt->timeout_target = NULL;
	if (target)
		__atomic_store_n(&target->link_timeout, NULL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ctx->timeout_lock);
	if (!target) {
		/* The target finished as the timer fired. */
		uring_req_complete(lt, -ECANCELED, 0);
		return;
	}
	if (poll_engine_remove(ctx->poll, target) ||
	    iowq_take(ctx->wq, is_req, target)) {
		uring_req_complete(lt, -ETIME, 0);
		uring_req_complete(target, -ECANCELED, 0);
		return;
	}
	if (blocking_cancel_one(ctx->blocking, lt, target))
		return;
	/* Running in a worker: it cannot be stopped. */
	uring_req_complete(lt, -EALREADY, 0);
}

void uring_timer_fire(struct uring_req *req)
{
	bool etime_ok = req->op_flags & IORING_TIMEOUT_ETIME_SUCCESS;

	if (req->opcode == IORING_OP_LINK_TIMEOUT) {
		link_timeout_fire(req);
		return;
	}
	count_list_remove(req);
	if (req->op_flags & IORING_TIMEOUT_MULTISHOT) {
		bool last = req->timeout_count && --req->timeout_count == 0;

		if (!last) {
			count_timeout_cqe(req->ctx);
			uring_post_cqe(req->ctx, req->user_data, -ETIME,
				       IORING_CQE_F_MORE);
			arm_timer(req);
			return;
		}
	}
	if (etime_ok)
		req->flags |= IOSQE_IO_HARDLINK; /* -ETIME does not break links */
	timeout_complete(req, -ETIME, 0);
}

/* ---------------------------------------------------------------- */

int uring_timeout_remove_prep(struct uring_req *req,
			      const struct io_uring_sqe *sqe)
{
	unsigned flags = sqe->timeout_flags;

	if (req->flags & (IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT))
		return -EINVAL;
	if (sqe->buf_index || sqe->len || sqe->splice_fd_in)
		return -EINVAL;
	if (flags & IORING_TIMEOUT_UPDATE_MASK) {
		if (clock_bits(flags) > 1)
			return -EINVAL;
		if (flags & ~(IORING_TIMEOUT_UPDATE_MASK | IORING_TIMEOUT_ABS |
			      IORING_TIMEOUT_CLOCK_MASK))
			return -EINVAL;
		return read_ts(&req->ts, sqe->addr2);
	}
	return flags ? -EINVAL : 0;
}

struct timeout_lookup {
	__u64 user_data;
	__u8 opcode;
};

static bool is_timeout_for(struct uring_req *req, void *arg)
{
	struct timeout_lookup *l = arg;

	return req->opcode == l->opcode && req->user_data == l->user_data;
}

enum issue_result uring_timeout_remove_issue(struct uring_req *req,
					     unsigned flags)
{
	struct timeout_lookup l = {
		.user_data = req->addr,
		.opcode = (req->op_flags & IORING_LINK_TIMEOUT_UPDATE)
				  ? IORING_OP_LINK_TIMEOUT
				  : IORING_OP_TIMEOUT,
	};
	struct uring_req *target;

	(void)flags;
	target = poll_engine_take(req->ctx->poll, is_timeout_for, &l);
	if (!target) {
		req->res = -ENOENT;
		return ISSUE_DONE;
	}
	if (req->op_flags & IORING_TIMEOUT_UPDATE_MASK) {
		target->ts = req->ts;
		target->op_flags = (target->op_flags & ~(IORING_TIMEOUT_ABS |
							 IORING_TIMEOUT_CLOCK_MASK)) |
				   (req->op_flags & (IORING_TIMEOUT_ABS |
						     IORING_TIMEOUT_CLOCK_MASK));
		target->clock = timeout_clock(req->op_flags);
		arm_timer(target);
		req->res = 0;
		return ISSUE_DONE;
	}
	count_list_remove(target);
	uring_post_cqe(req->ctx, req->user_data, 0, 0);
	req->flags |= IOSQE_CQE_SKIP_SUCCESS; /* posted above, before target */
	timeout_complete(target, -ECANCELED, 0);
	req->res = 0;
	return ISSUE_DONE;
}
