/* SPDX-License-Identifier: MIT */
/*
 * Programs that make io_uring's system calls themselves, measured on the
 * kernel and through the emulation (`anyring run --emulate`):
 *
 *   fio engine=io_uring|psync|libaio qd=N file=2m|256m [sqpoll=1] ms=N
 *     fio reading a cached file at random, its IOPS from its JSON report;
 *     the fallback engines (psync, libaio) run under --block=eperm.
 *   raw via=syscall|asm ms=N
 *     NOP round trips of tests/raw-uring (build tree only), one system
 *     call each, made through syscall() or trapped as an instruction.
 *
 * For io_uring, ANYRING_BACKEND=user (the user variant) means emulated
 * under --block=eperm, anything else the kernel. ANYRING_TOOL names the
 * anyring tool.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker.h"

#define FIO_OUTPUT_MAX (64 * 1024)

/* Run argv, its standard output in out. */
static int run_capture(char *const argv[], char *out, size_t len)
{
	size_t used = 0;
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (used < len - 1 &&
	       (n = read(pipefd[0], out + used, len - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -EIO;
	return 0;
}

/* The read side's "iops" in fio's JSON report. */
static double read_iops(const char *json)
{
	const char *read = strstr(json, "\"read\"");
	const char *iops = read ? strstr(read, "\"iops\"") : NULL;
	const char *colon = iops ? strchr(iops, ':') : NULL;

	return colon ? strtod(colon + 1, NULL) : 0;
}

/* The user variant: the emulation under Docker's refusal. */
static bool user_variant(void)
{
	const char *backend = getenv("ANYRING_BACKEND");

	return backend && !strcmp(backend, "user");
}

/* argv's start: `anyring run [--emulate] --block=eperm --` when blocked. */
static int blocked_prefix(char **argv, bool blocked, bool emulated)
{
	const char *tool = getenv("ANYRING_TOOL");
	int argc = 0;

	if (!blocked)
		return 0;
	if (!tool)
		fail("ANYRING_TOOL is not set", EINVAL);
	argv[argc++] = (char *)tool;
	argv[argc++] = "run";
	if (emulated)
		argv[argc++] = "--emulate";
	argv[argc++] = "--block=eperm";
	argv[argc++] = "--";
	unsetenv("ANYRING_BACKEND");
	return argc;
}

int case_fio(void)
{
	const char *engine = arg_str("engine", "io_uring");
	bool emulated = !strcmp(engine, "io_uring") && user_variant();
	bool blocked = emulated || strcmp(engine, "io_uring");
	char name[64], file[64], eng[64], depth[32], runtime[32], *out;
	char *argv[24];
	int argc, ret;
	long size;
	double iops;

	snprintf(file, sizeof(file), "--filename=%s", arg_str("file", "2m"));
	close(open_cached(arg_str("file", "2m"), true, &size));
	snprintf(name, sizeof(name), "--name=%s", engine);
	snprintf(eng, sizeof(eng), "--ioengine=%s", engine);
	snprintf(depth, sizeof(depth), "--iodepth=%ld", arg_long("qd", 1));
	snprintf(runtime, sizeof(runtime), "--runtime=%ldms",
		 arg_long("ms", 100));
	argc = blocked_prefix(argv, blocked, emulated);
	argv[argc++] = "fio";
	argv[argc++] = name;
	argv[argc++] = file;
	argv[argc++] = eng;
	argv[argc++] = depth;
	argv[argc++] = runtime;
	argv[argc++] = "--readonly";
	argv[argc++] = "--rw=randread";
	argv[argc++] = "--bs=4k";
	argv[argc++] = "--time_based";
	argv[argc++] = "--invalidate=0";
	argv[argc++] = "--output-format=json";
	if (arg_long("sqpoll", 0))
		argv[argc++] = "--sqthread_poll=1";
	argv[argc] = NULL;
	out = malloc(FIO_OUTPUT_MAX);
	if (!out)
		fail("malloc", ENOMEM);
	ret = run_capture(argv, out, FIO_OUTPUT_MAX);
	if (ret)
		fail("fio (installed? see `anyring run --emulate`)", -ret);
	iops = read_iops(out);
	free(out);
	if (iops <= 0)
		fail("fio reported no reads", EIO);
	report("ns_per_op", 1e9 / iops);
	return 0;
}

/* "ns_per_op N" from a command's output, reported as this case's. */
static int report_ns_per_op(char *const argv[], const char *what)
{
	char out[4096];
	const char *line;
	int ret = run_capture(argv, out, sizeof(out));

	line = ret ? NULL : strstr(out, "ns_per_op ");
	if (!line)
		fail(what, ret ? -ret : EIO);
	report("ns_per_op", strtod(line + strlen("ns_per_op "), NULL));
	return 0;
}

int case_raw(void)
{
	const char *workers = getenv("ANYRING_BENCH_DIR");
	char prog[4096], ms[32], *argv[16];
	bool emulated = user_variant();
	int argc = blocked_prefix(argv, emulated, emulated);

	snprintf(prog, sizeof(prog), "%s/../tests/raw-uring",
		 workers ? workers : ".");
	if (access(prog, X_OK))
		fail("tests/raw-uring (a build tree's) not found", ENOENT);
	snprintf(ms, sizeof(ms), "%ld", arg_long("ms", 100));
	argv[argc++] = prog;
	argv[argc++] = "nops";
	argv[argc++] = (char *)arg_str("via", "syscall");
	argv[argc++] = ms;
	argv[argc] = NULL;
	return report_ns_per_op(argv, "raw-uring nops");
}
