/* SPDX-License-Identifier: MIT */
/*
 * The poll engine's armed requests, by the id their epoll entry carries:
 * an event finds its request, and a request leaves, in constant time
 * however many sockets wait. The caller locks.
 */
#ifndef ANYRING_POLL_TABLE_H
#define ANYRING_POLL_TABLE_H

#include "user.h"

struct poll_table {
	struct uring_req **buckets; /* chained through req->next */
	unsigned nr_buckets;        /* a power of two */
	unsigned nr;                /* requests held */
};

int poll_table_init(struct poll_table *t);
void poll_table_free(struct poll_table *t);
void poll_table_insert(struct poll_table *t, struct uring_req *req);
struct uring_req *poll_table_find(const struct poll_table *t, __u64 id);
/* False if the request is not in the table. */
bool poll_table_remove(struct poll_table *t, struct uring_req *req);
/*
 * Move the requests match() accepts from a list chained by next to *tail;
 * returns the new tail.
 */
struct uring_req **req_list_take(struct uring_req **list,
				 bool (*match)(struct uring_req *, void *),
				 void *arg, struct uring_req **tail);
/* Remove the requests match() accepts; they come back chained by next. */
struct uring_req *poll_table_take(struct poll_table *t,
				  bool (*match)(struct uring_req *, void *),
				  void *arg);

#endif
