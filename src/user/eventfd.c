/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_EVENTFD, REGISTER_EVENTFD_ASYNC, UNREGISTER_EVENTFD
 * (kernel-semantics.md §3.4, §3.5, §3.7): a registered eventfd is
 * signalled for each CQE posted, unless the application set
 * IORING_CQ_EVENTFD_DISABLED; the async variant only for CQEs posted by
 * workers, as the kernel signals only io-wq completions then.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd_dup.h"
#include "kernel/syscall.h"
#include "uaccess.h"
#include "user.h"

/* Set in worker threads: their completions count as asynchronous. */
static __thread bool in_worker;

void uring_eventfd_worker_thread(void)
{
	in_worker = true;
}

static bool is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[eventfd]");
}

int uring_eventfd_register(struct uring_ctx *ctx, const void *arg, unsigned nr,
			   bool async)
{
	int fd, dup_fd;

	if (nr != 1)
		return -EINVAL;
	/* Busy is checked before the argument is read. */
	if (ctx->eventfd >= 0)
		return -EBUSY;
	if (uring_copy_from_user(&fd, arg, sizeof(fd)))
		return -EFAULT;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (!is_eventfd(fd))
		return -EINVAL;
	/* Hold the eventfd as the kernel holds its context. */
	dup_fd = uring_dup_fd(fd);
	if (dup_fd < 0)
		return -ENOMEM;
	ctx->eventfd_async = async;
	__atomic_store_n(&ctx->eventfd, dup_fd, __ATOMIC_RELEASE);
	return 0;
}

int uring_eventfd_unregister(struct uring_ctx *ctx, const void *arg,
			     unsigned nr)
{
	int fd;

	if (arg || nr)
		return -EINVAL;
	fd = __atomic_exchange_n(&ctx->eventfd, -1, __ATOMIC_ACQ_REL);
	if (fd < 0)
		return -ENXIO;
	kernel_close(fd);
	return 0;
}

/* After a CQE is posted: signal the eventfd if the rules say so. */
void uring_eventfd_signal(struct uring_ctx *ctx)
{
	int fd = __atomic_load_n(&ctx->eventfd, __ATOMIC_ACQUIRE);
	__u64 one = 1;

	if (fd < 0)
		return;
	if (__atomic_load_n(ctx->cq_flags, __ATOMIC_RELAXED) &
	    IORING_CQ_EVENTFD_DISABLED)
		return;
	if (ctx->eventfd_async && !in_worker)
		return;
	if (kernel_syscall6(__NR_write, fd, (long)&one, sizeof(one), 0, 0, 0) < 0) {
		/* A saturated counter: the reader is behind, as in the kernel. */
	}
}
