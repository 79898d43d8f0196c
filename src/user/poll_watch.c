/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <sys/epoll.h>

#include "poll_watch.h"

/* Every event a waiting request could want; errors always come. */
#define WATCH_EVENTS                                                           \
	(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND |           \
	 EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP | EPOLLET)
#define ALWAYS_REPORTED (EPOLLERR | EPOLLHUP)

bool poll_watch_applies(const struct uring_req *req)
{
	return req->file_node != NULL;
}

static __u64 watch_data(const struct poll_watches *w, __u32 slot)
{
	return POLL_WATCH_TAG | (__u64)w->slots[slot].gen << 32 | slot;
}

/* A free slot (the array grows by doubling), or -ENOMEM. */
static long slot_alloc(struct poll_watches *w)
{
	__u32 slot;

	if (w->free_head) {
		slot = w->free_head - 1;
		w->free_head = w->slots[slot].next_free;
		return slot;
	}
	if (w->nr == w->cap) {
		__u32 cap = w->cap ? w->cap * 2 : 16;
		struct poll_watch *grown = realloc(w->slots, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		w->slots = grown;
		w->cap = cap;
	}
	slot = w->nr++;
	w->slots[slot].gen = 0;
	return slot;
}

static void slot_free(struct poll_watches *w, __u32 slot)
{
	struct poll_watch *pw = &w->slots[slot];

	pw->node = NULL;
	pw->waiting = NULL;
	/* Generations stay below the tag bit. */
	pw->gen = (pw->gen + 1) & 0x7fffffffU;
	pw->next_free = w->free_head;
	w->free_head = slot + 1;
}

/* The node's standing entry, added to the set on first use. */
static long watch_of(struct poll_watches *w, int epfd, struct rsrc_node *node)
{
	struct epoll_event ev = {.events = WATCH_EVENTS};
	long slot;

	if (node->watch)
		return node->watch - 1;
	slot = slot_alloc(w);
	if (slot < 0)
		return slot;
	ev.data.u64 = watch_data(w, (__u32)slot);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, node->fd, &ev)) {
		long err = -errno;

		slot_free(w, (__u32)slot);
		return err;
	}
	w->slots[slot].node = node;
	w->slots[slot].waiting = NULL;
	w->slots[slot].parked = false;
	node->watch = (unsigned)slot + 1;
	return slot;
}

/* Change what the entry listens for; 0 or -errno. */
static int watch_listen(struct poll_watches *w, int epfd, __u32 slot,
			unsigned events)
{
	struct epoll_event ev = {.events = events,
				 .data.u64 = watch_data(w, slot)};

	return epoll_ctl(epfd, EPOLL_CTL_MOD, w->slots[slot].node->fd, &ev)
		       ? -errno
		       : 0;
}

int poll_watch_wait(struct poll_watches *w, int epfd, struct uring_req *req)
{
	struct rsrc_node *node = req->file_node;
	struct uring_req **tail;
	long slot = watch_of(w, epfd, node);

	if (slot < 0)
		return (int)slot;
	/* Listening again reports a readiness that came while parked. */
	if (w->slots[slot].parked) {
		int ret = watch_listen(w, epfd, (__u32)slot, WATCH_EVENTS);

		if (ret)
			return ret;
		w->slots[slot].parked = false;
	}
	/* A multishot poll checks the state itself once it waits. */
	if (!req->poll_multishot &&
	    atomic_load(&node->poll_seq) != req->watch_seq)
		return 1;
	for (tail = &w->slots[slot].waiting; *tail; tail = &(*tail)->watch_next)
		;
	req->watch_next = NULL;
	*tail = req;
	req->poll_watched = true;
	return 0;
}

static struct poll_watch *watch_find(struct poll_watches *w, __u64 data)
{
	__u32 slot = (__u32)data, gen = (__u32)(data >> 32) & 0x7fffffffU;

	if (slot >= w->nr || !w->slots[slot].node || w->slots[slot].gen != gen)
		return NULL;
	return &w->slots[slot];
}

void poll_watch_event(struct poll_watches *w, int epfd, __u64 data,
		      unsigned events,
		      void (*wake)(struct uring_req *req, unsigned events,
				   void *arg),
		      void *arg)
{
	struct poll_watch *pw = watch_find(w, data);
	struct uring_req **pp;

	if (!pw)
		return;
	atomic_fetch_add(&pw->node->poll_seq, 1);
	/*
	 * Nobody waits: stop listening until somebody does, or a busy file
	 * nobody reads would wake the engine on every packet.
	 */
	if (!pw->waiting) {
		if (!watch_listen(w, epfd, (__u32)(pw - w->slots), EPOLLET))
			pw->parked = true;
		return;
	}
	for (pp = &pw->waiting; *pp;) {
		struct uring_req *req = *pp;

		if (!(events & (req->poll_mask | ALWAYS_REPORTED))) {
			pp = &req->watch_next;
			continue;
		}
		/* A multishot poll stays; the rest leave before they wake. */
		if (req->poll_multishot) {
			pp = &req->watch_next;
		} else {
			*pp = req->watch_next;
			req->watch_next = NULL;
			req->poll_watched = false;
		}
		wake(req, events, arg);
	}
}

bool poll_watch_unlink(struct poll_watches *w, struct uring_req *req)
{
	struct rsrc_node *node = req->file_node;

	if (!req->poll_watched)
		return false;
	req->poll_watched = false;
	for (struct uring_req **pp = &w->slots[node->watch - 1].waiting; *pp;
	     pp = &(*pp)->watch_next) {
		if (*pp == req) {
			*pp = req->watch_next;
			req->watch_next = NULL;
			break;
		}
	}
	return true;
}

void poll_watch_release(struct poll_watches *w, int epfd,
			struct rsrc_node *node)
{
	if (!node->watch)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, node->fd, NULL);
	slot_free(w, node->watch - 1);
	node->watch = 0;
}

void poll_watch_free(struct poll_watches *w)
{
	for (__u32 i = 0; i < w->nr; i++)
		if (w->slots[i].node)
			w->slots[i].node->watch = 0;
	free(w->slots);
	w->slots = NULL;
	w->nr = w->cap = w->free_head = 0;
}
