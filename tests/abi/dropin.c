/* SPDX-License-Identifier: MIT */
/*
 * The ABI drop-in: built against Debian's liburing-dev headers and linked
 * against Debian's liburing.so.2, then run with the loader pointed at
 * anyring's liburing.so.2. It checks that anyring is what got loaded, then
 * drives the ring and the registration family through liburing 2.3's ABI
 * (including its inline code, which reads the ring memory directly).
 */
#include <dlfcn.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(got, want)                                                       \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (g_ != w_) {                                                \
			fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n",    \
				__FILE__, __LINE__, #got, g_, w_);             \
			failures++;                                            \
		}                                                              \
	} while (0)

static int backend_kind = 1; /* ANYRING_BACKEND_KERNEL */
static int (*register_supported)(int backend, unsigned opcode);

/* Skip (77) when the backend this run asks for cannot run here. */
static void require_backend(void)
{
	int (*available)(int) = (int (*)(int))dlsym(RTLD_DEFAULT,
						    "anyring_backend_available");
	int (*kernel_status)(void) =
		(int (*)(void))dlsym(RTLD_DEFAULT, "anyring_kernel_status");
	const char *b = getenv("ANYRING_BACKEND");

	if (!available || !kernel_status || !dlsym(RTLD_DEFAULT,
						   "anyring_register_op_supported")) {
		fprintf(stderr, "FAIL: the loaded liburing.so.2 is not anyring\n");
		exit(1);
	}
	register_supported = (int (*)(int, unsigned))dlsym(
		RTLD_DEFAULT, "anyring_register_op_supported");
	if (b && !strcmp(b, "user"))
		backend_kind = 2;
	if (b && !strcmp(b, "user") && !available(2)) {
		fprintf(stderr, "SKIP: no userspace backend in this build\n");
		exit(77);
	}
	if (b && !strcmp(b, "kernel") && kernel_status() != 0) {
		fprintf(stderr, "SKIP: the kernel refuses io_uring here\n");
		exit(77);
	}
}

struct completion {
	__u64 user_data;
	__s32 res;
};

static struct completion reap_one(struct io_uring *ring)
{
	struct completion copy = {0, 0};
	struct io_uring_cqe *cqe;

	if (io_uring_wait_cqe(ring, &cqe) == 0) {
		copy.user_data = cqe->user_data;
		copy.res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	} else {
		failures++;
	}
	return copy;
}

int main(void)
{
	char path[] = "/tmp/anyring-abi-XXXXXX", buf[16] = {0};
	struct iovec iov = {buf, sizeof(buf)};
	__u64 file_tag = 0xf1, buf_tag = 0xb1;
	struct io_uring_sqe *sqe;
	struct completion cqe;
	struct io_uring_probe *probe;
	struct io_uring ring;
	int fd, empty = -1;

	require_backend();
	fd = mkstemp(path);
	unlink(path);
	CHECK(write(fd, "drop-in works", 13), 13);

	CHECK(io_uring_queue_init(8, &ring, 0), 0);
	probe = io_uring_get_probe_ring(&ring);
	CHECK(probe != NULL, 1);
	if (probe) {
		CHECK(io_uring_opcode_supported(probe, IORING_OP_READ), 1);
		io_uring_free_probe(probe);
	}

	/* The ring core through 2.3's ABI: a plain read. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 13, 0);
	sqe->user_data = 41;
	CHECK(io_uring_submit(&ring), 1);
	cqe = reap_one(&ring);
	CHECK(cqe.user_data, 41);
	CHECK(cqe.res, 13);
	CHECK(memcmp(buf, "drop-in works", 13), 0);

	/* The registration family, where the backend has it. */
	if (register_supported(backend_kind, IORING_REGISTER_FILES2) &&
	    register_supported(backend_kind, IORING_REGISTER_BUFFERS2) &&
	    register_supported(backend_kind, IORING_REGISTER_RING_FDS)) {
		memset(buf, 0, sizeof(buf));
		CHECK(io_uring_register_files_sparse(&ring, 2), 0);
		CHECK(io_uring_register_files_update_tag(&ring, 1, &fd, &file_tag, 1), 1);
		CHECK(io_uring_register_buffers_tags(&ring, &iov, &buf_tag, 1), 0);
		CHECK(io_uring_register_ring_fd(&ring), 1);

		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read_fixed(sqe, 1, buf, 13, 0, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		sqe->user_data = 42;
		CHECK(io_uring_submit(&ring), 1);
		cqe = reap_one(&ring);
		CHECK(cqe.user_data, 42);
		CHECK(cqe.res, 13);
		CHECK(memcmp(buf, "drop-in works", 13), 0);

		CHECK(io_uring_register_files_update(&ring, 1, &empty, 1), 1);
		cqe = reap_one(&ring);
		CHECK(cqe.user_data, 0xf1);
		CHECK(io_uring_unregister_buffers(&ring), 0);
		cqe = reap_one(&ring);
		CHECK(cqe.user_data, 0xb1);
		CHECK(io_uring_unregister_files(&ring), 0);
		CHECK(io_uring_unregister_ring_fd(&ring), 1);
	} else {
		fprintf(stderr, "note: registration not in this backend yet\n");
	}
	io_uring_queue_exit(&ring);
	close(fd);
	if (failures)
		fprintf(stderr, "FAIL: %d check(s)\n", failures);
	return failures ? 1 : 0;
}
