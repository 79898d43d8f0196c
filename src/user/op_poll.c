/* SPDX-License-Identifier: MIT */
/*
 * POLL_ADD (one-shot and multishot) and POLL_REMOVE (remove or update),
 * and what the poll engine does when a file becomes ready.
 */
#include <poll.h>
#include <sys/epoll.h>

#include "user.h"

#define POLL_ADD_FLAGS (IORING_POLL_ADD_MULTI | IORING_POLL_ADD_LEVEL)
#define POLL_UPDATE_FLAGS                                                      \
	(IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA |            \
	 IORING_POLL_ADD_MULTI)
/* The events a poll always reports, whether asked for or not. */
#define POLL_ALWAYS (EPOLLERR | EPOLLHUP)
#define POLL_EVENT_MASK 0xffffU

static unsigned poll_events(const struct io_uring_sqe *sqe)
{
	return (sqe->poll32_events & (POLL_EVENT_MASK | EPOLLRDHUP)) | POLL_ALWAYS;
}

int uring_poll_add_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->off || sqe->addr)
		return -EINVAL;
	if (sqe->len & ~POLL_ADD_FLAGS)
		return -EINVAL;
	if ((sqe->len & IORING_POLL_ADD_MULTI) &&
	    (req->flags & IOSQE_CQE_SKIP_SUCCESS))
		return -EINVAL;
	req->poll_mask = poll_events(sqe);
	req->poll_multishot = sqe->len & IORING_POLL_ADD_MULTI;
	return 0;
}

enum issue_result uring_poll_add_issue(struct uring_req *req, unsigned flags)
{
	/* A userspace ring's fd is watched through its readiness (ready.c). */
	int stand_in = req->owned_fd < 0 && !(req->flags & IOSQE_FIXED_FILE)
			       ? uring_ready_poll_fd((unsigned)req->fd)
			       : -1;
	struct pollfd p = {.fd = stand_in >= 0 ? stand_in : req->fd,
			   .events = (short)req->poll_mask};

	(void)flags;
	if (stand_in >= 0)
		req->fd = stand_in;
	if (poll(&p, 1, 0) > 0) {
		if (p.revents & POLLNVAL) {
			req->res = -EBADF;
			return ISSUE_DONE;
		}
		if (!req->poll_multishot) {
			req->res = p.revents & (short)req->poll_mask;
			return ISSUE_DONE;
		}
	}
	/* Multishot: the edge-triggered arm reports the current state too. */
	return ISSUE_POLL;
}

void uring_poll_ready(struct uring_req *req, unsigned revents)
{
	/*
	 * A request waiting to retry its non-blocking attempt, or one whose
	 * file changed while it armed (no events): a poll then looks again.
	 */
	if (req->opcode != IORING_OP_POLL_ADD || !revents) {
		uring_req_issue(req, ISSUE_NONBLOCK);
		return;
	}
	revents &= req->poll_mask;
	if (req->poll_multishot)
		uring_req_complete(req, (__s32)revents, IORING_CQE_F_MORE);
	else
		uring_req_complete(req, (__s32)revents, 0);
}

int uring_poll_remove_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if ((sqe->len & ~POLL_UPDATE_FLAGS) || sqe->len == IORING_POLL_ADD_MULTI)
		return -EINVAL;
	req->addr2 = sqe->off; /* new user_data */
	req->poll_mask = poll_events(sqe);
	return 0;
}

static bool is_poll_add_for(struct uring_req *req, void *arg)
{
	return req->opcode == IORING_OP_POLL_ADD &&
	       req->user_data == *(__u64 *)arg;
}

enum issue_result uring_poll_remove_issue(struct uring_req *req, unsigned flags)
{
	unsigned upd = req->len;
	struct uring_req *target;

	(void)flags;
	target = poll_engine_take(req->ctx->poll, is_poll_add_for, &req->addr);
	if (!target) {
		req->res = -ENOENT;
		return ISSUE_DONE;
	}
	uring_post_cqe(req->ctx, req->user_data, 0, 0);
	req->flags |= IOSQE_CQE_SKIP_SUCCESS; /* posted above, before target */
	if (!(upd & (IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA))) {
		uring_req_complete(target, -ECANCELED, 0);
	} else {
		if (upd & IORING_POLL_UPDATE_EVENTS) {
			target->poll_mask = req->poll_mask;
			target->poll_multishot = upd & IORING_POLL_ADD_MULTI;
		}
		if (upd & IORING_POLL_UPDATE_USER_DATA)
			target->user_data = req->addr2;
		uring_req_issue(target, ISSUE_NONBLOCK);
	}
	req->res = 0;
	return ISSUE_DONE;
}
