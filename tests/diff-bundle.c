/* SPDX-License-Identifier: MIT */
/*
 * Differential: IORING_RECVSEND_BUNDLE on both backends. Receives that
 * fill several ring buffers with one CQE, short and length-limited ones,
 * ENOBUFS, incremental rings, multishot bundles, and bundle sends that
 * gather the ring's buffers into one message.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "diff.h"

#define BGID 3
#define NR_BUFS 8
#define BUF_SZ 64

struct bufs {
	struct io_uring_buf_ring *br;
	char mem[NR_BUFS * BUF_SZ];
	unsigned entries;
};

static struct bufs bufs;


/* Register a ring of n buffers of sz bytes (flags: IOU_PBUF_RING_INC). */
static void ring_setup(struct diff_ctx *c, unsigned n, unsigned sz,
		       unsigned flags)
{
	int ret;

	bufs.entries = NR_BUFS;
	bufs.br = io_uring_setup_buf_ring(&c->ring, NR_BUFS, BGID, flags, &ret);
	REQUIRE_EQ(bufs.br != NULL, 1);
	memset(bufs.mem, 0, sizeof(bufs.mem));
	for (unsigned i = 0; i < n; i++)
		io_uring_buf_ring_add(bufs.br, bufs.mem + i * BUF_SZ, sz, i,
				      io_uring_buf_ring_mask(NR_BUFS), i);
	io_uring_buf_ring_advance(bufs.br, n);
}

static void ring_add(unsigned bid, unsigned sz)
{
	io_uring_buf_ring_add(bufs.br, bufs.mem + bid * BUF_SZ, sz, bid,
			      io_uring_buf_ring_mask(NR_BUFS), 0);
	io_uring_buf_ring_advance(bufs.br, 1);
}

static void ring_free(struct diff_ctx *c)
{
	io_uring_free_buf_ring(&c->ring, bufs.br, NR_BUFS, BGID);
}

/* Log the ring's head and the entries' lengths (the kernel edits them). */
static void ring_log(struct diff_ctx *c, int line)
{
	__u16 head = 0;

	diff_ret(c, io_uring_buf_ring_head(&c->ring, BGID, &head), line);
	diff_ret(c, head, line);
	for (unsigned i = 0; i < NR_BUFS; i++)
		diff_ret(c, bufs.br->bufs[i].len, line);
}

/* The SQE takes its buffer from the test's group. */
static void select_buffers(struct io_uring_sqe *s)
{
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = BGID;
}

static void fill(int fd, size_t len)
{
	char data[1024];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	REQUIRE_EQ(send(fd, data, len, 0), (ssize_t)len);
}

/* Whether the buffers, in bid order, hold the pattern fill() sends. */
static void check_data(struct diff_ctx *c, size_t len, int line)
{
	bool ok = true;

	for (size_t i = 0; i < len; i++)
		ok &= bufs.mem[i] == (char)('a' + i % 26);
	diff_ret(c, ok, line);
}

/* Wait for CQEs until one ends its request (no IORING_CQE_F_MORE). */
static void wait_final(struct diff_ctx *c, int line)
{
	for (int i = 0; i < 16; i++) {
		diff_wait(c, 1, line);
		if (!c->n || !(c->log[c->n - 1].flags & IORING_CQE_F_MORE))
			break;
	}
}

static struct io_uring_sqe *prep_bundle_recv(struct diff_ctx *c, __u64 ud,
					     int fd, unsigned len,
					     bool multishot)
{
	struct io_uring_sqe *s = diff_sqe(c, ud);

	if (multishot)
		io_uring_prep_recv_multishot(s, fd, NULL, len, 0);
	else
		io_uring_prep_recv(s, fd, NULL, len, 0);
	s->ioprio |= IORING_RECVSEND_BUNDLE;
	select_buffers(s);
	return s;
}

static void prep_checks(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	struct msghdr mh = {0};
	char drain[16];

	diff_ret(c, !!(c->ring.features & IORING_FEAT_RECVSEND_BUNDLE),
		 __LINE__);
	ring_setup(c, NR_BUFS, BUF_SZ, 0);
	/* Without provided buffers a bundle send goes on with nothing. */
	s = diff_sqe(c, 1);
	io_uring_prep_send(s, c->sock[0], "x", 1, 0);
	s->ioprio |= IORING_RECVSEND_BUNDLE;
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 2);
	diff_ret(c, recv(c->sock[1], drain, sizeof(drain), MSG_DONTWAIT),
		 __LINE__);
	/* No bundles for the msg variants. */
	s = diff_sqe(c, 3);
	io_uring_prep_recvmsg(s, c->sock[1], &mh, 0);
	s->ioprio |= IORING_RECVSEND_BUNDLE;
	select_buffers(s);
	DIFF_CHECK(c);
	s = diff_sqe(c, 4);
	io_uring_prep_sendmsg(s, c->sock[0], &mh, 0);
	s->ioprio |= IORING_RECVSEND_BUNDLE;
	DIFF_CHECK(c);
	ring_free(c);
}

/* Data already queued: one CQE for several buffers, then a short one. */
static void recv_several(struct diff_ctx *c, int fds[2])
{
	ring_setup(c, NR_BUFS, BUF_SZ, 0);
	fill(fds[0], 200);
	prep_bundle_recv(c, 1, fds[1], 0, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	check_data(c, 200, __LINE__);
	ring_log(c, __LINE__);
	/* A short receive: less than one buffer. */
	fill(fds[0], 10);
	prep_bundle_recv(c, 2, fds[1], 0, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* A length limit smaller than the first buffer truncates it. */
	fill(fds[0], 100);
	prep_bundle_recv(c, 3, fds[1], 40, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ring_log(c, __LINE__);
	/* A limit that ends inside a later buffer. */
	prep_bundle_recv(c, 4, fds[1], 70, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ring_log(c, __LINE__);
	ring_free(c);
}

/* Waiting for data, then more data than the ring holds; then ENOBUFS. */
static void recv_wait_enobufs(struct diff_ctx *c, int fds[2])
{
	ring_setup(c, 4, BUF_SZ, 0);
	prep_bundle_recv(c, 1, fds[1], 0, false);
	DIFF_SUBMIT(c);
	fill(fds[0], 300);
	DIFF_WAIT(c, 1);
	prep_bundle_recv(c, 2, fds[1], 0, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ring_log(c, __LINE__);
	ring_add(0, BUF_SZ);
	prep_bundle_recv(c, 3, fds[1], 0, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ring_free(c);
}

static void recv_tcp(struct diff_ctx *c)
{
	int fds[2];

	diff_inet_pair(SOCK_STREAM, fds);
	recv_several(c, fds);
	recv_wait_enobufs(c, fds);
	close(fds[0]);
	close(fds[1]);
}

static void recv_unix(struct diff_ctx *c)
{
	recv_several(c, c->sock);
	recv_wait_enobufs(c, c->sock);
}

/* Incremental ring: buffers partly consumed, a bundle across them. */
static void recv_incremental(struct diff_ctx *c)
{
	int fds[2];

	diff_inet_pair(SOCK_STREAM, fds);
	ring_setup(c, 4, BUF_SZ, IOU_PBUF_RING_INC);
	fill(fds[0], 20);
	prep_bundle_recv(c, 1, fds[1], 0, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ring_log(c, __LINE__);
	fill(fds[0], 150);
	prep_bundle_recv(c, 2, fds[1], 0, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ring_log(c, __LINE__);
	fill(fds[0], 100);
	prep_bundle_recv(c, 3, fds[1], 30, false);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ring_log(c, __LINE__);
	ring_free(c);
	close(fds[0]);
	close(fds[1]);
}

/* Multishot bundles: one CQE per arrival, the end when the ring empties. */
static void recv_multishot(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	int fds[2];

	diff_inet_pair(SOCK_STREAM, fds);
	ring_setup(c, NR_BUFS, BUF_SZ, 0);
	prep_bundle_recv(c, 1, fds[1], 0, true);
	DIFF_SUBMIT(c);
	fill(fds[0], 100);
	DIFF_WAIT(c, 1);
	fill(fds[0], 10);
	DIFF_WAIT(c, 1);
	fill(fds[0], 500);
	DIFF_WAIT(c, 1);
	ring_log(c, __LINE__);
	ring_free(c);
	/* With a per-CQE length and a total limit. */
	ring_setup(c, NR_BUFS, BUF_SZ, 0);
	fill(fds[0], 300);
	s = prep_bundle_recv(c, 2, fds[1], 100, true);
	s->optlen = 250;
	DIFF_SUBMIT(c);
	wait_final(c, __LINE__);
	ring_log(c, __LINE__);
	ring_free(c);
	/* The byte limit without a bundle, and the limit's flag elsewhere. */
	ring_setup(c, NR_BUFS, BUF_SZ, 0);
	fill(fds[0], 300);
	s = diff_sqe(c, 3);
	io_uring_prep_recv_multishot(s, fds[1], NULL, 0, 0);
	select_buffers(s);
	s->optlen = 150;
	DIFF_SUBMIT(c);
	wait_final(c, __LINE__);
	s = diff_sqe(c, 4);
	io_uring_prep_recv(s, fds[1], NULL, 0, 0);
	select_buffers(s);
	s->optlen = 10;
	DIFF_CHECK(c);
	ring_free(c);
	close(fds[0]);
	close(fds[1]);
}

/* Provide n legacy buffers of BUF_SZ bytes (bids 0..n-1) in group BGID. */
static void legacy_provide(struct diff_ctx *c, unsigned n, __u64 ud)
{
	io_uring_prep_provide_buffers(diff_sqe(c, ud), bufs.mem, BUF_SZ, (int)n,
				      BGID, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
}

/*
 * A plain multishot RECV on datagrams runs out of buffers: its last CQE
 * is -ENOBUFS with no buffer flag, whether data is still queued or not,
 * and whether the buffers came from a ring or were provided.
 */
static void recv_multishot_enobufs(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	int fds[2];

	diff_inet_pair(SOCK_DGRAM, fds);
	/* Three datagrams queued, two buffers. */
	ring_setup(c, 2, BUF_SZ, 0);
	fill(fds[0], 8);
	fill(fds[0], 12);
	fill(fds[0], 16);
	s = diff_sqe(c, 1);
	io_uring_prep_recv_multishot(s, fds[1], NULL, 0, 0);
	select_buffers(s);
	DIFF_SUBMIT(c);
	wait_final(c, __LINE__);
	ring_free(c);
	diff_ret(c, recv(fds[1], c->buf, sizeof(c->buf), MSG_DONTWAIT),
		 __LINE__);
	/* Provided buffers, data arriving after the request waits. */
	legacy_provide(c, 3, 2);
	s = diff_sqe(c, 3);
	io_uring_prep_recv_multishot(s, fds[1], NULL, 0, 0);
	select_buffers(s);
	DIFF_SUBMIT(c);
	for (int i = 0; i < 3; i++) {
		fill(fds[0], 4 * (size_t)(i + 1));
		DIFF_WAIT(c, 1);
	}
	fill(fds[0], 20);
	wait_final(c, __LINE__);
	close(fds[0]);
	close(fds[1]);
}

/* Log a multishot RECVMSG buffer's header: name, payload, flags. */
static void recvmsg_out_log(struct diff_ctx *c, unsigned bid, int line)
{
	struct io_uring_recvmsg_out *o =
		(struct io_uring_recvmsg_out *)(bufs.mem + bid * BUF_SZ);

	diff_ret(c, o->namelen, line);
	diff_ret(c, o->controllen, line);
	diff_ret(c, o->payloadlen, line);
	diff_ret(c, o->flags, line);
}

/*
 * Multishot RECVMSG on datagrams with MSG_TRUNC: the header has the
 * datagram's length, the result only what the buffer took, and running
 * out of buffers ends it with -ENOBUFS and no buffer flag.
 */
static void recvmsg_multishot_trunc(struct diff_ctx *c)
{
	struct msghdr msg = {.msg_namelen = sizeof(struct sockaddr_in)};
	struct io_uring_sqe *s;
	int fds[2];

	diff_inet_pair(SOCK_DGRAM, fds);
	ring_setup(c, 2, BUF_SZ, 0);
	fill(fds[0], 8);
	fill(fds[0], 40);
	fill(fds[0], 4);
	s = diff_sqe(c, 1);
	io_uring_prep_recvmsg_multishot(s, fds[1], &msg, MSG_TRUNC);
	select_buffers(s);
	DIFF_SUBMIT(c);
	wait_final(c, __LINE__);
	recvmsg_out_log(c, 0, __LINE__);
	recvmsg_out_log(c, 1, __LINE__);
	ring_free(c);
	close(fds[0]);
	close(fds[1]);
}

#define FILLER_NOPS 1024

/*
 * A cancel in the batch that woke a multishot receive wins over the
 * wakeup: the receive ends with -ECANCELED and the data stays queued.
 * The NOPs give the engine's thread time to see the wakeup first.
 */
static void recv_multishot_cancel_woken(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	int fds[2];

	diff_inet_pair(SOCK_DGRAM, fds);
	ring_setup(c, NR_BUFS, BUF_SZ, 0);
	s = diff_sqe(c, 1);
	io_uring_prep_recv_multishot(s, fds[1], NULL, 0, 0);
	select_buffers(s);
	DIFF_SUBMIT(c);
	/* Long enough for the engine to be polling again (see poll.c). */
	usleep(10000);
	s = diff_sqe(c, 2);
	io_uring_prep_send(s, fds[0], "datagram", 8, 0);
	s->flags |= IOSQE_CQE_SKIP_SUCCESS;
	for (int i = 0; i < FILLER_NOPS; i++)
		diff_sqe(c, 3)->flags = IOSQE_CQE_SKIP_SUCCESS;
	io_uring_prep_cancel64(diff_sqe(c, 4), 1, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	diff_ret(c, recv(fds[1], c->buf, sizeof(c->buf), MSG_DONTWAIT),
		 __LINE__);
	ring_free(c);
	close(fds[0]);
	close(fds[1]);
}

static void log_peer(struct diff_ctx *c, int fd, size_t want, int line)
{
	char got[2048];
	ssize_t n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
	bool ok = n == (ssize_t)want;

	for (ssize_t i = 0; ok && i < n; i++)
		ok = got[i] == (char)('A' + i % 26);
	diff_ret(c, n, line);
	diff_ret(c, ok, line);
}

static void send_bundles(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	int fds[2];

	diff_inet_pair(SOCK_STREAM, fds);
	ring_setup(c, 0, BUF_SZ, 0);
	for (size_t i = 0; i < sizeof(bufs.mem); i++)
		bufs.mem[i] = (char)('A' + i % 26);
	for (unsigned i = 0; i < 3; i++)
		ring_add(i, BUF_SZ);
	s = diff_sqe(c, 1);
	io_uring_prep_send_bundle(s, fds[0], 0, 0);
	select_buffers(s);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	log_peer(c, fds[1], 3 * BUF_SZ, __LINE__);
	/* A length limit. */
	for (unsigned i = 3; i < 7; i++)
		ring_add(i, BUF_SZ);
	s = diff_sqe(c, 2);
	io_uring_prep_send_bundle(s, fds[0], 100, 0);
	select_buffers(s);
	DIFF_SUBMIT(c);
	wait_final(c, __LINE__);
	log_peer(c, fds[1], 4 * BUF_SZ, __LINE__);
	ring_log(c, __LINE__);
	/* An empty ring. */
	s = diff_sqe(c, 3);
	io_uring_prep_send_bundle(s, fds[0], 0, 0);
	select_buffers(s);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	ring_free(c);
	close(fds[0]);
	close(fds[1]);
}

static const struct diff_scenario scenarios[] = {
	{"bundle prep checks", 0, 0, prep_checks, 0},
	{"bundle recv tcp", 0, 0, recv_tcp, 0},
	{"bundle recv unix", 0, 0, recv_unix, 0},
	{"bundle recv incremental", 0, 0, recv_incremental, 0},
	{"bundle recv multishot", 0, 0, recv_multishot, 0},
	{"bundle send", 0, 0, send_bundles, 0},
	{"recv multishot enobufs", 0, 0, recv_multishot_enobufs, 0},
	{"recvmsg multishot trunc", 0, 0, recvmsg_multishot_trunc, 0},
	{"recv multishot cancelled once woken", 0, 2048,
	 recv_multishot_cancel_woken, 0},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios, sizeof(scenarios) / sizeof(scenarios[0]));
}
