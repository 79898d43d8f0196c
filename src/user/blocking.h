/* SPDX-License-Identifier: MIT */
/*
 * Requests that wait in a system call of their own (futex waits, waitid):
 * each waits in a thread of the ring's blocker pool, where the kernel would
 * queue the request on a wait queue. Cancellation interrupts that thread
 * with a signal whose handler does nothing, and the thread tells the
 * canceller whether the wait ended first. A finished wait is handed back
 * as an engine event, so the request completes as task work would.
 */
#ifndef ANYRING_USER_BLOCKING_H
#define ANYRING_USER_BLOCKING_H

#include "user.h"

/* op->wait's answer when nothing was consumed: look again, or cancel. */
#define BLOCK_RETRY (-1000000L)

struct blocker;

struct blocking_op {
	/*
	 * In the blocker's thread: wait. A result (>= 0 or -errno) ends the
	 * request; BLOCK_RETRY (interrupted, or an event finish() consumes)
	 * leaves it cancellable.
	 */
	long (*wait)(struct uring_req *req, struct blocker *b);
	/* After BLOCK_RETRY, under the pool's lock: consume, never block. */
	long (*finish)(struct uring_req *req);
	/* For the issuer: whether the blocker is queued where it waits. */
	bool (*queued)(struct uring_req *req, struct blocker *b);
	/* The request was cancelled: what the kernel writes then. */
	void (*cancelled)(struct uring_req *req);
	/* The wait ended with res: record it for the request's next issue. */
	void (*done)(struct uring_req *req, long res);
	/* Cancellation finds lower orders first, as the kernel's lists. */
	unsigned order;
};

/*
 * Hand req to a blocker. With wait_queued, wait until op->queued() says
 * the thread waits (ISSUE_QUEUED) or its wait already ended (ISSUE_DONE,
 * result in req->res); else it is queued at once.
 */
enum issue_result blocking_arm(struct uring_req *req,
			       const struct blocking_op *op, bool wait_queued);

/* The blocker's thread id, and whether it is in (or entering) its wait. */
pid_t blocker_tid(const struct blocker *b);
bool blocker_in_wait(const struct blocker *b);

/*
 * Interrupt the waiting requests that match, lowest order first and the
 * newest first within an order. Those whose wait was interrupted are
 * returned (linked by ->next) to be completed with -ECANCELED; *lost
 * counts the matches whose wait ended first (they complete themselves).
 */
struct uring_req *blocking_take(struct blocking *bp,
				bool (*match)(struct uring_req *, void *),
				void *arg, unsigned *lost);
/*
 * A link timeout fired for target: if target waits here, cancel it as the
 * kernel's link timeout does (its CQE says 1, what the kernel's futex and
 * waitid cancels count; -ENOENT if the wait ended first). False if target
 * does not wait here.
 */
bool blocking_cancel_one(struct blocking *bp, struct uring_req *lt,
			 struct uring_req *target);
/* Cancel every waiting request and stop the threads (teardown). */
void blocking_destroy(struct blocking *bp);

#endif
