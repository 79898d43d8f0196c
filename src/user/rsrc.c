/* SPDX-License-Identifier: MIT */
/*
 * Resource nodes, tags, RLIMIT_MEMLOCK accounting and the registered
 * buffer table (kernel-semantics.md §3.0, §3.1, §3.15, §3.16, §3.30, §4,
 * §7). The file table is in filetable.c.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "rsrc.h"
#include "uaccess.h"

#define MAX_REG_BUFFERS (1U << 14)
#define MAX_BUFFER_LEN (1ULL << 30)
#define PAGE 4096ULL

/* ---------------------------------------------------------------- */
/* Nodes                                                            */
/* ---------------------------------------------------------------- */

void rsrc_node_get(struct rsrc_node *node)
{
	atomic_fetch_add_explicit(&node->refs, 1, memory_order_relaxed);
}

void rsrc_node_put(struct rsrc_node *node)
{
	if (atomic_fetch_sub_explicit(&node->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (node->tag)
		uring_post_cqe(node->ctx, node->tag, 0, 0);
	if (node->type == RSRC_FILE) {
		/* Read after the last put's acquire: no arm can race us. */
		if (node->watch && node->ctx->poll)
			poll_engine_unwatch(node->ctx->poll, node);
		/* A failed registration's nodes never got a descriptor. */
		if (node->fd >= 0)
			kernel_close(node->fd);
	} else if (atomic_fetch_sub(&node->buf->refs, 1) == 1) {
		rsrc_unaccount_pages(node->buf->pages);
		free(node->buf);
	}
	free(node);
}

static struct rsrc_node *buffer_node_alloc(struct uring_ctx *ctx,
					   struct rsrc_buf *buf, __u64 tag)
{
	struct rsrc_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	atomic_init(&node->refs, 1);
	node->type = RSRC_BUFFER;
	node->ctx = ctx;
	node->tag = tag;
	node->buf = buf;
	atomic_fetch_add(&buf->refs, 1);
	return node;
}

/* ---------------------------------------------------------------- */
/* RLIMIT_MEMLOCK accounting                                        */
/* ---------------------------------------------------------------- */

/*
 * The kernel charges pinned pages to the user's locked_vm; a library can
 * only keep the process's share, which is what this counts.
 */
static atomic_ulong locked_pages;

static bool has_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	if (kernel_syscall6(__NR_capget, (long)&hdr, (long)data, 0, 0, 0, 0))
		return false;
	return data[CAP_IPC_LOCK / 32].effective & (1U << (CAP_IPC_LOCK % 32));
}

bool rsrc_memlock_exempt(void)
{
	return has_ipc_lock();
}

int rsrc_account_pages(unsigned long pages)
{
	struct rlimit lim;
	unsigned long limit, cur;

	if (!pages)
		return 0;
	getrlimit(RLIMIT_MEMLOCK, &lim);
	limit = lim.rlim_cur == RLIM_INFINITY ? ~0UL : lim.rlim_cur / PAGE;
	cur = atomic_load(&locked_pages);
	do {
		if (cur + pages > limit)
			return -ENOMEM;
	} while (!atomic_compare_exchange_weak(&locked_pages, &cur, cur + pages));
	return 0;
}

void rsrc_unaccount_pages(unsigned long pages)
{
	unsigned long cur = atomic_load(&locked_pages);

	/* Pages of a privileged registration were never added. */
	while (cur && !atomic_compare_exchange_weak(
			      &locked_pages, &cur, cur >= pages ? cur - pages : 0))
		;
}

/* ---------------------------------------------------------------- */
/* What the kernel would manage to pin: /proc/self/maps               */
/* ---------------------------------------------------------------- */

struct mapping {
	unsigned long start, end;
	bool writable, shared_file;
};

struct maps {
	struct mapping *m;
	size_t n;
};

static void maps_free(struct maps *maps)
{
	free(maps->m);
	maps->m = NULL;
	maps->n = 0;
}

static int maps_read(struct maps *maps)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	size_t cap = 0;

	maps->m = NULL;
	maps->n = 0;
	if (!f)
		return -ENOMEM;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, inode;
		unsigned maj, min;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s %*x %x:%x %lu", &start, &end, perms,
			   &maj, &min, &inode) != 6)
			continue;
		if (maps->n == cap) {
			struct mapping *grown;

			cap = cap ? 2 * cap : 256;
			grown = realloc(maps->m, cap * sizeof(*grown));
			if (!grown) {
				fclose(f);
				maps_free(maps);
				return -ENOMEM;
			}
			maps->m = grown;
		}
		/* Shared mappings of files on block devices are not pinnable;
		 * tmpfs, memfd and hugetlbfs (device major 0) are. */
		maps->m[maps->n++] = (struct mapping){
			.start = start,
			.end = end,
			.writable = perms[1] == 'w',
			.shared_file = perms[3] == 's' && inode && maj != 0,
		};
	}
	fclose(f);
	return 0;
}

/* Whether every page of [start, end) could be pinned for writing. */
static bool maps_pinnable(const struct maps *maps, unsigned long start,
			  unsigned long end)
{
	size_t lo = 0, hi = maps->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (maps->m[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; start < end; i++) {
		const struct mapping *m = &maps->m[i];

		if (i >= maps->n || m->start > start || !m->writable ||
		    m->shared_file)
			return false;
		start = m->end;
	}
	return true;
}

bool rsrc_user_range_pinnable(unsigned long start, unsigned long len)
{
	struct maps maps = {0};
	bool ok;

	if (maps_read(&maps))
		return false;
	ok = maps_pinnable(&maps, start, start + len);
	maps_free(&maps);
	return ok;
}

/* ---------------------------------------------------------------- */
/* Buffer nodes                                                     */
/* ---------------------------------------------------------------- */

/*
 * Validate one iovec as the kernel does and build its node. An empty
 * {NULL, 0} entry yields *out = NULL and 0. exempt: CAP_IPC_LOCK.
 */
static int buffer_node_create(struct uring_ctx *ctx, const struct iovec *iov,
			      const struct maps *maps, __u64 tag, bool exempt,
			      struct rsrc_node **out)
{
	unsigned long base = (unsigned long)iov->iov_base, first, last;
	struct rsrc_buf *buf;
	int ret;

	*out = NULL;
	if (!base && !iov->iov_len)
		return tag ? -EINVAL : 0;
	if (!base || !iov->iov_len || iov->iov_len > MAX_BUFFER_LEN)
		return -EFAULT;
	if (base + ((iov->iov_len + PAGE - 1) & ~(PAGE - 1)) < base)
		return -EOVERFLOW;
	first = base & ~(PAGE - 1);
	last = (base + iov->iov_len + PAGE - 1) & ~(PAGE - 1);
	if (!maps_pinnable(maps, first, last))
		return -EFAULT;
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	buf->start = base;
	buf->len = iov->iov_len;
	if (!exempt) {
		buf->pages = (last - first) / PAGE;
		ret = rsrc_account_pages(buf->pages);
		if (ret) {
			free(buf);
			return ret;
		}
	}
	*out = buffer_node_alloc(ctx, buf, tag);
	if (!*out) {
		rsrc_unaccount_pages(buf->pages);
		free(buf);
		return -ENOMEM;
	}
	return 0;
}

static void table_release(struct rsrc_node **nodes, unsigned nr)
{
	/* Highest index first, as the kernel drops them. */
	while (nr--)
		if (nodes[nr])
			rsrc_node_put(nodes[nr]);
	free(nodes);
}

/* A failed registration throws its table away without tag CQEs. */
static void table_discard(struct rsrc_node **nodes, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++)
		if (nodes[i])
			nodes[i]->tag = 0;
	table_release(nodes, nr);
}

/* Read iovec i (and its tag) from user memory; iovs NULL means empty. */
static int read_iovec(const struct iovec *iovs, const __u64 *tags, unsigned i,
		      struct iovec *iov, __u64 *tag)
{
	memset(iov, 0, sizeof(*iov));
	*tag = 0;
	if (iovs && uring_copy_from_user(iov, &iovs[i], sizeof(*iov)))
		return -EFAULT;
	if (tags && uring_copy_from_user(tag, &tags[i], sizeof(*tag)))
		return -EFAULT;
	return 0;
}

static int buffers_register(struct uring_ctx *ctx, const struct iovec *iovs,
			    const __u64 *tags, unsigned nr)
{
	bool exempt = has_ipc_lock();
	struct rsrc_node **nodes;
	struct maps maps;
	int ret = 0;

	if (ctx->buf_table.nr)
		return -EBUSY;
	if (!nr || nr > MAX_REG_BUFFERS)
		return -EINVAL;
	nodes = calloc(nr, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	ret = maps_read(&maps);
	for (unsigned i = 0; !ret && i < nr; i++) {
		struct iovec iov;
		__u64 tag;

		ret = read_iovec(iovs, tags, i, &iov, &tag);
		if (!ret)
			ret = buffer_node_create(ctx, &iov, &maps, tag, exempt,
						 &nodes[i]);
	}
	maps_free(&maps);
	if (ret) {
		table_discard(nodes, nr);
		return ret;
	}
	pthread_mutex_lock(&ctx->rsrc_lock);
	ctx->buf_table.nodes = nodes;
	ctx->buf_table.nr = nr;
	pthread_mutex_unlock(&ctx->rsrc_lock);
	return 0;
}

int rsrc_register_buffers(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	if (!arg)
		return -EFAULT;
	return buffers_register(ctx, arg, NULL, nr);
}

int rsrc_unregister_buffers(struct uring_ctx *ctx, const void *arg,
			    unsigned nr)
{
	struct rsrc_table old;

	if (arg || nr)
		return -EINVAL;
	pthread_mutex_lock(&ctx->rsrc_lock);
	old = ctx->buf_table;
	ctx->buf_table.nodes = NULL;
	ctx->buf_table.nr = 0;
	pthread_mutex_unlock(&ctx->rsrc_lock);
	if (!old.nr)
		return -ENXIO;
	table_release(old.nodes, old.nr);
	return 0;
}

/* BUFFERS_UPDATE: a failed entry keeps the slot's old buffer. */
static int buffers_update(struct uring_ctx *ctx, __u32 off,
			  const struct iovec *iovs, const __u64 *tags,
			  unsigned nr)
{
	bool exempt = has_ipc_lock();
	struct maps maps;
	unsigned done = 0;
	int ret;

	if (!ctx->buf_table.nr)
		return -ENXIO;
	if (off + nr > ctx->buf_table.nr)
		return -EINVAL;
	ret = maps_read(&maps);
	for (; !ret && done < nr; done++) {
		struct rsrc_node *node, *old;
		struct iovec iov;
		__u64 tag;

		ret = read_iovec(iovs, tags, done, &iov, &tag);
		if (!ret)
			ret = buffer_node_create(ctx, &iov, &maps, tag, exempt,
						 &node);
		if (ret)
			break;
		pthread_mutex_lock(&ctx->rsrc_lock);
		old = ctx->buf_table.nodes[off + done];
		ctx->buf_table.nodes[off + done] = node;
		pthread_mutex_unlock(&ctx->rsrc_lock);
		if (old)
			rsrc_node_put(old);
	}
	maps_free(&maps);
	return done ? (int)done : ret;
}

struct rsrc_node *rsrc_buffer_get(struct uring_ctx *ctx, unsigned index)
{
	struct rsrc_node *node = NULL;

	pthread_mutex_lock(&ctx->rsrc_lock);
	if (index < ctx->buf_table.nr && (node = ctx->buf_table.nodes[index]))
		rsrc_node_get(node);
	pthread_mutex_unlock(&ctx->rsrc_lock);
	return node;
}

/* ---------------------------------------------------------------- */
/* REGISTER_FILES2 / BUFFERS2 and their update variants             */
/* ---------------------------------------------------------------- */

int files_register(struct uring_ctx *ctx, const int *fds, const __u64 *tags,
		   unsigned nr);
int files_update(struct uring_ctx *ctx, __u32 off, const int *fds,
		 const __u64 *tags, unsigned nr);

int rsrc_register2(struct uring_ctx *ctx, const void *arg, unsigned size,
		   enum rsrc_type type)
{
	struct io_uring_rsrc_register rr;

	if (size != sizeof(rr))
		return -EINVAL;
	if (uring_copy_from_user(&rr, arg, sizeof(rr)))
		return -EFAULT;
	if (!rr.nr || rr.resv2)
		return -EINVAL;
	if (rr.flags & ~IORING_RSRC_REGISTER_SPARSE)
		return -EINVAL;
	if ((rr.flags & IORING_RSRC_REGISTER_SPARSE) && rr.data)
		return -EINVAL;
	if (type == RSRC_FILE)
		return files_register(ctx, (const int *)(uintptr_t)rr.data,
				      (const __u64 *)(uintptr_t)rr.tags, rr.nr);
	return buffers_register(ctx, (const struct iovec *)(uintptr_t)rr.data,
				(const __u64 *)(uintptr_t)rr.tags, rr.nr);
}

int rsrc_update2(struct uring_ctx *ctx, const void *arg, unsigned size,
		 enum rsrc_type type)
{
	struct io_uring_rsrc_update2 up;

	if (size != sizeof(up))
		return -EINVAL;
	if (uring_copy_from_user(&up, arg, sizeof(up)))
		return -EFAULT;
	if (!up.nr || up.resv || up.resv2)
		return -EINVAL;
	if (up.offset + up.nr < up.offset)
		return -EOVERFLOW;
	if (type == RSRC_FILE)
		return files_update(ctx, up.offset, (const int *)(uintptr_t)up.data,
				    (const __u64 *)(uintptr_t)up.tags, up.nr);
	return buffers_update(ctx, up.offset,
			      (const struct iovec *)(uintptr_t)up.data,
			      (const __u64 *)(uintptr_t)up.tags, up.nr);
}

/* ---------------------------------------------------------------- */
/* REGISTER_CLONE_BUFFERS (§3.30)                                    */
/* ---------------------------------------------------------------- */

/* A clone shares the buffer, not the node: it has its own tag (0). */
static struct rsrc_node *clone_node(struct uring_ctx *dst,
				    struct rsrc_node *src)
{
	return buffer_node_alloc(dst, src->buf, 0);
}

static int clone_into(struct uring_ctx *dst, struct uring_ctx *src,
		      const struct io_uring_clone_buffers *cb)
{
	unsigned nr = cb->nr, new_nr;
	struct rsrc_node **nodes;
	struct rsrc_table old;

	if (!cb->nr && (cb->src_off || cb->dst_off))
		return -EINVAL;
	if (dst->buf_table.nr && !(cb->flags & IORING_REGISTER_DST_REPLACE))
		return -EBUSY;
	if (!src->buf_table.nr)
		return -ENXIO;
	if (!nr)
		nr = src->buf_table.nr;
	if (nr > src->buf_table.nr || nr > MAX_REG_BUFFERS)
		return -EINVAL;
	if (cb->src_off + nr < nr || cb->src_off + nr > src->buf_table.nr)
		return -EOVERFLOW;
	if (cb->dst_off + nr < nr)
		return -EOVERFLOW;
	if (cb->dst_off + nr > MAX_REG_BUFFERS)
		return -EINVAL;
	new_nr = cb->dst_off + nr;
	if (new_nr < dst->buf_table.nr)
		new_nr = dst->buf_table.nr;
	nodes = calloc(new_nr, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	old = dst->buf_table;
	for (unsigned i = 0; i < new_nr; i++) {
		struct rsrc_node *n = NULL;

		if (i >= cb->dst_off && i < cb->dst_off + nr) {
			struct rsrc_node *s = src->buf_table.nodes[cb->src_off +
								   i - cb->dst_off];

			if (s && !(n = clone_node(dst, s))) {
				table_discard(nodes, new_nr);
				return -ENOMEM;
			}
		} else if (i < old.nr && (n = old.nodes[i])) {
			rsrc_node_get(n);
		}
		nodes[i] = n;
	}
	dst->buf_table.nodes = nodes;
	dst->buf_table.nr = new_nr;
	/* The old table lets go of its nodes: replaced ones post tags. */
	pthread_mutex_unlock(&dst->rsrc_lock);
	if (src != dst)
		pthread_mutex_unlock(&src->rsrc_lock);
	if (old.nr)
		table_release(old.nodes, old.nr);
	return 0;
}

int rsrc_clone_buffers(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	struct io_uring_clone_buffers cb;
	struct uring_ctx *src;
	int ret;

	if (!arg || nr != 1)
		return -EINVAL;
	if (uring_copy_from_user(&cb, arg, sizeof(cb)))
		return -EFAULT;
	if (cb.flags & ~(IORING_REGISTER_SRC_REGISTERED | IORING_REGISTER_DST_REPLACE))
		return -EINVAL;
	if (ctx->buf_table.nr && !(cb.flags & IORING_REGISTER_DST_REPLACE))
		return -EBUSY;
	if (cb.pad[0] || cb.pad[1] || cb.pad[2])
		return -EINVAL;
	src = uring_ctx_get(cb.src_fd, cb.flags & IORING_REGISTER_SRC_REGISTERED);
	if (!src && (cb.flags & IORING_REGISTER_SRC_REGISTERED))
		return uring_tctx_lookup_error(cb.src_fd);
	if (!src) {
		if (fcntl((int)cb.src_fd, F_GETFD) < 0)
			return -EBADF;
		/* A kernel ring's buffers are out of our reach: as for rings
		 * of another user or mm, the kernel's answer is EINVAL. */
		return uring_fd_is_ring((int)cb.src_fd) ? -EINVAL : -EOPNOTSUPP;
	}
	/* Lock both tables, lower address first. */
	if (src != ctx && src < ctx)
		pthread_mutex_lock(&src->rsrc_lock);
	pthread_mutex_lock(&ctx->rsrc_lock);
	if (src != ctx && src > ctx)
		pthread_mutex_lock(&src->rsrc_lock);
	ret = clone_into(ctx, src, &cb);
	if (ret) {
		pthread_mutex_unlock(&ctx->rsrc_lock);
		if (src != ctx)
			pthread_mutex_unlock(&src->rsrc_lock);
	}
	uring_ctx_put(src);
	return ret;
}

void rsrc_free_all(struct uring_ctx *ctx)
{
	rsrc_unregister_buffers(ctx, NULL, 0);
	rsrc_unregister_files(ctx, NULL, 0);
}
