/* SPDX-License-Identifier: MIT */
/*
 * anyring's own extensions to liburing's API: which backend a ring runs on,
 * and how a program chooses one.
 *
 * The backend is decided once per process for new rings: the environment
 * variable ANYRING_BACKEND=auto|kernel|user, or anyring_set_backend().
 */
#ifndef ANYRING_H
#define ANYRING_H

#include <liburing.h>

#ifdef __cplusplus
extern "C" {
#endif

enum anyring_backend {
	ANYRING_BACKEND_AUTO = 0,   /* the kernel if it allows io_uring */
	ANYRING_BACKEND_KERNEL = 1, /* the kernel's io_uring */
	ANYRING_BACKEND_USER = 2,   /* anyring's userspace implementation */
};

/* The backend a set-up ring runs on (KERNEL or USER). */
int anyring_ring_backend(const struct io_uring *ring);

/*
 * Choose the backend for rings set up from now on. AUTO returns to the
 * default decision. Returns 0, -EINVAL for an unknown value, or -ENOTSUP
 * when that backend is not available in this build.
 */
int anyring_set_backend(enum anyring_backend backend);

/* The backend new rings get (KERNEL or USER), deciding it if needed. */
int anyring_default_backend(void);

/* Whether this build has the backend, whatever the kernel allows. */
int anyring_backend_available(enum anyring_backend backend);

/*
 * Whether a backend implements a register opcode or an SQE opcode here
 * (for the kernel: whether this kernel does and lets the process use it).
 */
int anyring_register_op_supported(enum anyring_backend backend,
				  unsigned opcode);
int anyring_sqe_op_supported(enum anyring_backend backend, unsigned opcode);

/* "auto", "kernel", "user", or "unknown". */
const char *anyring_backend_name(int backend);

/*
 * Whether the kernel lets this process set up an io_uring: 0 if it does,
 * otherwise the -errno io_uring_setup(2) returned (-ENOSYS, -EPERM, ...).
 */
int anyring_kernel_status(void);

/* The anyring release, as "major.minor.patch". */
const char *anyring_version(void);

#ifdef __cplusplus
}
#endif

#endif
