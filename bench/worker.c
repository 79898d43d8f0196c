/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

#define READ_CHUNK (1 << 20)

static int nargs;
static char **args;

const char *arg_str(const char *key, const char *def)
{
	size_t len = strlen(key);

	for (int i = 0; i < nargs; i++)
		if (!strncmp(args[i], key, len) && args[i][len] == '=')
			return args[i] + len + 1;
	return def;
}

long arg_long(const char *key, long def)
{
	const char *v = arg_str(key, NULL);

	return v ? strtol(v, NULL, 0) : def;
}

double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

void meter_start(struct meter *m)
{
	memset(m, 0, sizeof(*m));
	m->warm_until = now_ns() + arg_long("warm_ms", 20) * 1e6;
}

bool meter_more(struct meter *m, unsigned long ops)
{
	double t;

	/* Reading the clock every few calls keeps its cost out of fast loops. */
	if (++m->calls & 7)
		return true;
	t = now_ns();
	if (!m->measuring) {
		if (t < m->warm_until)
			return true;
		m->measuring = true;
		m->t_start = t;
		m->ops_start = ops;
		m->t_end = t + arg_long("ms", 100) * 1e6;
		return true;
	}
	if (t < m->t_end)
		return true;
	m->t_end = t;
	return false;
}

double meter_ns_per_op(const struct meter *m, unsigned long ops)
{
	unsigned long n = ops - m->ops_start;

	return n ? (m->t_end - m->t_start) / (double)n : 0;
}

void report(const char *name, double value)
{
	printf("%s %.3f\n", name, value);
}

void fail(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static int idle_pipe[2] = {-1, -1};
static pthread_t idle;

static void *idle_main(void *arg)
{
	char c;

	(void)arg;
	while (read(idle_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

void idle_thread_start(void)
{
	if (pipe(idle_pipe) || pthread_create(&idle, NULL, idle_main, NULL))
		fail("idle thread", errno);
}

void idle_thread_stop(void)
{
	if (idle_pipe[1] < 0)
		return;
	if (write(idle_pipe[1], "x", 1) != 1)
		fail("idle thread stop", errno);
	pthread_join(idle, NULL);
	close(idle_pipe[0]);
	close(idle_pipe[1]);
}

int open_cached(const char *path, bool cache, long *size)
{
	int fd = open(path, O_RDONLY);
	char *buf;
	long off = 0;
	ssize_t n;

	if (fd < 0)
		fail(path, errno);
	*size = lseek(fd, 0, SEEK_END);
	if (!cache) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		return fd;
	}
	/* These machines evict idle page cache: read it all back first. */
	buf = malloc(READ_CHUNK);
	if (!buf)
		fail("malloc", ENOMEM);
	while ((n = pread(fd, buf, READ_CHUNK, off)) > 0)
		off += n;
	free(buf);
	return fd;
}

static const struct {
	const char *name;
	int (*run)(void);
} cases[] = {
	{"nop", case_nop},     {"read", case_read}, {"pread", case_pread},
	{"pool", case_pool},   {"echo", case_echo}, {"reg", case_reg},
	{"fio", case_fio},     {"raw", case_raw},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CASE [key=value...]\n", argv[0]);
		return 2;
	}
	nargs = argc - 2;
	args = argv + 2;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[1], cases[i].name))
			continue;
		if (arg_long("thread", 0))
			idle_thread_start();
		int ret = cases[i].run();
		idle_thread_stop();
		return ret;
	}
	fprintf(stderr, "bench: unknown case '%s'\n", argv[1]);
	return 2;
}
