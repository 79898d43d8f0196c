/* SPDX-License-Identifier: MIT */
#include <dirent.h>

#include "harness.h"

int t_failures;
const char *t_backend = "auto";

void t_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "SKIP: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(T_SKIP);
}

void t_init(int argc, char **argv)
{
	const char *b = getenv("ANYRING_BACKEND");

	(void)argc;
	(void)argv;
	if (!b || !*b)
		b = "auto";
	t_backend = b;
	if (!strcmp(b, "user") &&
	    !anyring_backend_available(ANYRING_BACKEND_USER))
		t_skip("the userspace backend is not in this build");
	if (!strcmp(b, "kernel") && anyring_kernel_status() != 0)
		t_skip("the kernel refuses io_uring here (%s)",
		       strerror(-anyring_kernel_status()));
	setvbuf(stderr, NULL, _IONBF, 0);
}

int t_done(void)
{
	if (t_failures) {
		fprintf(stderr, "FAIL: %d check(s) failed on the %s backend\n",
			t_failures, t_backend);
		return 1;
	}
	return 0;
}

void t_ring(struct io_uring *ring, unsigned entries, unsigned flags)
{
	int ret = io_uring_queue_init(entries, ring, flags);

	if (ret) {
		fprintf(stderr, "io_uring_queue_init(%u, 0x%x): %s\n", entries,
			flags, strerror(-ret));
		exit(1);
	}
}

int t_reap(struct io_uring *ring, struct t_cqe *out, int max)
{
	struct io_uring_cqe *cqe;
	int n = 0;

	while (n < max && io_uring_peek_cqe(ring, &cqe) == 0) {
		out[n].user_data = cqe->user_data;
		out[n].res = cqe->res;
		out[n].flags = cqe->flags;
		n++;
		io_uring_cqe_seen(ring, cqe);
	}
	return n;
}

struct t_cqe t_wait_one(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	struct t_cqe c = {0};
	int ret = io_uring_wait_cqe(ring, &cqe);

	if (ret) {
		fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
		exit(1);
	}
	c.user_data = cqe->user_data;
	c.res = cqe->res;
	c.flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return c;
}

int t_submit_wait(struct io_uring *ring, struct t_cqe *out, int n)
{
	int ret = io_uring_submit(ring);

	if (ret < 0)
		return ret;
	for (int i = 0; i < n; i++)
		out[i] = t_wait_one(ring);
	return ret;
}

int t_temp_file(size_t len, char pattern)
{
	char path[] = "/tmp/anyring-test-XXXXXX";
	int fd = mkstemp(path);
	char buf[4096];

	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	unlink(path);
	memset(buf, pattern, sizeof(buf));
	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);

		if (write(fd, buf, n) != (ssize_t)n) {
			perror("write");
			exit(1);
		}
		done += n;
	}
	return fd;
}

int t_count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int t_reg(struct io_uring *ring, unsigned op, const void *arg, unsigned nr)
{
	return io_uring_register((unsigned)ring->ring_fd, op, arg, nr);
}

enum anyring_backend t_backend_kind(void)
{
	if (!strcmp(t_backend, "user"))
		return ANYRING_BACKEND_USER;
	if (!strcmp(t_backend, "kernel"))
		return ANYRING_BACKEND_KERNEL;
	return (enum anyring_backend)anyring_default_backend();
}

bool t_has_register(unsigned opcode)
{
	return anyring_register_op_supported(t_backend_kind(), opcode);
}

void t_require_register(const unsigned *opcodes, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!t_has_register(opcodes[i]))
			t_skip("the %s backend does not implement register opcode %u yet",
			       t_backend, opcodes[i]);
}
