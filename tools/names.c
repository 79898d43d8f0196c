/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "liburing.h"
#include "names.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const sqe_ops[] = {
	"NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED",
	"POLL_ADD", "POLL_REMOVE", "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG",
	"TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL", "LINK_TIMEOUT",
	"CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX",
	"READ", "WRITE", "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2",
	"EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS", "REMOVE_BUFFERS", "TEE",
	"SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
	"MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET",
	"URING_CMD", "SEND_ZC", "SENDMSG_ZC", "READ_MULTISHOT", "WAITID",
	"FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV", "FIXED_FD_INSTALL",
	"FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
	"WRITEV_FIXED", "PIPE", "NOP128", "URING_CMD128",
};
_Static_assert(COUNT(sqe_ops) == IORING_OP_LAST, "one name per SQE opcode");

static const char *const register_ops[] = {
	"REGISTER_BUFFERS", "UNREGISTER_BUFFERS", "REGISTER_FILES",
	"UNREGISTER_FILES", "REGISTER_EVENTFD", "UNREGISTER_EVENTFD",
	"REGISTER_FILES_UPDATE", "REGISTER_EVENTFD_ASYNC", "REGISTER_PROBE",
	"REGISTER_PERSONALITY", "UNREGISTER_PERSONALITY",
	"REGISTER_RESTRICTIONS", "REGISTER_ENABLE_RINGS", "REGISTER_FILES2",
	"REGISTER_FILES_UPDATE2", "REGISTER_BUFFERS2",
	"REGISTER_BUFFERS_UPDATE", "REGISTER_IOWQ_AFF", "UNREGISTER_IOWQ_AFF",
	"REGISTER_IOWQ_MAX_WORKERS", "REGISTER_RING_FDS",
	"UNREGISTER_RING_FDS", "REGISTER_PBUF_RING", "UNREGISTER_PBUF_RING",
	"REGISTER_SYNC_CANCEL", "REGISTER_FILE_ALLOC_RANGE",
	"REGISTER_PBUF_STATUS", "REGISTER_NAPI", "UNREGISTER_NAPI",
	"REGISTER_CLOCK", "REGISTER_CLONE_BUFFERS", "REGISTER_SEND_MSG_RING",
	"REGISTER_ZCRX_IFQ", "REGISTER_RESIZE_RINGS", "REGISTER_MEM_REGION",
	"REGISTER_QUERY", "REGISTER_ZCRX_CTRL", "REGISTER_BPF_FILTER",
};
_Static_assert(COUNT(register_ops) == IORING_REGISTER_LAST,
	       "one name per register opcode");

static const char *const features[] = {
	"SINGLE_MMAP", "NODROP", "SUBMIT_STABLE", "RW_CUR_POS",
	"CUR_PERSONALITY", "FAST_POLL", "POLL_32BITS", "SQPOLL_NONFIXED",
	"EXT_ARG", "NATIVE_WORKERS", "RSRC_TAGS", "CQE_SKIP", "LINKED_FILE",
	"REG_REG_RING", "RECVSEND_BUNDLE", "MIN_TIMEOUT", "RW_ATTR",
	"NO_IOWAIT",
};

const char *sqe_op_name(unsigned op)
{
	return op < COUNT(sqe_ops) ? sqe_ops[op] : NULL;
}

const char *register_op_name(unsigned op)
{
	return op < COUNT(register_ops) ? register_ops[op] : NULL;
}

const char *feature_name(unsigned bit)
{
	return bit < COUNT(features) ? features[bit] : NULL;
}

const char *errno_name(int err)
{
	static char unknown[16];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(unknown, sizeof(unknown), "E%d", err);
	return unknown;
}
