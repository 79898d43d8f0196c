/* SPDX-License-Identifier: MIT */
/*
 * Legacy provided buffers: groups of buffers handed out first-in,
 * first-out (as 6.18 does), consumed by requests with IOSQE_BUFFER_SELECT.
 */
#include <stdlib.h>

#include "kbuf.h"

struct kbuf {
	struct kbuf *next;
	__u64 addr;
	__u32 len;
	__u16 bid;
};

struct kbuf_group {
	struct kbuf_group *next;
	__u16 bgid;
	struct kbuf *head, *tail;
};

/* One lock for all groups of all rings: selection is short. */
static pthread_mutex_t kbuf_lock = PTHREAD_MUTEX_INITIALIZER;

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

int kbuf_select(struct uring_ctx *ctx, __u16 bgid, struct kbuf_selected *out)
{
	struct kbuf_group **gp;
	struct kbuf *b = NULL;

	pthread_mutex_lock(&kbuf_lock);
	gp = group_slot(ctx, bgid, false);
	if (gp && (b = (*gp)->head)) {
		(*gp)->head = b->next;
		if (!(*gp)->head)
			(*gp)->tail = NULL;
	}
	pthread_mutex_unlock(&kbuf_lock);
	if (!b)
		return -ENOBUFS;
	out->addr = (void *)(uintptr_t)b->addr;
	out->len = b->len;
	out->bid = b->bid;
	out->bgid = bgid;
	free(b);
	return 0;
}

void kbuf_recycle(struct uring_ctx *ctx, const struct kbuf_selected *sel)
{
	struct kbuf *b = malloc(sizeof(*b));
	struct kbuf_group **gp;

	if (!b)
		return;
	b->addr = (uintptr_t)sel->addr;
	b->len = sel->len;
	b->bid = sel->bid;
	pthread_mutex_lock(&kbuf_lock);
	gp = group_slot(ctx, sel->bgid, true);
	if (gp) {
		/* Back at the front: it is the one the retry should get. */
		b->next = (*gp)->head;
		(*gp)->head = b;
		if (!(*gp)->tail)
			(*gp)->tail = b;
		b = NULL;
	}
	pthread_mutex_unlock(&kbuf_lock);
	free(b);
}

int kbuf_provide(struct uring_ctx *ctx, __u16 bgid, __u64 addr, __u32 len,
		 __u32 nbufs, __u16 first_bid)
{
	struct kbuf_group **gp;
	int ret = 0;

	pthread_mutex_lock(&kbuf_lock);
	gp = group_slot(ctx, bgid, true);
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
	if (!gp) {
		pthread_mutex_unlock(&kbuf_lock);
		return -ENOENT;
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
			while (g->head) {
				struct kbuf *b = g->head;

				g->head = b->next;
				free(b);
			}
			free(g);
		}
		free(t);
		break;
	}
	pthread_mutex_unlock(&kbuf_lock);
}
