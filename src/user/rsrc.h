/* SPDX-License-Identifier: MIT */
/*
 * Registered resources: reference-counted nodes for fixed-file and
 * fixed-buffer slots, their tags, and the two tables (kernel-semantics.md
 * §3, §4, §5). The table holds one reference per occupied slot and every
 * request using a slot holds another; the tag CQE is posted when the last
 * reference goes.
 *
 * Locking: ctx->rsrc_lock protects both tables and is held only briefly;
 * nodes are put (which may post a tag CQE) after it is released.
 */
#ifndef ANYRING_RSRC_H
#define ANYRING_RSRC_H

#include "user.h"

enum rsrc_type { RSRC_FILE, RSRC_BUFFER };

/* A registered buffer's memory; clones of a slot share it. */
struct rsrc_buf {
	atomic_int refs;
	__u64 start, len;
	unsigned long pages; /* accounted against RLIMIT_MEMLOCK */
};

struct rsrc_node {
	atomic_int refs;
	enum rsrc_type type;
	__u64 tag;
	struct uring_ctx *ctx;
	union {
		struct { /* RSRC_FILE */
			int fd; /* our own descriptor for the file */
			/* Its standing epoll entry: slot + 1, 0 if none. */
			unsigned watch;
			/* Bumped by each event on that entry (poll_watch.h). */
			atomic_uint poll_seq;
		};
		struct rsrc_buf *buf; /* RSRC_BUFFER */
	};
};

/* Whether the kernel could pin [start, start + len) for writing. */
bool rsrc_user_range_pinnable(unsigned long start, unsigned long len);

void rsrc_node_get(struct rsrc_node *node);
/* Drop a reference; the last one posts the tag CQE and frees the node. */
void rsrc_node_put(struct rsrc_node *node);

/* Register opcodes (register.c dispatches here); arg is user memory. */
int rsrc_register_files(struct uring_ctx *ctx, const void *arg, unsigned nr);
int rsrc_unregister_files(struct uring_ctx *ctx, const void *arg, unsigned nr);
int rsrc_files_update(struct uring_ctx *ctx, const void *arg, unsigned nr);
int rsrc_register2(struct uring_ctx *ctx, const void *arg, unsigned size,
		   enum rsrc_type type);
int rsrc_update2(struct uring_ctx *ctx, const void *arg, unsigned size,
		 enum rsrc_type type);
int rsrc_register_buffers(struct uring_ctx *ctx, const void *arg, unsigned nr);
int rsrc_unregister_buffers(struct uring_ctx *ctx, const void *arg,
			    unsigned nr);
int rsrc_file_alloc_range(struct uring_ctx *ctx, const void *arg, unsigned nr);
int rsrc_clone_buffers(struct uring_ctx *ctx, const void *arg, unsigned nr);
/* Teardown: drop both tables. */
void rsrc_free_all(struct uring_ctx *ctx);

/* Requests: look a slot up and hold it (NULL: empty or out of range). */
struct rsrc_node *rsrc_file_get(struct uring_ctx *ctx, unsigned index);
struct rsrc_node *rsrc_buffer_get(struct uring_ctx *ctx, unsigned index);

/* Whether [addr, addr + len) lies inside a registered buffer's node. */
static inline bool rsrc_buffer_covers(const struct rsrc_node *node, __u64 addr,
				      __u64 len)
{
	__u64 end;

	if (__builtin_add_overflow(addr, len, &end))
		return false;
	return addr >= node->buf->start &&
	       end <= node->buf->start + node->buf->len;
}

/*
 * Direct descriptors: install a file (taking ownership of fd) at slot, or
 * at a free slot for IORING_FILE_INDEX_ALLOC. Returns the slot for ALLOC,
 * 0 for an explicit slot, or -errno (and fd is closed).
 */
int rsrc_install_file(struct uring_ctx *ctx, int fd, unsigned file_index);
/* Close a direct descriptor: 0, -ENXIO, -EINVAL or -EBADF. */
int rsrc_close_file(struct uring_ctx *ctx, unsigned slot);
/* FILES_UPDATE as an SQE (no tags); off may be IORING_FILE_INDEX_ALLOC. */
int rsrc_files_update_op(struct uring_ctx *ctx, __u32 off, int *user_fds,
			 unsigned nr);

/* Whether the process may lock memory without limit (CAP_IPC_LOCK). */
bool rsrc_memlock_exempt(void);
/* Pages of RLIMIT_MEMLOCK the ring's own memory uses (charged at setup). */
int rsrc_account_pages(unsigned long pages);
void rsrc_unaccount_pages(unsigned long pages);

#endif
