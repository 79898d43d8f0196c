/* SPDX-License-Identifier: MIT */
/* Between the SIGSYS handler (trap.c) and libc's interposed functions. */
#ifndef ANYRING_PRELOAD_TRAP_H
#define ANYRING_PRELOAD_TRAP_H

#include <signal.h>

/* The C library's own sigaction, under its real name. */
typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
sigaction_fn trap_real_sigaction(void);

/*
 * What the program set for SIGSYS (act) and had set before (old), kept
 * here while our handler stays installed; either may be NULL.
 */
void trap_app_action(const struct sigaction *act, struct sigaction *old);

/* The program's disposition back in place: nothing is emulated here. */
void trap_remove_handler(void);

#endif
