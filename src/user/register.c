/* SPDX-License-Identifier: MIT */
/*
 * io_uring_register(2) for userspace rings: the common entry checks in
 * the kernel's order (kernel-semantics.md §1), then one case per opcode.
 * Every 6.18 opcode is implemented; unknown ones are refused with EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "kernel/syscall.h"
#include "uaccess.h"
#include "kbuf.h"
#include "rsrc.h"
#include "user.h"

static int register_probe(struct uring_ctx *ctx, void *arg, unsigned nr)
{
	struct io_uring_probe probe, *user = arg;
	unsigned n = nr < URING_OP_LAST ? nr : URING_OP_LAST;
	struct io_uring_probe_op op;
	char zero[8 * 16];

	(void)ctx;
	if (!arg || nr > 256)
		return -EINVAL;
	if (uring_copy_from_user(&probe, user, sizeof(probe)))
		return -EFAULT;
	if (!uring_mem_is_zero(&probe, sizeof(probe)))
		return -EINVAL;
	/* Every requested op entry must be zero on input. */
	for (unsigned i = 0; i < n; i += 16) {
		unsigned chunk = n - i < 16 ? n - i : 16;

		if (uring_copy_from_user(zero, &user->ops[i], chunk * sizeof(op)))
			return -EFAULT;
		if (!uring_mem_is_zero(zero, chunk * sizeof(op)))
			return -EINVAL;
	}
	probe.last_op = URING_OP_LAST - 1;
	probe.ops_len = (__u8)n;
	if (uring_copy_to_user(user, &probe, sizeof(probe)))
		return -EFAULT;
	for (unsigned i = 0; i < n; i++) {
		memset(&op, 0, sizeof(op));
		op.op = (__u8)i;
		if (uring_ops[i].supported)
			op.flags = IO_URING_OP_SUPPORTED;
		if (uring_copy_to_user(&user->ops[i], &op, sizeof(op)))
			return -EFAULT;
	}
	return 0;
}

static int enable_rings(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	if (arg || nr)
		return -EINVAL;
	if (!ctx->disabled)
		return -EBADFD;
	if ((ctx->flags & IORING_SETUP_SINGLE_ISSUER) && !ctx->submitter)
		ctx->submitter = uring_task_id();
	if (ctx->restrictions_registered)
		ctx->restricted = true;
	ctx->disabled = false;
	if (ctx->flags & IORING_SETUP_SQPOLL)
		uring_sqpoll_wake(ctx);
	return 0;
}

static int dispatch(struct uring_ctx *ctx, unsigned opcode, void *arg,
		    unsigned nr)
{
	switch (opcode) {
	case IORING_REGISTER_BUFFERS:
		return rsrc_register_buffers(ctx, arg, nr);
	case IORING_UNREGISTER_BUFFERS:
		return rsrc_unregister_buffers(ctx, arg, nr);
	case IORING_REGISTER_FILES:
		return rsrc_register_files(ctx, arg, nr);
	case IORING_UNREGISTER_FILES:
		return rsrc_unregister_files(ctx, arg, nr);
	case IORING_REGISTER_FILES_UPDATE:
		return rsrc_files_update(ctx, arg, nr);
	case IORING_REGISTER_PROBE:
		return register_probe(ctx, arg, nr);
	case IORING_REGISTER_ENABLE_RINGS:
		return enable_rings(ctx, arg, nr);
	case IORING_REGISTER_FILES2:
		return rsrc_register2(ctx, arg, nr, RSRC_FILE);
	case IORING_REGISTER_FILES_UPDATE2:
		return rsrc_update2(ctx, arg, nr, RSRC_FILE);
	case IORING_REGISTER_BUFFERS2:
		return rsrc_register2(ctx, arg, nr, RSRC_BUFFER);
	case IORING_REGISTER_BUFFERS_UPDATE:
		return rsrc_update2(ctx, arg, nr, RSRC_BUFFER);
	case IORING_REGISTER_FILE_ALLOC_RANGE:
		return rsrc_file_alloc_range(ctx, arg, nr);
	case IORING_REGISTER_CLONE_BUFFERS:
		return rsrc_clone_buffers(ctx, arg, nr);
	case IORING_REGISTER_RING_FDS:
		return uring_register_ring_fds(arg, nr);
	case IORING_UNREGISTER_RING_FDS:
		return uring_unregister_ring_fds(arg, nr);
	case IORING_REGISTER_EVENTFD:
		return uring_eventfd_register(ctx, arg, nr, false);
	case IORING_REGISTER_EVENTFD_ASYNC:
		return uring_eventfd_register(ctx, arg, nr, true);
	case IORING_UNREGISTER_EVENTFD:
		return uring_eventfd_unregister(ctx, arg, nr);
	case IORING_REGISTER_NAPI:
		return uring_napi_register(ctx, arg, nr);
	case IORING_UNREGISTER_NAPI:
		return uring_napi_unregister(ctx, arg, nr);
	case IORING_REGISTER_CLOCK:
		return uring_clock_register(ctx, arg, nr);
	case IORING_REGISTER_QUERY:
		return uring_query(arg, nr);
	case IORING_REGISTER_PERSONALITY:
		return uring_personality_register(ctx, arg, nr);
	case IORING_UNREGISTER_PERSONALITY:
		return uring_personality_unregister(ctx, arg, nr);
	case IORING_REGISTER_RESTRICTIONS:
		return uring_restrictions_register(ctx, arg, nr);
	case IORING_REGISTER_SYNC_CANCEL:
		return uring_sync_cancel(ctx, arg, nr);
	case IORING_REGISTER_PBUF_RING:
		return uring_pbuf_ring_register(ctx, arg, nr);
	case IORING_UNREGISTER_PBUF_RING:
		return uring_pbuf_ring_unregister(ctx, arg, nr);
	case IORING_REGISTER_PBUF_STATUS:
		return uring_pbuf_status(ctx, arg, nr);
	case IORING_REGISTER_MEM_REGION:
		return uring_mem_region_register(ctx, arg, nr);
	case IORING_REGISTER_RESIZE_RINGS:
		return uring_resize_rings(ctx, arg, nr);
	case IORING_REGISTER_IOWQ_AFF:
		return uring_iowq_aff_register(ctx, arg, nr);
	case IORING_UNREGISTER_IOWQ_AFF:
		return uring_iowq_aff_unregister(ctx, arg, nr);
	case IORING_REGISTER_IOWQ_MAX_WORKERS:
		return uring_iowq_max_workers(ctx, arg, nr);
	case IORING_REGISTER_ZCRX_IFQ:
		/* Zero-copy receive needs a NIC; the kernel refuses it here too. */
		return -EINVAL;
	}
	return -EINVAL;
}

/* Every opcode 6.18 has is dispatched above (ZCRX_IFQ as its refusal). */
bool uring_register_op_supported(unsigned opcode)
{
	return opcode < URING_REGISTER_LAST;
}

int uring_register(unsigned fd, unsigned opcode, const void *arg,
		   unsigned nr_args)
{
	bool registered = opcode & IORING_REGISTER_USE_REGISTERED_RING;
	int saved_errno = errno, ret;
	struct uring_ctx *ctx;

	opcode &= ~IORING_REGISTER_USE_REGISTERED_RING;
	if (opcode >= URING_REGISTER_LAST)
		return -EINVAL;
	if (fd == (unsigned)-1) {
		/* Blind: only SEND_MSG_RING and QUERY take no ring. */
		if (opcode == IORING_REGISTER_SEND_MSG_RING)
			ret = uring_send_msg_ring_blind(arg, nr_args);
		else if (opcode == IORING_REGISTER_QUERY)
			ret = uring_query(arg, nr_args);
		else
			ret = -EINVAL;
		errno = saved_errno;
		return ret;
	}
	ctx = uring_ctx_get(fd, registered);
	if (!ctx) {
		if (registered)
			return uring_tctx_lookup_error(fd);
		ret = fcntl((int)fd, F_GETFD) < 0 ? -EBADF : -EOPNOTSUPP;
		errno = saved_errno;
		return ret;
	}
	/*
	 * A non-owner is refused before the lock: in a forked child that lock
	 * is a copy a parent's thread may have held, and is never let go.
	 */
	if (!uring_is_submitter(ctx)) {
		uring_ctx_put(ctx);
		errno = saved_errno;
		return -EEXIST;
	}
	pthread_mutex_lock(&ctx->uring_lock);
	/* Again under the lock: an enable may have named another owner. */
	if (!uring_is_submitter(ctx))
		ret = -EEXIST;
	else if (!uring_register_allowed(ctx, opcode))
		ret = -EACCES;
	else
		ret = dispatch(ctx, opcode, (void *)arg, nr_args);
	/*
	 * The kernel's completions let go of files under uring_lock, so a
	 * table unregistered after a CQE is closed by the time this returns.
	 */
	uring_release_wait(ctx);
	pthread_mutex_unlock(&ctx->uring_lock);
	uring_ctx_put(ctx);
	errno = saved_errno;
	return ret;
}
