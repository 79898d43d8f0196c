/* SPDX-License-Identifier: MIT */
/*
 * File and path operations: OPENAT, OPENAT2, CLOSE, STATX, RENAMEAT,
 * UNLINKAT, MKDIRAT, SYMLINKAT, LINKAT, FSYNC, SYNC_FILE_RANGE, FALLOCATE,
 * FADVISE, MADVISE, FTRUNCATE, SPLICE, TEE. Each prep applies the kernel's
 * field checks; ops the kernel always runs in io-wq run in a worker here.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "rsrc.h"
#include "uaccess.h"
#include "user.h"

/* The flags openat(2) passes on; others are dropped, as the kernel does. */
#define VALID_OPEN_FLAGS                                                       \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |        \
	 O_NONBLOCK | O_DSYNC | O_SYNC | FASYNC | O_DIRECT | O_LARGEFILE |   \
	 O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH |           \
	 __O_TMPFILE)
#define WILL_CREATE(f) (((f) & O_CREAT) || ((f) & __O_TMPFILE) == __O_TMPFILE)

struct two_paths {
	char a[PATH_MAX];
	char b[PATH_MAX];
	struct open_how how;
};

/* Copy the path at sqe->addr and, for two-path ops, the one at addr2. */
static int copy_paths(struct uring_req *req, const struct io_uring_sqe *sqe,
		      bool two)
{
	struct two_paths *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	req->op_data = p;
	ret = uring_strncpy_from_user(p->a, (void *)(uintptr_t)sqe->addr,
				      PATH_MAX);
	if (!ret && two)
		ret = uring_strncpy_from_user(p->b, (void *)(uintptr_t)sqe->addr2,
					      PATH_MAX);
	return ret;
}

/* The common prep of path operations: no fixed file, then the paths. */
static int path_prep(struct uring_req *req, const struct io_uring_sqe *sqe,
		     bool two)
{
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	return copy_paths(req, sqe, two);
}

static struct two_paths *paths(struct uring_req *req)
{
	return req->op_data;
}

/* Ops the kernel always hands to io-wq. */
static enum issue_result forced_async(struct uring_req *req, long ret)
{
	req->res = ret < 0 ? -errno : (__s32)ret;
	return ISSUE_DONE;
}

#define PUNT_IF_NONBLOCK(flags)                                                \
	do {                                                                   \
		if ((flags) & ISSUE_NONBLOCK)                                  \
			return ISSUE_PUNT;                                     \
	} while (0)

/* ---------------------------------------------------------------- */

static int open_common_prep(struct uring_req *req)
{
	if (req->file_index && (paths(req)->how.flags & O_CLOEXEC))
		return -EINVAL;
	return 0;
}

int uring_openat_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	__u64 flags = sqe->open_flags;
	int ret;

	if (sqe->buf_index)
		return -EINVAL;
	ret = path_prep(req, sqe, false);
	if (ret)
		return ret;
	paths(req)->how.flags = (flags & VALID_OPEN_FLAGS) | O_LARGEFILE;
	paths(req)->how.mode = WILL_CREATE(flags) ? (sqe->len & 07777) : 0;
	return open_common_prep(req);
}

int uring_openat2_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	struct open_how *how;
	size_t size = sqe->len;
	char extra[64];
	int ret;

	if (sqe->buf_index)
		return -EINVAL;
	ret = path_prep(req, sqe, false);
	if (ret)
		return ret;
	how = &paths(req)->how;
	if (size < sizeof(*how))
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	ret = uring_copy_from_user(how, (void *)(uintptr_t)sqe->off,
				   size < sizeof(*how) ? size : sizeof(*how));
	if (ret)
		return ret;
	/* Bytes beyond the struct we know must be zero. */
	for (size_t done = sizeof(*how); done < size; done += sizeof(extra)) {
		size_t n = size - done < sizeof(extra) ? size - done : sizeof(extra);

		ret = uring_copy_from_user(extra, (char *)(uintptr_t)sqe->off + done, n);
		if (ret)
			return ret;
		for (size_t i = 0; i < n; i++)
			if (extra[i])
				return -E2BIG;
	}
	how->flags |= O_LARGEFILE;
	return open_common_prep(req);
}

enum issue_result uring_openat_issue(struct uring_req *req, unsigned flags)
{
	struct open_how how = paths(req)->how;
	bool nonblock_asked = how.flags & O_NONBLOCK;
	long fd;

	if (req->file_index)
		how.flags |= O_CLOEXEC; /* a direct descriptor is ours alone */
	if (flags & ISSUE_NONBLOCK) {
		if (how.flags & (O_TRUNC | O_CREAT | __O_TMPFILE))
			return ISSUE_PUNT;
		/* Like the kernel's inline try: a FIFO opens without a peer. */
		how.resolve |= RESOLVE_CACHED;
		how.flags |= O_NONBLOCK;
	}
	fd = syscall(SYS_openat2, req->orig_fd, paths(req)->a, &how, sizeof(how));
	if (fd < 0 && errno == EAGAIN && (flags & ISSUE_NONBLOCK) &&
	    !(paths(req)->how.resolve & RESOLVE_CACHED))
		return ISSUE_PUNT;
	if (fd >= 0 && (flags & ISSUE_NONBLOCK) && !nonblock_asked)
		fcntl((int)fd, F_SETFL, fcntl((int)fd, F_GETFL) & ~O_NONBLOCK);
	req->res = fd < 0 ? -errno : (__s32)fd;
	if (fd >= 0 && req->file_index)
		req->res = rsrc_install_file(req->ctx, (int)fd, req->file_index);
	return ISSUE_DONE;
}

int uring_close_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->off || sqe->addr || sqe->len || sqe->rw_flags || sqe->buf_index)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	if (req->file_index && sqe->fd)
		return -EINVAL;
	return 0;
}

enum issue_result uring_close_issue(struct uring_req *req, unsigned flags)
{
	(void)flags;
	if (req->file_index) {
		req->res = rsrc_close_file(req->ctx, req->file_index - 1);
		return ISSUE_DONE;
	}
	if (uring_fd_is_ring(req->orig_fd)) {
		req->res = -EBADF;
		return ISSUE_DONE;
	}
	req->res = kernel_close(req->orig_fd);
	return ISSUE_DONE;
}

int uring_statx_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	req->addr2 = sqe->addr2;
	return path_prep(req, sqe, false);
}

enum issue_result uring_statx_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    syscall(SYS_statx, req->orig_fd, paths(req)->a,
				    (int)req->op_flags, req->len,
				    (void *)(uintptr_t)req->addr2));
}

int uring_renameat_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	return path_prep(req, sqe, true);
}

enum issue_result uring_renameat_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    syscall(SYS_renameat2, req->orig_fd, paths(req)->a,
				    (int)req->len, paths(req)->b,
				    req->op_flags));
}

int uring_unlinkat_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->off || sqe->len || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	if (sqe->unlink_flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return copy_paths(req, sqe, false);
}

enum issue_result uring_unlinkat_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    unlinkat(req->orig_fd, paths(req)->a,
				     (int)req->op_flags));
}

int uring_mkdirat_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->off || sqe->rw_flags || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	return path_prep(req, sqe, false);
}

enum issue_result uring_mkdirat_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    mkdirat(req->orig_fd, paths(req)->a, req->len));
}

int uring_symlinkat_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->len || sqe->rw_flags || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	return path_prep(req, sqe, true);
}

enum issue_result uring_symlinkat_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    symlinkat(paths(req)->a, req->orig_fd, paths(req)->b));
}

int uring_linkat_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	return path_prep(req, sqe, true);
}

enum issue_result uring_linkat_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    linkat(req->orig_fd, paths(req)->a, (int)req->len,
				   paths(req)->b, (int)req->op_flags));
}

/* ---------------------------------------------------------------- */

int uring_fsync_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->addr || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if (sqe->fsync_flags & ~IORING_FSYNC_DATASYNC)
		return -EINVAL;
	(void)req;
	return 0;
}

enum issue_result uring_fsync_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    (req->op_flags & IORING_FSYNC_DATASYNC)
				    ? fdatasync(req->fd)
				    : fsync(req->fd));
}

int uring_sync_range_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	if (sqe->addr || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	return 0;
}

enum issue_result uring_sync_range_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    sync_file_range(req->fd, (off_t)req->off, req->len,
					    req->op_flags));
}

int uring_fallocate_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	if (sqe->buf_index || sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	return 0;
}

enum issue_result uring_fallocate_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req,
			    fallocate(req->fd, (int)req->len, (off_t)req->off,
				      (off_t)req->addr));
}

int uring_fadvise_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	/* fadvise64: a zero len means the length is in addr. */
	req->addr2 = sqe->len ? sqe->len : sqe->addr;
	return 0;
}

enum issue_result uring_fadvise_issue(struct uring_req *req, unsigned flags)
{
	int advice = (int)req->op_flags, ret;

	switch (advice) {
	case POSIX_FADV_NORMAL:
	case POSIX_FADV_RANDOM:
	case POSIX_FADV_SEQUENTIAL:
		break;
	default:
		PUNT_IF_NONBLOCK(flags);
	}
	ret = posix_fadvise(req->fd, (off_t)req->off, (off_t)req->addr2, advice);
	req->res = -ret;
	return ISSUE_DONE;
}

int uring_madvise_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	req->addr2 = sqe->len ? sqe->len : sqe->off;
	return 0;
}

enum issue_result uring_madvise_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	req->res = kernel_madvise((void *)(uintptr_t)req->addr,
				  (size_t)req->addr2, (int)req->op_flags);
	return ISSUE_DONE;
}

int uring_ftruncate_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	if (sqe->rw_flags || sqe->addr || sqe->len || sqe->buf_index ||
	    sqe->splice_fd_in || sqe->addr3)
		return -EINVAL;
	return 0;
}

enum issue_result uring_ftruncate_issue(struct uring_req *req, unsigned flags)
{
	PUNT_IF_NONBLOCK(flags);
	return forced_async(req, ftruncate(req->fd, (off_t)req->off));
}

/* ---------------------------------------------------------------- */

#define SPLICE_VALID (SPLICE_F_FD_IN_FIXED | SPLICE_F_MOVE | SPLICE_F_NONBLOCK | \
		      SPLICE_F_MORE | SPLICE_F_GIFT)

int uring_splice_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->splice_flags & ~SPLICE_VALID)
		return -EINVAL;
	if (req->opcode == IORING_OP_TEE && (sqe->splice_off_in || sqe->off))
		return -EINVAL;
	req->splice_fd_in = sqe->splice_fd_in;
	req->addr2 = sqe->splice_off_in;
	return 0;
}

enum issue_result uring_splice_issue(struct uring_req *req, unsigned flags)
{
	unsigned sflags = req->op_flags & ~SPLICE_F_FD_IN_FIXED;
	loff_t in = (loff_t)req->addr2, out = (loff_t)req->off;
	ssize_t ret;

	PUNT_IF_NONBLOCK(flags);
	if ((req->op_flags & SPLICE_F_FD_IN_FIXED) && !req->buf_node) {
		/* The input is a fixed file too; hold it like the output. */
		req->buf_node = rsrc_file_get(req->ctx, (unsigned)req->splice_fd_in);
		if (!req->buf_node) {
			req->res = -EBADF;
			return ISSUE_DONE;
		}
		req->splice_fd_in = req->buf_node->fd;
	}
	if (req->opcode == IORING_OP_TEE)
		ret = tee(req->splice_fd_in, req->fd, req->len, sflags);
	else
		ret = splice(req->splice_fd_in, in == -1 ? NULL : &in, req->fd,
			     out == -1 ? NULL : &out, req->len, sflags);
	req->res = ret < 0 ? -errno : (__s32)ret;
	if (ret >= 0 && (size_t)ret != req->len)
		req->failed = true;
	return ISSUE_DONE;
}

enum issue_result uring_openat2_issue(struct uring_req *req, unsigned flags)
{
	return uring_openat_issue(req, flags);
}

/* ---------------------------------------------------------------- */

int uring_files_update_prep(struct uring_req *req,
			    const struct io_uring_sqe *sqe)
{
	if (req->flags & (IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT))
		return -EINVAL;
	if (sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	if (!sqe->len)
		return -EINVAL;
	return 0;
}

enum issue_result uring_files_update_issue(struct uring_req *req,
					   unsigned flags)
{
	(void)flags;
	req->res = rsrc_files_update_op(req->ctx, (__u32)req->off,
					(int *)(uintptr_t)req->addr, req->len);
	return ISSUE_DONE;
}

int uring_fixed_fd_install_prep(struct uring_req *req,
				const struct io_uring_sqe *sqe)
{
	if (!(req->flags & IOSQE_FIXED_FILE))
		return -EBADF;
	if (sqe->off || sqe->addr || sqe->len || sqe->buf_index ||
	    sqe->splice_fd_in || sqe->addr3)
		return -EINVAL;
	if (sqe->install_fd_flags & ~IORING_FIXED_FD_NO_CLOEXEC)
		return -EINVAL;
	/* Installing into the task's own table is never done as another. */
	if (req->personality)
		return -EPERM;
	return 0;
}

/* A normal descriptor for a fixed file, close-on-exec unless asked. */
enum issue_result uring_fixed_fd_install_issue(struct uring_req *req,
					       unsigned flags)
{
	int fd = fcntl(req->fd,
		       (req->op_flags & IORING_FIXED_FD_NO_CLOEXEC) ? F_DUPFD
								    : F_DUPFD_CLOEXEC,
		       0);

	(void)flags;
	req->res = fd < 0 ? -errno : fd;
	return ISSUE_DONE;
}
