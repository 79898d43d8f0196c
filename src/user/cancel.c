/* SPDX-License-Identifier: MIT */
/*
 * Cancellation by user_data, fd, opcode or any (ASYNC_CANCEL, and later
 * REGISTER_SYNC_CANCEL): requests waiting in a worker queue, the poll
 * engine, the timer list or a blocker thread are taken out; one running
 * in a worker cannot be stopped (-EALREADY), as with the kernel's io-wq.
 */
#include <fcntl.h>

#include "blocking.h"
#include "rsrc.h"
#include "uaccess.h"
#include "user.h"

static bool cancel_all(const struct cancel_match *cm)
{
	return cm->flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY);
}

bool uring_cancel_matches(struct uring_req *req, void *arg)
{
	struct cancel_match *cm = arg;

	if (req == cm->self || req->opcode == IORING_OP_LINK_TIMEOUT)
		return false;
	if (cm->flags & IORING_ASYNC_CANCEL_ANY)
		return true;
	if (cm->flags & IORING_ASYNC_CANCEL_FD) {
		/* Ops without a file (timeouts, futexes) never match an fd. */
		if (!uring_ops[req->opcode].needs_file)
			return false;
		if (cm->node ? req->file_node != cm->node
			     : (req->file_node || req->orig_fd != cm->fd))
			return false;
	}
	if ((cm->flags & IORING_ASYNC_CANCEL_OP) && req->opcode != cm->opcode)
		return false;
	if (((cm->flags & IORING_ASYNC_CANCEL_USERDATA) ||
	     !(cm->flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP))) &&
	    req->user_data != cm->data)
		return false;
	return true;
}

/* Take matches, but only the first one unless ALL or ANY is set. */
static bool take_match(struct uring_req *req, void *arg)
{
	struct cancel_match *cm = arg;

	if ((!cancel_all(cm) && cm->taken) || !uring_cancel_matches(req, cm))
		return false;
	cm->taken++;
	return true;
}

static void list_append(struct uring_req **list, struct uring_req *more)
{
	while (*list)
		list = &(*list)->next;
	*list = more;
}

/* The kernel cancels waitid and futex waits after polls, before timeouts. */
static void insert_before_timeouts(struct uring_req **list,
				   struct uring_req *more)
{
	struct uring_req *rest;

	if (!more)
		return;
	while (*list && (*list)->opcode != IORING_OP_TIMEOUT)
		list = &(*list)->next;
	rest = *list;
	*list = more;
	list_append(list, rest);
}

/*
 * The kernel's count: its waitid and futex cancels answer 1 for one
 * request, and ALL takes each of those lists in one round, counted once.
 */
static int cancel_count(const struct cancel_match *cm,
			struct uring_req *blocked)
{
	unsigned waitid = 0, futex = 0;
	int n = (int)cm->taken;

	if (!cancel_all(cm))
		return blocked ? 1 : 0;
	if (!(cm->flags & IORING_ASYNC_CANCEL_ALL))
		return n;
	for (struct uring_req *r = blocked; r; r = r->next) {
		if (r->opcode == IORING_OP_WAITID)
			waitid++;
		else
			futex++;
	}
	return n - (waitid > 1 ? (int)waitid - 1 : 0) -
	       (futex > 1 ? (int)futex - 1 : 0);
}

int uring_cancel(struct uring_ctx *ctx, struct cancel_match *cm,
		 struct uring_req **cancelled)
{
	struct uring_req *blocked;
	unsigned lost;
	int count;

	cm->taken = 0;
	*cancelled = NULL;
	list_append(cancelled, iowq_take(ctx->wq, take_match, cm));
	list_append(cancelled, poll_engine_take(ctx->poll, take_match, cm));
	list_append(cancelled, uring_events_take_woken(ctx, take_match, cm));
	blocked = blocking_take(ctx->blocking, take_match, cm, &lost);
	/* Those whose wait ended first complete on their own. */
	cm->taken -= lost;
	count = cancel_count(cm, blocked);
	insert_before_timeouts(cancelled, blocked);
	if (cm->taken)
		return count;
	if (iowq_running(ctx->wq, uring_cancel_matches, cm))
		return -EALREADY;
	return cancel_all(cm) ? 0 : -ENOENT;
}

void uring_complete_cancelled(struct uring_req *list)
{
	while (list) {
		struct uring_req *next = list->next;

		list->next = NULL;
		uring_req_complete(list, -ECANCELED, 0);
		list = next;
	}
}

static int sync_cancel_match(struct uring_ctx *ctx,
			     const struct io_uring_sync_cancel_reg *sc,
			     struct cancel_match *cm)
{
	*cm = (struct cancel_match){
		.data = sc->addr,
		.fd = sc->fd,
		.opcode = sc->opcode,
		.flags = sc->flags,
	};
	if (!(sc->flags & IORING_ASYNC_CANCEL_FD))
		return 0;
	/* FD_FIXED only means something together with FD. */
	if (sc->flags & IORING_ASYNC_CANCEL_FD_FIXED) {
		cm->node = rsrc_file_get(ctx, (unsigned)sc->fd);
		return cm->node ? 0 : -EBADF;
	}
	return fcntl(sc->fd, F_GETFD) < 0 ? -EBADF : 0;
}

/* {-1, -1} waits forever; anything else is relative and not checked. */
static bool sync_cancel_deadline(const struct __kernel_timespec *ts,
				 struct timespec *deadline)
{
	long long ns = ts->tv_sec * 1000000000LL + ts->tv_nsec;

	if (ts->tv_sec == -1 && ts->tv_nsec == -1)
		return false;
	clock_gettime(CLOCK_MONOTONIC, deadline);
	if (ns > 0)
		uring_timespec_add_ns(deadline, ns);
	return true;
}

/*
 * Cancel, and while a match is still running in a worker, wait for the
 * next CQE with the lock dropped (so the worker can complete it) and
 * search again, until nothing is running or the timeout passes.
 */
static int sync_cancel_run(struct uring_ctx *ctx, struct cancel_match *cm,
			   const struct __kernel_timespec *timeout)
{
	struct timespec deadline;
	bool has_deadline = sync_cancel_deadline(timeout, &deadline);
	struct uring_req *cancelled;
	bool waited = false;
	int ret;

	for (;;) {
		unsigned seen = atomic_load_explicit(&ctx->shared->cq_events,
						     memory_order_acquire);

		ret = uring_cancel(ctx, cm, &cancelled);
		uring_complete_cancelled(cancelled);
		if (ret != -EALREADY)
			break;
		pthread_mutex_unlock(&ctx->uring_lock);
		ret = uring_cq_wait_event(ctx, seen,
					  has_deadline ? &deadline : NULL);
		pthread_mutex_lock(&ctx->uring_lock);
		if (ret)
			break;
		waited = true;
	}
	/* After waiting, whatever the retries found, the request is gone. */
	return waited && (ret == -ENOENT || ret > 0) ? 0 : ret;
}

int uring_sync_cancel(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	struct io_uring_sync_cancel_reg sc;
	struct cancel_match cm;
	int ret;

	if (!arg || nr != 1)
		return -EINVAL;
	if (uring_copy_from_user(&sc, arg, sizeof(sc)))
		return -EFAULT;
	if (sc.flags & ~CANCEL_FLAGS)
		return -EINVAL;
	if (!uring_mem_is_zero(sc.pad, sizeof(sc.pad)) ||
	    !uring_mem_is_zero(sc.pad2, sizeof(sc.pad2)))
		return -EINVAL;
	ret = sync_cancel_match(ctx, &sc, &cm);
	if (ret)
		return ret;
	ret = sync_cancel_run(ctx, &cm, &sc.timeout);
	if (cm.node)
		rsrc_node_put(cm.node);
	return ret;
}
