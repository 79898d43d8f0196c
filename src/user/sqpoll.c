/* SPDX-License-Identifier: MIT */
/*
 * SQPOLL: a thread that watches the SQ tail and submits without any
 * system call from the application. After sq_thread_idle milliseconds
 * without work it sets IORING_SQ_NEED_WAKEUP and sleeps until an
 * io_uring_enter(IORING_ENTER_SQ_WAKEUP).
 */
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "tsan.h"
#include "user.h"

#define DEFAULT_IDLE_MS 1000

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static bool sq_has_work(struct uring_ctx *ctx)
{
	return __atomic_load_n(ctx->sq_tail, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(ctx->sq_head, __ATOMIC_RELAXED);
}

static int submit_pending(struct uring_ctx *ctx)
{
	int n = 0;

	pthread_mutex_lock(&ctx->uring_lock);
	if (!ctx->disabled && sq_has_work(ctx)) {
		ring_tsan_acquire(ctx->fd);
		n = uring_submit_sqes(ctx, ~0U);
	}
	pthread_mutex_unlock(&ctx->uring_lock);
	uring_events_try_run(ctx);
	return n;
}

/* Publish NEED_WAKEUP, look once more, then sleep until woken. */
static void sleep_until_woken(struct uring_ctx *ctx)
{
	atomic_uint *word = &ctx->shared->sq_wakeups;
	unsigned seen = atomic_load(word);

	__atomic_fetch_or(ctx->sq_flags, IORING_SQ_NEED_WAKEUP, __ATOMIC_SEQ_CST);
	/* Not private: a forked child sharing the ring may wake us. */
	if (!sq_has_work(ctx) && !atomic_load(&ctx->sq_thread_stop))
		kernel_syscall6(__NR_futex, (long)word, FUTEX_WAIT, seen, 0, 0,
				0);
	__atomic_fetch_and(ctx->sq_flags, ~IORING_SQ_NEED_WAKEUP,
			   __ATOMIC_SEQ_CST);
}

static void *sq_thread_main(void *arg)
{
	struct uring_ctx *ctx = arg;
	long last_work = now_ms();
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!atomic_load(&ctx->sq_thread_stop)) {
		if (submit_pending(ctx)) {
			last_work = now_ms();
			continue;
		}
		if (now_ms() - last_work >= ctx->sq_thread_idle_ms) {
			sleep_until_woken(ctx);
			last_work = now_ms();
			continue;
		}
		sched_yield();
	}
	return NULL;
}

void uring_sqpoll_wake(struct uring_ctx *ctx)
{
	atomic_uint *word = &ctx->shared->sq_wakeups;

	atomic_fetch_add(word, 1);
	kernel_syscall6(__NR_futex, (long)word, FUTEX_WAKE, 1, 0, 0, 0);
}

/* Whether cpu is online, from the list the kernel publishes ("0-3,6"). */
static bool cpu_online(unsigned cpu)
{
	char list[512], *p = list;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	size_t n = f ? fread(list, 1, sizeof(list) - 1, f) : 0;

	if (f)
		fclose(f);
	if (!n) {
		long nr = sysconf(_SC_NPROCESSORS_ONLN);

		return nr > 0 && cpu < (unsigned long)nr;
	}
	list[n] = '\0';
	while (*p >= '0' && *p <= '9') {
		unsigned long lo = strtoul(p, &p, 10), hi = lo;

		if (*p == '-')
			hi = strtoul(p + 1, &p, 10);
		if (cpu >= lo && cpu <= hi)
			return true;
		if (*p != ',')
			break;
		p++;
	}
	return false;
}

int uring_sqpoll_start(struct uring_ctx *ctx, const struct io_uring_params *p)
{
	bool pinned = p->flags & IORING_SETUP_SQ_AFF;

	if (pinned && (p->sq_thread_cpu >= CPU_SETSIZE ||
		       !cpu_online(p->sq_thread_cpu)))
		return -EINVAL;
	ctx->sq_thread_idle_ms = p->sq_thread_idle ? p->sq_thread_idle
						   : DEFAULT_IDLE_MS;
	atomic_store(&ctx->sq_thread_stop, false);
	if (pthread_create(&ctx->sq_thread, NULL, sq_thread_main, ctx))
		return -ENOMEM;
	ctx->sq_thread_running = true;
	/* The kernel binds its SQ thread to that CPU; a cpuset may refuse. */
	if (pinned) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(p->sq_thread_cpu, &set);
		pthread_setaffinity_np(ctx->sq_thread, sizeof(set), &set);
	}
	return 0;
}

void uring_sqpoll_stop(struct uring_ctx *ctx)
{
	if (!ctx->sq_thread_running)
		return;
	atomic_store(&ctx->sq_thread_stop, true);
	uring_sqpoll_wake(ctx);
	pthread_join(ctx->sq_thread, NULL);
	ctx->sq_thread_running = false;
}
