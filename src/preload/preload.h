/* SPDX-License-Identifier: MIT */
/*
 * The emulation: libanyring-preload.so serves io_uring's three system
 * calls from the userspace backend for programs that make them without
 * liburing, where the kernel refuses io_uring.
 */
#ifndef ANYRING_PRELOAD_H
#define ANYRING_PRELOAD_H

#include <stdbool.h>

/* Whether this process serves io_uring's calls itself (emulate.c). */
bool emulation_active(void);

/*
 * One of io_uring's calls, served: its result as the kernel returns it (a
 * value, or -errno). Other numbers give -ENOSYS.
 */
long emulate_syscall(long nr, long a, long b, long c, long d, long e,
		     long f);

/* A call served, through syscall() or by the trap (for ANYRING_DEBUG). */
void emulation_count(bool by_trap);

/* Whether nr is one of the calls emulate_syscall serves. */
static inline bool emulated_nr(long nr)
{
	return nr == __NR_io_uring_setup || nr == __NR_io_uring_enter ||
	       nr == __NR_io_uring_register;
}

/*
 * The SIGSYS handler that serves trapped calls (trap.c), installed before
 * anything can be trapped; and the seccomp filter that traps them.
 */
int trap_install_handler(void);
int trap_install_filter(void);
/* Whether a call was trapped before this process installed its filter. */
bool trap_inherited(void);

#endif
