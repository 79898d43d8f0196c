/* SPDX-License-Identifier: MIT */
/*
 * Differential: ACCEPT's IORING_CQE_F_SOCK_NONEMPTY on both backends.
 * Single-shot, multishot, plain and direct accepts of connections that
 * are all queued before the accepts run, so that the flag each CQE
 * carries depends only on how many are left behind it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "diff.h"

#define MAX_CONNS 8

/* A listener and the client sockets queued on it. */
struct backlog {
	int lfd;
	int nr;
	int conns[MAX_CONNS];
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

static void tcp_listen(struct backlog *b)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&b->addr;

	memset(b, 0, sizeof(*b));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b->addrlen = sizeof(*a);
	b->lfd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE_EQ(bind(b->lfd, (struct sockaddr *)a, b->addrlen), 0);
	REQUIRE_EQ(listen(b->lfd, MAX_CONNS), 0);
	REQUIRE_EQ(getsockname(b->lfd, (struct sockaddr *)a, &b->addrlen), 0);
}

/* An abstract address, new each time: the two backends' runs overlap. */
static void unix_listen(struct backlog *b)
{
	struct sockaddr_un *a = (struct sockaddr_un *)&b->addr;
	static int seq;

	memset(b, 0, sizeof(*b));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
		 "anyring-diff-accept-%d-%d", (int)getpid(), seq++);
	b->addrlen = sizeof(*a);
	b->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE_EQ(bind(b->lfd, (struct sockaddr *)a, b->addrlen), 0);
	REQUIRE_EQ(listen(b->lfd, MAX_CONNS), 0);
}

/*
 * The server's half of a loopback handshake may land after connect()
 * returns; TCP_INFO on a listener counts its accept queue, so wait for
 * it to hold n connections before any accept runs.
 */
static void wait_queued(struct backlog *b, int n)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (b->addr.ss_family != AF_INET)
		return;
	for (int i = 0; i < 1000; i++) {
		REQUIRE_EQ(getsockopt(b->lfd, IPPROTO_TCP, TCP_INFO, &ti, &len),
			   0);
		if ((int)ti.tcpi_unacked >= n)
			return;
		usleep(1000);
	}
	REQUIRE_EQ(ti.tcpi_unacked, n);
}

/* Connect n clients; an armed multishot accept may take them at once. */
static void arrive(struct backlog *b, int n)
{
	for (int i = 0; i < n; i++) {
		int s = socket(b->addr.ss_family, SOCK_STREAM, 0);

		REQUIRE_EQ(b->nr < MAX_CONNS, 1);
		REQUIRE_EQ(connect(s, (struct sockaddr *)&b->addr, b->addrlen),
			   0);
		b->conns[b->nr++] = s;
	}
}

/* Queue n connections on a listener nothing is accepting from. */
static void connect_n(struct backlog *b, int n)
{
	arrive(b, n);
	wait_queued(b, n);
}

static void backlog_close(struct backlog *b)
{
	for (int i = 0; i < b->nr; i++)
		close(b->conns[i]);
	close(b->lfd);
}

/* One accept at a time: each CQE is logged before the next runs. */
static void accept_each(struct diff_ctx *c, struct backlog *b, int n)
{
	for (int i = 0; i < n; i++) {
		io_uring_prep_accept(diff_sqe(c, (__u64)i | FDRES), b->lfd,
				     NULL, NULL, 0);
		DIFF_SUBMIT(c);
		DIFF_WAIT(c, 1);
	}
}

/* ------------------------------------------------------------------ */

/* The last (here the only) connection leaves the queue empty. */
static void single_one(struct diff_ctx *c)
{
	struct backlog b;

	tcp_listen(&b);
	connect_n(&b, 1);
	accept_each(c, &b, 1);
	backlog_close(&b);
}

/* Flagged while others wait behind it, then not for the last. */
static void single_three(struct diff_ctx *c)
{
	struct backlog b;

	tcp_listen(&b);
	connect_n(&b, 3);
	accept_each(c, &b, 3);
	/* The three at once, in one submission: issued in order. */
	connect_n(&b, 3);
	for (int i = 0; i < 3; i++)
		io_uring_prep_accept(diff_sqe(c, (__u64)(10 + i) | FDRES),
				     b.lfd, NULL, NULL, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	backlog_close(&b);
}

/* Only TCP's accept reports its queue: a unix listener never flags. */
static void single_unix(struct diff_ctx *c)
{
	struct backlog b;

	unix_listen(&b);
	connect_n(&b, 3);
	accept_each(c, &b, 3);
	backlog_close(&b);
}

/* Direct accepts, and the errors that come after the dequeue. */
static void single_direct(struct diff_ctx *c)
{
	static socklen_t addrlen = sizeof(struct sockaddr_in);
	struct backlog b;
	struct io_uring_sqe *s;

	tcp_listen(&b);
	/* No table yet: the connection is taken, then ENXIO. */
	connect_n(&b, 2);
	io_uring_prep_accept_direct(diff_sqe(c, 1), b.lfd, NULL, NULL, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	io_uring_prep_accept_direct(diff_sqe(c, 2), b.lfd, NULL, NULL, 0, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	diff_ret(c, io_uring_register_files_sparse(&c->ring, 4), __LINE__);
	connect_n(&b, 3);
	for (int i = 0; i < 2; i++) {
		io_uring_prep_accept_direct(diff_sqe(c, (__u64)(10 + i)), b.lfd,
					    NULL, NULL, 0, (unsigned)i);
		DIFF_SUBMIT(c);
		DIFF_WAIT(c, 1);
	}
	/* A slot past the table fails after taking the connection. */
	io_uring_prep_accept_direct(diff_sqe(c, 12), b.lfd, NULL, NULL, 0, 100);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	/* So does an address the peer's name cannot be copied to. */
	connect_n(&b, 2);
	s = diff_sqe(c, 13);
	io_uring_prep_accept(s, b.lfd, (struct sockaddr *)8, &addrlen, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 1);
	accept_each(c, &b, 1);
	backlog_close(&b);
}

/* Multishot: one CQE per queued connection, then one per arrival. */
static void multishot_queued(struct diff_ctx *c)
{
	struct backlog b;

	tcp_listen(&b);
	connect_n(&b, 4);
	io_uring_prep_multishot_accept(diff_sqe(c, 1 | FDRES), b.lfd, NULL,
				       NULL, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 4);
	/* An arrival while it waits finds nothing behind it. */
	arrive(&b, 1);
	DIFF_WAIT(c, 1);
	io_uring_prep_cancel64(diff_sqe(c, 2), 1 | FDRES, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	backlog_close(&b);
}

/* Multishot into slots the ring picks. */
static void multishot_direct(struct diff_ctx *c)
{
	struct backlog b;

	diff_ret(c, io_uring_register_files_sparse(&c->ring, 8), __LINE__);
	tcp_listen(&b);
	connect_n(&b, 3);
	io_uring_prep_multishot_accept_direct(diff_sqe(c, 1), b.lfd, NULL, NULL,
					      0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	io_uring_prep_cancel64(diff_sqe(c, 2), 1, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	backlog_close(&b);
}

/*
 * Multishot direct accepts only into slots the ring picks: a fixed slot
 * fails at prep, table or not, instead of waiting for a connection.
 */
static void multishot_direct_slot(struct diff_ctx *c)
{
	struct io_uring_sqe *s;
	struct backlog b;

	tcp_listen(&b);
	s = diff_sqe(c, 1);
	io_uring_prep_multishot_accept_direct(s, b.lfd, NULL, NULL, 0);
	s->file_index = 1;
	DIFF_CHECK(c);
	diff_ret(c, io_uring_register_files_sparse(&c->ring, 4), __LINE__);
	s = diff_sqe(c, 2);
	io_uring_prep_multishot_accept_direct(s, b.lfd, NULL, NULL, 0);
	s->file_index = 2;
	DIFF_CHECK(c);
	backlog_close(&b);
}

/* Multishot on a unix listener: never flagged. */
static void multishot_unix(struct diff_ctx *c)
{
	struct backlog b;

	unix_listen(&b);
	connect_n(&b, 3);
	io_uring_prep_multishot_accept(diff_sqe(c, 1 | FDRES), b.lfd, NULL,
				       NULL, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT(c, 3);
	io_uring_prep_cancel64(diff_sqe(c, 2), 1 | FDRES, 0);
	DIFF_SUBMIT(c);
	DIFF_WAIT_SORTED(c, 2);
	backlog_close(&b);
}

#define DEFER (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)

static const struct diff_scenario scenarios[] = {
	{"accept, one queued", 0, 0, single_one, 0},
	{"accept, three queued", 0, 0, single_three, 0},
	{"accept, three queued, deferred", DEFER, 0, single_three, 0},
	{"accept, unix listener", 0, 0, single_unix, 0},
	{"accept direct and its late errors", 0, 0, single_direct, 0},
	{"multishot accept, queued", 0, 0, multishot_queued, 0},
	{"multishot accept, queued, deferred", DEFER, 0, multishot_queued, 0},
	{"multishot accept direct", 0, 0, multishot_direct, 0},
	{"multishot accept direct, fixed slot", 0, 0, multishot_direct_slot,
	 0},
	{"multishot accept, unix listener", 0, 0, multishot_unix, 0},
};

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return diff_run_all(scenarios,
			    sizeof(scenarios) / sizeof(scenarios[0]));
}
