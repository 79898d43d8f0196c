/* SPDX-License-Identifier: MIT */
/*
 * The benchmark worker: one measurement per process, chosen on the command
 * line, written against liburing's API only, so the same source builds
 * against anyring (bench/anyring-bench) and against the system's liburing
 * (bench/liburing-bench). `anyring bench` runs it and does the statistics.
 */
#ifndef ANYRING_BENCH_WORKER_H
#define ANYRING_BENCH_WORKER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* key=value arguments of the case */
const char *arg_str(const char *key, const char *def);
long arg_long(const char *key, long def);

/*
 * A timed loop: warm up, then measure. Call with the running count of
 * operations done; returns false once the measured window is over.
 */
struct meter {
	double warm_until, t_start, t_end;
	unsigned long ops_start;
	unsigned calls;
	bool measuring;
};
void meter_start(struct meter *m);
bool meter_more(struct meter *m, unsigned long ops);
/* Nanoseconds per operation over the measured window. */
double meter_ns_per_op(const struct meter *m, unsigned long ops);

double now_ns(void);
/* Print one result line: "name value". */
void report(const char *name, double value);
/* Give up on the case: prints why and exits non-zero. */
_Noreturn void fail(const char *what, int err);

/* A thread that only waits, so the process is multi-threaded. */
void idle_thread_start(void);
void idle_thread_stop(void);

/* The file for the read cases, opened and (unless asked not to) cached. */
int open_cached(const char *path, bool cache, long *size);
static inline unsigned long long xorshift(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int case_nop(void);
int case_read(void);
int case_pread(void);
int case_pool(void);
int case_echo(void);
int case_reg(void);
int case_fio(void);
int case_raw(void);

#endif
