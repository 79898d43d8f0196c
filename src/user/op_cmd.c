/* SPDX-License-Identifier: MIT */
/*
 * URING_CMD on the files whose commands 6.18 answers: sockets
 * (SOCKET_URING_OP_SIOCINQ, SIOCOUTQ, GETSOCKOPT, SETSOCKOPT and
 * TX_TIMESTAMP) and /dev/null, which answers 0 to everything. Every
 * other file has no commands (EOPNOTSUPP), as in a kernel without
 * NVMe, ublk or FUSE devices. Sockets' commands never block: inline.
 */
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>

#include "kernel/syscall.h"
#include "user.h"

#define CMD_FLAGS (IORING_URING_CMD_FIXED | IORING_URING_CMD_MULTISHOT)

int uring_uring_cmd_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	__u32 flags = sqe->uring_cmd_flags;

	if (sqe->__pad1)
		return -EINVAL;
	if (flags & ~CMD_FLAGS)
		return -EINVAL;
	if ((flags & IORING_URING_CMD_FIXED) &&
	    (flags & IORING_URING_CMD_MULTISHOT))
		return -EINVAL;
	/* Multishot commands take provided buffers, and only they do. */
	if (!(flags & IORING_URING_CMD_MULTISHOT) !=
	    !(req->flags & IOSQE_BUFFER_SELECT))
		return -EINVAL;
	/* The registered buffer is only looked up by commands that use it. */
	return 0;
}

/*
 * The command's fields, read back through the SQE's own unions from the
 * copies taken at submission (off, addr, file_index and addr3).
 */
static struct io_uring_sqe cmd_fields(const struct uring_req *req)
{
	struct io_uring_sqe view = {0};

	view.off = req->off;
	view.addr = req->addr;
	view.file_index = req->file_index;
	view.addr3 = req->addr3;
	return view;
}

static long sock_opt(int fd, int level, int name)
{
	int val = 0;
	socklen_t len = sizeof(val);
	long ret = kernel_syscall6(__NR_getsockopt, fd, level, name, (long)&val,
				   (long)&len, 0);

	return ret < 0 ? ret : val;
}

/*
 * SIOCINQ and SIOCOUTQ go to the protocol's own ioctl, which only the
 * IPv4 and IPv6 protocols have (a ping socket's has none: ENOTTY).
 */
static __s32 sock_queue(int fd, unsigned long cmd)
{
	long family = sock_opt(fd, SOL_SOCKET, SO_DOMAIN);
	int arg = 0;
	long ret;

	if (family < 0)
		return (__s32)family;
	if (family != AF_INET && family != AF_INET6)
		return -EOPNOTSUPP;
	ret = kernel_syscall6(__NR_ioctl, fd, (long)cmd, (long)&arg, 0, 0, 0);
	if (ret == -ENOTTY)
		return -EOPNOTSUPP;
	return ret < 0 ? (__s32)ret : arg;
}

/* getsockopt at SOL_SOCKET only; its result is the option's length. */
static __s32 sock_getopt(int fd, const struct io_uring_sqe *f)
{
	socklen_t len = f->optlen;
	long ret;

	if (f->level != SOL_SOCKET)
		return -EOPNOTSUPP;
	ret = kernel_syscall6(__NR_getsockopt, fd, (int)f->level,
			      (int)f->optname, (long)f->optval, (long)&len, 0);
	return ret < 0 ? (__s32)ret : (__s32)len;
}

static __s32 sock_setopt(int fd, const struct io_uring_sqe *f)
{
	return (__s32)kernel_syscall6(__NR_setsockopt, fd, (int)f->level,
				      (int)f->optname, (long)f->optval,
				      (int)f->optlen, 0);
}

/*
 * TX_TIMESTAMP needs big CQEs. On a CQE32 or CQE_MIXED ring the kernel
 * waits for timestamps on the error queue until cancelled; a socket that
 * does not ask for timestamps never gets one, so the request only waits:
 * on the engine's timer list with a deadline that never comes, where
 * cancels and teardown find it.
 */
static enum issue_result sock_timestamp(struct uring_req *req)
{
	if (!(req->ctx->flags &
	      (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED))) {
		req->res = -EINVAL;
		return ISSUE_DONE;
	}
	req->deadline.tv_sec = (time_t)1 << 60;
	req->deadline.tv_nsec = 0;
	uring_inflight_add(req);
	poll_engine_add_timer(req->ctx->poll, req);
	return ISSUE_QUEUED;
}

static enum issue_result sock_cmd(struct uring_req *req)
{
	struct io_uring_sqe f = cmd_fields(req);

	switch (f.cmd_op) {
	case SOCKET_URING_OP_SIOCINQ:
		req->res = sock_queue(req->fd, SIOCINQ);
		break;
	case SOCKET_URING_OP_SIOCOUTQ:
		req->res = sock_queue(req->fd, SIOCOUTQ);
		break;
	case SOCKET_URING_OP_GETSOCKOPT:
		req->res = sock_getopt(req->fd, &f);
		break;
	case SOCKET_URING_OP_SETSOCKOPT:
		req->res = sock_setopt(req->fd, &f);
		break;
	case SOCKET_URING_OP_TX_TIMESTAMP:
		return sock_timestamp(req);
	default:
		/* GETSOCKNAME among them: it came after 6.18. */
		req->res = -EOPNOTSUPP;
	}
	return ISSUE_DONE;
}

static bool is_dev_null(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3);
}

enum issue_result uring_uring_cmd_issue(struct uring_req *req, unsigned flags)
{
	enum issue_result r = ISSUE_DONE;
	struct stat st;
	long fl;

	(void)flags;
	/* An O_PATH descriptor is no file to the kernel's lookup. */
	fl = kernel_syscall6(__NR_fcntl, req->fd, F_GETFL, 0, 0, 0, 0);
	if (fl < 0 || (fl & O_PATH)) {
		req->res = -EBADF;
		return ISSUE_DONE;
	}
	req->res = (__s32)kernel_syscall6(__NR_fstat, req->fd, (long)&st, 0, 0,
					  0, 0);
	if (req->res < 0)
		return ISSUE_DONE;
	if (S_ISSOCK(st.st_mode))
		r = sock_cmd(req);
	else if (!is_dev_null(&st))
		req->res = -EOPNOTSUPP;
	/*
	 * A multishot command that succeeds is left to complete later, which
	 * nothing here ever does: the kernel posts no CQE for it.
	 */
	if (r == ISSUE_DONE && req->res >= 0 &&
	    (req->op_flags & IORING_URING_CMD_MULTISHOT))
		req->flags |= IOSQE_CQE_SKIP_SUCCESS;
	return r;
}
