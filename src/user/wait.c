/* SPDX-License-Identifier: MIT */
/*
 * GETEVENTS: waiting for min_complete CQEs with the kernel's argument
 * rules, relative or absolute timeouts, the min-wait window and a signal
 * mask. Waiters sleep on a futex bumped by every CQE post, so a signal
 * interrupts them with EINTR as it would in the kernel.
 */
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "uaccess.h"
#include "user.h"

#define WAIT_SPIN_NS 20000

struct wait_args {
	bool has_sigmask;
	sigset_t sigmask;
	bool has_deadline;
	struct timespec deadline; /* CLOCK_MONOTONIC */
	bool has_min_wait;
	struct timespec min_deadline;
};

void uring_timespec_add_ns(struct timespec *t, long long ns)
{
	t->tv_sec += ns / 1000000000LL;
	t->tv_nsec += ns % 1000000000LL;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

int uring_timespec_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* Turn a user timespec into a CLOCK_MONOTONIC deadline. */
int uring_timespec_to_deadline(const struct __kernel_timespec *ts, bool abs,
			       clockid_t clock, struct timespec *deadline)
{
	struct timespec now, mono;

	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000LL)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (!abs) {
		*deadline = mono;
		uring_timespec_add_ns(deadline, ts->tv_sec * 1000000000LL + ts->tv_nsec);
		return 0;
	}
	/* An absolute time on another clock: convert by the clocks' offset. */
	clock_gettime(clock, &now);
	*deadline = mono;
	uring_timespec_add_ns(deadline,
			(ts->tv_sec - now.tv_sec) * 1000000000LL +
				(ts->tv_nsec - now.tv_nsec));
	return 0;
}

/* The kernel's sigset is _NSIG / 8 bytes; glibc's sigset_t is larger. */
static int copy_sigmask(struct wait_args *w, const void *user, size_t size)
{
	if (!user)
		return 0;
	if (size != _NSIG / 8)
		return -EINVAL;
	sigemptyset(&w->sigmask);
	w->has_sigmask = true;
	return uring_copy_from_user(&w->sigmask, user, _NSIG / 8);
}

/*
 * IORING_ENTER_EXT_ARG_REG: the same arguments, read from an entry of the
 * registered wait region; a timeout in it is copied into ts.
 */
static int wait_region_args(struct uring_ctx *ctx, const void *arg,
			    size_t argsz, struct io_uring_getevents_arg *ga,
			    struct __kernel_timespec *ts)
{
	const struct io_uring_reg_wait *entry;
	struct io_uring_reg_wait w;

	if (argsz != sizeof(w))
		return -EINVAL;
	entry = uring_wait_region_entry(ctx, arg);
	if (!entry || uring_copy_from_user(&w, entry, sizeof(w)))
		return -EFAULT;
	if (w.flags & ~(__u32)IORING_REG_WAIT_TS)
		return -EINVAL;
	memset(ga, 0, sizeof(*ga));
	ga->sigmask = w.sigmask;
	ga->sigmask_sz = w.sigmask_sz;
	ga->min_wait_usec = w.min_wait_usec;
	if (w.flags & IORING_REG_WAIT_TS) {
		*ts = w.ts;
		ga->ts = (uintptr_t)ts;
	}
	return 0;
}

static int parse_args(struct uring_ctx *ctx, unsigned flags,
		      const void *arg, size_t argsz, struct wait_args *w)
{
	struct io_uring_getevents_arg ga;
	struct __kernel_timespec ts;
	int ret;

	memset(w, 0, sizeof(*w));
	if (flags & IORING_ENTER_EXT_ARG_REG) {
		ret = wait_region_args(ctx, arg, argsz, &ga, &ts);
	} else {
		if (!(flags & IORING_ENTER_EXT_ARG))
			return copy_sigmask(w, arg, argsz);
		if (argsz != sizeof(ga))
			return -EINVAL;
		ret = uring_copy_from_user(&ga, arg, sizeof(ga));
	}
	if (ret)
		return ret;
	ret = copy_sigmask(w, (const void *)(uintptr_t)ga.sigmask, ga.sigmask_sz);
	if (ret)
		return ret;
	if (ga.ts) {
		/* A region entry's time is already here. */
		if (ga.ts != (uintptr_t)&ts)
			ret = uring_copy_from_user(&ts, (void *)(uintptr_t)ga.ts,
					     sizeof(ts));
		if (ret)
			return ret;
		/* Absolute times are on the clock REGISTER_CLOCK chose. */
		ret = uring_timespec_to_deadline(&ts,
						 flags & IORING_ENTER_ABS_TIMER,
						 ctx->clock, &w->deadline);
		if (ret)
			return ret;
		w->has_deadline = true;
	}
	if (ga.min_wait_usec) {
		clock_gettime(CLOCK_MONOTONIC, &w->min_deadline);
		uring_timespec_add_ns(&w->min_deadline, ga.min_wait_usec * 1000LL);
		w->has_min_wait = true;
	}
	return 0;
}

bool uring_spin_until(bool (*ready)(const void *), const void *arg,
		      long long ns)
{
	struct timespec until, now;

	clock_gettime(CLOCK_MONOTONIC, &until);
	uring_timespec_add_ns(&until, ns);
	do {
		for (int i = 0; i < 64; i++) {
			if (ready(arg))
				return true;
			__builtin_ia32_pause();
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (uring_timespec_cmp(&now, &until) < 0);
	return false;
}

struct cq_watch {
	const struct uring_ctx *ctx;
	unsigned seen;
};

static bool cq_moved(const void *arg)
{
	const struct cq_watch *w = arg;

	return atomic_load_explicit(&w->ctx->shared->cq_events,
				    memory_order_acquire) != w->seen;
}

/* Sleep on the futex word; 0 when woken, -ETIME or -EINTR. */
static long cq_sleep(struct uring_ctx *ctx, unsigned seen,
		     const struct timespec *deadline)
{
	long ret;

	/*
	 * FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time; not
	 * private: a poster may be another process sharing the ring.
	 */
	ret = kernel_syscall6(__NR_futex, (long)&ctx->shared->cq_events,
			      FUTEX_WAIT_BITSET, seen, (long)deadline, 0,
			      FUTEX_BITSET_MATCH_ANY);
	if (ret == -ETIMEDOUT)
		return -ETIME;
	if (ret == -EINTR)
		return -EINTR;
	return 0;
}

/*
 * Wait until the futex word moves from seen, a deadline passes (ETIME),
 * or a signal (EINTR). While workers have requests a completion is
 * microseconds away, so the word is watched a while before sleeping. Only
 * sleepers count in cq_waiters: posting skips the wake-up call otherwise.
 */
int uring_cq_wait_event(struct uring_ctx *ctx, unsigned seen,
			    const struct timespec *deadline)
{
	struct cq_watch w = {ctx, seen};
	long ret;

	if (iowq_busy(ctx->wq) && uring_spin_until(cq_moved, &w, WAIT_SPIN_NS))
		return 0;
	ret = ctx->poll ? poll_engine_wait(ctx->poll, seen, deadline) : 1;
	if (ret <= 0)
		return (int)ret;
	atomic_fetch_add(&ctx->shared->cq_waiters, 1);
	ret = cq_sleep(ctx, seen, deadline);
	atomic_fetch_sub(&ctx->shared->cq_waiters, 1);
	return (int)ret;
}

int uring_wait_cqes(struct uring_ctx *ctx, unsigned min_complete,
		    unsigned flags, const void *arg, size_t argsz)
{
	struct wait_args w;
	unsigned timeouts;
	sigset_t old;
	int ret;

	ret = parse_args(ctx, flags, arg, argsz, &w);
	if (ret)
		return ret;
	if (min_complete > ctx->cq_entries)
		min_complete = ctx->cq_entries;
	if (w.has_sigmask)
		pthread_sigmask(SIG_SETMASK, &w.sigmask, &old);
	/* A timeout's CQE ends the wait, however few CQEs (as in 6.18). */
	timeouts = __atomic_load_n(&ctx->cq_timeouts, __ATOMIC_ACQUIRE);
	for (;;) {
		unsigned seen = atomic_load_explicit(&ctx->shared->cq_events,
						     memory_order_acquire);
		unsigned want = min_complete;
		const struct timespec *until = w.has_deadline ? &w.deadline : NULL;
		struct timespec now;

		uring_flush_overflow(ctx);
		/* The clock is read only for the waits that have a time. */
		if (w.has_min_wait || w.has_deadline)
			clock_gettime(CLOCK_MONOTONIC, &now);
		/* After the min-wait window, any CQE ends the wait. */
		if (w.has_min_wait) {
			if (uring_timespec_cmp(&now, &w.min_deadline) >= 0)
				want = 1;
			else if (!until ||
				 uring_timespec_cmp(&w.min_deadline, until) < 0)
				until = &w.min_deadline;
		}
		if (uring_cq_ready(ctx) >= want ||
		    __atomic_load_n(&ctx->cq_timeouts, __ATOMIC_ACQUIRE) !=
			    timeouts) {
			ret = 0;
			break;
		}
		if (w.has_deadline &&
		    uring_timespec_cmp(&now, &w.deadline) >= 0) {
			ret = -ETIME;
			break;
		}
		ret = uring_cq_wait_event(ctx, seen, until);
		if (ret == -EINTR)
			break;
	}
	if (w.has_sigmask)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* 6.18 reports a timeout or a signal only when the CQ is empty. */
	return uring_cq_ready(ctx) ? 0 : ret;
}
