/* SPDX-License-Identifier: MIT */
/*
 * Differential: the waiting operations FUTEX_WAIT, FUTEX_WAKE,
 * FUTEX_WAITV, WAITID and EPOLL_WAIT on both backends: waits ended by a
 * wake from the ring, from another ring and from futex(2) on another
 * thread, by a child's exit and by an epoll event; stale values, the
 * index a vector wait reports, each error the kernel gives at prep and at
 * issue, cancellation (by user_data, ALL, ANY, fd, opcode, link timeout,
 * REGISTER_SYNC_CANCEL), links, IOSQE_ASYNC, CQE_SKIP_SUCCESS, and ring
 * teardown with each pending (no thread or fd left behind).
 *
 * A wait is known to be pending without sleeping: nothing has completed
 * after its submission (the kernel queues it while submitting, and so
 * must the userspace backend), and a wake then counts it.
 */
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "diff.h"

/* futex2 flags, which this system's headers may not have. */
#define F2_U8 0x00
#define F2_U32 0x02
#define F2_U64 0x03
#define F2_NUMA 0x04
#define F2_MPOL 0x08
#define F2_PRIVATE 128
#define PRIV (F2_U32 | F2_PRIVATE)
#define ANY FUTEX_BITSET_MATCH_ANY

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Futex words: each scenario starts them at 0. */
static _Alignas(64) uint32_t fw[160];

static void wait_sqe(struct diff_ctx *c, __u64 ud, uint32_t *f, __u64 val,
		     __u64 mask, unsigned flags)
{
	io_uring_prep_futex_wait(diff_sqe(c, ud), f, val, mask, flags, 0);
}

static void wake_sqe(struct diff_ctx *c, __u64 ud, uint32_t *f, __u64 nr,
		     __u64 mask, unsigned flags)
{
	io_uring_prep_futex_wake(diff_sqe(c, ud), f, nr, mask, flags, 0);
}

static long futex_wake_syscall(uint32_t *f, int nr, unsigned op)
{
	return syscall(SYS_futex, f, op, nr, NULL, NULL, 0);
}

struct waker {
	uint32_t *f;
	long woken;
};

static void *waker_main(void *p)
{
	struct waker *w = p;

	w->woken = futex_wake_syscall(w->f, INT_MAX, FUTEX_WAKE_PRIVATE);
	return NULL;
}

/* futex(2) FUTEX_WAKE from another thread: how many it woke. */
static long wake_from_thread(uint32_t *f)
{
	struct waker w = {f, -1};
	pthread_t t;

	REQUIRE_EQ(pthread_create(&t, NULL, waker_main, &w), 0);
	pthread_join(t, NULL);
	return w.woken;
}

static void reset_words(void)
{
	memset(fw, 0, sizeof(fw));
}

/* Add flags to the SQE prepared last. */
static void last_flags(struct diff_ctx *c, __u8 flags)
{
	struct io_uring_sq *sq = &c->ring.sq;

	sq->sqes[(sq->sqe_tail - 1) & sq->ring_mask].flags |= flags;
}

/* ------------------------------------------------------------------ */

static void futex_prep_errors(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	reset_words();
	wait_sqe(c, 1, &fw[0], 0, ANY, F2_U64);
	DIFF_CHECK(c);
	wait_sqe(c, 2, &fw[0], 0, ANY, F2_U8);
	DIFF_CHECK(c);
	wait_sqe(c, 3, &fw[0], 0, ANY, PRIV | 0x100);
	DIFF_CHECK(c);
	wait_sqe(c, 4, &fw[0], 1ULL << 32, ANY, PRIV);
	DIFF_CHECK(c);
	wait_sqe(c, 5, &fw[0], 0, 1ULL << 32, PRIV);
	DIFF_CHECK(c);
	s = diff_sqe(c, 6);
	io_uring_prep_futex_wait(s, &fw[0], 0, ANY, PRIV, 0);
	s->len = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 7);
	io_uring_prep_futex_wait(s, &fw[0], 0, ANY, PRIV, 0);
	s->futex_flags = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 8);
	io_uring_prep_futex_wait(s, &fw[0], 0, ANY, PRIV, 0);
	s->buf_index = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 9);
	io_uring_prep_futex_wait(s, &fw[0], 0, ANY, PRIV, 0);
	s->file_index = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 10);
	io_uring_prep_futex_wait(s, &fw[0], 0, ANY, PRIV, 0);
	s->ioprio = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 11);
	io_uring_prep_futex_wait(s, &fw[0], 0, ANY, PRIV, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	DIFF_CHECK(c);
	/* Wake shares the wait's checks. */
	wake_sqe(c, 12, &fw[0], 1ULL << 32, ANY, PRIV);
	DIFF_CHECK(c);
	wake_sqe(c, 13, &fw[0], 1, ANY, F2_U64);
	DIFF_CHECK(c);
	s = diff_sqe(c, 14);
	io_uring_prep_futex_wake(s, &fw[0], 1, ANY, PRIV, 0);
	s->len = 1;
	DIFF_CHECK(c);
}

static void futex_issue_errors(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	reset_words();
	fw[0] = 5;
	/* Stale value, mask 0, misaligned, unmapped, NUMA node 0 check. */
	wait_sqe(c, 1, &fw[0], 4, ANY, PRIV);
	DIFF_CHECK(c);
	wait_sqe(c, 2, &fw[0], 5, 0, PRIV);
	DIFF_CHECK(c);
	wait_sqe(c, 3, (uint32_t *)((char *)&fw[0] + 1), 5, ANY, PRIV);
	DIFF_CHECK(c);
	wait_sqe(c, 4, (uint32_t *)16, 5, ANY, PRIV);
	DIFF_CHECK(c);
	wait_sqe(c, 5, NULL, 5, ANY, PRIV);
	DIFF_CHECK(c);
	fw[1] = 0x7fffffff; /* a node that does not exist */
	wait_sqe(c, 6, &fw[0], 5, ANY, PRIV | F2_NUMA);
	DIFF_CHECK(c);
	/* Wake: mask 0, misaligned, private unmapped (no access), shared. */
	wake_sqe(c, 10, &fw[0], 1, 0, PRIV);
	DIFF_CHECK(c);
	wake_sqe(c, 11, (uint32_t *)((char *)&fw[0] + 2), 1, ANY, PRIV);
	DIFF_CHECK(c);
	wake_sqe(c, 12, (uint32_t *)16, 1, ANY, PRIV);
	DIFF_CHECK(c);
	wake_sqe(c, 13, (uint32_t *)16, 1, ANY, F2_U32);
	DIFF_CHECK(c);
	wake_sqe(c, 14, &fw[0], 0, ANY, PRIV);
	DIFF_CHECK(c);
	wake_sqe(c, 15, &fw[0], 0xffffffff, ANY, PRIV | F2_MPOL);
	DIFF_CHECK(c);
	/* IOSQE_FIXED_FILE and off mean nothing to a futex op. */
	s = diff_sqe(c, 16);
	io_uring_prep_futex_wait(s, &fw[0], 4, ANY, PRIV, 0);
	s->flags |= IOSQE_FIXED_FILE;
	s->off = 1;
	DIFF_CHECK(c);
	/* A stale wait breaks its link; skipped successes stay skipped. */
	wait_sqe(c, 20, &fw[0], 4, ANY, PRIV);
	last_flags(c, IOSQE_IO_LINK);
	diff_sqe(c, 21);
	wake_sqe(c, 22, &fw[0], 1, ANY, PRIV);
	last_flags(c, IOSQE_CQE_SKIP_SUCCESS);
	wake_sqe(c, 23, &fw[0], 1, 0, PRIV);
	last_flags(c, IOSQE_CQE_SKIP_SUCCESS);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
}

static void futex_wakes(struct diff_ctx *c)
{
	struct io_uring other;

	reset_words();
	/* Woken by a wake of the same ring, in a later submission. */
	wait_sqe(c, 1, &fw[0], 0, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	wake_sqe(c, 2, &fw[0], INT_MAX, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* Queued while submitting: the wake right after it counts it. */
	wait_sqe(c, 3, &fw[0], 0, ANY, PRIV);
	wake_sqe(c, 4, &fw[0], 1, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* Woken by futex(2) on another thread; two waiters, one woken. */
	wait_sqe(c, 5, &fw[1], 0, ANY, PRIV);
	wait_sqe(c, 6, &fw[1], 0, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	diff_ret(c, futex_wake_syscall(&fw[1], 1, FUTEX_WAKE_PRIVATE),
		 __LINE__);
	DIFF_WAIT(c, 1);
	diff_ret(c, wake_from_thread(&fw[1]), __LINE__);
	DIFF_WAIT(c, 1);
	/* A shared wake does not reach a private waiter. */
	wait_sqe(c, 7, &fw[2], 0, ANY, PRIV);
	DIFF_SUBMIT(c);
	wake_sqe(c, 8, &fw[2], 1, ANY, F2_U32);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	diff_ret(c, wake_from_thread(&fw[2]), __LINE__);
	DIFF_WAIT(c, 1);
	/* Woken by another ring's wake; a shared waiter by a shared wake. */
	REQUIRE_EQ(anyring_set_backend(c->backend), 0);
	REQUIRE_EQ(io_uring_queue_init(8, &other, 0), 0);
	anyring_set_backend(ANYRING_BACKEND_AUTO);
	wait_sqe(c, 9, &fw[3], 0, ANY, F2_U32);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	io_uring_prep_futex_wake(io_uring_get_sqe(&other), &fw[3], 5, ANY,
				 F2_U32, 0);
	io_uring_submit(&other);
	{
		struct io_uring_cqe *cqe;

		REQUIRE_EQ(io_uring_wait_cqe(&other, &cqe), 0);
		diff_ret(c, cqe->res, __LINE__);
		io_uring_cqe_seen(&other, cqe);
	}
	DIFF_WAIT(c, 1);
	io_uring_queue_exit(&other);
	/* Bitsets: a wake whose mask misses the waiter's leaves it. */
	wait_sqe(c, 10, &fw[4], 0, 2, PRIV);
	DIFF_SUBMIT(c);
	wake_sqe(c, 11, &fw[4], 10, 1, PRIV);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	wake_sqe(c, 12, &fw[4], 10, 6, PRIV);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* A woken wait with CQE_SKIP_SUCCESS posts nothing. */
	wait_sqe(c, 13, &fw[5], 0, ANY, PRIV);
	last_flags(c, IOSQE_CQE_SKIP_SUCCESS);
	DIFF_SUBMIT(c);
	wake_sqe(c, 14, &fw[5], 1, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* A woken wait starts its link. */
	wait_sqe(c, 15, &fw[6], 0, ANY, PRIV);
	last_flags(c, IOSQE_IO_LINK);
	diff_sqe(c, 16);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	wake_sqe(c, 17, &fw[6], 1, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
}

/*
 * IOSQE_ASYNC: the wait is queued by a worker, some time after the
 * submission on either backend; wakes are repeated until one counts it.
 */
static void futex_async(struct diff_ctx *c)
{
	long woken = 0;

	reset_words();
	wait_sqe(c, 1, &fw[0], 0, ANY, PRIV);
	last_flags(c, IOSQE_ASYNC);
	DIFF_SUBMIT(c);
	for (long i = 0; i < 100000000 && !woken; i++)
		woken = futex_wake_syscall(&fw[0], 1, FUTEX_WAKE_PRIVATE);
	diff_ret(c, woken, __LINE__);
	DIFF_WAIT(c, 1);
	/* A stale value found by the worker. */
	wait_sqe(c, 2, &fw[0], 3, ANY, PRIV);
	last_flags(c, IOSQE_ASYNC);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

/*
 * Many waiters at once, each a waiter of its own (one wake counts them
 * all); a drain waits for pending waits.
 */
static void futex_many(struct diff_ctx *c)
{
	reset_words();
	for (unsigned i = 0; i < 40; i++)
		wait_sqe(c, 100 + i, &fw[i % 2], 0, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	diff_ret(c, futex_wake_syscall(&fw[0], 5, FUTEX_WAKE_PRIVATE),
		 __LINE__);
	DIFF_WAIT_SORTED(c, 5);
	wake_sqe(c, 1, &fw[0], INT_MAX, ANY, PRIV);
	wake_sqe(c, 2, &fw[1], INT_MAX, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 37);
	/* A drained request runs once the wait before it has ended. */
	wait_sqe(c, 3, &fw[2], 0, ANY, PRIV);
	diff_sqe(c, 4);
	last_flags(c, IOSQE_IO_DRAIN);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	diff_ret(c, wake_from_thread(&fw[2]), __LINE__);
	DIFF_WAIT(c, 2);
}

static void waitv_set(struct futex_waitv *v, unsigned n, unsigned flags)
{
	memset(v, 0, n * sizeof(*v));
	for (unsigned i = 0; i < n; i++) {
		v[i].uaddr = (uintptr_t)&fw[i];
		v[i].flags = flags;
	}
}

static void futex_waitv(struct diff_ctx *c)
{
	static struct futex_waitv v[130];
	struct io_uring_sqe *s;

	reset_words();
	/* The index of the futex that woke it. */
	waitv_set(v, 3, PRIV);
	io_uring_prep_futex_waitv(diff_sqe(c, 1), v, 3, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	diff_ret(c, wake_from_thread(&fw[1]), __LINE__);
	DIFF_WAIT(c, 1);
	io_uring_prep_futex_waitv(diff_sqe(c, 2), v, 3, 0);
	wake_sqe(c, 3, &fw[2], 1, ANY, PRIV);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* Mixed private and shared futexes; a shared one woken. */
	v[0].flags = F2_U32;
	io_uring_prep_futex_waitv(diff_sqe(c, 4), v, 3, 0);
	DIFF_SUBMIT(c);
	diff_ret(c, futex_wake_syscall(&fw[0], 1, FUTEX_WAKE), __LINE__);
	DIFF_WAIT(c, 1);
	/* 128 futexes, the most: the last one woken. */
	waitv_set(v, 128, PRIV);
	io_uring_prep_futex_waitv(diff_sqe(c, 5), v, 128, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	diff_ret(c, wake_from_thread(&fw[127]), __LINE__);
	DIFF_WAIT(c, 1);
	/* Stale values: the first in order decides, EAGAIN before EFAULT. */
	fw[1] = 7;
	io_uring_prep_futex_waitv(diff_sqe(c, 6), v, 3, 0);
	DIFF_CHECK(c);
	v[2].uaddr = 16;
	io_uring_prep_futex_waitv(diff_sqe(c, 7), v, 3, 0);
	DIFF_CHECK(c);
	fw[1] = 0;
	io_uring_prep_futex_waitv(diff_sqe(c, 8), v, 3, 0);
	DIFF_CHECK(c);
	v[2].uaddr = (uintptr_t)&fw[2] + 1;
	fw[1] = 7;
	io_uring_prep_futex_waitv(diff_sqe(c, 9), v, 3, 0);
	DIFF_CHECK(c);
	fw[1] = 0;
	waitv_set(v, 3, PRIV);
	v[1].flags = PRIV | F2_NUMA;
	fw[2] = 0x7fffffff;
	io_uring_prep_futex_waitv(diff_sqe(c, 10), v, 2, 0);
	DIFF_CHECK(c);
	fw[2] = 0;
	/* Prep: counts, fields, entries (flags, reserved, value). */
	waitv_set(v, 3, PRIV);
	io_uring_prep_futex_waitv(diff_sqe(c, 20), v, 0, 0);
	DIFF_CHECK(c);
	io_uring_prep_futex_waitv(diff_sqe(c, 21), v, 129, 0);
	DIFF_CHECK(c);
	io_uring_prep_futex_waitv(diff_sqe(c, 22), (void *)16, 2, 0);
	DIFF_CHECK(c);
	s = diff_sqe(c, 23);
	io_uring_prep_futex_waitv(s, v, 2, 0);
	s->fd = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 24);
	io_uring_prep_futex_waitv(s, v, 2, 0);
	s->addr2 = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 25);
	io_uring_prep_futex_waitv(s, v, 2, 0);
	s->addr3 = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 26);
	io_uring_prep_futex_waitv(s, v, 2, 0);
	s->futex_flags = 1;
	DIFF_CHECK(c);
	v[1].__reserved = 1;
	io_uring_prep_futex_waitv(diff_sqe(c, 27), v, 2, 0);
	DIFF_CHECK(c);
	v[1].__reserved = 0;
	v[1].flags = F2_U64;
	io_uring_prep_futex_waitv(diff_sqe(c, 28), v, 2, 0);
	DIFF_CHECK(c);
	v[1].flags = PRIV;
	v[1].val = 1ULL << 32;
	io_uring_prep_futex_waitv(diff_sqe(c, 29), v, 2, 0);
	DIFF_CHECK(c);
	/* An invalid first entry is found before an unreadable second. */
	v[1].val = 0;
	v[0].flags = 0x100;
	{
		char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct futex_waitv *edge =
			(struct futex_waitv *)(page + 4096 - sizeof(*edge));

		*edge = v[0];
		munmap(page + 4096, 4096);
		io_uring_prep_futex_waitv(diff_sqe(c, 30), edge, 2, 0);
		DIFF_CHECK(c);
		edge->flags = PRIV;
		io_uring_prep_futex_waitv(diff_sqe(c, 31), edge, 2, 0);
		DIFF_CHECK(c);
		munmap(page, 4096);
	}
}

static void futex_cancel(struct diff_ctx *c)
{
	struct io_uring_sync_cancel_reg reg = {.timeout = {-1, -1}};
	struct __kernel_timespec ts = {.tv_nsec = 10000000};
	struct futex_waitv v[2];
	struct io_uring_sqe *s;

	reset_words();
	/* By user_data: the kernel's futex cancel answers 1, not 0. */
	wait_sqe(c, 1, &fw[0], 0, ANY, PRIV);
	DIFF_SUBMIT(c);
	io_uring_prep_cancel64(diff_sqe(c, 2), 1, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	diff_ret(c, futex_wake_syscall(&fw[0], INT_MAX, FUTEX_WAKE_PRIVATE),
		 __LINE__);
	/* ALL: the three in one round, counted once. */
	for (int i = 0; i < 3; i++)
		wait_sqe(c, 3, &fw[0], 0, ANY, PRIV);
	DIFF_SUBMIT(c);
	io_uring_prep_cancel64(diff_sqe(c, 4), 3, IORING_ASYNC_CANCEL_ALL);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 4);
	/* ANY: a poll first, then the futexes newest first, one a round. */
	waitv_set(v, 2, PRIV);
	wait_sqe(c, 5, &fw[0], 0, ANY, PRIV);
	io_uring_prep_poll_add(diff_sqe(c, 6), c->pipe[0], POLLIN);
	io_uring_prep_futex_waitv(diff_sqe(c, 7), v, 2, 0);
	wait_sqe(c, 8, &fw[1], 0, 4, PRIV);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	io_uring_prep_cancel64(diff_sqe(c, 9), 0, IORING_ASYNC_CANCEL_ANY);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 5);
	/* By fd: a futex has no file; by opcode. */
	wait_sqe(c, 10, &fw[0], 0, ANY, PRIV);
	DIFF_SUBMIT(c);
	io_uring_prep_cancel_fd(diff_sqe(c, 11), c->pipe[0], 0);
	io_uring_prep_cancel_fd(diff_sqe(c, 12), 0x7ffffff0, 0);
	s = diff_sqe(c, 13);
	io_uring_prep_cancel(s, NULL, IORING_ASYNC_CANCEL_OP);
	s->len = IORING_OP_FUTEX_WAIT;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 4);
	/* REGISTER_SYNC_CANCEL. */
	io_uring_prep_futex_waitv(diff_sqe(c, 14), v, 2, 0);
	DIFF_SUBMIT(c);
	reg.addr = 14;
	diff_ret(c, io_uring_register_sync_cancel(&c->ring, &reg), __LINE__);
	DIFF_WAIT(c, 1);
	diff_ret(c, io_uring_register_sync_cancel(&c->ring, &reg), __LINE__);
	/* A link timeout: its CQE says what the cancel counted. */
	wait_sqe(c, 15, &fw[0], 0, ANY, PRIV);
	last_flags(c, IOSQE_IO_LINK);
	io_uring_prep_link_timeout(diff_sqe(c, 16), &ts, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	wait_sqe(c, 17, &fw[0], 0, 8, PRIV);
	last_flags(c, IOSQE_IO_LINK);
	io_uring_prep_link_timeout(diff_sqe(c, 18), &ts, 0);
	diff_sqe(c, 19);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	/* Nothing is left waiting. */
	diff_ret(c, futex_wake_syscall(&fw[0], INT_MAX, FUTEX_WAKE_PRIVATE),
		 __LINE__);
	diff_ret(c, futex_wake_syscall(&fw[1], INT_MAX, FUTEX_WAKE_PRIVATE),
		 __LINE__);
}

/* ------------------------------------------------------------------ */

/* A child that exits with status once released through its pipe. */
static pid_t child_waiting(int *release, int status)
{
	int p[2];
	pid_t pid;

	REQUIRE_EQ(pipe(p), 0);
	pid = fork();
	REQUIRE_EQ(pid >= 0, 1);
	if (!pid) {
		char b;

		close(p[1]);
		_exit(read(p[0], &b, 1) == 1 ? status : 99);
	}
	close(p[0]);
	*release = p[1];
	return pid;
}

static void release_child(int release)
{
	REQUIRE_EQ(write(release, "x", 1), 1);
	close(release);
}

/* What the kernel wrote to infop, pid compared with the child's. */
static void log_info(struct diff_ctx *c, const siginfo_t *si, pid_t pid,
		     int line)
{
	const int *w = (const int *)si;

	diff_ret(c, si->si_signo, line);
	diff_ret(c, si->si_errno, line);
	diff_ret(c, si->si_code, line);
	diff_ret(c, si->si_pid == pid ? 1 : si->si_pid, line);
	diff_ret(c, si->si_status, line);
	/* Bytes the kernel leaves alone. */
	diff_ret(c, w[3], line);
	diff_ret(c, w[7], line);
}

static void info_fill(siginfo_t *si)
{
	memset(si, 0xab, sizeof(*si));
}

static void waitid_ops(struct diff_ctx *c)
{
	siginfo_t si;
	struct io_uring_sqe *s;
	int release, pidfd;
	pid_t pid;

	/* No child: ECHILD, and the empty result written. */
	info_fill(&si);
	io_uring_prep_waitid(diff_sqe(c, 1), P_ALL, 0, &si, WEXITED, 0);
	DIFF_CHECK(c);
	log_info(c, &si, 0, __LINE__);
	/* A child that has exited already. */
	pid = fork();
	if (!pid)
		_exit(3);
	info_fill(&si);
	io_uring_prep_waitid(diff_sqe(c, 2), P_PID, pid, &si, WEXITED, 0);
	DIFF_CHECK(c);
	log_info(c, &si, pid, __LINE__);
	/* Pending until the child exits. */
	pid = child_waiting(&release, 4);
	info_fill(&si);
	io_uring_prep_waitid(diff_sqe(c, 3), P_ALL, 0, &si, WEXITED, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	release_child(release);
	DIFF_WAIT(c, 1);
	log_info(c, &si, pid, __LINE__);
	/* WNOHANG with a running child: 0, and the empty result. */
	pid = child_waiting(&release, 5);
	info_fill(&si);
	io_uring_prep_waitid(diff_sqe(c, 4), P_PID, pid, &si,
			     WEXITED | WNOHANG, 0);
	DIFF_CHECK(c);
	log_info(c, &si, pid, __LINE__);
	/* Cancelled: 1 (the kernel's count), -ECANCELED, the empty result. */
	info_fill(&si);
	io_uring_prep_waitid(diff_sqe(c, 5), P_PID, pid, &si, WEXITED, 0);
	DIFF_SUBMIT(c);
	io_uring_prep_cancel64(diff_sqe(c, 6), 5, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	log_info(c, &si, pid, __LINE__);
	/* By opcode; by fd never (a waitid has no file). */
	io_uring_prep_waitid(diff_sqe(c, 7), P_PID, pid, NULL, WEXITED, 0);
	DIFF_SUBMIT(c);
	io_uring_prep_cancel_fd(diff_sqe(c, 8), c->pipe[0], 0);
	s = diff_sqe(c, 9);
	io_uring_prep_cancel(s, NULL, IORING_ASYNC_CANCEL_OP);
	s->len = IORING_OP_WAITID;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	/* Through its pidfd, released while pending; the child was kept. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	REQUIRE_EQ(pidfd >= 0, 1);
	info_fill(&si);
	io_uring_prep_waitid(diff_sqe(c, 10), P_PIDFD, pidfd, &si, WEXITED, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	release_child(release);
	DIFF_WAIT(c, 1);
	log_info(c, &si, pid, __LINE__);
	close(pidfd);
	/* A stopped and continued child (WSTOPPED, WCONTINUED). */
	{
		int p[2];

		REQUIRE_EQ(pipe(p), 0);
		pid = fork();
		if (!pid) {
			char byte;

			raise(SIGSTOP);
			/* Alive until told: a zombie's continue may be lost. */
			_exit(read(p[0], &byte, 1) == 1 ? 7 : 99);
		}
		close(p[0]);
		release = p[1];
	}
	info_fill(&si);
	io_uring_prep_waitid(diff_sqe(c, 11), P_PID, pid, &si, WSTOPPED, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	log_info(c, &si, pid, __LINE__);
	kill(pid, SIGCONT);
	io_uring_prep_waitid(diff_sqe(c, 12), P_PID, pid, &si, WCONTINUED, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	log_info(c, &si, pid, __LINE__);
	release_child(release);
	io_uring_prep_waitid(diff_sqe(c, 13), P_PID, pid, &si, WEXITED, 0);
	last_flags(c, IOSQE_IO_LINK);
	io_uring_prep_waitid(diff_sqe(c, 14), P_PID, pid, &si, WEXITED, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* Async, and a link timeout on a wait for a child that stays. */
	pid = child_waiting(&release, 6);
	io_uring_prep_waitid(diff_sqe(c, 15), P_PID, pid, NULL, WEXITED, 0);
	last_flags(c, IOSQE_IO_LINK);
	{
		struct __kernel_timespec ts = {.tv_nsec = 10000000};

		io_uring_prep_link_timeout(diff_sqe(c, 16), &ts, 0);
	}
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	io_uring_prep_waitid(diff_sqe(c, 17), P_PID, pid, NULL, WEXITED, 0);
	last_flags(c, IOSQE_ASYNC);
	DIFF_SUBMIT(c);
	release_child(release);
	DIFF_WAIT(c, 1);
}

static void waitid_errors(struct diff_ctx *c)
{
	siginfo_t si;
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	io_uring_prep_waitid(s, P_ALL, 0, &si, WEXITED, 0);
	s->addr = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 2);
	io_uring_prep_waitid(s, P_ALL, 0, &si, WEXITED, 0);
	s->buf_index = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 3);
	io_uring_prep_waitid(s, P_ALL, 0, &si, WEXITED, 0);
	s->addr3 = 1;
	DIFF_CHECK(c);
	io_uring_prep_waitid(diff_sqe(c, 4), P_ALL, 0, &si, WEXITED, 1);
	DIFF_CHECK(c);
	s = diff_sqe(c, 5);
	io_uring_prep_waitid(s, P_ALL, 0, &si, WEXITED, 0);
	s->ioprio = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 6);
	io_uring_prep_waitid(s, P_ALL, 0, &si, WEXITED, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	DIFF_CHECK(c);
	/* At issue: options, id types, ids; infop written only for ECHILD. */
	info_fill(&si);
	io_uring_prep_waitid(diff_sqe(c, 10), P_ALL, 0, &si, 0, 0);
	DIFF_CHECK(c);
	io_uring_prep_waitid(diff_sqe(c, 11), P_ALL, 0, &si, WEXITED | 0x100000,
			     0);
	DIFF_CHECK(c);
	io_uring_prep_waitid(diff_sqe(c, 12), P_PID, 0, &si, WEXITED, 0);
	DIFF_CHECK(c);
	io_uring_prep_waitid(diff_sqe(c, 13), P_PGID, -1, &si, WEXITED, 0);
	DIFF_CHECK(c);
	io_uring_prep_waitid(diff_sqe(c, 14), P_PIDFD, -1, &si, WEXITED, 0);
	DIFF_CHECK(c);
	io_uring_prep_waitid(diff_sqe(c, 15), P_PIDFD, c->pipe[0], &si, WEXITED,
			     0);
	DIFF_CHECK(c);
	io_uring_prep_waitid(diff_sqe(c, 16), 9, 0, &si, WEXITED, 0);
	DIFF_CHECK(c);
	log_info(c, &si, 0, __LINE__);
	io_uring_prep_waitid(diff_sqe(c, 17), P_ALL, 0, (void *)16, WEXITED, 0);
	DIFF_CHECK(c);
	s = diff_sqe(c, 18);
	io_uring_prep_waitid(s, P_ALL, 0, &si, WEXITED, 0);
	s->flags |= IOSQE_FIXED_FILE;
	DIFF_CHECK(c);
}

/* ------------------------------------------------------------------ */

static void epoll_wait_ops(struct diff_ctx *c)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
	struct epoll_event out[8];
	struct io_uring_sqe *s;
	int ep = epoll_create1(0);
	char b[8];

	REQUIRE_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, c->pipe[0], &ev), 0);
	/* Ready already. */
	REQUIRE_EQ(write(c->pipe[1], "x", 1), 1);
	memset(out, 0, sizeof(out));
	io_uring_prep_epoll_wait(diff_sqe(c, 1), ep, out, 8, 0);
	DIFF_CHECK(c);
	diff_ret(c, (long long)out[0].data.u64, __LINE__);
	diff_ret(c, out[0].events, __LINE__);
	REQUIRE_EQ(read(c->pipe[0], b, sizeof(b)), 1);
	/* Nothing ready: it waits for a write. */
	io_uring_prep_epoll_wait(diff_sqe(c, 2), ep, out, 8, 0);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	REQUIRE_EQ(write(c->pipe[1], "y", 1), 1);
	DIFF_WAIT(c, 1);
	REQUIRE_EQ(read(c->pipe[0], b, sizeof(b)), 1);
	/* Cancelled by user_data (0, a poll's count), by fd, with ALL. */
	io_uring_prep_epoll_wait(diff_sqe(c, 3), ep, out, 8, 0);
	DIFF_SUBMIT(c);
	io_uring_prep_cancel64(diff_sqe(c, 4), 3, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	io_uring_prep_epoll_wait(diff_sqe(c, 5), ep, out, 8, 0);
	io_uring_prep_epoll_wait(diff_sqe(c, 6), ep, out, 8, 0);
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 7);
	io_uring_prep_cancel_fd(s, ep, IORING_ASYNC_CANCEL_ALL);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 3);
	/* IOSQE_ASYNC: armed by a worker, whenever; ended by a write. */
	io_uring_prep_epoll_wait(diff_sqe(c, 8), ep, out, 8, 0);
	last_flags(c, IOSQE_ASYNC);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(c->pipe[1], "w", 1), 1);
	DIFF_WAIT(c, 1);
	REQUIRE_EQ(read(c->pipe[0], b, sizeof(b)), 1);
	/* A fixed epoll fd, ready. */
	REQUIRE_EQ(io_uring_register_files(&c->ring, &ep, 1), 0);
	REQUIRE_EQ(write(c->pipe[1], "z", 1), 1);
	s = diff_sqe(c, 10);
	io_uring_prep_epoll_wait(s, 0, out, 8, 0);
	s->flags |= IOSQE_FIXED_FILE;
	DIFF_CHECK(c);
	/* Errors at issue: maxevents, not an epoll fd, bad fd, bad array. */
	io_uring_prep_epoll_wait(diff_sqe(c, 11), ep, out, 0, 0);
	DIFF_CHECK(c);
	io_uring_prep_epoll_wait(diff_sqe(c, 12), ep, out, -1, 0);
	DIFF_CHECK(c);
	io_uring_prep_epoll_wait(diff_sqe(c, 13), c->pipe[0], out, 8, 0);
	DIFF_CHECK(c);
	io_uring_prep_epoll_wait(diff_sqe(c, 14), 0x7ffffff0, out, 8, 0);
	DIFF_CHECK(c);
	io_uring_prep_epoll_wait(diff_sqe(c, 15), ep, (void *)16, 8, 0);
	DIFF_CHECK(c);
	/* At prep: flags, off, buf_index, splice_fd_in, ioprio, buffers. */
	io_uring_prep_epoll_wait(diff_sqe(c, 20), ep, out, 8, 1);
	DIFF_CHECK(c);
	s = diff_sqe(c, 21);
	io_uring_prep_epoll_wait(s, ep, out, 8, 0);
	s->off = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 22);
	io_uring_prep_epoll_wait(s, ep, out, 8, 0);
	s->buf_index = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 23);
	io_uring_prep_epoll_wait(s, ep, out, 8, 0);
	s->splice_fd_in = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 24);
	io_uring_prep_epoll_wait(s, ep, out, 8, 0);
	s->ioprio = 1;
	DIFF_CHECK(c);
	s = diff_sqe(c, 25);
	io_uring_prep_epoll_wait(s, ep, out, 8, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	DIFF_CHECK(c);
	REQUIRE_EQ(read(c->pipe[0], b, sizeof(b)), 1);
	io_uring_unregister_files(&c->ring);
	close(ep);
}

/* ------------------------------------------------------------------ */

static int threads_now(void)
{
	return t_count_dir("/proc/self/task");
}

static int fds_now(void)
{
	return t_count_dir("/proc/self/fd");
}

/*
 * A ring torn down with every kind of wait pending: the exit returns
 * (nothing hangs), the child is still there to reap, and no thread or
 * fd of the ring is left. Threads are counted on the userspace backend
 * only: a kernel ring's io-wq workers are threads of the process too,
 * and outlive the ring for a while.
 */
static void teardown_pending(struct diff_ctx *c)
{
	/* Words of its own per backend: the kernel's exit work may lag. */
	static _Alignas(64) uint32_t words[2][128];
	uint32_t *w = words[c->backend == ANYRING_BACKEND_KERNEL];
	static struct futex_waitv v[128];
	struct io_uring r;
	int threads = threads_now(), fds;
	int release, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event out[4];
	siginfo_t si;
	pid_t pid = child_waiting(&release, 8);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct io_uring_sqe *s;

	fds = fds_now();
	REQUIRE_EQ(anyring_set_backend(c->backend), 0);
	REQUIRE_EQ(io_uring_queue_init(16, &r, 0), 0);
	anyring_set_backend(ANYRING_BACKEND_AUTO);
	io_uring_prep_futex_wait(io_uring_get_sqe(&r), &w[0], 0, ANY, PRIV, 0);
	io_uring_prep_futex_wait(io_uring_get_sqe(&r), &w[1], 0, 3, PRIV, 0);
	waitv_set(v, 128, PRIV);
	for (unsigned i = 0; i < 128; i++)
		v[i].uaddr = (uintptr_t)&w[i];
	io_uring_prep_futex_waitv(io_uring_get_sqe(&r), v, 128, 0);
	io_uring_prep_waitid(io_uring_get_sqe(&r), P_PID, pid, &si, WEXITED, 0);
	io_uring_prep_waitid(io_uring_get_sqe(&r), P_PIDFD, pidfd, &si, WEXITED,
			     0);
	io_uring_prep_waitid(io_uring_get_sqe(&r), P_ALL, 0, &si, WEXITED, 0);
	io_uring_prep_epoll_wait(io_uring_get_sqe(&r), ep, out, 4, 0);
	s = io_uring_get_sqe(&r);
	io_uring_prep_futex_wait(s, &w[2], 0, ANY, PRIV, 0);
	s->flags |= IOSQE_ASYNC;
	s = io_uring_get_sqe(&r);
	io_uring_prep_waitid(s, P_PID, pid, &si, WEXITED, 0);
	s->flags |= IOSQE_ASYNC;
	diff_ret(c, io_uring_submit(&r), __LINE__);
	io_uring_queue_exit(&r);
	diff_ret(c, c->backend == ANYRING_BACKEND_KERNEL ||
			    threads_now() <= threads,
		 __LINE__);
	diff_ret(c, fds_now() - fds, __LINE__);
	/*
	 * The waits are gone: nothing to wake. The kernel cancels them in
	 * its exit work, which may still be running, so only ours are sure.
	 */
	diff_ret(c, c->backend == ANYRING_BACKEND_KERNEL ||
			    (!futex_wake_syscall(&w[0], INT_MAX,
						 FUTEX_WAKE_PRIVATE) &&
			     !futex_wake_syscall(&w[1], INT_MAX,
						 FUTEX_WAKE_PRIVATE)),
		 __LINE__);
	release_child(release);
	/* The kernel's exit work may still reap the child meanwhile. */
	diff_ret(c, waitpid(pid, NULL, 0) == pid ||
			    c->backend == ANYRING_BACKEND_KERNEL,
		 __LINE__);
	close(pidfd);
	close(ep);
}

static const struct diff_scenario scenarios[] = {
	{"futex prep errors", 0, 0, futex_prep_errors, 0},
	{"futex issue errors", 0, 0, futex_issue_errors, 0},
	{"futex wakes", 0, 0, futex_wakes, 0},
	{"futex wakes, DEFER_TASKRUN",
	 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0,
	 futex_wakes, 0},
	{"futex many waiters", 0, 64, futex_many, 0},
	{"futex async", 0, 0, futex_async, 0},
	{"futex waitv", 0, 0, futex_waitv, 0},
	{"futex cancel", 0, 0, futex_cancel, 0},
	{"waitid", 0, 0, waitid_ops, 0},
	{"waitid errors", 0, 0, waitid_errors, 0},
	{"epoll_wait", 0, 0, epoll_wait_ops, 0},
	{"waitid, DEFER_TASKRUN",
	 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0,
	 waitid_ops, 0},
	{"teardown with waits pending", 0, 0, teardown_pending, 0},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios,
			    sizeof(scenarios) / sizeof(scenarios[0]));
}
