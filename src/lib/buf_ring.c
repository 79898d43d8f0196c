/* SPDX-License-Identifier: MIT */
/* Provided-buffer rings: registration and the set-up/free helpers. */
#include <sys/mman.h>

#include "ring.h"

ANYRING_EXPORT int io_uring_register_buf_ring(struct io_uring *ring,
					      struct io_uring_buf_reg *reg,
					      unsigned int flags)
{
	/* Callers pass IOU_PBUF_RING_* either here or in reg; both count. */
	reg->flags |= (__u16)flags;
	return ring_register(ring, IORING_REGISTER_PBUF_RING, reg, 1);
}

ANYRING_EXPORT int io_uring_unregister_buf_ring(struct io_uring *ring,
						int bgid)
{
	struct io_uring_buf_reg reg = {
		.bgid = (__u16)bgid,
	};

	return ring_register(ring, IORING_UNREGISTER_PBUF_RING, &reg, 1);
}

ANYRING_EXPORT int io_uring_buf_ring_head(struct io_uring *ring, int buf_group,
					  uint16_t *head)
{
	struct io_uring_buf_status status = {
		.buf_group = (__u32)buf_group,
	};
	int ret = ring_register(ring, IORING_REGISTER_PBUF_STATUS, &status, 1);

	if (ret)
		return ret;
	*head = (uint16_t)status.head;
	return 0;
}

/* The ring lives in kernel memory, mapped from the ring fd afterwards. */
static struct io_uring_buf_ring *setup_mmap_buf_ring(struct io_uring *ring,
						     struct io_uring_buf_reg *reg,
						     size_t len, int *err)
{
	off_t off = (off_t)(IORING_OFF_PBUF_RING |
			    ((__u64)reg->bgid << IORING_OFF_PBUF_SHIFT));
	void *br;
	int ret;

	ret = io_uring_register_buf_ring(ring, reg, 0);
	if (ret) {
		*err = ret;
		return NULL;
	}
	br = kernel_mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, ring->ring_fd, off);
	if (kernel_mmap_failed(br)) {
		io_uring_unregister_buf_ring(ring, reg->bgid);
		*err = (int)(long)br;
		return NULL;
	}
	return br;
}

/* The ring lives in our memory, which the kernel pins. */
static struct io_uring_buf_ring *setup_user_buf_ring(struct io_uring *ring,
						     struct io_uring_buf_reg *reg,
						     size_t len, int *err)
{
	void *br = kernel_mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	int ret;

	if (kernel_mmap_failed(br)) {
		*err = (int)(long)br;
		return NULL;
	}
	reg->ring_addr = (unsigned long)br;
	ret = io_uring_register_buf_ring(ring, reg, 0);
	if (ret) {
		kernel_munmap(br, len);
		*err = ret;
		return NULL;
	}
	return br;
}

ANYRING_EXPORT struct io_uring_buf_ring *
io_uring_setup_buf_ring(struct io_uring *ring, unsigned int nentries, int bgid,
			unsigned int flags, int *err)
{
	struct io_uring_buf_reg reg = {
		.ring_entries = nentries,
		.bgid = (__u16)bgid,
		.flags = (__u16)flags,
	};
	size_t len = (size_t)nentries * sizeof(struct io_uring_buf);
	struct io_uring_buf_ring *br;
	int dummy;

	if (!err)
		err = &dummy;
	*err = 0;
	if (!len)
		len = sizeof(struct io_uring_buf);
	if (flags & IOU_PBUF_RING_MMAP)
		br = setup_mmap_buf_ring(ring, &reg, len, err);
	else
		br = setup_user_buf_ring(ring, &reg, len, err);
	if (br)
		io_uring_buf_ring_init(br);
	return br;
}

ANYRING_EXPORT int io_uring_free_buf_ring(struct io_uring *ring,
					  struct io_uring_buf_ring *br,
					  unsigned int nentries, int bgid)
{
	int ret = io_uring_unregister_buf_ring(ring, bgid);

	if (ret)
		return ret;
	kernel_munmap(br, (size_t)nentries * sizeof(struct io_uring_buf));
	return 0;
}
