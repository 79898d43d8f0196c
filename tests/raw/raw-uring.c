/* SPDX-License-Identifier: MIT */
/*
 * A program that talks to io_uring with system calls only, as fio, Rust's
 * io-uring crate and Go's packages do: no liburing, no anyring header.
 * It prints every answer it gets (return values, errno names, CQEs, data
 * read back); tests/raw/compare.sh runs it on the kernel and through the
 * emulation and compares the transcripts line by line.
 *
 *   raw-uring [syscall|asm]
 *   raw-uring nops syscall|asm [MS]       (for anyring bench)
 *
 * "syscall" makes the calls through the C library's syscall(), "asm" with
 * the instruction itself (the path the emulation's seccomp trap serves).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Headers older than Linux 6.5 call the offsets' user_addr resv2. */
#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14)
#define user_addr resv2
#endif

static bool use_asm;

static long raw_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;

	if (!use_asm) {
		ret = syscall(nr, a, b, c, d, e, f);
		return ret < 0 ? -errno : ret;
	}
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)raw_syscall(__NR_io_uring_setup, entries, (long)p, 0, 0, 0,
				0);
}

static int sys_enter(int fd, unsigned submit, unsigned min, unsigned flags,
		     const void *arg, size_t argsz)
{
	return (int)raw_syscall(__NR_io_uring_enter, fd, submit, min, flags,
				(long)arg, (long)argsz);
}

static int sys_register(int fd, unsigned op, const void *arg, unsigned nr)
{
	return (int)raw_syscall(__NR_io_uring_register, fd, op, (long)arg, nr,
				0, 0);
}

/* One answer: a value, or the errno's name. */
static void say(const char *what, long ret)
{
	if (ret < 0)
		printf("%s: %s\n", what, strerrorname_np((int)-ret));
	else
		printf("%s: %ld\n", what, ret);
}

enum map_style { MAP_SINGLE, MAP_SEPARATE, MAP_NONE };
static const char *const style_names[] = {"single mmap", "separate mmaps",
					  "no mmap"};

struct raw_ring {
	int fd;
	struct io_uring_params p;
	void *sq_ptr, *cq_ptr, *user_mem;
	size_t sq_len, cq_len, sqes_len;
	struct io_uring_sqe *sqes;
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

static void ring_pointers(struct raw_ring *r)
{
	char *sq = r->sq_ptr, *cq = r->cq_ptr;

	r->sq_tail = (unsigned *)(sq + r->p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + r->p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + r->p.sq_off.array);
	r->cq_head = (unsigned *)(cq + r->p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + r->p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + r->p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + r->p.cq_off.cqes);
}

/* With NO_MMAP the rings live in the program's memory: a page each. */
static int ring_open_no_mmap(struct raw_ring *r, unsigned entries)
{
	long page = sysconf(_SC_PAGESIZE);

	r->user_mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->user_mem == MAP_FAILED)
		return -errno;
	r->p.flags |= IORING_SETUP_NO_MMAP;
	r->p.cq_off.user_addr = (unsigned long)r->user_mem;
	r->p.sq_off.user_addr = (unsigned long)r->user_mem + page;
	r->fd = sys_setup(entries, &r->p);
	if (r->fd < 0)
		return r->fd;
	r->sq_ptr = r->cq_ptr = r->user_mem;
	r->sqes = (struct io_uring_sqe *)((char *)r->user_mem + page);
	ring_pointers(r);
	return 0;
}

static void *map_ring(int fd, size_t len, unsigned long long off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, (off_t)off);
}

static int ring_open(struct raw_ring *r, enum map_style style,
		     unsigned entries, unsigned flags)
{
	memset(r, 0, sizeof(*r));
	r->p.flags = flags;
	if (style == MAP_NONE)
		return ring_open_no_mmap(r, entries);
	r->fd = sys_setup(entries, &r->p);
	if (r->fd < 0)
		return r->fd;
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned);
	r->cq_len = r->p.cq_off.cqes +
		    r->p.cq_entries * sizeof(struct io_uring_cqe);
	if (style == MAP_SINGLE && (r->p.features & IORING_FEAT_SINGLE_MMAP)) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = 0;
	}
	r->sq_ptr = map_ring(r->fd, r->sq_len, IORING_OFF_SQ_RING);
	r->cq_ptr = r->cq_len ? map_ring(r->fd, r->cq_len, IORING_OFF_CQ_RING)
			      : r->sq_ptr;
	r->sqes_len = r->p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = map_ring(r->fd, r->sqes_len, IORING_OFF_SQES);
	if (r->sq_ptr == MAP_FAILED || r->cq_ptr == MAP_FAILED ||
	    r->sqes == MAP_FAILED)
		return -errno;
	ring_pointers(r);
	return 0;
}

static void ring_close(struct raw_ring *r)
{
	if (r->user_mem) {
		munmap(r->user_mem, 2 * sysconf(_SC_PAGESIZE));
	} else {
		if (r->cq_len)
			munmap(r->cq_ptr, r->cq_len);
		munmap(r->sq_ptr, r->sq_len);
		munmap(r->sqes, r->sqes_len);
	}
	close(r->fd);
}

/* The next SQE, cleared, already counted in the SQ tail. */
static struct io_uring_sqe *sqe_next(struct raw_ring *r)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return sqe;
}

/* Print and consume every CQE waiting. */
static void reap(struct raw_ring *r, const char *what)
{
	unsigned head = *r->cq_head;

	while (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
		struct io_uring_cqe *cqe = &r->cqes[head & *r->cq_mask];

		printf("%s: cqe user_data=%llu res=%d flags=0x%x\n", what,
		       (unsigned long long)cqe->user_data, cqe->res, cqe->flags);
		head++;
	}
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
}

/* Submit what is queued, wait for want CQEs, print them. */
static void submit_wait(struct raw_ring *r, unsigned n, unsigned want,
			const char *what)
{
	char label[96];

	snprintf(label, sizeof(label), "%s: enter", what);
	say(label, sys_enter(r->fd, n, want, IORING_ENTER_GETEVENTS, NULL, 0));
	reap(r, what);
}

static void setup_errors(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	say("setup 0 entries", sys_setup(0, &p));
	say("setup NULL params", sys_setup(8, NULL));
	say("setup 1<<20 entries", sys_setup(1U << 20, &p));
	p.resv[0] = 1;
	say("setup reserved field set", sys_setup(8, &p));
	memset(&p, 0, sizeof(p));
	p.flags = 1U << 31;
	say("setup unknown flag", sys_setup(8, &p));
}

static void mapping_style(enum map_style style)
{
	struct raw_ring r;
	struct io_uring_sqe *sqe;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "%s", style_names[style]);
	ret = ring_open(&r, style, 4, 0);
	say(what, ret);
	if (ret < 0)
		return;
	printf("%s: sq_entries=%u cq_entries=%u single_mmap=%d ext_arg=%d\n",
	       what, r.p.sq_entries, r.p.cq_entries,
	       !!(r.p.features & IORING_FEAT_SINGLE_MMAP),
	       !!(r.p.features & IORING_FEAT_EXT_ARG));
	sqe = sqe_next(&r);
	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = 100 + style;
	submit_wait(&r, 1, 1, what);
	ring_close(&r);
}

static int temp_file(void)
{
	char path[] = "/tmp/raw-uring-XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

/* I/O on fixed file 0 with registered buffer index (its user_data too). */
static void queue_fixed(struct raw_ring *r, __u8 opcode, void *buf,
			unsigned len, unsigned index)
{
	struct io_uring_sqe *sqe = sqe_next(r);

	sqe->opcode = opcode;
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->fd = 0;
	sqe->addr = (unsigned long)buf;
	sqe->len = len;
	sqe->buf_index = (__u16)index;
	sqe->user_data = index + 1;
}

/* Files and buffers registered with tags, used, replaced, unregistered. */
static void resources(struct raw_ring *r)
{
	static char bufs[2][4096] __attribute__((aligned(4096)));
	int file = temp_file(), files[2] = {file, -1};
	__u64 file_tags[2] = {0xf1, 0}, buf_tags[2] = {0xb1, 0xb2};
	struct iovec iov[2] = {{bufs[0], 4096}, {bufs[1], 4096}};
	struct io_uring_rsrc_register reg;
	struct io_uring_rsrc_update2 up;
	int empty = -1;

	memset(&reg, 0, sizeof(reg));
	reg.nr = 2;
	reg.data = (unsigned long)files;
	reg.tags = (unsigned long)file_tags;
	say("register files2 with tags",
	    sys_register(r->fd, IORING_REGISTER_FILES2, &reg, sizeof(reg)));
	say("register files again", sys_register(r->fd, IORING_REGISTER_FILES,
						 files, 2));
	reg.data = (unsigned long)iov;
	reg.tags = (unsigned long)buf_tags;
	say("register buffers2 with tags",
	    sys_register(r->fd, IORING_REGISTER_BUFFERS2, &reg, sizeof(reg)));

	strcpy(bufs[0], "through a fixed file and a fixed buffer");
	queue_fixed(r, IORING_OP_WRITE_FIXED, bufs[0], 40, 0);
	submit_wait(r, 1, 1, "write fixed");
	queue_fixed(r, IORING_OP_READ_FIXED, bufs[1], 4096, 1);
	submit_wait(r, 1, 1, "read fixed");
	printf("read back: %.40s\n", bufs[1]);

	/* Replacing slot 0 releases the file: its tag CQE follows. */
	memset(&up, 0, sizeof(up));
	up.offset = 0;
	up.data = (unsigned long)&empty;
	up.nr = 1;
	say("files update slot 0 to empty",
	    sys_register(r->fd, IORING_REGISTER_FILES_UPDATE2, &up, sizeof(up)));
	submit_wait(r, 0, 1, "file tag");
	say("unregister buffers",
	    sys_register(r->fd, IORING_UNREGISTER_BUFFERS, NULL, 0));
	submit_wait(r, 0, 2, "buffer tags");
	say("unregister buffers again",
	    sys_register(r->fd, IORING_UNREGISTER_BUFFERS, NULL, 0));
	say("unregister files",
	    sys_register(r->fd, IORING_UNREGISTER_FILES, NULL, 0));
	close(file);
}

static void waits(struct raw_ring *r)
{
	struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
	struct io_uring_getevents_arg arg = {.sigmask_sz = _NSIG / 8,
					     .ts = (unsigned long)&ts};
	unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;

	say("wait ext_arg timeout, nothing queued",
	    sys_enter(r->fd, 0, 1, flags, &arg, sizeof(arg)));
	say("wait ext_arg wrong size",
	    sys_enter(r->fd, 0, 1, flags, &arg, sizeof(arg) - 1));
	arg.sigmask_sz = 3;
	arg.sigmask = (unsigned long)&ts;
	say("wait ext_arg bad sigmask size",
	    sys_enter(r->fd, 0, 1, flags, &arg, sizeof(arg)));
}

static void bad_arguments(struct raw_ring *r)
{
	int pipefd[2];

	if (pipe(pipefd))
		return;
	say("register unknown opcode", sys_register(r->fd, 9999, NULL, 0));
	say("register on a pipe",
	    sys_register(pipefd[0], IORING_REGISTER_PROBE, NULL, 0));
	say("register on a closed fd",
	    sys_register(999, IORING_UNREGISTER_FILES, NULL, 0));
	say("register buffers from NULL",
	    sys_register(r->fd, IORING_REGISTER_BUFFERS, NULL, 1));
	say("register files, none", sys_register(r->fd, IORING_REGISTER_FILES,
						 pipefd, 0));
	say("unregister files, none",
	    sys_register(r->fd, IORING_UNREGISTER_FILES, NULL, 0));
	say("enter on a pipe", sys_enter(pipefd[0], 0, 0, 0, NULL, 0));
	say("enter on a closed fd", sys_enter(999, 0, 0, 0, NULL, 0));
	say("enter unknown flag", sys_enter(r->fd, 0, 0, 1U << 31, NULL, 0));
	close(pipefd[0]);
	close(pipefd[1]);
}

/* The ring fd registered, then entered by its index; and polled. */
static void ring_fd_uses(struct raw_ring *r)
{
	struct io_uring_rsrc_update up = {.offset = -1U, .data = (__u64)r->fd};
	struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
	struct io_uring_sqe *sqe;
	int ret;

	ret = sys_register(r->fd, IORING_REGISTER_RING_FDS, &up, 1);
	say("register ring fd", ret);
	say("poll, nothing queued", poll(&pfd, 1, 0));
	sqe = sqe_next(r);
	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = 7;
	say("enter by registered index",
	    sys_enter((int)up.offset, 1, 0, IORING_ENTER_REGISTERED_RING,
		      NULL, 0));
	say("poll, a CQE waiting", poll(&pfd, 1, 0));
	printf("revents: 0x%x\n", pfd.revents & POLLIN);
	reap(r, "registered index");
	say("unregister ring fd",
	    sys_register(r->fd, IORING_UNREGISTER_RING_FDS, &up, 1));
}

static volatile sig_atomic_t app_sigsys;

static void app_handler(int sig)
{
	(void)sig;
	app_sigsys++;
}

/*
 * The program's own SIGSYS handler and a mask that blocks SIGSYS: its
 * calls must still be served, and its handler still called.
 */
static void signals(void)
{
	struct sigaction act = {.sa_handler = app_handler}, old;
	sigset_t block, seen;
	struct raw_ring r;

	sigemptyset(&act.sa_mask);
	say("sigaction SIGSYS", sigaction(SIGSYS, &act, NULL));
	sigaction(SIGSYS, NULL, &old);
	printf("sigaction reads back the handler: %d\n",
	       old.sa_handler == app_handler);
	sigemptyset(&block);
	sigaddset(&block, SIGSYS);
	say("block SIGSYS", sigprocmask(SIG_BLOCK, &block, NULL));
	sigprocmask(SIG_BLOCK, NULL, &seen);
	printf("mask reads back SIGSYS: %d\n", sigismember(&seen, SIGSYS));
	say("ring with SIGSYS blocked", ring_open(&r, MAP_SINGLE, 4, 0));
	if (r.fd >= 0)
		ring_close(&r);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	raise(SIGSYS);
	printf("the program's handler ran: %d\n", (int)app_sigsys);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/*
 * For `anyring bench`: NOP round trips (one io_uring_enter each) for ms
 * milliseconds, printed as "ns_per_op N": what a call costs by each path.
 */
static int nop_loop(long ms)
{
	unsigned long n = 0;
	struct raw_ring r;
	double start, end;

	if (ring_open(&r, MAP_SINGLE, 8, 0) < 0)
		return 1;
	start = now_ns();
	end = start + ms * 1e6;
	do {
		for (int i = 0; i < 64; i++, n++) {
			sqe_next(&r)->opcode = IORING_OP_NOP;
			if (sys_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL,
				      0) != 1)
				return 1;
			__atomic_store_n(r.cq_head, *r.cq_head + 1,
					 __ATOMIC_RELEASE);
		}
	} while (now_ns() < end);
	printf("ns_per_op %.1f\n", (now_ns() - start) / (double)n);
	ring_close(&r);
	return 0;
}

int main(int argc, char **argv)
{
	struct raw_ring r;

	if (argc >= 3 && !strcmp(argv[1], "nops")) {
		use_asm = !strcmp(argv[2], "asm");
		return nop_loop(argc > 3 ? atol(argv[3]) : 100);
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "syscall") &&
			 strcmp(argv[1], "asm"))) {
		fprintf(stderr, "usage: raw-uring [syscall|asm]\n"
				"       raw-uring nops syscall|asm [MS]\n");
		return 2;
	}
	use_asm = argc == 2 && !strcmp(argv[1], "asm");
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_errors();
	for (int s = MAP_SINGLE; s <= MAP_NONE; s++)
		mapping_style((enum map_style)s);
	if (ring_open(&r, MAP_SEPARATE, 8, 0) < 0)
		return 1;
	resources(&r);
	waits(&r);
	bad_arguments(&r);
	ring_fd_uses(&r);
	ring_close(&r);
	signals();
	return 0;
}
