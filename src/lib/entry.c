/* SPDX-License-Identifier: MIT */
/*
 * The raw entry points io_uring_setup/enter/enter2/register. They accept
 * ring fds of either backend and return -errno, never touching errno.
 */
#include <signal.h>

#include "ring.h"

ANYRING_EXPORT int io_uring_setup(unsigned int entries,
				  struct io_uring_params *p)
{
	const struct anyring_ops *ops;

	return backend_setup(entries, p, &ops);
}

ANYRING_EXPORT int io_uring_enter2(unsigned int fd, unsigned int to_submit,
				   unsigned int min_complete,
				   unsigned int flags, void *arg, size_t sz)
{
	const struct anyring_ops *ops =
		backend_for_fd(fd, flags & IORING_ENTER_REGISTERED_RING);

	if (uring_likely(!ops))
		return kernel_io_uring_enter2(fd, to_submit, min_complete,
					      flags, arg, sz);
	return ops->enter(fd, to_submit, min_complete, flags, arg, sz);
}

ANYRING_EXPORT int io_uring_enter(unsigned int fd, unsigned int to_submit,
				  unsigned int min_complete,
				  unsigned int flags, sigset_t *sig)
{
	return io_uring_enter2(fd, to_submit, min_complete, flags, sig,
			       _NSIG / 8);
}

ANYRING_EXPORT int io_uring_register(unsigned int fd, unsigned int opcode,
				     const void *arg, unsigned int nr_args)
{
	const struct anyring_ops *ops = backend_for_fd(
		fd, opcode & IORING_REGISTER_USE_REGISTERED_RING);
	unsigned op = opcode & ~IORING_REGISTER_USE_REGISTERED_RING;

	/* A blind message may target a userspace ring: that backend routes. */
	if (!ops && fd == (unsigned)-1 && op == IORING_REGISTER_SEND_MSG_RING &&
	    backend_user_rings_exist())
		ops = &user_backend_ops;
	if (ops)
		return ops->register_op(fd, opcode, arg, nr_args);
	/* Keep the thread's view of registered ring slots current. */
	if (op == IORING_REGISTER_RING_FDS || op == IORING_UNREGISTER_RING_FDS)
		return ring_slots_kernel_register(fd, opcode, (void *)arg,
						  nr_args);
	return kernel_io_uring_register(fd, opcode, arg, nr_args);
}
