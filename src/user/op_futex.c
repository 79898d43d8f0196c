/* SPDX-License-Identifier: MIT */
/*
 * FUTEX_WAIT, FUTEX_WAKE and FUTEX_WAITV. A wake is futex_wake(2) itself,
 * so it wakes, and counts, every kind of waiter of the futex. A wait runs
 * in a blocker thread that is a real waiter of the application's futexes:
 * futex_waitv(2) on them (last first, so that of two woken together the
 * lower index is reported, as the kernel reports the first woken) and then
 * on a word of the request's own, whose waiter the issuer counts, so that
 * the issue returns once the thread is queued, as the kernel's issue does.
 * A wait with a bitset other than "any" needs futex_wait(2), and there the
 * issuer waits until /proc shows the thread asleep.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocking.h"
#include "kernel/syscall.h"
#include "ops.h"
#include "uaccess.h"

/* futex2 flags (sqe->fd, futex_waitv.flags), as 6.18 defines them. */
#define F2_SIZE_MASK 0x03U
#define F2_SIZE_U32 0x02U
#define F2_NUMA 0x04U
#define F2_MPOL 0x08U
#define F2_PRIVATE 128U
#define F2_VALID (F2_SIZE_MASK | F2_NUMA | F2_MPOL | F2_PRIVATE)
#define MATCH_ANY 0xffffffffULL
#define WAITV_MAX 128U
/* Where user addresses end (x86-64, four-level paging): beyond, EFAULT. */
#if defined(__x86_64__)
#define USER_END 0x7ffffffff000ULL
#else
#define USER_END (~0ULL)
#endif

#ifndef __NR_futex_waitv
#define __NR_futex_waitv 449
#endif
#ifndef __NR_futex_wake
#define __NR_futex_wake 454
#endif
#ifndef __NR_futex_wait
#define __NR_futex_wait 455
#endif

struct futex_data {
	unsigned nr;       /* the application's futexes */
	unsigned nv;       /* entries of vec the thread waits on */
	bool watch;        /* vec[nr] is our word, counted by the issuer */
	bool masked;       /* one futex with a bitset: futex_wait(2) */
	__u64 mask;
	__u32 word;        /* ours: the thread queues on it last */
	bool done;         /* the wait ended: res is the request's result */
	long res;
	struct futex_waitv *vec;
	struct futex_waitv user[]; /* nr entries, then vec's nr + 1 */
};

static bool flags_valid(__u64 flags)
{
	return !(flags & ~(__u64)F2_VALID) &&
	       (flags & F2_SIZE_MASK) == F2_SIZE_U32;
}

/* The checks FUTEX_WAIT and FUTEX_WAKE share at prep. */
static int futex_prep(const struct io_uring_sqe *sqe)
{
	if (sqe->len || sqe->futex_flags || sqe->buf_index || sqe->file_index)
		return -EINVAL;
	if (!flags_valid((__u32)sqe->fd))
		return -EINVAL;
	if ((sqe->addr2 >> 32) || (sqe->addr3 >> 32))
		return -EINVAL;
	return 0;
}

static struct futex_data *data_alloc(struct uring_req *req, unsigned nr)
{
	struct futex_data *d =
		calloc(1, sizeof(*d) + (2 * nr + 1) * sizeof(d->user[0]));

	if (!d)
		return NULL;
	d->nr = nr;
	d->vec = d->user + nr;
	req->op_data = d;
	return d;
}

int uring_futex_wait_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	struct futex_data *d;
	int ret = futex_prep(sqe);

	if (ret)
		return ret;
	d = data_alloc(req, 1);
	if (!d)
		return -ENOMEM;
	d->user[0].uaddr = sqe->addr;
	d->user[0].val = sqe->addr2;
	d->user[0].flags = (__u32)sqe->fd;
	d->mask = sqe->addr3;
	return 0;
}

int uring_futex_wake_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	return futex_prep(sqe);
}

static int waitv_entry_check(const struct futex_waitv *v)
{
	if (!flags_valid(v->flags) || v->__reserved || (v->val >> 32))
		return -EINVAL;
	return 0;
}

/* Copy and check the array as the kernel does, entry by entry. */
static int waitv_copy(struct futex_waitv *dst, __u64 addr, unsigned nr)
{
	const struct futex_waitv *src = (const void *)(uintptr_t)addr;
	bool whole = !uring_copy_from_user(dst, src, nr * sizeof(*dst));

	for (unsigned i = 0; i < nr; i++) {
		int ret;

		if (!whole &&
		    uring_copy_from_user(&dst[i], &src[i], sizeof(dst[i])))
			return -EFAULT;
		ret = waitv_entry_check(&dst[i]);
		if (ret)
			return ret;
	}
	return 0;
}

int uring_futex_waitv_prep(struct uring_req *req,
			   const struct io_uring_sqe *sqe)
{
	unsigned nr = sqe->len;
	struct futex_data *d;

	if (sqe->fd || sqe->buf_index || sqe->file_index || sqe->addr2 ||
	    sqe->futex_flags || sqe->addr3)
		return -EINVAL;
	if (!nr || nr > WAITV_MAX)
		return -EINVAL;
	d = data_alloc(req, nr);
	if (!d)
		return -ENOMEM;
	d->mask = MATCH_ANY;
	return waitv_copy(d->user, sqe->addr, nr);
}

/* ---------------------------------------------------------------- */

/* futex(2) FUTEX_WAKE_BITSET, for kernels without futex_wake(2). */
static long classic_wake(__u64 uaddr, __u64 mask, int nr, __u32 flags)
{
	int op = flags & F2_PRIVATE ? FUTEX_PRIVATE_FLAG : 0;

	if (!mask || (flags & (F2_NUMA | F2_MPOL)))
		return -EINVAL;
	/* It wakes one for nr 0: a requeue of none checks the address. */
	if (!nr) {
		long r = kernel_syscall6(__NR_futex, (long)uaddr,
					 FUTEX_REQUEUE | op, 0, 0, (long)uaddr,
					 0);
		return r < 0 ? r : 0;
	}
	return kernel_syscall6(__NR_futex, (long)uaddr, FUTEX_WAKE_BITSET | op,
			       nr, 0, 0, (long)mask);
}

enum issue_result uring_futex_wake_issue(struct uring_req *req, unsigned flags)
{
	long r = kernel_syscall6(__NR_futex_wake, (long)req->addr,
				 (long)req->addr3, (int)req->off,
				 (__u32)req->orig_fd, 0, 0);

	(void)flags;
	if (r == -ENOSYS)
		r = classic_wake(req->addr, req->addr3, (int)req->off,
				 (__u32)req->orig_fd);
	req->res = (__s32)r;
	return ISSUE_DONE;
}

/* ---------------------------------------------------------------- */

/* One futex with a bitset: futex_wait(2), or futex(2) before 6.7. */
static long wait_one(const struct futex_data *d)
{
	const struct futex_waitv *v = &d->user[0];
	long r = kernel_syscall6(__NR_futex_wait, (long)v->uaddr, (long)v->val,
				 (long)d->mask, v->flags, 0, 0);
	int op = FUTEX_WAIT_BITSET;

	if (r != -ENOSYS)
		return r;
	if (v->flags & (F2_NUMA | F2_MPOL))
		return -EINVAL;
	if (v->flags & F2_PRIVATE)
		op |= FUTEX_PRIVATE_FLAG;
	return kernel_syscall6(__NR_futex, (long)v->uaddr, op, (long)v->val, 0,
			       0, (long)d->mask);
}

/* In the blocker: the index woken (0 for FUTEX_WAIT), or -errno. */
static long futex_block(struct uring_req *req, struct blocker *b)
{
	struct futex_data *d = req->op_data;
	long r;

	(void)b;
	if (!__atomic_load_n(&d->masked, __ATOMIC_ACQUIRE)) {
		r = kernel_syscall6(__NR_futex_waitv, (long)d->vec, d->nv, 0, 0,
				    0, 0);
		if (r != -ENOSYS || req->opcode != IORING_OP_FUTEX_WAIT) {
			/* Our word is never woken: only a signal gets there. */
			if (r == -EINTR || r >= (long)d->nr)
				return BLOCK_RETRY;
			if (r < 0 || req->opcode == IORING_OP_FUTEX_WAIT)
				return r < 0 ? r : 0;
			return (long)d->nr - 1 - r;
		}
		/* No futex_waitv(2): the issuer watches /proc instead. */
		__atomic_store_n(&d->watch, false, __ATOMIC_RELEASE);
		__atomic_store_n(&d->masked, true, __ATOMIC_RELEASE);
	}
	r = wait_one(d);
	return r == -EINTR ? BLOCK_RETRY : r;
}

/* Waiters on our word: a requeue of the word onto itself counts them. */
static long word_waiters(__u32 *word)
{
	return kernel_syscall6(__NR_futex, (long)word,
			       FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0,
			       INT_MAX, (long)word, 0);
}

/* Whether /proc shows the thread asleep; true if /proc cannot say. */
static bool thread_asleep(pid_t tid)
{
	char path[64], buf[512];
	const char *paren;
	long fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = kernel_syscall6(__NR_openat, AT_FDCWD, (long)path,
			     O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return true;
	n = kernel_syscall6(__NR_read, fd, (long)buf, sizeof(buf) - 1, 0, 0, 0);
	kernel_close((int)fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return !paren || paren[1] != ' ' || paren[2] == 'S' || paren[2] == 'D';
}

static bool futex_queued(struct uring_req *req, struct blocker *b)
{
	struct futex_data *d = req->op_data;
	pid_t tid;

	if (__atomic_load_n(&d->watch, __ATOMIC_ACQUIRE)) {
		long n = word_waiters(&d->word);

		/* A kernel that cannot count them: ask /proc instead. */
		if (n >= 0)
			return n > 0;
	}
	tid = blocker_tid(b);
	return tid && blocker_in_wait(b) && thread_asleep(tid);
}

static void futex_cancelled(struct uring_req *req)
{
	(void)req;
}

static void futex_done(struct uring_req *req, long res)
{
	struct futex_data *d = req->op_data;

	d->res = res;
	d->done = true;
}

static const struct blocking_op futex_blocking = {
	.wait = futex_block,
	.queued = futex_queued,
	.cancelled = futex_cancelled,
	.done = futex_done,
	.order = 1, /* after waitid, as the kernel's cancel tries them */
};

static bool readable(__u64 uaddr)
{
	__u32 v;

	return !uring_copy_from_user(&v, (const void *)(uintptr_t)uaddr,
				     sizeof(v));
}

/*
 * What the kernel finds before it queues anything, in its order: every
 * futex's key (alignment; the page of a shared one), then each value.
 * A NUMA futex's key reads its node too: the system call checks those.
 */
static int precheck(const struct futex_waitv *v, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++)
		if (v[i].flags & F2_NUMA)
			return 0;
	for (unsigned i = 0; i < nr; i++) {
		if (v[i].uaddr & 3)
			return -EINVAL;
		if (v[i].uaddr > USER_END - 4 ||
		    (!(v[i].flags & F2_PRIVATE) && !readable(v[i].uaddr)))
			return -EFAULT;
	}
	for (unsigned i = 0; i < nr; i++) {
		const void *uaddr = (const void *)(uintptr_t)v[i].uaddr;
		__u32 now;

		if (uring_copy_from_user(&now, uaddr, sizeof(now)))
			return -EFAULT;
		if (now != v[i].val)
			return -EAGAIN;
	}
	return 0;
}

/* The thread's vector: the futexes last first, then our word if it fits. */
static void vec_build(struct futex_data *d)
{
	for (unsigned k = 0; k < d->nr; k++)
		d->vec[k] = d->user[d->nr - 1 - k];
	d->nv = d->nr;
	d->watch = d->nr < WAITV_MAX;
	if (d->watch) {
		d->vec[d->nr] = (struct futex_waitv){
			.uaddr = (uintptr_t)&d->word,
			.flags = F2_SIZE_U32 | F2_PRIVATE,
		};
		d->nv++;
	}
}

static enum issue_result futex_wait_common(struct uring_req *req)
{
	struct futex_data *d = req->op_data;
	int ret;

	if (d->done) {
		req->res = (__s32)d->res;
		return ISSUE_DONE;
	}
	ret = precheck(d->user, d->nr);
	if (ret) {
		req->res = ret;
		return ISSUE_DONE;
	}
	if (d->mask == MATCH_ANY)
		vec_build(d);
	else
		d->masked = true;
	return blocking_arm(req, &futex_blocking, true);
}

enum issue_result uring_futex_wait_issue(struct uring_req *req, unsigned flags)
{
	struct futex_data *d = req->op_data;

	(void)flags;
	if (!d->done && !d->mask) {
		req->res = -EINVAL;
		return ISSUE_DONE;
	}
	return futex_wait_common(req);
}

enum issue_result uring_futex_waitv_issue(struct uring_req *req,
					  unsigned flags)
{
	(void)flags;
	return futex_wait_common(req);
}
