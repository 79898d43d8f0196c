/* SPDX-License-Identifier: MIT */
/*
 * One helper per remaining io_uring_register(2) opcode: eventfd, probe,
 * personality, restrictions, io-wq, cancel, NAPI, clock, messages, zcrx,
 * query.
 */
#include "ring.h"

ANYRING_EXPORT int io_uring_register_eventfd(struct io_uring *ring, int fd)
{
	return ring_register(ring, IORING_REGISTER_EVENTFD, &fd, 1);
}

ANYRING_EXPORT int io_uring_register_eventfd_async(struct io_uring *ring,
						   int fd)
{
	return ring_register(ring, IORING_REGISTER_EVENTFD_ASYNC, &fd, 1);
}

ANYRING_EXPORT int io_uring_unregister_eventfd(struct io_uring *ring)
{
	return ring_register(ring, IORING_UNREGISTER_EVENTFD, NULL, 0);
}

ANYRING_EXPORT int io_uring_register_probe(struct io_uring *ring,
					   struct io_uring_probe *p,
					   unsigned nr)
{
	return ring_register(ring, IORING_REGISTER_PROBE, p, nr);
}

ANYRING_EXPORT int io_uring_register_personality(struct io_uring *ring)
{
	return ring_register(ring, IORING_REGISTER_PERSONALITY, NULL, 0);
}

ANYRING_EXPORT int io_uring_unregister_personality(struct io_uring *ring,
						   int id)
{
	return ring_register(ring, IORING_UNREGISTER_PERSONALITY, NULL,
			     (unsigned)id);
}

ANYRING_EXPORT int io_uring_register_restrictions(
	struct io_uring *ring, struct io_uring_restriction *res,
	unsigned int nr_res)
{
	return ring_register(ring, IORING_REGISTER_RESTRICTIONS, res, nr_res);
}

ANYRING_EXPORT int io_uring_enable_rings(struct io_uring *ring)
{
	return ring_register(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
}

/* nr_args is an unsigned int: a mask size beyond it cannot be passed. */
ANYRING_EXPORT int io_uring_register_iowq_aff(struct io_uring *ring,
					      size_t cpusz,
					      const cpu_set_t *mask)
{
	if (cpusz >= (1U << 31))
		return -EINVAL;
	return ring_register(ring, IORING_REGISTER_IOWQ_AFF, mask,
			     (unsigned)cpusz);
}

ANYRING_EXPORT int io_uring_unregister_iowq_aff(struct io_uring *ring)
{
	return ring_register(ring, IORING_UNREGISTER_IOWQ_AFF, NULL, 0);
}

ANYRING_EXPORT int io_uring_register_iowq_max_workers(struct io_uring *ring,
						      unsigned int *values)
{
	return ring_register(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, values,
			     2);
}

ANYRING_EXPORT int io_uring_register_sync_cancel(
	struct io_uring *ring, struct io_uring_sync_cancel_reg *reg)
{
	return ring_register(ring, IORING_REGISTER_SYNC_CANCEL, reg, 1);
}

ANYRING_EXPORT int io_uring_register_napi(struct io_uring *ring,
					  struct io_uring_napi *napi)
{
	return ring_register(ring, IORING_REGISTER_NAPI, napi, 1);
}

ANYRING_EXPORT int io_uring_unregister_napi(struct io_uring *ring,
					    struct io_uring_napi *napi)
{
	return ring_register(ring, IORING_UNREGISTER_NAPI, napi, 1);
}

ANYRING_EXPORT int io_uring_register_clock(struct io_uring *ring,
					   struct io_uring_clock_register *arg)
{
	return ring_register(ring, IORING_REGISTER_CLOCK, arg, 0);
}

/* A MSG_RING request run at once, without a source ring (fd -1). */
ANYRING_EXPORT int io_uring_register_sync_msg(struct io_uring_sqe *sqe)
{
	return io_uring_register((unsigned)-1, IORING_REGISTER_SEND_MSG_RING,
				 sqe, 1);
}

ANYRING_EXPORT int io_uring_register_ifq(struct io_uring *ring,
					 struct io_uring_zcrx_ifq_reg *reg)
{
	return ring_register(ring, IORING_REGISTER_ZCRX_IFQ, reg, 1);
}

ANYRING_EXPORT int io_uring_register_zcrx_ctrl(struct io_uring *ring,
					      struct zcrx_ctrl *ctrl)
{
	return ring_register(ring, IORING_REGISTER_ZCRX_CTRL, ctrl, 0);
}

ANYRING_EXPORT int io_uring_register_bpf_filter(struct io_uring *ring,
						struct io_uring_bpf *bpf)
{
	return ring_register(ring, IORING_REGISTER_BPF_FILTER, bpf, 1);
}

/* Without a ring (fd -1) the filter is the calling task's. */
ANYRING_EXPORT int io_uring_register_bpf_filter_task(struct io_uring_bpf *bpf)
{
	return io_uring_register((unsigned)-1, IORING_REGISTER_BPF_FILTER, bpf,
				 1);
}

/* Queries are blind (fd -1): the answer does not depend on a ring. */
ANYRING_EXPORT int io_uring_register_query(struct io_uring_query_hdr *query)
{
	return io_uring_register((unsigned)-1, IORING_REGISTER_QUERY, query, 0);
}

/*
 * anyring 0.1 exported the query with a ring argument first; binaries built
 * against it keep that form under the version node they were linked with.
 */
ANYRING_EXPORT __attribute__((symver("io_uring_register_query@ANYRING_0.1")))
int uring_register_query_v0_1(struct io_uring *ring,
			  struct io_uring_query_hdr *query)
{
	if (!ring)
		return io_uring_register_query(query);
	return ring_register(ring, IORING_REGISTER_QUERY, query, 0);
}
