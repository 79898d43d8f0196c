/* SPDX-License-Identifier: MIT */
/*
 * Socket operations: ACCEPT (and multishot), CONNECT, SEND, RECV, SENDMSG,
 * RECVMSG, SHUTDOWN, SOCKET, BIND, LISTEN. Data transfers try
 * MSG_DONTWAIT first and wait in the poll engine when the socket is not
 * ready, as the kernel's fast poll does.
 */
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kbuf.h"
#include "ops.h"
#include "rsrc.h"
#include "uaccess.h"
#include "user.h"

#define SEND_IOPRIO_FLAGS (IORING_RECVSEND_POLL_FIRST | IORING_RECVSEND_FIXED_BUF)
#define RECV_IOPRIO_FLAGS                                                      \
	(IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT)
/* Receives a multishot request does in a row before others get a turn. */
#define MULTISHOT_MAX_RETRY 32
/* CQE flags a bundle's second receive gives its (single) CQE. */
#define BUNDLE_RETRY_FLAGS                                                     \
	(IORING_CQE_F_SOCK_NONEMPTY | IORING_CQE_F_MORE | IORING_CQE_F_BUF_MORE)

/* RECV's state across issues (multishot or bundle). */
struct recv_state {
	int inq;           /* bytes the socket held after the last receive */
	unsigned nr_iovs;  /* buffers an unlimited bundle may take */
	unsigned loops;    /* multishot receives in a row */
	__u32 left;        /* with limit: multishot bytes still allowed */
	bool limit;
	struct kbuf_bundle b;
};

struct msg_copy {
	struct msghdr msg;
	/* With provided buffers: the name and control space the caller asked
	 * for, laid out after an io_uring_recvmsg_out header in multishot. */
	socklen_t namelen;
	size_t controllen;
	struct sockaddr_storage addr;
	struct msghdr *user_msg;
	struct iovec iov[]; /* msg.msg_iovlen entries */
};

/* ---------------------------------------------------------------- */

int uring_accept_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->len || sqe->buf_index)
		return -EINVAL;
	if (sqe->ioprio & ~(IORING_ACCEPT_MULTISHOT | IORING_ACCEPT_DONTWAIT |
			    IORING_ACCEPT_POLL_FIRST))
		return -EINVAL;
	if (req->file_index && (sqe->accept_flags & SOCK_CLOEXEC))
		return -EINVAL;
	/* Each of a multishot's fds needs a slot of its own: no fixed one. */
	if ((sqe->ioprio & IORING_ACCEPT_MULTISHOT) && req->file_index &&
	    req->file_index != IORING_FILE_INDEX_ALLOC)
		return -EINVAL;
	if (sqe->accept_flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	req->addr2 = sqe->addr2;
	return 0;
}

/* Whether fd is ready for events now, without blocking. */
static bool ready_now(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	return poll(&p, 1, 0) > 0;
}

/*
 * The kernel flags an accept that leaves more connections queued, and
 * only TCP's (and MPTCP's) listen queue says so. A listener polls
 * readable exactly when that queue is not empty.
 */
static __u32 accept_nonempty(int fd)
{
	int proto = 0;
	socklen_t len = sizeof(proto);

	if (!ready_now(fd, POLLIN) ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len))
		return 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_MPTCP)
		return 0;
	return IORING_CQE_F_SOCK_NONEMPTY;
}

enum issue_result uring_accept_issue(struct uring_req *req, unsigned flags)
{
	bool multishot = req->ioprio & IORING_ACCEPT_MULTISHOT;
	__u32 cflags;
	int fd;

	(void)flags;
	for (;;) {
		if ((req->ioprio & IORING_ACCEPT_POLL_FIRST) && !req->async) {
			req->poll_mask = POLLIN;
			return ISSUE_POLL;
		}
		if (!ready_now(req->fd, POLLIN)) {
			if (req->ioprio & IORING_ACCEPT_DONTWAIT) {
				req->res = -EAGAIN;
				return ISSUE_DONE;
			}
			req->poll_mask = POLLIN;
			return ISSUE_POLL;
		}
		fd = accept4(req->fd, (struct sockaddr *)(uintptr_t)req->addr,
			     (socklen_t *)(uintptr_t)req->addr2,
			     (int)req->op_flags | (req->file_index ? SOCK_CLOEXEC : 0));
		if (fd < 0)
			fd = -errno;
		if (fd == -EAGAIN || fd == -EINTR)
			continue;
		/* EFAULT comes from the address copy, after the dequeue. */
		cflags = 0;
		if (fd >= 0 || fd == -EFAULT)
			cflags = accept_nonempty(req->fd);
		if (fd >= 0 && req->file_index)
			fd = rsrc_install_file(req->ctx, fd, req->file_index);
		if (fd < 0 || !multishot) {
			req->res = fd;
			req->cflags = cflags;
			return ISSUE_DONE;
		}
		uring_req_complete(req, fd, cflags | IORING_CQE_F_MORE);
	}
}

int uring_connect_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	struct msg_copy *m;

	if (sqe->len || sqe->buf_index || sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	if (sqe->off > sizeof(struct sockaddr_storage))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	req->op_data = m;
	req->addr2 = sqe->off;
	return uring_copy_from_user(&m->addr, (void *)(uintptr_t)sqe->addr,
				    (size_t)sqe->off);
}

enum issue_result uring_connect_issue(struct uring_req *req, unsigned flags)
{
	struct msg_copy *m = req->op_data;
	int ret, err;
	socklen_t len = sizeof(err);

	/* A connect in progress: its result is the socket's error. */
	if (req->done_io) {
		getsockopt(req->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		req->res = -err;
		return ISSUE_DONE;
	}
	if ((flags & ISSUE_NONBLOCK) && !(fcntl(req->fd, F_GETFL) & O_NONBLOCK))
		return ISSUE_PUNT;
	ret = connect(req->fd, (struct sockaddr *)&m->addr,
		      (socklen_t)req->addr2);
	if (ret < 0 && errno == EINPROGRESS &&
	    (fcntl(req->fd, F_GETFL) & O_NONBLOCK) && !req->async) {
		req->done_io = 1;
		req->poll_mask = POLLOUT;
		return ISSUE_POLL;
	}
	req->res = ret < 0 ? -errno : 0;
	return ISSUE_DONE;
}

/* ---------------------------------------------------------------- */

int uring_send_addr_copy(struct uring_req *req, __u64 uaddr, __u16 len)
{
	struct sockaddr_storage *copy;
	int ret;

	if (!uaddr)
		return 0;
	if (len > sizeof(*copy))
		return -EINVAL;
	copy = calloc(1, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	req->op_data = copy;
	ret = uring_copy_from_user(copy, (void *)(uintptr_t)uaddr, len);
	if (ret)
		return ret;
	req->addr2 = (uintptr_t)copy;
	req->splice_fd_in = len;
	return 0;
}

static int send_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->ioprio & ~(SEND_IOPRIO_FLAGS | IORING_RECVSEND_BUNDLE))
		return -EINVAL;
	if (sqe->ioprio & IORING_RECVSEND_FIXED_BUF)
		return -EFAULT; /* no registered buffers yet */
	/* A bundle is sent whole, as with MSG_WAITALL. */
	if (sqe->ioprio & IORING_RECVSEND_BUNDLE)
		req->op_flags |= MSG_WAITALL;
	return uring_send_addr_copy(req, sqe->addr2, sqe->addr_len);
}

static int recv_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	bool bundle = sqe->ioprio & IORING_RECVSEND_BUNDLE;
	struct recv_state *st;

	if (sqe->addr2)
		return -EINVAL;
	if (sqe->ioprio & ~(RECV_IOPRIO_FLAGS | IORING_RECVSEND_BUNDLE))
		return -EINVAL;
	if (!(sqe->ioprio & IORING_RECV_MULTISHOT)) {
		/* sqe->optlen shares file_index's place; a bundle ignores it. */
		if (!bundle)
			return sqe->file_index ? -EINVAL : 0;
	} else if (!(req->flags & IOSQE_BUFFER_SELECT) ||
		   (sqe->msg_flags & MSG_WAITALL)) {
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	req->op_data = st;
	st->nr_iovs = 1;
	if (sqe->ioprio & IORING_RECV_MULTISHOT) {
		st->left = sqe->optlen;
		st->limit = sqe->optlen;
	}
	return 0;
}

int uring_sendrecv_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	bool is_send = req->opcode == IORING_OP_SEND;
	int ret;

	req->op_flags = sqe->msg_flags | (is_send ? MSG_NOSIGNAL : 0);
	ret = is_send ? send_prep(req, sqe) : recv_prep(req, sqe);
	if (ret)
		return ret;
	if (req->flags & IOSQE_BUFFER_SELECT)
		req->kbuf_bgid = sqe->buf_group;
	return 0;
}

/*
 * The kernel tells a stream reader that more data is already queued. A
 * stream receive returns less than it had room for only when it emptied
 * the queue, so only a full one needs the two system calls that ask.
 */
static __u32 sock_nonempty(int fd, size_t got, size_t room)
{
	int type = 0, queued = 0;
	socklen_t len = sizeof(type);

	if (got < room)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    type != SOCK_STREAM || ioctl(fd, FIONREAD, &queued))
		return 0;
	return queued > 0 ? IORING_CQE_F_SOCK_NONEMPTY : 0;
}

/*
 * What the kernel's msg_inq says after a receive of got bytes into room:
 * the bytes a stream socket still holds, -1 (unknown) for other sockets.
 */
static int sock_inq(int fd, ssize_t got, size_t room)
{
	int type = 0, queued = 0;
	socklen_t len = sizeof(type);

	if (got < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    type != SOCK_STREAM)
		return -1;
	if ((size_t)got < room)
		return 0;
	return ioctl(fd, FIONREAD, &queued) ? -1 : queued;
}

/* How many of a bundle's buffers the first n bytes touched. */
static unsigned bundle_nbufs(const struct kbuf_bundle *b, size_t n)
{
	unsigned i = 0;

	while (n && i < b->nr) {
		n -= n < b->iov[i].iov_len ? n : b->iov[i].iov_len;
		i++;
	}
	return i;
}

static size_t min_not_zero(size_t a, size_t b)
{
	if (!a || !b)
		return a ? a : b;
	return a < b ? a : b;
}

/* One receive of a bundle into buffers for up to max_len bytes. */
static ssize_t bundle_recv_once(struct uring_req *req, struct recv_state *st,
				size_t max_len, __u32 *cflags)
{
	struct msghdr mh = {0};
	ssize_t n;
	int err;

	*cflags = 0;
	if (!max_len && st->inq > 1)
		max_len = (size_t)st->inq;
	if (st->limit)
		max_len = min_not_zero(max_len, st->left);
	err = kbuf_bundle_take(req, max_len, &st->nr_iovs, &st->b);
	if (err)
		return err;
	mh.msg_iov = st->b.iov;
	mh.msg_iovlen = st->b.nr;
	do {
		n = recvmsg(req->fd, &mh, (int)req->op_flags | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	st->inq = sock_inq(req->fd, n, st->b.len);
	/* Nothing received: the buffers go back for the next attempt. */
	if (n <= 0) {
		kbuf_drop(req);
		*cflags = 0;
	} else {
		*cflags = kbuf_done_n(req, (unsigned)n,
				      bundle_nbufs(&st->b, (size_t)n));
	}
	if (st->inq > 0)
		*cflags |= IORING_CQE_F_SOCK_NONEMPTY;
	return n;
}

/*
 * A bundle receive: one CQE for the bytes of as many buffers as the
 * socket holds. A first receive that fills its buffers and leaves data
 * behind is followed by one more for what is left, both in that CQE.
 */
static enum issue_result recv_bundle(struct uring_req *req)
{
	struct recv_state *st = req->op_data;
	bool multishot = req->ioprio & IORING_RECV_MULTISHOT;
	size_t max_len = req->len, done = 0;
	__u32 cflags = 0, first = 0;
	bool again = false;
	ssize_t n;

	for (;;) {
		bool finished, cap;

		n = bundle_recv_once(req, st, max_len, &cflags);
		if (n == -EAGAIN && !done && !(req->op_flags & MSG_DONTWAIT)) {
			req->poll_mask = POLLIN;
			return ISSUE_POLL;
		}
		if (again)
			cflags = first | (cflags & BUNDLE_RETRY_FLAGS);
		finished = n <= 0;
		/* No buffers for the rest: what came first, as a failure. */
		if (n == -ENOBUFS && done)
			req->failed = true;
		if (n > 0 || done)
			n = (ssize_t)done + (n > 0 ? n : 0);
		if (st->limit && n > 0) {
			st->left -= (size_t)n < st->left ? (__u32)n : st->left;
			finished |= !st->left;
		}
		cap = multishot && req->len && (size_t)n >= req->len;
		/* Filled to the brim with more queued: once more, same CQE. */
		if (!finished && !st->b.empty && !again && !st->b.partial &&
		    !cap && st->inq > 1 && (size_t)n - done == st->b.len) {
			first = cflags & ~BUNDLE_RETRY_FLAGS;
			done = (size_t)n;
			max_len = (size_t)st->inq;
			again = true;
			continue;
		}
		if (!multishot || finished || (n > 0 && st->b.empty))
			break;
		uring_req_complete(req, (__s32)n, cflags | IORING_CQE_F_MORE);
		done = 0;
		again = false;
		max_len = req->len;
		/* More is queued (or may be): go on, within a fair share. */
		if ((cflags & IORING_CQE_F_SOCK_NONEMPTY) || st->inq < 0) {
			if (st->loops++ < MULTISHOT_MAX_RETRY && !cap)
				continue;
			st->loops = 0;
		}
		req->poll_mask = POLLIN;
		return ISSUE_POLL;
	}
	req->res = (__s32)n;
	req->cflags = cflags;
	return ISSUE_DONE;
}

static bool is_stream(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) &&
	       (type == SOCK_STREAM || type == SOCK_SEQPACKET);
}

/*
 * A stream took part of a bundle: the buffers it touched are used, and
 * the rest of the bundle's length goes out from the next ones when the
 * socket has room, as the kernel's MSG_WAITALL retry does.
 */
static enum issue_result send_bundle_partial(struct uring_req *req,
					     const struct kbuf_bundle *b,
					     size_t n)
{
	kbuf_done_n(req, (unsigned)n, bundle_nbufs(b, n));
	req->done_io += (__u32)n;
	req->len = (__u32)(b->len - n);
	req->poll_mask = POLLOUT;
	return ISSUE_POLL;
}

/*
 * A bundle send: the ring's buffers (up to len bytes) as one message.
 * While the ring has more, each send posts a CQE with IORING_CQE_F_MORE
 * and the next takes the following buffers, without a length limit.
 */
static enum issue_result send_bundle(struct uring_req *req)
{
	struct kbuf_bundle local;
	unsigned nr_iovs = 1;
	__u32 cflags = 0;
	ssize_t n;

	for (;;) {
		struct msghdr mh = {
			.msg_name = (void *)(uintptr_t)req->addr2,
			.msg_namelen = (socklen_t)req->splice_fd_in,
			.msg_iov = local.iov,
		};
		int err = kbuf_bundle_take(req, req->len ? req->len : INT_MAX,
					   &nr_iovs, &local);

		if (err) {
			req->res = req->done_io ? (__s32)req->done_io : err;
			return ISSUE_DONE;
		}
		mh.msg_iovlen = local.nr;
		do {
			n = sendmsg(req->fd, &mh,
				    (int)(req->op_flags & ~MSG_WAITALL) |
					    MSG_DONTWAIT);
		} while (n < 0 && errno == EINTR);
		if (n < 0 && errno == EAGAIN &&
		    !(req->op_flags & MSG_DONTWAIT)) {
			kbuf_drop(req);
			req->poll_mask = POLLOUT;
			return ISSUE_POLL;
		}
		if (n < 0)
			n = -errno;
		if (n > 0 && (size_t)n < local.len && is_stream(req->fd))
			return send_bundle_partial(req, &local, (size_t)n);
		cflags = kbuf_done_n(req, n > 0 ? (unsigned)n : 0,
				     n > 0 ? bundle_nbufs(&local, (size_t)n) : 0);
		if (n >= 0)
			n += req->done_io;
		else if (req->done_io)
			n = req->done_io;
		req->done_io = 0;
		if (n <= 0 || local.empty)
			break;
		uring_req_complete(req, (__s32)n, cflags | IORING_CQE_F_MORE);
		req->len = 0;
	}
	req->res = (__s32)n;
	req->cflags = cflags;
	return ISSUE_DONE;
}

/* A multishot receive's byte limit (sqe->optlen): whether it ends now. */
static bool mshot_limit_reached(struct uring_req *req, ssize_t got)
{
	struct recv_state *st = req->op_data;

	if (!st->limit)
		return false;
	st->left -= (size_t)got < st->left ? (__u32)got : st->left;
	return !st->left;
}

/* After a run of receives a multishot request waits its turn again. */
static bool mshot_yield(struct uring_req *req)
{
	struct recv_state *st = req->op_data;

	if (st->loops++ < MULTISHOT_MAX_RETRY)
		return false;
	st->loops = 0;
	req->poll_mask = POLLIN;
	return true;
}

enum issue_result uring_sendrecv_issue(struct uring_req *req, unsigned flags)
{
	bool is_send = req->opcode == IORING_OP_SEND;
	bool user_nowait = req->op_flags & MSG_DONTWAIT;
	bool waitall = req->op_flags & MSG_WAITALL;
	bool multishot = req->ioprio & IORING_RECV_MULTISHOT;
	char *buf = (char *)(uintptr_t)req->addr;
	size_t len = req->len;
	ssize_t ret;

	(void)flags;
	if ((req->ioprio & IORING_RECVSEND_POLL_FIRST) && !req->async) {
		req->poll_mask = is_send ? POLLOUT : POLLIN;
		return ISSUE_POLL;
	}
	if ((req->ioprio & IORING_RECVSEND_BUNDLE) &&
	    (req->flags & IOSQE_BUFFER_SELECT))
		return is_send ? send_bundle(req) : recv_bundle(req);
	for (;;) {
		if (req->flags & IOSQE_BUFFER_SELECT) {
			if (!req->has_kbuf) {
				int err = kbuf_take(req, false);

				/* No buffer: the flags of a multishot's last
				 * CQE must not describe the one before it. */
				if (err) {
					req->res = err;
					req->cflags = 0;
					return ISSUE_DONE;
				}
			}
			buf = req->kbuf_addr;
			len = kbuf_use_len(req);
		}
		if (is_send && req->addr2)
			ret = sendto(req->fd, buf + req->done_io, len - req->done_io,
				     (int)req->op_flags | MSG_DONTWAIT,
				     (struct sockaddr *)(uintptr_t)req->addr2,
				     (socklen_t)req->splice_fd_in);
		else if (is_send)
			ret = send(req->fd, buf + req->done_io, len - req->done_io,
				   (int)req->op_flags | MSG_DONTWAIT);
		else
			ret = recv(req->fd, buf + req->done_io, len - req->done_io,
				   (int)req->op_flags | MSG_DONTWAIT);
		if (ret < 0 && errno == EAGAIN && !user_nowait) {
			kbuf_drop(req);
			req->poll_mask = is_send ? POLLOUT : POLLIN;
			return ISSUE_POLL;
		}
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret > 0 && waitall && req->done_io + (size_t)ret < len) {
			req->done_io += (__u32)ret;
			continue;
		}
		if (ret >= 0)
			ret += req->done_io;
		else if (req->done_io)
			ret = req->done_io;
		req->done_io = 0;
		req->res = ret < 0 ? -errno : (__s32)ret;
		req->cflags = 0;
		/* Unlike a read, a recv that gets nothing gives its buffer back. */
		if (req->has_kbuf && ret > 0) {
			req->cflags = kbuf_done(req, (unsigned)ret);
		} else {
			kbuf_drop(req);
		}
		if (!is_send && ret >= 0)
			req->cflags |= sock_nonempty(req->fd, (size_t)ret, len);
		if (multishot && ret > 0 && !mshot_limit_reached(req, ret)) {
			uring_req_complete(req, req->res, req->cflags | IORING_CQE_F_MORE);
			if (mshot_yield(req))
				return ISSUE_POLL;
			continue;
		}
		if (ret >= 0 && (size_t)ret < len && waitall)
			req->failed = true;
		/* Without buffers a bundle still goes on once, with nothing. */
		if (is_send && (req->ioprio & IORING_RECVSEND_BUNDLE) && ret > 0) {
			uring_req_complete(req, req->res,
					   req->cflags | IORING_CQE_F_MORE);
			req->res = 0;
		}
		return ISSUE_DONE;
	}
}

/* ---------------------------------------------------------------- */

int uring_msg_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	bool is_send = req->opcode == IORING_OP_SENDMSG;

	if (is_send ? (sqe->ioprio & ~SEND_IOPRIO_FLAGS)
		 : (sqe->ioprio & ~RECV_IOPRIO_FLAGS))
		return -EINVAL;
	if (!is_send && (sqe->ioprio & IORING_RECV_MULTISHOT) &&
	    (!(req->flags & IOSQE_BUFFER_SELECT) || (sqe->msg_flags & MSG_WAITALL)))
		return -EINVAL; /* multishot recvmsg needs provided buffers */
	return uring_msg_copy_in(req, sqe);
}

/* Copy the caller's msghdr and iovecs into req->op_data (a msg_copy). */
int uring_msg_copy_in(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	bool is_send = req->opcode != IORING_OP_RECVMSG;
	struct msghdr msg;
	struct msg_copy *m;
	int ret;

	ret = uring_copy_from_user(&msg, (void *)(uintptr_t)sqe->addr,
				   sizeof(msg));
	if (ret)
		return ret;
	if (msg.msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	m = calloc(1, sizeof(*m) + msg.msg_iovlen * sizeof(struct iovec));
	if (!m)
		return -ENOMEM;
	req->op_data = m;
	m->msg = msg;
	m->user_msg = (struct msghdr *)(uintptr_t)sqe->addr;
	ret = uring_copy_from_user(m->iov, msg.msg_iov,
				   m->msg.msg_iovlen * sizeof(struct iovec));
	if (ret)
		return ret;
	m->msg.msg_iov = m->iov;
	req->op_flags = sqe->msg_flags | (is_send ? MSG_NOSIGNAL : 0);
	if (req->flags & IOSQE_BUFFER_SELECT) {
		/* The buffer stands in for the single iovec. */
		if (m->msg.msg_iovlen > 1)
			return -EINVAL;
		req->len = m->msg.msg_iovlen ? (__u32)m->iov[0].iov_len : 0;
		req->kbuf_bgid = sqe->buf_group;
		m->namelen = msg.msg_namelen;
		m->controllen = msg.msg_controllen;
	}
	return 0;
}

struct msghdr *uring_msg_copied(struct uring_req *req)
{
	return &((struct msg_copy *)req->op_data)->msg;
}

static void recvmsg_write_back(struct msg_copy *m, const struct msghdr *mh)
{
	/* The kernel writes back the lengths and flags it filled in. */
	uring_copy_to_user(&m->user_msg->msg_namelen, &mh->msg_namelen,
			   sizeof(mh->msg_namelen));
	uring_copy_to_user(&m->user_msg->msg_controllen, &mh->msg_controllen,
			   sizeof(mh->msg_controllen));
	uring_copy_to_user(&m->user_msg->msg_flags, &mh->msg_flags,
			   sizeof(mh->msg_flags));
}

/*
 * Multishot layout of a provided buffer: an io_uring_recvmsg_out header,
 * the name and control space the caller's msghdr asked for, the payload.
 * The result counts all of it; 0 payload bytes end the multishot.
 */
static ssize_t recvmsg_mshot_one(struct uring_req *req, struct msg_copy *m,
				 char *buf, size_t cap)
{
	size_t hdr = sizeof(struct io_uring_recvmsg_out) + m->namelen +
		     m->controllen;
	struct iovec iov = {buf + hdr, cap - hdr};
	struct msghdr mh = {
		.msg_name = m->namelen ? buf + sizeof(struct io_uring_recvmsg_out)
				       : NULL,
		.msg_namelen = m->namelen,
		.msg_control = m->controllen ? buf + sizeof(struct io_uring_recvmsg_out) +
						       m->namelen
					     : NULL,
		.msg_controllen = m->controllen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	struct io_uring_recvmsg_out out;
	ssize_t n;

	if (cap < hdr)
		return -EFAULT;
	n = recvmsg(req->fd, &mh, (int)req->op_flags | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	out.namelen = mh.msg_namelen;
	out.controllen = (__u32)mh.msg_controllen;
	out.payloadlen = (__u32)n;
	out.flags = (__u32)mh.msg_flags;
	memcpy(buf, &out, sizeof(out));
	/* MSG_TRUNC gives the datagram's length: count only what fit. */
	if ((size_t)n > cap - hdr)
		n = (ssize_t)(cap - hdr);
	return (ssize_t)hdr + n;
}

/*
 * The payload length in a multishot buffer's header, copied out: in an
 * incremental buffer the header need not be aligned.
 */
static __u32 recvmsg_out_payload(const void *buf)
{
	struct io_uring_recvmsg_out out;

	memcpy(&out, buf, sizeof(out));
	return out.payloadlen;
}

/* RECVMSG with IOSQE_BUFFER_SELECT, single or multishot. */
static enum issue_result recvmsg_select(struct uring_req *req,
					struct msg_copy *m)
{
	bool multishot = req->ioprio & IORING_RECV_MULTISHOT;

	for (;;) {
		int err = req->has_kbuf ? 0 : kbuf_take(req, false);
		size_t cap;
		ssize_t n;

		/* No buffer: a multishot's last CQE has no buffer flag. */
		if (err) {
			req->res = err;
			req->cflags = 0;
			return ISSUE_DONE;
		}
		cap = kbuf_use_len(req);
		if (multishot) {
			n = recvmsg_mshot_one(req, m, req->kbuf_addr, cap);
		} else {
			struct iovec iov = {req->kbuf_addr, cap};
			struct msghdr mh = m->msg;

			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			n = recvmsg(req->fd, &mh, (int)req->op_flags | MSG_DONTWAIT);
			n = n < 0 ? -errno : n;
			if (n >= 0)
				recvmsg_write_back(m, &mh);
		}
		if (n == -EAGAIN && !(req->op_flags & MSG_DONTWAIT)) {
			kbuf_drop(req);
			req->poll_mask = POLLIN;
			return ISSUE_POLL;
		}
		if (n == -EINTR)
			continue;
		req->res = (__s32)n;
		req->cflags = 0;
		/* A message of 0 bytes gives its buffer back, as recv does. */
		if (n > 0)
			req->cflags = kbuf_done(req, (unsigned)n) |
				      sock_nonempty(req->fd, (size_t)n, cap);
		kbuf_drop(req);
		if (!multishot || n <= 0 || !recvmsg_out_payload(req->kbuf_addr))
			return ISSUE_DONE;
		uring_req_complete(req, req->res, req->cflags | IORING_CQE_F_MORE);
	}
}

enum issue_result uring_msg_issue(struct uring_req *req, unsigned flags)
{
	bool is_send = req->opcode == IORING_OP_SENDMSG;
	struct msg_copy *m = req->op_data;
	ssize_t ret;

	(void)flags;
	if ((req->ioprio & IORING_RECVSEND_POLL_FIRST) && !req->async) {
		req->poll_mask = is_send ? POLLOUT : POLLIN;
		return ISSUE_POLL;
	}
	if (!is_send && (req->flags & IOSQE_BUFFER_SELECT))
		return recvmsg_select(req, m);
	do {
		ret = is_send ? sendmsg(req->fd, &m->msg, (int)req->op_flags | MSG_DONTWAIT)
			   : recvmsg(req->fd, &m->msg, (int)req->op_flags | MSG_DONTWAIT);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0 && errno == EAGAIN && !(req->op_flags & MSG_DONTWAIT)) {
		req->poll_mask = is_send ? POLLOUT : POLLIN;
		return ISSUE_POLL;
	}
	/* MSG_WAITALL: a stream send goes on, without its control data. */
	if (is_send && ret > 0 && (req->op_flags & MSG_WAITALL) &&
	    (size_t)ret < uring_msg_len(&m->msg)) {
		uring_msg_advance(&m->msg, (size_t)ret);
		m->msg.msg_control = NULL;
		m->msg.msg_controllen = 0;
		req->done_io += (__u32)ret;
		req->poll_mask = POLLOUT;
		return ISSUE_POLL;
	}
	if (ret >= 0 && !is_send)
		recvmsg_write_back(m, &m->msg);
	if (ret >= 0)
		ret += req->done_io;
	else if (req->done_io)
		ret = req->done_io;
	req->res = ret < 0 ? -errno : (__s32)ret;
	return ISSUE_DONE;
}

/* ---------------------------------------------------------------- */

int uring_shutdown_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	if (sqe->off || sqe->addr || sqe->rw_flags || sqe->buf_index ||
	    sqe->splice_fd_in || sqe->addr3)
		return -EINVAL;
	return 0;
}

enum issue_result uring_shutdown_issue(struct uring_req *req, unsigned flags)
{
	if (flags & ISSUE_NONBLOCK)
		return ISSUE_PUNT;
	req->res = shutdown(req->fd, (int)req->len) ? -errno : 0;
	return ISSUE_DONE;
}

int uring_socket_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	int type_flags = (int)(sqe->off & ~(__u64)0xf);

	if (sqe->addr || sqe->rw_flags || sqe->buf_index)
		return -EINVAL;
	if (req->file_index && (type_flags & SOCK_CLOEXEC))
		return -EINVAL;
	if (type_flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	return 0;
}

enum issue_result uring_socket_issue(struct uring_req *req, unsigned flags)
{
	int fd;

	(void)flags;
	fd = socket(req->orig_fd,
		    (int)req->off | (req->file_index ? SOCK_CLOEXEC : 0),
		    (int)req->len);
	if (fd < 0)
		req->res = -errno;
	else if (req->file_index)
		req->res = rsrc_install_file(req->ctx, fd, req->file_index);
	else
		req->res = fd;
	return ISSUE_DONE;
}

int uring_bind_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	if (sqe->len || sqe->buf_index || sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	return uring_connect_prep(req, sqe);
}

enum issue_result uring_bind_issue(struct uring_req *req, unsigned flags)
{
	struct msg_copy *m = req->op_data;

	(void)flags;
	req->res = bind(req->fd, (struct sockaddr *)&m->addr,
			(socklen_t)req->addr2)
			   ? -errno
			   : 0;
	return ISSUE_DONE;
}

int uring_listen_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	if (sqe->addr || sqe->buf_index || sqe->rw_flags || sqe->splice_fd_in ||
	    sqe->addr2)
		return -EINVAL;
	return 0;
}

enum issue_result uring_listen_issue(struct uring_req *req, unsigned flags)
{
	(void)flags;
	req->res = listen(req->fd, (int)req->len) ? -errno : 0;
	return ISSUE_DONE;
}
