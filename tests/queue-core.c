/* SPDX-License-Identifier: MIT */
/*
 * The ring core: set-up variants, SQ/CQ accounting, submission and the
 * wait family, overflow, and the size calculators.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "harness.h"

static void nops(struct io_uring *ring, int n, __u64 first)
{
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		REQUIRE_EQ(sqe != NULL, 1);
		io_uring_prep_nop(sqe);
		sqe->user_data = first + (unsigned)i;
	}
}

static void check_setup_params(void)
{
	struct io_uring_params p;
	struct io_uring ring;

	memset(&p, 0, sizeof(p));
	ASSERT_EQ(io_uring_queue_init_params(5, &ring, &p), 0);
	ASSERT_EQ(p.sq_entries, 8);
	ASSERT_EQ(p.cq_entries, 16);
	ASSERT_EQ(ring.sq.ring_entries, 8);
	ASSERT_EQ(ring.cq.ring_entries, 16);
	ASSERT_EQ(ring.sq.ring_mask, 7);
	ASSERT_TRUE(ring.features & IORING_FEAT_EXT_ARG);
	ASSERT_EQ(anyring_ring_backend(&ring), t_backend_kind());
	io_uring_queue_exit(&ring);
	ASSERT_EQ(ring.ring_fd, -1);

	ASSERT_EQ(io_uring_queue_init(0, &ring, 0), -EINVAL);
	ASSERT_EQ(io_uring_queue_init(65536, &ring, 0), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CLAMP;
	ASSERT_EQ(io_uring_queue_init_params(65536, &ring, &p), 0);
	ASSERT_EQ(p.sq_entries, 32768);
	io_uring_queue_exit(&ring);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = 2;
	ASSERT_EQ(io_uring_queue_init_params(4, &ring, &p), -EINVAL);
	p.cq_entries = 100;
	ASSERT_EQ(io_uring_queue_init_params(4, &ring, &p), 0);
	ASSERT_EQ(p.cq_entries, 128);
	io_uring_queue_exit(&ring);
	ASSERT_EQ(io_uring_queue_init(4, &ring, 1U << 31), -EINVAL);
}

static void check_sq_accounting(void)
{
	struct io_uring ring;
	struct t_cqe c[8];

	t_ring(&ring, 4, 0);
	ASSERT_EQ(io_uring_sq_space_left(&ring), 4);
	nops(&ring, 4, 1);
	ASSERT_EQ(io_uring_sq_ready(&ring), 4);
	ASSERT_EQ(io_uring_sq_space_left(&ring), 0);
	ASSERT_TRUE(io_uring_get_sqe(&ring) == NULL);
	ASSERT_EQ(io_uring_submit(&ring), 4);
	ASSERT_EQ(io_uring_sq_ready(&ring), 0);
	ASSERT_EQ(io_uring_cq_ready(&ring), 4);
	ASSERT_EQ(t_reap(&ring, c, 8), 4);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(c[i].user_data, (unsigned)i + 1);
	ASSERT_EQ(io_uring_submit(&ring), 0);
	io_uring_queue_exit(&ring);
}

static void check_waits(void)
{
	struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
	struct io_uring_cqe *cqe, *batch[8];
	struct io_uring ring;
	int p[2];

	t_ring(&ring, 8, 0);
	REQUIRE_EQ(pipe(p), 0);
	ASSERT_EQ(io_uring_peek_cqe(&ring, &cqe), -EAGAIN);
	ASSERT_EQ(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), -ETIME);
	ASSERT_EQ(io_uring_wait_cqes(&ring, &cqe, 2, &ts, NULL), -ETIME);
	nops(&ring, 3, 10);
	ASSERT_EQ(io_uring_submit_and_wait(&ring, 3), 3);
	ASSERT_EQ(io_uring_peek_batch_cqe(&ring, batch, 8), 3);
	ASSERT_EQ(batch[2]->user_data, 12);
	io_uring_cq_advance(&ring, 3);
	ASSERT_EQ(io_uring_peek_batch_cqe(&ring, batch, 8), 0);

	nops(&ring, 2, 20);
	ASSERT_EQ(io_uring_submit_and_wait_timeout(&ring, &cqe, 2, &ts, NULL), 2);
	ASSERT_TRUE(cqe && cqe->user_data == 20);
	io_uring_cq_advance(&ring, 2);
	/* Nothing to complete: the timeout ends the wait. */
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		char buf[4];

		io_uring_prep_read(sqe, p[0], buf, 4, 0);
		sqe->user_data = 30;
		/* As in liburing: the submit count wins, and no CQE came. */
		ASSERT_EQ(io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL),
			  1);
		ASSERT_TRUE(cqe == NULL);
		ASSERT_EQ(io_uring_wait_cqes_min_timeout(&ring, &cqe, 1, &ts, 500, NULL),
			  -ETIME);
		ASSERT_EQ(write(p[1], "abcd", 4), 4);
		ASSERT_EQ(io_uring_wait_cqe_nr(&ring, &cqe, 1), 0);
		ASSERT_EQ(cqe->user_data, 30);
		ASSERT_EQ(cqe->res, 4);
		io_uring_cqe_seen(&ring, cqe);
	}
	nops(&ring, 1, 40);
	ASSERT_EQ(io_uring_submit_and_get_events(&ring), 1);
	ASSERT_EQ(io_uring_cq_ready(&ring), 1);
	ASSERT_EQ(io_uring_get_events(&ring), 0);
	io_uring_cq_advance(&ring, 1);
	nops(&ring, 1, 50);
	ASSERT_EQ(io_uring_submit_and_wait_min_timeout(&ring, &cqe, 1, &ts, 100, NULL), 1);
	ASSERT_EQ(cqe->user_data, 50);
	io_uring_cqe_seen(&ring, cqe);
	ASSERT_EQ(io_uring_set_iowait(&ring, false), 0);
	nops(&ring, 1, 60);
	ASSERT_EQ(io_uring_submit_and_wait(&ring, 1), 1);
	ASSERT_EQ(io_uring_set_iowait(&ring, true), 0);
	io_uring_cq_advance(&ring, 1);
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
}

static void on_usr2(int sig)
{
	(void)sig;
}

static void *signal_later(void *arg)
{
	struct timespec t = {0, 20000000};

	nanosleep(&t, NULL);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

/*
 * A signal ends a wait with EINTR, also while a read waits for data and
 * with a restartable handler; the read completes afterwards.
 */
static void check_signal_ends_wait(void)
{
	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa = {.sa_handler = on_usr2,
				       .sa_flags = restart ? SA_RESTART : 0};
		struct __kernel_timespec ts = {.tv_sec = 5};
		pthread_t self = pthread_self(), t;
		struct io_uring_cqe *cqe;
		struct io_uring ring;
		char buf[4];
		int p[2];

		t_ring(&ring, 8, 0);
		REQUIRE_EQ(pipe(p), 0);
		io_uring_prep_read(io_uring_get_sqe(&ring), p[0], buf, 4, 0);
		REQUIRE_EQ(io_uring_submit(&ring), 1);
		sigaction(SIGUSR2, &sa, NULL);
		REQUIRE_EQ(pthread_create(&t, NULL, signal_later, &self), 0);
		ASSERT_EQ(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), -EINTR);
		pthread_join(t, NULL);
		ASSERT_EQ(write(p[1], "x", 1), 1);
		ASSERT_EQ(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), 0);
		ASSERT_EQ(cqe->res, 1);
		io_uring_cqe_seen(&ring, cqe);
		io_uring_queue_exit(&ring);
		close(p[0]);
		close(p[1]);
	}
	signal(SIGUSR2, SIG_DFL);
}

/* No CQE is lost when the CQ overflows. */
static void check_overflow(void)
{
	struct io_uring_params p = {.flags = IORING_SETUP_CQSIZE, .cq_entries = 4};
	struct io_uring ring;
	struct t_cqe c[16];

	REQUIRE_EQ(io_uring_queue_init_params(4, &ring, &p), 0);
	for (int round = 0; round < 3; round++) {
		nops(&ring, 4, 100 + round * 4);
		ASSERT_EQ(io_uring_submit(&ring), 4);
	}
	ASSERT_EQ(io_uring_cq_ready(&ring), 4);
	ASSERT_TRUE(io_uring_cq_has_overflow(&ring));
	ASSERT_EQ(t_reap(&ring, c, 16), 12);
	for (int i = 0; i < 12; i++)
		ASSERT_EQ(c[i].user_data, 100 + (unsigned)i);
	ASSERT_TRUE(!io_uring_cq_has_overflow(&ring));
	io_uring_queue_exit(&ring);
}

static void check_app_memory_and_mmap(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	ssize_t need = io_uring_memory_size(8, 0);
	void *mem;
	int fd;

	ASSERT_TRUE(need > 0);
	ASSERT_EQ(io_uring_mlock_size(8, 0), need);
	ASSERT_EQ(io_uring_memory_size(0, 0), -EINVAL);
	mem = mmap(NULL, (size_t)need, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(&p, 0, sizeof(p));
	ASSERT_EQ(io_uring_queue_init_mem(8, &ring, &p, mem, (size_t)need - 4096), -ENOMEM);
	memset(&p, 0, sizeof(p));
	ASSERT_EQ(io_uring_queue_init_mem(8, &ring, &p, mem, (size_t)need), need);
	ASSERT_TRUE(ring.flags & IORING_SETUP_NO_MMAP);
	nops(&ring, 2, 1);
	ASSERT_EQ(io_uring_submit_and_wait(&ring, 2), 2);
	ASSERT_EQ(io_uring_cq_ready(&ring), 2);
	io_uring_queue_exit(&ring);
	munmap(mem, (size_t)need);

	/* NO_MMAP with memory the library allocates. */
	ASSERT_EQ(io_uring_queue_init(8, &ring, IORING_SETUP_NO_MMAP), 0);
	nops(&ring, 1, 1);
	ASSERT_EQ(io_uring_submit_and_wait(&ring, 1), 1);
	io_uring_queue_exit(&ring);

	/* A raw io_uring_setup() fd mapped with io_uring_queue_mmap(). */
	memset(&p, 0, sizeof(p));
	fd = io_uring_setup(4, &p);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(io_uring_queue_mmap(fd, &p, &ring), 0);
	ASSERT_EQ(io_uring_ring_dontfork(&ring), 0);
	nops(&ring, 1, 9);
	ASSERT_EQ(io_uring_submit_and_wait(&ring, 1), 1);
	io_uring_queue_exit(&ring);
	memset(&ring, 0, sizeof(ring));
	ASSERT_EQ(io_uring_ring_dontfork(&ring), -EINVAL);
	ASSERT_EQ(io_uring_setup(0, &p), -EINVAL);
	ASSERT_EQ(io_uring_enter(0x7ffffff0, 0, 0, 0, NULL), -EBADF);
}

static void check_sqpoll_and_registered_only(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	struct t_cqe c;

	t_ring(&ring, 4, IORING_SETUP_SQPOLL);
	nops(&ring, 1, 7);
	ASSERT_EQ(io_uring_submit(&ring), 1);
	c = t_wait_one(&ring);
	ASSERT_EQ(c.user_data, 7);
	ASSERT_EQ(io_uring_sqring_wait(&ring), 0);
	io_uring_queue_exit(&ring);

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_REGISTERED_FD_ONLY;
	ASSERT_EQ(io_uring_queue_init_params(4, &ring, &p), -EINVAL);
	if (!t_has_register(IORING_REGISTER_RING_FDS))
		return;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_REGISTERED_FD_ONLY | IORING_SETUP_NO_MMAP;
	ASSERT_EQ(io_uring_queue_init_params(4, &ring, &p), 0);
	ASSERT_EQ(ring.ring_fd, -1);
	nops(&ring, 1, 8);
	ASSERT_EQ(io_uring_submit_and_wait(&ring, 1), 1);
	{
		struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);

		ASSERT_TRUE(probe != NULL);
		io_uring_free_probe(probe);
	}
	io_uring_queue_exit(&ring);
}

static void check_versions(void)
{
	ASSERT_EQ(io_uring_major_version(), IO_URING_VERSION_MAJOR);
	ASSERT_EQ(io_uring_minor_version(), IO_URING_VERSION_MINOR);
	ASSERT_TRUE(!io_uring_check_version(2, 0));
	ASSERT_TRUE(io_uring_check_version(3, 0));
	ASSERT_TRUE(anyring_version()[0] != '\0');
	ASSERT_EQ(anyring_set_backend(7), -EINVAL);
	ASSERT_EQ(strcmp(anyring_backend_name(ANYRING_BACKEND_USER), "user"), 0);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	check_setup_params();
	check_sq_accounting();
	check_waits();
	check_signal_ends_wait();
	check_overflow();
	check_app_memory_and_mmap();
	check_sqpoll_and_registered_only();
	check_versions();
	return t_done();
}
