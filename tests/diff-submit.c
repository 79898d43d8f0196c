/* SPDX-License-Identifier: MIT */
/*
 * Differential: submission semantics on both backends — init checks,
 * batches that stop at a failure, links and hard links, link timeouts,
 * drain, CQE_SKIP_SUCCESS, overflow, NOP variants, timeouts, cancel.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include "diff.h"

static void nop_variants(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	diff_sqe(c, 1);
	s = diff_sqe(c, 2);
	s->nop_flags = IORING_NOP_INJECT_RESULT;
	s->len = 77;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 3);
	s->nop_flags = IORING_NOP_FILE;
	s->fd = 999;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 4);
	s->nop_flags = 1U << 7;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 5);
	s->nop_flags = IORING_NOP_FILE;
	s->fd = c->file;
	s = diff_sqe(c, 6);
	s->fd = 12345; /* ignored without NOP_FILE */
	s->buf_index = 9;
	s->flags = IOSQE_FIXED_FILE;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
}

/* Init failures: opcode, flags, BUFFER_SELECT, ioprio, personality. */
static void init_checks(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	s->opcode = 200;
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 2);
	s->flags = 0x80;
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 3);
	s->flags = IOSQE_BUFFER_SELECT;
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 4);
	s->ioprio = 1;
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 5);
	s->personality = 3;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 5);
}

/* Three NOPs, the middle one with an opcode no kernel has, submitted. */
static void submit_bad_middle(struct diff_ctx *c)
{
	diff_sqe(c, 1);
	diff_sqe(c, 2)->opcode = 250;
	diff_sqe(c, 3);
	DIFF_SUBMIT(c);
}

/* A failing SQE ends the batch; the rest waits for the next submit. */
static void batch_stops(struct diff_ctx *c)
{
	submit_bad_middle(c);
	DIFF_REAP(c);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

/* With SUBMIT_ALL the failure completes in place and the batch goes on. */
static void batch_submit_all(struct diff_ctx *c)
{
	submit_bad_middle(c);
	DIFF_WAIT(c, 3);
	DIFF_SUBMIT(c);
}

static void links(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	char *b = c->buf;

	/* A bad member fails its chain; the batch goes on. */
	s = diff_sqe(c, 11);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 12);
	s->flags = IOSQE_IO_LINK;
	s->ioprio = 3;
	diff_sqe(c, 13);
	diff_sqe(c, 14);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 4);
	/* A runtime failure cancels the rest. */
	s = diff_sqe(c, 21);
	io_uring_prep_read(s, -1, b, 4, 0);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 22);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 23);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	/* A hard link carries on after a failure. */
	s = diff_sqe(c, 31);
	io_uring_prep_read(s, -1, b, 4, 0);
	s->flags = IOSQE_IO_HARDLINK;
	diff_sqe(c, 32);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* A short read breaks a link. */
	REQUIRE_EQ(write(c->pipe[1], "ab", 2), 2);
	s = diff_sqe(c, 41);
	io_uring_prep_read(s, c->pipe[0], b, 8, 0);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 42);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* A chain left open at the end of the batch still runs. */
	s = diff_sqe(c, 51);
	s->flags = IOSQE_IO_LINK;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

static void link_timeouts(struct diff_ctx *c)
{
	struct __kernel_timespec ts = {.tv_nsec = 20000000};
	struct io_uring_sqe *s;
	char *b = c->buf;

	/* The timeout fires: -ETIME, then the read is cancelled. */
	s = diff_sqe(c, 1);
	io_uring_prep_read(s, c->pipe[0], b, 8, 0);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 2);
	io_uring_prep_link_timeout(s, &ts, 0);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 3);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	/* The read completes first: its CQE, then the timeout cancelled. */
	s = diff_sqe(c, 11);
	io_uring_prep_read(s, c->pipe[0], b, 1, 0);
	s->flags = IOSQE_IO_LINK;
	s = diff_sqe(c, 12);
	ts.tv_sec = 5;
	io_uring_prep_link_timeout(s, &ts, 0);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(c->pipe[1], "x", 1), 1);
	DIFF_WAIT(c, 2);
	/* A link timeout with nothing before it. */
	s = diff_sqe(c, 21);
	io_uring_prep_link_timeout(s, &ts, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

static void drain_and_skip(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	char *b = c->buf;

	/* The drained NOP waits for the pending read. */
	s = diff_sqe(c, 1);
	io_uring_prep_read(s, c->pipe[0], b, 1, 0);
	s = diff_sqe(c, 2);
	s->flags = IOSQE_IO_DRAIN;
	diff_sqe(c, 3);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	REQUIRE_EQ(write(c->pipe[1], "y", 1), 1);
	DIFF_WAIT(c, 3);
	/* Skipped success, reported failure, then drain is refused. */
	s = diff_sqe(c, 11);
	s->flags = IOSQE_CQE_SKIP_SUCCESS;
	s = diff_sqe(c, 12);
	io_uring_prep_read(s, -1, b, 1, 0);
	s->flags = IOSQE_CQE_SKIP_SUCCESS;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/*
	 * A drain refused at submission can complete before an earlier
	 * request of the same batch on the kernel (the drain still in force
	 * sends that one to io-wq), so the refusal goes in its own batch.
	 */
	s = diff_sqe(c, 13);
	s->flags = IOSQE_IO_DRAIN;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

static void overflow(struct diff_ctx *c)
{
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 4; i++)
			diff_sqe(c, 100 + round * 4 + i);
		DIFF_SUBMIT(c);
	}
	diff_ret(c, io_uring_cq_ready(&c->ring), __LINE__);
	diff_ret(c, io_uring_cq_has_overflow(&c->ring), __LINE__);
	DIFF_REAP(c);
	diff_ret(c, io_uring_cq_has_overflow(&c->ring), __LINE__);
}

static void timeouts(struct diff_ctx *c)
{
	struct __kernel_timespec ts = {.tv_nsec = 10000000}, past = {0, 0};
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	io_uring_prep_timeout(s, &ts, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* Counted: completes after two other CQEs. */
	s = diff_sqe(c, 2);
	ts.tv_sec = 5;
	io_uring_prep_timeout(s, &ts, 2, 0);
	diff_sqe(c, 3);
	diff_sqe(c, 4);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	/* Removed, and removing what is not there. */
	s = diff_sqe(c, 5);
	io_uring_prep_timeout(s, &ts, 0, 0);
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 6);
	io_uring_prep_timeout_remove(s, 5, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 7);
	io_uring_prep_timeout_remove(s, 5, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* Absolute and already past; ETIME_SUCCESS keeps the link. */
	s = diff_sqe(c, 8);
	io_uring_prep_timeout(s, &past, 0, IORING_TIMEOUT_ABS);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 9);
	ts.tv_sec = 0;
	io_uring_prep_timeout(s, &ts, 0, IORING_TIMEOUT_ETIME_SUCCESS);
	s->flags = IOSQE_IO_LINK;
	diff_sqe(c, 10);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* Bad arguments. */
	s = diff_sqe(c, 11);
	io_uring_prep_timeout(s, &ts, 0, 0);
	s->len = 2;
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 12);
	io_uring_prep_timeout(s, &ts, 0, 1U << 9);
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 13);
	io_uring_prep_timeout(s, (void *)16, 0, 0);
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 14);
	io_uring_prep_timeout(s, &ts, 0,
			      IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME);
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 15);
	io_uring_prep_timeout_remove(s, 5, 1);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 5);
}

static void cancels(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	char *b = c->buf;

	s = diff_sqe(c, 1);
	io_uring_prep_read(s, c->pipe[0], b, 1, 0);
	s = diff_sqe(c, 2);
	io_uring_prep_cancel64(s, 1, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 3);
	io_uring_prep_cancel64(s, 999, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* By fd, all of them. */
	s = diff_sqe(c, 4);
	io_uring_prep_read(s, c->pipe[0], b, 1, 0);
	s = diff_sqe(c, 5);
	io_uring_prep_read(s, c->pipe[0], b, 1, 0);
	s = diff_sqe(c, 6);
	io_uring_prep_cancel_fd(s, c->pipe[0], IORING_ASYNC_CANCEL_ALL);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	/* By opcode, and ANY; a timeout is cancellable too. */
	s = diff_sqe(c, 7);
	io_uring_prep_poll_add(s, c->pipe[0], POLLIN);
	s = diff_sqe(c, 8);
	io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_OP);
	s->len = IORING_OP_POLL_ADD;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 9);
	{
		static struct __kernel_timespec ts = {.tv_sec = 5};

		io_uring_prep_timeout(s, &ts, 0, 0);
	}
	s = diff_sqe(c, 10);
	io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	/* Bad flag combinations. */
	s = diff_sqe(c, 11);
	io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD);
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 12);
	io_uring_prep_cancel64(s, 0, 1U << 8);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
}

static void polls(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	s = diff_sqe(c, 1);
	io_uring_prep_poll_add(s, c->pipe[1], POLLOUT);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 2);
	io_uring_prep_poll_add(s, c->pipe[0], POLLIN);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	REQUIRE_EQ(write(c->pipe[1], "z", 1), 1);
	DIFF_WAIT(c, 1);
	/* Multishot: one CQE per wakeup, then removed. */
	s = diff_sqe(c, 3);
	io_uring_prep_poll_multishot(s, c->sock[0], POLLIN);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(write(c->sock[1], "1", 1), 1);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 4);
	io_uring_prep_poll_remove(s, 3);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 5);
	io_uring_prep_poll_remove(s, 3);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 6);
	io_uring_prep_poll_add(s, c->pipe[0], POLLIN);
	s->len = 1U << 5;
	DIFF_SUBMIT(c);
	s = diff_sqe(c, 7);
	io_uring_prep_poll_add(s, 0x7ffffff0, POLLIN);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
}

#define MANY_POLLS 200

/*
 * Many armed polls at once: a third become ready, the rest are cancelled
 * together. (The userspace engine's table of armed polls grows here.)
 */
static void many_polls(struct diff_ctx *c)
{
	int p[MANY_POLLS][2], ready = 0;
	struct io_uring_sqe *s;

	for (int i = 0; i < MANY_POLLS; i++) {
		REQUIRE_EQ(pipe(p[i]), 0);
		s = diff_sqe(c, 1000 + (unsigned)i);
		io_uring_prep_poll_add(s, p[i][0], POLLIN);
		/* The SQ holds 256: submit in chunks. */
		if (i % 100 == 99)
			DIFF_SUBMIT(c);
	}
	for (int i = 0; i < MANY_POLLS; i += 3, ready++)
		REQUIRE_EQ(write(p[i][1], "m", 1), 1);
	DIFF_WAIT_SORTED(c, ready);
	s = diff_sqe(c, 1);
	io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, MANY_POLLS - ready + 1);
	for (int i = 0; i < MANY_POLLS; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
}

/* Parameters that cannot be read, or written back, are EFAULT. */
static void setup_bad_params(struct diff_ctx *c)
{
	long page = sysconf(_SC_PAGESIZE);
	void *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	REQUIRE_EQ(ro != MAP_FAILED, 1);
	REQUIRE_EQ(anyring_set_backend(c->backend), 0);
	diff_ret(c, io_uring_setup(4, NULL), __LINE__);
	diff_ret(c, io_uring_setup(0, NULL), __LINE__);
	diff_ret(c, io_uring_setup(4, (struct io_uring_params *)1), __LINE__);
	diff_ret(c, io_uring_setup(4, ro), __LINE__);
	anyring_set_backend(ANYRING_BACKEND_AUTO);
	munmap(ro, page);
}

/* Setup: accepted flags, refused combinations, and the params filled in. */
static void setup_params(struct diff_ctx *c)
{
	static const struct {
		unsigned entries, flags, cq_entries, cpu;
	} cases[] = {
		{4, 0, 0, 0},
		{5, IORING_SETUP_CQSIZE, 100, 0},
		{4, IORING_SETUP_CQSIZE, 2, 0},
		{4, IORING_SETUP_CQSIZE, 0, 0},
		{65536, 0, 0, 0},
		{65536, IORING_SETUP_CLAMP, 0, 0},
		{4, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, 1U << 20, 0},
		{0, 0, 0, 0},
		{4, IORING_SETUP_R_DISABLED | IORING_SETUP_SUBMIT_ALL, 0, 0},
		{4, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, 0, 0},
		{4, IORING_SETUP_TASKRUN_FLAG, 0, 0},
		{4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0, 0},
		{4, IORING_SETUP_DEFER_TASKRUN, 0, 0},
		{4, IORING_SETUP_SQPOLL | IORING_SETUP_COOP_TASKRUN, 0, 0},
		{4, IORING_SETUP_SQ_AFF, 0, 0},
		/* The SQ thread's CPU must exist and be online. */
		{4, IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF, 0, 0},
		{4, IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF, 0, 4096},
		{4, IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF, 0, 1U << 31},
		{4, IORING_SETUP_NO_SQARRAY, 0, 0},
		{4, IORING_SETUP_SQE128 | IORING_SETUP_CQE32, 0, 0},
		{4, IORING_SETUP_REGISTERED_FD_ONLY, 0, 0},
		{4, IORING_SETUP_SQE_MIXED, 0, 0},
		{4, IORING_SETUP_CQE_MIXED, 0, 0},
		{4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQE32, 0, 0},
		{4, 1U << 20, 0, 0},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct io_uring_params p = {.flags = cases[i].flags,
					    .cq_entries = cases[i].cq_entries,
					    .sq_thread_cpu = cases[i].cpu};
		int fd;

		REQUIRE_EQ(anyring_set_backend(c->backend), 0);
		fd = io_uring_setup(cases[i].entries, &p);
		anyring_set_backend(ANYRING_BACKEND_AUTO);
		diff_ret(c, fd < 0 ? fd : 0, __LINE__);
		if (fd < 0)
			continue;
		diff_ret(c, p.sq_entries, __LINE__);
		diff_ret(c, p.cq_entries, __LINE__);
		diff_ret(c, p.features, __LINE__);
		diff_ret(c, p.sq_off.head | p.sq_off.tail << 8 |
				    (long long)p.sq_off.array << 16,
			 __LINE__);
		diff_ret(c, p.cq_off.cqes | p.cq_off.overflow << 8 |
				    (long long)p.cq_off.flags << 16,
			 __LINE__);
		{
			struct io_uring ring;

			diff_ret(c, io_uring_queue_mmap(fd, &p, &ring), __LINE__);
			diff_ret(c, *ring.sq.kring_entries, __LINE__);
			diff_ret(c, *ring.cq.kring_mask, __LINE__);
			io_uring_queue_exit(&ring);
		}
	}
	setup_bad_params(c);
}

/* A signal unblocked by the wait's sigmask interrupts it with EINTR. */
static volatile sig_atomic_t got_signal;

static void on_usr1(int sig)
{
	(void)sig;
	got_signal = 1;
}

static void *send_usr1(void *arg)
{
	struct timespec t = {0, 20000000};

	nanosleep(&t, NULL);
	kill(getpid(), SIGUSR1);
	(void)arg;
	return NULL;
}

/* A signal the wait's mask lets in ends the wait with EINTR. */
static void wait_for_signal(struct diff_ctx *c, int line)
{
	struct __kernel_timespec ts = {.tv_sec = 5};
	struct sigaction sa = {.sa_handler = on_usr1};
	struct io_uring_cqe *cqe;
	sigset_t block, unblock;
	pthread_t t;

	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&unblock);
	got_signal = 0;
	pthread_create(&t, NULL, send_usr1, NULL);
	diff_ret(c, io_uring_wait_cqes(&c->ring, &cqe, 1, &ts, &unblock), line);
	pthread_join(t, NULL);
	diff_ret(c, got_signal, line);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
}

static void wait_sigmask(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	wait_for_signal(c, __LINE__);
	/* Also while a read waits for data: then it completes as usual. */
	s = diff_sqe(c, 1);
	io_uring_prep_read(s, c->pipe[0], c->buf, 1, 0);
	DIFF_SUBMIT(c);
	wait_for_signal(c, __LINE__);
	REQUIRE_EQ(write(c->pipe[1], "s", 1), 1);
	DIFF_WAIT(c, 1);
	/* A bad sigmask size is refused. */
	{
		sigset_t unblock;

		sigemptyset(&unblock);
		struct io_uring_getevents_arg arg = {.sigmask = (unsigned long)&unblock,
						     .sigmask_sz = 4};

		diff_ret(c, io_uring_enter2((unsigned)c->ring.ring_fd, 0, 1,
					    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
					    (sigset_t *)&arg, sizeof(arg)),
			 __LINE__);
		diff_ret(c, io_uring_enter2((unsigned)c->ring.ring_fd, 0, 1,
					    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
					    (sigset_t *)&arg, sizeof(arg) - 1),
			 __LINE__);
	}
}

static void unsupported_ops(struct diff_ctx *c)
{
	struct io_uring_sqe *s = diff_sqe(c, 1);

	/* Claimed by the probe exactly when supported. */
	s->opcode = IORING_OP_READ;
	s->fd = -1;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	diff_ret(c, anyring_sqe_op_supported(c->backend, IORING_OP_READ), __LINE__);
}

/*
 * A wait for more CQEs than will come ends when a timeout posts its CQE:
 * 6.18 wakes waiters on any timeout completion (liburing's timeout test).
 */
static void timeout_ends_wait(struct diff_ctx *c)
{
	struct __kernel_timespec ts = {.tv_nsec = 1000000};

	io_uring_prep_nop(diff_sqe(c, 1));
	io_uring_prep_timeout(diff_sqe(c, 2), &ts, 0, 0);
	DIFF_SUBMIT(c);
	diff_ret(c, io_uring_enter(c->ring.ring_fd, 0, 4,
				   IORING_ENTER_GETEVENTS, NULL), __LINE__);
	diff_ret(c, io_uring_cq_ready(&c->ring), __LINE__);
	diff_reap(c, __LINE__);

	/* A wait that times out with CQEs in the CQ returns 0, not -ETIME. */
	io_uring_prep_nop(diff_sqe(c, 3));
	DIFF_SUBMIT(c);
	{
		struct io_uring_getevents_arg arg = {.ts = (__u64)(uintptr_t)&ts};

		diff_ret(c, io_uring_enter2(c->ring.ring_fd, 0, 2,
					    IORING_ENTER_GETEVENTS |
						    IORING_ENTER_EXT_ARG,
					    &arg, sizeof(arg)), __LINE__);
		diff_ret(c, io_uring_enter2(c->ring.ring_fd, 0, 2,
					    IORING_ENTER_GETEVENTS |
						    IORING_ENTER_EXT_ARG,
					    &arg, sizeof(arg)), __LINE__);
	}
	diff_reap(c, __LINE__);
	diff_ret(c, io_uring_enter2(c->ring.ring_fd, 0, 1,
				    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
				    &(struct io_uring_getevents_arg){
					    .ts = (__u64)(uintptr_t)&ts},
				    sizeof(struct io_uring_getevents_arg)),
		 __LINE__);
}

/*
 * An IOPOLL ring: only the ops with polled completions are allowed (the
 * rest fail at init with EINVAL), and I/O needs a file that can be polled:
 * O_DIRECT on a block filesystem (here /tmp's), else EOPNOTSUPP.
 */
static void iopoll_ring(struct diff_ctx *c)
{
	char path[64];
	void *buf;
	int direct;

	REQUIRE_EQ(posix_memalign(&buf, 4096, 4096), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->file);
	direct = open(path, O_RDONLY | O_DIRECT);
	io_uring_prep_nop(diff_sqe(c, 1));
	io_uring_prep_fsync(diff_sqe(c, 2), c->file, 0);
	io_uring_prep_read(diff_sqe(c, 3), c->file, buf, 4096, 0);
	io_uring_prep_provide_buffers(diff_sqe(c, 4), c->buf, 64, 1, 7, 0);
	io_uring_prep_remove_buffers(diff_sqe(c, 5), 1, 7);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 5);
	if (direct >= 0) {
		struct io_uring_cqe *cqe;

		/*
		 * Without polled queues (these machines' virtio disks) the I/O
		 * fails with EOPNOTSUPP; 6.18 posts that when polled for, so
		 * this waits without a timeout.
		 */
		io_uring_prep_read(diff_sqe(c, 6), direct, buf, 4096, 0);
		DIFF_SUBMIT(c);
		diff_ret(c, io_uring_wait_cqe(&c->ring, &cqe), __LINE__);
		diff_ret(c, cqe->res, __LINE__);
		io_uring_cqe_seen(&c->ring, cqe);
		close(direct);
	}
	free(buf);
}

/* A READV with a provided buffer reads up to its one iovec's length. */
static void readv_buffer_select(struct diff_ctx *c)
{
	struct iovec iov = {.iov_base = NULL, .iov_len = 10};
	struct iovec two[2] = {iov, iov};
	struct io_uring_sqe *s;

	io_uring_prep_provide_buffers(diff_sqe(c, 1), c->buf, 64, 2, 3, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	s = diff_sqe(c, 2);
	io_uring_prep_readv(s, c->file, &iov, 1, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = 3;
	s = diff_sqe(c, 3);
	io_uring_prep_readv(s, c->file, two, 2, 0); /* one iovec only */
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = 3;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	diff_ret(c, c->buf[9] == 'j' && c->buf[10] == 0, __LINE__);
}

static const struct diff_scenario scenarios[] = {
	{"IOPOLL ring", IORING_SETUP_IOPOLL | IORING_SETUP_SUBMIT_ALL, 0,
	 iopoll_ring, 0},
	{"READV with a provided buffer", 0, 0, readv_buffer_select, 0},
	{"setup parameters", 0, 0, setup_params, 0},
	{"a timeout ends a wait", 0, 0, timeout_ends_wait, 0},
	{"wait with a signal mask", 0, 0, wait_sigmask, 0},
	{"unsupported and supported ops", 0, 0, unsupported_ops, 0},
	{"nop variants", 0, 0, nop_variants, 0},
	{"init checks", 0, 0, init_checks, 0},
	{"batch stops at a failure", 0, 0, batch_stops, 0},
	{"batch with SUBMIT_ALL", IORING_SETUP_SUBMIT_ALL, 0, batch_submit_all, 0},
	{"links", 0, 0, links, 0},
	{"link timeouts", 0, 0, link_timeouts, 0},
	{"drain and skip", 0, 0, drain_and_skip, 0},
	{"CQ overflow", IORING_SETUP_CQSIZE, 4, overflow, 4},
	{"timeouts", 0, 0, timeouts, 0},
	{"cancel", 0, 0, cancels, 0},
	{"poll", 0, 0, polls, 0},
	{"many polls", IORING_SETUP_CQSIZE, 256, many_polls, 512},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios, sizeof(scenarios) / sizeof(scenarios[0]));
}
