/* SPDX-License-Identifier: MIT */
/*
 * `anyring run [--emulate] --block=eperm|enosys -- CMD...`: run a command
 * with io_uring's three system calls refused by a seccomp filter, the way
 * Docker's default profile (EPERM) or a gVisor-like sandbox (ENOSYS)
 * refuses them; with --emulate, with the emulation of those calls too.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tool.h"

static int install_filter(unsigned err)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	/* Unprivileged processes may filter themselves once they promise
	 * not to gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: anyring run [--emulate] "
			"[--block=eperm|enosys] -- COMMAND [ARGS]\n");
	return 2;
}

int cmd_run(int argc, char **argv)
{
	bool emulate = false;
	unsigned err = 0;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--block=eperm"))
			err = EPERM;
		else if (!strcmp(argv[i], "--block=enosys"))
			err = ENOSYS;
		else if (!strcmp(argv[i], "--emulate"))
			emulate = true;
		else {
			fprintf(stderr, "anyring run: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if ((!err && !emulate) || i >= argc)
		return usage();
	if (emulate && run_emulate_prepare(argv[i]))
		return 1;
	ret = err ? install_filter(err) : 0;
	if (ret) {
		fprintf(stderr, "anyring run: seccomp: %s\n", strerror(-ret));
		return 1;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "anyring run: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
