/* SPDX-License-Identifier: MIT */
/*
 * Submitting SQEs and reaping CQEs: io_uring_submit*, io_uring_wait_cqe*,
 * io_uring_get_events and friends.
 */
#define LIBURING_INTERNAL
#include <signal.h>

#include "ring.h"
#include "tsan.h"

/* Whether the kernel has completions it has not posted to the CQ yet. */
static bool cq_needs_flush(const struct io_uring *ring)
{
	return IO_URING_READ_ONCE(*ring->sq.kflags) &
	       (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN);
}

static bool cq_needs_enter(const struct io_uring *ring)
{
	return (ring->flags & IORING_SETUP_IOPOLL) || cq_needs_flush(ring);
}

/*
 * Whether submitting needs a system call. With SQPOLL only a sleeping
 * poller does, and then it must be woken; *flags gets the wake-up bit.
 */
static bool sq_needs_enter(const struct io_uring *ring, unsigned submit,
			   unsigned *flags)
{
	if (!submit)
		return false;
	if (!(ring->flags & IORING_SETUP_SQPOLL))
		return true;
	/* Order the tail store before reading the poller's flags. */
	io_uring_smp_mb();
	if (uring_unlikely(IO_URING_READ_ONCE(*ring->sq.kflags) &
			   IORING_SQ_NEED_WAKEUP)) {
		*flags |= IORING_ENTER_SQ_WAKEUP;
		return true;
	}
	return false;
}

/* Publish prepared SQEs; returns how many the consumer has not taken. */
static unsigned flush_sq(struct io_uring *ring)
{
	struct io_uring_sq *sq = &ring->sq;
	unsigned tail = sq->sqe_tail;

	/*
	 * An SQ_REWIND ring reads its SQEs from index 0 on every submission and
	 * its head and tail stay 0: the next batch starts at slot 0 again.
	 */
	if (ring->flags & IORING_SETUP_SQ_REWIND) {
		sq->sqe_tail = 0;
		return tail;
	}
	if (sq->sqe_head != tail) {
		sq->sqe_head = tail;
		/* SQPOLL reads the tail concurrently: release the SQEs. */
		if (ring->flags & IORING_SETUP_SQPOLL) {
			ring_tsan_release(ring->ring_fd);
			io_uring_smp_store_release(sq->ktail, tail);
		}
		else
			IO_URING_WRITE_ONCE(*sq->ktail, tail);
	}
	return tail - IO_URING_READ_ONCE(*sq->khead);
}

static int submit(struct io_uring *ring, unsigned submitted, unsigned wait_nr,
		  bool getevents)
{
	bool cq_enter = getevents || wait_nr || cq_needs_enter(ring);
	unsigned flags = 0;

	if (!sq_needs_enter(ring, submitted, &flags) && !cq_enter)
		return (int)submitted;
	if (cq_enter)
		flags |= IORING_ENTER_GETEVENTS;
	return ring_enter(ring, submitted, wait_nr, flags, NULL, _NSIG / 8);
}

ANYRING_EXPORT int io_uring_submit(struct io_uring *ring)
{
	return submit(ring, flush_sq(ring), 0, false);
}

ANYRING_EXPORT int io_uring_submit_and_wait(struct io_uring *ring,
					    unsigned wait_nr)
{
	return submit(ring, flush_sq(ring), wait_nr, false);
}

ANYRING_EXPORT int io_uring_submit_and_get_events(struct io_uring *ring)
{
	return submit(ring, flush_sq(ring), 0, true);
}

ANYRING_EXPORT int io_uring_get_events(struct io_uring *ring)
{
	return ring_enter(ring, 0, 0, IORING_ENTER_GETEVENTS, NULL, _NSIG / 8);
}

ANYRING_EXPORT struct io_uring_sqe *io_uring_get_sqe(struct io_uring *ring)
{
	return _io_uring_get_sqe(ring);
}

ANYRING_EXPORT int __io_uring_sqring_wait(struct io_uring *ring)
{
	return ring_enter(ring, 0, 0, IORING_ENTER_SQ_WAIT, NULL, _NSIG / 8);
}

/* What one wait asks of io_uring_enter(2). */
struct wait_request {
	unsigned submit;
	unsigned wait_nr;
	unsigned enter_flags;
	size_t argsz;
	const void *arg;
	/* A timeout may end the wait empty: enter at most once. */
	bool single_enter;
	/* The arg's timeout, to tell a timed-out wait from an empty peek. */
	bool has_timeout;
};

/*
 * Peek for a CQE, entering the kernel to submit or wait as the request
 * says. Returns 0 (or the number submitted) with *cqe_ptr set, or -errno.
 */
static int get_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		   struct wait_request *w)
{
	struct io_uring_cqe *cqe = NULL;
	bool entered = false;
	int err = 0;

	for (;;) {
		unsigned flags = 0, available;
		bool need_enter = false;
		int ret = __io_uring_peek_cqe(ring, &cqe, &available);

		if (ret) {
			if (!err)
				err = ret;
			break;
		}
		if (!cqe && !w->wait_nr && !w->submit) {
			/* A peek: only the kernel's backlog can help now. */
			if (entered || !cq_needs_enter(ring)) {
				if (!err)
					err = -EAGAIN;
				break;
			}
			need_enter = true;
		}
		if (w->wait_nr > available || need_enter) {
			flags = IORING_ENTER_GETEVENTS | w->enter_flags;
			need_enter = true;
		}
		if (sq_needs_enter(ring, w->submit, &flags))
			need_enter = true;
		if (!need_enter)
			break;
		if (entered && w->single_enter) {
			if (!cqe && w->has_timeout && !err)
				err = -ETIME;
			break;
		}
		ret = ring_enter(ring, w->submit, w->wait_nr, flags, w->arg,
				 w->argsz);
		if (ret < 0) {
			if (!err)
				err = ret;
			break;
		}
		w->submit -= (unsigned)ret;
		if (cqe)
			break;
		if (!entered) {
			entered = true;
			err = ret;
		}
	}
	if (cqe)
		ring_tsan_acquire(ring->ring_fd);
	*cqe_ptr = cqe;
	return err;
}

ANYRING_EXPORT int __io_uring_get_cqe(struct io_uring *ring,
				      struct io_uring_cqe **cqe_ptr,
				      unsigned submit, unsigned wait_nr,
				      sigset_t *sigmask)
{
	struct wait_request w = {
		.submit = submit,
		.wait_nr = wait_nr,
		.argsz = _NSIG / 8,
		.arg = sigmask,
	};

	return get_cqe(ring, cqe_ptr, &w);
}

/*
 * Kernels before 5.11 lack EXT_ARG: a wait with a timeout is done with a
 * TIMEOUT request whose CQE carries LIBURING_UDATA_TIMEOUT.
 */
static int queue_internal_timeout(struct io_uring *ring, unsigned wait_nr,
				  struct __kernel_timespec *ts)
{
	struct io_uring_sqe *sqe = _io_uring_get_sqe(ring);
	int ret;

	if (!sqe) {
		ret = io_uring_submit(ring);
		if (ret < 0)
			return ret;
		sqe = _io_uring_get_sqe(ring);
		if (!sqe)
			return -EAGAIN;
	}
	io_uring_prep_timeout(sqe, ts, wait_nr, 0);
	sqe->user_data = LIBURING_UDATA_TIMEOUT;
	return (int)flush_sq(ring);
}

static int wait_with_timeout(struct io_uring *ring,
			     struct io_uring_cqe **cqe_ptr, unsigned submit,
			     unsigned wait_nr, struct __kernel_timespec *ts,
			     unsigned min_wait_usec, sigset_t *sigmask)
{
	struct io_uring_getevents_arg arg = {
		.sigmask = (unsigned long)sigmask,
		.sigmask_sz = _NSIG / 8,
		.min_wait_usec = min_wait_usec,
		.ts = (unsigned long)ts,
	};
	struct wait_request w = {
		.submit = submit,
		.wait_nr = wait_nr,
		.enter_flags = IORING_ENTER_EXT_ARG,
		.argsz = sizeof(arg),
		.arg = &arg,
		.single_enter = ts != NULL,
		.has_timeout = ts != NULL,
	};

	return get_cqe(ring, cqe_ptr, &w);
}

ANYRING_EXPORT int io_uring_wait_cqes(struct io_uring *ring,
				      struct io_uring_cqe **cqe_ptr,
				      unsigned wait_nr,
				      struct __kernel_timespec *ts,
				      sigset_t *sigmask)
{
	int to_submit = 0;

	if (ts && !(ring->features & IORING_FEAT_EXT_ARG)) {
		to_submit = queue_internal_timeout(ring, wait_nr, ts);
		if (to_submit < 0)
			return to_submit;
		return __io_uring_get_cqe(ring, cqe_ptr, (unsigned)to_submit,
					  wait_nr, sigmask);
	}
	if (!ts)
		return __io_uring_get_cqe(ring, cqe_ptr, 0, wait_nr, sigmask);
	return wait_with_timeout(ring, cqe_ptr, 0, wait_nr, ts, 0, sigmask);
}

ANYRING_EXPORT int io_uring_wait_cqes_min_timeout(
	struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned wait_nr,
	struct __kernel_timespec *ts, unsigned int min_ts_usec,
	sigset_t *sigmask)
{
	if (!(ring->features & IORING_FEAT_MIN_TIMEOUT))
		return -EINVAL;
	return wait_with_timeout(ring, cqe_ptr, 0, wait_nr, ts, min_ts_usec,
				 sigmask);
}

ANYRING_EXPORT int io_uring_wait_cqe_timeout(struct io_uring *ring,
					     struct io_uring_cqe **cqe_ptr,
					     struct __kernel_timespec *ts)
{
	return io_uring_wait_cqes(ring, cqe_ptr, 1, ts, NULL);
}

ANYRING_EXPORT int io_uring_submit_and_wait_timeout(
	struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned wait_nr,
	struct __kernel_timespec *ts, sigset_t *sigmask)
{
	int to_submit;

	if (ts && (ring->features & IORING_FEAT_EXT_ARG))
		return wait_with_timeout(ring, cqe_ptr, flush_sq(ring),
					 wait_nr, ts, 0, sigmask);
	if (ts) {
		to_submit = queue_internal_timeout(ring, wait_nr, ts);
		if (to_submit < 0)
			return to_submit;
	} else {
		to_submit = (int)flush_sq(ring);
	}
	return __io_uring_get_cqe(ring, cqe_ptr, (unsigned)to_submit, wait_nr,
				  sigmask);
}

ANYRING_EXPORT int io_uring_submit_and_wait_min_timeout(
	struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned wait_nr,
	struct __kernel_timespec *ts, unsigned min_wait, sigset_t *sigmask)
{
	if (!(ring->features & IORING_FEAT_MIN_TIMEOUT))
		return -EINVAL;
	return wait_with_timeout(ring, cqe_ptr, flush_sq(ring), wait_nr, ts,
				 min_wait, sigmask);
}

/*
 * Wait with the parameters in entry reg_index of the ring's registered
 * wait region; the kernel takes the entry's byte offset as the argument.
 */
ANYRING_EXPORT int io_uring_submit_and_wait_reg(struct io_uring *ring,
						struct io_uring_cqe **cqe_ptr,
						unsigned wait_nr,
						int reg_index)
{
	struct wait_request w;

	/* Refused before anything is submitted, as liburing 2.15 does. */
	if (!(ring->features & IORING_FEAT_EXT_ARG) || reg_index < 0)
		return -EINVAL;
	w = (struct wait_request){
		.submit = flush_sq(ring),
		.wait_nr = wait_nr,
		.enter_flags = IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG,
		.argsz = sizeof(struct io_uring_reg_wait),
		.arg = (void *)((uintptr_t)reg_index *
				sizeof(struct io_uring_reg_wait)),
		.single_enter = true,
	};
	return get_cqe(ring, cqe_ptr, &w);
}

/*
 * Point cqes[] at up to count ready CQEs. On a CQE_MIXED ring a CQE takes
 * one or two slots, and padding entries are consumed where they lead the
 * CQ; one found after real CQEs ends the batch, to lead the next one.
 */
static unsigned peek_ready(struct io_uring *ring, struct io_uring_cqe **cqes,
			   unsigned count)
{
	unsigned ready = io_uring_cq_ready(ring);
	unsigned head = *ring->cq.khead, end = head + ready;
	unsigned mask = ring->cq.ring_mask, nr = 0;

	if (!(ring->flags & IORING_SETUP_CQE_MIXED)) {
		unsigned shift = io_uring_cqe_shift(ring);

		for (; nr < count && head != end; nr++, head++)
			cqes[nr] = &ring->cq.cqes[(head & mask) << shift];
		return nr;
	}
	while (nr < count && head != end) {
		struct io_uring_cqe *cqe = &ring->cq.cqes[head & mask];

		head += io_uring_cqe_nr(cqe);
		if (!(cqe->flags & IORING_CQE_F_SKIP))
			cqes[nr++] = cqe;
		else if (nr)
			break;
		else
			io_uring_cq_advance(ring, io_uring_cqe_nr(cqe));
	}
	return nr;
}

ANYRING_EXPORT unsigned io_uring_peek_batch_cqe(struct io_uring *ring,
						struct io_uring_cqe **cqes,
						unsigned count)
{
	bool flushed = false;
	unsigned nr;

	for (;;) {
		ring_tsan_acquire(ring->ring_fd);
		nr = peek_ready(ring, cqes, count);
		if (nr)
			return nr;
		/* Nothing visible: let the kernel post its backlog, once. */
		if (flushed || !cq_needs_flush(ring))
			return 0;
		io_uring_get_events(ring);
		flushed = true;
	}
}

ANYRING_EXPORT int io_uring_set_iowait(struct io_uring *ring,
				       bool enable_iowait)
{
	if (!(ring->features & IORING_FEAT_NO_IOWAIT))
		return -EOPNOTSUPP;
	if (enable_iowait)
		ring->int_flags &= ~INT_FLAG_NO_IOWAIT;
	else
		ring->int_flags |= INT_FLAG_NO_IOWAIT;
	return 0;
}
