/* SPDX-License-Identifier: MIT */
/*
 * `anyring bench`: what each row measures and which ratios it must reach.
 * A row names a worker case (bench/) and the metric it reads; the runner
 * runs each case once per variant and repetition, interleaved.
 */
#ifndef ANYRING_TOOL_BENCH_H
#define ANYRING_TOOL_BENCH_H

#include <stdbool.h>

/* Who runs a row: the system's liburing, our two backends, or no ring. */
enum variant { V_LIBURING, V_KERNEL, V_USER, V_REF, NR_VARIANTS };
#define RING_VARIANTS (1u << V_LIBURING | 1u << V_KERNEL | 1u << V_USER)

/* Speed ratios (greater is better) between two cells of a row. */
enum ratio {
	R_KERNEL_LIBURING, /* liburing time / kernel backend time */
	R_USER_KERNEL,     /* kernel backend time / user backend time */
	R_USER_REF,        /* reference row's time / user backend time */
	NR_RATIOS,
};

struct target {
	enum ratio ratio;
	double min;
	const char *ref; /* R_USER_REF against this row, not the row's ref */
};

struct bench_row {
	const char *group;
	const char *label;
	const char *args;   /* worker case and key=value arguments */
	const char *metric; /* the worker's output line to read */
	const char *unit;   /* "ns" or "B" */
	unsigned variants;  /* 1 << enum variant */
	const char *ref;    /* label of the reference row, for R_USER_REF */
	struct target targets[3];
	double max_bytes;   /* for memory rows: the user backend's ceiling */
};

extern const struct bench_row bench_rows[];
extern const unsigned nr_bench_rows;

#endif
