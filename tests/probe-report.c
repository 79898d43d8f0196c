/* SPDX-License-Identifier: MIT */
/*
 * `anyring probe --json` reports what it finds: here, with io_uring usable,
 * and under `anyring run --block=...`, which refuses io_uring's system
 * calls with a seccomp filter (EPERM as Docker's default profile does,
 * ENOSYS as gVisor-like sandboxes do).
 * usage: probe-report PATH-TO-ANYRING
 */
#include <sys/wait.h>

#include "harness.h"

/* Run the probe (blocked with err, unless 0) and capture its JSON. */
static char *probe_output(const char *tool, int err)
{
	static char out[65536];
	size_t len = 0;
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	REQUIRE_EQ(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		if (err)
			execl(tool, tool, "run",
			      err == EPERM ? "--block=eperm" : "--block=enosys",
			      "--", tool, "probe", "--json", (char *)NULL);
		else
			execl(tool, tool, "probe", "--json", (char *)NULL);
		_exit(98);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	T_CHECK_INT("probe exit status", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	return out;
}

static void expect_in(const char *out, const char *needle)
{
	if (!strstr(out, needle)) {
		fprintf(stderr, "probe output lacks %s\n", needle);
		t_failures++;
	}
}

int main(int argc, char **argv)
{
	const char *out;

	if (argc < 2)
		t_skip("usage: probe-report PATH-TO-ANYRING");
	if (anyring_kernel_status() == 0) {
		out = probe_output(argv[1], 0);
		expect_in(out, "\"kernel_usable\":true");
		expect_in(out, "\"io_uring_setup\":\"ok\"");
		expect_in(out, "\"auto_backend\":\"kernel\"");
		expect_in(out, "{\"opcode\":34,\"name\":\"REGISTER_MEM_REGION\",\"kernel\":true,");
		expect_in(out, "{\"opcode\":62,\"name\":\"PIPE\",\"kernel\":true,\"user\":true}");
	}
	out = probe_output(argv[1], EPERM);
	expect_in(out, "\"kernel_usable\":false");
	expect_in(out, "\"io_uring_setup\":\"EPERM\"");
	expect_in(out, "\"seccomp_mode\":2");
	expect_in(out, "a seccomp filter blocks it");
	expect_in(out, "\"auto_backend\":\"user\"");
	expect_in(out, "{\"opcode\":0,\"name\":\"REGISTER_BUFFERS\",\"kernel\":false,");
	expect_in(out, "{\"opcode\":22,\"name\":\"READ\",\"kernel\":false,\"user\":true}");

	out = probe_output(argv[1], ENOSYS);
	expect_in(out, "\"io_uring_setup\":\"ENOSYS\"");
	expect_in(out, "a seccomp filter refuses it");
	return t_done();
}
