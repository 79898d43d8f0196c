/* SPDX-License-Identifier: MIT */
/*
 * Differential: submission semantics on both backends — init checks,
 * batches that stop at a failure, links and hard links, link timeouts,
 * drain, CQE_SKIP_SUCCESS, overflow, NOP variants, timeouts, cancel.
 */
#include <poll.h>

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

/* A failing SQE ends the batch; the rest waits for the next submit. */
static void batch_stops(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	diff_sqe(c, 1);
	s = diff_sqe(c, 2);
	s->opcode = 250;
	diff_sqe(c, 3);
	DIFF_SUBMIT(c);
	DIFF_REAP(c);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

static void batch_submit_all(struct diff_ctx *c)
{
	batch_stops(c);
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
	s = diff_sqe(c, 13);
	s->flags = IOSQE_IO_DRAIN;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
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

static const struct diff_scenario scenarios[] = {
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
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios, sizeof(scenarios) / sizeof(scenarios[0]));
}
