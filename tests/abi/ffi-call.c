/* SPDX-License-Identifier: MIT */
/*
 * A binding's view of liburing-ffi.so.2: every call, inline helpers
 * included, goes through a symbol found with dlsym, as Rust, Python or Go
 * bindings do. A NOP batch and a read of a file run on the backend
 * ANYRING_BACKEND names; exit 77 where that backend cannot run here.
 * usage: ffi-call LIBURING_FFI_SO
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liburing.h"

static void *lib;
static int failures;

static void *sym(const char *name)
{
	void *p = dlsym(lib, name);

	if (!p) {
		fprintf(stderr, "missing symbol %s\n", name);
		exit(1);
	}
	return p;
}

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,     \
				#cond);                                        \
			failures++;                                            \
		}                                                              \
	} while (0)

int main(int argc, char **argv)
{
	int (*queue_init)(unsigned, struct io_uring *, unsigned);
	void (*queue_exit)(struct io_uring *);
	struct io_uring_sqe *(*get_sqe)(struct io_uring *);
	void (*prep_nop)(struct io_uring_sqe *);
	void (*prep_read)(struct io_uring_sqe *, int, void *, unsigned, __u64);
	void (*set_data64)(struct io_uring_sqe *, __u64);
	int (*submit_and_wait)(struct io_uring *, unsigned);
	unsigned (*cq_ready)(const struct io_uring *);
	int (*peek_cqe)(struct io_uring *, struct io_uring_cqe **);
	void (*cqe_seen)(struct io_uring *, struct io_uring_cqe *);
	unsigned (*cqe_nr)(const struct io_uring_cqe *);
	struct io_uring ring;
	char path[] = "/tmp/anyring-ffi-XXXXXX", buf[8] = {0};
	int fd, ret;

	if (argc != 2)
		return 2;
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	*(void **)&queue_init = sym("io_uring_queue_init");
	*(void **)&queue_exit = sym("io_uring_queue_exit");
	*(void **)&get_sqe = sym("io_uring_get_sqe");
	*(void **)&prep_nop = sym("io_uring_prep_nop");
	*(void **)&prep_read = sym("io_uring_prep_read");
	*(void **)&set_data64 = sym("io_uring_sqe_set_data64");
	*(void **)&submit_and_wait = sym("io_uring_submit_and_wait");
	*(void **)&cq_ready = sym("io_uring_cq_ready");
	*(void **)&peek_cqe = sym("io_uring_peek_cqe");
	*(void **)&cqe_seen = sym("io_uring_cqe_seen");
	*(void **)&cqe_nr = sym("io_uring_cqe_nr");

	ret = queue_init(8, &ring, 0);
	if (ret == -ENOSYS || ret == -EPERM || ret == -EACCES) {
		fprintf(stderr, "no ring on this backend here: %d\n", ret);
		return 77;
	}
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %d\n", ret);
		return 1;
	}
	fd = mkstemp(path);
	if (fd < 0 || write(fd, "binding", 7) != 7)
		return 1;
	unlink(path);

	for (int i = 0; i < 3; i++) {
		struct io_uring_sqe *sqe = get_sqe(&ring);

		prep_nop(sqe);
		set_data64(sqe, 100 + (__u64)i);
	}
	prep_read(get_sqe(&ring), fd, buf, sizeof(buf), 0);
	CHECK(submit_and_wait(&ring, 4) == 4);
	CHECK(cq_ready(&ring) == 4);
	for (int i = 0; i < 4; i++) {
		struct io_uring_cqe *cqe = NULL;

		CHECK(peek_cqe(&ring, &cqe) == 0 && cqe);
		if (!cqe)
			break;
		CHECK(cqe_nr(cqe) == 1);
		if (i < 3)
			CHECK(cqe->user_data == 100 + (__u64)i && cqe->res == 0);
		else
			CHECK(cqe->res == 7 && !memcmp(buf, "binding", 7));
		cqe_seen(&ring, cqe);
	}
	CHECK(cq_ready(&ring) == 0);
	queue_exit(&ring);
	close(fd);
	/*
	 * No dlclose: bindings keep the library loaded, and the userspace
	 * backend keeps ring memory for reuse, which LeakSanitizer would
	 * report once the library's own pointers to it are unmapped.
	 */
	return failures ? 1 : 0;
}
