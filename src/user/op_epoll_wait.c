/* SPDX-License-Identifier: MIT */
/*
 * EPOLL_WAIT: sqe->fd is the epoll instance, addr the events array and
 * len maxevents. It collects the events that are ready with a zero
 * timeout; with none, it waits in the poll engine for the instance to be
 * readable (an epoll fd is pollable) and looks again, as the kernel arms
 * its poll. 6.18 has no multishot form (ioprio is refused).
 */
#include <sys/epoll.h>

#include "kernel/syscall.h"
#include "ops.h"

int uring_epoll_wait_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	if (sqe->off || sqe->rw_flags || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	return 0;
}

enum issue_result uring_epoll_wait_issue(struct uring_req *req, unsigned flags)
{
	long r = kernel_syscall6(__NR_epoll_pwait, req->fd, (long)req->addr,
				 (int)req->len, 0, 0, 0);

	(void)flags;
	if (r == 0) {
		req->poll_mask = EPOLLIN;
		return ISSUE_POLL;
	}
	req->res = (__s32)r;
	return ISSUE_DONE;
}
