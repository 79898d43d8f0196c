/* SPDX-License-Identifier: MIT */
/*
 * Ring memory after set-up: resizing the rings, registering memory regions
 * and the wait-argument region used by io_uring_submit_and_wait_reg().
 */
#include <stdlib.h>
#include <unistd.h>

#include "ring.h"

/*
 * 6.18 copies back the new sizes and offsets but neither the ring's flags
 * nor, for rings with an SQ index array, that array's offset (it reads 0).
 * Mapping with those params as they are would place the array over the
 * ring's head and tail, so the ring's own flags are used and the array is
 * found where the kernel puts it: after the CQEs, cache-line aligned.
 */
static void resize_fill_mapping_params(const struct io_uring *ring,
				       struct io_uring_params *q)
{
	/* With CQE32 the kernel doubles the whole size, header included. */
	size_t end = ((size_t)q->cq_off.cqes +
		      q->cq_entries * sizeof(struct io_uring_cqe))
		     << !!(ring->flags & IORING_SETUP_CQE32);

	q->flags = ring->flags;
	q->features = ring->features;
	if (!(ring->flags & IORING_SETUP_NO_SQARRAY) && !q->sq_off.array)
		q->sq_off.array = (__u32)((end + 63) & ~(size_t)63);
}

/*
 * SQEs prepared but not yet submitted live only in the old SQE array; the
 * kernel moves just the submitted ones. Keep a copy to move ourselves.
 */
struct unsubmitted_sqes {
	unsigned head, tail;
	size_t sqe_bytes;
	void *copy;
};

static int save_unsubmitted(const struct io_uring *ring,
			    const struct io_uring_params *p,
			    struct unsubmitted_sqes *u)
{
	unsigned shift = io_uring_sqe_shift(ring);
	struct ring_sizes sz;
	struct io_uring_params want = *p;
	unsigned n;

	u->head = ring->sq.sqe_head;
	u->tail = ring->sq.sqe_tail;
	u->sqe_bytes = sizeof(struct io_uring_sqe) << shift;
	u->copy = NULL;
	n = u->tail - u->head;
	want.flags = (p->flags & (IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP)) |
		     (ring->flags & IORING_SETUP_SQE128);
	/* Everything not yet consumed must fit in the new SQ. */
	if (ring_compute_sizes(p->sq_entries, &want, &sz) == 0 &&
	    u->tail - *ring->sq.khead > sz.sq_entries)
		return -EOVERFLOW;
	if (!n)
		return 0;
	u->copy = malloc(n * u->sqe_bytes);
	if (!u->copy)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		memcpy((char *)u->copy + i * u->sqe_bytes,
		       &ring->sq.sqes[((u->head + i) & ring->sq.ring_mask)
				      << shift],
		       u->sqe_bytes);
	return 0;
}

static void restore_unsubmitted(struct io_uring *ring,
				struct unsubmitted_sqes *u)
{
	unsigned shift = io_uring_sqe_shift(ring);

	for (unsigned i = 0; i < u->tail - u->head; i++)
		memcpy(&ring->sq.sqes[((u->head + i) & ring->sq.ring_mask)
				      << shift],
		       (char *)u->copy + i * u->sqe_bytes, u->sqe_bytes);
	ring->sq.sqe_head = u->head;
	ring->sq.sqe_tail = u->tail;
	free(u->copy);
}

ANYRING_EXPORT int io_uring_resize_rings(struct io_uring *ring,
					 struct io_uring_params *p)
{
	const struct anyring_ops *ops = ring_ops(ring);
	struct unsubmitted_sqes pending;
	struct io_uring_params q;
	int ret;

	/* The rings would move, and the application owns NO_MMAP memory. */
	if (ring->flags & IORING_SETUP_NO_MMAP)
		return -EINVAL;
	ret = save_unsubmitted(ring, p, &pending);
	if (ret)
		return ret;
	memset(&p->sq_off, 0, sizeof(p->sq_off));
	memset(&p->cq_off, 0, sizeof(p->cq_off));
	ret = ring_register(ring, IORING_REGISTER_RESIZE_RINGS, p, 1);
	if (ret < 0) {
		free(pending.copy);
		return ret;
	}
	q = *p;
	resize_fill_mapping_params(ring, &q);
	/* The old mappings are stale now: map the new rings in their place. */
	ring_unmap(ring);
	memset(&ring->sq, 0, sizeof(ring->sq));
	memset(&ring->cq, 0, sizeof(ring->cq));
	ring_set_ops(ring, ops);
	ret = ring_map(ring->ring_fd, &q, ring);
	if (ret) {
		free(pending.copy);
		return ret;
	}
	/* The new rings start with a zeroed SQ index array. */
	ring_init_sq_array(ring);
	restore_unsubmitted(ring, &pending);
	return 0;
}

ANYRING_EXPORT int io_uring_register_region(struct io_uring *ring,
					    struct io_uring_mem_region_reg *reg)
{
	return ring_register(ring, IORING_REGISTER_MEM_REGION, reg, 1);
}

/*
 * The man page's CQWAIT_REG never shipped; 6.18 registers wait arguments
 * as a MEM_REGION with REG_WAIT_ARG. reg must be page aligned and own
 * every byte of the pages that nr entries touch; the ring must still be
 * disabled (IORING_SETUP_R_DISABLED).
 */
ANYRING_EXPORT int io_uring_register_wait_reg(struct io_uring *ring,
					      struct io_uring_reg_wait *reg,
					      int nr)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t bytes = (size_t)nr * sizeof(*reg);
	struct io_uring_region_desc desc = {
		.user_addr = (unsigned long)reg,
		.size = (bytes + page - 1) & ~(page - 1),
		.flags = IORING_MEM_REGION_TYPE_USER,
	};
	struct io_uring_mem_region_reg mr = {
		.region_uptr = (unsigned long)&desc,
		.flags = IORING_MEM_REGION_REG_WAIT_ARG,
	};

	if (nr <= 0)
		return -EINVAL;
	return io_uring_register_region(ring, &mr);
}
