/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_FILES / UNREGISTER_FILES (kernel-semantics.md §3.2, §3.3) and
 * the liburing helpers on top of them, then fixed-file use at issue time,
 * and tables larger than one batch of the userspace backend's duplicates.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include "harness.h"

static void check_register_errors(struct io_uring *ring, int fd)
{
	int fds[3] = {fd, -1, fd};
	int bad[2] = {fd, 0x7ffffff0};
	int skip[1] = {IORING_REGISTER_FILES_SKIP};
	int self[1] = {ring->ring_fd};

	EXPECT_REG(ring, IORING_REGISTER_FILES, NULL, 1, -EFAULT);
	EXPECT_REG(ring, IORING_REGISTER_FILES, NULL, 0, -EFAULT);
	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, 0, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, (1U << 20) + 1, -EMFILE);
	EXPECT_REG(ring, IORING_REGISTER_FILES, (void *)16, 1, -EFAULT);
	/* A bad fd anywhere fails the whole table; -2 is not special here. */
	EXPECT_REG(ring, IORING_REGISTER_FILES, bad, 2, -EBADF);
	EXPECT_REG(ring, IORING_REGISTER_FILES, skip, 1, -EBADF);
	/* io_uring fds cannot be registered, nor can a copy of one. */
	EXPECT_REG(ring, IORING_REGISTER_FILES, self, 1, -EBADF);
	self[0] = dup(ring->ring_fd);
	EXPECT_REG(ring, IORING_REGISTER_FILES, self, 1, -EBADF);
	close(self[0]);
	/* Nor can an O_PATH descriptor: it opens nothing to read or write. */
	self[0] = open(".", O_PATH | O_CLOEXEC);
	ASSERT_TRUE(self[0] >= 0);
	EXPECT_REG(ring, IORING_REGISTER_FILES, self, 1, -EBADF);
	close(self[0]);
	/* Nothing stayed registered after those failures. */
	EXPECT_REG(ring, IORING_UNREGISTER_FILES, NULL, 0, -ENXIO);

	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, 3, 0);
	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, 3, -EBUSY);
	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, 0, -EBUSY);
	EXPECT_REG(ring, IORING_UNREGISTER_FILES, fds, 0, -EINVAL);
	EXPECT_REG(ring, IORING_UNREGISTER_FILES, NULL, 1, -EINVAL);
	EXPECT_REG(ring, IORING_UNREGISTER_FILES, NULL, 0, 0);
	EXPECT_REG(ring, IORING_UNREGISTER_FILES, NULL, 0, -ENXIO);
}

/* RLIMIT_NOFILE caps the table (root included); the helper raises it. */
static void check_nofile_limit(struct io_uring *ring, int fd)
{
	struct rlimit old, low;
	int *fds = malloc(64 * sizeof(int));

	for (int i = 0; i < 64; i++)
		fds[i] = i == 0 ? fd : -1;
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = 32;
	REQUIRE_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, 33, -EMFILE);
	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, 32, 0);
	EXPECT_REG(ring, IORING_UNREGISTER_FILES, NULL, 0, 0);
	/* io_uring_register_files() retries after raising the soft limit. */
	ASSERT_EQ(io_uring_register_files(ring, fds, 64), 0);
	getrlimit(RLIMIT_NOFILE, &low);
	ASSERT_TRUE(low.rlim_cur >= 64);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
	/* Past the hard limit there is nothing to raise. */
	low.rlim_cur = low.rlim_max = 32;
	if (setrlimit(RLIMIT_NOFILE, &low) == 0) {
		ASSERT_EQ(io_uring_register_files(ring, fds, 64), -EMFILE);
		setrlimit(RLIMIT_NOFILE, &old); /* root may raise it back */
	}
	setrlimit(RLIMIT_NOFILE, &old);
	free(fds);
}

static struct t_cqe fixed_read(struct io_uring *ring, int index, char *buf,
			       unsigned len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	io_uring_prep_read(sqe, index, buf, len, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 7;
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	return c;
}

static void check_fixed_use(struct io_uring *ring, int fd)
{
	int fds[3] = {-1, fd, -1};
	char buf[16] = {0};
	struct t_cqe c;

	/* Without a table every fixed index is -EBADF. */
	c = fixed_read(ring, 0, buf, 8);
	ASSERT_EQ(c.res, -EBADF);
	ASSERT_EQ(io_uring_register_files(ring, fds, 3), 0);
	c = fixed_read(ring, 1, buf, 8);
	ASSERT_EQ(c.user_data, 7);
	ASSERT_EQ(c.res, 8);
	ASSERT_EQ(memcmp(buf, "xxxxxxxx", 8), 0);
	c = fixed_read(ring, 0, buf, 8); /* empty slot */
	ASSERT_EQ(c.res, -EBADF);
	c = fixed_read(ring, 3, buf, 8); /* past the table */
	ASSERT_EQ(c.res, -EBADF);
	c = fixed_read(ring, -1, buf, 8); /* negative, compared unsigned */
	ASSERT_EQ(c.res, -EBADF);
	/* The registered file outlives the caller's fd. */
	{
		int dup_fd = dup(fd);

		ASSERT_EQ(io_uring_unregister_files(ring), 0);
		fds[1] = dup_fd;
		ASSERT_EQ(io_uring_register_files(ring, fds, 3), 0);
		close(dup_fd);
		memset(buf, 0, sizeof(buf));
		c = fixed_read(ring, 1, buf, 4);
		ASSERT_EQ(c.res, 4);
		ASSERT_EQ(memcmp(buf, "xxxx", 4), 0);
	}
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
}

/* Files for table slots: each a memfd holding its own index. */
#define MANY 300 /* more than one SCM_RIGHTS message carries (253) */

static int indexed_file(int i)
{
	int fd = memfd_create("anyring-test", MFD_CLOEXEC);

	REQUIRE_EQ(!!(fd >= 0), 1);
	REQUIRE_EQ(pwrite(fd, &i, sizeof(i), 0), (ssize_t)sizeof(i));
	return fd;
}

/* Slot i reads back index i, or is empty where fds[i] was -1. */
static void check_slots_read_back(struct io_uring *ring, const int *fds)
{
	for (int i = 0; i < MANY; i++) {
		int got = -1;
		struct t_cqe c = fixed_read(ring, i, (char *)&got, sizeof(got));

		if (fds[i] == -1) {
			ASSERT_EQ(c.res, -EBADF);
		} else {
			ASSERT_EQ(c.res, (int)sizeof(got));
			ASSERT_EQ(got, i);
		}
	}
}

/*
 * A table over several batches, with holes: every slot gets its own file,
 * and a bad fd in the last entry fails it all without a descriptor left.
 */
static void check_many_files(struct io_uring *ring)
{
	int fds[MANY], held[MANY];
	int before = t_count_dir("/proc/self/fd");

	for (int i = 0; i < MANY; i++)
		fds[i] = i % 7 == 3 ? -1 : indexed_file(i);
	memcpy(held, fds, sizeof(fds));
	fds[MANY - 1] = 0x7ffffff0;
	ASSERT_EQ(io_uring_register_files(ring, fds, MANY), -EBADF);
	fds[MANY - 1] = held[MANY - 1];
	ASSERT_EQ(io_uring_register_files(ring, fds, MANY), 0);
	/* The table holds the files once the caller's fds are gone. */
	for (int i = 0; i < MANY; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	check_slots_read_back(ring, fds);
	ASSERT_EQ(io_uring_unregister_files(ring), 0);
	ASSERT_EQ(t_count_dir("/proc/self/fd"), before);
}

/*
 * The userspace backend holds each file with a descriptor of its own, so
 * a table that fits RLIMIT_NOFILE can still run out of descriptors
 * (README, known differences): it fails whole, with nothing left open.
 */
static void check_duplicates_past_limit(struct io_uring *ring)
{
	struct rlimit old, low;
	int fds[MANY], before;

	for (int i = 0; i < MANY; i++)
		fds[i] = indexed_file(i);
	before = t_count_dir("/proc/self/fd");
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	/* Room for the table and about a third of the duplicates. */
	low.rlim_cur = (rlim_t)fds[MANY - 1] + 1 + MANY / 3;
	REQUIRE_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	if (t_backend_kind() == ANYRING_BACKEND_USER) {
		ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES, fds, MANY), -EMFILE);
	} else {
		ASSERT_EQ(t_reg(ring, IORING_REGISTER_FILES, fds, MANY), 0);
		ASSERT_EQ(io_uring_unregister_files(ring), 0);
	}
	setrlimit(RLIMIT_NOFILE, &old);
	ASSERT_EQ(t_count_dir("/proc/self/fd"), before);
	ASSERT_EQ(io_uring_unregister_files(ring), -ENXIO);
	for (int i = 0; i < MANY; i++)
		close(fds[i]);
}

/*
 * An array that is readable only in part is read entry by entry: a bad
 * fd before the unreadable entry wins over the fault, as in the kernel.
 */
static void check_partly_readable_array(struct io_uring *ring, int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int *fds = (int *)(map + page) - 2;

	REQUIRE_EQ(!!(map != MAP_FAILED), 1);
	REQUIRE_EQ(mprotect(map + page, page, PROT_NONE), 0);
	fds[0] = fd;
	fds[1] = fd;
	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, 3, -EFAULT);
	fds[1] = 0x7ffffff0;
	EXPECT_REG(ring, IORING_REGISTER_FILES, fds, 3, -EBADF);
	EXPECT_REG(ring, IORING_UNREGISTER_FILES, NULL, 0, -ENXIO);
	munmap(map, 2 * page);
}

/*
 * A file whose last request has posted its CQE is closed once the table
 * is unregistered: a request lets go of its slot before the register call
 * can return, on both backends (the worker's CQE races with it).
 */
static void check_closed_after_last_cqe(struct io_uring *ring, int fd)
{
	int before = t_count_dir("/proc/self/fd");

	for (int round = 0; round < 200; round++) {
		struct io_uring_sqe *sqe;
		char buf[8];
		struct t_cqe c;

		REQUIRE_EQ(io_uring_register_files(ring, &fd, 1), 0);
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_read(sqe, 0, buf, sizeof(buf), 0);
		sqe->flags = IOSQE_FIXED_FILE | IOSQE_ASYNC;
		REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
		ASSERT_EQ(c.res, (int)sizeof(buf));
		REQUIRE_EQ(io_uring_unregister_files(ring), 0);
		ASSERT_EQ(t_count_dir("/proc/self/fd"), before);
	}
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	int fd;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_FILES);
	fd = t_temp_file(4096, 'x');
	t_ring(&ring, 8, 0);
	check_register_errors(&ring, fd);
	check_many_files(&ring);
	check_duplicates_past_limit(&ring);
	check_partly_readable_array(&ring, fd);
	check_closed_after_last_cqe(&ring, fd);
	/* Last but one: a process without privilege cannot undo it. */
	check_nofile_limit(&ring, fd);
	check_fixed_use(&ring, fd);
	io_uring_queue_exit(&ring);
	close(fd);
	return t_done();
}
