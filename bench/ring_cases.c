/* SPDX-License-Identifier: MIT */
/*
 * io_uring cases: NOPs (in batches, or one at a time on rings in several
 * threads), and 4 KiB random reads kept at a queue depth (plain fd, fixed
 * file, fixed file + fixed buffer; inline or forced to the worker pool
 * with IOSQE_ASYNC).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>

#include "worker.h"

#define NOP_BATCH 32
#define BLOCK 4096

/* NOPs in batches on a ring of this thread's own; ns per NOP. */
static void *nop_loop(void *result)
{
	unsigned batch = (unsigned)arg_long("batch", NOP_BATCH);
	struct io_uring ring;
	unsigned long done = 0;
	struct meter m;
	int ret;

	ret = io_uring_queue_init(NOP_BATCH, &ring, 0);
	if (ret)
		fail("queue_init", ret);
	if (batch < 1 || batch > NOP_BATCH)
		fail("batch", EINVAL);
	if (arg_long("regfd", 0) && (ret = io_uring_register_ring_fd(&ring)) != 1)
		fail("register_ring_fd", ret);
	meter_start(&m);
	do {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		for (unsigned i = 0; i < batch; i++)
			io_uring_prep_nop(io_uring_get_sqe(&ring));
		ret = io_uring_submit_and_wait(&ring, batch);
		if (ret != (int)batch)
			fail("submit nop", ret < 0 ? ret : EIO);
		io_uring_for_each_cqe(&ring, head, cqe) {
			if (cqe->res)
				fail("nop cqe", cqe->res);
			seen++;
		}
		if (seen != batch)
			fail("nop cqes missing", EIO);
		io_uring_cq_advance(&ring, seen);
		done += seen;
	} while (meter_more(&m, done));
	*(double *)result = meter_ns_per_op(&m, done);
	io_uring_queue_exit(&ring);
	return NULL;
}

/*
 * With threads=N, N threads run the loop at once, a ring each: their
 * mean, which a lock shared between rings would raise.
 */
int case_nop(void)
{
	long nthreads = arg_long("threads", 1);
	pthread_t threads[8];
	double ns[8], sum = 0;

	if (nthreads < 1 || nthreads > 8)
		fail("threads", EINVAL);
	for (long i = 1; i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, nop_loop, &ns[i]))
			fail("pthread_create", EAGAIN);
	nop_loop(&ns[0]);
	for (long i = 1; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	for (long i = 0; i < nthreads; i++)
		sum += ns[i];
	report("ns_per_op", sum / (double)nthreads);
	return 0;
}

struct read_job {
	struct io_uring ring;
	int fd;
	long blocks;
	unsigned long long seed;
	char *bufs;
	bool fixed_file, fixed_buf, async;
};

static void queue_read(struct read_job *j, unsigned slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&j->ring);
	off_t off = (off_t)(xorshift(&j->seed) % (unsigned long long)j->blocks) *
		    BLOCK;
	char *buf = j->bufs + (size_t)slot * BLOCK;
	int fd = j->fixed_file ? 0 : j->fd;

	if (j->fixed_buf)
		io_uring_prep_read_fixed(sqe, fd, buf, BLOCK, off, (int)slot);
	else
		io_uring_prep_read(sqe, fd, buf, BLOCK, off);
	if (j->fixed_file)
		sqe->flags |= IOSQE_FIXED_FILE;
	if (j->async)
		sqe->flags |= IOSQE_ASYNC;
	sqe->user_data = slot;
}

static void read_setup(struct read_job *j, unsigned qd)
{
	const char *mode = arg_str("mode", "plain");
	struct iovec *iov;
	long size;
	int ret;

	memset(j, 0, sizeof(*j));
	j->fd = open_cached(arg_str("file", ""), !arg_long("miss", 0), &size);
	j->blocks = size / BLOCK;
	j->seed = 0x9e3779b97f4a7c15ULL;
	j->async = arg_long("async", 0);
	j->fixed_file = strcmp(mode, "plain") != 0;
	j->fixed_buf = strcmp(mode, "fixedbuf") == 0;
	if (posix_memalign((void **)&j->bufs, BLOCK, (size_t)qd * BLOCK))
		fail("posix_memalign", ENOMEM);
	memset(j->bufs, 0, (size_t)qd * BLOCK);
	ret = io_uring_queue_init(qd < 8 ? 8 : qd, &j->ring, 0);
	if (ret)
		fail("queue_init", ret);
	if (j->fixed_file && (ret = io_uring_register_files(&j->ring, &j->fd, 1)))
		fail("register_files", ret);
	if (!j->fixed_buf)
		return;
	iov = calloc(qd, sizeof(*iov));
	for (unsigned i = 0; iov && i < qd; i++) {
		iov[i].iov_base = j->bufs + (size_t)i * BLOCK;
		iov[i].iov_len = BLOCK;
	}
	if (!iov || (ret = io_uring_register_buffers(&j->ring, iov, qd)))
		fail("register_buffers", iov ? ret : ENOMEM);
	free(iov);
}

/* Reap what has completed, queueing a new read for each (unless stopping). */
static unsigned reap_reads(struct read_job *j, bool refill)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	io_uring_for_each_cqe(&j->ring, head, cqe) {
		if (cqe->res != BLOCK)
			fail("read cqe", cqe->res < 0 ? cqe->res : EIO);
		if (refill)
			queue_read(j, (unsigned)cqe->user_data);
		seen++;
	}
	io_uring_cq_advance(&j->ring, seen);
	return seen;
}

int case_read(void)
{
	unsigned qd = (unsigned)arg_long("qd", 1), inflight = qd;
	unsigned long done = 0;
	struct read_job j;
	struct meter m;
	int ret;

	read_setup(&j, qd);
	for (unsigned i = 0; i < qd; i++)
		queue_read(&j, i);
	meter_start(&m);
	do {
		ret = io_uring_submit_and_wait(&j.ring, 1);
		if (ret < 0)
			fail("submit read", ret);
		done += reap_reads(&j, true);
	} while (meter_more(&m, done));
	report("ns_per_op", meter_ns_per_op(&m, done));
	/* Let the reads in flight land before their buffers go. */
	io_uring_submit(&j.ring);
	inflight = qd;
	while (inflight) {
		ret = io_uring_submit_and_wait(&j.ring, 1);
		if (ret < 0)
			fail("drain reads", ret);
		inflight -= reap_reads(&j, false);
	}
	io_uring_queue_exit(&j.ring);
	close(j.fd);
	free(j.bufs);
	return 0;
}
