/* SPDX-License-Identifier: MIT */
/*
 * `anyring bench`: run the benchmark worker (bench/) for every row on
 * liburing, the kernel backend, the userspace backend and the references,
 * interleaved repetition by repetition so that a noisy machine moves every
 * column alike; print medians, ranges, and speed ratios paired per
 * repetition, and check them against the targets.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "json.h"
#include "tool.h"

#define MAX_REPS 64
#define WORKER_TIMEOUT_S 60

static const char *const variant_names[NR_VARIANTS] = {
	"liburing", "kernel", "user", "reference"};
static const char *const ratio_names[NR_RATIOS] = {
	"kernel/liburing", "user/kernel", "user/reference"};

struct options {
	unsigned reps, ms;
	bool json;
	const char *only, *dir;
	char workers[PATH_MAX];
	char tool[PATH_MAX]; /* this tool, for workers that run commands */
};

/* Samples of one row: [variant][rep], NAN where a run failed. */
struct samples {
	double v[NR_VARIANTS][MAX_REPS];
	char why[NR_VARIANTS][96]; /* the worker's message when a run failed */
};

static const char *const files[][2] = {{"2m", "2"}, {"256m", "256"}};

/* The two files the read rows use, made once (random, incompressible). */
static int make_files(const char *dir)
{
	unsigned long long s = 0x2545f4914f6cdd1dULL;
	static char buf[1 << 20];

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		long mib = atol(files[f][1]);
		char path[PATH_MAX];
		struct stat st;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, files[f][0]);
		if (!stat(path, &st) && st.st_size == mib << 20)
			continue;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return -errno;
		for (long i = 0; i < mib; i++) {
			for (size_t k = 0; k < sizeof(buf); k += 8) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				memcpy(buf + k, &s, 8);
			}
			if (write(fd, buf, sizeof(buf)) != sizeof(buf)) {
				close(fd);
				return -EIO;
			}
		}
		close(fd);
	}
	return 0;
}

/* Split "case k=v k=v" into argv after the program name. */
static int split_args(char *copy, char **argv, int max)
{
	int n = 0;

	for (char *tok = strtok(copy, " "); tok && n < max - 1;
	     tok = strtok(NULL, " "))
		argv[n++] = tok;
	argv[n] = NULL;
	return n;
}

/* The value on the "metric value" line of a worker's output, or NAN. */
static double metric_value(const char *out, const char *metric)
{
	size_t len = strlen(metric);

	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (!strncmp(l, metric, len) && l[len] == ' ')
			return strtod(l + len + 1, NULL);
	return NAN;
}

/* One worker run; its output in out. False if it failed. */
static bool run_worker(const struct options *o, enum variant v,
		       const char *args, char *out, size_t out_len)
{
	char prog[PATH_MAX + 32], copy[256], ms[32], *argv[16];
	int pipefd[2], status, argc = 1;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/%s", o->workers,
		 v == V_LIBURING ? "liburing-bench" : "anyring-bench");
	if (access(prog, X_OK) || pipe(pipefd))
		return false;
	snprintf(copy, sizeof(copy), "%s", args);
	snprintf(ms, sizeof(ms), "ms=%u", o->ms);
	argv[0] = prog;
	argc += split_args(copy, argv + 1, 14);
	argv[argc++] = ms;
	argv[argc] = NULL;
	pid = fork();
	if (!pid) {
		/* Its error message too: the report shows it, not the tty. */
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		if (chdir(o->dir))
			_exit(127);
		setenv("ANYRING_TOOL", o->tool, 1);
		setenv("ANYRING_BENCH_DIR", o->workers, 1);
		if (v == V_KERNEL)
			setenv("ANYRING_BACKEND", "kernel", 1);
		else if (v == V_USER)
			setenv("ANYRING_BACKEND", "user", 1);
		alarm(WORKER_TIMEOUT_S);
		execv(prog, argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (pid > 0 && used < out_len - 1 &&
	       (n = read(pipefd[0], out + used, out_len - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(pipefd[0]);
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status);
}

static bool row_selected(const struct options *o, const struct bench_row *r)
{
	return !o->only || strstr(r->group, o->only) ||
	       strstr(r->label, o->only) || strstr(r->args, o->only);
}

/*
 * Rows sharing a worker case read different metrics of one run: keep the
 * output of each (variant, args) within a repetition.
 */
struct run_cache {
	enum variant v;
	const char *args;
	char out[512];
	bool ok;
};

/* Keep the first line of a failed run's output as the reason. */
static void note_failure(char *why, size_t len, const char *out)
{
	const char *msg = strncmp(out, "bench: ", 7) ? out : out + 7;

	snprintf(why, len, "%.*s", (int)strcspn(msg, "\n"),
		 *msg ? msg : "failed without a message");
}

static double cached_run(const struct options *o, struct run_cache *cache,
			 unsigned *nr_cache, enum variant v,
			 const struct bench_row *r, char *why, size_t why_len)
{
	struct run_cache *c = NULL;

	for (unsigned i = 0; i < *nr_cache && !c; i++)
		if (cache[i].v == v && !strcmp(cache[i].args, r->args))
			c = &cache[i];
	if (!c) {
		c = &cache[(*nr_cache)++];
		c->v = v;
		c->args = r->args;
		c->ok = run_worker(o, v, r->args, c->out, sizeof(c->out));
	}
	if (!c->ok)
		note_failure(why, why_len, c->out);
	return c->ok ? metric_value(c->out, r->metric) : NAN;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median (and range) of the runs that succeeded; NAN if none did. */
static double median(const double *v, unsigned n, double *lo, double *hi)
{
	double s[MAX_REPS];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		if (!isnan(v[i]))
			s[k++] = v[i];
	if (!k) {
		*lo = *hi = NAN;
		return NAN;
	}
	qsort(s, k, sizeof(s[0]), cmp_double);
	*lo = s[0];
	*hi = s[k - 1];
	return k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
}

static int find_row(const char *label)
{
	for (unsigned i = 0; label && i < nr_bench_rows; i++)
		if (bench_rows[i].variants == 1u << V_REF &&
		    !strcmp(bench_rows[i].label, label))
			return (int)i;
	return -1;
}

/* A ratio as the median of its per-repetition pairs (time a / time b). */
static double paired_ratio(const struct samples *all, unsigned row,
			   enum ratio r, unsigned reps, const char *ref_label)
{
	const struct samples *s = &all[row];
	double q[MAX_REPS], lo, hi;
	int ref = find_row(ref_label);

	for (unsigned i = 0; i < reps; i++) {
		switch (r) {
		case R_KERNEL_LIBURING:
			q[i] = s->v[V_LIBURING][i] / s->v[V_KERNEL][i];
			break;
		case R_USER_KERNEL:
			q[i] = s->v[V_KERNEL][i] / s->v[V_USER][i];
			break;
		default:
			q[i] = ref < 0 ? NAN
				       : all[ref].v[V_REF][i] / s->v[V_USER][i];
			break;
		}
	}
	return median(q, reps, &lo, &hi);
}

static void fmt_cell(char *buf, size_t len, const double *v, unsigned reps)
{
	double lo, hi, m = median(v, reps, &lo, &hi);

	if (isnan(m))
		snprintf(buf, len, "-");
	else if (m >= 10000)
		snprintf(buf, len, "%.0f (%.0f-%.0f)", m, lo, hi);
	else
		snprintf(buf, len, "%.1f (%.1f-%.1f)", m, lo, hi);
}

/* Why the cells shown as "-" (or with fewer samples) have no value. */
static void print_failures(const struct options *o, const struct samples *all)
{
	bool first = true;

	for (unsigned i = 0; i < nr_bench_rows; i++) {
		if (!row_selected(o, &bench_rows[i]))
			continue;
		for (int v = 0; v < NR_VARIANTS; v++) {
			if (!all[i].why[v][0])
				continue;
			if (first)
				printf("\nfailed runs\n");
			first = false;
			printf("  %s, %s (%s): %s\n", bench_rows[i].group,
			       bench_rows[i].label, variant_names[v],
			       all[i].why[v]);
		}
	}
}

static void print_table(const struct options *o, const struct samples *all)
{
	const char *group = "";

	printf("anyring bench: %u repetitions of %u ms each, interleaved; "
	       "median (min-max)\nper operation (ns, or bytes for memory); "
	       "ratios are speed ratios (>1: faster), median of per-repetition "
	       "pairs\n",
	       o->reps, o->ms);
	for (unsigned i = 0; i < nr_bench_rows; i++) {
		const struct bench_row *r = &bench_rows[i];
		char cell[NR_VARIANTS][64];

		if (!row_selected(o, r))
			continue;
		if (strcmp(group, r->group)) {
			group = r->group;
			printf("\n%-34s %-24s %-24s %-24s %-24s %8s %8s %8s\n",
			       group, "liburing", "kernel", "user", "reference",
			       "k/lib", "u/k", "u/ref");
		}
		for (int v = 0; v < NR_VARIANTS; v++) {
			if (r->variants & 1u << v)
				fmt_cell(cell[v], sizeof(cell[v]), all[i].v[v],
					 o->reps);
			else
				cell[v][0] = '\0';
		}
		printf("  %-32s %-24s %-24s %-24s %-24s", r->label,
		       cell[V_LIBURING], cell[V_KERNEL], cell[V_USER], cell[V_REF]);
		for (int k = 0; k < NR_RATIOS; k++) {
			double q = paired_ratio(all, i, k, o->reps, r->ref);

			if (isnan(q) || r->variants == 1u << V_REF)
				printf(" %8s", "");
			else
				printf(" %8.2f", q);
		}
		printf("\n");
	}
	print_failures(o, all);
}

/* Check every target; print or emit the list; return how many missed. */
static unsigned check_targets(const struct options *o,
			      const struct samples *all, struct json *j)
{
	unsigned missed = 0;

	if (!j)
		printf("\ntargets\n");
	for (unsigned i = 0; i < nr_bench_rows; i++) {
		const struct bench_row *r = &bench_rows[i];
		double lo, hi;

		if (!row_selected(o, r))
			continue;
		for (int t = 0; t < 3; t++) {
			const struct target *tg = &r->targets[t];
			bool bytes = r->max_bytes > 0;
			char name[96];
			double q, need;

			if (bytes && t)
				break;
			if (bytes) {
				q = median(all[i].v[V_USER], o->reps, &lo, &hi);
				need = r->max_bytes;
			} else if (tg->min > 0) {
				q = paired_ratio(all, i, tg->ratio, o->reps,
						 tg->ref ? tg->ref : r->ref);
				need = tg->min;
			} else {
				continue;
			}
			bool met = !isnan(q) && (bytes ? q <= need : q >= need);

			missed += !met;
			if (j) {
				json_object(j, NULL);
				json_string(j, "group", r->group);
				json_string(j, "row", r->label);
				json_string(j, "ratio", bytes ? "user bytes"
							      : ratio_names[tg->ratio]);
				if (tg->ref)
					json_string(j, "reference", tg->ref);
				json_double(j, bytes ? "max" : "min", need);
				if (!isnan(q))
					json_double(j, "value", q);
				json_bool(j, "met", met);
				json_close_object(j);
				continue;
			}
			snprintf(name, sizeof(name), "%s%s%s",
				 bytes ? "user bytes" : ratio_names[tg->ratio],
				 tg->ref ? " " : "", tg->ref ? tg->ref : "");
			printf("  %-4s %-32s %-18s %-34s %s %5.2f, measured %.2f\n",
			       met ? "met" : "MISS", r->group, r->label, name,
			       bytes ? "<=" : ">=", need, q);
		}
	}
	return missed;
}

static void emit_json(const struct options *o, const struct samples *all)
{
	struct json j;

	json_begin(&j, stdout);
	json_int(&j, "repetitions", o->reps);
	json_int(&j, "ms", o->ms);
	json_array(&j, "rows");
	for (unsigned i = 0; i < nr_bench_rows; i++) {
		const struct bench_row *r = &bench_rows[i];

		if (!row_selected(o, r))
			continue;
		json_object(&j, NULL);
		json_string(&j, "group", r->group);
		json_string(&j, "row", r->label);
		json_string(&j, "unit", r->unit);
		json_object(&j, "cells");
		for (int v = 0; v < NR_VARIANTS; v++) {
			double lo, hi, m;

			if (!(r->variants & 1u << v))
				continue;
			m = median(all[i].v[v], o->reps, &lo, &hi);
			json_object(&j, variant_names[v]);
			if (all[i].why[v][0])
				json_string(&j, "error", all[i].why[v]);
			if (!isnan(m)) {
				json_double(&j, "median", m);
				json_double(&j, "min", lo);
				json_double(&j, "max", hi);
			}
			json_array(&j, "samples");
			for (unsigned k = 0; k < o->reps; k++)
				if (!isnan(all[i].v[v][k]))
					json_double(&j, NULL, all[i].v[v][k]);
			json_close_array(&j);
			json_close_object(&j);
		}
		json_close_object(&j);
		json_object(&j, "ratios");
		for (int k = 0; k < NR_RATIOS && r->variants != 1u << V_REF; k++) {
			double q = paired_ratio(all, i, k, o->reps, r->ref);

			if (!isnan(q))
				json_double(&j, ratio_names[k], q);
		}
		json_close_object(&j);
		json_close_object(&j);
	}
	json_close_array(&j);
	json_array(&j, "targets");
	check_targets(o, all, &j);
	json_close_array(&j);
	json_end(&j);
}

/*
 * The workers sit next to the tool in a build tree (build/tools ->
 * build/bench) and in libexec/anyring once installed.
 */
static void find_workers(const char *tool_dir, char *out, size_t len)
{
	char probe[PATH_MAX + 32];

	snprintf(probe, sizeof(probe), "%s/../bench/anyring-bench", tool_dir);
	if (!access(probe, X_OK)) {
		snprintf(out, len, "%s/../bench", tool_dir);
		return;
	}
	snprintf(out, len, "%s/%s", tool_dir, ANYRING_BENCH_FROM_BINDIR);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	char self[PATH_MAX];
	ssize_t n;

	*o = (struct options){.reps = 9, .ms = 100,
			      .dir = "/var/tmp/anyring-bench"};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o->json = true;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			o->reps = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
			o->ms = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			o->only = argv[++i];
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			o->dir = argv[++i];
		else
			return -EINVAL;
	}
	if (o->reps < 1 || o->reps > MAX_REPS || o->ms < 1)
		return -EINVAL;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	snprintf(o->tool, sizeof(o->tool), "%s", self);
	if (getenv("ANYRING_BENCH_WORKERS"))
		snprintf(o->workers, sizeof(o->workers), "%s",
			 getenv("ANYRING_BENCH_WORKERS"));
	else
		find_workers(dirname(self), o->workers, sizeof(o->workers));
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct options o;
	struct samples *all;
	struct run_cache *cache;
	unsigned missed;
	int ret;

	if (parse_options(argc, argv, &o)) {
		fprintf(stderr, "usage: anyring bench [--json] [--reps N] "
				"[--ms N] [--only TEXT] [--dir DIR]\n");
		return 2;
	}
	ret = make_files(o.dir);
	if (ret) {
		fprintf(stderr, "anyring bench: %s: %s\n", o.dir, strerror(-ret));
		return 1;
	}
	all = calloc(nr_bench_rows, sizeof(*all));
	cache = calloc(nr_bench_rows * NR_VARIANTS, sizeof(*cache));
	if (!all || !cache)
		return 1;
	for (unsigned rep = 0; rep < o.reps; rep++) {
		unsigned nr_cache = 0;

		if (!o.json)
			fprintf(stderr, "\rrepetition %u/%u", rep + 1, o.reps);
		for (unsigned i = 0; i < nr_bench_rows; i++) {
			const struct bench_row *r = &bench_rows[i];

			if (!row_selected(&o, r))
				continue;
			/* Rotate the variants' order so none always runs first. */
			for (int k = 0; k < NR_VARIANTS; k++) {
				enum variant v = (enum variant)((k + rep) % NR_VARIANTS);

				char *why = all[i].why[v];
				size_t len = sizeof(all[i].why[v]);

				all[i].v[v][rep] =
					r->variants & 1u << v
						? cached_run(&o, cache, &nr_cache,
							     v, r, why, len)
						: NAN;
			}
		}
	}
	if (!o.json)
		fprintf(stderr, "\r%30s\r", "");
	if (o.json) {
		emit_json(&o, all);
		missed = 0;
	} else {
		print_table(&o, all);
		missed = check_targets(&o, all, NULL);
		printf("\n%u target%s missed\n", missed, missed == 1 ? "" : "s");
	}
	free(cache);
	free(all);
	return 0;
}
