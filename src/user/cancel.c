/* SPDX-License-Identifier: MIT */
/*
 * Cancellation by user_data, fd, opcode or any (ASYNC_CANCEL, and later
 * REGISTER_SYNC_CANCEL): requests waiting in a worker queue, the poll
 * engine or the timer list are taken out; one running in a worker cannot
 * be stopped (-EALREADY), as with the kernel's io-wq.
 */
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
		/* Timeouts have no file: an fd match never finds them. */
		if (req->opcode == IORING_OP_TIMEOUT)
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

int uring_cancel(struct uring_ctx *ctx, struct cancel_match *cm,
		 struct uring_req **cancelled)
{
	cm->taken = 0;
	*cancelled = NULL;
	list_append(cancelled, iowq_take(ctx->wq, take_match, cm));
	list_append(cancelled, poll_engine_take(ctx->poll, take_match, cm));
	if (cm->taken)
		return cancel_all(cm) ? (int)cm->taken : 0;
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
