/* SPDX-License-Identifier: MIT */
/*
 * A chained hash of armed polls keyed by poll id. Ids come from a
 * counter, so a multiplicative hash spreads them evenly; the table
 * doubles when it holds as many requests as buckets.
 */
#include <stdlib.h>

#include "poll_table.h"

#define INITIAL_BUCKETS 64

static unsigned bucket_of(const struct poll_table *t, __u64 id)
{
	return (unsigned)((id * 0x9e3779b97f4a7c15ULL) >> 32) &
	       (t->nr_buckets - 1);
}

int poll_table_init(struct poll_table *t)
{
	t->buckets = calloc(INITIAL_BUCKETS, sizeof(*t->buckets));
	t->nr_buckets = INITIAL_BUCKETS;
	t->nr = 0;
	return t->buckets ? 0 : -ENOMEM;
}

void poll_table_free(struct poll_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
}

/* Double the buckets; without memory the chains just grow longer. */
static void grow(struct poll_table *t)
{
	unsigned old_nr = t->nr_buckets;
	struct uring_req **old = t->buckets;
	struct uring_req **fresh = calloc((size_t)old_nr * 2, sizeof(*fresh));

	if (!fresh)
		return;
	t->buckets = fresh;
	t->nr_buckets = old_nr * 2;
	for (unsigned b = 0; b < old_nr; b++) {
		while (old[b]) {
			struct uring_req *req = old[b];
			unsigned to = bucket_of(t, req->poll_id);

			old[b] = req->next;
			req->next = fresh[to];
			fresh[to] = req;
		}
	}
	free(old);
}

void poll_table_insert(struct poll_table *t, struct uring_req *req)
{
	unsigned b;

	if (t->nr >= t->nr_buckets)
		grow(t);
	b = bucket_of(t, req->poll_id);
	req->next = t->buckets[b];
	t->buckets[b] = req;
	t->nr++;
}

struct uring_req *poll_table_find(const struct poll_table *t, __u64 id)
{
	struct uring_req *req = t->buckets[bucket_of(t, id)];

	while (req && req->poll_id != id)
		req = req->next;
	return req;
}

bool poll_table_remove(struct poll_table *t, struct uring_req *req)
{
	struct uring_req **pp = &t->buckets[bucket_of(t, req->poll_id)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == req) {
			*pp = req->next;
			req->next = NULL;
			t->nr--;
			return true;
		}
	}
	return false;
}

struct uring_req **req_list_take(struct uring_req **list,
				 bool (*match)(struct uring_req *, void *),
				 void *arg, struct uring_req **tail)
{
	while (*list) {
		struct uring_req *req = *list;

		if (!match(req, arg)) {
			list = &req->next;
			continue;
		}
		*list = req->next;
		req->next = NULL;
		*tail = req;
		tail = &req->next;
	}
	return tail;
}

struct uring_req *poll_table_take(struct poll_table *t,
				  bool (*match)(struct uring_req *, void *),
				  void *arg)
{
	struct uring_req *taken = NULL, **tail = &taken;

	for (unsigned b = 0; b < t->nr_buckets && t->nr; b++) {
		struct uring_req **was = tail;

		tail = req_list_take(&t->buckets[b], match, arg, tail);
		for (; was != tail; was = &(*was)->next)
			t->nr--;
	}
	return taken;
}
