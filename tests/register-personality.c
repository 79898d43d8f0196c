/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_PERSONALITY / UNREGISTER_PERSONALITY (kernel-semantics.md
 * §3.9, §3.10): cyclic ids, errors, and SQEs that carry a personality.
 */
#include "harness.h"

static int nop_with_personality(struct io_uring *ring, unsigned id)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	io_uring_prep_nop(sqe);
	sqe->personality = (__u16)id;
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c.res;
}

/* An openat under a personality runs with the registered credentials. */
static void check_credentials(struct io_uring *ring)
{
	struct io_uring_sqe *sqe;
	char path[] = "/tmp/anyring-pers-XXXXXX";
	struct t_cqe c;
	int fd, id;

	if (getuid() != 0)
		return;
	fd = mkstemp(path);
	close(fd);
	chmod(path, 0600);
	/* Register nobody's credentials, then return to root. */
	REQUIRE_EQ(setresuid(-1, 65534, 0), 0);
	id = io_uring_register_personality(ring);
	REQUIRE_EQ(setresuid(-1, 0, 0), 0);
	ASSERT_TRUE(id > 0);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
	sqe->personality = (__u16)id;
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_EQ(c.res, -EACCES);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_TRUE(c.res >= 0);
	if (c.res >= 0)
		close(c.res);
	ASSERT_EQ(io_uring_unregister_personality(ring, id), 0);
	unlink(path);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	int a, b, c;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_PERSONALITY);
	t_ring(&ring, 4, 0);
	EXPECT_REG(&ring, IORING_REGISTER_PERSONALITY, &ring, 0, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_PERSONALITY, NULL, 1, -EINVAL);
	EXPECT_REG(&ring, IORING_UNREGISTER_PERSONALITY, &ring, 1, -EINVAL);
	ASSERT_EQ(io_uring_unregister_personality(&ring, 0), -EINVAL);
	ASSERT_EQ(io_uring_unregister_personality(&ring, 1), -EINVAL);
	ASSERT_EQ(io_uring_unregister_personality(&ring, 65536), -EINVAL);

	a = io_uring_register_personality(&ring);
	b = io_uring_register_personality(&ring);
	ASSERT_EQ(a, 1);
	ASSERT_EQ(b, 2);
	ASSERT_EQ(io_uring_unregister_personality(&ring, a), 0);
	ASSERT_EQ(io_uring_unregister_personality(&ring, a), -EINVAL);
	/* Freed ids are not reused until the counter wraps. */
	c = io_uring_register_personality(&ring);
	ASSERT_EQ(c, 3);
	ASSERT_EQ(nop_with_personality(&ring, (unsigned)b), 0);
	ASSERT_EQ(nop_with_personality(&ring, 1), -EINVAL);
	ASSERT_EQ(nop_with_personality(&ring, 999), -EINVAL);
	ASSERT_EQ(io_uring_unregister_personality(&ring, b), 0);
	ASSERT_EQ(io_uring_unregister_personality(&ring, c), 0);
	check_credentials(&ring);
	io_uring_queue_exit(&ring);
	return t_done();
}
