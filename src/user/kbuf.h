/* SPDX-License-Identifier: MIT */
/* Provided buffers (PROVIDE_BUFFERS / REMOVE_BUFFERS) and selection. */
#ifndef ANYRING_KBUF_H
#define ANYRING_KBUF_H

#include "user.h"

struct kbuf_selected {
	void *addr;
	__u32 len;
	__u16 bid;
	__u16 bgid;
};

/* Take a buffer of group bgid for req: 0, or -ENOBUFS. */
int kbuf_select(struct uring_ctx *ctx, __u16 bgid, struct kbuf_selected *out);
/* Give an unused selected buffer back (the request will retry). */
void kbuf_recycle(struct uring_ctx *ctx, const struct kbuf_selected *sel);
int kbuf_provide(struct uring_ctx *ctx, __u16 bgid, __u64 addr, __u32 len,
		 __u32 nbufs, __u16 first_bid);
int kbuf_remove(struct uring_ctx *ctx, __u16 bgid, __u32 nbufs);
void kbuf_free_all(struct uring_ctx *ctx);

#endif
