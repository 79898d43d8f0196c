/* SPDX-License-Identifier: MIT */
/*
 * Differential: SEND_ZC and SENDMSG_ZC on both backends. The request's CQE
 * (IORING_CQE_F_MORE) and its notification (IORING_CQE_F_NOTIF, with
 * IORING_SEND_ZC_REPORT_USAGE the copied bit), registered buffers, the
 * destination address, sockets that cannot do zero copy, and the errors
 * the kernel gives for bad input.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "diff.h"


/* Log what the peer received (length and bytes) without blocking. */
static void log_received(struct diff_ctx *c, int fd, const char *want,
			 size_t len, int line)
{
	char got[4096];
	ssize_t n = recv(fd, got, sizeof(got), MSG_DONTWAIT);

	diff_ret(c, n, line);
	diff_ret(c, n == (ssize_t)len && !memcmp(got, want, len), line);
}

static void prep_checks(struct diff_ctx *c)
{
	struct io_uring_sqe *s;

	/* An unknown ioprio flag. */
	s = diff_sqe(c, 1);
	io_uring_prep_send_zc(s, c->sock[0], "x", 1, 0, 0);
	s->ioprio |= 1U << 7;
	DIFF_CHECK(c);
	/* A notification cannot be skipped. */
	s = diff_sqe(c, 2);
	io_uring_prep_send_zc(s, c->sock[0], "x", 1, 0, 0);
	s->flags |= IOSQE_CQE_SKIP_SUCCESS;
	DIFF_CHECK(c);
	/* addr3 must be zero. */
	s = diff_sqe(c, 3);
	io_uring_prep_send_zc(s, c->sock[0], "x", 1, 0, 0);
	s->addr3 = 1;
	DIFF_CHECK(c);
	/* No provided buffers. */
	s = diff_sqe(c, 4);
	io_uring_prep_send_zc(s, c->sock[0], NULL, 1, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	DIFF_CHECK(c);
	/* SENDMSG_ZC: no fixed-buffer flag with a plain file index misuse. */
	s = diff_sqe(c, 5);
	io_uring_prep_sendmsg_zc(s, c->sock[0], NULL, 0);
	s->addr3 = 1;
	DIFF_CHECK(c);
	/* Not a socket, and a socket without zero copy (AF_UNIX). */
	s = diff_sqe(c, 6);
	io_uring_prep_send_zc(s, c->file, "x", 1, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 7);
	io_uring_prep_send_zc(s, c->sock[0], "x", 1, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
}

static void send_one(struct diff_ctx *c, int type, unsigned zc_flags)
{
	static const char msg[] = "zero copy, or a copy";
	struct io_uring_sqe *s;
	int fds[2];

	diff_inet_pair(type, fds);
	s = diff_sqe(c, 10);
	io_uring_prep_send_zc(s, fds[0], msg, sizeof(msg), 0, zc_flags);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	log_received(c, fds[1], msg, sizeof(msg), __LINE__);
	close(fds[0]);
	close(fds[1]);
}

static void udp_and_tcp(struct diff_ctx *c)
{
	send_one(c, SOCK_DGRAM, 0);
	send_one(c, SOCK_DGRAM, IORING_SEND_ZC_REPORT_USAGE);
	send_one(c, SOCK_STREAM, 0);
	send_one(c, SOCK_STREAM, IORING_SEND_ZC_REPORT_USAGE);
}

/* To an address given with the request, on an unconnected socket. */
static void send_to(struct diff_ctx *c)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	struct io_uring_sqe *s;
	int rx, tx;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE_EQ(bind(rx, (struct sockaddr *)&addr, sizeof(addr)), 0);
	REQUIRE_EQ(getsockname(rx, (struct sockaddr *)&addr, &len), 0);
	s = diff_sqe(c, 20);
	io_uring_prep_send_zc(s, tx, "to", 2, 0, 0);
	io_uring_prep_send_set_addr(s, (struct sockaddr *)&addr,
				    (__u16)sizeof(addr));
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	log_received(c, rx, "to", 2, __LINE__);
	/*
	 * The address is read at submission: behind a poll that fires only
	 * after the caller has wiped its copy, SEND and SEND_ZC still go.
	 */
	{
		struct sockaddr_in wiped = addr;
		int p[2];

		REQUIRE_EQ(pipe(p), 0);
		s = diff_sqe(c, 22);
		io_uring_prep_poll_add(s, p[0], POLLIN);
		s->flags |= IOSQE_IO_LINK;
		s = diff_sqe(c, 23);
		io_uring_prep_send_zc(s, tx, "zc", 2, 0, 0);
		io_uring_prep_send_set_addr(s, (struct sockaddr *)&wiped,
					    (__u16)sizeof(wiped));
		s->flags |= IOSQE_IO_LINK;
		s = diff_sqe(c, 24);
		io_uring_prep_send(s, tx, "sd", 2, 0);
		io_uring_prep_send_set_addr(s, (struct sockaddr *)&wiped,
					    (__u16)sizeof(wiped));
		DIFF_SUBMIT(c);
		memset(&wiped, 0, sizeof(wiped));
		REQUIRE_EQ(write(p[1], "go", 2), 2);
		DIFF_WAIT(c, 4);
		log_received(c, rx, "zc", 2, __LINE__);
		log_received(c, rx, "sd", 2, __LINE__);
		close(p[0]);
		close(p[1]);
	}
	/* No address on an unconnected socket. */
	s = diff_sqe(c, 21);
	io_uring_prep_send_zc(s, tx, "to", 2, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	close(rx);
	close(tx);
}

/* From a registered buffer: in range, past its end, a missing index. */
static void fixed_buffers(struct diff_ctx *c)
{
	static char reg[4096];
	struct iovec iov = {reg, sizeof(reg)};
	struct io_uring_sqe *s;
	int fds[2];

	memset(reg, 'r', sizeof(reg));
	memcpy(reg + 100, "registered", 10);
	diff_ret(c, io_uring_register_buffers(&c->ring, &iov, 1), __LINE__);
	diff_inet_pair(SOCK_DGRAM, fds);
	s = diff_sqe(c, 30);
	io_uring_prep_send_zc_fixed(s, fds[0], reg + 100, 10, 0, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	log_received(c, fds[1], "registered", 10, __LINE__);
	s = diff_sqe(c, 31);
	io_uring_prep_send_zc_fixed(s, fds[0], reg + 4000, 200, 0, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	s = diff_sqe(c, 32);
	io_uring_prep_send_zc_fixed(s, fds[0], reg, 10, 0, 0, 5);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	close(fds[0]);
	close(fds[1]);
}

/* SENDMSG_ZC with two iovecs, plain and from a registered buffer. */
static void sendmsg_zc(struct diff_ctx *c)
{
	static char reg[4096];
	struct iovec riov = {reg, sizeof(reg)};
	struct iovec iov[2] = {{"send", 4}, {"msg", 3}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	struct io_uring_sqe *s;
	int fds[2];

	diff_inet_pair(SOCK_DGRAM, fds);
	s = diff_sqe(c, 40);
	io_uring_prep_sendmsg_zc(s, fds[0], &mh, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	log_received(c, fds[1], "sendmsg", 7, __LINE__);
	memcpy(reg, "fixedvec", 8);
	diff_ret(c, io_uring_register_buffers(&c->ring, &riov, 1), __LINE__);
	iov[0] = (struct iovec){reg, 5};
	iov[1] = (struct iovec){reg + 5, 3};
	s = diff_sqe(c, 41);
	io_uring_prep_sendmsg_zc_fixed(s, fds[0], &mh, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	log_received(c, fds[1], "fixedvec", 8, __LINE__);
	close(fds[0]);
	close(fds[1]);
}

static const struct diff_scenario scenarios[] = {
	{"send_zc prep checks", 0, 0, prep_checks, 0},
	{"send_zc udp and tcp", 0, 0, udp_and_tcp, 0},
	{"send_zc to an address", 0, 0, send_to, 0},
	{"send_zc registered buffers", 0, 0, fixed_buffers, 0},
	{"sendmsg_zc", 0, 0, sendmsg_zc, 0},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios, sizeof(scenarios) / sizeof(scenarios[0]));
}
