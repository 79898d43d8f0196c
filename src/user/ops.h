/* SPDX-License-Identifier: MIT */
/* Prep and issue functions of every operation, for the opcode table. */
#ifndef ANYRING_USER_OPS_H
#define ANYRING_USER_OPS_H

#include "user.h"

#define DECLARE_OP(name)                                                       \
	int uring_##name##_prep(struct uring_req *req,                         \
				const struct io_uring_sqe *sqe);               \
	enum issue_result uring_##name##_issue(struct uring_req *req,          \
					       unsigned flags)

DECLARE_OP(nop);
DECLARE_OP(send_zc);
DECLARE_OP(rw);
DECLARE_OP(read_mshot);
DECLARE_OP(fsync);
DECLARE_OP(sync_range);
DECLARE_OP(fallocate);
DECLARE_OP(fadvise);
DECLARE_OP(madvise);
DECLARE_OP(ftruncate);
DECLARE_OP(statx);
DECLARE_OP(openat);
DECLARE_OP(openat2);
DECLARE_OP(close);
DECLARE_OP(renameat);
DECLARE_OP(unlinkat);
DECLARE_OP(mkdirat);
DECLARE_OP(symlinkat);
DECLARE_OP(linkat);
DECLARE_OP(poll_add);
DECLARE_OP(poll_remove);
DECLARE_OP(timeout);
DECLARE_OP(timeout_remove);
DECLARE_OP(cancel);
DECLARE_OP(accept);
DECLARE_OP(connect);
DECLARE_OP(sendrecv);
DECLARE_OP(msg);
DECLARE_OP(shutdown);
DECLARE_OP(socket);
DECLARE_OP(bind);
DECLARE_OP(listen);
DECLARE_OP(splice);
DECLARE_OP(provide_buffers);
DECLARE_OP(remove_buffers);
DECLARE_OP(msg_ring);
DECLARE_OP(files_update);
DECLARE_OP(fixed_fd_install);
DECLARE_OP(getxattr);
DECLARE_OP(setxattr);
DECLARE_OP(epoll_ctl);
DECLARE_OP(pipe);
DECLARE_OP(uring_cmd);
DECLARE_OP(futex_wait);
DECLARE_OP(futex_wake);
DECLARE_OP(futex_waitv);
DECLARE_OP(waitid);
DECLARE_OP(epoll_wait);

/*
 * SENDMSG's and RECVMSG's copy of the caller's msghdr and iovecs, into
 * req->op_data (freed with the request); SENDMSG_ZC shares it.
 */
int uring_msg_copy_in(struct uring_req *req, const struct io_uring_sqe *sqe);
/*
 * SEND's and SEND_ZC's destination address, copied at prep as the kernel
 * copies it (req->addr2 then points at the copy, in req->op_data).
 */
int uring_send_addr_copy(struct uring_req *req, __u64 uaddr, __u16 len);
/* Drop done bytes from the front of mh's iovecs (a partial send's). */
void uring_msg_advance(struct msghdr *mh, size_t done);
/* The bytes mh's iovecs hold. */
size_t uring_msg_len(const struct msghdr *mh);
/* The msghdr uring_msg_copy_in made, with the copied iovecs. */
struct msghdr *uring_msg_copied(struct uring_req *req);

#endif
