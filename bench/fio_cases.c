/* SPDX-License-Identifier: MIT */
/*
 * fio, a program with its own io_uring engine (raw system calls, no
 * liburing), reading a cached file at random: on the kernel, emulated
 * under Docker's refusal, and with the engines such a program falls back
 * to there (psync, libaio). The case runs fio through `anyring run` and
 * reads the IOPS from fio's JSON report.
 *
 *   fio engine=io_uring|psync|libaio qd=N file=2m|256m ms=N
 *
 * For io_uring, ANYRING_BACKEND=user (the user variant) means emulated
 * under --block=eperm, anything else the kernel; the fallback engines
 * always run under the block. ANYRING_TOOL names the anyring tool.
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

int case_fio(void)
{
	const char *engine = arg_str("engine", "io_uring");
	const char *backend = getenv("ANYRING_BACKEND");
	const char *tool = getenv("ANYRING_TOOL");
	bool emulated = !strcmp(engine, "io_uring") && backend &&
			!strcmp(backend, "user");
	bool blocked = emulated || strcmp(engine, "io_uring");
	char name[64], file[64], eng[64], depth[32], runtime[32], *out;
	char *argv[24];
	int argc = 0, ret;
	long size;
	double iops;

	snprintf(file, sizeof(file), "--filename=%s", arg_str("file", "2m"));
	close(open_cached(arg_str("file", "2m"), true, &size));
	snprintf(name, sizeof(name), "--name=%s", engine);
	snprintf(eng, sizeof(eng), "--ioengine=%s", engine);
	snprintf(depth, sizeof(depth), "--iodepth=%ld", arg_long("qd", 1));
	snprintf(runtime, sizeof(runtime), "--runtime=%ldms",
		 arg_long("ms", 100));
	if (blocked) {
		if (!tool)
			fail("ANYRING_TOOL is not set", EINVAL);
		argv[argc++] = (char *)tool;
		argv[argc++] = "run";
		if (emulated)
			argv[argc++] = "--emulate";
		argv[argc++] = "--block=eperm";
		argv[argc++] = "--";
	}
	unsetenv("ANYRING_BACKEND");
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
