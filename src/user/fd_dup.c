/* SPDX-License-Identifier: MIT */
/*
 * Duplicating many descriptors at once. One F_DUPFD per file made a
 * 10 000-file registration cost a system call per file; passing the files
 * through a private socket pair (SCM_RIGHTS) duplicates up to 253 of them
 * with one sendmsg and one recvmsg.
 *
 * The pair is made for each call and closed after it: a pair kept for the
 * process would be shared with a forked child, whose recvmsg could take
 * the parent's files.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>

#include "fd_dup.h"
#include "kernel/syscall.h"

/* The kernel's SCM_MAX_FD: the most descriptors one message carries. */
#define DUP_BATCH 253U
/* Below this, making the socket pair costs more than it saves. */
#define DUP_BATCH_MIN 8U

int uring_dup_fd(int fd)
{
	long ret = kernel_syscall6(__NR_fcntl, fd, F_DUPFD_CLOEXEC, 0, 0, 0, 0);

	if (ret >= 0)
		return (int)ret;
	return ret == -EBADF ? -EBADF : -EMFILE;
}

static void close_all(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		kernel_close(fds[i]);
}

static int dup_one_by_one(const int *fds, int *dups, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int fd = uring_dup_fd(fds[i]);

		if (fd < 0) {
			close_all(dups, i);
			return fd;
		}
		dups[i] = fd;
	}
	return 0;
}

/* The descriptors a received message carries, 0 if it carries none. */
static unsigned received_fds(struct msghdr *msg, int *dups, unsigned max)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);
	unsigned n;

	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return 0;
	n = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	n = n < max ? n : max;
	memcpy(dups, CMSG_DATA(cm), n * sizeof(int));
	return n;
}

/*
 * Send fds[0..n) (n <= DUP_BATCH) to ourselves. 0 when all n came back;
 * otherwise -1 with none of them left open (a receiver out of descriptor
 * slots gets some or none, and the kernel closes the rest).
 */
static int pass_batch(const int sv[2], const int *fds, int *dups, unsigned n)
{
	union {
		char buf[CMSG_SPACE(DUP_BATCH * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int got_fds[DUP_BATCH];
	unsigned got;

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	if (kernel_syscall6(__NR_sendmsg, sv[0], (long)&msg,
			    MSG_DONTWAIT | MSG_NOSIGNAL, 0, 0, 0) != 1)
		return -1;
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_controllen = sizeof(ctl.buf);
	if (kernel_syscall6(__NR_recvmsg, sv[1], (long)&msg,
			    MSG_DONTWAIT | MSG_CMSG_CLOEXEC, 0, 0, 0) != 1)
		return -1;
	/* dups may be fds: it is written only once the whole batch is back. */
	got = received_fds(&msg, got_fds, n);
	if (got == n && !(msg.msg_flags & MSG_CTRUNC)) {
		memcpy(dups, got_fds, n * sizeof(int));
		return 0;
	}
	close_all(got_fds, got);
	return -1;
}

int uring_dup_fds(const int *fds, int *dups, unsigned n)
{
	unsigned done = 0;
	int sv[2];

	if (n >= DUP_BATCH_MIN &&
	    !kernel_syscall6(__NR_socketpair, AF_UNIX,
			     SOCK_DGRAM | SOCK_CLOEXEC, 0, (long)sv, 0, 0)) {
		while (done < n) {
			unsigned k = n - done < DUP_BATCH ? n - done : DUP_BATCH;

			if (pass_batch(sv, fds + done, dups + done, k))
				break;
			done += k;
		}
		kernel_close(sv[0]);
		kernel_close(sv[1]);
	}
	/* Whatever the batches could not do, with its exact error. */
	if (done < n) {
		int ret = dup_one_by_one(fds + done, dups + done, n - done);

		if (ret) {
			close_all(dups, done);
			return ret;
		}
	}
	return 0;
}
