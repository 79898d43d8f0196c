/* SPDX-License-Identifier: MIT */
/*
 * Provided buffers: legacy groups (PROVIDE_BUFFERS / REMOVE_BUFFERS) and
 * buffer rings (REGISTER_PBUF_RING), and selection for IOSQE_BUFFER_SELECT.
 */
#ifndef ANYRING_KBUF_H
#define ANYRING_KBUF_H

#include <sys/uio.h>

#include "user.h"

/* How much of the selected buffer a request uses: its length, if smaller. */
static inline __u32 kbuf_use_len(const struct uring_req *req)
{
	return req->len && req->len < req->kbuf_len ? req->len : req->kbuf_len;
}

enum kbuf_state {
	KBUF_LEGACY,         /* taken off a legacy list */
	KBUF_RING_RESERVED,  /* the ring entry at head, consumed on success */
	KBUF_RING_COMMITTED, /* the ring head already moved past it */
};

/*
 * Select a buffer of req->kbuf_bgid into req: 0, or -ENOBUFS. A ring
 * buffer is committed at once when commit_now (a file that cannot poll,
 * as in the kernel), else reserved until kbuf_done or kbuf_drop.
 */
int kbuf_take(struct uring_req *req, bool commit_now);
/* About to block: a reserved ring entry is committed now, as the kernel
 * commits when it selects without its lock, so others are not held up. */
void kbuf_commit_early(struct uring_req *req);
/* The request used the buffer (used bytes): the CQE flags to post. */
__u32 kbuf_done(struct uring_req *req, unsigned used);
/* The request used nbufs buffers of a bundle, used bytes in all. */
__u32 kbuf_done_n(struct uring_req *req, unsigned used, unsigned nbufs);

/* Most buffers one bundle takes, and most ring entries it looks at. */
#define KBUF_BUNDLE_MAX 256
#define KBUF_BUNDLE_SCAN 1024

/* Ring buffers selected for IORING_RECVSEND_BUNDLE, used as one iovec. */
struct kbuf_bundle {
	unsigned nr;   /* buffers taken */
	size_t len;    /* their bytes, the last perhaps cut to the limit */
	bool partial;  /* a plain ring's buffer was cut to the limit */
	bool empty;    /* they were the ring's last entries */
	struct iovec iov[KBUF_BUNDLE_MAX];
};

/*
 * Select the head buffers of req->kbuf_bgid for up to max_len bytes (0:
 * no limit, but then at most *nr_iovs buffers, the request's array,
 * which a limited selection grows), reserved as kbuf_take does: 0, or
 * -ENOBUFS. kbuf_done_n consumes them, kbuf_drop gives them back.
 */
int kbuf_bundle_take(struct uring_req *req, size_t max_len, unsigned *nr_iovs,
		     struct kbuf_bundle *b);
/* The request did not use it: back to the group (a retry selects again). */
void kbuf_drop(struct uring_req *req);

int kbuf_provide(struct uring_ctx *ctx, __u16 bgid, __u64 addr, __u32 len,
		 __u32 nbufs, __u16 first_bid);
int kbuf_remove(struct uring_ctx *ctx, __u16 bgid, __u32 nbufs);
void kbuf_free_all(struct uring_ctx *ctx);

int uring_pbuf_ring_register(struct uring_ctx *ctx, const void *arg,
			     unsigned nr);
int uring_pbuf_ring_unregister(struct uring_ctx *ctx, const void *arg,
			       unsigned nr);
int uring_pbuf_status(struct uring_ctx *ctx, void *arg, unsigned nr);

#endif
