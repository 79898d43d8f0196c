/* SPDX-License-Identifier: MIT */
/*
 * The opcode table: for each IORING_OP_*, how the userspace backend
 * prepares and issues it and the kernel's per-op properties (whether it
 * takes a file, allows buffer selection or ioprio, and which worker class
 * blocking use goes to). Opcodes without an entry complete with
 * -EOPNOTSUPP, as in a kernel built without them, and the probe does not
 * claim them.
 */
#include "ops.h"

#define OP(opname, fn, ...)                                                    \
	[IORING_OP_##opname] = {.name = #opname,                               \
				.prep = uring_##fn##_prep,                     \
				.issue = uring_##fn##_issue,                   \
				.supported = 1,                                \
				__VA_ARGS__}

/* Reads and writes try without blocking first, also in a worker. */
#define RW(opname, ...)                                                        \
	OP(opname, rw, .needs_file = 1, .ioprio = 1, .unbound_nonreg = 1,      \
	   .reports_blocking = 1, .iopoll = 1, __VA_ARGS__)

const struct uring_op uring_ops[URING_OP_LAST] = {
	OP(NOP, nop, .iopoll = 1),
	RW(READV, .buffer_select = 1),
	RW(READ_FIXED),
	RW(WRITE_FIXED),
	RW(READV_FIXED),
	RW(WRITEV_FIXED),
	OP(FILES_UPDATE, files_update),
	OP(FIXED_FD_INSTALL, fixed_fd_install, .needs_file = 1),
	RW(WRITEV),
	OP(FSYNC, fsync, .needs_file = 1),
	OP(POLL_ADD, poll_add, .needs_file = 1, .unbound_nonreg = 1),
	OP(POLL_REMOVE, poll_remove),
	OP(SYNC_FILE_RANGE, sync_range, .needs_file = 1),
	OP(SENDMSG, msg, .needs_file = 1, .ioprio = 1, .unbound_nonreg = 1),
	OP(RECVMSG, msg, .needs_file = 1, .ioprio = 1, .buffer_select = 1,
	   .unbound_nonreg = 1),
	OP(TIMEOUT, timeout, .queues_itself = 1),
	OP(TIMEOUT_REMOVE, timeout_remove),
	OP(ACCEPT, accept, .needs_file = 1, .ioprio = 1, .unbound_nonreg = 1),
	OP(ASYNC_CANCEL, cancel),
	OP(LINK_TIMEOUT, timeout, .queues_itself = 1),
	OP(CONNECT, connect, .needs_file = 1, .unbound_nonreg = 1),
	OP(FALLOCATE, fallocate, .needs_file = 1),
	OP(OPENAT, openat),
	OP(CLOSE, close),
	OP(STATX, statx),
	RW(READ, .buffer_select = 1),
	OP(READ_MULTISHOT, read_mshot, .needs_file = 1, .ioprio = 1,
	   .buffer_select = 1, .unbound_nonreg = 1),
	RW(WRITE),
	OP(FADVISE, fadvise, .needs_file = 1),
	OP(MADVISE, madvise),
	OP(SEND, sendrecv, .needs_file = 1, .ioprio = 1, .buffer_select = 1,
	   .unbound_nonreg = 1),
	OP(RECV, sendrecv, .needs_file = 1, .ioprio = 1, .buffer_select = 1,
	   .unbound_nonreg = 1),
	OP(SEND_ZC, send_zc, .needs_file = 1, .ioprio = 1, .unbound_nonreg = 1),
	OP(SENDMSG_ZC, send_zc, .needs_file = 1, .ioprio = 1,
	   .unbound_nonreg = 1),
	OP(OPENAT2, openat2),
	OP(SPLICE, splice, .needs_file = 1, .unbound_nonreg = 1),
	OP(PROVIDE_BUFFERS, provide_buffers, .iopoll = 1),
	OP(REMOVE_BUFFERS, remove_buffers, .iopoll = 1),
	OP(TEE, splice, .needs_file = 1, .unbound_nonreg = 1),
	OP(SHUTDOWN, shutdown, .needs_file = 1),
	OP(RENAMEAT, renameat),
	OP(UNLINKAT, unlinkat),
	OP(MKDIRAT, mkdirat),
	OP(SYMLINKAT, symlinkat),
	OP(LINKAT, linkat),
	OP(MSG_RING, msg_ring, .iopoll = 1),
	OP(SOCKET, socket),
	OP(FTRUNCATE, ftruncate, .needs_file = 1),
	OP(BIND, bind, .needs_file = 1),
	OP(LISTEN, listen, .needs_file = 1),
	OP(FSETXATTR, setxattr, .needs_file = 1),
	OP(SETXATTR, setxattr),
	OP(FGETXATTR, getxattr, .needs_file = 1),
	OP(GETXATTR, getxattr),
	OP(EPOLL_CTL, epoll_ctl, .unbound_nonreg = 1),
	OP(PIPE, pipe),
	OP(URING_CMD, uring_cmd, .needs_file = 1, .buffer_select = 1,
	   .iopoll = 1),
	/* Waits that queue themselves: a blocker thread (blocking.c). */
	OP(FUTEX_WAIT, futex_wait, .queues_itself = 1),
	OP(FUTEX_WAKE, futex_wake),
	OP(FUTEX_WAITV, futex_waitv, .queues_itself = 1),
	OP(WAITID, waitid, .queues_itself = 1),
	OP(EPOLL_WAIT, epoll_wait, .needs_file = 1),
};

bool uring_sqe_op_supported(unsigned opcode)
{
	return opcode < URING_OP_LAST && uring_ops[opcode].supported;
}
