/* SPDX-License-Identifier: MIT */
/*
 * Stress: many rings on many threads, one ring shared by several
 * submitters and a reaper, and rings torn down with requests in flight.
 * Every CQE must arrive exactly once with its expected result, and no
 * descriptor (nor, on the userspace backend, thread) may outlive a ring.
 */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>

#include "harness.h"

#define THREADS 6
#define ROUNDS 150

static int file_fd;

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

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

/* Tear rings down with reads, polls, timeouts and async work pending. */
static void check_teardown(void)
{
	int fds_before = count_dir("/proc/self/fd");
	int tasks_before = count_dir("/proc/self/task");

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
	ASSERT_EQ(count_dir("/proc/self/fd"), fds_before);
	/* Kernel io-wq workers leave asynchronously; ours are joined. */
	if (t_backend_kind() == ANYRING_BACKEND_USER)
		ASSERT_EQ(count_dir("/proc/self/task"), tasks_before);
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
	check_teardown();
	close(file_fd);
	return t_done();
}
