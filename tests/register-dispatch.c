/* SPDX-License-Identifier: MIT */
/*
 * io_uring_register(2)'s common entry checks, in the kernel's order
 * (kernel-semantics.md §1): opcode range, blind fd, ring lookup,
 * SINGLE_ISSUER owner.
 */
#include <pthread.h>
#include <sys/eventfd.h>

#include "harness.h"

static struct io_uring single;

static void *register_from_other_thread(void *arg)
{
	(void)arg;
	return (void *)(long)io_uring_register_personality(&single);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	pthread_t thread;
	void *thread_ret;
	int efd;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_RING_FDS, IORING_REGISTER_PERSONALITY, IORING_REGISTER_QUERY);
	t_ring(&ring, 4, 0);

	/* The opcode is checked before the fd: a bad fd still gives EINVAL. */
	EXPECT_REG(&ring, T_REGISTER_LAST_6_18, NULL, 0, -EINVAL);
	/* Opcodes newer than 6.18 (ZCRX_CTRL, BPF_FILTER) are unknown. */
	EXPECT_REG(&ring, IORING_REGISTER_ZCRX_CTRL, NULL, 0, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_BPF_FILTER, NULL, 1, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_LAST, NULL, 0, -EINVAL);
	EXPECT_REG(&ring, 255, NULL, 0, -EINVAL);
	ASSERT_EQ(io_uring_register(0x7fffffff, 36, NULL, 0), -EINVAL);
	ASSERT_EQ(io_uring_register(0x7fffffff, 36 | IORING_REGISTER_USE_REGISTERED_RING,
				    NULL, 0), -EINVAL);

	/* Blind (fd -1) registration only exists for SEND_MSG_RING and QUERY. */
	ASSERT_EQ(io_uring_register(-1, IORING_REGISTER_FILES, NULL, 0), -EINVAL);
	ASSERT_EQ(io_uring_register(-1, IORING_REGISTER_PERSONALITY, NULL, 0), -EINVAL);
	ASSERT_EQ(io_uring_register(-1, IORING_REGISTER_QUERY, NULL, 0), 0);

	/* Ring lookup: a closed fd, and an fd that is not a ring. */
	ASSERT_EQ(io_uring_register(0x7fffffff, IORING_REGISTER_PERSONALITY, NULL, 0),
		  -EBADF);
	efd = eventfd(0, 0);
	ASSERT_EQ(io_uring_register((unsigned)efd, IORING_REGISTER_PERSONALITY, NULL, 0),
		  -EOPNOTSUPP);
	close(efd);

	/* Registered-index mode: index too large, then an empty slot. */
	ASSERT_EQ(io_uring_register_ring_fd(&ring), 1);
	ASSERT_EQ(io_uring_register(16, IORING_REGISTER_PERSONALITY |
					     IORING_REGISTER_USE_REGISTERED_RING,
				    NULL, 0), -EINVAL);
	ASSERT_EQ(io_uring_register((unsigned)(ring.enter_ring_fd + 1) % 16,
				    IORING_REGISTER_PERSONALITY |
					    IORING_REGISTER_USE_REGISTERED_RING,
				    NULL, 0), -EBADF);
	/* ... and a valid index works like the fd. */
	ASSERT_TRUE(io_uring_register((unsigned)ring.enter_ring_fd,
				      IORING_REGISTER_PERSONALITY |
					      IORING_REGISTER_USE_REGISTERED_RING,
				      NULL, 0) > 0);
	ASSERT_EQ(io_uring_unregister_ring_fd(&ring), 1);
	io_uring_queue_exit(&ring);

	/* SINGLE_ISSUER: another thread is refused with EEXIST. */
	t_ring(&single, 4, IORING_SETUP_SINGLE_ISSUER);
	ASSERT_TRUE(io_uring_register_personality(&single) > 0);
	pthread_create(&thread, NULL, register_from_other_thread, NULL);
	pthread_join(thread, &thread_ret);
	ASSERT_EQ((long)thread_ret, -EEXIST);
	io_uring_queue_exit(&single);

	/* R_DISABLED + SINGLE_ISSUER: no owner until ENABLE_RINGS. */
	t_ring(&single, 4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED);
	pthread_create(&thread, NULL, register_from_other_thread, NULL);
	pthread_join(thread, &thread_ret);
	ASSERT_TRUE((long)thread_ret > 0);
	ASSERT_EQ(io_uring_enable_rings(&single), 0);
	pthread_create(&thread, NULL, register_from_other_thread, NULL);
	pthread_join(thread, &thread_ret);
	ASSERT_EQ((long)thread_ret, -EEXIST);
	io_uring_queue_exit(&single);
	return t_done();
}
