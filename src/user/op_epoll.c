/* SPDX-License-Identifier: MIT */
/*
 * EPOLL_CTL: sqe->fd is the epoll instance, sqe->off the target fd and
 * sqe->len the operation. The event is copied at prep unless the
 * operation is EPOLL_CTL_DEL; both descriptors are plain ones, looked up
 * when it runs (IOSQE_FIXED_FILE is ignored, as the kernel ignores it).
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "kernel/syscall.h"
#include "uaccess.h"
#include "user.h"

int uring_epoll_ctl_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	struct epoll_event *ev;

	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	req->op_data = ev;
	/* Any other operation, even an invalid one, has its event read. */
	if (sqe->len == EPOLL_CTL_DEL)
		return 0;
	return uring_copy_from_user(ev, (void *)(uintptr_t)sqe->addr,
				    sizeof(*ev));
}

/* epoll_ctl only waits for the instance's mutex: it runs inline. */
enum issue_result uring_epoll_ctl_issue(struct uring_req *req, unsigned flags)
{
	(void)flags;
	req->res = (__s32)kernel_syscall6(__NR_epoll_ctl, req->orig_fd,
					  (long)req->len, (long)(int)req->off,
					  (long)req->op_data, 0, 0);
	return ISSUE_DONE;
}
