/* SPDX-License-Identifier: MIT */
/*
 * `anyring probe --json` reports what it finds: here, with io_uring usable,
 * and with io_uring's system calls refused by a seccomp filter (EPERM, as
 * Docker's default profile does, and ENOSYS, as gVisor-like sandboxes do).
 * usage: probe-report PATH-TO-ANYRING
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "harness.h"

/* Refuse the three io_uring system calls with errno err. */
static int block_io_uring(int err)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

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
		if (err && block_io_uring(err))
			_exit(99);
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
		expect_in(out, "{\"opcode\":34,\"name\":\"REGISTER_MEM_REGION\",\"kernel\":true}");
		expect_in(out, "{\"opcode\":62,\"name\":\"PIPE\",\"kernel\":true}");
	}
	out = probe_output(argv[1], EPERM);
	expect_in(out, "\"kernel_usable\":false");
	expect_in(out, "\"io_uring_setup\":\"EPERM\"");
	expect_in(out, "\"seccomp_mode\":2");
	expect_in(out, "a seccomp filter blocks it");
	expect_in(out, "{\"opcode\":0,\"name\":\"REGISTER_BUFFERS\",\"kernel\":false}");

	out = probe_output(argv[1], ENOSYS);
	expect_in(out, "\"io_uring_setup\":\"ENOSYS\"");
	expect_in(out, "a seccomp filter refuses it");
	return t_done();
}
