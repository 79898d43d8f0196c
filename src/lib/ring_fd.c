/* SPDX-License-Identifier: MIT */
/*
 * Registering the ring's own fd (IORING_REGISTER_RING_FDS) so that enter
 * and register calls use the thread's index instead of an fd lookup.
 */
#include "ring.h"

ANYRING_EXPORT int io_uring_register_ring_fd(struct io_uring *ring)
{
	struct io_uring_rsrc_update up = {
		.offset = -1U,
		.data = (__u64)ring->ring_fd,
	};
	int ret;

	if (ring->int_flags & INT_FLAG_REG_RING)
		return -EEXIST;
	ret = ring_register(ring, IORING_REGISTER_RING_FDS, &up, 1);
	if (ret == 1) {
		ring->enter_ring_fd = (int)up.offset;
		ring->int_flags |= INT_FLAG_REG_RING;
		if (ring->features & IORING_FEAT_REG_REG_RING)
			ring->int_flags |= INT_FLAG_REG_REG_RING;
	}
	return ret;
}

ANYRING_EXPORT int io_uring_unregister_ring_fd(struct io_uring *ring)
{
	struct io_uring_rsrc_update up = {
		.offset = (__u32)ring->enter_ring_fd,
	};
	int ret;

	if (!(ring->int_flags & INT_FLAG_REG_RING))
		return -EINVAL;
	ret = ring_register(ring, IORING_UNREGISTER_RING_FDS, &up, 1);
	if (ret == 1) {
		ring->enter_ring_fd = ring->ring_fd;
		ring->int_flags &= ~(INT_FLAG_REG_RING | INT_FLAG_REG_REG_RING);
	}
	return ret;
}

/*
 * Close the ring's fd and go on through the registered index alone; needs
 * a kernel that resolves register calls through it (REG_REG_RING).
 */
ANYRING_EXPORT int io_uring_close_ring_fd(struct io_uring *ring)
{
	const struct anyring_ops *ops = ring_ops(ring);

	if (!(ring->features & IORING_FEAT_REG_REG_RING))
		return -EOPNOTSUPP;
	if (!(ring->int_flags & INT_FLAG_REG_RING))
		return -EINVAL;
	if (ring->ring_fd == -1)
		return -EBADF;
	if (ops && ops->fd_closed)
		ops->fd_closed((unsigned)ring->ring_fd);
	kernel_close(ring->ring_fd);
	ring->ring_fd = -1;
	return 1;
}
