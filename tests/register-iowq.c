/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_IOWQ_AFF, UNREGISTER_IOWQ_AFF, REGISTER_IOWQ_MAX_WORKERS
 * (kernel-semantics.md §3.17 - §3.19).
 */
#include <pthread.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "harness.h"

static struct io_uring shared;

static void *other_thread_aff(void *arg)
{
	cpu_set_t set;

	(void)arg;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return (void *)(long)io_uring_register_iowq_aff(&shared, sizeof(set), &set);
}

static void check_affinity(struct io_uring *ring)
{
	cpu_set_t set;
	pthread_t t;
	void *ret;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	EXPECT_REG(ring, IORING_REGISTER_IOWQ_AFF, NULL, sizeof(set), -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_IOWQ_AFF, &set, 0, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_IOWQ_AFF, (void *)16, 8, -EFAULT);
	ASSERT_EQ(io_uring_register_iowq_aff(ring, 1UL << 31, &set), -EINVAL);
	ASSERT_EQ(io_uring_register_iowq_aff(ring, sizeof(set), &set), 0);
	/* Larger than the kernel's cpumask, and empty: both accepted. */
	{
		char big[1024];

		memset(big, 0, sizeof(big));
		big[0] = 1;
		EXPECT_REG(ring, IORING_REGISTER_IOWQ_AFF, big, sizeof(big), 0);
		big[0] = 0;
		EXPECT_REG(ring, IORING_REGISTER_IOWQ_AFF, big, 8, 0);
	}
	EXPECT_REG(ring, IORING_UNREGISTER_IOWQ_AFF, &set, 0, -EINVAL);
	EXPECT_REG(ring, IORING_UNREGISTER_IOWQ_AFF, NULL, 1, -EINVAL);
	ASSERT_EQ(io_uring_unregister_iowq_aff(ring), 0);
	ASSERT_EQ(io_uring_unregister_iowq_aff(ring), 0);
	/* A CPU outside the allowed set. */
	CPU_ZERO(&set);
	CPU_SET(CPU_SETSIZE - 1, &set);
	if (sysconf(_SC_NPROCESSORS_CONF) < CPU_SETSIZE) {
		/* Bits at or above nr_cpu_ids are ignored. */
		ASSERT_EQ(io_uring_register_iowq_aff(ring, sizeof(set), &set), 0);
	}
	/* A thread that never used io_uring has no io-wq: EINVAL. */
	shared = *ring;
	pthread_create(&t, NULL, other_thread_aff, NULL);
	pthread_join(t, &ret);
	ASSERT_EQ((long)ret, -EINVAL);
}

static void check_max_workers(struct io_uring *ring)
{
	unsigned vals[2] = {0, 0};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct rlimit nproc;
	unsigned bounded_default;

	getrlimit(RLIMIT_NPROC, &nproc);
	EXPECT_REG(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, NULL, 2, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, vals, 1, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, (void *)16, 2, -EFAULT);
	vals[0] = 0x80000000U;
	ASSERT_EQ(io_uring_register_iowq_max_workers(ring, vals), -EINVAL);
	ASSERT_EQ(vals[0], 0x80000000U); /* nothing written back */
	/* {0,0} reads the defaults: min(sq_entries, 4*cpus), RLIMIT_NPROC. */
	vals[0] = vals[1] = 0;
	ASSERT_EQ(io_uring_register_iowq_max_workers(ring, vals), 0);
	bounded_default = 8 < 4 * cpus ? 8 : (unsigned)(4 * cpus);
	ASSERT_EQ(vals[0], bounded_default);
	if (nproc.rlim_cur < 0x7fffffff)
		ASSERT_EQ(vals[1], nproc.rlim_cur);
	/* Setting returns the old values. */
	vals[0] = 3;
	vals[1] = 0;
	ASSERT_EQ(io_uring_register_iowq_max_workers(ring, vals), 0);
	ASSERT_EQ(vals[0], bounded_default);
	vals[0] = vals[1] = 0;
	ASSERT_EQ(io_uring_register_iowq_max_workers(ring, vals), 0);
	ASSERT_EQ(vals[0], 3);
}

/* Queue an O_CREAT open of a FIFO: always run by a worker, it waits there. */
static void open_fifo(struct io_uring *ring, const char *path, __u64 data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY | O_CREAT, 0600);
	sqe->user_data = data;
}

/* A writer that does not wait: it succeeds once a reader has the FIFO open. */
static int writer(const char *path)
{
	return open(path, O_WRONLY | O_NONBLOCK);
}

/* Threads named as io-wq workers (both backends name them iou-wrk-TID). */
static int count_workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk-", 8))
			n++;
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* A temporary directory holding two FIFOs, a and b. */
struct fifos {
	char dir[32], a[64], b[64];
};

static void fifos_make(struct fifos *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/anyring-iowq-XXXXXX");
	REQUIRE_EQ(mkdtemp(f->dir) != NULL, 1);
	snprintf(f->a, sizeof(f->a), "%s/a", f->dir);
	snprintf(f->b, sizeof(f->b), "%s/b", f->dir);
	REQUIRE_EQ(mkfifo(f->a, 0600), 0);
	REQUIRE_EQ(mkfifo(f->b, 0600), 0);
}

static void fifos_remove(const struct fifos *f)
{
	unlink(f->a);
	unlink(f->b);
	rmdir(f->dir);
}

/* A ring limited to `bounded` bounded workers, both FIFO opens submitted. */
static void open_both(struct io_uring *ring, const struct fifos *f,
		      unsigned bounded)
{
	unsigned vals[2] = {bounded, 0};

	t_ring(ring, 8, 0);
	ASSERT_EQ(io_uring_register_iowq_max_workers(ring, vals), 0);
	open_fifo(ring, f->a, 1);
	open_fifo(ring, f->b, 2);
	REQUIRE_EQ(io_uring_submit(ring), 2);
}

/* Close both opens' results and writers, the ring and the FIFOs. */
static void finish_both(struct io_uring *ring, const struct fifos *f,
			const struct t_cqe c[2], int wa, int wb)
{
	close(c[0].res);
	close(c[1].res);
	close(wa);
	close(wb);
	io_uring_queue_exit(ring);
	fifos_remove(f);
}

/*
 * Opens are bounded work. With one bounded worker the second open waits
 * behind the first: while the first runs, one worker exists and the
 * second FIFO has no reader.
 */
static void check_limit_honoured(void)
{
	struct io_uring ring;
	struct t_cqe c[2];
	struct fifos f;
	int wa = -1, wb = -1;

	fifos_make(&f);
	open_both(&ring, &f, 1);
	while (wa < 0 && wb < 0) {
		wb = writer(f.b);
		if (wb < 0)
			wa = writer(f.a);
	}
	ASSERT_TRUE(wa >= 0);
	ASSERT_EQ(wb, -1);
	ASSERT_EQ(count_workers(), 1);
	c[0] = t_wait_one(&ring);
	ASSERT_EQ(c[0].user_data, 1);
	ASSERT_TRUE(c[0].res >= 0);
	/* Now the second open runs. */
	while (wb < 0)
		wb = writer(f.b);
	c[1] = t_wait_one(&ring);
	ASSERT_EQ(c[1].user_data, 2);
	ASSERT_TRUE(c[1].res >= 0);
	finish_both(&ring, &f, c, wa, wb);
}

/*
 * Work that blocks runs side by side up to the limit: with two bounded
 * workers, the second open runs while the first waits for its writer.
 */
static void check_blocking_side_by_side(void)
{
	struct io_uring ring;
	struct t_cqe c[2];
	struct fifos f;
	int wa = -1, wb = -1;

	fifos_make(&f);
	open_both(&ring, &f, 2);
	/*
	 * The open of b gets a reader, and finishes, while the open of a
	 * still waits for its writer: only a second worker can run it.
	 */
	while (wb < 0)
		wb = writer(f.b);
	c[0] = t_wait_one(&ring);
	ASSERT_EQ(c[0].user_data, 2);
	ASSERT_TRUE(c[0].res >= 0);
	while (wa < 0)
		wa = writer(f.a);
	c[1] = t_wait_one(&ring);
	ASSERT_EQ(c[1].user_data, 1);
	ASSERT_TRUE(c[1].res >= 0);
	finish_both(&ring, &f, c, wa, wb);
}

/* Wait up to 5 s for one CQE; a missing one fails the check, not the run. */
static struct t_cqe wait_one_bounded(struct io_uring *ring)
{
	struct __kernel_timespec ts = {.tv_sec = 5};
	struct io_uring_cqe *cqe;
	struct t_cqe c = {.res = -ETIME};

	if (io_uring_wait_cqe_timeout(ring, &cqe, &ts) == 0) {
		c.user_data = cqe->user_data;
		c.res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return c;
}

/*
 * IOSQE_ASYNC goes to a worker before the file is looked up: the class
 * comes from the op alone (reads are unbound work), and the descriptor is
 * resolved when the worker runs it, so a close in between gives EBADF.
 */
static void check_async_file_lookup(void)
{
	int file = t_temp_file(4096, 'q'), far, wa = -1;
	unsigned vals[2] = {1, 0};
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct t_cqe c[2];
	struct fifos f;
	char buf[4];

	fifos_make(&f);
	/* A number nothing else takes once it is closed. */
	far = fcntl(file, F_DUPFD, 900);
	REQUIRE_EQ(far >= 900, 1);
	t_ring(&ring, 8, 0);
	ASSERT_EQ(io_uring_register_iowq_max_workers(&ring, vals), 0);
	ASSERT_EQ(io_uring_register_files(&ring, &file, 1), 0);
	open_fifo(&ring, f.a, 1);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, file, buf, sizeof(buf), 0);
	sqe->flags = IOSQE_ASYNC;
	sqe->user_data = 2;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, 0, buf, sizeof(buf), 0);
	sqe->flags = IOSQE_ASYNC | IOSQE_FIXED_FILE;
	sqe->user_data = 3;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_fsync(sqe, far, 0);
	sqe->flags = IOSQE_ASYNC;
	sqe->user_data = 4;
	REQUIRE_EQ(io_uring_submit(&ring), 4);
	/* The one bounded worker waits in the open; the reads do not. */
	c[0] = wait_one_bounded(&ring);
	c[1] = wait_one_bounded(&ring);
	ASSERT_EQ(c[0].user_data + c[1].user_data, 5);
	ASSERT_EQ(c[0].res, 4);
	ASSERT_EQ(c[1].res, 4);
	/* The fsync waits behind the open, and finds its descriptor gone. */
	close(far);
	while (wa < 0)
		wa = writer(f.a);
	c[0] = wait_one_bounded(&ring);
	ASSERT_EQ(c[0].user_data, 1);
	ASSERT_TRUE(c[0].res >= 0);
	c[1] = wait_one_bounded(&ring);
	ASSERT_EQ(c[1].user_data, 4);
	ASSERT_EQ(c[1].res, -EBADF);
	close(c[0].res);
	close(wa);
	close(file);
	io_uring_queue_exit(&ring);
	fifos_remove(&f);
}

int main(int argc, char **argv)
{
	struct io_uring ring;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_IOWQ_AFF, IORING_REGISTER_IOWQ_MAX_WORKERS);
	/* Affinity changes the pool's bounded limit: check limits first. */
	t_ring(&ring, 8, 0);
	check_max_workers(&ring);
	check_affinity(&ring);
	io_uring_queue_exit(&ring);
	check_limit_honoured();
	check_async_file_lookup();
	/* Last: the kernel's idle workers outlive a lower limit (per task). */
	check_blocking_side_by_side();
	return t_done();
}
