/* SPDX-License-Identifier: MIT */
/*
 * Stress: many rings on many threads, one ring shared by several
 * submitters and a reaper, several waiters on one ring with reads armed,
 * recvs on fixed sockets re-armed against a writer, bursts of async reads
 * with cancels, and rings torn down with requests in flight.
 * Every CQE must arrive exactly once with its expected result, and no
 * descriptor (nor, on the userspace backend, thread) may outlive a ring.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "harness.h"

#define THREADS 6
#define ROUNDS 150

static int file_fd;

/* One ring per thread: NOPs, a pipe round trip, async reads, timeouts. */
static void *ring_per_thread(void *arg)
{
	long failures = 0;
	struct io_uring ring;
	char buf[16], out = 'x';
	int p[2];

	(void)arg;
	if (io_uring_queue_init(32, &ring, 0) || pipe(p))
		return (void *)1L;
	for (int round = 0; round < ROUNDS; round++) {
		struct __kernel_timespec ts = {.tv_nsec = 100000};
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;
		bool cancel_round = round % 7 == 3;
		unsigned seen = 0,
			 expect = 6 + (round % 10 == 0) + 2 * cancel_round;

		for (int i = 0; i < 3; i++) {
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_nop(sqe);
			sqe->user_data = 1;
		}
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, p[0], buf, 1, 0);
		sqe->user_data = 2;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_write(sqe, p[1], &out, 1, 0);
		sqe->user_data = 3;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, file_fd, buf, 8, (__u64)round);
		sqe->flags |= IOSQE_ASYNC;
		sqe->user_data = 4;
		if (round % 10 == 0) {
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_timeout(sqe, &ts, 0, 0);
			sqe->user_data = 5;
		}
		if (cancel_round) {
			/* A poll nobody will satisfy, cancelled by user_data. */
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_poll_add(sqe, p[0], POLLPRI);
			sqe->user_data = 6;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_cancel64(sqe, 6, 0);
			sqe->user_data = 7;
		}
		if (io_uring_submit(&ring) != (int)expect)
			failures++;
		while (seen < expect && io_uring_wait_cqe(&ring, &cqe) == 0) {
			__s32 want = cqe->user_data == 4 ? 8
				     : cqe->user_data == 5 ? -ETIME
				     : cqe->user_data == 6 ? -ECANCELED
				     : cqe->user_data == 1 || cqe->user_data == 7 ? 0 : 1;

			if (cqe->res != want)
				failures++;
			seen++;
			io_uring_cqe_seen(&ring, cqe);
		}
		if (seen != expect)
			failures++;
	}
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	return (void *)failures;
}

struct shared {
	struct io_uring ring;
	pthread_mutex_t sq_lock;
	unsigned char seen[THREADS][ROUNDS];
	long failures;
};

static struct shared sh;

static void *shared_submitter(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		struct io_uring_sqe *sqe;

		pthread_mutex_lock(&sh.sq_lock);
		while (!(sqe = io_uring_get_sqe(&sh.ring)))
			io_uring_submit(&sh.ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = ((__u64)id << 32) | (unsigned)i;
		io_uring_submit(&sh.ring);
		pthread_mutex_unlock(&sh.sq_lock);
	}
	return NULL;
}

static void *shared_reaper(void *arg)
{
	(void)arg;
	for (int n = 0; n < THREADS * ROUNDS; n++) {
		struct io_uring_cqe *cqe;
		unsigned id, seq;

		if (io_uring_wait_cqe(&sh.ring, &cqe)) {
			sh.failures++;
			break;
		}
		id = (unsigned)(cqe->user_data >> 32);
		seq = (unsigned)cqe->user_data;
		if (id >= THREADS || seq >= ROUNDS || cqe->res != 0)
			sh.failures++;
		else
			sh.seen[id][seq]++;
		io_uring_cqe_seen(&sh.ring, cqe);
	}
	return NULL;
}

static void check_shared_ring(void)
{
	pthread_t sub[THREADS], reaper;

	pthread_mutex_init(&sh.sq_lock, NULL);
	t_ring(&sh.ring, 64, 0);
	pthread_create(&reaper, NULL, shared_reaper, NULL);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&sub[i], NULL, shared_submitter, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(sub[i], NULL);
	pthread_join(reaper, NULL);
	ASSERT_EQ(sh.failures, 0);
	for (int i = 0; i < THREADS; i++)
		for (int j = 0; j < ROUNDS; j++)
			if (sh.seen[i][j] != 1)
				T_CHECK_INT("CQE seen once", sh.seen[i][j], 1);
	io_uring_queue_exit(&sh.ring);
}

#define PIPES 64
#define HELPERS 3

static struct io_uring waited;
static atomic_int helpers_stop;

/* Wait on the ring without consuming: one such thread polls the sockets. */
static void *extra_waiter(void *arg)
{
	struct io_uring_getevents_arg ga = {0};
	struct __kernel_timespec ts = {0, 500000};

	(void)arg;
	ga.ts = (unsigned long)&ts;
	while (!atomic_load(&helpers_stop)) {
		int ret = io_uring_enter2((unsigned)waited.ring_fd, 0, PIPES,
					  IORING_ENTER_GETEVENTS |
						  IORING_ENTER_EXT_ARG,
					  (sigset_t *)&ga, sizeof(ga));

		if (ret && ret != -ETIME && ret != -EINTR)
			return (void *)1L;
	}
	return NULL;
}

/*
 * Reads wait on pipes while other threads wait on the same ring: whichever
 * thread handles a readiness, the CQE reaches the one that consumes it.
 */
static void check_waiters_with_reads_armed(void)
{
	struct __kernel_timespec ts = {.tv_sec = 5};
	pthread_t helpers[HELPERS];
	int p[PIPES][2], seen[PIPES] = {0};
	char buf[PIPES];

	t_ring(&waited, 128, 0);
	for (int i = 0; i < PIPES; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&waited);

		REQUIRE_EQ(pipe(p[i]), 0);
		io_uring_prep_read(sqe, p[i][0], &buf[i], 1, 0);
		sqe->user_data = (__u64)i;
	}
	REQUIRE_EQ(io_uring_submit(&waited), PIPES);
	atomic_store(&helpers_stop, 0);
	for (int i = 0; i < HELPERS; i++)
		pthread_create(&helpers[i], NULL, extra_waiter, NULL);
	for (int i = 0; i < PIPES; i++) {
		struct io_uring_cqe *cqe;

		REQUIRE_EQ(write(p[i][1], "w", 1), 1);
		ASSERT_EQ(io_uring_wait_cqe_timeout(&waited, &cqe, &ts), 0);
		if (cqe->user_data < PIPES && cqe->res == 1)
			seen[cqe->user_data]++;
		io_uring_cqe_seen(&waited, cqe);
	}
	atomic_store(&helpers_stop, 1);
	for (int i = 0; i < HELPERS; i++) {
		void *ret;

		pthread_join(helpers[i], &ret);
		ASSERT_EQ((long)ret, 0);
	}
	for (int i = 0; i < PIPES; i++) {
		ASSERT_EQ(seen[i], 1);
		close(p[i][0]);
		close(p[i][1]);
	}
	io_uring_queue_exit(&waited);
}

#define CONNS 8
#define BYTES_PER_CONN 2000

static int conn_peer[CONNS];

/* Bytes to every connection in turn, racing the reader's re-arming. */
static void *byte_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < CONNS * BYTES_PER_CONN; i++) {
		if (write(conn_peer[i % CONNS], "b", 1) != 1)
			return (void *)1L;
		if (!(i % 64))
			sched_yield();
	}
	return NULL;
}

static void recv_one(struct io_uring *ring, int slot, char *buf)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_recv(sqe, slot, buf, 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = (__u64)slot;
	REQUIRE_EQ(io_uring_submit(ring), 1);
}

/*
 * One-byte recvs on fixed sockets, each re-armed as it completes, while
 * another thread writes and others wait on the ring (so readiness is
 * handled while recvs are being tried): a readiness that comes between a
 * recv's attempt and its wait must not be lost (every byte arrives, none
 * waits forever).
 */
static void check_fixed_recvs_rearmed(void)
{
	struct __kernel_timespec ts = {.tv_sec = 5};
	int ends[CONNS], pair[2], got[CONNS] = {0}, total = 0;
	pthread_t writer, helpers[HELPERS];
	char buf[CONNS];
	void *ret;

	t_ring(&waited, 2 * CONNS, 0);
	for (int i = 0; i < CONNS; i++) {
		REQUIRE_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
		conn_peer[i] = pair[0];
		ends[i] = pair[1];
	}
	REQUIRE_EQ(io_uring_register_files(&waited, ends, CONNS), 0);
	for (int i = 0; i < CONNS; i++)
		recv_one(&waited, i, &buf[i]);
	atomic_store(&helpers_stop, 0);
	for (int i = 0; i < HELPERS; i++)
		pthread_create(&helpers[i], NULL, extra_waiter, NULL);
	pthread_create(&writer, NULL, byte_writer, NULL);
	while (total < CONNS * BYTES_PER_CONN) {
		struct io_uring_cqe *cqe;
		int slot;

		if (io_uring_wait_cqe_timeout(&waited, &cqe, &ts)) {
			ASSERT_EQ(total, CONNS * BYTES_PER_CONN);
			break;
		}
		slot = (int)cqe->user_data;
		ASSERT_EQ(cqe->res, 1);
		io_uring_cqe_seen(&waited, cqe);
		got[slot]++;
		total++;
		if (got[slot] < BYTES_PER_CONN)
			recv_one(&waited, slot, &buf[slot]);
	}
	atomic_store(&helpers_stop, 1);
	for (int i = 0; i < HELPERS; i++) {
		pthread_join(helpers[i], &ret);
		ASSERT_EQ((long)ret, 0);
	}
	pthread_join(writer, &ret);
	ASSERT_EQ((long)ret, 0);
	for (int i = 0; i < CONNS; i++) {
		ASSERT_EQ(got[i], BYTES_PER_CONN);
		close(conn_peer[i]);
		close(ends[i]);
	}
	io_uring_queue_exit(&waited);
}

/* Open the FIFO for writing once the worker's open waits in it. */
static void *fifo_writer(void *path)
{
	struct timespec later = {0, 5000000};
	int fd;

	/* Later than the waiter's spin, so it is asleep polling by then. */
	nanosleep(&later, NULL);
	while ((fd = open(path, O_WRONLY | O_NONBLOCK)) < 0)
		;
	return (void *)(long)fd;
}

/*
 * A waiter polling for an armed read is woken by a CQE a worker posts: an
 * open of a FIFO finishes in a worker while the pipe read stays armed.
 */
static void check_worker_wakes_polling_waiter(void)
{
	char dir[] = "/tmp/anyring-stress-XXXXXX", fifo[64], never;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	pthread_t writer;
	void *wfd;
	int p[2];

	REQUIRE_EQ(mkdtemp(dir) != NULL, 1);
	snprintf(fifo, sizeof(fifo), "%s/f", dir);
	REQUIRE_EQ(mkfifo(fifo, 0600), 0);
	t_ring(&ring, 8, 0);
	REQUIRE_EQ(pipe(p), 0);
	io_uring_prep_read(io_uring_get_sqe(&ring), p[0], &never, 1, 0);
	sqe = io_uring_get_sqe(&ring);
	/* O_CREAT: always run by a worker, where it waits for a writer. */
	io_uring_prep_openat(sqe, AT_FDCWD, fifo, O_RDONLY | O_CREAT, 0600);
	sqe->user_data = 2;
	REQUIRE_EQ(io_uring_submit(&ring), 2);
	pthread_create(&writer, NULL, fifo_writer, fifo);
	/* No timeout: a lost wake-up must hang here, not pass late. */
	ASSERT_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
	ASSERT_EQ(cqe->user_data, 2);
	ASSERT_TRUE(cqe->res >= 0);
	close(cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	pthread_join(writer, &wfd);
	close((int)(long)wfd);
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	unlink(fifo);
	rmdir(dir);
}

#define BURST 24
#define BURST_ROUNDS 300

struct burst_result {
	int res;
	int seen;
};

/* Queue one round: async reads, an async read linked to a NOP, a cancel. */
static void queue_burst(struct io_uring *ring, int round, char (*bufs)[8])
{
	struct io_uring_sqe *sqe;

	for (int i = 0; i < BURST + 1; i++) {
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_read(sqe, file_fd, bufs[i], 8, (__u64)i * 8);
		sqe->flags |= IOSQE_ASYNC | (i == BURST ? IOSQE_IO_LINK : 0);
		sqe->user_data = (__u64)i;
	}
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = BURST + 1;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_cancel64(sqe, (__u64)(round % BURST), 0);
	sqe->user_data = BURST + 2;
}

/* Each CQE once, with a result that agrees with what the cancel found. */
static void check_burst(const struct burst_result *r, int round)
{
	int target = round % BURST;

	for (int i = 0; i < BURST + 3; i++)
		if (r[i].seen != 1)
			T_CHECK_INT("async burst CQE seen once", r[i].seen, 1);
	for (int i = 0; i <= BURST; i++)
		if (i != target && r[i].res != 8)
			T_CHECK_INT("async burst read", r[i].res, 8);
	if (r[BURST + 1].res != 0)
		T_CHECK_INT("NOP linked to an async read", r[BURST + 1].res, 0);
	switch (r[BURST + 2].res) {
	case 0:
		T_CHECK_INT("cancelled read", r[target].res, -ECANCELED);
		break;
	case -EALREADY:
		/* Flagged while running: it may still stop before its read. */
		if (r[target].res != -ECANCELED)
			T_CHECK_INT("read found running", r[target].res, 8);
		break;
	case -ENOENT:
		T_CHECK_INT("read the cancel missed", r[target].res, 8);
		break;
	default:
		T_CHECK_INT("cancel of an async read", r[BURST + 2].res, 0);
	}
}

/*
 * Bursts of worker-run reads, each with a cancel in its own batch: workers
 * post CQEs in batches, and a cancel must see the batch's work queued.
 */
static void check_async_bursts(void)
{
	char bufs[BURST + 1][8];
	struct io_uring ring;

	t_ring(&ring, 64, 0);
	for (int round = 0; round < BURST_ROUNDS; round++) {
		struct burst_result r[BURST + 3] = {{0}};

		queue_burst(&ring, round, bufs);
		ASSERT_EQ(io_uring_submit(&ring), BURST + 3);
		for (int n = 0; n < BURST + 3; n++) {
			struct io_uring_cqe *cqe;

			REQUIRE_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
			if (cqe->user_data < BURST + 3) {
				r[cqe->user_data].res = cqe->res;
				r[cqe->user_data].seen++;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		check_burst(r, round);
	}
	io_uring_queue_exit(&ring);
}

/* Tear rings down with reads, polls, timeouts and async work pending. */
static void check_teardown(void)
{
	int fds_before = t_count_dir("/proc/self/fd");
	int tasks_before = t_count_dir("/proc/self/task");

	for (int round = 0; round < 20; round++) {
		struct __kernel_timespec ts = {.tv_sec = 60};
		unsigned flags = round % 2 ? IORING_SETUP_SQPOLL : 0;
		struct io_uring ring;
		char buf[8];
		int p[2];

		t_ring(&ring, 32, flags);
		REQUIRE_EQ(pipe(p), 0);
		for (int i = 0; i < 4; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_read(sqe, p[0], buf, 1, 0);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_poll_add(sqe, p[0], POLLIN);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_timeout(sqe, &ts, 0, 0);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_read(sqe, file_fd, buf, 8, 0);
			sqe->flags |= IOSQE_ASYNC;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_read(sqe, p[0], buf, 1, 0);
			sqe->flags |= IOSQE_ASYNC | IOSQE_IO_LINK;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_nop(sqe);
		}
		ASSERT_EQ(io_uring_submit(&ring), 24);
		io_uring_queue_exit(&ring);
		close(p[0]);
		close(p[1]);
	}
	ASSERT_EQ(t_count_dir("/proc/self/fd"), fds_before);
	/* Kernel io-wq workers leave asynchronously; ours are joined. */
	if (t_backend_kind() == ANYRING_BACKEND_USER)
		ASSERT_EQ(t_count_dir("/proc/self/task"), tasks_before);
}

int main(int argc, char **argv)
{
	pthread_t threads[THREADS];

	t_init(argc, argv);
	file_fd = t_temp_file(8192, 's');
	for (long i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, ring_per_thread, NULL);
	for (int i = 0; i < THREADS; i++) {
		void *failures;

		pthread_join(threads[i], &failures);
		ASSERT_EQ((long)failures, 0);
	}
	check_shared_ring();
	check_waiters_with_reads_armed();
	check_fixed_recvs_rearmed();
	check_worker_wakes_polling_waiter();
	check_async_bursts();
	check_teardown();
	close(file_fd);
	return t_done();
}
