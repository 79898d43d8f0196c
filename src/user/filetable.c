/* SPDX-License-Identifier: MIT */
/*
 * The fixed-file table: registration and updates (kernel-semantics.md
 * §3.2, §3.3, §3.6, §3.13, §3.14, §3.25), the slot allocator (§5.1),
 * direct installs and closes (§5.2, §5.3) and the FILES_UPDATE SQE (§5.4).
 *
 * A slot holds a node that owns a duplicate of the registered descriptor,
 * since a library has no other way to keep a file open after the
 * application closes its own descriptor.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fd_dup.h"
#include "kernel/syscall.h"
#include "rsrc.h"
#include "uaccess.h"

#define MAX_FIXED_FILES (1U << 20)
#define BITS (8 * sizeof(unsigned long))
/*
 * Slots live in chunks allocated when a file first lands in one, so a
 * sparse table costs a bit and a chunk pointer per 512 slots until used.
 */
#define FILE_CHUNK 512U

static bool bit_test(const unsigned long *map, unsigned i)
{
	return map[i / BITS] & (1UL << (i % BITS));
}

static void bit_set(unsigned long *map, unsigned i)
{
	map[i / BITS] |= 1UL << (i % BITS);
}

static void bit_clear(unsigned long *map, unsigned i)
{
	map[i / BITS] &= ~(1UL << (i % BITS));
}

/* As the kernel's fget at registration: 0, or -EBADF if fd cannot be. */
static int file_check(int fd)
{
	long flags;

	if (fd < 0)
		return -EBADF;
	/* Closed and O_PATH descriptors are refused. */
	flags = kernel_syscall6(__NR_fcntl, fd, F_GETFL, 0, 0, 0, 0);
	if (flags < 0 || (flags & O_PATH))
		return -EBADF;
	/* io_uring files cannot be registered. */
	if (uring_flags_may_be_ring(flags) && uring_fd_is_ring(fd))
		return -EBADF;
	return 0;
}

/* A node for a file we own (fd), or for one whose duplicate comes later. */
static struct rsrc_node *file_node_adopt(struct uring_ctx *ctx, int fd,
					 __u64 tag)
{
	struct rsrc_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	atomic_init(&node->refs, 1);
	node->type = RSRC_FILE;
	node->ctx = ctx;
	node->tag = tag;
	node->fd = fd;
	return node;
}

/* A node holding our own duplicate of fd: 0, -EBADF, -EMFILE or -ENOMEM. */
static int file_node_create(struct uring_ctx *ctx, int fd, __u64 tag,
			    struct rsrc_node **out)
{
	int ret = file_check(fd);

	*out = NULL;
	if (ret)
		return ret;
	fd = uring_dup_fd(fd);
	if (fd < 0)
		return fd;
	*out = file_node_adopt(ctx, fd, tag);
	if (!*out) {
		kernel_close(fd);
		return -ENOMEM;
	}
	return 0;
}

static struct rsrc_node *slot_node(const struct file_table *ft, unsigned slot)
{
	struct rsrc_node **chunk = ft->chunks[slot / FILE_CHUNK];

	return chunk ? chunk[slot % FILE_CHUNK] : NULL;
}

/* Slots in chunk c: FILE_CHUNK, fewer in the table's last chunk. */
static unsigned chunk_len(const struct file_table *ft, unsigned c)
{
	unsigned left = ft->nr - c * FILE_CHUNK;

	return left < FILE_CHUNK ? left : FILE_CHUNK;
}

/* Where the slot's node goes, its chunk allocated if need be; NULL: ENOMEM. */
static struct rsrc_node **slot_place(struct file_table *ft, unsigned slot)
{
	struct rsrc_node ***chunk = &ft->chunks[slot / FILE_CHUNK];

	if (!*chunk)
		*chunk = calloc(chunk_len(ft, slot / FILE_CHUNK), sizeof(**chunk));
	return *chunk ? &(*chunk)[slot % FILE_CHUNK] : NULL;
}

/* An empty table of nr slots: the chunk directory and the bitmap. */
static int table_create(struct file_table *ft, unsigned nr)
{
	memset(ft, 0, sizeof(*ft));
	ft->chunks = calloc((nr + FILE_CHUNK - 1) / FILE_CHUNK,
			    sizeof(*ft->chunks));
	ft->bitmap = calloc((nr + BITS - 1) / BITS, sizeof(*ft->bitmap));
	if (!ft->chunks || !ft->bitmap) {
		free(ft->chunks);
		free(ft->bitmap);
		return -ENOMEM;
	}
	ft->nr = nr;
	ft->alloc_end = nr;
	return 0;
}

/* Put every node, last slot first as the kernel does; tags post if asked. */
static void table_release(struct file_table *ft, bool tags)
{
	for (unsigned c = (ft->nr + FILE_CHUNK - 1) / FILE_CHUNK; c--;) {
		struct rsrc_node **chunk = ft->chunks[c];

		if (!chunk)
			continue;
		for (unsigned i = chunk_len(ft, c); i--;) {
			if (!chunk[i])
				continue;
			if (!tags)
				chunk[i]->tag = 0;
			rsrc_node_put(chunk[i]);
		}
		free(chunk);
	}
	free(ft->chunks);
	free(ft->bitmap);
}

static unsigned nofile_limit(void)
{
	struct rlimit lim;

	getrlimit(RLIMIT_NOFILE, &lim);
	return lim.rlim_cur > MAX_FIXED_FILES ? MAX_FIXED_FILES
					      : (unsigned)lim.rlim_cur;
}

/* A registration's arrays, each copied at once when all of it is readable. */
struct entries {
	const int *fds;
	const __u64 *tags;
	int *fds_copy;
	__u64 *tags_copy;
};

/*
 * One copy per array (one system call instead of one per entry); an
 * array that is not all readable is read entry by entry, so a fault
 * surfaces at the entry where the kernel's would.
 */
static void *copy_array(const void *user, size_t len)
{
	void *copy;

	if (!user)
		return NULL;
	copy = malloc(len);
	if (copy && uring_copy_from_user(copy, user, len)) {
		free(copy);
		copy = NULL;
	}
	return copy;
}

static void entries_copy(struct entries *e, const int *fds, const __u64 *tags,
			 unsigned nr)
{
	e->fds = fds;
	e->tags = tags;
	e->fds_copy = copy_array(fds, (size_t)nr * sizeof(*fds));
	e->tags_copy = copy_array(tags, (size_t)nr * sizeof(*tags));
}

static void entries_free(struct entries *e)
{
	free(e->fds_copy);
	free(e->tags_copy);
}

/* The tag is read before the fd, as the kernel does. */
static int entries_read(const struct entries *e, unsigned i, int *fd,
			__u64 *tag)
{
	if (e->tags_copy)
		*tag = e->tags_copy[i];
	else if (!e->tags)
		*tag = 0;
	else if (uring_copy_from_user(tag, &e->tags[i], sizeof(*tag)))
		return -EFAULT;
	if (e->fds_copy)
		*fd = e->fds_copy[i];
	else if (!e->fds)
		*fd = -1;
	else if (uring_copy_from_user(fd, &e->fds[i], sizeof(*fd)))
		return -EFAULT;
	return 0;
}

/*
 * Check every entry and give each file a node, its descriptor still to
 * come; the application's descriptors go to wanted[] in slot order.
 */
static int table_fill(struct uring_ctx *ctx, struct file_table *nt,
		      const struct entries *e, int *wanted, unsigned *nr_wanted)
{
	int ret = 0;

	*nr_wanted = 0;
	for (unsigned i = 0; i < nt->nr; i++) {
		struct rsrc_node **place;
		__u64 tag;
		int fd;

		if ((ret = entries_read(e, i, &fd, &tag)))
			break;
		if (fd == -1) {
			if (tag)
				return -EINVAL;
			continue;
		}
		if ((ret = file_check(fd)))
			break;
		place = slot_place(nt, i);
		if (!place || !(*place = file_node_adopt(ctx, -1, tag)))
			return -ENOMEM;
		bit_set(nt->bitmap, i);
		wanted[(*nr_wanted)++] = fd;
	}
	return ret;
}

/* Hand the duplicates to the nodes table_fill made, in slot order. */
static void table_give_fds(struct file_table *nt, const int *dups)
{
	unsigned j = 0;

	for (unsigned i = 0; i < nt->nr; i++)
		if (bit_test(nt->bitmap, i))
			slot_node(nt, i)->fd = dups[j++];
}

/*
 * All entries are checked before any file is duplicated, so that the
 * duplicates are made together (fd_dup.c) and a failure has none to close.
 */
static int table_load(struct uring_ctx *ctx, struct file_table *nt,
		      const int *fds, const __u64 *tags)
{
	unsigned nr_wanted = 0;
	struct entries e;
	int *wanted, ret;

	wanted = malloc((size_t)nt->nr * sizeof(*wanted));
	if (!wanted)
		return -ENOMEM;
	entries_copy(&e, fds, tags, nt->nr);
	ret = table_fill(ctx, nt, &e, wanted, &nr_wanted);
	entries_free(&e);
	if (!ret && nr_wanted)
		ret = uring_dup_fds(wanted, wanted, nr_wanted);
	if (!ret)
		table_give_fds(nt, wanted);
	free(wanted);
	return ret;
}

int files_register(struct uring_ctx *ctx, const int *fds, const __u64 *tags,
		   unsigned nr)
{
	struct file_table nt;
	int ret;

	if (ctx->file_table.nr)
		return -EBUSY;
	if (!nr)
		return -EINVAL;
	if (nr > MAX_FIXED_FILES || nr > nofile_limit())
		return -EMFILE;
	ret = table_create(&nt, nr);
	if (ret)
		return ret;
	/* A sparse table without tags has no entries to read. */
	if (fds || tags)
		ret = table_load(ctx, &nt, fds, tags);
	if (ret) {
		/* A failed registration posts no tags. */
		table_release(&nt, false);
		return ret;
	}
	pthread_mutex_lock(&ctx->rsrc_lock);
	ctx->file_table = nt;
	pthread_mutex_unlock(&ctx->rsrc_lock);
	return 0;
}

int rsrc_register_files(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	if (!arg)
		return -EFAULT;
	return files_register(ctx, arg, NULL, nr);
}

int rsrc_unregister_files(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	struct file_table old;

	if (arg || nr)
		return -EINVAL;
	pthread_mutex_lock(&ctx->rsrc_lock);
	old = ctx->file_table;
	memset(&ctx->file_table, 0, sizeof(ctx->file_table));
	pthread_mutex_unlock(&ctx->rsrc_lock);
	if (!old.nr)
		return -ENXIO;
	table_release(&old, true);
	return 0;
}

/*
 * Swap a slot's node under rsrc_lock; the old one is put by the caller.
 * Fails (ENOMEM, nothing changed) only when the slot's chunk cannot be had.
 */
static int slot_replace(struct file_table *ft, unsigned slot,
			struct rsrc_node *node, struct rsrc_node **old)
{
	struct rsrc_node **place;

	*old = slot_node(ft, slot);
	if (!node && !*old)
		return 0;
	place = slot_place(ft, slot);
	if (!place)
		return -ENOMEM;
	if (*old) {
		bit_clear(ft->bitmap, slot);
		ft->alloc_hint = slot;
	}
	*place = node;
	if (node) {
		bit_set(ft->bitmap, slot);
		ft->alloc_hint = slot + 1;
	}
	return 0;
}

/* Put node (NULL empties) in the slot; on failure the node is put. */
static int slot_set(struct uring_ctx *ctx, unsigned slot,
		    struct rsrc_node *node)
{
	struct rsrc_node *old;
	int ret;

	pthread_mutex_lock(&ctx->rsrc_lock);
	ret = slot_replace(&ctx->file_table, slot, node, &old);
	pthread_mutex_unlock(&ctx->rsrc_lock);
	if (ret)
		old = node;
	if (old)
		rsrc_node_put(old);
	return ret;
}

/*
 * Updates: the old file leaves its slot before the new one is checked,
 * so a failing entry leaves the slot empty (§3.6 step 7f).
 */
int files_update(struct uring_ctx *ctx, __u32 off, const int *fds,
		 const __u64 *tags, unsigned nr)
{
	const struct entries e = { .fds = fds, .tags = tags };
	unsigned done;
	int ret = 0;

	if (!ctx->file_table.nr)
		return -ENXIO;
	if (off + nr > ctx->file_table.nr)
		return -EINVAL;
	for (done = 0; done < nr; done++) {
		struct rsrc_node *node;
		__u64 tag;
		int fd;

		ret = entries_read(&e, done, &fd, &tag);
		if (ret)
			break;
		if ((fd == IORING_REGISTER_FILES_SKIP || fd == -1) && tag) {
			ret = -EINVAL;
			break;
		}
		if (fd == IORING_REGISTER_FILES_SKIP)
			continue;
		slot_set(ctx, off + done, NULL);
		if (fd == -1)
			continue;
		ret = file_node_create(ctx, fd, tag, &node);
		if (!ret)
			ret = slot_set(ctx, off + done, node);
		if (ret)
			break;
	}
	return done ? (int)done : ret;
}

int rsrc_files_update(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	struct io_uring_files_update up;

	if (!nr)
		return -EINVAL;
	if (uring_copy_from_user(&up, arg, sizeof(up)))
		return -EFAULT;
	if (up.resv)
		return -EINVAL;
	if (up.offset + nr < up.offset)
		return -EOVERFLOW;
	return files_update(ctx, up.offset, (const int *)(uintptr_t)up.fds,
			    NULL, nr);
}

int rsrc_file_alloc_range(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	struct io_uring_file_index_range r;
	struct file_table *ft = &ctx->file_table;

	if (!arg || nr)
		return -EINVAL;
	if (uring_copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r.off + r.len < r.off)
		return -EOVERFLOW;
	if (r.resv || r.off + r.len > ft->nr)
		return -EINVAL;
	pthread_mutex_lock(&ctx->rsrc_lock);
	ft->alloc_start = r.off;
	ft->alloc_end = r.off + r.len;
	ft->alloc_hint = r.off;
	pthread_mutex_unlock(&ctx->rsrc_lock);
	return 0;
}

/* The kernel's io_file_bitmap_get, clamp included; rsrc_lock held. */
static int alloc_slot(struct file_table *ft)
{
	unsigned hint = ft->alloc_hint;

	if (!ft->bitmap)
		return -ENFILE;
	if (hint < ft->alloc_start || hint >= ft->alloc_end)
		hint = ft->alloc_start;
	for (unsigned i = hint; i < ft->alloc_end; i++)
		if (!bit_test(ft->bitmap, i))
			return (int)i;
	for (unsigned i = ft->alloc_start; i < hint; i++)
		if (!bit_test(ft->bitmap, i))
			return (int)i;
	return -ENFILE;
}

struct rsrc_node *rsrc_file_get(struct uring_ctx *ctx, unsigned index)
{
	struct file_table *ft = &ctx->file_table;
	struct rsrc_node *node = NULL;

	pthread_mutex_lock(&ctx->rsrc_lock);
	if (index < ft->nr && (node = slot_node(ft, index)))
		rsrc_node_get(node);
	pthread_mutex_unlock(&ctx->rsrc_lock);
	return node;
}

int rsrc_install_file(struct uring_ctx *ctx, int fd, unsigned file_index)
{
	struct file_table *ft = &ctx->file_table;
	struct rsrc_node *node, *old = NULL;
	int slot, ret;

	node = file_node_adopt(ctx, fd, 0);
	if (!node) {
		kernel_close(fd);
		return -ENOMEM;
	}
	pthread_mutex_lock(&ctx->rsrc_lock);
	if (file_index == IORING_FILE_INDEX_ALLOC) {
		slot = alloc_slot(ft);
		ret = slot;
	} else if (!ft->nr) {
		slot = ret = -ENXIO;
	} else if (file_index - 1 >= ft->nr) {
		slot = ret = -EINVAL;
	} else {
		slot = (int)file_index - 1;
		ret = 0;
	}
	if (slot >= 0) {
		int err = slot_replace(ft, (unsigned)slot, node, &old);

		if (err)
			slot = ret = err;
	}
	pthread_mutex_unlock(&ctx->rsrc_lock);
	if (slot < 0) {
		rsrc_node_put(node);
		return ret;
	}
	if (old)
		rsrc_node_put(old);
	return ret;
}

int rsrc_close_file(struct uring_ctx *ctx, unsigned slot)
{
	struct file_table *ft = &ctx->file_table;
	struct rsrc_node *old = NULL;
	int ret = 0;

	pthread_mutex_lock(&ctx->rsrc_lock);
	if (!ft->nr)
		ret = -ENXIO;
	else if (slot >= ft->nr)
		ret = -EINVAL;
	else if (!slot_node(ft, slot))
		ret = -EBADF;
	else
		slot_replace(ft, slot, NULL, &old);
	pthread_mutex_unlock(&ctx->rsrc_lock);
	if (old)
		rsrc_node_put(old);
	return ret;
}

/* FILES_UPDATE with IORING_FILE_INDEX_ALLOC: slots written back to fds[]. */
static int files_update_alloc(struct uring_ctx *ctx, int *user_fds,
			      unsigned nr)
{
	unsigned done;
	int ret = 0;

	if (!ctx->file_table.nr)
		return -ENXIO;
	for (done = 0; done < nr; done++) {
		struct rsrc_node *node;
		int fd, slot;

		if (uring_copy_from_user(&fd, &user_fds[done], sizeof(fd))) {
			ret = -EFAULT;
			break;
		}
		ret = file_node_create(ctx, fd, 0, &node);
		if (ret)
			break;
		pthread_mutex_lock(&ctx->rsrc_lock);
		slot = alloc_slot(&ctx->file_table);
		if (slot >= 0) {
			struct rsrc_node *old;
			int err = slot_replace(&ctx->file_table, (unsigned)slot,
					       node, &old);

			if (err)
				slot = err;
		}
		pthread_mutex_unlock(&ctx->rsrc_lock);
		if (slot < 0) {
			rsrc_node_put(node);
			ret = slot;
			break;
		}
		if (uring_copy_to_user(&user_fds[done], &slot, sizeof(slot))) {
			rsrc_close_file(ctx, (unsigned)slot);
			ret = -EFAULT;
			break;
		}
	}
	return done ? (int)done : ret;
}

int rsrc_files_update_op(struct uring_ctx *ctx, __u32 off, int *user_fds,
			 unsigned nr)
{
	if (off == IORING_FILE_INDEX_ALLOC)
		return files_update_alloc(ctx, user_fds, nr);
	if (off + nr < off)
		return -EOVERFLOW;
	return files_update(ctx, off, user_fds, NULL, nr);
}
