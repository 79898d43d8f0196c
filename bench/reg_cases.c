/* SPDX-License-Identifier: MIT */
/*
 * Registration costs: register and unregister a file table (from
 * descriptors, or sparse), single-slot updates, and buffer tables of
 * 64 KiB buffers; with `mem=1`, the heap this process spends per slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <liburing.h>

#include "worker.h"

/* Distinct descriptors behind a table; larger tables repeat them. */
#define FD_POOL 1000
#define BUF_SIZE (64 << 10)

static int *fd_array(unsigned n)
{
	int *fds = calloc(n, sizeof(*fds));
	unsigned distinct = n < FD_POOL ? n : FD_POOL;

	if (!fds)
		fail("calloc", ENOMEM);
	for (unsigned i = 0; i < n; i++) {
		fds[i] = i < distinct ? open("/dev/null", O_RDONLY | O_CLOEXEC)
				      : fds[i % distinct];
		if (fds[i] < 0)
			fail("open", errno);
	}
	return fds;
}

static void raise_nofile(void)
{
	struct rlimit r;

	/* Tables may be as large as the soft limit: raise it to the hard one. */
	getrlimit(RLIMIT_NOFILE, &r);
	r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
}

static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

/* Time register + unregister pairs; report both, per call. */
static void time_pairs(struct io_uring *ring, const char *what, unsigned n,
		       const void *arg)
{
	double reg = 0, unreg = 0;
	unsigned long pairs = 0;
	struct meter m;

	meter_start(&m);
	do {
		double t0 = now_ns(), t1, t2;
		int ret;

		if (!strcmp(what, "files"))
			ret = io_uring_register_files(ring, arg, n);
		else if (!strcmp(what, "sparse"))
			ret = io_uring_register_files_sparse(ring, n);
		else
			ret = io_uring_register_buffers(ring, arg, n);
		t1 = now_ns();
		if (ret)
			fail("register", ret);
		ret = strcmp(what, "buffers") ? io_uring_unregister_files(ring)
					      : io_uring_unregister_buffers(ring);
		t2 = now_ns();
		if (ret)
			fail("unregister", ret);
		if (m.measuring) {
			reg += t1 - t0;
			unreg += t2 - t1;
			pairs++;
		}
		/* Every pair is a full call: check the clock on each. */
		m.calls |= 7;
	} while (meter_more(&m, 0));
	report("register_ns", reg / (double)pairs);
	report("unregister_ns", unreg / (double)pairs);
}

static void time_updates(struct io_uring *ring, const int *fds)
{
	unsigned long done = 0;
	struct meter m;
	int ret;

	if ((ret = io_uring_register_files_sparse(ring, FD_POOL)))
		fail("register_files_sparse", ret);
	meter_start(&m);
	do {
		/* Each slot alternates between two files, so a file is replaced. */
		unsigned slot = (unsigned)(done % FD_POOL);
		int fd = fds[(done / FD_POOL) & 1 ? slot : (slot + 1) % FD_POOL];

		ret = io_uring_register_files_update(ring, slot, &fd, 1);
		if (ret != 1)
			fail("register_files_update", ret < 0 ? ret : EIO);
		done++;
	} while (meter_more(&m, done));
	report("ns_per_op", meter_ns_per_op(&m, done));
	io_uring_unregister_files(ring);
}

/* Heap bytes per slot of an empty (sparse) and a full table. */
static void measure_memory(struct io_uring *ring, unsigned n, const int *fds)
{
	size_t before = heap_in_use();
	int ret = io_uring_register_files_sparse(ring, n);

	if (ret)
		fail("register_files_sparse", ret);
	report("empty_slot_bytes", (double)(heap_in_use() - before) / n);
	io_uring_unregister_files(ring);
	before = heap_in_use();
	if ((ret = io_uring_register_files(ring, fds, n)))
		fail("register_files", ret);
	report("file_slot_bytes", (double)(heap_in_use() - before) / n);
	io_uring_unregister_files(ring);
}

static struct iovec *buffer_array(unsigned n)
{
	struct iovec *iov = calloc(n, sizeof(*iov));
	char *mem = mmap(NULL, (size_t)n * BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (!iov || mem == MAP_FAILED)
		fail("buffers", ENOMEM);
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = mem + (size_t)i * BUF_SIZE;
		iov[i].iov_len = BUF_SIZE;
	}
	return iov;
}

int case_reg(void)
{
	const char *what = arg_str("what", "files");
	unsigned n = (unsigned)arg_long("n", 1000);
	struct io_uring ring;
	int ret;

	raise_nofile();
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret)
		fail("queue_init", ret);
	if (!strcmp(what, "files") || !strcmp(what, "mem")) {
		int *fds = fd_array(n);

		if (!strcmp(what, "mem"))
			measure_memory(&ring, n, fds);
		else
			time_pairs(&ring, what, n, fds);
	} else if (!strcmp(what, "sparse")) {
		time_pairs(&ring, what, n, NULL);
	} else if (!strcmp(what, "update")) {
		time_updates(&ring, fd_array(FD_POOL));
	} else if (!strcmp(what, "buffers")) {
		time_pairs(&ring, what, n, buffer_array(n));
	} else {
		fail(what, EINVAL);
	}
	io_uring_queue_exit(&ring);
	return 0;
}
