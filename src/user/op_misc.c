/* SPDX-License-Identifier: MIT */
/*
 * NOP, ASYNC_CANCEL, MSG_RING (data), PROVIDE_BUFFERS, REMOVE_BUFFERS.
 */
#include <fcntl.h>

#include "fd_dup.h"
#include "kbuf.h"
#include "rsrc.h"
#include "kernel/syscall.h"
#include "uaccess.h"
#include "user.h"

#define NOP_FLAGS                                                              \
	(IORING_NOP_INJECT_RESULT | IORING_NOP_FILE | IORING_NOP_FIXED_FILE |  \
	 IORING_NOP_FIXED_BUFFER | IORING_NOP_TW | IORING_NOP_CQE32)
#define MSG_RING_FLAGS (IORING_MSG_RING_CQE_SKIP | IORING_MSG_RING_FLAGS_PASS)
#define MAX_BIDS_PER_BGID (1U << 16)

int uring_nop_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->nop_flags & ~NOP_FLAGS)
		return -EINVAL;
	req->res = (sqe->nop_flags & IORING_NOP_INJECT_RESULT) ? (__s32)sqe->len : 0;
	/* Its CQE carries sqe->off and sqe->addr: it needs big CQEs. */
	if ((sqe->nop_flags & IORING_NOP_CQE32) &&
	    !(req->ctx->flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)))
		return -EINVAL;
	return 0;
}

enum issue_result uring_nop_issue(struct uring_req *req, unsigned flags)
{
	unsigned nf = req->op_flags;

	(void)flags;
	/* NOP_TW's second issue, from task work: the result is set. */
	if (req->done_io)
		return ISSUE_DONE;
	/* A file is only looked up with NOP_FILE; NOP_FIXED_FILE says how. */
	if ((nf & IORING_NOP_FILE) && (nf & IORING_NOP_FIXED_FILE)) {
		req->file_node = rsrc_file_get(req->ctx, (unsigned)req->orig_fd);
		if (!req->file_node)
			req->res = -EBADF;
	} else if ((nf & IORING_NOP_FILE) && fcntl(req->orig_fd, F_GETFD) < 0) {
		req->res = -EBADF;
	}
	if (req->res >= 0 && (nf & IORING_NOP_FIXED_BUFFER)) {
		req->buf_node = rsrc_buffer_get(req->ctx, req->buf_index);
		if (!req->buf_node)
			req->res = -EFAULT;
	}
	/* Set when it runs: a NOP cancelled before then has no extras. */
	if (nf & IORING_NOP_CQE32) {
		req->big_cqe = true;
		req->cqe_extra[0] = req->off;
		req->cqe_extra[1] = req->addr;
	}
	/*
	 * NOP_TW completes from task work, which runs after the batch's
	 * inline completions and before link work it queued (events.c).
	 */
	if (nf & IORING_NOP_TW) {
		req->done_io = 1;
		uring_inflight_add(req);
		uring_event_post(req, false, 0);
		return ISSUE_QUEUED;
	}
	return ISSUE_DONE;
}

/* ---------------------------------------------------------------- */

int uring_cancel_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (req->flags & IOSQE_BUFFER_SELECT)
		return -EINVAL;
	if (sqe->off || sqe->splice_fd_in)
		return -EINVAL;
	if (sqe->cancel_flags & ~CANCEL_FLAGS)
		return -EINVAL;
	if ((sqe->cancel_flags & IORING_ASYNC_CANCEL_ANY) &&
	    (sqe->cancel_flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP)))
		return -EINVAL;
	req->addr2 = sqe->len; /* the opcode for CANCEL_OP */
	return 0;
}

enum issue_result uring_cancel_issue(struct uring_req *req, unsigned flags)
{
	struct cancel_match cm = {
		.data = req->addr,
		.fd = req->orig_fd,
		.opcode = (__u8)req->addr2,
		.flags = req->op_flags,
		.self = req,
	};
	struct uring_req *cancelled;
	int ret;

	(void)flags;
	if ((cm.flags & IORING_ASYNC_CANCEL_FD_FIXED) &&
	    (cm.flags & IORING_ASYNC_CANCEL_FD)) {
		cm.node = rsrc_file_get(req->ctx, (unsigned)cm.fd);
		if (!cm.node) {
			req->res = -EBADF;
			return ISSUE_DONE;
		}
	} else if ((cm.flags & IORING_ASYNC_CANCEL_FD) &&
		   kernel_syscall6(__NR_fcntl, cm.fd, F_GETFD, 0, 0, 0, 0) < 0) {
		/* The kernel looks the file up first. */
		req->res = -EBADF;
		return ISSUE_DONE;
	}
	ret = uring_cancel(req->ctx, &cm, &cancelled);
	if (cm.node)
		rsrc_node_put(cm.node);
	req->res = ret;
	if (cancelled) {
		/* The cancel's own CQE comes first, then the victims'. */
		if (!(req->flags & IOSQE_CQE_SKIP_SUCCESS))
			uring_post_cqe(req->ctx, req->user_data, ret, 0);
		req->flags |= IOSQE_CQE_SKIP_SUCCESS;
		uring_complete_cancelled(cancelled);
	}
	return ISSUE_DONE;
}

/* ---------------------------------------------------------------- */

int uring_msg_ring_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->personality)
		return -EINVAL;
	if (sqe->msg_ring_flags & ~MSG_RING_FLAGS)
		return -EINVAL;
	req->op_flags = sqe->msg_ring_flags;
	return 0;
}

/* Post the message CQE on a kernel ring through 6.13's blind register. */
static int msg_kernel_ring(struct uring_req *req)
{
	struct io_uring_sqe sqe = {0};

	io_uring_prep_msg_ring(&sqe, req->orig_fd, req->len, req->off,
			       req->op_flags & IORING_MSG_RING_FLAGS_PASS);
	sqe.file_index = req->file_index;
	return kernel_io_uring_register((unsigned)-1,
					IORING_REGISTER_SEND_MSG_RING, &sqe, 1);
}

/* SEND_FD: a fixed file of this ring into the target ring's table. */
static __s32 msg_send_fd(struct uring_req *req, struct uring_ctx *target)
{
	struct rsrc_node *src;
	int fd, ret;

	if (req->len)
		return -EINVAL;
	if (target == req->ctx)
		return -EINVAL;
	if (target->disabled)
		return -EBADFD;
	src = rsrc_file_get(req->ctx, (unsigned)req->addr3);
	if (!src)
		return -EBADF;
	fd = uring_dup_fd(src->fd);
	rsrc_node_put(src);
	if (fd < 0)
		return -EMFILE;
	ret = rsrc_install_file(target, fd, req->file_index);
	if (ret < 0)
		return ret;
	if (!(req->op_flags & IORING_MSG_RING_CQE_SKIP))
		uring_post_cqe(target, req->off, ret, 0);
	return 0;
}

enum issue_result uring_msg_ring_issue(struct uring_req *req, unsigned flags)
{
	bool pass = req->op_flags & IORING_MSG_RING_FLAGS_PASS;
	struct uring_ctx *target;

	(void)flags;
	if (req->addr == IORING_MSG_SEND_FD) {
		target = uring_ctx_get((unsigned)req->orig_fd, 0);
		if (!target) {
			/* Not one of ours: no kernel ring takes our files. */
			req->res = fcntl(req->orig_fd, F_GETFD) < 0 ? -EBADF
								   : -EBADFD;
			return ISSUE_DONE;
		}
		req->res = msg_send_fd(req, target);
		uring_ctx_put(target);
		return ISSUE_DONE;
	}
	if (req->addr != IORING_MSG_DATA) {
		req->res = -EINVAL;
		return ISSUE_DONE;
	}
	if (req->addr3 || (req->op_flags & ~IORING_MSG_RING_FLAGS_PASS) ||
	    (!pass && req->file_index)) {
		req->res = -EINVAL;
		return ISSUE_DONE;
	}
	target = uring_ctx_get((unsigned)req->orig_fd, 0);
	if (!target) {
		if (fcntl(req->orig_fd, F_GETFD) < 0)
			req->res = -EBADF;
		else if (uring_fd_is_ring(req->orig_fd))
			req->res = msg_kernel_ring(req);
		else
			req->res = -EBADFD;
		return ISSUE_DONE;
	}
	if (target->disabled) {
		req->res = -EBADFD;
	} else {
		uring_post_cqe(target, req->off, (__s32)req->len,
			       pass ? req->file_index : 0);
		req->res = 0;
	}
	uring_ctx_put(target);
	return ISSUE_DONE;
}

/* ---------------------------------------------------------------- */

int uring_provide_buffers_prep(struct uring_req *req,
			       const struct io_uring_sqe *sqe)
{
	unsigned long size, end;

	if (sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	if (!sqe->fd || (unsigned)sqe->fd > MAX_BIDS_PER_BGID)
		return -E2BIG;
	if (!sqe->len)
		return -EINVAL;
	if (__builtin_mul_overflow((unsigned long)sqe->len,
				   (unsigned long)sqe->fd, &size) ||
	    __builtin_add_overflow((unsigned long)sqe->addr, size, &end))
		return -EOVERFLOW;
	if (sqe->off > 0xffff)
		return -E2BIG;
	req->buf_index = sqe->buf_group;
	return 0;
}

enum issue_result uring_provide_buffers_issue(struct uring_req *req,
					      unsigned flags)
{
	(void)flags;
	req->res = kbuf_provide(req->ctx, req->buf_index, req->addr, req->len,
				(unsigned)req->orig_fd, (__u16)req->off);
	return ISSUE_DONE;
}

int uring_remove_buffers_prep(struct uring_req *req,
			      const struct io_uring_sqe *sqe)
{
	if (sqe->rw_flags || sqe->addr || sqe->len || sqe->off ||
	    sqe->splice_fd_in)
		return -EINVAL;
	if (!sqe->fd || (unsigned)sqe->fd > MAX_BIDS_PER_BGID)
		return -EINVAL;
	req->buf_index = sqe->buf_group;
	return 0;
}

enum issue_result uring_remove_buffers_issue(struct uring_req *req,
					     unsigned flags)
{
	(void)flags;
	req->res = kbuf_remove(req->ctx, req->buf_index, (unsigned)req->orig_fd);
	return ISSUE_DONE;
}

/*
 * REGISTER_SEND_MSG_RING (fd -1): one MSG_RING data message, no source
 * ring (kernel-semantics.md §3.31). Kernel rings get it from the kernel.
 */
int uring_send_msg_ring_blind(const void *arg, unsigned nr)
{
	struct io_uring_sqe sqe;
	struct uring_ctx *target;
	bool pass;
	int ret;

	if (!arg || nr != 1)
		return -EINVAL;
	if (uring_copy_from_user(&sqe, arg, sizeof(sqe)))
		return -EFAULT;
	if (sqe.flags || sqe.opcode != IORING_OP_MSG_RING)
		return -EINVAL;
	if (sqe.buf_index || sqe.personality ||
	    (sqe.msg_ring_flags & ~MSG_RING_FLAGS))
		return -EINVAL;
	if (sqe.addr != IORING_MSG_DATA)
		return -EINVAL;
	target = uring_ctx_get((unsigned)sqe.fd, 0);
	if (!target) {
		if (fcntl(sqe.fd, F_GETFD) < 0)
			return -EBADF;
		if (!uring_fd_is_ring(sqe.fd))
			return -EBADFD;
		return kernel_io_uring_register((unsigned)-1,
						IORING_REGISTER_SEND_MSG_RING,
						&sqe, 1);
	}
	pass = sqe.msg_ring_flags & IORING_MSG_RING_FLAGS_PASS;
	if (sqe.addr3 || (sqe.msg_ring_flags & ~IORING_MSG_RING_FLAGS_PASS) ||
	    (!pass && sqe.file_index))
		ret = -EINVAL;
	else if (target->disabled)
		ret = -EBADFD;
	else {
		uring_post_cqe(target, sqe.off, (__s32)sqe.len,
			       pass ? sqe.file_index : 0);
		ret = 0;
	}
	uring_ctx_put(target);
	return ret;
}
