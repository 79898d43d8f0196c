/* SPDX-License-Identifier: MIT */
/*
 * The ring fd's poll readiness. A userspace ring's fd is a memfd, which
 * poll and select report readable at once and forever, and epoll refuses
 * (EPERM, as for any regular file). The kernel's ring fd is readable while
 * CQEs wait, and wakes pollers when one is posted. So a ring that someone
 * polls gets a hidden eventfd that stands in for its fd wherever the
 * library sees a poll (the interposed poll, select and epoll calls, and
 * this backend's own POLL_ADD): it is signalled with each posting, and
 * drained, right before a poll, while the CQ is empty.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "ring.h"
#include "tsan.h"
#include "user.h"

/* Rings with a readiness eventfd, refreshed before every poll. */
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uring_ctx *ready_list;
static atomic_int ready_count;

/* Whether CQEs wait, as the kernel's poll asks: posted or overflowed. */
static bool cq_has_events(struct uring_ctx *ctx)
{
	unsigned head = __atomic_load_n(ctx->cq_head, __ATOMIC_ACQUIRE);
	unsigned tail = __atomic_load_n(ctx->cq_tail, __ATOMIC_RELAXED);

	return tail != head || ctx->overflow_head;
}

/*
 * Called with ctx->completion_lock held, so a posting cannot slip in.
 * The poll interceptors of ThreadSanitizer hide the lock from it when an
 * interposed poll gets here; the ring's own annotation (as the posting
 * path makes it) tells it the order.
 */
static void refresh_locked(struct uring_ctx *ctx)
{
	eventfd_t count;

	ring_tsan_acquire(ctx->fd);

	if (ctx->ready_fd < 0)
		return;
	if (cq_has_events(ctx)) {
		if (!ctx->ready_set && !eventfd_write(ctx->ready_fd, 1))
			ctx->ready_set = true;
	} else if (ctx->ready_set) {
		eventfd_read(ctx->ready_fd, &count);
		ctx->ready_set = false;
	}
	ring_tsan_release(ctx->fd);
}

void uring_ready_signal_locked(struct uring_ctx *ctx)
{
	/* Every posting wakes pollers, so edge-triggered epoll sees each. */
	ring_tsan_acquire(ctx->fd);
	if (ctx->ready_fd >= 0 && !eventfd_write(ctx->ready_fd, 1))
		ctx->ready_set = true;
	ring_tsan_release(ctx->fd);
}

int uring_ready_fd(struct uring_ctx *ctx)
{
	int fd;

	pthread_mutex_lock(&ready_lock);
	fd = ctx->ready_fd;
	if (fd < 0 && !ctx->dying) {
		fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd >= 0) {
			pthread_mutex_lock(&ctx->completion_lock);
			ring_tsan_acquire(ctx->fd);
			ctx->ready_fd = fd;
			ctx->ready_set = false;
			refresh_locked(ctx);
			pthread_mutex_unlock(&ctx->completion_lock);
			ctx->ready_next = ready_list;
			ready_list = ctx;
			atomic_fetch_add(&ready_count, 1);
		}
	}
	pthread_mutex_unlock(&ready_lock);
	return fd < 0 ? -ENOMEM : fd;
}

void uring_ready_refresh(struct uring_ctx *ctx)
{
	pthread_mutex_lock(&ctx->completion_lock);
	refresh_locked(ctx);
	pthread_mutex_unlock(&ctx->completion_lock);
}

void uring_ready_refresh_all(void)
{
	if (!atomic_load_explicit(&ready_count, memory_order_relaxed))
		return;
	pthread_mutex_lock(&ready_lock);
	for (struct uring_ctx *ctx = ready_list; ctx; ctx = ctx->ready_next)
		uring_ready_refresh(ctx);
	pthread_mutex_unlock(&ready_lock);
}

void uring_ready_release(struct uring_ctx *ctx)
{
	struct uring_ctx **p;
	int fd;

	pthread_mutex_lock(&ready_lock);
	for (p = &ready_list; *p; p = &(*p)->ready_next)
		if (*p == ctx) {
			*p = ctx->ready_next;
			atomic_fetch_sub(&ready_count, 1);
			break;
		}
	pthread_mutex_lock(&ctx->completion_lock);
	ring_tsan_acquire(ctx->fd);
	fd = ctx->ready_fd;
	ctx->ready_fd = -1;
	ring_tsan_release(ctx->fd);
	pthread_mutex_unlock(&ctx->completion_lock);
	pthread_mutex_unlock(&ready_lock);
	if (fd >= 0)
		kernel_close(fd);
}

int uring_ready_poll_fd(unsigned fd)
{
	struct uring_ctx *ctx = uring_ctx_get(fd, 0);
	int ret;

	if (!ctx)
		return -1;
	ret = uring_ready_fd(ctx);
	if (ret >= 0)
		uring_ready_refresh(ctx);
	uring_ctx_put(ctx);
	return ret;
}
