/* SPDX-License-Identifier: MIT */
/*
 * Engine events as task work. The kernel completes a request woken by
 * poll or a timer in the submitting task, after the syscall it is in
 * returns, so CQEs posted inline by that syscall come first. Here an
 * event runs under uring_lock: at the end of the submission batch that
 * holds the lock, or at once on the engine thread when none does.
 */
#include "user.h"

static void event_add(struct uring_req *req, bool timer, bool woken,
		      unsigned revents)
{
	struct uring_ctx *ctx = req->ctx;

	pthread_mutex_lock(&ctx->event_lock);
	req->event_revents |= revents;
	req->event_timer = timer;
	if (!req->event_queued) {
		/* Multishot wakeups coalesce, as the kernel's poll refs do. */
		req->event_queued = true;
		req->event_woken = woken;
		req->event_next = NULL;
		if (ctx->event_tail)
			ctx->event_tail->event_next = req;
		else
			ctx->event_head = req;
		ctx->event_tail = req;
	}
	atomic_store(&ctx->events_pending, true);
	pthread_mutex_unlock(&ctx->event_lock);
}

void uring_event_queue(struct uring_req *req, bool timer, unsigned revents)
{
	event_add(req, timer, false, revents);
}

void uring_event_queue_woken(struct uring_req *req, unsigned revents)
{
	event_add(req, false, true, revents);
}

void uring_event_post(struct uring_req *req, bool timer, unsigned revents)
{
	struct uring_ctx *ctx = req->ctx;

	uring_event_queue(req, timer, revents);
	uring_events_try_run(ctx);
}

void uring_event_forget(struct uring_req *req)
{
	struct uring_ctx *ctx = req->ctx;
	struct uring_req *prev = NULL;

	pthread_mutex_lock(&ctx->event_lock);
	if (req->event_queued) {
		for (struct uring_req *r = ctx->event_head; r;
		     prev = r, r = r->event_next) {
			if (r != req)
				continue;
			if (prev)
				prev->event_next = r->event_next;
			else
				ctx->event_head = r->event_next;
			if (ctx->event_tail == r)
				ctx->event_tail = prev;
			break;
		}
		req->event_queued = false;
		req->event_revents = 0;
	}
	pthread_mutex_unlock(&ctx->event_lock);
}

struct uring_req *uring_events_take_woken(struct uring_ctx *ctx,
					  bool (*match)(struct uring_req *,
							void *),
					  void *arg)
{
	struct uring_req *taken = NULL, **tail = &taken, *prev = NULL;

	pthread_mutex_lock(&ctx->event_lock);
	for (struct uring_req *r = ctx->event_head, *next; r; r = next) {
		next = r->event_next;
		if (!r->event_woken || !match(r, arg)) {
			prev = r;
			continue;
		}
		if (prev)
			prev->event_next = next;
		else
			ctx->event_head = next;
		if (ctx->event_tail == r)
			ctx->event_tail = prev;
		r->event_queued = false;
		r->event_revents = 0;
		r->next = NULL;
		*tail = r;
		tail = &r->next;
	}
	pthread_mutex_unlock(&ctx->event_lock);
	return taken;
}

static struct uring_req *event_pop(struct uring_ctx *ctx, bool *timer,
				   unsigned *revents)
{
	struct uring_req *req;

	pthread_mutex_lock(&ctx->event_lock);
	req = ctx->event_head;
	if (req) {
		ctx->event_head = req->event_next;
		if (!ctx->event_head)
			ctx->event_tail = NULL;
		req->event_queued = false;
		*timer = req->event_timer;
		*revents = req->event_revents;
		req->event_revents = 0;
	} else {
		atomic_store(&ctx->events_pending, false);
	}
	pthread_mutex_unlock(&ctx->event_lock);
	return req;
}

void uring_events_run(struct uring_ctx *ctx)
{
	struct uring_req *req;
	unsigned revents;
	bool timer;

	while ((req = event_pop(ctx, &timer, &revents))) {
		if (timer)
			uring_timer_fire(req);
		else
			uring_poll_ready(req, revents);
	}
}

void uring_events_try_run(struct uring_ctx *ctx)
{
	while (atomic_load(&ctx->events_pending)) {
		if (pthread_mutex_trylock(&ctx->uring_lock))
			return; /* the lock holder runs them before unlocking */
		uring_events_run(ctx);
		uring_run_task_work(ctx);
		pthread_mutex_unlock(&ctx->uring_lock);
	}
}
