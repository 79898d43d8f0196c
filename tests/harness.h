/* SPDX-License-Identifier: MIT */
/*
 * Shared test helpers. Every test program exits 0 on pass, 77 on skip and
 * 1 on failure, and takes its backend from ANYRING_BACKEND (set by CTest:
 * each behavioural test is registered once per backend).
 */
#ifndef ANYRING_TEST_HARNESS_H
#define ANYRING_TEST_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anyring.h"

#define T_SKIP 77

/*
 * Linux 6.18's counts of SQE and register opcodes: what both backends
 * answer, though the header (liburing 2.15's UAPI) names later ones too.
 */
#define T_OP_LAST_6_18 (IORING_OP_PIPE + 1)
#define T_REGISTER_LAST_6_18 (IORING_REGISTER_QUERY + 1)

extern int t_failures;
extern const char *t_backend;

/* Select the backend named by ANYRING_BACKEND; exit 77 if unusable here. */
void t_init(int argc, char **argv);
/* The backend this run uses (ANYRING_BACKEND_KERNEL or _USER). */
enum anyring_backend t_backend_kind(void);
/* Whether this run's backend implements a register opcode. */
bool t_has_register(unsigned opcode);
/* Skip (77) unless this run's backend implements every listed opcode. */
void t_require_register(const unsigned *opcodes, unsigned n);
#define T_REQUIRE_REGISTER(...)                                                \
	do {                                                                   \
		const unsigned ops_[] = {__VA_ARGS__};                         \
		t_require_register(ops_, sizeof(ops_) / sizeof(ops_[0]));      \
	} while (0)

/* End the test: 1 if any check failed, else 0. */
int t_done(void);
/* Exit 77 with a reason. */
void t_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define T_CHECK_INT(what, got, want)                                           \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (g_ != w_) {                                                \
			fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n",    \
				__FILE__, __LINE__, (what), g_, w_);           \
			t_failures++;                                          \
		}                                                              \
	} while (0)

#define ASSERT_EQ(got, want) T_CHECK_INT(#got, got, want)
#define ASSERT_TRUE(cond) T_CHECK_INT(#cond, !!(cond), 1)

/* Stop the test now when a precondition fails. */
#define REQUIRE_EQ(got, want)                                                  \
	do {                                                                   \
		long long g2_ = (long long)(got), w2_ = (long long)(want);     \
		if (g2_ != w2_) {                                              \
			fprintf(stderr, "%s:%d: %s: got %lld, want %lld "      \
				"(fatal)\n", __FILE__, __LINE__, #got, g2_,    \
				w2_);                                          \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* Raw io_uring_register(2) on the ring's fd. */
int t_reg(struct io_uring *ring, unsigned op, const void *arg, unsigned nr);

/* Raw io_uring_register(2) on a ring, checked against the expected value. */
#define EXPECT_REG(ring, op, arg, nr, want)                                    \
	T_CHECK_INT(#op " " #arg " " #nr,                                      \
		    t_reg((ring), (op), (arg), (nr)), (want))

/* A ring with the given setup flags; exits on failure. */
void t_ring(struct io_uring *ring, unsigned entries, unsigned flags);

struct t_cqe {
	__u64 user_data;
	__s32 res;
	__u32 flags;
};

/* Copy out and consume every CQE ready now (flushing overflow). */
int t_reap(struct io_uring *ring, struct t_cqe *out, int max);
/* Wait for exactly one CQE and consume it. */
struct t_cqe t_wait_one(struct io_uring *ring);
/* Submit the prepared SQEs and wait for n CQEs, copied to out. */
int t_submit_wait(struct io_uring *ring, struct t_cqe *out, int n);

/* An unlinked temporary regular file holding len bytes of pattern. */
int t_temp_file(size_t len, char pattern);
/* Entries in a directory, . and .. included (/proc/self/fd: open fds). */
int t_count_dir(const char *path);

#endif
