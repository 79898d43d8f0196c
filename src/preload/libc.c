/* SPDX-License-Identifier: MIT */
/*
 * The C library functions the emulation stands in front of: syscall(),
 * which most programs reach io_uring through; mmap(), so that the CQ ring
 * maps where the SQ ring is, as in the kernel's single region; and the
 * SIGSYS disposition and mask, which the trap needs for itself. Each goes
 * straight to the C library's while nothing is emulated.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "next_symbol.h"
#include "ring.h"
#include "preload.h"
#include "trap.h"

/* The C library's definition of name. */
#define REAL(name) NEXT_SYMBOL(name, NULL)

sigaction_fn trap_real_sigaction(void)
{
	return REAL(sigaction);
}

/* The C library's syscall() contract: -1 and errno on failure. */
static long errno_result(long ret)
{
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

ANYRING_EXPORT long syscall(long nr, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (emulated_nr(nr) && emulation_active()) {
		emulation_count(false);
		return errno_result(emulate_syscall(nr, a[0], a[1], a[2], a[3],
						    a[4], a[5]));
	}
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * A program that ignores IORING_FEAT_SINGLE_MMAP maps the CQ ring on its
 * own; a userspace ring keeps both rings in the region at the SQ ring's
 * offset, which is what such a mapping must show.
 */
static off_t ring_offset(int fd, off_t off)
{
	if (off == (off_t)IORING_OFF_CQ_RING && emulation_active() &&
	    backend_fd_is_user_ring(fd))
		return IORING_OFF_SQ_RING;
	return off;
}

ANYRING_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
			  off_t off)
{
	return REAL(mmap)(addr, len, prot, flags, fd, ring_offset(fd, off));
}

ANYRING_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags,
			    int fd, off_t off)
{
	return REAL(mmap64)(addr, len, prot, flags, fd, ring_offset(fd, off));
}

ANYRING_EXPORT int sigaction(int sig, const struct sigaction *act,
			     struct sigaction *old)
{
	if (sig != SIGSYS || !emulation_active())
		return REAL(sigaction)(sig, act, old);
	trap_app_action(act, old);
	return 0;
}

ANYRING_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act = {.sa_handler = handler, .sa_flags = SA_RESTART};
	struct sigaction old;

	if (sig != SIGSYS || !emulation_active())
		return REAL(signal)(sig, handler);
	if (handler == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&act.sa_mask);
	trap_app_action(&act, &old);
	return old.sa_handler;
}

/*
 * A thread with SIGSYS blocked would be killed by its first trapped call,
 * so the mask never gets it while emulating; the thread is told it did.
 */
static __thread bool app_blocked_sigsys;

static const sigset_t *without_sigsys(int how, const sigset_t *set,
				      sigset_t *copy)
{
	if (!set || !emulation_active())
		return set;
	if (how == SIG_SETMASK)
		app_blocked_sigsys = sigismember(set, SIGSYS) == 1;
	else if (sigismember(set, SIGSYS) == 1)
		app_blocked_sigsys = how == SIG_BLOCK;
	if (how == SIG_UNBLOCK || sigismember(set, SIGSYS) != 1)
		return set;
	*copy = *set;
	sigdelset(copy, SIGSYS);
	return copy;
}

static void report_sigsys(sigset_t *old, bool was_blocked)
{
	if (old && was_blocked && emulation_active())
		sigaddset(old, SIGSYS);
}

ANYRING_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	bool was = app_blocked_sigsys;
	sigset_t copy;
	int ret = REAL(sigprocmask)(how, without_sigsys(how, set, &copy), old);

	if (!ret)
		report_sigsys(old, was);
	return ret;
}

static int mask_thread(int (*real)(int, const sigset_t *, sigset_t *),
		       int how, const sigset_t *set, sigset_t *old)
{
	bool was = app_blocked_sigsys;
	sigset_t copy;
	int ret = real(how, without_sigsys(how, set, &copy), old);

	if (!ret)
		report_sigsys(old, was);
	return ret;
}

ANYRING_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	return mask_thread(REAL(pthread_sigmask), how, set, old);
}

/* Binaries linked before glibc 2.32 ask for this version of it. */
ANYRING_EXPORT int pthread_sigmask_2_2_5(int how, const sigset_t *set,
					 sigset_t *old)
{
	return mask_thread(REAL(pthread_sigmask), how, set, old);
}
__asm__(".symver pthread_sigmask_2_2_5, pthread_sigmask@GLIBC_2.2.5");
