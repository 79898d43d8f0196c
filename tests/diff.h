/* SPDX-License-Identifier: MIT */
/*
 * Differential testing: run one scenario on a kernel ring and on a
 * userspace ring in the same process, logging every return value and
 * every CQE (user_data, res, flags, in order), and compare the logs.
 */
#ifndef ANYRING_TEST_DIFF_H
#define ANYRING_TEST_DIFF_H

#include "harness.h"

/* user_data bit: res is a new fd; log only whether it succeeded. */
#define FDRES (1ULL << 62)

#define DIFF_LOG_MAX 256

struct diff_entry {
	char what; /* 'r' return value, 'c' CQE */
	__u64 user_data;
	__s64 res;
	__u32 flags;
	int line;
};

struct diff_ctx {
	struct io_uring ring;
	enum anyring_backend backend;
	/* Fresh per run, so both backends see the same world. */
	int file;          /* 4 KiB of 'a'..'z' */
	int pipe[2];
	int sock[2];       /* AF_UNIX stream pair */
	char dir[64];      /* an empty temporary directory */
	char buf[8192];
	struct diff_entry log[DIFF_LOG_MAX];
	int n;
	bool sqpoll; /* submit counts depend on the poller's timing */
};

struct diff_scenario {
	const char *name;
	unsigned setup_flags;
	unsigned entries;
	void (*run)(struct diff_ctx *c);
	unsigned cq_entries; /* with IORING_SETUP_CQSIZE */
};

struct io_uring_sqe *diff_sqe(struct diff_ctx *c, __u64 user_data);
/* Log a return value under a label line. */
void diff_ret(struct diff_ctx *c, long long value, int line);
/* Submit, logging what io_uring_submit returned. */
#define DIFF_SUBMIT(c) diff_submit_ret((c), io_uring_submit(&(c)->ring), __LINE__)
void diff_submit_ret(struct diff_ctx *c, long long value, int line);
/* Wait for n CQEs and log them. */
void diff_wait(struct diff_ctx *c, int n, int line);
#define DIFF_WAIT(c, n) diff_wait((c), (n), __LINE__)
/* Wait for n CQEs of a CQE32 ring: logged with their second halves. */
void diff_wait_big(struct diff_ctx *c, int n, int line);
#define DIFF_WAIT_BIG(c, n) diff_wait_big((c), (n), __LINE__)
/*
 * Submit the SQE prepared last with a NOP (DIFF_TAIL_NOP) behind it: a
 * prep failure ends the batch before the NOP (the first submit says 1),
 * which the second submit then sends. Completions in user_data order.
 */
#define DIFF_TAIL_NOP 999
void diff_check_prep(struct diff_ctx *c, int line);
#define DIFF_CHECK(c) diff_check_prep((c), __LINE__)
/* Wait for n CQEs of independent requests: logged in user_data order. */
void diff_wait_sorted(struct diff_ctx *c, int n, int line);
#define DIFF_WAIT_SORTED(c, n) diff_wait_sorted((c), (n), __LINE__)
/* Log every CQE that is ready now (after flushing). */
void diff_reap(struct diff_ctx *c, int line);
#define DIFF_REAP(c) diff_reap((c), __LINE__)

/* A pair of loopback sockets of type, the first connected to the second. */
void diff_inet_pair(int type, int fds[2]);
/* Run every scenario on both backends; returns the test's exit status. */
int diff_run_all(const struct diff_scenario *s, int n);

#endif
