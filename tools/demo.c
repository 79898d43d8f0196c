/* SPDX-License-Identifier: MIT */
/*
 * `anyring demo`: the registration system end to end. A sparse file table
 * and a tagged buffer are registered, a READ_FIXED goes through both, and
 * replacing or unregistering them posts their tag CQEs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anyring.h"
#include "tool.h"

#define FILE_TAG 0xf11e
#define BUF_TAG 0xb0f
#define READ_DATA 42

static const char message[] = "hello from a registered file";

static int check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "anyring demo: %s: %s\n", what, strerror(-ret));
		exit(1);
	}
	printf("  %-44s -> %d\n", what, ret);
	return ret;
}

static void drain(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(ring, &cqe) == 0) {
		printf("  CQE user_data=0x%llx res=%d flags=0x%x\n",
		       (unsigned long long)cqe->user_data, cqe->res, cqe->flags);
		io_uring_cqe_seen(ring, cqe);
	}
}

static int temp_file_with_message(void)
{
	char path[] = "/tmp/anyring-demo-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, message, sizeof(message)) != sizeof(message)) {
		perror("anyring demo: temporary file");
		exit(1);
	}
	unlink(path);
	return fd;
}

int cmd_demo(int argc, char **argv)
{
	static char buf[4096] __attribute__((aligned(4096)));
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	__u64 file_tag = FILE_TAG, buf_tag = BUF_TAG;
	int fd = temp_file_with_message(), empty = -1;
	struct io_uring_sqe *sqe;
	struct io_uring ring;

	(void)argc;
	(void)argv;
	check(io_uring_queue_init(8, &ring, 0), "io_uring_queue_init(8)");
	printf("  ring runs on the %s backend\n",
	       anyring_backend_name(anyring_ring_backend(&ring)));
	if (!anyring_register_op_supported(anyring_ring_backend(&ring),
					   IORING_REGISTER_FILES2)) {
		printf("  registered files are not implemented on this backend "
		       "yet; nothing more to show\n");
		io_uring_queue_exit(&ring);
		close(fd);
		return 0;
	}
	check(io_uring_register_files_sparse(&ring, 4),
	      "register_files_sparse(4)");
	check(io_uring_register_files_update_tag(&ring, 1, &fd, &file_tag, 1),
	      "register_files_update_tag(slot 1, tag 0xf11e)");
	check(io_uring_register_buffers_tags(&ring, &iov, &buf_tag, 1),
	      "register_buffers_tags(4 KiB, tag 0xb0f)");

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, 1, buf, sizeof(message), 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = READ_DATA;
	check(io_uring_submit_and_wait(&ring, 1), "READ_FIXED on fixed file 1");
	drain(&ring);
	printf("  read back: \"%s\"\n", buf);

	check(io_uring_register_files_update(&ring, 1, &empty, 1),
	      "register_files_update(slot 1 -> empty)");
	drain(&ring);
	check(io_uring_unregister_buffers(&ring), "unregister_buffers");
	drain(&ring);
	check(io_uring_unregister_files(&ring), "unregister_files");
	io_uring_queue_exit(&ring);
	close(fd);
	return strcmp(buf, message) != 0;
}
