/* SPDX-License-Identifier: MIT */
/*
 * Registered ring fds (REGISTER_RING_FDS / UNREGISTER_RING_FDS,
 * kernel-semantics.md §3.20, §3.21): a per-thread table of 16 slots, like
 * the kernel's per-task one. Indexes are one namespace for both backends
 * in a thread: the library keeps a per-thread view of which backend owns
 * each slot (ring_slots.c) and picks free slots that are free in both.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "uaccess.h"
#include "user.h"

#define RING_FD_SLOTS 16

/*
 * This thread's registered userspace rings, by ring id: a slot does not
 * keep a ring alive once its owner has torn it down (the lookup fails).
 */
static __thread __u64 slots[RING_FD_SLOTS];
/* The ring each slot named when it was filled; checked against the id. */
static __thread struct uring_ctx *slot_rings[RING_FD_SLOTS];
static __thread unsigned slots_used;
/* Whether this thread has an io_uring context (used a ring here). */
static __thread bool has_tctx;

/* This thread's id, 0 until asked: gettid() is a system call each time. */
static __thread pid_t task_id;
static pthread_once_t fork_watch_once = PTHREAD_ONCE_INIT;
/* Forks down to this process: a child counts one more than its parent. */
static unsigned fork_gen;

/*
 * A forked child is a new task: its one thread must not keep our id, and
 * the rings it inherits are copies whose threads stayed in the parent.
 */
static void child_forked(void)
{
	task_id = 0;
	fork_gen++;
}

static void fork_watch_init(void)
{
	pthread_atfork(NULL, NULL, child_forked);
}

pid_t uring_task_id(void)
{
	if (!task_id) {
		pthread_once(&fork_watch_once, fork_watch_init);
		task_id = gettid();
	}
	return task_id;
}

unsigned uring_fork_gen(void)
{
	pthread_once(&fork_watch_once, fork_watch_init);
	return fork_gen;
}

bool uring_ctx_inherited(const struct uring_ctx *ctx)
{
	return ctx->fork_gen != fork_gen;
}

void uring_tctx_touch(void)
{
	has_tctx = true;
}

struct uring_ctx *uring_tctx_lookup(unsigned index)
{
	if (!has_tctx || index >= RING_FD_SLOTS || !slots[index])
		return NULL;
	return uring_ctx_get_if(slot_rings[index], slots[index]);
}

bool user_tctx_present(void)
{
	return has_tctx;
}

bool user_ring_slots_used(void)
{
	return slots_used != 0;
}

bool user_ring_slot_used(int slot)
{
	return slot >= 0 && slot < RING_FD_SLOTS && slots[slot];
}

static void slot_fill(int slot, struct uring_ctx *ring)
{
	__u64 id = ring ? ring->id : 0;

	if (!slots[slot] && id)
		slots_used++;
	if (slots[slot] && !id)
		slots_used--;
	slots[slot] = id;
	slot_rings[slot] = ring;
}

int uring_tctx_lookup_error(unsigned index)
{
	if (!has_tctx || index >= RING_FD_SLOTS)
		return -EINVAL;
	return -EBADF;
}

/* Lowest slot free for both backends in this thread, or -EBUSY. */
static int free_slot(void)
{
	for (int i = 0; i < RING_FD_SLOTS; i++)
		if (!slots[i] && !ring_slot_owned(i))
			return i;
	return -EBUSY;
}

static int register_one(struct io_uring_rsrc_update *up)
{
	struct uring_ctx *ring;
	int slot, ret;

	if (up->resv)
		return -EINVAL;
	if (up->offset == -1U) {
		slot = free_slot();
		if (slot < 0)
			return slot;
	} else if (up->offset >= RING_FD_SLOTS) {
		return -EINVAL;
	} else {
		slot = (int)up->offset;
	}
	ring = uring_ctx_get((unsigned)up->data, 0);
	if (!ring) {
		if (fcntl((int)up->data, F_GETFD) < 0)
			return -EBADF;
		if (!uring_fd_is_ring((int)up->data))
			return -EOPNOTSUPP;
		/* A kernel ring: into the kernel's table, at our chosen slot. */
		if (slots[slot] || ring_slot_owned(slot))
			return -EBUSY;
		up->offset = (unsigned)slot;
		ret = kernel_io_uring_register((unsigned)up->data,
					       IORING_REGISTER_RING_FDS, up, 1);
		if (ret == 1)
			ring_slot_set_kernel(slot, true);
		return ret == 1 ? 0 : ret;
	}
	if (slots[slot] || ring_slot_owned(slot)) {
		uring_ctx_put(ring);
		return -EBUSY;
	}
	slot_fill(slot, ring);
	uring_ctx_put(ring);
	up->offset = (unsigned)slot;
	return 0;
}

static void release_slot(unsigned slot)
{
	if (slots[slot]) {
		slot_fill((int)slot, NULL);
	} else if (ring_slot_owned((int)slot)) {
		struct io_uring_rsrc_update up = {.offset = slot};

		/* Any kernel ring fd reaches the thread's kernel table. */
		ring_slot_unregister_kernel(&up);
	}
}

int uring_register_ring_fds(const void *arg, unsigned nr)
{
	struct io_uring_rsrc_update *user = (void *)arg, up;
	unsigned i;
	int ret = 0;

	if (!nr || nr > RING_FD_SLOTS)
		return -EINVAL;
	has_tctx = true;
	for (i = 0; i < nr; i++) {
		if (uring_copy_from_user(&up, &user[i], sizeof(up))) {
			ret = -EFAULT;
			break;
		}
		ret = register_one(&up);
		if (ret)
			break;
		if (uring_copy_to_user(&user[i].offset, &up.offset,
				       sizeof(up.offset))) {
			release_slot(up.offset);
			ret = -EFAULT;
			break;
		}
	}
	return i ? (int)i : ret;
}

int uring_unregister_ring_fds(const void *arg, unsigned nr)
{
	const struct io_uring_rsrc_update *user = arg;
	struct io_uring_rsrc_update up;
	unsigned i;
	int ret = 0;

	if (!nr || nr > RING_FD_SLOTS)
		return -EINVAL;
	if (!has_tctx)
		return 0;
	for (i = 0; i < nr; i++) {
		if (uring_copy_from_user(&up, &user[i], sizeof(up))) {
			ret = -EFAULT;
			break;
		}
		if (up.resv || up.data || up.offset >= RING_FD_SLOTS) {
			ret = -EINVAL;
			break;
		}
		release_slot(up.offset);
	}
	return i ? (int)i : ret;
}

/* A ring going away leaves the calling thread's table. */
void uring_tctx_forget(struct uring_ctx *ctx)
{
	for (int i = 0; i < RING_FD_SLOTS; i++)
		if (slots[i] == ctx->id)
			slot_fill(i, NULL);
}

/* IORING_SETUP_REGISTERED_FD_ONLY: the ring is reachable by index only. */
int uring_tctx_register_new(struct uring_ctx *ctx)
{
	int slot = free_slot();

	has_tctx = true;
	if (slot >= 0)
		slot_fill(slot, ctx);
	return slot;
}
