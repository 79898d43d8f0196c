/* SPDX-License-Identifier: MIT */
/*
 * Userspace rings: io_uring_setup(2), the fd -> ring table, and teardown.
 *
 * A ring is a memfd, so it has a real fd number and close() semantics, and
 * its memory is laid out as the kernel lays it out: the SQ and CQ rings at
 * IORING_OFF_SQ_RING (one region, IORING_FEAT_SINGLE_MMAP), the SQEs at
 * IORING_OFF_SQES. Anyone mapping those offsets sees the ring.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocking.h"
#include "kbuf.h"
#include "ring.h"
#include "rsrc.h"
#include "uaccess.h"
#include "user.h"

/* What 6.18 accepts in io_uring_params.flags (QUERY's setup mask). */
#define SETUP_FLAGS_VALID 0x7ffffU
/* Flags this backend cannot model; setup refuses them with EINVAL. */
#define SETUP_FLAGS_UNSUPPORTED IORING_SETUP_ATTACH_WQ
/* The features 6.18 reports; the userspace backend implements them. */
#define USER_FEATURES 0x3ffffU

/* Kernel's struct io_rings: offsets of each field in the ring region. */
enum {
	RING_SQ_HEAD = 0,
	RING_SQ_TAIL = 4,
	RING_CQ_HEAD = 8,
	RING_CQ_TAIL = 12,
	RING_SQ_MASK = 16,
	RING_CQ_MASK = 20,
	RING_SQ_ENTRIES = 24,
	RING_CQ_ENTRIES = 28,
	RING_SQ_DROPPED = 32,
	RING_SQ_FLAGS = 36,
	RING_CQ_FLAGS = 40,
	RING_CQ_OVERFLOW = 44,
	RING_CQES = 64,
};

/*
 * Every ring, on a list under table_lock, and by fd in a map that lookups
 * read without a lock: io_uring_enter looks its ring up on every call, and
 * rings used by different threads must not meet on a lock.
 *
 * A lookup takes a reference only while CTX_LIVE is set in refs, and ring
 * memory is reused for later rings but never freed, so a lookup that read
 * a ring pointer just before that ring's teardown touches valid memory,
 * fails to take its reference, and finds nothing.
 */
#define CTX_LIVE (1U << 31)
/*
 * Where the memfd holds struct uring_shared: an offset no kernel ring's
 * mmap offset names, so the application never maps it by mistake.
 */
#define URING_OFF_SHARED 0x18000000LL
#define FD_CHUNK 1024U
#define FD_CHUNKS 1024U /* fds beyond FD_CHUNK * FD_CHUNKS: list only */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t table_fork_once = PTHREAD_ONCE_INIT;
static struct uring_ctx *table;
static struct uring_ctx *pool; /* torn-down rings' memory, for reuse */
static _Atomic(struct uring_ctx *) *fd_chunks[FD_CHUNKS];

/*
 * Held across fork(): a child's copy of a lock another thread held then
 * would stay held, and the child's setup or exit of a ring would hang.
 */
static void table_lock_take(void)
{
	pthread_mutex_lock(&table_lock);
}

static void table_lock_drop(void)
{
	pthread_mutex_unlock(&table_lock);
}

static void table_fork_watch(void)
{
	pthread_atfork(table_lock_take, table_lock_drop, table_lock_drop);
}

static _Atomic(struct uring_ctx *) *fd_slot(unsigned fd)
{
	_Atomic(struct uring_ctx *) *chunk;

	if (fd >= FD_CHUNK * FD_CHUNKS)
		return NULL;
	chunk = __atomic_load_n(&fd_chunks[fd / FD_CHUNK], __ATOMIC_ACQUIRE);
	return chunk ? &chunk[fd % FD_CHUNK] : NULL;
}

/* Point fd at ctx (or at nothing); the caller holds table_lock. */
static void fd_map_set(int fd, struct uring_ctx *ctx)
{
	_Atomic(struct uring_ctx *) *chunk, *slot;

	if (fd < 0 || (unsigned)fd >= FD_CHUNK * FD_CHUNKS)
		return;
	chunk = fd_chunks[fd / FD_CHUNK];
	if (!chunk && ctx) {
		chunk = calloc(FD_CHUNK, sizeof(*chunk));
		if (!chunk)
			return; /* the list still finds it */
		__atomic_store_n(&fd_chunks[fd / FD_CHUNK], chunk,
				 __ATOMIC_RELEASE);
	}
	slot = fd_slot((unsigned)fd);
	if (slot)
		atomic_store_explicit(slot, ctx, memory_order_release);
}

/* A reference, unless the ring is no longer live. */
static bool ctx_tryget(struct uring_ctx *ctx)
{
	unsigned refs = atomic_load_explicit(&ctx->refs, memory_order_relaxed);

	do {
		if (!(refs & CTX_LIVE))
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		&ctx->refs, &refs, refs + 1, memory_order_acquire,
		memory_order_relaxed));
	return true;
}

/*
 * The kernel's checks on io_uring_params. All its refusals here are
 * EINVAL, so the order only matters to the reader: entries, flags, sizes.
 */
static int check_params(unsigned entries, struct io_uring_params *p,
			struct ring_sizes *sz)
{
	unsigned f = p->flags;

	if (f & ~SETUP_FLAGS_VALID)
		return -EINVAL;
	if (p->resv[0] || p->resv[1] || p->resv[2])
		return -EINVAL;
	if ((f & IORING_SETUP_SQ_AFF) && !(f & IORING_SETUP_SQPOLL))
		return -EINVAL;
	if ((f & IORING_SETUP_REGISTERED_FD_ONLY) && !(f & IORING_SETUP_NO_MMAP))
		return -EINVAL;
	if ((f & IORING_SETUP_SQPOLL) &&
	    (f & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
		  IORING_SETUP_DEFER_TASKRUN)))
		return -EINVAL;
	if ((f & IORING_SETUP_TASKRUN_FLAG) &&
	    !(f & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN)))
		return -EINVAL;
	if ((f & IORING_SETUP_DEFER_TASKRUN) &&
	    !(f & IORING_SETUP_SINGLE_ISSUER))
		return -EINVAL;
	if ((f & IORING_SETUP_HYBRID_IOPOLL) && !(f & IORING_SETUP_IOPOLL))
		return -EINVAL;
	/* Mixed CQE sizes make sense only with 16-byte CQEs. */
	if ((f & IORING_SETUP_CQE_MIXED) && (f & IORING_SETUP_CQE32))
		return -EINVAL;
	if (f & SETUP_FLAGS_UNSUPPORTED)
		return -EINVAL;
	return ring_compute_sizes(entries, p, sz);
}

/*
 * Map len bytes of the ring's memfd at off. The file only ever grows:
 * buffer rings and regions live above the rings, and a resize must not
 * cut them off.
 */
void *uring_memfd_map(struct uring_ctx *ctx, off_t off, size_t len)
{
	struct stat st;
	void *p;

	if (ctx->fd < 0 || fstat(ctx->fd, &st))
		return NULL;
	if (st.st_size < off + (off_t)len && ftruncate(ctx->fd, off + (off_t)len))
		return NULL;
	p = kernel_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ctx->fd,
			off);
	return kernel_mmap_failed(p) ? NULL : p;
}

/* Our own mappings of the memfd, or the application's NO_MMAP memory. */
int uring_ring_memory_map(struct uring_ctx *ctx, struct io_uring_params *p,
			  const struct ring_sizes *sz)
{
	size_t rings = sz->rings_bytes;
	/* The SQ index array, if any, closes the ring region. */
	size_t array_off = ctx->flags & IORING_SETUP_NO_SQARRAY
				   ? rings
				   : rings - ctx->sq_entries * sizeof(__u32);

	ctx->rings_len = ring_page_align(rings);
	ctx->sqes_len = ring_page_align(sz->sqes_bytes);
	if (ctx->flags & IORING_SETUP_NO_MMAP) {
		if (!p->sq_off.user_addr || !p->cq_off.user_addr)
			return -EFAULT;
		if ((p->sq_off.user_addr | p->cq_off.user_addr) &
		    ((size_t)sysconf(_SC_PAGESIZE) - 1))
			return -EINVAL;
		ctx->sqes = (void *)(uintptr_t)p->sq_off.user_addr;
		ctx->rings = (void *)(uintptr_t)p->cq_off.user_addr;
		ctx->app_memory = true;
	} else {
		ctx->rings = uring_memfd_map(ctx, IORING_OFF_SQ_RING, ctx->rings_len);
		ctx->sqes = uring_memfd_map(ctx, IORING_OFF_SQES, ctx->sqes_len);
		if (!ctx->rings || !ctx->sqes)
			return -ENOMEM;
	}
	memset(ctx->rings, 0, rings);
	return (int)array_off;
}

/* The futex words, mapped from the memfd whatever holds the rings. */
static int shared_map(struct uring_ctx *ctx)
{
	ctx->shared = uring_memfd_map(ctx, URING_OFF_SHARED,
				      (size_t)sysconf(_SC_PAGESIZE));
	return ctx->shared ? 0 : -ENOMEM;
}

void uring_ring_fields_init(struct uring_ctx *ctx, size_t array_off)
{
	char *r = ctx->rings;

	ctx->sq_head = (unsigned *)(r + RING_SQ_HEAD);
	ctx->sq_tail = (unsigned *)(r + RING_SQ_TAIL);
	ctx->cq_head = (unsigned *)(r + RING_CQ_HEAD);
	ctx->cq_tail = (unsigned *)(r + RING_CQ_TAIL);
	ctx->sq_dropped = (unsigned *)(r + RING_SQ_DROPPED);
	ctx->sq_flags = (unsigned *)(r + RING_SQ_FLAGS);
	ctx->cq_flags = (unsigned *)(r + RING_CQ_FLAGS);
	ctx->cq_overflow = (unsigned *)(r + RING_CQ_OVERFLOW);
	ctx->cqes = (struct io_uring_cqe *)(r + RING_CQES);
	if (!(ctx->flags & IORING_SETUP_NO_SQARRAY))
		ctx->sq_array = (unsigned *)(r + array_off);
	*(unsigned *)(r + RING_SQ_MASK) = ctx->sq_mask;
	*(unsigned *)(r + RING_CQ_MASK) = ctx->cq_mask;
	*(unsigned *)(r + RING_SQ_ENTRIES) = ctx->sq_entries;
	*(unsigned *)(r + RING_CQ_ENTRIES) = ctx->cq_entries;
}

void uring_ring_params_fill(const struct uring_ctx *ctx,
			    struct io_uring_params *p, size_t array_off)
{
	p->sq_entries = ctx->sq_entries;
	p->cq_entries = ctx->cq_entries;
	p->features = ctx->features;
	p->sq_off.head = RING_SQ_HEAD;
	p->sq_off.tail = RING_SQ_TAIL;
	p->sq_off.ring_mask = RING_SQ_MASK;
	p->sq_off.ring_entries = RING_SQ_ENTRIES;
	p->sq_off.flags = RING_SQ_FLAGS;
	p->sq_off.dropped = RING_SQ_DROPPED;
	p->sq_off.array = ctx->sq_array ? (__u32)array_off : 0;
	p->sq_off.resv1 = 0;
	p->cq_off.head = RING_CQ_HEAD;
	p->cq_off.tail = RING_CQ_TAIL;
	p->cq_off.ring_mask = RING_CQ_MASK;
	p->cq_off.ring_entries = RING_CQ_ENTRIES;
	p->cq_off.overflow = RING_CQ_OVERFLOW;
	p->cq_off.cqes = RING_CQES;
	p->cq_off.flags = RING_CQ_FLAGS;
	p->cq_off.resv1 = 0;
	if (!(ctx->flags & IORING_SETUP_NO_MMAP)) {
		p->sq_off.user_addr = 0;
		p->cq_off.user_addr = 0;
	}
}

/* io_uring_close_ring_fd(): the fd goes, the ring stays (by its index). */
static void user_fd_closed(unsigned fd)
{
	struct uring_ctx *ctx = uring_ctx_get(fd, 0);

	if (!ctx)
		return;
	pthread_mutex_lock(&table_lock);
	fd_map_set(ctx->fd, NULL);
	ctx->fd = -1;
	pthread_mutex_unlock(&table_lock);
	backend_fd_detach((int)fd);
	uring_ctx_put(ctx);
}

static void ctx_free(struct uring_ctx *ctx)
{
	if (ctx->wq)
		iowq_destroy(ctx->wq);
	if (ctx->poll)
		poll_engine_destroy(ctx->poll);
	if (!ctx->app_memory) {
		if (ctx->rings)
			kernel_munmap(ctx->rings, ctx->rings_len);
		if (ctx->sqes)
			kernel_munmap(ctx->sqes, ctx->sqes_len);
	}
	if (ctx->shared)
		kernel_munmap(ctx->shared, (size_t)sysconf(_SC_PAGESIZE));
	pthread_mutex_destroy(&ctx->uring_lock);
	pthread_mutex_destroy(&ctx->completion_lock);
	pthread_mutex_destroy(&ctx->inflight_lock);
	pthread_mutex_destroy(&ctx->timeout_lock);
	pthread_mutex_destroy(&ctx->event_lock);
	pthread_mutex_destroy(&ctx->rsrc_lock);
	rsrc_unaccount_pages(ctx->ring_pages);
	uring_req_cache_free(ctx);
	/* Kept for the next ring: a late lookup may still test its refs. */
	atomic_store(&ctx->refs, 0);
	pthread_mutex_lock(&table_lock);
	ctx->table_next = pool;
	pool = ctx;
	pthread_mutex_unlock(&table_lock);
}

/* Memory for a ring, all zero but refs (0: not yet live). */
static struct uring_ctx *ctx_memory(void)
{
	struct uring_ctx *ctx;
	size_t skip = offsetof(struct uring_ctx, fd);

	pthread_mutex_lock(&table_lock);
	ctx = pool;
	if (ctx)
		pool = ctx->table_next;
	pthread_mutex_unlock(&table_lock);
	if (!ctx) {
		/* Aligned, so the struct's per-thread cache-line groups hold. */
		ctx = aligned_alloc(_Alignof(struct uring_ctx), sizeof(*ctx));
		if (!ctx)
			return NULL;
		atomic_init(&ctx->refs, 0);
	}
	memset((char *)ctx + skip, 0, sizeof(*ctx) - skip);
	return ctx;
}

static struct uring_ctx *ctx_alloc(unsigned flags, const struct ring_sizes *sz)
{
	unsigned sq = sz->sq_entries, cq = sz->cq_entries;
	struct uring_ctx *ctx = ctx_memory();

	if (!ctx)
		return NULL;
	ctx->fd = -1;
	ctx->flags = flags;
	ctx->features = USER_FEATURES;
	ctx->sq_entries = sq;
	ctx->cq_entries = cq;
	ctx->sq_mask = sq - 1;
	ctx->cq_mask = cq - 1;
	ctx->sqe_shift = !!(flags & IORING_SETUP_SQE128);
	ctx->cqe_shift = !!(flags & IORING_SETUP_CQE32);
	ctx->disabled = flags & IORING_SETUP_R_DISABLED;
	pthread_mutex_init(&ctx->uring_lock, NULL);
	pthread_mutex_init(&ctx->completion_lock, NULL);
	pthread_mutex_init(&ctx->inflight_lock, NULL);
	pthread_mutex_init(&ctx->timeout_lock, NULL);
	pthread_mutex_init(&ctx->event_lock, NULL);
	pthread_mutex_init(&ctx->rsrc_lock, NULL);
	ctx->eventfd = -1;
	ctx->ready_fd = -1;
	ctx->clock = CLOCK_MONOTONIC;
	ctx->napi_mode = IO_URING_NAPI_TRACKING_INACTIVE;
	ctx->fork_gen = uring_fork_gen();
	if ((flags & IORING_SETUP_SINGLE_ISSUER) && !ctx->disabled)
		ctx->submitter = uring_task_id();
	return ctx;
}

static void table_insert(struct uring_ctx *ctx)
{
	static __u64 next_id;

	pthread_mutex_lock(&table_lock);
	ctx->id = ++next_id;
	ctx->table_next = table;
	table = ctx;
	/* Live, with the fd's reference; published with the id above. */
	atomic_store_explicit(&ctx->refs, CTX_LIVE | 1, memory_order_release);
	fd_map_set(ctx->fd, ctx);
	pthread_mutex_unlock(&table_lock);
}

static void table_remove(struct uring_ctx *ctx)
{
	pthread_mutex_lock(&table_lock);
	for (struct uring_ctx **pp = &table; *pp; pp = &(*pp)->table_next) {
		if (*pp == ctx) {
			*pp = ctx->table_next;
			break;
		}
	}
	fd_map_set(ctx->fd, NULL);
	/* No new lookups; the ones in progress still hold theirs. */
	atomic_fetch_and(&ctx->refs, ~CTX_LIVE);
	pthread_mutex_unlock(&table_lock);
}

struct uring_ctx *uring_ctx_get_if(struct uring_ctx *ctx, __u64 id)
{
	/* The id is read under our reference: a reused ring has a new one. */
	if (!ctx || !ctx_tryget(ctx))
		return NULL;
	if (ctx->id == id && !ctx->dying)
		return ctx;
	uring_ctx_put(ctx);
	return NULL;
}

/* Rings whose fd is past the map: the list, under its lock. */
static struct uring_ctx *ctx_get_listed(unsigned fd)
{
	struct uring_ctx *ctx;

	pthread_mutex_lock(&table_lock);
	for (ctx = table; ctx; ctx = ctx->table_next)
		if ((unsigned)ctx->fd == fd && !ctx->dying)
			break;
	if (ctx && !ctx_tryget(ctx))
		ctx = NULL;
	pthread_mutex_unlock(&table_lock);
	return ctx;
}

struct uring_ctx *uring_ctx_get(unsigned fd, int registered)
{
	_Atomic(struct uring_ctx *) *slot;
	struct uring_ctx *ctx;

	if (registered)
		return uring_tctx_lookup(fd);
	if (fd >= FD_CHUNK * FD_CHUNKS)
		return ctx_get_listed(fd);
	slot = fd_slot(fd);
	ctx = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
	if (!ctx || !ctx_tryget(ctx))
		return NULL;
	/* Still this fd's ring once referenced, so not torn down meanwhile. */
	if (atomic_load_explicit(slot, memory_order_acquire) == ctx &&
	    !ctx->dying)
		return ctx;
	uring_ctx_put(ctx);
	return NULL;
}

void uring_ctx_put(struct uring_ctx *ctx)
{
	atomic_fetch_sub(&ctx->refs, 1);
}

bool uring_stat_is_ring(int fd, const struct stat *st)
{
	struct uring_ctx *ctx;

	pthread_mutex_lock(&table_lock);
	for (ctx = table; ctx; ctx = ctx->table_next)
		if (ctx->dev == st->st_dev && ctx->ino == st->st_ino)
			break;
	pthread_mutex_unlock(&table_lock);
	if (ctx)
		return true;
	/*
	 * A kernel ring is an anonymous inode (no file type bits), and it
	 * answers a malformed UNREGISTER_EVENTFD with EINVAL where any other
	 * file gets EOPNOTSUPP.
	 */
	return (st->st_mode & S_IFMT) == 0 &&
	       kernel_io_uring_register((unsigned)fd, IORING_UNREGISTER_EVENTFD,
					(void *)1, 0) == -EINVAL;
}

/*
 * Our rings are memfds marked O_NONBLOCK and a kernel ring is an anonymous
 * file whose only flag is O_RDWR: other F_GETFL answers need no fstat.
 */
bool uring_flags_may_be_ring(long flags)
{
	return (flags & O_NONBLOCK) || flags == O_RDWR;
}

bool uring_fd_is_ring(int fd)
{
	struct stat st;

	return fd >= 0 && !fstat(fd, &st) && uring_stat_is_ring(fd, &st);
}

/* SQEs of rings torn down; live rings keep their own count. */
static atomic_ulong sqes_submitted_gone;

static void print_stats(void);

static void atexit_print_stats(void)
{
	atexit(print_stats);
}

static void print_stats(void)
{
	unsigned long n = atomic_load(&sqes_submitted_gone);

	pthread_mutex_lock(&table_lock);
	for (struct uring_ctx *ctx = table; ctx; ctx = ctx->table_next)
		n += __atomic_load_n(&ctx->sqes_submitted, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&table_lock);
	fprintf(stderr, "anyring: %lu SQEs submitted on the userspace backend\n",
		n);
}

/* With ANYRING_DEBUG, say at exit how much went through userspace rings. */
static void report_stats_at_exit(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (backend_debug_enabled())
		pthread_once(&once, atexit_print_stats);
}

static void user_exit(unsigned fd, int registered);

/* REGISTERED_FD_ONLY: no fd for the application, just a slot index. */
static int registered_only(struct uring_ctx *ctx)
{
	int slot = uring_tctx_register_new(ctx), fd = ctx->fd;

	if (slot < 0) {
		user_exit((unsigned)fd, 0);
		kernel_close(fd);
		return slot;
	}
	pthread_mutex_lock(&table_lock);
	fd_map_set(ctx->fd, NULL);
	ctx->fd = -1;
	pthread_mutex_unlock(&table_lock);
	backend_fd_detach(fd);
	kernel_close(fd);
	return slot;
}

static int setup_ring(unsigned entries, struct io_uring_params *p)
{
	struct ring_sizes sz;
	struct uring_ctx *ctx;
	struct stat st;
	int ret, array_off;

	ret = check_params(entries, p, &sz);
	if (ret)
		return ret;
	pthread_once(&table_fork_once, table_fork_watch);
	report_stats_at_exit();
	ctx = ctx_alloc(p->flags, &sz);
	if (!ctx)
		return -ENOMEM;
	ctx->fd = memfd_create("[io_uring]", MFD_CLOEXEC);
	if (ctx->fd < 0) {
		ret = -EMFILE;
		goto fail;
	}
	/* A mark uring_flags_may_be_ring sees; memfds ignore O_NONBLOCK. */
	fcntl(ctx->fd, F_SETFL, O_NONBLOCK);
	fstat(ctx->fd, &st);
	ctx->dev = st.st_dev;
	ctx->ino = st.st_ino;
	array_off = uring_ring_memory_map(ctx, p, &sz);
	if (array_off < 0) {
		ret = array_off;
		goto fail;
	}
	ret = shared_map(ctx);
	if (ret)
		goto fail;
	uring_ring_fields_init(ctx, (size_t)array_off);
	/* Like the kernel, charge the ring's own memory to RLIMIT_MEMLOCK. */
	if (!ctx->app_memory) {
		unsigned long pages = (ctx->rings_len + ctx->sqes_len) / 4096;

		ret = rsrc_account_pages(rsrc_memlock_exempt() ? 0 : pages);
		if (ret)
			goto fail;
		ctx->ring_pages = rsrc_memlock_exempt() ? 0 : pages;
	}
	ctx->wq = iowq_create(ctx);
	ctx->poll = poll_engine_create(ctx);
	if (!ctx->wq || !ctx->poll) {
		ret = -ENOMEM;
		goto fail;
	}
	if (ctx->flags & IORING_SETUP_SQPOLL) {
		ret = uring_sqpoll_start(ctx, p);
		if (ret)
			goto fail;
	}
	uring_ring_params_fill(ctx, p, (size_t)array_off);
	ret = backend_fd_attach(ctx->fd, &user_backend_ops);
	if (ret)
		goto fail_sqpoll;
	table_insert(ctx);
	uring_tctx_touch();
	if (ctx->flags & IORING_SETUP_REGISTERED_FD_ONLY)
		return registered_only(ctx);
	return ctx->fd;
fail_sqpoll:
	if (ctx->flags & IORING_SETUP_SQPOLL)
		uring_sqpoll_stop(ctx);
fail:
	if (ctx->fd >= 0)
		kernel_close(ctx->fd);
	ctx_free(ctx);
	return ret;
}

/*
 * The parameters are the caller's memory, copied in and out as the kernel
 * does, so a bad pointer is EFAULT rather than a fault here. Writing them
 * back first makes the copy out at the end one that cannot fail.
 */
static int user_setup(unsigned entries, struct io_uring_params *user_p)
{
	struct io_uring_params p;
	int ret;

	if (uring_copy_from_user(&p, user_p, sizeof(p)) ||
	    uring_copy_to_user(user_p, &p, sizeof(p)))
		return -EFAULT;
	ret = setup_ring(entries, &p);
	if (ret >= 0)
		memcpy(user_p, &p, sizeof(p));
	return ret;
}

/*
 * A forked child's exit of a ring it inherited: the requests, threads and
 * epoll set are the parent's, as are references its threads held at the
 * fork, so only this process's view goes, as the kernel drops one
 * reference. The copies stay until exit or exec (all close-on-exec).
 */
static void inherited_exit(struct uring_ctx *ctx)
{
	uring_tctx_forget(ctx);
	table_remove(ctx);
	if (ctx->fd >= 0)
		backend_fd_detach(ctx->fd);
	uring_ctx_put(ctx);
}

/* Cancel what is queued, let running work finish, then free the ring. */
static void user_exit(unsigned fd, int registered)
{
	struct uring_ctx *ctx = uring_ctx_get(fd, registered);

	if (!ctx)
		return;
	if (uring_ctx_inherited(ctx)) {
		inherited_exit(ctx);
		return;
	}
	uring_tctx_forget(ctx);
	pthread_mutex_lock(&ctx->uring_lock);
	ctx->dying = true;
	pthread_mutex_unlock(&ctx->uring_lock);
	table_remove(ctx);
	if (ctx->fd >= 0)
		backend_fd_detach(ctx->fd);
	if (ctx->flags & IORING_SETUP_SQPOLL)
		uring_sqpoll_stop(ctx);
	uring_ctx_put(ctx);
	/* Wait for enter/register calls still inside the ring. */
	while ((atomic_load(&ctx->refs) & ~CTX_LIVE) > 1)
		sched_yield();
	/*
	 * Workers first: what they still run may arm polls. Everything that
	 * issues from now on sees the ring dying and cancels itself.
	 */
	iowq_destroy(ctx->wq);
	ctx->wq = NULL;
	/* Waits in blocker threads are interrupted and cancelled. */
	blocking_destroy(ctx->blocking);
	ctx->blocking = NULL;
	poll_engine_destroy(ctx->poll);
	ctx->poll = NULL;
	/* Events the engine queued last: they cancel their requests now. */
	pthread_mutex_lock(&ctx->uring_lock);
	uring_events_run(ctx);
	uring_run_task_work(ctx);
	/* Chains still held back by a drain are released and cancelled. */
	uring_drain_kick(ctx);
	pthread_mutex_unlock(&ctx->uring_lock);
	kbuf_free_all(ctx);
	uring_mem_region_free(ctx);
	rsrc_free_all(ctx);
	if (ctx->eventfd >= 0)
		kernel_close(ctx->eventfd);
	uring_ready_release(ctx);
	uring_personality_free_all(ctx);
	free(ctx->napi_ids);
	atomic_fetch_add(&sqes_submitted_gone, ctx->sqes_submitted);
	ctx_free(ctx);
}

const struct anyring_ops user_backend_ops = {
	.kind = ANYRING_BACKEND_USER,
	.name = "user",
	.setup = user_setup,
	.enter = uring_enter,
	.register_op = uring_register,
	.exit = user_exit,
	.fd_closed = user_fd_closed,
	.poll_fd = uring_ready_poll_fd,
	.poll_prepare = uring_ready_refresh_all,
};
