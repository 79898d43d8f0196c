/* SPDX-License-Identifier: MIT */
/*
 * Differential: IORING_SETUP_SINGLE_ISSUER on both backends. The owner is
 * the task (thread) that set the ring up, or for R_DISABLED the one that
 * enabled it; another thread or a forked child gets -EEXIST from a submit,
 * from io_uring_register and, with DEFER_TASKRUN, from a wait, while SQPOLL
 * rings take anyone's submissions. A forked child shares the ring: CQEs the
 * parent's side posts wake it, its submit wakes the parent's SQ thread, and
 * its exit of the ring leaves the parent's requests alone.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include "diff.h"

typedef void (*task_fn)(struct diff_ctx *c, int out);

struct task_arg {
	struct diff_ctx *c;
	task_fn fn;
	int out;
};

/* What a task reports; in a thread written to the pipe like a child's. */
static void report(int out, long long value)
{
	REQUIRE_EQ(write(out, &value, sizeof(value)), sizeof(value));
}

/* Log what a task wrote to the pipe, in order, under the caller's line. */
static void log_reports(struct diff_ctx *c, int in, int line)
{
	long long value;

	while (read(in, &value, sizeof(value)) == sizeof(value))
		diff_ret(c, value, line);
	close(in);
}

static void *task_main(void *p)
{
	struct task_arg *a = p;

	a->fn(a->c, a->out);
	close(a->out);
	return NULL;
}

/* Run fn in a new thread of this process, which is a task of its own. */
static void in_thread(struct diff_ctx *c, task_fn fn, int line)
{
	struct task_arg a = {c, fn, -1};
	int fds[2];
	pthread_t t;

	REQUIRE_EQ(pipe(fds), 0);
	a.out = fds[1];
	REQUIRE_EQ(pthread_create(&t, NULL, task_main, &a), 0);
	REQUIRE_EQ(pthread_join(t, NULL), 0);
	log_reports(c, fds[0], line);
}

/*
 * Run fn in a forked child, and then (if given) parent in this process:
 * the child's reports come back through a pipe. A child that hangs is
 * killed by its alarm, which its exit status then shows.
 */
static void in_child_while(struct diff_ctx *c, task_fn fn,
			   void (*parent)(struct diff_ctx *c), int line)
{
	int fds[2], status;
	pid_t pid;

	REQUIRE_EQ(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	REQUIRE_EQ(pid >= 0, 1);
	if (!pid) {
		alarm(20);
		close(fds[0]);
		fn(c, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	if (parent)
		parent(c);
	log_reports(c, fds[0], line);
	REQUIRE_EQ(waitpid(pid, &status, 0), pid);
	diff_ret(c, WIFEXITED(status) ? WEXITSTATUS(status) : -1, line);
}

static void in_child(struct diff_ctx *c, task_fn fn, int line)
{
	in_child_while(c, fn, NULL, line);
}

/* A register call any ring takes: one file in, and out again. */
static int reg_files(struct diff_ctx *c)
{
	int fd = c->pipe[0], ret;

	ret = io_uring_register_files(&c->ring, &fd, 1);
	if (!ret)
		ret = io_uring_unregister_files(&c->ring);
	return ret;
}

static int get_events(struct diff_ctx *c)
{
	return io_uring_enter(c->ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS,
			      NULL);
}

/* A task that does not own the ring: submits, enters, registers. */
static void not_owner(struct diff_ctx *c, int out)
{
	report(out, io_uring_submit(&c->ring));
	/* The check comes before the SQ is read: an empty one is refused. */
	report(out, io_uring_enter(c->ring.ring_fd, 1, 0, 0, NULL));
	report(out, io_uring_enter(c->ring.ring_fd, 0, 0, 0, NULL));
	report(out, get_events(c));
	report(out, reg_files(c));
	report(out, io_uring_enable_rings(&c->ring));
	report(out, io_uring_register_ring_fd(&c->ring));
}

/* The ring's creator submits, registers and waits as usual. */
static void owner(struct diff_ctx *c)
{
	diff_sqe(c, 1);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	diff_ret(c, reg_files(c), __LINE__);
	diff_ret(c, get_events(c), __LINE__);
}

/* A NOP left in the SQ by a refused submit is the owner's to send. */
static void owner_sends_pending(struct diff_ctx *c, int line)
{
	diff_submit_ret(c, io_uring_submit(&c->ring), line);
	diff_wait(c, 1, line);
}

static void other_thread(struct diff_ctx *c)
{
	diff_sqe(c, 2);
	in_thread(c, not_owner, __LINE__);
	owner_sends_pending(c, __LINE__);
}

static void forked_child(struct diff_ctx *c)
{
	diff_sqe(c, 3);
	in_child(c, not_owner, __LINE__);
	owner_sends_pending(c, __LINE__);
}

/* The task that enables an R_DISABLED ring becomes its owner. */
static void enabler(struct diff_ctx *c, int out)
{
	struct io_uring_cqe *cqe;

	report(out, io_uring_enable_rings(&c->ring));
	diff_sqe(c, 5);
	report(out, io_uring_submit_and_wait(&c->ring, 2));
	for (int i = 0; i < 2; i++) {
		report(out, io_uring_wait_cqe(&c->ring, &cqe));
		report(out, (long long)cqe->user_data);
		io_uring_cqe_seen(&c->ring, cqe);
	}
	report(out, reg_files(c));
}

static void enabled_by_thread(struct diff_ctx *c)
{
	/* Before enabling: no owner yet, and the ring refuses every enter. */
	diff_sqe(c, 4);
	DIFF_SUBMIT(c);
	diff_ret(c, get_events(c), __LINE__);
	diff_ret(c, io_uring_enter(c->ring.ring_fd, 0, 0, 0, NULL), __LINE__);
	diff_ret(c, reg_files(c), __LINE__);
	in_thread(c, enabler, __LINE__);
	/* The creator is no longer the owner: the enabling thread is. */
	diff_sqe(c, 6);
	DIFF_SUBMIT(c);
	diff_ret(c, reg_files(c), __LINE__);
	diff_ret(c, io_uring_enable_rings(&c->ring), __LINE__);
	diff_ret(c, get_events(c), __LINE__);
}

static void enabler_submits(struct diff_ctx *c, int out)
{
	struct io_uring_cqe *cqe;

	report(out, io_uring_enable_rings(&c->ring));
	diff_sqe(c, 7);
	report(out, io_uring_submit(&c->ring));
	report(out, io_uring_wait_cqe(&c->ring, &cqe));
	report(out, (long long)cqe->user_data);
	io_uring_cqe_seen(&c->ring, cqe);
}

/* A thread that is not the owner, run after the owner thread is gone. */
static void late_thread(struct diff_ctx *c, int out)
{
	diff_sqe(c, 8);
	report(out, io_uring_submit(&c->ring));
}

/*
 * The owner's exit frees nobody to submit; the next thread often gets the
 * gone owner's pthread_t, which therefore cannot name the task.
 */
static void owner_thread_gone(struct diff_ctx *c)
{
	in_thread(c, enabler_submits, __LINE__);
	in_thread(c, late_thread, __LINE__);
	in_thread(c, late_thread, __LINE__);
	DIFF_SUBMIT(c);
}

/*
 * liburing's case: a forked child enables and submits. Only the child's
 * side is compared: a userspace ring's state after fork is the child's own
 * copy, so the parent does not see the child become the owner.
 */
static void enabled_by_child(struct diff_ctx *c)
{
	in_child(c, enabler_submits, __LINE__);
}

/* DEFER_TASKRUN: waiting runs the owner's task work, so others may not. */
static void defer_taskrun(struct diff_ctx *c)
{
	diff_sqe(c, 9);
	DIFF_SUBMIT(c);
	diff_sqe(c, 10);
	in_thread(c, not_owner, __LINE__);
	in_child(c, not_owner, __LINE__);
	diff_ret(c, get_events(c), __LINE__);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
}

/* Only the submitting task is checked: an SQPOLL ring takes anyone's. */
static void sqpoll_submit(struct diff_ctx *c, int out)
{
	diff_sqe(c, 11);
	report(out, io_uring_submit(&c->ring) >= 0);
	report(out, reg_files(c));
}

static void sqpoll(struct diff_ctx *c)
{
	in_thread(c, sqpoll_submit, __LINE__);
	DIFF_WAIT(c, 1);
	/* The child's SQE reaches the parent's poller through the SQ. */
	in_child(c, sqpoll_submit, __LINE__);
	DIFF_WAIT(c, 1);
}

/*
 * Wait for one CQE (5 s at most) and report it, and whether the posting
 * rather than the timeout ended the wait.
 */
static void wait_reported(struct diff_ctx *c, int out)
{
	struct __kernel_timespec ts = {.tv_sec = 5};
	struct io_uring_cqe *cqe;
	struct timespec t0, t1;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = io_uring_wait_cqe_timeout(&c->ring, &cqe, &ts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report(out, ret);
	report(out, t1.tv_sec - t0.tv_sec < 3);
	if (ret)
		return;
	report(out, (long long)cqe->user_data);
	report(out, cqe->res);
	io_uring_cqe_seen(&c->ring, cqe);
}

/* A child that tells the parent it waits, then waits for a CQE. */
static void child_waits(struct diff_ctx *c, int out)
{
	char go = 1;

	REQUIRE_EQ(write(c->sock[1], &go, 1), 1);
	wait_reported(c, out);
}

/* The parent's side, once the child is (most likely) asleep in its wait. */
static void parent_waits_for_child(struct diff_ctx *c)
{
	char go;

	REQUIRE_EQ(read(c->sock[0], &go, 1), 1);
	usleep(50000);
}

static void parent_sqpoll_posts(struct diff_ctx *c)
{
	parent_waits_for_child(c);
	diff_sqe(c, 12);
	DIFF_SUBMIT(c);
}

/*
 * A forked child shares the ring's CQ: a CQE the parent's SQ thread posts
 * while the child sleeps in its wait wakes the child.
 */
static void child_woken_by_sqpoll(struct diff_ctx *c)
{
	in_child_while(c, child_waits, parent_sqpoll_posts, __LINE__);
}

static void parent_poll_fires(struct diff_ctx *c)
{
	char byte = 1;

	parent_waits_for_child(c);
	REQUIRE_EQ(write(c->pipe[1], &byte, 1), 1);
}

/*
 * A poll armed before the fork completes on the parent's side while the
 * child waits: the child is woken by its CQE.
 */
static void child_woken_by_poll(struct diff_ctx *c)
{
	struct io_uring_sqe *sqe = diff_sqe(c, 13);

	io_uring_prep_poll_add(sqe, c->pipe[0], POLLIN);
	sqe->user_data = 13;
	DIFF_SUBMIT(c);
	in_child_while(c, child_waits, parent_poll_fires, __LINE__);
}

static void child_submits_and_waits(struct diff_ctx *c, int out)
{
	diff_sqe(c, 14);
	report(out, io_uring_submit(&c->ring) >= 0);
	wait_reported(c, out);
}

/* The SQ thread's own ring, idle after 10 ms, in place of the scenario's. */
static void sqpoll_ring_idle_10ms(struct diff_ctx *c)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_SQPOLL,
		.sq_thread_idle = 10,
	};

	io_uring_queue_exit(&c->ring);
	REQUIRE_EQ(anyring_set_backend(c->backend), 0);
	REQUIRE_EQ(io_uring_queue_init_params(8, &c->ring, &p), 0);
	anyring_set_backend(ANYRING_BACKEND_AUTO);
}

/* Whether the SQ thread went to sleep (within 2 s) and needs a wake-up. */
static bool sq_thread_asleep(struct diff_ctx *c)
{
	for (int i = 0; i < 2000; i++) {
		if (IO_URING_READ_ONCE(*c->ring.sq.kflags) &
		    IORING_SQ_NEED_WAKEUP)
			return true;
		usleep(1000);
	}
	return false;
}

/* A child's submit wakes the parent's sleeping SQ thread (SQ_WAKEUP). */
static void child_wakes_sqpoll(struct diff_ctx *c)
{
	sqpoll_ring_idle_10ms(c);
	diff_ret(c, sq_thread_asleep(c), __LINE__);
	in_child(c, child_submits_and_waits, __LINE__);
}

static void child_exits_ring(struct diff_ctx *c, int out)
{
	io_uring_queue_exit(&c->ring);
	report(out, 1);
}

/* A child's exit of the ring drops its view only: the parent's poll stays. */
static void child_exit_keeps_poll(struct diff_ctx *c)
{
	struct io_uring_sqe *sqe = diff_sqe(c, 15);
	char byte = 1;

	io_uring_prep_poll_add(sqe, c->pipe[0], POLLIN);
	sqe->user_data = 15;
	DIFF_SUBMIT(c);
	in_child(c, child_exits_ring, __LINE__);
	REQUIRE_EQ(write(c->pipe[1], &byte, 1), 1);
	DIFF_WAIT(c, 1);
}

struct waiter {
	struct diff_ctx *c;
	int ret;
	__u64 user_data;
};

static void *waiter_main(void *p)
{
	struct __kernel_timespec ts = {.tv_sec = 5};
	struct waiter *w = p;
	struct io_uring_cqe *cqe;

	w->ret = io_uring_wait_cqe_timeout(&w->c->ring, &cqe, &ts);
	if (!w->ret) {
		w->user_data = cqe->user_data;
		io_uring_cqe_seen(&w->c->ring, cqe);
	}
	return NULL;
}

/*
 * A child exits the ring while a thread of the parent waits in it: the
 * waiter's hold on the ring is the parent's, not the child's to wait for.
 */
static void child_exit_while_waiting(struct diff_ctx *c)
{
	struct waiter w = {c, 0, 0};
	pthread_t t;

	REQUIRE_EQ(pthread_create(&t, NULL, waiter_main, &w), 0);
	usleep(50000);
	in_child(c, child_exits_ring, __LINE__);
	diff_sqe(c, 16);
	DIFF_SUBMIT(c);
	REQUIRE_EQ(pthread_join(t, NULL), 0);
	diff_ret(c, w.ret, __LINE__);
	diff_ret(c, (long long)w.user_data, __LINE__);
}

#define SI IORING_SETUP_SINGLE_ISSUER
#define DISABLED (SI | IORING_SETUP_R_DISABLED)

static const struct diff_scenario scenarios[] = {
	{"owner", SI, 0, owner, 0},
	{"another thread", SI, 0, other_thread, 0},
	{"forked child", SI, 0, forked_child, 0},
	{"R_DISABLED enabled by a thread", DISABLED, 0, enabled_by_thread, 0},
	{"owner thread gone", DISABLED, 0, owner_thread_gone, 0},
	{"R_DISABLED enabled by a child", DISABLED, 0, enabled_by_child, 0},
	{"DEFER_TASKRUN", SI | IORING_SETUP_DEFER_TASKRUN, 0, defer_taskrun, 0},
	{"SQPOLL", SI | IORING_SETUP_SQPOLL, 0, sqpoll, 0},
	{"child woken by SQPOLL's CQE", SI | IORING_SETUP_SQPOLL, 0,
	 child_woken_by_sqpoll, 0},
	{"child woken by a parent's poll", SI, 0, child_woken_by_poll, 0},
	{"child wakes a sleeping SQ thread", SI, 0, child_wakes_sqpoll, 0},
	{"child's exit keeps the parent's poll", SI, 0, child_exit_keeps_poll,
	 0},
	{"child's exit while a parent's thread waits", SI, 0,
	 child_exit_while_waiting, 0},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios, sizeof(scenarios) / sizeof(scenarios[0]));
}
