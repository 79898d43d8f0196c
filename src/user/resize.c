/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_RESIZE_RINGS (kernel-semantics.md §3.33) for DEFER_TASKRUN
 * rings. New ring memory replaces the old at the same memfd offsets (or
 * in the application's new memory with NO_MMAP); pending SQEs and CQEs
 * keep their positions, and if anything fails the old rings stay.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "ring.h"
#include "uaccess.h"
#include "user.h"

/* Setup flags a resized ring keeps from the old one. */
#define RESIZE_COPY_FLAGS                                                      \
	(IORING_SETUP_NO_SQARRAY | IORING_SETUP_SQE128 | IORING_SETUP_CQE32 |  \
	 IORING_SETUP_NO_MMAP | IORING_SETUP_CQE_MIXED | IORING_SETUP_SQE_MIXED)

/* Everything needed to put the old rings back. */
struct old_rings {
	void *rings, *sqes;
	size_t rings_len, sqes_len;
	bool app_memory;
	unsigned sq_entries, cq_entries;
	void *rings_copy, *sqes_copy; /* their bytes, taken before any change */
	size_t array_off, cqes_off;
	/* Ring positions and header words carried over. */
	unsigned sq_head, sq_tail, cq_head, cq_tail;
	unsigned sq_flags, cq_flags, cq_overflow, sq_dropped;
};

static size_t sqe_bytes(const struct uring_ctx *ctx)
{
	return sizeof(struct io_uring_sqe) << ctx->sqe_shift;
}

static size_t cqe_bytes(const struct uring_ctx *ctx)
{
	return sizeof(struct io_uring_cqe) << ctx->cqe_shift;
}

static void set_entries(struct uring_ctx *ctx, unsigned sq, unsigned cq)
{
	ctx->sq_entries = sq;
	ctx->cq_entries = cq;
	ctx->sq_mask = sq - 1;
	ctx->cq_mask = cq - 1;
}

static int save_old(struct uring_ctx *ctx, struct old_rings *o)
{
	*o = (struct old_rings){
		.rings = ctx->rings, .sqes = ctx->sqes,
		.rings_len = ctx->rings_len, .sqes_len = ctx->sqes_len,
		.app_memory = ctx->app_memory,
		.sq_entries = ctx->sq_entries, .cq_entries = ctx->cq_entries,
		.array_off = ctx->sq_array ? (size_t)((char *)ctx->sq_array -
						      (char *)ctx->rings)
					   : 0,
		.cqes_off = (size_t)((char *)ctx->cqes - (char *)ctx->rings),
		.sq_head = __atomic_load_n(ctx->sq_head, __ATOMIC_ACQUIRE),
		.sq_tail = __atomic_load_n(ctx->sq_tail, __ATOMIC_ACQUIRE),
		.cq_head = __atomic_load_n(ctx->cq_head, __ATOMIC_ACQUIRE),
		.cq_tail = __atomic_load_n(ctx->cq_tail, __ATOMIC_ACQUIRE),
		.sq_flags = *ctx->sq_flags,
		.cq_flags = *ctx->cq_flags,
		.cq_overflow = *ctx->cq_overflow,
		.sq_dropped = *ctx->sq_dropped,
	};
	o->rings_copy = malloc(o->rings_len);
	o->sqes_copy = malloc(o->sqes_len);
	if (!o->rings_copy || !o->sqes_copy)
		return -ENOMEM;
	memcpy(o->rings_copy, o->rings, o->rings_len);
	memcpy(o->sqes_copy, o->sqes, o->sqes_len);
	return 0;
}

static void drop_old(struct old_rings *o)
{
	free(o->rings_copy);
	free(o->sqes_copy);
}

static void unmap_ours(struct uring_ctx *ctx)
{
	if (ctx->app_memory)
		return;
	kernel_munmap(ctx->rings, ctx->rings_len);
	kernel_munmap(ctx->sqes, ctx->sqes_len);
}

/* Map the old sizes again and put their bytes back. */
static void restore_old(struct uring_ctx *ctx, struct old_rings *o,
			struct io_uring_params *p)
{
	struct ring_sizes sz = {o->sq_entries, o->cq_entries, o->sqes_len,
				o->rings_len};

	set_entries(ctx, o->sq_entries, o->cq_entries);
	if (o->app_memory) {
		ctx->rings = o->rings;
		ctx->sqes = o->sqes;
		ctx->rings_len = o->rings_len;
		ctx->sqes_len = o->sqes_len;
		ctx->app_memory = true;
	} else {
		uring_ring_memory_map(ctx, p, &sz);
	}
	memcpy(ctx->rings, o->rings_copy, o->rings_len);
	memcpy(ctx->sqes, o->sqes_copy, o->sqes_len);
	uring_ring_fields_init(ctx, o->array_off);
}

/* Pending entries keep their ring positions, as the kernel copies them. */
static void move_entries(struct uring_ctx *ctx, const struct old_rings *o)
{
	const char *old_cqes = (const char *)o->rings_copy + o->cqes_off;

	for (unsigned i = o->sq_head; i != o->sq_tail; i++)
		memcpy((char *)ctx->sqes + (i & ctx->sq_mask) * sqe_bytes(ctx),
		       (char *)o->sqes_copy +
			       (i & (o->sq_entries - 1)) * sqe_bytes(ctx),
		       sqe_bytes(ctx));
	for (unsigned i = o->cq_head; i != o->cq_tail; i++)
		memcpy((char *)ctx->cqes + (i & ctx->cq_mask) * cqe_bytes(ctx),
		       old_cqes + (i & (o->cq_entries - 1)) * cqe_bytes(ctx),
		       cqe_bytes(ctx));
	*ctx->sq_head = o->sq_head;
	*ctx->sq_tail = o->sq_tail;
	*ctx->cq_head = o->cq_head;
	*ctx->cq_tail = o->cq_tail;
	*ctx->sq_flags = o->sq_flags;
	*ctx->cq_flags = o->cq_flags;
	*ctx->cq_overflow = o->cq_overflow;
	*ctx->sq_dropped = o->sq_dropped;
}

static int swap_rings(struct uring_ctx *ctx, struct io_uring_params *p,
		      const struct ring_sizes *sz)
{
	struct old_rings o;
	int ret, array_off;

	ret = save_old(ctx, &o);
	if (!ret && (o.sq_tail - o.sq_head > sz->sq_entries ||
		     o.cq_tail - o.cq_head > sz->cq_entries))
		ret = -EOVERFLOW;
	/* Ring memory in the memfd needs the fd, gone after close_ring_fd. */
	if (!ret && !(ctx->flags & IORING_SETUP_NO_MMAP) && ctx->fd < 0)
		ret = -ENOMEM;
	if (ret) {
		drop_old(&o);
		return ret;
	}
	unmap_ours(ctx);
	set_entries(ctx, sz->sq_entries, sz->cq_entries);
	array_off = uring_ring_memory_map(ctx, p, sz);
	if (array_off < 0) {
		restore_old(ctx, &o, p);
		drop_old(&o);
		return array_off;
	}
	uring_ring_fields_init(ctx, (size_t)array_off);
	move_entries(ctx, &o);
	uring_ring_params_fill(ctx, p, (size_t)array_off);
	drop_old(&o);
	return 0;
}

int uring_resize_rings(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	struct io_uring_params p;
	struct ring_sizes sz;
	__u32 asked;
	int ret;

	if (!arg || nr != 1)
		return -EINVAL;
	if (!(ctx->flags & IORING_SETUP_DEFER_TASKRUN))
		return -EINVAL;
	if (uring_copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	if (p.flags & ~(IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP))
		return -EINVAL;
	asked = p.flags;
	p.flags |= ctx->flags & RESIZE_COPY_FLAGS;
	ret = ring_compute_sizes(p.sq_entries, &p, &sz);
	if (ret)
		return ret;
	/* The params go back before the swap; a faulting copy changes nothing. */
	if (uring_copy_to_user((void *)arg, &p, sizeof(p)))
		return -EFAULT;
	pthread_mutex_lock(&ctx->completion_lock);
	ret = swap_rings(ctx, &p, &sz);
	pthread_mutex_unlock(&ctx->completion_lock);
	if (ret)
		return ret;
	/* As 6.18 answers: the flags asked for, no features, no array offset. */
	p.sq_off.array = 0;
	p.flags = asked;
	p.features = 0;
	return uring_copy_to_user((void *)arg, &p, sizeof(p)) ? -EFAULT : 0;
}
