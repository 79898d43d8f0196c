/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_BUFFERS / UNREGISTER_BUFFERS (kernel-semantics.md §3.0, §3.1):
 * every argument check, the memory the kernel refuses to pin, and
 * RLIMIT_MEMLOCK accounting for an unprivileged caller (§7).
 */
#include <grp.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include "harness.h"

#define PAGE 4096UL

static void check_shape_errors(struct io_uring *ring, void *mem)
{
	struct iovec iov[2] = {{mem, PAGE}, {mem, PAGE}};
	static struct iovec many[16385];

	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, NULL, 1, -EFAULT);
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, NULL, 0, -EFAULT);
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, iov, 0, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, many, 16385, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, (void *)16, 1, -EFAULT);
	EXPECT_REG(ring, IORING_UNREGISTER_BUFFERS, NULL, 0, -ENXIO);
	/* Overlapping buffers are fine. */
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, iov, 2, 0);
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, iov, 2, -EBUSY);
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, NULL, 0, -EFAULT);
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, iov, 0, -EBUSY);
	EXPECT_REG(ring, IORING_UNREGISTER_BUFFERS, iov, 0, -EINVAL);
	EXPECT_REG(ring, IORING_UNREGISTER_BUFFERS, NULL, 1, -EINVAL);
	EXPECT_REG(ring, IORING_UNREGISTER_BUFFERS, NULL, 0, 0);
	/* 16384 empty entries is the largest table. */
	EXPECT_REG(ring, IORING_REGISTER_BUFFERS, many, 16384, 0);
	EXPECT_REG(ring, IORING_UNREGISTER_BUFFERS, NULL, 0, 0);
}

static int register_one(struct io_uring *ring, void *base, size_t len)
{
	struct iovec iov = {base, len};

	return io_uring_register_buffers(ring, &iov, 1);
}

static void check_entry_errors(struct io_uring *ring, char *mem)
{
	/* {NULL, 0} is an empty slot, even through opcode 0. */
	ASSERT_EQ(register_one(ring, NULL, 0), 0);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
	ASSERT_EQ(register_one(ring, NULL, PAGE), -EFAULT);
	ASSERT_EQ(register_one(ring, mem, 0), -EFAULT);
	ASSERT_EQ(register_one(ring, mem, (1UL << 30) + 1), -EFAULT);
	ASSERT_EQ(register_one(ring, (void *)-PAGE, PAGE * 2), -EOVERFLOW);
	/* Unaligned start and length are fine. */
	ASSERT_EQ(register_one(ring, mem + 100, PAGE + 100), 0);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
	/* A failed entry undoes the whole table. */
	{
		struct iovec iov[2] = {{mem, PAGE}, {NULL, 1}};

		ASSERT_EQ(io_uring_register_buffers(ring, iov, 2), -EFAULT);
		ASSERT_EQ(io_uring_unregister_buffers(ring), -ENXIO);
	}
}

static void check_memory_kinds(struct io_uring *ring)
{
	char *unmapped, *ro, *shared_anon, *file_private, *file_shared, *gig;
	struct statfs sfs;
	int fd = t_temp_file(2 * PAGE, 'm');

	unmapped = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped + PAGE, PAGE);
	/* Partly unmapped. */
	ASSERT_EQ(register_one(ring, unmapped, 2 * PAGE), -EFAULT);
	munmap(unmapped, PAGE);
	ASSERT_EQ(register_one(ring, unmapped, PAGE), -EFAULT);

	/* Pinning asks for write access. */
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(register_one(ring, ro, PAGE), -EFAULT);
	munmap(ro, PAGE);

	shared_anon = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(register_one(ring, shared_anon, PAGE), 0);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
	munmap(shared_anon, PAGE);

	file_private = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_EQ(register_one(ring, file_private, PAGE), 0);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
	munmap(file_private, PAGE);

	/* Shared mappings of files on writeback filesystems are refused. */
	fstatfs(fd, &sfs);
	if (sfs.f_type != TMPFS_MAGIC) {
		file_shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
		ASSERT_EQ(register_one(ring, file_shared, PAGE), -EFAULT);
		munmap(file_shared, PAGE);
	}
	close(fd);

	/* Exactly 1 GiB is the largest buffer. */
	gig = mmap(NULL, 1UL << 30, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (gig != MAP_FAILED) {
		ASSERT_EQ(register_one(ring, gig, 1UL << 30), 0);
		ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
		munmap(gig, 1UL << 30);
	}
}

/*
 * The kernel charges a uid, not a process, and gives a closed ring's charge
 * back only when its teardown (asynchronous) ends: a uid no other process
 * uses, one per run, starts at nothing whatever earlier runs left behind.
 */
static uid_t unused_uid(void)
{
	return 0x40000000u + (uid_t)getpid();
}

/*
 * Unprivileged, buffers and the ring itself are charged to RLIMIT_MEMLOCK:
 * with 64 KiB and a 4-entry ring, 14 pages fit and 15 do not.
 */
static int memlock_child(void)
{
	struct rlimit lim = {64 * 1024, 64 * 1024};
	struct io_uring ring;
	uid_t uid = unused_uid();
	char *mem;
	int ret;

	if (setrlimit(RLIMIT_MEMLOCK, &lim))
		return 100;
	if (getuid() == 0 && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
			      setresuid(uid, uid, uid)))
		return 101;
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return 102;
	mem = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(register_one(&ring, mem, 15 * PAGE), -ENOMEM);
	ASSERT_EQ(register_one(&ring, mem, 14 * PAGE), 0);
	ASSERT_EQ(io_uring_unregister_buffers(&ring), 0);
	/* Unaligned spans are charged per page touched: 15 pages. */
	ASSERT_EQ(register_one(&ring, mem + 100, 14 * PAGE), -ENOMEM);
	io_uring_queue_exit(&ring);
	return t_failures;
}

static void check_memlock(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(memlock_child());
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

/* Root is exempt from the limit. */
static void check_root_exempt(struct io_uring *ring)
{
	struct rlimit old, lim = {64 * 1024, 64 * 1024};
	char *mem;

	if (getuid() != 0)
		return;
	getrlimit(RLIMIT_MEMLOCK, &old);
	setrlimit(RLIMIT_MEMLOCK, &lim);
	mem = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(register_one(ring, mem, 64 * PAGE), 0);
	ASSERT_EQ(io_uring_unregister_buffers(ring), 0);
	munmap(mem, 64 * PAGE);
	setrlimit(RLIMIT_MEMLOCK, &old);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	char *mem;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_BUFFERS);
	mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_ring(&ring, 8, 0);
	check_shape_errors(&ring, mem);
	check_entry_errors(&ring, mem);
	check_memory_kinds(&ring);
	check_root_exempt(&ring);
	io_uring_queue_exit(&ring);
	check_memlock();
	munmap(mem, 4 * PAGE);
	return t_done();
}
