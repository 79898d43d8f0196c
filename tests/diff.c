/* SPDX-License-Identifier: MIT */
#include <poll.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "diff.h"

struct io_uring_sqe *diff_sqe(struct diff_ctx *c, __u64 user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);

	if (!sqe) {
		io_uring_submit(&c->ring);
		sqe = io_uring_get_sqe(&c->ring);
	}
	REQUIRE_EQ(sqe != NULL, 1);
	io_uring_prep_nop(sqe);
	sqe->user_data = user_data;
	return sqe;
}

static void log_add(struct diff_ctx *c, char what, __u64 ud, __s64 res,
		    __u32 flags, int line)
{
	if (c->n >= DIFF_LOG_MAX)
		return;
	c->log[c->n++] = (struct diff_entry){what, ud, res, flags, line};
}

void diff_ret(struct diff_ctx *c, long long value, int line)
{
	log_add(c, 'r', 0, value, 0, line);
}

void diff_submit_ret(struct diff_ctx *c, long long value, int line)
{
	/* With SQPOLL the count is what the poller had not yet taken. */
	if (!c->sqpoll || value < 0)
		diff_ret(c, value, line);
}

static void log_cqe(struct diff_ctx *c, struct io_uring_cqe *cqe, int line)
{
	__s64 res = cqe->res;

	if ((cqe->user_data & FDRES) && res >= 0) {
		close((int)res);
		res = 0;
	}
	log_add(c, 'c', cqe->user_data, res, cqe->flags, line);
}

/* Wait for n CQEs and log them; big: with their second halves too. */
static void wait_cqes(struct diff_ctx *c, int n, int line, bool big)
{
	struct __kernel_timespec ts = {.tv_sec = 5};

	for (int i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		int ret = io_uring_wait_cqe_timeout(&c->ring, &cqe, &ts);

		if (ret) {
			diff_ret(c, ret, line);
			return;
		}
		log_cqe(c, cqe, line);
		/* On a CQE_MIXED ring only IORING_CQE_F_32 CQEs are big. */
		if (big && (!(c->ring.flags & IORING_SETUP_CQE_MIXED) ||
			    (cqe->flags & IORING_CQE_F_32))) {
			diff_ret(c, (long long)cqe->big_cqe[0], line);
			diff_ret(c, (long long)cqe->big_cqe[1], line);
		}
		io_uring_cqe_seen(&c->ring, cqe);
	}
}

void diff_wait(struct diff_ctx *c, int n, int line)
{
	wait_cqes(c, n, line, false);
}

void diff_wait_big(struct diff_ctx *c, int n, int line)
{
	wait_cqes(c, n, line, true);
}

void diff_check_prep(struct diff_ctx *c, int line)
{
	diff_sqe(c, DIFF_TAIL_NOP);
	diff_submit_ret(c, io_uring_submit(&c->ring), line);
	diff_submit_ret(c, io_uring_submit(&c->ring), line);
	diff_wait_sorted(c, 2, line);
}

static int by_user_data(const void *a, const void *b)
{
	const struct diff_entry *x = a, *y = b;

	return x->user_data < y->user_data ? -1 : x->user_data > y->user_data;
}

void diff_wait_sorted(struct diff_ctx *c, int n, int line)
{
	int first = c->n;

	diff_wait(c, n, line);
	qsort(&c->log[first], (size_t)(c->n - first), sizeof(c->log[0]),
	      by_user_data);
}

void diff_reap(struct diff_ctx *c, int line)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&c->ring, &cqe) == 0) {
		log_cqe(c, cqe, line);
		io_uring_cqe_seen(&c->ring, cqe);
	}
}

static void fixtures_open(struct diff_ctx *c)
{
	char content[4096];

	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (char)('a' + i % 26);
	c->file = t_temp_file(0, 0);
	REQUIRE_EQ(write(c->file, content, sizeof(content)), sizeof(content));
	REQUIRE_EQ(pipe(c->pipe), 0);
	REQUIRE_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, c->sock), 0);
	strcpy(c->dir, "/tmp/anyring-diff-XXXXXX");
	REQUIRE_EQ(mkdtemp(c->dir) != NULL, 1);
	memset(c->buf, 0, sizeof(c->buf));
}

static void remove_tree(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd)) {
		/* best effort */
	}
}

static void fixtures_close(struct diff_ctx *c)
{
	close(c->file);
	close(c->pipe[0]);
	close(c->pipe[1]);
	close(c->sock[0]);
	close(c->sock[1]);
	remove_tree(c->dir);
}

static int run_on(const struct diff_scenario *s, enum anyring_backend b,
		  struct diff_ctx *c)
{
	struct io_uring_params p = {.flags = s->setup_flags,
				    .cq_entries = s->cq_entries};
	int ret;

	memset(c, 0, sizeof(*c));
	c->backend = b;
	REQUIRE_EQ(anyring_set_backend(b), 0);
	ret = io_uring_queue_init_params(s->entries ? s->entries : 16, &c->ring, &p);
	anyring_set_backend(ANYRING_BACKEND_AUTO);
	if (ret) {
		fprintf(stderr, "%s: %s setup: %s\n", s->name,
			anyring_backend_name(b), strerror(-ret));
		return ret;
	}
	REQUIRE_EQ(anyring_ring_backend(&c->ring), b);
	c->sqpoll = s->setup_flags & IORING_SETUP_SQPOLL;
	fixtures_open(c);
	s->run(c);
	io_uring_queue_exit(&c->ring);
	fixtures_close(c);
	return 0;
}

static bool same(const struct diff_entry *a, const struct diff_entry *b)
{
	return a->what == b->what && a->user_data == b->user_data &&
	       a->res == b->res && a->flags == b->flags;
}

static void print_entry(const char *side, const struct diff_entry *e)
{
	fprintf(stderr, "    %-6s line %d %s user_data=0x%llx res=%lld flags=0x%x\n",
		side, e->line, e->what == 'r' ? "ret" : "cqe",
		(unsigned long long)(e->user_data & ~FDRES), (long long)e->res,
		e->flags);
}

static int compare(const struct diff_scenario *s, struct diff_ctx *k,
		   struct diff_ctx *u)
{
	int n = k->n > u->n ? k->n : u->n;

	for (int i = 0; i < n; i++) {
		if (i < k->n && i < u->n && same(&k->log[i], &u->log[i]))
			continue;
		fprintf(stderr, "DIFF %s: entry %d differs\n", s->name, i);
		if (i < k->n)
			print_entry("kernel", &k->log[i]);
		if (i < u->n)
			print_entry("user", &u->log[i]);
		return 1;
	}
	return 0;
}

int diff_run_all(const struct diff_scenario *s, int n)
{
	static struct diff_ctx k, u;
	int failed = 0;

	if (anyring_kernel_status() != 0)
		t_skip("no kernel io_uring to compare against");
	if (!anyring_backend_available(ANYRING_BACKEND_USER))
		t_skip("no userspace backend");
	for (int i = 0; i < n; i++) {
		if (run_on(&s[i], ANYRING_BACKEND_KERNEL, &k) ||
		    run_on(&s[i], ANYRING_BACKEND_USER, &u)) {
			failed++;
			continue;
		}
		if (getenv("DIFF_VERBOSE")) {
			fprintf(stderr, "%s:\n", s[i].name);
			for (int j = 0; j < k.n || j < u.n; j++) {
				if (j < k.n)
					print_entry("kernel", &k.log[j]);
				if (j < u.n)
					print_entry("user", &u.log[j]);
			}
		}
		failed += compare(&s[i], &k, &u);
	}
	if (failed)
		fprintf(stderr, "FAIL: %d of %d scenarios differ\n", failed, n);
	else
		printf("%d scenarios identical on both backends\n", n);
	return failed ? 1 : 0;
}

/* A pair of loopback sockets of type, the first connected to the second. */
void diff_inet_pair(int type, int fds[2])
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int srv, one = 1;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	REQUIRE_EQ(srv >= 0, 1);
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	REQUIRE_EQ(bind(srv, (struct sockaddr *)&addr, sizeof(addr)), 0);
	REQUIRE_EQ(getsockname(srv, (struct sockaddr *)&addr, &len), 0);
	if (type == SOCK_STREAM)
		REQUIRE_EQ(listen(srv, 1), 0);
	fds[0] = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	REQUIRE_EQ(connect(fds[0], (struct sockaddr *)&addr, len), 0);
	if (type == SOCK_STREAM) {
		fds[1] = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
		close(srv);
	} else {
		fds[1] = srv;
	}
	REQUIRE_EQ(fds[1] >= 0, 1);
}
