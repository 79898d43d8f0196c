/* SPDX-License-Identifier: MIT */
/*
 * FSETXATTR, SETXATTR, FGETXATTR, GETXATTR. Prep copies the name, the
 * value to set and the path, with the kernel's checks in its order; the
 * system call runs in a worker, as the kernel always runs these in io-wq.
 * Like 6.18's, an error the system call returns does not fail the
 * request: its link goes on and CQE_SKIP_SUCCESS skips its CQE. A file
 * that cannot be looked up does fail it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "kernel/syscall.h"
#include "uaccess.h"
#include "user.h"

#define XATTR_NAME_LEN 255       /* longest name, as XATTR_NAME_MAX */
#define XATTR_VALUE_MAX 65536    /* largest value, as XATTR_SIZE_MAX */
#define XATTR_SET_FLAGS (XATTR_CREATE | XATTR_REPLACE)

/* The operands a request keeps from prep to issue. */
struct xattr_copy {
	char name[XATTR_NAME_LEN + 1];
	char path[PATH_MAX];
	unsigned char value[]; /* the value to set, sized at prep */
};

static struct xattr_copy *xattr(struct uring_req *req)
{
	return req->op_data;
}

static bool is_path_op(const struct uring_req *req)
{
	return req->opcode == IORING_OP_SETXATTR ||
	       req->opcode == IORING_OP_GETXATTR;
}

/* The name at sqe->addr: an empty or over-long one is ERANGE. */
static int copy_name(struct xattr_copy *x, const struct io_uring_sqe *sqe)
{
	int ret = uring_strncpy_from_user(x->name, (void *)(uintptr_t)sqe->addr,
					  sizeof(x->name));

	if (ret == -ENAMETOOLONG || (!ret && !x->name[0]))
		return -ERANGE;
	return ret;
}

/* The path at sqe->addr3, as getname() takes it: "" does not exist. */
static int copy_path(struct xattr_copy *x, const struct io_uring_sqe *sqe)
{
	int ret = uring_strncpy_from_user(x->path,
					  (void *)(uintptr_t)sqe->addr3,
					  sizeof(x->path));

	if (!ret && !x->path[0])
		return -ENOENT;
	return ret;
}

static int alloc_copy(struct uring_req *req, size_t value_len)
{
	req->op_data = calloc(1, sizeof(struct xattr_copy) + value_len);
	return req->op_data ? 0 : -ENOMEM;
}

int uring_getxattr_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	int ret;

	if (is_path_op(req) && (req->flags & IOSQE_FIXED_FILE))
		return -EBADF;
	if (sqe->xattr_flags)
		return -EINVAL;
	ret = alloc_copy(req, 0);
	if (!ret)
		ret = copy_name(xattr(req), sqe);
	if (!ret && is_path_op(req))
		ret = copy_path(xattr(req), sqe);
	req->addr2 = sqe->addr2; /* where the value goes */
	return ret;
}

int uring_setxattr_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	size_t size = sqe->len;
	int ret;

	if (is_path_op(req) && (req->flags & IOSQE_FIXED_FILE))
		return -EBADF;
	if (sqe->xattr_flags & ~XATTR_SET_FLAGS)
		return -EINVAL;
	/* Checked only after the name, as the kernel does. */
	ret = alloc_copy(req, size <= XATTR_VALUE_MAX ? size : 0);
	if (!ret)
		ret = copy_name(xattr(req), sqe);
	if (!ret && size > XATTR_VALUE_MAX)
		ret = -E2BIG;
	if (!ret)
		ret = uring_copy_from_user(xattr(req)->value,
					   (void *)(uintptr_t)sqe->addr2, size);
	if (!ret && is_path_op(req))
		ret = copy_path(xattr(req), sqe);
	return ret;
}

/*
 * Whether the f-forms' descriptor is a file the kernel's lookup finds (an
 * O_PATH one is not); if not, the request fails with EBADF.
 */
static bool file_found(struct uring_req *req)
{
	long fl;

	if (is_path_op(req))
		return true;
	fl = kernel_syscall6(__NR_fcntl, req->fd, F_GETFL, 0, 0, 0, 0);
	if (fl >= 0 && !(fl & O_PATH))
		return true;
	req->res = -EBADF;
	return false;
}

/*
 * Run a get or set in a worker (it may block on the filesystem, and the
 * kernel runs it in io-wq): the path form with path_nr, the f-form with
 * fd_nr. The getters ignore the flags argument.
 */
static enum issue_result xattr_issue(struct uring_req *req, unsigned flags,
				     long path_nr, long fd_nr, const void *value)
{
	struct xattr_copy *x = xattr(req);

	if (flags & ISSUE_NONBLOCK)
		return ISSUE_PUNT;
	if (!file_found(req))
		return ISSUE_DONE;
	req->res_no_fail = true;
	if (is_path_op(req))
		req->res = (__s32)kernel_syscall6(path_nr, (long)x->path,
						  (long)x->name, (long)value,
						  req->len, req->op_flags, 0);
	else
		req->res = (__s32)kernel_syscall6(fd_nr, req->fd, (long)x->name,
						  (long)value, req->len,
						  req->op_flags, 0);
	return ISSUE_DONE;
}

enum issue_result uring_getxattr_issue(struct uring_req *req, unsigned flags)
{
	return xattr_issue(req, flags, __NR_getxattr, __NR_fgetxattr,
			   (void *)(uintptr_t)req->addr2);
}

enum issue_result uring_setxattr_issue(struct uring_req *req, unsigned flags)
{
	return xattr_issue(req, flags, __NR_setxattr, __NR_fsetxattr,
			   xattr(req)->value);
}
