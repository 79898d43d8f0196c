/* SPDX-License-Identifier: MIT */
/*
 * Standing epoll entries for fixed files. The first time a request has to
 * wait for a registered file, the file's own descriptor joins the engine's
 * set (edge-triggered, every event), and from then on requests wait on
 * that entry: waiting costs no epoll_ctl, as waiting on a file costs the
 * kernel no setup. An event that finds nobody waiting parks the entry (it
 * listens for nothing) until the next wait; the entry leaves when the
 * file's node goes.
 *
 * A readiness that comes between a request's attempt and its wait would
 * be lost on an edge-triggered entry, so each event bumps the node's
 * poll_seq, a request notes it before it tries (uring_req_issue), and the
 * wait refuses a request that missed an event: it tries again instead.
 *
 * The caller holds the engine's lock. Entries are named to epoll by slot
 * and generation, so an event harvested for a file that has gone since is
 * simply not found.
 */
#ifndef ANYRING_POLL_WATCH_H
#define ANYRING_POLL_WATCH_H

#include "rsrc.h"

/* Marks a watch's epoll data; request ids never reach this bit. */
#define POLL_WATCH_TAG (1ULL << 63)

struct poll_watch {
	struct rsrc_node *node;    /* NULL: the slot is free */
	struct uring_req *waiting; /* oldest first, chained by watch_next */
	__u32 gen;                 /* bumped when the slot is freed */
	bool parked;               /* listening for nothing: nobody waited */
	__u32 next_free;           /* free list: index + 1, 0 ends it */
};

struct poll_watches {
	struct poll_watch *slots;
	__u32 nr, cap, free_head;
};

/*
 * Whether a waiting request can share its file's standing entry: any wait
 * on a fixed file. Every request waiting on a file is then woken by the
 * same event, as the kernel's wait queue wakes them together; with an
 * entry each, epoll could report one, whose request drains the file, and
 * then find the other no longer ready.
 */
bool poll_watch_applies(const struct uring_req *req);
/*
 * Wait for req's file: 0 if it now waits, 1 if an event came since it
 * noted poll_seq (try again now), or -errno from epoll_ctl. A multishot
 * poll always waits: its caller checks the file's state once it does.
 */
int poll_watch_wait(struct poll_watches *w, int epfd, struct uring_req *req);
/*
 * An event for a watch: wake() each request it concerns. One-shot waiters
 * leave the watch first; multishot polls stay on it. An event with nobody
 * waiting parks the entry until the next wait.
 */
void poll_watch_event(struct poll_watches *w, int epfd, __u64 data,
		      unsigned events,
		      void (*wake)(struct uring_req *req, unsigned events,
				   void *arg),
		      void *arg);
/* Take req off its watch; false if it was not waiting on one. */
bool poll_watch_unlink(struct poll_watches *w, struct uring_req *req);
/* The node is going: its entry leaves the set. */
void poll_watch_release(struct poll_watches *w, int epfd,
			struct rsrc_node *node);
/* Teardown, with the set about to close: forget every entry. */
void poll_watch_free(struct poll_watches *w);

#endif
