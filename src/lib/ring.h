/* SPDX-License-Identifier: MIT */
/* Internal state of struct io_uring and the ring's system-call path. */
#ifndef ANYRING_RING_H
#define ANYRING_RING_H

#include "backend.h"
#include <unistd.h>

#include "kernel/syscall.h"

#define ANYRING_EXPORT __attribute__((visibility("default")))

/* ring->int_flags bits; private to the library. */
enum {
	INT_FLAG_REG_RING = 1,     /* enter_ring_fd is a registered index */
	INT_FLAG_REG_REG_RING = 2, /* register may use that index too */
	INT_FLAG_APP_MEM = 4,      /* the application owns the ring memory */
	INT_FLAG_NO_IOWAIT = 8,    /* waits pass IORING_ENTER_NO_IOWAIT */
};

static inline int ring_enter(struct io_uring *ring, unsigned to_submit,
			     unsigned min_complete, unsigned flags,
			     const void *arg, size_t argsz)
{
	const struct anyring_ops *ops = ring_ops(ring);

	if (ring->int_flags & INT_FLAG_REG_RING)
		flags |= IORING_ENTER_REGISTERED_RING;
	if (ring->int_flags & INT_FLAG_NO_IOWAIT)
		flags |= IORING_ENTER_NO_IOWAIT;
	if (uring_likely(!ops))
		return kernel_io_uring_enter2((unsigned)ring->enter_ring_fd,
					      to_submit, min_complete, flags,
					      arg, argsz);
	return ops->enter((unsigned)ring->enter_ring_fd, to_submit,
			  min_complete, flags, arg, argsz);
}

/* io_uring_register(2) on this ring, through its registered index if any. */
static inline int ring_register(struct io_uring *ring, unsigned opcode,
				const void *arg, unsigned nr_args)
{
	const struct anyring_ops *ops = ring_ops(ring);
	unsigned fd = (unsigned)ring->ring_fd;

	if (ring->int_flags & INT_FLAG_REG_REG_RING) {
		opcode |= IORING_REGISTER_USE_REGISTERED_RING;
		fd = (unsigned)ring->enter_ring_fd;
	}
	if (uring_likely(!ops))
		return io_uring_register(fd, opcode, arg, nr_args);
	return ops->register_op(fd, opcode, arg, nr_args);
}

static inline size_t ring_page_align(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) & ~(page - 1);
}

/* Sizes the kernel (and the userspace backend) compute for a ring. */
struct ring_sizes {
	unsigned sq_entries;
	unsigned cq_entries;
	size_t sqes_bytes;  /* the SQE array */
	size_t rings_bytes; /* header, CQEs and the SQ index array */
};

int ring_compute_sizes(unsigned entries, const struct io_uring_params *p,
		       struct ring_sizes *out);

/* Fill ring's pointers from mappings laid out as params p describes. */
void ring_setup_pointers(struct io_uring *ring, const struct io_uring_params *p,
			 void *sq_ptr, void *cq_ptr, void *sqes);

/*
 * Write the identity SQ index array of a ring this process just created or
 * resized; a mapping of someone else's live ring must leave it alone.
 */
void ring_init_sq_array(struct io_uring *ring);

/* Map a ring fd's SQ ring, CQ ring and SQEs into ring; 0 or -errno. */
int ring_map(int fd, const struct io_uring_params *p, struct io_uring *ring);

void ring_unmap(struct io_uring *ring);

#endif
