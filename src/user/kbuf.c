/* SPDX-License-Identifier: MIT */
/*
 * Provided buffers. Legacy groups hand out buffers first-in, first-out
 * (as 6.18 does). A buffer ring is the application's (or, with
 * IOU_PBUF_RING_MMAP, our memfd's) ring of entries: we read from our
 * head up to its tail. Requests issued in parallel here, where the
 * kernel serialises them on its ring lock, so a ring's head entry is
 * reserved by one request at a time until it is used or given back.
 */
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "uaccess.h"

#include "kbuf.h"
#include "rsrc.h"

struct kbuf {
	struct kbuf *next;
	__u64 addr;
	__u32 len;
	__u16 bid;
};

struct kbuf_group {
	struct kbuf_group *next;
	__u16 bgid;
	struct kbuf *head, *tail; /* legacy buffers */
	/* Buffer ring (REGISTER_PBUF_RING). */
	bool is_ring, inc, reserved;
	struct io_uring_buf_ring *br;
	__u16 ring_head, mask;
	__u32 min_left; /* an incremental buffer with less left is finished */
	size_t ring_len;
	bool mapped; /* br is our mapping of the ring memfd */
};

/* One lock for all groups of all rings: selection is short. */
static pthread_mutex_t kbuf_lock = PTHREAD_MUTEX_INITIALIZER;
/* A reserved ring entry was used or given back. */
static pthread_cond_t kbuf_released = PTHREAD_COND_INITIALIZER;

struct kbuf_table {
	struct uring_ctx *ctx;
	struct kbuf_group *groups;
	struct kbuf_table *next;
};

static struct kbuf_table *tables;

static struct kbuf_group **group_slot(struct uring_ctx *ctx, __u16 bgid,
				      bool create)
{
	struct kbuf_table *t;
	struct kbuf_group **gp;

	for (t = tables; t && t->ctx != ctx; t = t->next)
		;
	if (!t) {
		if (!create || !(t = calloc(1, sizeof(*t))))
			return NULL;
		t->ctx = ctx;
		t->next = tables;
		tables = t;
	}
	for (gp = &t->groups; *gp; gp = &(*gp)->next)
		if ((*gp)->bgid == bgid)
			return gp;
	if (!create)
		return NULL;
	*gp = calloc(1, sizeof(**gp));
	if (!*gp)
		return NULL;
	(*gp)->bgid = bgid;
	return gp;
}

static int legacy_take(struct kbuf_group *g, struct uring_req *req)
{
	struct kbuf *b = g->head;

	if (!b)
		return -ENOBUFS;
	g->head = b->next;
	if (!g->head)
		g->tail = NULL;
	req->kbuf_addr = (void *)(uintptr_t)b->addr;
	req->kbuf_len = b->len;
	req->kbuf_bid = b->bid;
	req->kbuf_state = KBUF_LEGACY;
	free(b);
	return 0;
}

static void legacy_give_back(struct uring_req *req)
{
	struct kbuf *b = malloc(sizeof(*b));
	struct kbuf_group **gp = group_slot(req->ctx, req->kbuf_bgid, true);

	if (!b || !gp) {
		free(b);
		return;
	}
	b->addr = (uintptr_t)req->kbuf_addr;
	b->len = req->kbuf_len;
	b->bid = req->kbuf_bid;
	/* Back at the front: it is the one the retry should get. */
	b->next = (*gp)->head;
	(*gp)->head = b;
	if (!(*gp)->tail)
		(*gp)->tail = b;
}

static struct io_uring_buf *ring_head_entry(struct kbuf_group *g)
{
	return &g->br->bufs[g->ring_head & g->mask];
}

/*
 * Whether an incremental entry with left bytes still in it stays at the
 * head: as in 6.18, less than the group's min_left retires it.
 */
static bool inc_keeps(const struct kbuf_group *g, __u32 left)
{
	return left && left >= g->min_left;
}

/*
 * Consume used bytes of nbufs entries from the head. An incremental ring
 * keeps an entry, moved past the bytes used, while inc_keeps(); returns
 * whether the last buffer is finished (no IORING_CQE_F_BUF_MORE).
 */
static bool ring_commit(struct kbuf_group *g, unsigned used, unsigned nbufs)
{
	if (!g->inc) {
		g->ring_head = (__u16)(g->ring_head + nbufs);
		return true;
	}
	/* Nothing used (EOF): the entry stays as it was, and still has room. */
	if (!used)
		return nbufs == 0;
	while (used) {
		struct io_uring_buf *b = ring_head_entry(g);
		__u32 len = __atomic_load_n(&b->len, __ATOMIC_RELAXED);
		__u32 take = used < len ? used : len;

		/* A zero-length entry would never end the walk. */
		if (!take || inc_keeps(g, len - take)) {
			__atomic_store_n(&b->addr, b->addr + take, __ATOMIC_RELAXED);
			__atomic_store_n(&b->len, len - take, __ATOMIC_RELAXED);
			return false;
		}
		/* Used up, or too little left: retired, its address as it was. */
		__atomic_store_n(&b->len, 0, __ATOMIC_RELAXED);
		g->ring_head++;
		used -= take;
	}
	return true;
}

static int ring_take(struct kbuf_group *g, struct uring_req *req,
		     bool commit_now)
{
	__u16 tail = __atomic_load_n(&g->br->tail, __ATOMIC_ACQUIRE);
	struct io_uring_buf *b;

	if (tail == g->ring_head)
		return -ENOBUFS;
	b = ring_head_entry(g);
	req->kbuf_addr = (void *)(uintptr_t)__atomic_load_n(&b->addr,
							   __ATOMIC_RELAXED);
	req->kbuf_len = __atomic_load_n(&b->len, __ATOMIC_RELAXED);
	req->kbuf_bid = __atomic_load_n(&b->bid, __ATOMIC_RELAXED);
	if (commit_now) {
		unsigned want = kbuf_use_len(req);

		req->kbuf_more = !ring_commit(g, want, 1);
		req->kbuf_state = KBUF_RING_COMMITTED;
	} else {
		g->reserved = true;
		req->kbuf_state = KBUF_RING_RESERVED;
	}
	return 0;
}

/*
 * req's group, once no other request holds its ring head reserved (NULL
 * if it has none). The caller holds kbuf_lock.
 */
static struct kbuf_group **group_unreserved(struct uring_req *req)
{
	struct kbuf_group **gp;

	for (;;) {
		gp = group_slot(req->ctx, req->kbuf_bgid, false);
		if (!gp || !(*gp)->is_ring || !(*gp)->reserved)
			return gp;
		pthread_cond_wait(&kbuf_released, &kbuf_lock);
	}
}

int kbuf_take(struct uring_req *req, bool commit_now)
{
	struct kbuf_group **gp;
	int ret = -ENOBUFS;

	pthread_mutex_lock(&kbuf_lock);
	gp = group_unreserved(req);
	if (gp)
		ret = (*gp)->is_ring ? ring_take(*gp, req, commit_now)
				     : legacy_take(*gp, req);
	pthread_mutex_unlock(&kbuf_lock);
	req->has_kbuf = !ret;
	return ret;
}

/* A legacy group gives a bundle its first buffer only. */
static void legacy_bundle(struct uring_req *req, struct kbuf_group *g,
			  size_t max_len, struct kbuf_bundle *b)
{
	size_t len = req->kbuf_len;

	if (max_len && max_len < len)
		len = max_len;
	b->iov[0] = (struct iovec){req->kbuf_addr, len};
	b->nr = 1;
	b->len = len;
	b->empty = !g->head;
}

/* How many ring entries a bundle of max_len bytes looks at. */
static unsigned bundle_count(struct kbuf_group *g, __u16 avail,
			     size_t max_len, unsigned *nr_iovs)
{
	unsigned n = avail < KBUF_BUNDLE_SCAN ? avail : KBUF_BUNDLE_SCAN;

	if (max_len) {
		__u32 first = __atomic_load_n(&ring_head_entry(g)->len,
					      __ATOMIC_RELAXED);
		size_t needed = (max_len + first - 1) / first;

		if (needed > KBUF_BUNDLE_MAX)
			needed = KBUF_BUNDLE_MAX;
		if (n > needed)
			n = (unsigned)needed;
		/* Only a sized request grows its array of buffers. */
		if (n > *nr_iovs)
			*nr_iovs = n;
	}
	return n < *nr_iovs ? n : *nr_iovs;
}

/* Fill b from the ring's head entries; the caller holds kbuf_lock. */
static int ring_bundle(struct kbuf_group *g, struct uring_req *req,
		       size_t max_len, unsigned *nr_iovs, struct kbuf_bundle *b)
{
	__u16 tail = __atomic_load_n(&g->br->tail, __ATOMIC_ACQUIRE);
	__u16 head = g->ring_head;
	unsigned n;

	if (tail == head)
		return -ENOBUFS;
	if (max_len && !__atomic_load_n(&ring_head_entry(g)->len,
					__ATOMIC_RELAXED))
		return -ENOBUFS;
	n = bundle_count(g, (__u16)(tail - head), max_len, nr_iovs);
	if (!max_len)
		max_len = INT_MAX;
	for (unsigned i = 0; i < n && max_len; i++) {
		struct io_uring_buf *e = &g->br->bufs[(head + i) & g->mask];
		size_t len = __atomic_load_n(&e->len, __ATOMIC_RELAXED);

		if (!i) {
			req->kbuf_bid = __atomic_load_n(&e->bid, __ATOMIC_RELAXED);
			req->kbuf_len = (__u32)len;
		}
		/* A plain ring's buffer is used whole, bar the first. */
		if (len > max_len) {
			len = max_len;
			if (!g->inc) {
				b->partial = true;
				if (i)
					break;
			}
		}
		b->iov[i] = (struct iovec){
			(void *)(uintptr_t)__atomic_load_n(&e->addr,
							   __ATOMIC_RELAXED),
			len};
		if (!i)
			req->kbuf_addr = b->iov[0].iov_base;
		b->nr = i + 1;
		b->len += len;
		max_len -= len;
	}
	/* As in the kernel, a limit filled exactly does not empty the ring. */
	b->empty = (__u16)(head + b->nr - (max_len ? 0 : 1)) == tail;
	g->reserved = true;
	req->kbuf_state = KBUF_RING_RESERVED;
	return 0;
}

int kbuf_bundle_take(struct uring_req *req, size_t max_len, unsigned *nr_iovs,
		     struct kbuf_bundle *b)
{
	struct kbuf_group **gp;
	int ret = -ENOBUFS;

	memset(b, 0, offsetof(struct kbuf_bundle, iov));
	pthread_mutex_lock(&kbuf_lock);
	gp = group_unreserved(req);
	if (gp && (*gp)->is_ring) {
		ret = ring_bundle(*gp, req, max_len, nr_iovs, b);
	} else if (gp) {
		ret = legacy_take(*gp, req);
		if (!ret)
			legacy_bundle(req, *gp, max_len, b);
	}
	pthread_mutex_unlock(&kbuf_lock);
	req->has_kbuf = !ret;
	return ret;
}

/*
 * End req's reservation of its group's head entry, consuming used bytes
 * of it when commit; returns whether the entry keeps bytes (BUF_MORE).
 * The caller holds kbuf_lock; the group outlives the reservation.
 */
static bool end_reservation(struct uring_req *req, bool commit, unsigned used,
			    unsigned nbufs)
{
	struct kbuf_group **gp = group_slot(req->ctx, req->kbuf_bgid, false);
	struct kbuf_group *g = gp ? *gp : NULL;
	bool more = false;

	if (!g || !g->is_ring || !g->reserved)
		return false;
	if (commit)
		more = !ring_commit(g, used, nbufs);
	g->reserved = false;
	pthread_cond_broadcast(&kbuf_released);
	return more;
}

__u32 kbuf_done(struct uring_req *req, unsigned used)
{
	return kbuf_done_n(req, used, 1);
}

__u32 kbuf_done_n(struct uring_req *req, unsigned used, unsigned nbufs)
{
	bool more = false;

	if (!req->has_kbuf)
		return 0;
	pthread_mutex_lock(&kbuf_lock);
	if (req->kbuf_state == KBUF_RING_RESERVED)
		more = end_reservation(req, true, used, nbufs);
	else if (req->kbuf_state == KBUF_RING_COMMITTED)
		more = req->kbuf_more;
	pthread_mutex_unlock(&kbuf_lock);
	req->has_kbuf = false;
	return IORING_CQE_F_BUFFER |
	       ((__u32)req->kbuf_bid << IORING_CQE_BUFFER_SHIFT) |
	       (more ? IORING_CQE_F_BUF_MORE : 0);
}

void kbuf_commit_early(struct uring_req *req)
{
	if (!req->has_kbuf || req->kbuf_state != KBUF_RING_RESERVED)
		return;
	pthread_mutex_lock(&kbuf_lock);
	req->kbuf_more = end_reservation(req, true, kbuf_use_len(req), 1);
	req->kbuf_state = KBUF_RING_COMMITTED;
	pthread_mutex_unlock(&kbuf_lock);
}

void kbuf_drop(struct uring_req *req)
{
	/* A committed ring buffer stays with the request for its retry. */
	if (!req->has_kbuf || req->kbuf_state == KBUF_RING_COMMITTED)
		return;
	pthread_mutex_lock(&kbuf_lock);
	if (req->kbuf_state == KBUF_LEGACY)
		legacy_give_back(req);
	else
		end_reservation(req, false, 0, 0);
	pthread_mutex_unlock(&kbuf_lock);
	req->has_kbuf = false;
}

int kbuf_provide(struct uring_ctx *ctx, __u16 bgid, __u64 addr, __u32 len,
		 __u32 nbufs, __u16 first_bid)
{
	struct kbuf_group **gp;
	int ret = 0;

	pthread_mutex_lock(&kbuf_lock);
	gp = group_slot(ctx, bgid, true);
	if (gp && (*gp)->is_ring) {
		pthread_mutex_unlock(&kbuf_lock);
		return -EINVAL; /* a ring group takes no legacy buffers */
	}
	for (__u32 i = 0; gp && i < nbufs; i++) {
		struct kbuf *b = malloc(sizeof(*b));

		if (!b) {
			ret = i ? 0 : -ENOMEM;
			break;
		}
		b->next = NULL;
		b->addr = addr + (__u64)i * len;
		b->len = len;
		b->bid = (__u16)(first_bid + i);
		if ((*gp)->tail)
			(*gp)->tail->next = b;
		else
			(*gp)->head = b;
		(*gp)->tail = b;
	}
	if (!gp)
		ret = -ENOMEM;
	pthread_mutex_unlock(&kbuf_lock);
	return ret;
}

int kbuf_remove(struct uring_ctx *ctx, __u16 bgid, __u32 nbufs)
{
	struct kbuf_group **gp;
	int removed = 0;

	pthread_mutex_lock(&kbuf_lock);
	gp = group_slot(ctx, bgid, false);
	if (!gp || (*gp)->is_ring) {
		pthread_mutex_unlock(&kbuf_lock);
		return gp ? -EINVAL : -ENOENT;
	}
	while ((unsigned)removed < nbufs && (*gp)->head) {
		struct kbuf *b = (*gp)->head;

		(*gp)->head = b->next;
		free(b);
		removed++;
	}
	if (!(*gp)->head)
		(*gp)->tail = NULL;
	pthread_mutex_unlock(&kbuf_lock);
	return removed;
}

static void group_free(struct kbuf_group *g)
{
	while (g->head) {
		struct kbuf *b = g->head;

		g->head = b->next;
		free(b);
	}
	if (g->mapped)
		kernel_munmap(g->br, g->ring_len);
	free(g);
}

void kbuf_free_all(struct uring_ctx *ctx)
{
	struct kbuf_table **tp;

	pthread_mutex_lock(&kbuf_lock);
	for (tp = &tables; *tp; tp = &(*tp)->next) {
		struct kbuf_table *t = *tp;

		if (t->ctx != ctx)
			continue;
		*tp = t->next;
		while (t->groups) {
			struct kbuf_group *g = t->groups;

			t->groups = g->next;
			group_free(g);
		}
		free(t);
		break;
	}
	pthread_mutex_unlock(&kbuf_lock);
}

/* ---------------------------------------------------------------- */
/* REGISTER_PBUF_RING, UNREGISTER_PBUF_RING, PBUF_STATUS (§3.22, 3.23, 3.26) */

#define PBUF_FLAGS (IOU_PBUF_RING_MMAP | IOU_PBUF_RING_INC)
#define PAGE_SIZE_BYTES 4096UL

static off_t pbuf_mmap_offset(__u16 bgid)
{
	return (off_t)(IORING_OFF_PBUF_RING |
		       ((__u64)bgid << IORING_OFF_PBUF_SHIFT));
}

/*
 * With IOU_PBUF_RING_MMAP the ring lives in the ring's memfd at the
 * offset the application maps; fresh (punched) pages start zeroed.
 */
static int map_pbuf_ring(struct uring_ctx *ctx, struct kbuf_group *g)
{
	g->br = uring_memfd_map(ctx, pbuf_mmap_offset(g->bgid), g->ring_len);
	if (!g->br)
		return -ENOMEM;
	g->mapped = true;
	return 0;
}

static void unmap_pbuf_ring(struct uring_ctx *ctx, struct kbuf_group *g)
{
	kernel_munmap(g->br, g->ring_len);
	g->mapped = false;
	/* The next registration of this bgid must see zeroes again. */
	fallocate(ctx->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		  pbuf_mmap_offset(g->bgid), (off_t)g->ring_len);
}

/* The application's ring memory must be pinnable: mapped, writable. */
static int check_user_ring(const struct io_uring_buf_reg *reg, size_t len)
{
	if (!reg->ring_addr)
		return -EFAULT;
	if (reg->ring_addr & (PAGE_SIZE_BYTES - 1))
		return -EINVAL;
	if (reg->ring_addr + len < reg->ring_addr)
		return -EOVERFLOW;
	if (!rsrc_user_range_pinnable((unsigned long)reg->ring_addr, len))
		return -EFAULT;
	return 0;
}

static int pbuf_reg_check(const struct io_uring_buf_reg *reg)
{
	if (!uring_mem_is_zero(reg->resv, sizeof(reg->resv)))
		return -EINVAL;
	if (reg->min_left && !(reg->flags & IOU_PBUF_RING_INC))
		return -EINVAL;
	if (reg->flags & ~PBUF_FLAGS)
		return -EINVAL;
	if (!reg->ring_entries || (reg->ring_entries & (reg->ring_entries - 1)) ||
	    reg->ring_entries >= 65536)
		return -EINVAL;
	return 0;
}

static int install_ring(struct uring_ctx *ctx, struct kbuf_group *g,
			const struct io_uring_buf_reg *reg)
{
	g->ring_len = (reg->ring_entries * sizeof(struct io_uring_buf) +
		       PAGE_SIZE_BYTES - 1) & ~(PAGE_SIZE_BYTES - 1);
	if (reg->flags & IOU_PBUF_RING_MMAP) {
		int ret = map_pbuf_ring(ctx, g);

		if (ret)
			return ret;
	} else {
		int ret = check_user_ring(reg, g->ring_len);

		if (ret)
			return ret;
		g->br = (struct io_uring_buf_ring *)(uintptr_t)reg->ring_addr;
	}
	g->is_ring = true;
	g->inc = reg->flags & IOU_PBUF_RING_INC;
	g->min_left = reg->min_left;
	g->mask = (__u16)(reg->ring_entries - 1);
	g->ring_head = 0;
	return 0;
}

int uring_pbuf_ring_register(struct uring_ctx *ctx, const void *arg,
			     unsigned nr)
{
	struct io_uring_buf_reg reg;
	struct kbuf_group **gp;
	int ret;

	if (!arg || nr != 1)
		return -EINVAL;
	if (uring_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	ret = pbuf_reg_check(&reg);
	if (ret)
		return ret;
	pthread_mutex_lock(&kbuf_lock);
	gp = group_slot(ctx, reg.bgid, false);
	/* An emptied legacy group is replaced; anything else is in use. */
	if (gp && ((*gp)->is_ring || (*gp)->head)) {
		ret = -EEXIST;
	} else if (!gp && !(gp = group_slot(ctx, reg.bgid, true))) {
		ret = -ENOMEM;
	} else {
		ret = install_ring(ctx, *gp, &reg);
		if (ret) {
			struct kbuf_group *g = *gp;

			*gp = g->next;
			free(g);
		}
	}
	pthread_mutex_unlock(&kbuf_lock);
	return ret;
}

int uring_pbuf_ring_unregister(struct uring_ctx *ctx, const void *arg,
			       unsigned nr)
{
	struct io_uring_buf_reg reg;
	struct kbuf_group **gp, *g;

	if (!arg || nr != 1)
		return -EINVAL;
	if (uring_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	/* min_left is ignored here; the rest of the reserved bytes are not. */
	if (!uring_mem_is_zero(reg.resv, sizeof(reg.resv)) ||
	    reg.flags)
		return -EINVAL;
	pthread_mutex_lock(&kbuf_lock);
	gp = group_slot(ctx, reg.bgid, false);
	if (!gp || !(*gp)->is_ring) {
		pthread_mutex_unlock(&kbuf_lock);
		return gp ? -EINVAL : -ENOENT;
	}
	/* A request using the head entry finishes with it first. */
	while ((gp = group_slot(ctx, reg.bgid, false)) && (*gp)->reserved)
		pthread_cond_wait(&kbuf_released, &kbuf_lock);
	if (!gp) {
		pthread_mutex_unlock(&kbuf_lock);
		return -ENOENT;
	}
	g = *gp;
	*gp = g->next;
	if (g->mapped)
		unmap_pbuf_ring(ctx, g);
	free(g);
	pthread_mutex_unlock(&kbuf_lock);
	return 0;
}

int uring_pbuf_status(struct uring_ctx *ctx, void *arg, unsigned nr)
{
	struct io_uring_buf_status st;
	struct kbuf_group **gp;
	int ret = 0;

	if (!arg || nr != 1)
		return -EINVAL;
	if (uring_copy_from_user(&st, arg, sizeof(st)))
		return -EFAULT;
	if (!uring_mem_is_zero(st.resv, sizeof(st.resv)))
		return -EINVAL;
	pthread_mutex_lock(&kbuf_lock);
	gp = st.buf_group > 0xffff
		     ? NULL
		     : group_slot(ctx, (__u16)st.buf_group, false);
	if (!gp)
		ret = -ENOENT;
	else if (!(*gp)->is_ring)
		ret = -EINVAL;
	else
		st.head = (*gp)->ring_head;
	pthread_mutex_unlock(&kbuf_lock);
	if (!ret && uring_copy_to_user(arg, &st, sizeof(st)))
		ret = -EFAULT;
	return ret;
}
