/* SPDX-License-Identifier: MIT */
/*
 * Whether this process emulates io_uring's system calls, decided once as
 * the preload is loaded, and the calls themselves, served through the
 * raw entry points (and so by the userspace backend's operations table).
 *
 * ANYRING_EMULATE=auto (default) emulates where the kernel refuses
 * io_uring (ENOSYS, EPERM, EACCES) and stays out of the way elsewhere:
 * no filter, no handler, every call to the C library. =always emulates
 * even where io_uring works (as if refused with EPERM); =never does not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "ring.h"
#include "preload.h"
#include "trap.h"

static bool active;

bool emulation_active(void)
{
	return __atomic_load_n(&active, __ATOMIC_ACQUIRE);
}

/* Calls served, and how many of them came by the trap (ANYRING_DEBUG). */
static unsigned long served, trapped;

void emulation_count(bool by_trap)
{
	__atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
	if (by_trap)
		__atomic_add_fetch(&trapped, 1, __ATOMIC_RELAXED);
}

static void report_counts(void)
{
	fprintf(stderr, "anyring: emulated %lu io_uring system calls, %lu of "
			"them trapped\n",
		__atomic_load_n(&served, __ATOMIC_RELAXED),
		__atomic_load_n(&trapped, __ATOMIC_RELAXED));
}

long emulate_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	switch (nr) {
	case __NR_io_uring_setup:
		return io_uring_setup((unsigned)a, (struct io_uring_params *)b);
	case __NR_io_uring_enter:
		return io_uring_enter2((unsigned)a, (unsigned)b, (unsigned)c,
				       (unsigned)d, (void *)e, (size_t)f);
	case __NR_io_uring_register:
		return io_uring_register((unsigned)a, (unsigned)b,
					 (const void *)c, (unsigned)d);
	}
	return -ENOSYS;
}

enum emulate_mode { EMULATE_AUTO, EMULATE_ALWAYS, EMULATE_NEVER };

static enum emulate_mode read_mode(void)
{
	const char *v = getenv("ANYRING_EMULATE");

	if (!v || !*v || !strcmp(v, "auto"))
		return EMULATE_AUTO;
	if (!strcmp(v, "always"))
		return EMULATE_ALWAYS;
	if (!strcmp(v, "never"))
		return EMULATE_NEVER;
	if (backend_debug_enabled())
		fprintf(stderr, "anyring: ignoring ANYRING_EMULATE=%s\n", v);
	return EMULATE_AUTO;
}

static bool is_refusal(long err)
{
	return err == -ENOSYS || err == -EPERM || err == -EACCES;
}

/*
 * An io_uring_setup that cannot succeed (no parameters): a refusal says
 * io_uring is blocked, EFAULT that it is there. No ring is made.
 */
static int kernel_refusal(void)
{
	long ret = kernel_syscall6(__NR_io_uring_setup, 0, 0, 0, 0, 0, 0);

	/* An emulating parent's filter hides the kernel's own answer. */
	if (trap_inherited())
		return backend_emulated_refusal() ?: -EPERM;
	return is_refusal(ret) ? (int)ret : 0;
}

static void report(int refusal, const char *filter)
{
	if (!backend_debug_enabled())
		return;
	fprintf(stderr,
		"anyring: emulating io_uring's system calls "
		"(io_uring_setup: %s; seccomp filter %s)\n",
		strerrorname_np(-refusal), filter);
	atexit(report_counts);
}

__attribute__((constructor)) static void emulation_init(void)
{
	enum emulate_mode mode = read_mode();
	const char *filter = "inherited";
	int refusal, ret;

	if (mode == EMULATE_NEVER)
		return;
	/* First the handler: a parent's filter may trap the probe itself. */
	if (trap_install_handler())
		return;
	refusal = kernel_refusal();
	if (!refusal && mode == EMULATE_ALWAYS)
		refusal = -EPERM;
	if (!refusal) {
		trap_remove_handler();
		return;
	}
	backend_emulate(refusal);
	__atomic_store_n(&active, true, __ATOMIC_RELEASE);
	if (!trap_inherited()) {
		ret = trap_install_filter();
		filter = ret ? strerrorname_np(-ret) : "installed";
		/* For children, and for a libanyring or liburing.so.2 beside us. */
		setenv(ANYRING_EMULATED_ENV, strerrorname_np(-refusal), 1);
	}
	report(refusal, filter);
}
