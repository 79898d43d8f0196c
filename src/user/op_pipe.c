/* SPDX-License-Identifier: MIT */
/*
 * PIPE: a pipe whose two ends are written to the int[2] at sqe->addr,
 * as descriptors or, with file_index, as direct descriptors (an explicit
 * slot takes that slot and the next; IORING_FILE_INDEX_ALLOC two free
 * ones). Anything that fails after the pipe exists undoes what was
 * installed, so a failed request leaves no descriptor behind.
 */
#include <fcntl.h>
#include <sys/syscall.h>

#include "kernel/syscall.h"
#include "rsrc.h"
#include "uaccess.h"
#include "user.h"

/* O_NOTIFICATION_PIPE shares O_EXCL's bit. */
#define PIPE_NOTIFICATION O_EXCL
#define PIPE_FLAGS (O_CLOEXEC | O_NONBLOCK | O_DIRECT | PIPE_NOTIFICATION)

int uring_pipe_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	if (sqe->fd || sqe->off || sqe->addr3)
		return -EINVAL;
	if (sqe->pipe_flags & ~PIPE_FLAGS)
		return -EINVAL;
	return 0;
}

/* Install both ends; got[] receives the slots taken. 0 or -errno. */
static int install_ends(struct uring_ctx *ctx, const int ends[2],
			unsigned file_index, int got[2])
{
	bool alloc = file_index == IORING_FILE_INDEX_ALLOC;
	int ret = rsrc_install_file(ctx, ends[0], file_index);

	if (ret < 0) {
		kernel_close(ends[1]);
		return ret;
	}
	got[0] = alloc ? ret : (int)file_index - 1;
	ret = rsrc_install_file(ctx, ends[1], alloc ? file_index : file_index + 1);
	if (ret < 0)
		return ret;
	got[1] = alloc ? ret : (int)file_index;
	return 0;
}

static __s32 pipe_direct(struct uring_req *req, const int ends[2])
{
	int got[2] = {-1, -1};
	int ret;

	if (req->op_flags & O_CLOEXEC) {
		kernel_close(ends[0]);
		kernel_close(ends[1]);
		return -EINVAL;
	}
	ret = install_ends(req->ctx, ends, req->file_index, got);
	if (!ret && uring_copy_to_user((void *)(uintptr_t)req->addr, got,
				       sizeof(got)))
		ret = -EFAULT;
	if (ret) {
		for (int i = 0; i < 2; i++)
			if (got[i] >= 0)
				rsrc_close_file(req->ctx, (unsigned)got[i]);
	}
	return ret;
}

static __s32 pipe_plain(struct uring_req *req, const int ends[2])
{
	if (!uring_copy_to_user((void *)(uintptr_t)req->addr, ends,
				2 * sizeof(int)))
		return 0;
	kernel_close(ends[0]);
	kernel_close(ends[1]);
	return -EFAULT;
}

enum issue_result uring_pipe_issue(struct uring_req *req, unsigned flags)
{
	/* A direct descriptor's file is held by a descriptor of ours. */
	int pflags = (int)req->op_flags | (req->file_index ? O_CLOEXEC : 0);
	int ends[2];
	long ret;

	(void)flags;
	ret = kernel_syscall6(__NR_pipe2, (long)ends, pflags, 0, 0, 0, 0);
	if (ret < 0)
		req->res = (__s32)ret;
	else if (req->file_index)
		req->res = pipe_direct(req, ends);
	else
		req->res = pipe_plain(req, ends);
	return ISSUE_DONE;
}
