/* SPDX-License-Identifier: MIT */
/*
 * The userspace backend: a model of Linux's io_uring inside the library.
 *
 * One struct uring_ctx per ring; one struct uring_req per request. Files
 * split by concern as the kernel's io_uring/ is: ctx.c (set-up, lookup,
 * teardown), submit.c (SQ consumption, init checks, links, drain),
 * complete.c (CQEs, overflow, request completion), wait.c (GETEVENTS),
 * iowq.c (worker pool), poll.c (poll engine and timers), opdef.c (the
 * opcode table) and op_*.c (the operations).
 *
 * Locks, outermost first: ctx->uring_lock (submission, register), then
 * ctx->completion_lock (CQ and overflow), then the engines' own locks.
 */
#ifndef ANYRING_USER_H
#define ANYRING_USER_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "backend.h"
#include "liburing.h"

/*
 * The backend models Linux 6.18: its opcodes, register operations and query
 * operations end where 6.18's do, whatever newer ones the public header
 * names, so it answers newer ones as 6.18 does (EINVAL, EOPNOTSUPP).
 */
#define URING_OP_LAST (IORING_OP_PIPE + 1)
#define URING_REGISTER_LAST (IORING_REGISTER_QUERY + 1)
#define URING_QUERY_LAST (IO_URING_QUERY_OPCODES + 1)

struct uring_ctx;
struct uring_req;
struct iowq;
struct poll_engine;
struct blocking;

/* What an operation's issue function did with the request. */
enum issue_result {
	ISSUE_DONE,     /* req->res (and cflags) hold the result */
	ISSUE_POLL,     /* would block: retry when req->poll_mask is ready */
	ISSUE_PUNT,     /* would block on a non-pollable file: use a worker */
	ISSUE_QUEUED,   /* the op keeps the request (timeouts, polls) */
};

/* issue flags */
enum {
	ISSUE_NONBLOCK = 1, /* must not block (inline or poll retry) */
};

struct uring_op {
	const char *name;
	/* Validate the SQE and copy what the op needs; 0 or -errno. */
	int (*prep)(struct uring_req *req, const struct io_uring_sqe *sqe);
	enum issue_result (*issue)(struct uring_req *req, unsigned flags);
	/* Called when the request is cancelled while queued by the op. */
	void (*cancel)(struct uring_req *req);
	unsigned needs_file : 1;     /* sqe->fd names a file */
	unsigned buffer_select : 1;  /* IOSQE_BUFFER_SELECT allowed */
	unsigned ioprio : 1;         /* sqe->ioprio allowed */
	unsigned unbound_nonreg : 1; /* blocking use goes to unbound workers */
	unsigned poll_in : 1, poll_out : 1;
	unsigned supported : 1;      /* implemented by this backend */
	/* Its issue may hand the request to another thread (timers). */
	unsigned queues_itself : 1;
	/* In a worker, its issue calls iowq_worker_may_block() to block. */
	unsigned reports_blocking : 1;
	/* Allowed on IORING_SETUP_IOPOLL rings (others: EINVAL at init). */
	unsigned iopoll : 1;
};

extern const struct uring_op uring_ops[URING_OP_LAST];

/* CQEs a submission batch holds before it posts them (uring_ctx). */
#define DEFER_CQES 32

/* A request. Lives from submission until its CQE (and link) are done. */
struct uring_req {
	/* Set for every request before its SQE is checked (not zeroed). */
	struct uring_ctx *ctx;
	__u64 user_data;
	__u8 opcode;
	__u8 flags; /* IOSQE_* */
	__u16 ioprio;
	int fd;     /* the file, resolved at issue; -1 if none */
	/* Operands copied at prep (SUBMIT_STABLE). */
	__u64 off, addr, addr3;
	__u32 len, op_flags, file_index;
	__u16 buf_index, personality;
	int orig_fd;       /* sqe->fd as submitted, for cancel matching */

	/* Everything from here on starts zeroed. */
	_Alignas(16) __s32 res;
	__u32 cflags;
	__u64 addr2;
	__s32 splice_fd_in;
	struct iovec *iov; /* owned copy for vectored I/O */
	unsigned nr_iov;
	void *op_data;     /* op-owned copy (msghdr, open_how, paths) */
	__u32 done_io;     /* bytes already moved by a partial transfer */
	/* A provided buffer taken with IOSQE_BUFFER_SELECT. */
	void *kbuf_addr;
	__u32 kbuf_len;
	__u16 kbuf_bid, kbuf_bgid;
	bool has_kbuf;
	__u8 kbuf_state;   /* enum kbuf_state: where the buffer came from */
	bool kbuf_more;    /* incremental, committed early: some is left */
	struct __kernel_timespec ts; /* timeouts */
	/* Links: the next request runs after this one. */
	struct uring_req *link;
	struct uring_req *link_timeout; /* armed LINK_TIMEOUT, if any */
	struct uring_req *timeout_target; /* for a LINK_TIMEOUT: its request */
	bool failed;          /* fails the rest of its link */
	bool lt_armed;        /* its link timeout's timer is running */
	bool cancelled;
	bool async;           /* completed away from the submitter */
	bool skip_cqe;
	bool big_cqe;         /* its CQE carries cqe_extra (CQE32 rings) */
	/*
	 * A negative res that does not fail the request: its link goes on
	 * and CQE_SKIP_SUCCESS still skips its CQE, as for the kernel's ops
	 * that set a result without marking the request failed.
	 */
	bool res_no_fail;
	/*
	 * SEND_ZC and SENDMSG_ZC: the request's CQE says MORE, and a
	 * notification CQE (IORING_CQE_F_NOTIF, this res) follows it.
	 */
	bool zc_notif;
	__s32 zc_notif_res;
	__u64 cqe_extra[2];
	/* Engine state. */
	unsigned poll_mask;   /* events a poll retry waits for */
	bool poll_multishot;  /* POLL_ADD multishot: stays armed */
	__u64 poll_id;        /* the engine's handle while armed */
	/* Waiting on its fixed file's standing entry (poll_watch.h). */
	bool poll_watched;
	unsigned watch_seq;   /* the file's poll_seq before the attempt */
	struct uring_req *watch_next;
	struct timespec deadline;
	clockid_t clock;
	unsigned timeout_count, timeout_target_seq;
	struct uring_req *next; /* queue linkage (engine-owned) */
	struct uring_req *tw_next; /* deferred link work */
	bool tw_fail;           /* ...fail the chain rather than issue it */
	/* An engine event waiting to run in the submitter's context. */
	struct uring_req *event_next;
	bool event_queued;
	bool event_timer;       /* a timer fired (else poll readiness) */
	bool event_woken;       /* a wakeup that took it off the engine */
	unsigned event_revents;
	bool drained;           /* waits in the drain queue */
	int owned_fd;           /* dup of fd held while the request is async */
	struct rsrc_node *file_node; /* a fixed file this request holds */
	struct rsrc_node *buf_node;  /* a fixed buffer this request holds */
	bool inflight;          /* counted in ctx->nr_inflight */
	struct uring_req *free_next; /* on a request cache */
};

struct cqe_overflow;
struct rsrc_node;
struct personality_table;

/* A thread's filesystem ids and groups, saved around a personality. */
struct uring_creds {
	unsigned fsuid, fsgid;
	int ngroups;
	unsigned groups[256];
};

/* A table of registered resources (rsrc.c, filetable.c). */
struct rsrc_table {
	struct rsrc_node **nodes;
	unsigned nr;
};

struct file_table {
	struct rsrc_node ***chunks; /* slots in chunks, NULL until used */
	unsigned nr;
	unsigned long *bitmap; /* occupied slots */
	unsigned alloc_start, alloc_end, alloc_hint;
};

/*
 * Futex words in a page of the ring's memfd, so every process mapping the
 * ring shares them: a forked child sleeps on the words the parent's
 * threads bump and wake (waited on and woken as shared futexes), as the
 * kernel's waiters all sleep on the one ring.
 */
struct uring_shared {
	_Alignas(64) atomic_uint cq_events; /* bumped per post */
	atomic_uint cq_waiters;             /* sleepers on it, any process */
	_Alignas(64) atomic_uint sq_wakeups; /* SQPOLL thread's wake-ups */
};

struct uring_ctx {
	/*
	 * Lookups in progress, plus one for the fd, plus CTX_LIVE while the
	 * ring can be looked up. First, and never cleared by ctx_alloc: a
	 * ring's memory is reused but never freed (ctx.c), so a lookup racing
	 * with teardown may still test this word.
	 */
	atomic_uint refs;
	int fd;              /* the ring's fd: a memfd (-1 once closed) */
	__u64 id;            /* unique, for registered-ring slots */
	dev_t dev;
	ino_t ino;
	unsigned flags;      /* IORING_SETUP_* */
	unsigned features;
	unsigned sq_entries, cq_entries;
	unsigned sq_mask, cq_mask;
	unsigned cqe_shift, sqe_shift;

	/* Our view of the shared memory. */
	void *rings;
	size_t rings_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	bool app_memory;     /* NO_MMAP: the application owns it */
	unsigned *sq_head, *sq_tail, *sq_flags, *sq_dropped, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_flags, *cq_overflow;
	struct io_uring_cqe *cqes;
	struct uring_shared *shared; /* a page of the memfd, never moved */
	/* uring_fork_gen() at setup: another value means a forked child's. */
	unsigned fork_gen;
	atomic_bool dying;   /* read on every issue, written once */

	/*
	 * The groups below are written by different threads (submitter,
	 * posting workers, waiters), each on its own cache line so that one
	 * side's writes do not evict the line the other side is using.
	 */
	_Alignas(64) pthread_mutex_t uring_lock;
	atomic_bool disabled; /* R_DISABLED and not yet enabled */
	atomic_int submitter; /* SINGLE_ISSUER owner's task id, 0: none yet */
	bool skip_cqe_used;  /* CQE_SKIP_SUCCESS seen: drain is refused */
	unsigned long sqes_submitted; /* for ANYRING_DEBUG's report */

	_Alignas(64) pthread_mutex_t completion_lock;
	struct cqe_overflow *overflow_head, *overflow_tail;
	/* Waiters polling in the engine's place (this process's engine). */
	_Alignas(64) atomic_uint cq_poll_waiters;
	unsigned cq_posted;     /* CQEs posted, for counted timeouts */
	/*
	 * Threads between posting CQEs and letting go of those requests'
	 * files and buffers (complete.c); unregistering waits for none.
	 */
	atomic_uint releasing;

	/* Requests a drain must wait for, and the chains it holds back. */
	_Alignas(64) pthread_mutex_t inflight_lock;
	atomic_uint nr_inflight;
	struct uring_req *drain_head, *drain_tail; /* held back by a drain */

	/*
	 * CQEs of the running submission batch, posted together when it ends
	 * (the kernel's deferred completions): one lock and one wake-up.
	 */
	struct io_uring_cqe defer_cqes[DEFER_CQES];
	unsigned nr_defer;
	/* Freed requests for reuse: by the submitter, and by other threads. */
	struct uring_req *req_cache;
	_Alignas(64) _Atomic(struct uring_req *) req_free_remote;

	/* Timeouts: LINK_TIMEOUT <-> target pairing, counted timeouts. */
	_Alignas(64) pthread_mutex_t timeout_lock;
	struct uring_req *count_timeouts; /* linked by tw_next */
	unsigned cq_timeouts;             /* CQEs posted by timeouts */

	/*
	 * Engine events (poll readiness, timer expiry) run like the kernel's
	 * task work: under uring_lock, at the end of a submission batch if
	 * one is running, else right away on the engine's thread.
	 */
	pthread_mutex_t event_lock;
	struct uring_req *event_head, *event_tail;
	atomic_bool events_pending;

	/* Link work deferred to the end of the submission batch. */
	struct uring_req *tw_head, *tw_tail;

	struct iowq *wq;
	struct poll_engine *poll;
	/* Requests waiting in threads of their own (blocking.c), or NULL. */
	struct blocking *blocking;

	/* Registered files and buffers (rsrc.c, filetable.c). */
	pthread_mutex_t rsrc_lock;
	struct file_table file_table;
	struct rsrc_table buf_table;
	unsigned long ring_pages; /* ring memory charged to RLIMIT_MEMLOCK */

	struct personality_table *personalities;

	/* REGISTER_RESTRICTIONS, in force once the ring is enabled. */
	bool restrictions_registered, restricted;
	unsigned char allowed_register_ops[(URING_REGISTER_LAST + 7) / 8];
	unsigned char allowed_sqe_ops[(URING_OP_LAST + 7) / 8];
	__u8 sqe_flags_allowed, sqe_flags_required;

	/* REGISTER_MEM_REGION (region.c). */
	bool has_region;
	void *region_map;    /* our memory for the region, if we gave it */
	size_t region_len;
	void *wait_region;   /* REG_WAIT_ARG: io_uring_reg_wait entries */
	size_t wait_region_size;

	int eventfd;         /* registered eventfd (our dup), or -1 */
	/* ready.c: the eventfd polled in the ring fd's place, or -1. */
	int ready_fd;
	bool ready_set;      /* signalled and not drained since */
	struct uring_ctx *ready_next;
	bool eventfd_async;
	clockid_t clock;     /* REGISTER_CLOCK: waits' clock */
	/* REGISTER_NAPI settings (no busy polling is done here). */
	__u32 napi_busy_poll_to;
	bool napi_prefer;
	__u8 napi_mode;
	__u32 *napi_ids;
	unsigned napi_nr;

	/* SQPOLL */
	pthread_t sq_thread;
	bool sq_thread_running;
	atomic_bool sq_thread_stop;
	unsigned sq_thread_idle_ms;

	struct uring_ctx *table_next;
};

/* ctx.c */
extern const struct anyring_ops user_backend_ops;
struct uring_ctx *uring_ctx_get(unsigned fd, int registered);
/* Map len bytes of the ring memfd at off (growing it), or NULL. */
void *uring_memfd_map(struct uring_ctx *ctx, off_t off, size_t len);
struct ring_sizes;
/* Ring memory for ctx's sizes and flags: the SQ array's offset or -errno. */
int uring_ring_memory_map(struct uring_ctx *ctx, struct io_uring_params *p,
			  const struct ring_sizes *sz);
void uring_ring_fields_init(struct uring_ctx *ctx, size_t array_off);
void uring_ring_params_fill(const struct uring_ctx *ctx,
			    struct io_uring_params *p, size_t array_off);
/* resize.c */
int uring_resize_rings(struct uring_ctx *ctx, const void *arg, unsigned nr);
void uring_ctx_put(struct uring_ctx *ctx);
bool uring_fd_is_ring(int fd);
/* False when a descriptor with these F_GETFL flags cannot be a ring. */
bool uring_flags_may_be_ring(long flags);
struct stat;
bool uring_stat_is_ring(int fd, const struct stat *st);

/* submit.c */
/* The ring whose submission batch this thread is running, if any. */
extern __thread struct uring_ctx *uring_submitting
	__attribute__((tls_model("initial-exec")));
int uring_submit_sqes(struct uring_ctx *ctx, unsigned to_submit);
void uring_req_issue(struct uring_req *req, unsigned flags);
/* Issue (or fail) the rest of a chain after its predecessor completed. */
void uring_link_continue(struct uring_req *next, bool fail);
void uring_run_task_work(struct uring_ctx *ctx);
void uring_drain_kick(struct uring_ctx *ctx);
int uring_enter(unsigned fd, unsigned to_submit, unsigned min_complete,
		unsigned flags, const void *arg, size_t argsz);
/* SINGLE_ISSUER: whether the calling task may submit (and register). */
bool uring_is_submitter(struct uring_ctx *ctx);

/* ready.c: the ring fd's poll readiness (an eventfd in its place) */
int uring_ready_fd(struct uring_ctx *ctx);
void uring_ready_signal_locked(struct uring_ctx *ctx);
void uring_ready_refresh(struct uring_ctx *ctx);
void uring_ready_refresh_all(void);
void uring_ready_release(struct uring_ctx *ctx);
/* The fd to poll for a ring fd (refreshed), or -1 if fd is no ring. */
int uring_ready_poll_fd(unsigned fd);

/* sqpoll.c */
int uring_sqpoll_start(struct uring_ctx *ctx, const struct io_uring_params *p);
void uring_sqpoll_stop(struct uring_ctx *ctx);
void uring_sqpoll_wake(struct uring_ctx *ctx);

/* tctx.c: this thread's registered ring fds */
/* The calling task (thread) as the kernel tells them apart: its tid. */
pid_t uring_task_id(void);
/* For ctx->fork_gen; watches for forks from the first call on. */
unsigned uring_fork_gen(void);
/*
 * A ring this process got from its parent by fork(): the ring's memory is
 * shared, but its engine threads (poll, workers, SQPOLL) are the parent's.
 */
bool uring_ctx_inherited(const struct uring_ctx *ctx);
void uring_tctx_touch(void);
struct uring_ctx *uring_tctx_lookup(unsigned index);
int uring_tctx_lookup_error(unsigned index);
int uring_register_ring_fds(const void *arg, unsigned nr);
int uring_unregister_ring_fds(const void *arg, unsigned nr);
void uring_tctx_forget(struct uring_ctx *ctx);
int uring_tctx_register_new(struct uring_ctx *ctx);
/* A reference on ctx if it is still the live ring with this id, or NULL. */
struct uring_ctx *uring_ctx_get_if(struct uring_ctx *ctx, __u64 id);

/* eventfd.c */
void uring_eventfd_worker_thread(void);
int uring_eventfd_register(struct uring_ctx *ctx, const void *arg, unsigned nr,
			   bool async);
int uring_eventfd_unregister(struct uring_ctx *ctx, const void *arg,
			     unsigned nr);
void uring_eventfd_signal(struct uring_ctx *ctx);

/* napi.c: NAPI and clock settings; query.c */
int uring_napi_register(struct uring_ctx *ctx, void *arg, unsigned nr);
int uring_napi_unregister(struct uring_ctx *ctx, void *arg, unsigned nr);
int uring_clock_register(struct uring_ctx *ctx, const void *arg, unsigned nr);
int uring_query(const void *arg, unsigned nr);

int uring_send_msg_ring_blind(const void *arg, unsigned nr);

/* personality.c */
int uring_personality_register(struct uring_ctx *ctx, const void *arg,
			       unsigned nr);
int uring_personality_unregister(struct uring_ctx *ctx, const void *arg,
				 unsigned id);
bool uring_personality_known(struct uring_ctx *ctx, unsigned id);
void uring_personality_free_all(struct uring_ctx *ctx);
int uring_personality_enter(struct uring_req *req, struct uring_creds *saved);
void uring_personality_leave(struct uring_creds *saved);

/* iowq_ctl.c */
int uring_iowq_aff_register(struct uring_ctx *ctx, const void *arg,
			    unsigned nr);
int uring_iowq_aff_unregister(struct uring_ctx *ctx, const void *arg,
			      unsigned nr);
int uring_iowq_max_workers(struct uring_ctx *ctx, void *arg, unsigned nr);

/* region.c */
int uring_mem_region_register(struct uring_ctx *ctx, const void *arg,
			      unsigned nr);
void uring_mem_region_free(struct uring_ctx *ctx);
/* The wait argument at byte offset arg, or NULL if outside the region. */
const struct io_uring_reg_wait *uring_wait_region_entry(struct uring_ctx *ctx,
							const void *arg);

/* restrict.c */
int uring_restrictions_register(struct uring_ctx *ctx, const void *arg,
				unsigned nr);
bool uring_register_allowed(const struct uring_ctx *ctx, unsigned opcode);
bool uring_sqe_allowed(const struct uring_ctx *ctx, __u8 opcode, __u8 flags);

/* register.c */
int uring_register(unsigned fd, unsigned opcode, const void *arg,
		   unsigned nr_args);
bool uring_register_op_supported(unsigned opcode);

/* complete.c */
void uring_post_cqe(struct uring_ctx *ctx, __u64 user_data, __s32 res,
		    __u32 cflags);
/* Post the CQEs the running submission batch deferred. */
void uring_flush_deferred(struct uring_ctx *ctx);

/* uring_post_cqe() from the submission batch: it posts at the batch's end. */
static inline void uring_defer_cqe(struct uring_ctx *ctx, __u64 user_data,
				   __s32 res, __u32 cflags)
{
	struct io_uring_cqe *cqe;

	if (ctx->nr_defer == DEFER_CQES)
		uring_flush_deferred(ctx);
	cqe = &ctx->defer_cqes[ctx->nr_defer++];
	cqe->user_data = user_data;
	cqe->res = res;
	cqe->flags = cflags;
}
void uring_req_complete(struct uring_req *req, __s32 res, __u32 cflags);
/*
 * A multishot's CQE, with IORING_CQE_F_MORE, posted now if the CQ has room
 * and nothing waits in overflow; false if not, as the kernel's
 * io_req_post_cqe: the caller then ends the request with this CQE.
 */
bool uring_req_post_more(struct uring_req *req, __s32 res, __u32 cflags);
/*
 * A worker's completions on ctx, held until it runs out of queued work,
 * is about to block, or has a batch full: one lock and one wake-up for
 * the batch. It lives on the worker's stack.
 */
#define WORKER_BATCH 16
struct uring_complete_batch {
	struct uring_ctx *ctx;
	unsigned nr;
	struct uring_req *reqs[WORKER_BATCH];
};
void uring_complete_batch_start(struct uring_complete_batch *b,
				struct uring_ctx *ctx);
void uring_complete_batch_flush(void);
bool uring_complete_batch_held(void);
void uring_flush_overflow(struct uring_ctx *ctx);
void uring_req_free(struct uring_req *req);
/*
 * Wait until every request whose CQE is out has let go of its files and
 * buffers, as the kernel's have once uring_lock is ours.
 */
void uring_release_wait(struct uring_ctx *ctx);
void uring_inflight_add(struct uring_req *req);
/* Free the request caches (teardown). */
void uring_req_cache_free(struct uring_ctx *ctx);
unsigned uring_cq_ready(struct uring_ctx *ctx);

/* wait.c */
int uring_wait_cqes(struct uring_ctx *ctx, unsigned min_complete,
		    unsigned flags, const void *arg, size_t argsz);
/* Sleep until a CQE is posted after seen, ETIME or EINTR. */
int uring_cq_wait_event(struct uring_ctx *ctx, unsigned seen,
			const struct timespec *deadline);

/* iowq.c */
struct iowq *iowq_create(struct uring_ctx *ctx);
void iowq_destroy(struct iowq *wq);
void iowq_enqueue(struct iowq *wq, struct uring_req *req, bool bounded);
/* IOSQE_ASYNC work: within a submission batch, queued at its end. */
void iowq_enqueue_async(struct iowq *wq, struct uring_req *req, bool bounded);
/* Queue the batch's IOSQE_ASYNC work; a no-op outside the ring's batch. */
void iowq_submit_batch(struct iowq *wq);
/* A worker is about to block: another may run the queued work meanwhile. */
void iowq_worker_may_block(void);
/* Requests queued or running (while few, a completion is near). */
unsigned iowq_busy(struct iowq *wq);
/* Dequeue queued (not running) requests that match; returns a list. */
struct uring_req *iowq_take(struct iowq *wq,
			    bool (*match)(struct uring_req *, void *), void *arg);
void iowq_set_affinity(struct iowq *wq, const cpu_set_t *set);
/* Sets each non-zero limit; old[] receives the limits before. */
void iowq_set_max_workers(struct iowq *wq, const unsigned max[2],
			  unsigned old[2]);
/* Whether a matching request is running in a worker right now. */
bool iowq_running(struct iowq *wq, bool (*match)(struct uring_req *, void *),
		  void *arg);

/* cancel.c: matching requests by user_data, fd, opcode, or any. */
#define CANCEL_FLAGS                                                           \
	(IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD |                    \
	 IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD_FIXED |              \
	 IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP)
struct cancel_match {
	__u64 data;
	int fd;
	__u8 opcode;
	unsigned flags; /* IORING_ASYNC_CANCEL_* */
	struct uring_req *self;
	struct rsrc_node *node; /* FD_FIXED: the fixed file to match */
	unsigned taken; /* matches taken so far (one without ALL/ANY) */
};
bool uring_cancel_matches(struct uring_req *req, void *arg);
/* Cancel matches (all of them with ALL/ANY): count, -ENOENT, -EALREADY.
 * The cancelled requests are returned to complete after the caller's CQE. */
int uring_cancel(struct uring_ctx *ctx, struct cancel_match *cm,
		 struct uring_req **cancelled);
void uring_complete_cancelled(struct uring_req *list);
/* REGISTER_SYNC_CANCEL; called with ctx->uring_lock held. */
int uring_sync_cancel(struct uring_ctx *ctx, const void *arg, unsigned nr);

/* op_timeout.c */
void uring_count_timeouts_check(struct uring_ctx *ctx);
void uring_link_timeout_arm(struct uring_req *lt);

/* poll.c */
struct poll_engine *poll_engine_create(struct uring_ctx *ctx);
void poll_engine_destroy(struct poll_engine *pe);
/* Wait for req->poll_mask on req->fd, then issue again (nonblocking). */
void poll_engine_arm(struct poll_engine *pe, struct uring_req *req);
/* A fixed file's node is going: drop its standing epoll entry. */
void poll_engine_unwatch(struct poll_engine *pe, struct rsrc_node *node);
/* Complete req with -ETIME (or its op's timeout action) at its deadline. */
void poll_engine_add_timer(struct poll_engine *pe, struct uring_req *req);
/* Timer expiry and poll readiness, run as task work (see events.c). */
void uring_timer_fire(struct uring_req *req);
void uring_poll_ready(struct uring_req *req, unsigned revents);

/* events.c */
void uring_event_post(struct uring_req *req, bool timer, unsigned revents);
/*
 * Queue the event without running it: for callers holding the engine's
 * lock (a request still armed cannot be cancelled and freed meanwhile),
 * which call uring_events_try_run() once they have let go.
 */
void uring_event_queue(struct uring_req *req, bool timer, unsigned revents);
/*
 * Queue the wakeup of a request the engine no longer holds (the caller
 * took it off): until it runs, a cancel may still take it.
 */
void uring_event_queue_woken(struct uring_req *req, unsigned revents);
/* Forget a queued event of a request being cancelled; lock order: ok. */
void uring_event_forget(struct uring_req *req);
/*
 * Take the requests woken but not yet run that match (as a list on
 * ->next): a cancel wins over a pending wakeup, as the kernel's does.
 */
struct uring_req *uring_events_take_woken(struct uring_ctx *ctx,
					  bool (*match)(struct uring_req *,
							void *),
					  void *arg);
/* Run queued events; the caller holds uring_lock. */
void uring_events_run(struct uring_ctx *ctx);
/* Run queued events if nobody holds uring_lock (never blocks on it). */
void uring_events_try_run(struct uring_ctx *ctx);

/* Remove a queued request; true if it was found (and now belongs to us). */
bool poll_engine_remove(struct poll_engine *pe, struct uring_req *req);
/* Requests matching the predicate are removed and returned as a list. */
struct uring_req *poll_engine_take(struct poll_engine *pe,
				   bool (*match)(struct uring_req *, void *),
				   void *arg);
void poll_engine_kick(struct poll_engine *pe);
/*
 * Wait for a CQE by polling in the engine's place: 0 after events, a
 * timeout or a CQE, -EINTR, or 1 if it cannot (the caller sleeps instead).
 */
int poll_engine_wait(struct poll_engine *pe, unsigned seen,
		     const struct timespec *deadline);
/* Wake the waiter polling in the engine's place (a CQE was posted). */
void poll_engine_wake_waiter(struct poll_engine *pe);

/* time helpers */
void uring_timespec_add_ns(struct timespec *t, long long ns);
/* <0, 0 or >0 as a is before, at or after b. */
int uring_timespec_cmp(const struct timespec *a, const struct timespec *b);
/* Busy-wait up to ns for ready(arg); true if it became ready. */
bool uring_spin_until(bool (*ready)(const void *), const void *arg,
		      long long ns);
int uring_timespec_to_deadline(const struct __kernel_timespec *ts, bool abs,
			       clockid_t clock, struct timespec *deadline);

#endif
