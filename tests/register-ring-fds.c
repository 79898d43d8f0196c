/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_RING_FDS / UNREGISTER_RING_FDS (kernel-semantics.md §3.20,
 * §3.21), the per-thread table, and liburing's ring-fd helpers with
 * IORING_ENTER_REGISTERED_RING and USE_REGISTERED_RING.
 */
#include <pthread.h>

#include "harness.h"

static void check_register(struct io_uring *ring, struct io_uring *other)
{
	struct io_uring_rsrc_update u[17];

	memset(u, 0, sizeof(u));
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u, 0), -EINVAL);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u, 17), -EINVAL);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, NULL, 1), -EFAULT);
	u[0] = (struct io_uring_rsrc_update){.offset = -1U, .resv = 1,
					     .data = (__u64)ring->ring_fd};
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u, 1), -EINVAL);
	u[0] = (struct io_uring_rsrc_update){.offset = 16, .data = (__u64)ring->ring_fd};
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u, 1), -EINVAL);
	u[0] = (struct io_uring_rsrc_update){.offset = -1U, .data = 0x7ffffff0};
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u, 1), -EBADF);
	u[0] = (struct io_uring_rsrc_update){.offset = -1U, .data = 0};
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u, 1), -EOPNOTSUPP);

	/* Explicit slots, any ring, the same ring twice; a taken slot stops. */
	u[0] = (struct io_uring_rsrc_update){.offset = 5, .data = (__u64)ring->ring_fd};
	u[1] = (struct io_uring_rsrc_update){.offset = -1U, .data = (__u64)other->ring_fd};
	u[2] = (struct io_uring_rsrc_update){.offset = 5, .data = (__u64)ring->ring_fd};
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u, 3), 2);
	ASSERT_EQ(u[0].offset, 5);
	ASSERT_EQ(u[1].offset, 0); /* lowest free slot */
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u + 2, 1), -EBUSY);

	/* Unregister: checks, empty slots are fine, stops at the first error. */
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_RING_FDS, u, 0), -EINVAL);
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_RING_FDS, NULL, 1), -EFAULT);
	u[0] = (struct io_uring_rsrc_update){.offset = 5, .data = 1};
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_RING_FDS, u, 1), -EINVAL);
	u[0] = (struct io_uring_rsrc_update){.offset = 5};
	u[1] = (struct io_uring_rsrc_update){.offset = 0};
	u[2] = (struct io_uring_rsrc_update){.offset = 3};
	u[3] = (struct io_uring_rsrc_update){.offset = 99};
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_RING_FDS, u, 4), 3);

	/* All 16 slots, then EBUSY. */
	for (int i = 0; i < 16; i++)
		u[i] = (struct io_uring_rsrc_update){.offset = -1U,
						     .data = (__u64)ring->ring_fd};
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u, 16), 16);
	u[16] = (struct io_uring_rsrc_update){.offset = -1U, .data = (__u64)ring->ring_fd};
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_RING_FDS, u + 16, 1), -EBUSY);
	for (int i = 0; i < 16; i++)
		u[i] = (struct io_uring_rsrc_update){.offset = (__u32)i};
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_RING_FDS, u, 16), 16);
}

static struct io_uring *thread_ring;

static void *other_thread(void *arg)
{
	struct io_uring_rsrc_update u = {.offset = 0};

	(void)arg;
	/* No task context here: unregister returns 0 at once. */
	return (void *)(long)io_uring_register((unsigned)thread_ring->ring_fd,
					       IORING_UNREGISTER_RING_FDS, &u, 1);
}

static void *other_thread_uses_index(void *arg)
{
	(void)arg;
	return (void *)(long)io_uring_register(
		(unsigned)thread_ring->enter_ring_fd,
		IORING_REGISTER_PROBE | IORING_REGISTER_USE_REGISTERED_RING,
		NULL, 0);
}

static void check_helpers(struct io_uring *ring)
{
	struct io_uring_sqe *sqe;
	pthread_t t;
	void *ret;
	struct t_cqe c;

	ASSERT_EQ(io_uring_unregister_ring_fd(ring), -EINVAL);
	ASSERT_EQ(io_uring_close_ring_fd(ring), -EINVAL);
	ASSERT_EQ(io_uring_register_ring_fd(ring), 1);
	ASSERT_EQ(io_uring_register_ring_fd(ring), -EEXIST);
	ASSERT_TRUE(ring->enter_ring_fd >= 0 && ring->enter_ring_fd < 16);
	/* The table is per thread. */
	thread_ring = ring;
	pthread_create(&t, NULL, other_thread, NULL);
	pthread_join(t, &ret);
	ASSERT_EQ((long)ret, 0);
	pthread_create(&t, NULL, other_thread_uses_index, NULL);
	pthread_join(t, &ret);
	ASSERT_EQ((long)ret, -EINVAL);

	/* Submission and registration now go through the index... */
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 42;
	ASSERT_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_EQ(c.user_data, 42);
	/* ...also after the fd itself is closed. */
	ASSERT_EQ(io_uring_close_ring_fd(ring), 1);
	ASSERT_EQ(ring->ring_fd, -1);
	ASSERT_EQ(io_uring_close_ring_fd(ring), -EBADF);
	{
		struct io_uring_probe *probe = io_uring_get_probe_ring(ring);

		ASSERT_TRUE(probe != NULL);
		io_uring_free_probe(probe);
	}
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 43;
	ASSERT_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_EQ(c.user_data, 43);
}

static pthread_barrier_t phase;
static int stale_index = -1;
static int stale_enter;

/* Registers the ring's fd here, then uses the index once the ring is gone. */
static void *holder_thread(void *arg)
{
	struct io_uring_rsrc_update u = {.offset = -1U,
					 .data = (__u64)thread_ring->ring_fd};

	(void)arg;
	if (io_uring_register((unsigned)thread_ring->ring_fd,
			      IORING_REGISTER_RING_FDS, &u, 1) == 1)
		stale_index = (int)u.offset;
	pthread_barrier_wait(&phase);
	pthread_barrier_wait(&phase);
	stale_enter = io_uring_enter((unsigned)stale_index, 1, 0,
				     IORING_ENTER_REGISTERED_RING, NULL);
	u = (struct io_uring_rsrc_update){.offset = (__u32)stale_index};
	io_uring_register(0, IORING_UNREGISTER_RING_FDS, &u, 1);
	return NULL;
}

/*
 * Another thread's index for a ring that has been torn down never reaches
 * the ring created next (here it reuses the old ring's memory, and likely
 * its fd): that ring's SQE stays queued until the ring submits it itself.
 */
static void check_index_outlives_ring(void)
{
	struct io_uring gone, next;
	struct t_cqe c;
	pthread_t t;

	t_ring(&gone, 4, 0);
	thread_ring = &gone;
	pthread_barrier_init(&phase, NULL, 2);
	pthread_create(&t, NULL, holder_thread, NULL);
	pthread_barrier_wait(&phase);
	ASSERT_TRUE(stale_index >= 0);
	io_uring_queue_exit(&gone);
	t_ring(&next, 4, 0);
	io_uring_prep_nop(io_uring_get_sqe(&next));
	/* Published, as io_uring_submit would, for whoever enters the ring. */
	__atomic_store_n(next.sq.ktail, next.sq.sqe_tail, __ATOMIC_RELEASE);
	pthread_barrier_wait(&phase);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&phase);
	/* The kernel still has the old ring (0); the userspace one is gone. */
	ASSERT_TRUE(stale_enter == 0 || stale_enter == -EBADF);
	ASSERT_EQ(io_uring_cq_ready(&next), 0);
	ASSERT_EQ(t_submit_wait(&next, &c, 1), 1);
	ASSERT_EQ(c.res, 0);
	io_uring_queue_exit(&next);
}

int main(int argc, char **argv)
{
	struct io_uring ring, other;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_RING_FDS);
	t_ring(&ring, 4, 0);
	t_ring(&other, 4, 0);
	check_register(&ring, &other);
	check_helpers(&ring);
	io_uring_queue_exit(&ring);
	io_uring_queue_exit(&other);
	check_index_outlives_ring();
	return t_done();
}
