/* SPDX-License-Identifier: MIT */
/*
 * WAITID: waitid(2) with WNOHANG first; if no child has changed state, a
 * blocker thread waits with WNOWAIT, which consumes nothing, and reaps
 * with WNOHANG only while cancellation cannot take the request, so a
 * child's state is never lost to a cancelled request. Like the kernel,
 * it writes si_signo, si_errno, si_code, si_pid, si_uid and si_status of
 * infop, and nothing else, once the request ends (cancelled ones too).
 */
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "blocking.h"
#include "fd_dup.h"
#include "kernel/syscall.h"
#include "ops.h"
#include "uaccess.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct waitid_data {
	int which, options;
	int id;         /* a pid, a group, or (P_PIDFD) our duplicate */
	void *infop;
	bool done;
	long res;
};

int uring_waitid_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	struct waitid_data *d;

	if (sqe->addr || sqe->buf_index || sqe->addr3 || sqe->waitid_flags)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->which = (int)sqe->len;
	d->id = sqe->fd;
	d->options = (int)sqe->file_index;
	d->infop = (void *)(uintptr_t)sqe->addr2;
	req->op_data = d;
	return 0;
}

/* The fields the kernel writes, from si (zero when nothing was found). */
static int put_info(void *infop, const siginfo_t *si)
{
	int head[3] = {si->si_signo, 0, si->si_code};
	int tail[3] = {si->si_pid, (int)si->si_uid, si->si_status};

	if (!infop)
		return 0;
	if (uring_copy_to_user(infop, head, sizeof(head)) ||
	    uring_copy_to_user((char *)infop + offsetof(siginfo_t, si_pid),
			       tail, sizeof(tail)))
		return -EFAULT;
	return 0;
}

static long sys_waitid(const struct waitid_data *d, siginfo_t *si,
		       int options)
{
	*si = (siginfo_t){0};
	return kernel_syscall6(__NR_waitid, d->which, d->id, (long)si, options,
			       0, 0);
}

/*
 * One look without blocking, with the options given: the result, or
 * BLOCK_RETRY if nothing changed and the request is to wait for it.
 */
static long try_once(struct waitid_data *d, int options)
{
	siginfo_t si;
	long r = sys_waitid(d, &si, options | WNOHANG);

	if (r == 0 && !si.si_signo && !(options & WNOHANG))
		return BLOCK_RETRY;
	/* Errors of the arguments come before the kernel writes anything. */
	if (r < 0 && r != -ECHILD)
		return r;
	return put_info(d->infop, &si) ? -EFAULT : r;
}

/* In the blocker: wait for a change without consuming it. */
static long waitid_block(struct uring_req *req, struct blocker *b)
{
	struct waitid_data *d = req->op_data;
	siginfo_t si;

	(void)b;
	/* A pidfd made non-blocking since: the request stops waiting. */
	if (sys_waitid(d, &si, d->options | WNOWAIT) == -EAGAIN)
		__atomic_store_n(&d->options, d->options | WNOHANG,
				 __ATOMIC_RELAXED);
	return BLOCK_RETRY;
}

static long waitid_finish(struct uring_req *req)
{
	struct waitid_data *d = req->op_data;

	return try_once(d, __atomic_load_n(&d->options, __ATOMIC_RELAXED));
}

static bool waitid_queued(struct uring_req *req, struct blocker *b)
{
	(void)req;
	(void)b;
	return true;
}

static void waitid_cancelled(struct uring_req *req)
{
	struct waitid_data *d = req->op_data;
	siginfo_t none = {0};

	/* The kernel writes the empty result, and still says -ECANCELED. */
	put_info(d->infop, &none);
}

static void waitid_done(struct uring_req *req, long res)
{
	struct waitid_data *d = req->op_data;

	d->res = res;
	d->done = true;
}

static const struct blocking_op waitid_blocking = {
	.wait = waitid_block,
	.finish = waitid_finish,
	.queued = waitid_queued,
	.cancelled = waitid_cancelled,
	.done = waitid_done,
	.order = 0, /* the kernel's cancel looks at waitid before futexes */
};

/*
 * A pidfd is held by a duplicate of ours, as the kernel holds its pid;
 * one opened O_NONBLOCK makes the request not wait, as in the kernel.
 */
static int pidfd_hold(struct uring_req *req, struct waitid_data *d)
{
	long fl = kernel_syscall6(__NR_fcntl, d->id, F_GETFL, 0, 0, 0, 0);
	int dup;

	if (fl < 0)
		return d->id < 0 ? -EINVAL : -EBADF;
	if (fl & O_NONBLOCK)
		d->options |= WNOHANG;
	dup = uring_dup_fd(d->id);
	if (dup < 0)
		return dup;
	req->owned_fd = dup;
	d->id = dup;
	return 0;
}

enum issue_result uring_waitid_issue(struct uring_req *req, unsigned flags)
{
	struct waitid_data *d = req->op_data;
	long r;

	(void)flags;
	if (d->done) {
		req->res = (__s32)d->res;
		return ISSUE_DONE;
	}
	r = try_once(d, d->options);
	if (r == BLOCK_RETRY && d->which == P_PIDFD && req->owned_fd < 0) {
		int ret = pidfd_hold(req, d);

		r = ret ? ret : try_once(d, d->options);
	}
	if (r != BLOCK_RETRY) {
		req->res = (__s32)r;
		return ISSUE_DONE;
	}
	return blocking_arm(req, &waitid_blocking, false);
}
