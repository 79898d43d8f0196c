/* SPDX-License-Identifier: MIT */
/*
 * References without io_uring: a pread (or preadv2 RWF_NOWAIT) loop, and a
 * plain mutex + condition-variable thread pool doing pread at a queue depth.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "worker.h"

#define BLOCK 4096

int case_pread(void)
{
	bool nowait = arg_long("nowait", 0);
	/* Buffers used in turn, as a ring at queue depth bufs uses them. */
	long nbufs = arg_long("bufs", 1);
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	unsigned long done = 0;
	struct meter m;
	long size, blocks;
	char *buf;
	int fd = open_cached(arg_str("file", ""), true, &size);

	blocks = size / BLOCK;
	if (nbufs < 1 || posix_memalign((void **)&buf, BLOCK,
					(size_t)nbufs * BLOCK))
		fail("posix_memalign", ENOMEM);
	memset(buf, 0, (size_t)nbufs * BLOCK);
	meter_start(&m);
	do {
		off_t off = (off_t)(xorshift(&seed) % (unsigned long long)blocks) *
			    BLOCK;
		char *dst = buf + (size_t)(done % (unsigned long)nbufs) * BLOCK;
		struct iovec iov = {dst, BLOCK};
		ssize_t n = nowait ? preadv2(fd, &iov, 1, off, RWF_NOWAIT)
				   : pread(fd, dst, BLOCK, off);

		/* A page evicted meanwhile is read blocking, as a ring would. */
		if (n < 0 && nowait && errno == EAGAIN)
			n = pread(fd, dst, BLOCK, off);
		if (n != BLOCK)
			fail("pread", n < 0 ? errno : EIO);
		done++;
	} while (meter_more(&m, done));
	report("ns_per_op", meter_ns_per_op(&m, done));
	free(buf);
	close(fd);
	return 0;
}

/* The pool: a queue of offsets in, a count of completions out. */
struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	off_t *queue;
	unsigned cap, head, tail; /* queue positions, free-running */
	unsigned completed;
	int errors;
	bool stop;
	int fd;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	char *buf;

	if (posix_memalign((void **)&buf, BLOCK, BLOCK))
		return NULL;
	memset(buf, 0, BLOCK);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->head == p->tail && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->head == p->tail)
			break;
		off_t off = p->queue[p->head++ % p->cap];

		pthread_mutex_unlock(&p->lock);
		ssize_t n = pread(p->fd, buf, BLOCK, off);
		pthread_mutex_lock(&p->lock);
		if (n != BLOCK)
			p->errors++;
		p->completed++;
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	free(buf);
	return NULL;
}

/* Queue n reads; the caller holds the lock. */
static void pool_submit(struct pool *p, unsigned n, unsigned long long *seed,
			long blocks)
{
	while (n--) {
		p->queue[p->tail++ % p->cap] =
			(off_t)(xorshift(seed) % (unsigned long long)blocks) *
			BLOCK;
		pthread_cond_signal(&p->work);
	}
}

int case_pool(void)
{
	unsigned qd = (unsigned)arg_long("qd", 1);
	unsigned nthreads = (unsigned)arg_long("threads", qd < 4 ? qd : 4);
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	struct pool p = {.lock = PTHREAD_MUTEX_INITIALIZER,
			 .work = PTHREAD_COND_INITIALIZER,
			 .done = PTHREAD_COND_INITIALIZER};
	unsigned long done = 0;
	pthread_t *threads;
	struct meter m;
	long size;

	p.fd = open_cached(arg_str("file", ""), true, &size);
	p.cap = qd;
	p.queue = calloc(qd, sizeof(*p.queue));
	threads = calloc(nthreads, sizeof(*threads));
	if (!p.queue || !threads)
		fail("calloc", ENOMEM);
	for (unsigned i = 0; i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, pool_worker, &p))
			fail("pthread_create", errno);
	pthread_mutex_lock(&p.lock);
	pool_submit(&p, qd, &seed, size / BLOCK);
	meter_start(&m);
	do {
		while (!p.completed)
			pthread_cond_wait(&p.done, &p.lock);
		unsigned n = p.completed;

		p.completed = 0;
		done += n;
		pool_submit(&p, n, &seed, size / BLOCK);
	} while (meter_more(&m, done));
	p.stop = true;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.lock);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	if (p.errors)
		fail("pool pread", EIO);
	report("ns_per_op", meter_ns_per_op(&m, done));
	free(threads);
	free(p.queue);
	close(p.fd);
	return 0;
}
