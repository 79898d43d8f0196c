/* SPDX-License-Identifier: MIT */
/*
 * A liburing program as a user writes it, built by scripts/test-install
 * against an installed anyring (and against the system's liburing, as an
 * existing binary): registers a file, writes and reads it through the
 * fixed slot, and says which backend ran it when built with anyring.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>
#ifdef WITH_ANYRING
#include <anyring.h>
#endif

static const char message[] = "written through a registered file";

static int fail(const char *what, int err)
{
	fprintf(stderr, "prog: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

/* One SQE on fixed file 0, waited for; the CQE's res, or a -errno. */
static int run_fixed(struct io_uring *ring, int write, void *buf, unsigned len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (write)
		io_uring_prep_write(sqe, 0, buf, len, 0);
	else
		io_uring_prep_read(sqe, 0, buf, len, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

int main(void)
{
	char path[] = "/tmp/anyring-prog-XXXXXX", back[64] = {0};
	struct io_uring ring;
	int fd, ret;

	fd = mkstemp(path);
	if (fd < 0)
		return fail("mkstemp", -1);
	unlink(path);
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0)
		return fail("io_uring_queue_init", ret);
	ret = io_uring_register_files(&ring, &fd, 1);
	if (ret < 0)
		return fail("io_uring_register_files", ret);
	ret = run_fixed(&ring, 1, (void *)message, sizeof(message));
	if (ret != (int)sizeof(message))
		return fail("write", ret < 0 ? ret : 5);
	ret = run_fixed(&ring, 0, back, sizeof(back));
	if (ret != (int)sizeof(message) || memcmp(back, message, sizeof(message)))
		return fail("read back", ret < 0 ? ret : 5);
	ret = io_uring_unregister_files(&ring);
	if (ret < 0)
		return fail("io_uring_unregister_files", ret);
#ifdef WITH_ANYRING
	printf("ok: anyring %s, %s backend\n", anyring_version(),
	       anyring_backend_name(anyring_ring_backend(&ring)));
#else
	printf("ok\n");
#endif
	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}
