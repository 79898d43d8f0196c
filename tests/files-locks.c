/* SPDX-License-Identifier: MIT */
/*
 * Record locks and io_uring: requests and registered-file tables must not
 * release the locks the application holds on a file. OFD locks hold on
 * both backends whatever happens; POSIX locks are released on the
 * userspace backend when it closes its own duplicate of the file (README,
 * known differences), so those cases are asserted on the kernel only.
 */
#include <sys/wait.h>

#include "harness.h"

/* Whether a fresh open file in another process conflicts with byte 0. */
static bool locked_elsewhere(int fd)
{
	pid_t pid = fork();
	int status;

	REQUIRE_EQ(!!(pid >= 0), 1);
	if (pid == 0) {
		char path[64];
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
				   .l_len = 1};
		int other;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		other = open(path, O_RDONLY);
		if (other < 0 || fcntl(other, F_OFD_GETLK, &fl))
			_exit(2);
		_exit(fl.l_type != F_UNLCK);
	}
	REQUIRE_EQ(waitpid(pid, &status, 0), pid);
	REQUIRE_EQ(!!WIFEXITED(status), 1);
	REQUIRE_EQ(!!(WEXITSTATUS(status) < 2), 1);
	return WEXITSTATUS(status) == 1;
}

static void lock_byte0(int fd, int cmd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_len = 1};

	REQUIRE_EQ(fcntl(fd, cmd, &fl), 0);
}

/* A read of fd (a fixed slot with IOSQE_FIXED_FILE in flags). */
static void read_once(struct io_uring *ring, int fd, unsigned char flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	char buf[8];
	struct t_cqe c;

	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	sqe->flags = flags;
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_EQ(c.res, (int)sizeof(buf));
}

/* A read that misses the page cache: it blocks, so it is handed off. */
static void read_uncached(struct io_uring *ring, int fd)
{
	REQUIRE_EQ(fdatasync(fd), 0);
	REQUIRE_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	read_once(ring, fd, 0);
}

/* Register fd, read it through its slot, empty the slot, unregister. */
static void table_round_trip(struct io_uring *ring, int fd)
{
	int empty = -1;

	REQUIRE_EQ(io_uring_register_files(ring, &fd, 1), 0);
	read_once(ring, 0, IOSQE_FIXED_FILE);
	ASSERT_EQ(io_uring_register_files_update(ring, 0, &empty, 1), 1);
	REQUIRE_EQ(io_uring_unregister_files(ring), 0);
	REQUIRE_EQ(io_uring_register_files(ring, &fd, 1), 0);
	REQUIRE_EQ(io_uring_unregister_files(ring), 0);
}

static void check_ofd_lock(struct io_uring *ring)
{
	int fd = t_temp_file(4096, 'o');

	ASSERT_EQ(locked_elsewhere(fd), false);
	lock_byte0(fd, F_OFD_SETLK, F_WRLCK);
	ASSERT_EQ(locked_elsewhere(fd), true);
	read_once(ring, fd, 0);
	read_once(ring, fd, IOSQE_ASYNC);
	read_uncached(ring, fd);
	ASSERT_EQ(locked_elsewhere(fd), true);
	table_round_trip(ring, fd);
	ASSERT_EQ(locked_elsewhere(fd), true);
	lock_byte0(fd, F_OFD_SETLK, F_UNLCK);
	ASSERT_EQ(locked_elsewhere(fd), false);
	close(fd);
}

static void check_posix_lock(struct io_uring *ring)
{
	bool kernel = t_backend_kind() == ANYRING_BACKEND_KERNEL;
	int fd = t_temp_file(4096, 'p');

	lock_byte0(fd, F_SETLK, F_WRLCK);
	ASSERT_EQ(locked_elsewhere(fd), true);
	/* Neither backend duplicates the file for these. */
	read_once(ring, fd, 0);
	read_once(ring, fd, IOSQE_ASYNC);
	ASSERT_EQ(locked_elsewhere(fd), true);
	/* The userspace backend's duplicate is closed after these. */
	read_uncached(ring, fd);
	if (kernel)
		ASSERT_EQ(locked_elsewhere(fd), true);
	lock_byte0(fd, F_SETLK, F_WRLCK);
	table_round_trip(ring, fd);
	if (kernel)
		ASSERT_EQ(locked_elsewhere(fd), true);
	close(fd);
}

int main(int argc, char **argv)
{
	struct io_uring ring;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_FILES);
	t_ring(&ring, 8, 0);
	check_ofd_lock(&ring);
	check_posix_lock(&ring);
	io_uring_queue_exit(&ring);
	return t_done();
}
