/* SPDX-License-Identifier: MIT */
/*
 * Reads and writes: READ, WRITE, READV, WRITEV. The first attempt never
 * blocks (RWF_NOWAIT); a pollable file that would block waits in the poll
 * engine, a regular file goes to a bounded worker, which then blocks.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kbuf.h"
#include "kernel/syscall.h"
#include "rsrc.h"
#include "uaccess.h"
#include "user.h"

#define MAX_RW_COUNT (INT_MAX & ~4095L)
#define RWF_VALID (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)

/* Whether the block device dev_t has polled queues (sysfs' io_poll). */
static bool device_polls(dev_t dev)
{
	char path[80], c = '0';
	int fd;

	/* A partition's queue is its disk's, one directory up. */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/io_poll",
		 major(dev), minor(dev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path),
			 "/sys/dev/block/%u:%u/../queue/io_poll", major(dev),
			 minor(dev));
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

/*
 * Whether I/O on this file can be polled (IORING_SETUP_IOPOLL): it needs
 * O_DIRECT, a block device or a file of a filesystem whose direct I/O
 * polls, and a device with polled queues; 6.18 fails the I/O with
 * EOPNOTSUPP otherwise.
 */
static bool file_polls(int fd)
{
	struct statfs fs;
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || !(fl & O_DIRECT) || fstat(fd, &st))
		return false;
	if (S_ISBLK(st.st_mode))
		return device_polls(st.st_rdev);
	if (!S_ISREG(st.st_mode) || fstatfs(fd, &fs))
		return false;
	switch ((unsigned long)fs.f_type) {
	case EXT4_SUPER_MAGIC: /* also ext2 and ext3 */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
		return device_polls(st.st_dev);
	default:
		return false;
	}
}

static bool is_vectored(const struct uring_req *req)
{
	return req->opcode == IORING_OP_READV || req->opcode == IORING_OP_WRITEV ||
	       req->opcode == IORING_OP_READV_FIXED ||
	       req->opcode == IORING_OP_WRITEV_FIXED;
}

static bool is_read(const struct uring_req *req)
{
	return req->opcode == IORING_OP_READ || req->opcode == IORING_OP_READV ||
	       req->opcode == IORING_OP_READ_MULTISHOT ||
	       req->opcode == IORING_OP_READ_FIXED ||
	       req->opcode == IORING_OP_READV_FIXED;
}

static bool is_fixed(const struct uring_req *req)
{
	return req->opcode == IORING_OP_READ_FIXED ||
	       req->opcode == IORING_OP_WRITE_FIXED ||
	       req->opcode == IORING_OP_READV_FIXED ||
	       req->opcode == IORING_OP_WRITEV_FIXED;
}

/*
 * Import the registered buffer a *_FIXED request names, as the kernel
 * does at issue: every range must lie inside it, or -EFAULT.
 */
static int import_fixed(struct uring_req *req, struct iovec *one,
			struct iovec **iov, int *nr)
{
	if (!req->buf_node) {
		req->buf_node = rsrc_buffer_get(req->ctx, req->buf_index);
		if (!req->buf_node)
			return -EFAULT;
	}
	if (is_vectored(req)) {
		for (unsigned i = 0; i < req->nr_iov; i++)
			if (!req->iov[i].iov_len ||
			    !rsrc_buffer_covers(req->buf_node,
				       (uintptr_t)req->iov[i].iov_base,
				       req->iov[i].iov_len))
				return -EFAULT;
		*iov = req->iov;
		*nr = (int)req->nr_iov;
		return 0;
	}
	if (req->len > MAX_RW_COUNT ||
	    !rsrc_buffer_covers(req->buf_node, req->addr, req->len))
		return -EFAULT;
	one->iov_base = (void *)(uintptr_t)req->addr;
	one->iov_len = req->len;
	*iov = one;
	*nr = 1;
	return 0;
}

/*
 * A vectored read with a provided buffer names one iovec, whose length is
 * the most to read into the buffer picked at issue (its base is unused).
 */
static int buffer_select_iov_prep(struct uring_req *req)
{
	struct iovec iov;

	if (req->len != 1)
		return -EINVAL;
	if (uring_copy_from_user(&iov, (void *)(uintptr_t)req->addr,
				 sizeof(iov)))
		return -EFAULT;
	req->len = (__u32)iov.iov_len;
	return 0;
}

int uring_rw_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	(void)sqe;
	if (req->flags & IOSQE_BUFFER_SELECT) {
		if (!is_read(req))
			return -EINVAL;
		req->kbuf_bgid = req->buf_index;
		if (is_vectored(req))
			return buffer_select_iov_prep(req);
	}
	if (!is_vectored(req) || (req->flags & IOSQE_BUFFER_SELECT))
		return 0;
	if (req->len > UIO_MAXIOV)
		return -EINVAL;
	/* Copy the iovec array now: the SQE's memory may change after. */
	req->nr_iov = req->len;
	req->iov = calloc(req->nr_iov ? req->nr_iov : 1, sizeof(struct iovec));
	if (!req->iov)
		return -ENOMEM;
	return uring_copy_from_user(req->iov, (void *)(uintptr_t)req->addr,
				    req->nr_iov * sizeof(struct iovec));
}

static bool pollable(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
}

/* Where the data goes: the iovec array, the buffer, or a provided one. */
static int rw_buffers(struct uring_req *req, struct iovec *one,
		      struct iovec **iov, int *nr)
{
	if (is_fixed(req))
		return import_fixed(req, one, iov, nr);
	if (req->flags & IOSQE_BUFFER_SELECT) {
		if (!req->has_kbuf) {
			int ret = kbuf_take(req, !pollable(req->fd));

			if (ret)
				return ret;
		}
		one->iov_base = req->kbuf_addr;
		one->iov_len = kbuf_use_len(req);
		*iov = one;
		*nr = 1;
		return 0;
	}
	if (is_vectored(req)) {
		*iov = req->iov;
		*nr = (int)req->nr_iov;
		return 0;
	}
	one->iov_base = (void *)(uintptr_t)req->addr;
	one->iov_len = req->len > MAX_RW_COUNT ? MAX_RW_COUNT : req->len;
	*iov = one;
	*nr = 1;
	return 0;
}


/*
 * Buffered writes to regular files go to a worker, as io_uring does on
 * filesystems without async buffered writes (ext4 among them).
 */
static bool punt_buffered_write(const struct uring_req *req)
{
	struct stat st;

	return !is_read(req) && !fstat(req->fd, &st) && S_ISREG(st.st_mode) &&
	       !(fcntl(req->fd, F_GETFL) & O_DIRECT);
}

static ssize_t do_rw(struct uring_req *req, struct iovec *iov, int nr,
		     off_t off, int flags)
{
	long ret;

	/*
	 * The raw call skips libc's cancellation-point bookkeeping, a tenth
	 * of a cached read. The offset goes as low and high halves; 64-bit
	 * kernels ignore the high one.
	 */
	ret = kernel_syscall6(is_read(req) ? __NR_preadv2 : __NR_pwritev2,
			      req->fd, (long)iov, nr, (long)off,
			      (long)((unsigned long long)off >> 32), flags);
	/* Stream files (pipes, sockets) take no offset in io_uring. */
	if (ret == -ESPIPE && off != -1)
		return do_rw(req, iov, nr, -1, flags);
	return ret;
}

/*
 * Whether a partial transfer goes on until done, end of file or an error:
 * io_uring's rule for regular files and block devices, unless the SQE
 * itself asked for RWF_NOWAIT.
 */
static bool completes_io(const struct uring_req *req)
{
	struct stat st;

	if (req->op_flags & RWF_NOWAIT)
		return false;
	return !fstat(req->fd, &st) &&
	       (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

static size_t iov_total(const struct iovec *iov, int nr)
{
	size_t n = 0;

	for (int i = 0; i < nr; i++)
		n += iov[i].iov_len;
	return n;
}

/* Step the array past n bytes; returns its first entry left. */
static struct iovec *iov_advance(struct iovec *iov, int *nr, size_t n)
{
	while (*nr && n >= iov->iov_len) {
		n -= iov->iov_len;
		iov++;
		(*nr)--;
	}
	if (*nr) {
		iov->iov_base = (char *)iov->iov_base + n;
		iov->iov_len -= n;
	}
	return iov;
}

/*
 * A single buffer is rebuilt at every issue: skip what an earlier attempt
 * of this request already moved (an owned iovec array was stepped then).
 */
static void rw_skip_done(struct uring_req *req, struct iovec *one,
			 struct iovec **iov, int *nr)
{
	if (*iov == one && req->done_io)
		*iov = iov_advance(one, nr, req->done_io);
}

/*
 * Record n bytes moved by a partial transfer, so that the rest, now or
 * in a worker, starts after them: the owned iovec array is stepped in
 * place, an explicit offset moves on (the file position did by itself).
 */
static void rw_consume(struct uring_req *req, struct iovec **iov, int *nr,
		       off_t *off, size_t n)
{
	bool owned = req->iov && *iov == req->iov;

	req->done_io += (__u32)n;
	if (*off != -1)
		*off += (off_t)n;
	*iov = iov_advance(*iov, nr, n);
	if (owned) {
		memmove(req->iov, *iov, (size_t)*nr * sizeof(**iov));
		req->nr_iov = (unsigned)*nr;
		*iov = req->iov;
	}
}

/*
 * The non-blocking attempt, repeated while a regular file gives part of
 * the request (some pages cached, the next not): -EAGAIN then means the
 * rest must block, as the kernel's retry of a short buffered read does.
 * The rest of a write goes to a worker, as in the kernel: there a file
 * size limit's SIGXFSZ stays pending on a thread that blocks it.
 */
static ssize_t rw_nowait(struct uring_req *req, struct iovec **iov, int *nr,
			 off_t *off, unsigned issue_flags)
{
	int flags = (int)req->op_flags | RWF_NOWAIT;
	size_t left = iov_total(*iov, *nr);
	ssize_t n = do_rw(req, *iov, *nr, *off, flags);

	while (n > 0 && (size_t)n < left && completes_io(req)) {
		rw_consume(req, iov, nr, off, (size_t)n);
		left -= (size_t)n;
		if (!is_read(req) && (issue_flags & ISSUE_NONBLOCK))
			return -EAGAIN;
		n = do_rw(req, *iov, *nr, *off, flags);
	}
	return n;
}

/* The result, counting what earlier attempts moved: an error after is not. */
static ssize_t rw_result(const struct uring_req *req, ssize_t n)
{
	if (!req->done_io)
		return n;
	return n < 0 ? (ssize_t)req->done_io : (ssize_t)req->done_io + n;
}

/* Would block: wait for readiness, go to a worker, or block here. */
static enum issue_result rw_wait(struct uring_req *req, unsigned flags,
				 bool poll)
{
	if (poll) {
		kbuf_drop(req);
		req->poll_mask = is_read(req) ? POLLIN : POLLOUT;
		return ISSUE_POLL;
	}
	if (flags & ISSUE_NONBLOCK) {
		/* Data already in a provided buffer keeps it for the rest. */
		if (!req->done_io)
			kbuf_drop(req);
		return ISSUE_PUNT;
	}
	kbuf_commit_early(req);
	iowq_worker_may_block();
	return ISSUE_DONE;
}

enum issue_result uring_rw_issue(struct uring_req *req, unsigned flags)
{
	int user_flags = (int)req->op_flags, nr, ret;
	off_t off = req->off == (__u64)-1 ? -1 : (off_t)req->off;
	struct iovec one, *iov;
	enum issue_result wait;
	size_t want;
	ssize_t n;

	if ((user_flags & ~RWF_VALID) ||
	    ((req->ctx->flags & IORING_SETUP_IOPOLL) && !file_polls(req->fd))) {
		req->res = -EOPNOTSUPP;
		return ISSUE_DONE;
	}
	if ((flags & ISSUE_NONBLOCK) && !(user_flags & RWF_NOWAIT) &&
	    punt_buffered_write(req))
		return ISSUE_PUNT;
	ret = rw_buffers(req, &one, &iov, &nr);
	if (ret) {
		req->res = ret;
		return ISSUE_DONE;
	}
	rw_skip_done(req, &one, &iov, &nr);
	if (off != -1)
		off += (off_t)req->done_io;
	want = req->done_io + iov_total(iov, nr);
	n = rw_nowait(req, &iov, &nr, &off, flags);
	/* Would block, or the file cannot do non-blocking I/O at all. */
	if ((n == -EAGAIN || n == -EOPNOTSUPP) && !(user_flags & RWF_NOWAIT)) {
		wait = rw_wait(req, flags, n == -EAGAIN && pollable(req->fd));
		if (wait != ISSUE_DONE)
			return wait;
		n = do_rw(req, iov, nr, off, user_flags);
	}
	n = rw_result(req, n);
	req->res = (__s32)n;
	/* A committed ring buffer goes back to the application even on error. */
	if (req->has_kbuf &&
	    (n >= 0 || req->kbuf_state == KBUF_RING_COMMITTED))
		req->cflags = kbuf_done(req, n > 0 ? (unsigned)n : 0);
	else
		kbuf_drop(req);
	/* A short transfer breaks a link, as in the kernel. */
	if (n >= 0 && !(req->flags & IOSQE_BUFFER_SELECT) && (size_t)n != want)
		req->failed = true;
	return ISSUE_DONE;
}

/* ---------------------------------------------------------------- */

/* READ_MULTISHOT: provided buffers only, no address or length. */
int uring_read_mshot_prep(struct uring_req *req, const struct io_uring_sqe *sqe)
{
	int ret;

	if (!(req->flags & IOSQE_BUFFER_SELECT))
		return -EINVAL;
	ret = uring_rw_prep(req, sqe);
	if (ret)
		return ret;
	return req->addr || req->len ? -EINVAL : 0;
}

/* Read what is there without blocking: bytes, -EAGAIN, or -errno. */
static ssize_t read_ready(struct uring_req *req, void *buf, size_t len)
{
	struct iovec iov = {buf, len};
	struct pollfd pfd = {req->fd, POLLIN, 0};
	ssize_t n = do_rw(req, &iov, 1, -1, RWF_NOWAIT);

	/* Files without RWF_NOWAIT (eventfd, ...): read only when ready. */
	if (n != -EOPNOTSUPP)
		return n;
	if (poll(&pfd, 1, 0) != 1)
		return -EAGAIN;
	return do_rw(req, &iov, 1, -1, 0);
}

/*
 * One CQE (with IORING_CQE_F_MORE) per read into a provided buffer,
 * until end of file, an error, no buffer left, or a full CQ.
 */
enum issue_result uring_read_mshot_issue(struct uring_req *req, unsigned flags)
{
	__u32 cflags;
	ssize_t n;

	(void)flags;
	if (!pollable(req->fd)) {
		req->res = -EBADFD;
		return ISSUE_DONE;
	}
	for (;;) {
		int ret = req->has_kbuf ? 0 : kbuf_take(req, false);

		if (ret) {
			req->res = ret;
			return ISSUE_DONE;
		}
		n = read_ready(req, req->kbuf_addr, req->kbuf_len);
		if (n == -EAGAIN) {
			kbuf_drop(req);
			req->poll_mask = POLLIN;
			return ISSUE_POLL;
		}
		if (n <= 0)
			break;
		cflags = kbuf_done(req, (unsigned)n);
		/* A CQE the CQ has no room for is the last, as in the kernel. */
		if (!uring_req_post_more(req, (__s32)n, cflags)) {
			req->res = (__s32)n;
			req->cflags = cflags;
			return ISSUE_DONE;
		}
	}
	/* Unlike a single read, the end of file gives the buffer back. */
	req->res = (__s32)n;
	req->cflags = 0;
	kbuf_drop(req);
	return ISSUE_DONE;
}
