/* SPDX-License-Identifier: MIT */
/*
 * Ring memory after set-up: resizing the rings, registering memory regions
 * and the wait-argument region used by io_uring_submit_and_wait_reg().
 */
#include <unistd.h>

#include "ring.h"

ANYRING_EXPORT int io_uring_resize_rings(struct io_uring *ring,
					 struct io_uring_params *p)
{
	const struct anyring_ops *ops = ring_ops(ring);
	unsigned sqe_head = ring->sq.sqe_head, sqe_tail = ring->sq.sqe_tail;
	int ret;

	/* The rings would move, and the application owns NO_MMAP memory. */
	if (ring->flags & IORING_SETUP_NO_MMAP)
		return -EINVAL;
	memset(&p->sq_off, 0, sizeof(p->sq_off));
	memset(&p->cq_off, 0, sizeof(p->cq_off));
	ret = ring_register(ring, IORING_REGISTER_RESIZE_RINGS, p, 1);
	if (ret < 0)
		return ret;
	/* The old mappings are stale now: map the new rings in their place. */
	ring_unmap(ring);
	memset(&ring->sq, 0, sizeof(ring->sq));
	memset(&ring->cq, 0, sizeof(ring->cq));
	ring_set_ops(ring, ops);
	ret = ring_map(ring->ring_fd, p, ring);
	if (ret)
		return ret;
	ring->sq.sqe_head = sqe_head;
	ring->sq.sqe_tail = sqe_tail;
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
