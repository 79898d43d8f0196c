/* SPDX-License-Identifier: MIT */
/*
 * Code that issues io_uring's system calls itself (inline assembly, a
 * static helper, a library with its own syscall stubs such as liburing)
 * never passes through syscall(): a seccomp filter traps those three calls
 * and this SIGSYS handler serves them. A trap outranks the ERRNO a
 * container's profile returns, so this works inside one.
 *
 * The program keeps its own SIGSYS handling: what it installs (libc.c) is
 * recorded and called for every SIGSYS that is not one of ours.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "ring.h"
#include "preload.h"
#include "trap.h"

/* si_code of a seccomp trap's SIGSYS (the kernel's siginfo.h). */
#define SECCOMP_TRAP_CODE 1

/*
 * The program's SIGSYS disposition, as it set it. Two copies, so the
 * handler always reads a whole one while another thread sets the next.
 */
static struct sigaction app_actions[2];
static int app_current;
static pthread_mutex_t app_lock = PTHREAD_MUTEX_INITIALIZER;

static bool inherited;

bool trap_inherited(void)
{
	return __atomic_load_n(&inherited, __ATOMIC_ACQUIRE);
}

static int sys_sigaction(int sig, const struct sigaction *act,
			 struct sigaction *old)
{
	return trap_real_sigaction()(sig, act, old);
}

void trap_app_action(const struct sigaction *act, struct sigaction *old)
{
	pthread_mutex_lock(&app_lock);
	if (old)
		*old = app_actions[app_current];
	if (act) {
		app_actions[!app_current] = *act;
		__atomic_store_n(&app_current, !app_current, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&app_lock);
}

/* Die of sig as the kernel's default action would, once the handler returns. */
static void die_by(int sig)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sys_sigaction(sig, &dfl, NULL);
	raise(sig);
}

/* A SIGSYS that is not ours: what the program asked for. */
static void chain(int sig, siginfo_t *si, void *ctx)
{
	const struct sigaction *app =
		&app_actions[__atomic_load_n(&app_current, __ATOMIC_ACQUIRE)];

	if (app->sa_flags & SA_SIGINFO) {
		app->sa_sigaction(sig, si, ctx);
		return;
	}
	/* The kernel forces a trap's SIGSYS even where it is ignored. */
	if (app->sa_handler == SIG_DFL ||
	    (app->sa_handler == SIG_IGN && si->si_code == SECCOMP_TRAP_CODE)) {
		die_by(sig);
		return;
	}
	if (app->sa_handler != SIG_IGN)
		app->sa_handler(sig);
}

/*
 * Reached synchronously from the program's own system call instruction,
 * so the backend may take its locks and allocate here; errno and the
 * signal mask are left as they were found.
 */
static void sigsys_handler(int sig, siginfo_t *si, void *ctx)
{
	greg_t *reg = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	int saved_errno = errno;

	if (si->si_code != SECCOMP_TRAP_CODE || si->si_arch != AUDIT_ARCH_X86_64 ||
	    !emulated_nr(si->si_syscall)) {
		chain(sig, si, ctx);
	} else if (emulation_active()) {
		emulation_count(true);
		reg[REG_RAX] = emulate_syscall(si->si_syscall, reg[REG_RDI],
					       reg[REG_RSI], reg[REG_RDX],
					       reg[REG_R10], reg[REG_R8],
					       reg[REG_R9]);
	} else {
		/* An emulating parent's filter, met before we decided. */
		__atomic_store_n(&inherited, true, __ATOMIC_RELEASE);
		reg[REG_RAX] = -ENOSYS;
	}
	errno = saved_errno;
}

int trap_install_handler(void)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_sigaction = sigsys_handler;
	act.sa_flags = SA_SIGINFO;
	sigemptyset(&act.sa_mask);
	return sys_sigaction(SIGSYS, &act, &app_actions[0]) ? -errno : 0;
}

void trap_remove_handler(void)
{
	sys_sigaction(SIGSYS, &app_actions[app_current], NULL);
}

int trap_install_filter(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};
	long ret;

	/* Every thread, and without no_new_privs where privilege allows. */
	ret = kernel_syscall6(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
			      SECCOMP_FILTER_FLAG_TSYNC, (long)&prog, 0, 0, 0);
	if (ret == -EACCES) {
		ret = kernel_syscall6(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0,
				      0, 0);
		if (!ret)
			ret = kernel_syscall6(__NR_seccomp,
					      SECCOMP_SET_MODE_FILTER,
					      SECCOMP_FILTER_FLAG_TSYNC,
					      (long)&prog, 0, 0, 0);
	}
	/* TSYNC names a thread it could not synchronise with a positive id. */
	return ret > 0 ? -ESRCH : (int)ret;
}
