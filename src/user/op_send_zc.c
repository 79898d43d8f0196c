/* SPDX-License-Identifier: MIT */
/*
 * SEND_ZC and SENDMSG_ZC. A library cannot lend the application's pages to
 * the network stack, so the data is copied, as the kernel itself does on
 * loopback; what the application sees is the kernel's: the request's CQE
 * with IORING_CQE_F_MORE, then a notification CQE (IORING_CQE_F_NOTIF)
 * that with IORING_SEND_ZC_REPORT_USAGE says the data was copied.
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "ops.h"
#include "rsrc.h"
#include "uaccess.h"

#define ZC_FLAGS                                                               \
	(IORING_RECVSEND_POLL_FIRST | IORING_RECVSEND_FIXED_BUF |             \
	 IORING_SEND_ZC_REPORT_USAGE | IORING_SEND_VECTORIZED)

/* iovecs a send copies on its stack to resume a partial MSG_WAITALL send. */
#define SEND_ZC_FAST_IOV 8

static bool is_sendmsg(const struct uring_req *req)
{
	return req->opcode == IORING_OP_SENDMSG_ZC;
}

/* SEND_ZC with IORING_SEND_VECTORIZED: addr and len name an iovec array. */
static int copy_iovecs(struct uring_req *req)
{
	size_t bytes = (size_t)req->len * sizeof(struct iovec);

	if (req->len > UIO_MAXIOV)
		return -EMSGSIZE;
	req->iov = malloc(bytes ? bytes : 1);
	if (!req->iov)
		return -ENOMEM;
	req->nr_iov = req->len;
	return uring_copy_from_user(req->iov, (void *)(uintptr_t)req->addr,
				    bytes);
}

int uring_send_zc_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	int ret;

	if (sqe->addr3 || sqe->__pad2[0])
		return -EINVAL;
	/* The notification is a CQE of its own: it cannot be skipped. */
	if (req->flags & IOSQE_CQE_SKIP_SUCCESS)
		return -EINVAL;
	/* From here on a failure still posts MORE and the notification. */
	req->zc_notif = true;
	if (sqe->ioprio & ~ZC_FLAGS)
		return -EINVAL;
	if (sqe->ioprio & IORING_SEND_ZC_REPORT_USAGE)
		req->zc_notif_res = (__s32)IORING_NOTIF_USAGE_ZC_COPIED;
	req->op_flags = sqe->msg_flags | MSG_NOSIGNAL;
	if (is_sendmsg(req)) {
		if (sqe->addr2 || sqe->file_index)
			return -EINVAL;
		return uring_msg_copy_in(req, sqe);
	}
	ret = uring_send_addr_copy(req, sqe->addr2, sqe->addr_len);
	if (ret)
		return ret;
	if (sqe->ioprio & IORING_SEND_VECTORIZED)
		return copy_iovecs(req);
	return 0;
}

/* Only TCP and UDP sockets over IP can send zero copy in the kernel. */
static int zc_socket_check(int fd)
{
	int domain = 0, proto = 0;
	socklen_t len = sizeof(int);
	struct stat st;

	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len))
		return -EOPNOTSUPP;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len))
		return -EOPNOTSUPP;
	if ((domain != AF_INET && domain != AF_INET6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return -EOPNOTSUPP;
	return 0;
}

/* With IORING_RECVSEND_FIXED_BUF every range lies in the buffer, or -EFAULT. */
static int check_fixed(struct uring_req *req, const struct iovec *iov,
		       size_t nr)
{
	if (!req->buf_node) {
		req->buf_node = rsrc_buffer_get(req->ctx, req->buf_index);
		if (!req->buf_node)
			return -EFAULT;
	}
	for (size_t i = 0; i < nr; i++)
		if (!rsrc_buffer_covers(req->buf_node,
					(uintptr_t)iov[i].iov_base,
					iov[i].iov_len))
			return -EFAULT;
	return 0;
}

/* The message to send: the caller's msghdr, or one around addr and len. */
static void zc_message(struct uring_req *req, struct msghdr *mh,
		       struct iovec *one)
{
	if (is_sendmsg(req)) {
		*mh = *uring_msg_copied(req);
		return;
	}
	*mh = (struct msghdr){0};
	if (req->iov) {
		mh->msg_iov = req->iov;
		mh->msg_iovlen = req->nr_iov;
	} else {
		one->iov_base = (void *)(uintptr_t)req->addr;
		one->iov_len = req->len;
		mh->msg_iov = one;
		mh->msg_iovlen = 1;
	}
	if (req->addr2) {
		mh->msg_name = (void *)(uintptr_t)req->addr2;
		mh->msg_namelen = (socklen_t)req->splice_fd_in;
	}
}

void uring_msg_advance(struct msghdr *mh, size_t done)
{
	while (done && mh->msg_iovlen) {
		size_t n = mh->msg_iov->iov_len < done ? mh->msg_iov->iov_len
						       : done;

		mh->msg_iov->iov_base = (char *)mh->msg_iov->iov_base + n;
		mh->msg_iov->iov_len -= n;
		done -= n;
		if (!mh->msg_iov->iov_len) {
			mh->msg_iov++;
			mh->msg_iovlen--;
		}
	}
}

size_t uring_msg_len(const struct msghdr *mh)
{
	size_t len = 0;

	for (size_t i = 0; i < mh->msg_iovlen; i++)
		len += mh->msg_iov[i].iov_len;
	return len;
}

/*
 * One attempt at what is left of the message: the bytes sent, or -errno.
 * The iovecs are copied, so a partial send can move past what went.
 */
static ssize_t send_rest(struct uring_req *req, struct msghdr *mh,
			 size_t *left)
{
	struct iovec local[SEND_ZC_FAST_IOV], *iov = local;
	ssize_t ret;

	if (mh->msg_iovlen > SEND_ZC_FAST_IOV) {
		iov = malloc(mh->msg_iovlen * sizeof(*iov));
		if (!iov)
			return -ENOMEM;
	}
	memcpy(iov, mh->msg_iov, mh->msg_iovlen * sizeof(*iov));
	mh->msg_iov = iov;
	uring_msg_advance(mh, req->done_io);
	*left = uring_msg_len(mh);
	do {
		ret = sendmsg(req->fd, mh, (int)req->op_flags | MSG_DONTWAIT);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		ret = -errno;
	if (iov != local)
		free(iov);
	return ret;
}

enum issue_result uring_send_zc_issue(struct uring_req *req, unsigned flags)
{
	bool waitall = req->op_flags & MSG_WAITALL;
	struct iovec one;
	struct msghdr mh;
	size_t left = 0;
	ssize_t ret;

	(void)flags;
	if ((req->ioprio & IORING_RECVSEND_POLL_FIRST) && !req->async) {
		req->poll_mask = POLLOUT;
		return ISSUE_POLL;
	}
	ret = zc_socket_check(req->fd);
	zc_message(req, &mh, &one);
	if (!ret && (req->ioprio & IORING_RECVSEND_FIXED_BUF))
		ret = check_fixed(req, mh.msg_iov, mh.msg_iovlen);
	if (!ret)
		ret = send_rest(req, &mh, &left);
	if (ret == -EAGAIN && !(req->op_flags & MSG_DONTWAIT)) {
		req->poll_mask = POLLOUT;
		return ISSUE_POLL;
	}
	/* MSG_WAITALL: a stream send goes on until all of it went. */
	if (ret > 0 && waitall && (size_t)ret < left) {
		req->done_io += (__u32)ret;
		req->poll_mask = POLLOUT;
		return ISSUE_POLL;
	}
	if (ret >= 0)
		ret += req->done_io;
	else if (req->done_io)
		ret = req->done_io;
	req->res = (__s32)ret;
	return ISSUE_DONE;
}
