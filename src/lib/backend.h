/* SPDX-License-Identifier: MIT */
/*
 * The contract between the public functions and the backends.
 *
 * A ring runs on the kernel or on the userspace backend. Kernel rings store
 * no backend pointer (NULL), so their hot path is a direct system call
 * behind one predictable branch; every other backend supplies this table.
 */
#ifndef ANYRING_BACKEND_H
#define ANYRING_BACKEND_H

#include <stdbool.h>
#include <string.h>

#include "anyring.h"
#include "liburing.h"

struct anyring_ops {
	enum anyring_backend kind;
	const char *name;
	/* io_uring_setup(2): a new ring fd, or -errno. */
	int (*setup)(unsigned entries, struct io_uring_params *p);
	/* io_uring_enter(2) with an extended argument of argsz bytes. */
	int (*enter)(unsigned fd, unsigned to_submit, unsigned min_complete,
		     unsigned flags, const void *arg, size_t argsz);
	/* io_uring_register(2); opcode may carry USE_REGISTERED_RING. */
	int (*register_op)(unsigned fd, unsigned opcode, const void *arg,
			   unsigned nr_args);
	/* io_uring_queue_exit() is about to close fd and unmap its memory;
	 * with registered set, fd is the ring's registered index instead. */
	void (*exit)(unsigned fd, int registered);
	/* io_uring_close_ring_fd() closes fd; the ring lives on by index. */
	void (*fd_closed)(unsigned fd);
	/*
	 * The fd a poll, select or epoll call watches in place of ring fd
	 * (up to date), or -1 if fd is not one of this backend's rings.
	 */
	int (*poll_fd)(unsigned fd);
	/* Before a poll or epoll wait: every ring's readiness up to date. */
	void (*poll_prepare)(void);
};

/* Registered ring indexes (ring_slots.c, and the user backend's tctx.c). */
bool ring_slot_owned(int slot);
void ring_slot_set_kernel(int slot, bool owned);
struct io_uring_rsrc_update;
int ring_slot_unregister_kernel(struct io_uring_rsrc_update *up);
int ring_slots_kernel_register(unsigned fd, unsigned opcode, void *arg,
			       unsigned nr);
bool user_ring_slots_used(void);
bool user_ring_slot_used(int slot);
bool user_tctx_present(void);

/* ANYRING_DEBUG is set: report decisions and statistics on stderr. */
bool backend_debug_enabled(void);
/*
 * Whether this process set up a kernel ring: its task work then interrupts
 * epoll waits with EINTR, which cannot be told from a signal.
 */
bool backend_kernel_ring_made(void);

/* The userspace backend (src/user/). */
extern const struct anyring_ops user_backend_ops;
bool uring_register_op_supported(unsigned opcode);
bool uring_sqe_op_supported(unsigned opcode);

/*
 * Which backend serves a ring fd: NULL for the kernel. Flags are the
 * enter or register flags, which say whether fd is a registered index.
 */
const struct anyring_ops *backend_for_fd(unsigned fd, int registered);

/* Whether any ring fd of this process belongs to the userspace backend. */
bool backend_user_rings_exist(void);
/* Whether fd itself is one of the userspace backend's ring fds. */
bool backend_fd_is_user_ring(int fd);
/*
 * The emulation (src/preload/) serves io_uring's system calls because the
 * kernel refuses them with refusal (-EPERM, -ENOSYS, ...).
 */
void backend_emulate(int refusal);
/*
 * What an emulating process (src/preload/) found the kernel refuses
 * io_uring with, for its children and for a library beside it: 0 when
 * nothing is emulated, else -EPERM, -ENOSYS or -EACCES.
 */
#define ANYRING_EMULATED_ENV "ANYRING_EMULATED"
int backend_emulated_refusal(void);

/*
 * Polling ring fds (interpose.c): the fd that stands in for fd when a
 * poll watches it (-1: watch fd itself), and every ring's readiness
 * brought up to date before a wait.
 */
int backend_poll_fd(int fd);
void backend_poll_prepare(void);

/* Record, or forget, that a ring fd belongs to a non-kernel backend. */
int backend_fd_attach(int fd, const struct anyring_ops *ops);
void backend_fd_detach(int fd);

/* Set up a ring on the chosen backend; *ops receives it (NULL = kernel). */
int backend_setup(unsigned entries, struct io_uring_params *p,
		  const struct anyring_ops **ops);

/*
 * The ring's backend lives in cq.pad, which liburing leaves unused (2.15
 * took sq.pad's first half for sqes_sz).
 */
_Static_assert(sizeof(((struct io_uring_cq *)0)->pad) >= sizeof(void *),
	       "cq.pad must hold a pointer");

static inline const struct anyring_ops *ring_ops(const struct io_uring *ring)
{
	const struct anyring_ops *ops;

	memcpy(&ops, ring->cq.pad, sizeof(ops));
	return ops;
}

static inline void ring_set_ops(struct io_uring *ring,
				const struct anyring_ops *ops)
{
	memcpy(ring->cq.pad, &ops, sizeof(ops));
}

#endif
