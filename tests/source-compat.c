/* SPDX-License-Identifier: MIT */
/*
 * Source compatibility: a program written only against liburing's public
 * API, built with -Wall -Wextra -Werror against anyring's <liburing.h>.
 * Every prep helper is instantiated into a scratch SQE; one NOP is run.
 */
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

static void prep_everything(struct io_uring_sqe *s)
{
	struct __kernel_timespec ts = {0, 0};
	struct iovec iov = {0, 0};
	struct msghdr msg;
	struct sockaddr sa;
	socklen_t sl = 0;
	struct open_how how;
	struct epoll_event ev;
	struct statx stx;
	siginfo_t si;
	uint32_t futex = 0;
	int fds[2] = {0, 0};
	char buf[8];

	memset(&msg, 0, sizeof(msg));
	memset(&how, 0, sizeof(how));
	io_uring_prep_nop(s);
	io_uring_prep_readv(s, 0, &iov, 1, 0);
	io_uring_prep_readv2(s, 0, &iov, 1, 0, 0);
	io_uring_prep_readv_fixed(s, 0, &iov, 1, 0, 0, 0);
	io_uring_prep_writev(s, 0, &iov, 1, 0);
	io_uring_prep_writev2(s, 0, &iov, 1, 0, 0);
	io_uring_prep_writev_fixed(s, 0, &iov, 1, 0, 0, 0);
	io_uring_prep_read(s, 0, buf, 8, 0);
	io_uring_prep_read_fixed(s, 0, buf, 8, 0, 0);
	io_uring_prep_read_multishot(s, 0, 8, 0, 1);
	io_uring_prep_write(s, 0, buf, 8, 0);
	io_uring_prep_write_fixed(s, 0, buf, 8, 0, 0);
	io_uring_prep_fsync(s, 0, IORING_FSYNC_DATASYNC);
	io_uring_prep_poll_add(s, 0, 1);
	io_uring_prep_poll_multishot(s, 0, 1);
	io_uring_prep_poll_remove(s, 1);
	io_uring_prep_poll_update(s, 1, 2, 1, IORING_POLL_UPDATE_EVENTS);
	io_uring_prep_sync_file_range(s, 0, 8, 0, 0);
	io_uring_prep_sendmsg(s, 0, &msg, 0);
	io_uring_prep_sendmsg_zc(s, 0, &msg, 0);
	io_uring_prep_sendmsg_zc_fixed(s, 0, &msg, 0, 0);
	io_uring_prep_recvmsg(s, 0, &msg, 0);
	io_uring_prep_recvmsg_multishot(s, 0, &msg, 0);
	io_uring_prep_timeout(s, &ts, 1, 0);
	io_uring_prep_timeout_remove(s, 1, 0);
	io_uring_prep_timeout_update(s, &ts, 1, 0);
	io_uring_prep_link_timeout(s, &ts, 0);
	io_uring_prep_accept(s, 0, &sa, &sl, 0);
	io_uring_prep_accept_direct(s, 0, &sa, &sl, 0, IORING_FILE_INDEX_ALLOC);
	io_uring_prep_multishot_accept(s, 0, &sa, &sl, 0);
	io_uring_prep_multishot_accept_direct(s, 0, &sa, &sl, 0);
	io_uring_prep_cancel(s, NULL, 0);
	io_uring_prep_cancel64(s, 1, IORING_ASYNC_CANCEL_ALL);
	io_uring_prep_cancel_fd(s, 0, 0);
	io_uring_prep_connect(s, 0, &sa, sl);
	io_uring_prep_bind(s, 0, &sa, sl);
	io_uring_prep_listen(s, 0, 1);
	io_uring_prep_fallocate(s, 0, 0, 0, 8);
	io_uring_prep_openat(s, AT_FDCWD, "x", O_RDONLY, 0);
	io_uring_prep_openat_direct(s, AT_FDCWD, "x", O_RDONLY, 0, 1);
	io_uring_prep_open(s, "x", O_RDONLY, 0);
	io_uring_prep_open_direct(s, "x", O_RDONLY, 0, 1);
	io_uring_prep_openat2(s, AT_FDCWD, "x", &how);
	io_uring_prep_openat2_direct(s, AT_FDCWD, "x", &how, 1);
	io_uring_prep_close(s, 0);
	io_uring_prep_close_direct(s, 0);
	io_uring_prep_files_update(s, fds, 2, 0);
	io_uring_prep_statx(s, AT_FDCWD, "x", 0, 0, &stx);
	io_uring_prep_fadvise(s, 0, 0, 8, 0);
	io_uring_prep_fadvise64(s, 0, 0, 8, 0);
	io_uring_prep_madvise(s, buf, 8, 0);
	io_uring_prep_madvise64(s, buf, 8, 0);
	io_uring_prep_send(s, 0, buf, 8, 0);
	io_uring_prep_send_bundle(s, 0, 8, 0);
	io_uring_prep_sendto(s, 0, buf, 8, 0, &sa, sl);
	io_uring_prep_send_zc(s, 0, buf, 8, 0, 0);
	io_uring_prep_send_zc_fixed(s, 0, buf, 8, 0, 0, 0);
	io_uring_prep_recv(s, 0, buf, 8, 0);
	io_uring_prep_recv_multishot(s, 0, buf, 8, 0);
	io_uring_prep_recv_zc(s, 0, 8, 0, 0);
	io_uring_prep_epoll_ctl(s, 0, 1, EPOLL_CTL_ADD, &ev);
	io_uring_prep_epoll_wait(s, 0, &ev, 1, 0);
	io_uring_prep_splice(s, 0, -1, 1, -1, 8, 0);
	io_uring_prep_tee(s, 0, 1, 8, 0);
	io_uring_prep_provide_buffers(s, buf, 8, 1, 1, 0);
	io_uring_prep_remove_buffers(s, 1, 1);
	io_uring_prep_shutdown(s, 0, 0);
	io_uring_prep_renameat(s, AT_FDCWD, "a", AT_FDCWD, "b", 0);
	io_uring_prep_rename(s, "a", "b");
	io_uring_prep_unlinkat(s, AT_FDCWD, "a", 0);
	io_uring_prep_unlink(s, "a", 0);
	io_uring_prep_mkdirat(s, AT_FDCWD, "a", 0700);
	io_uring_prep_mkdir(s, "a", 0700);
	io_uring_prep_symlinkat(s, "a", AT_FDCWD, "b");
	io_uring_prep_symlink(s, "a", "b");
	io_uring_prep_linkat(s, AT_FDCWD, "a", AT_FDCWD, "b", 0);
	io_uring_prep_link(s, "a", "b", 0);
	io_uring_prep_msg_ring(s, 0, 1, 2, 0);
	io_uring_prep_msg_ring_cqe_flags(s, 0, 1, 2, 0, 3);
	io_uring_prep_msg_ring_fd(s, 0, 1, 2, 3, 0);
	io_uring_prep_msg_ring_fd_alloc(s, 0, 1, 3, 0);
	io_uring_prep_getxattr(s, "n", buf, "p", 8);
	io_uring_prep_setxattr(s, "n", buf, "p", 0, 8);
	io_uring_prep_fgetxattr(s, 0, "n", buf, 8);
	io_uring_prep_fsetxattr(s, 0, "n", buf, 0, 8);
	io_uring_prep_socket(s, AF_INET, SOCK_STREAM, 0, 0);
	io_uring_prep_socket_direct(s, AF_INET, SOCK_STREAM, 0, 1, 0);
	io_uring_prep_socket_direct_alloc(s, AF_INET, SOCK_STREAM, 0, 0);
	io_uring_prep_uring_cmd(s, 0, 0);
	io_uring_prep_cmd_sock(s, SOCKET_URING_OP_SIOCINQ, 0, 0, 0, NULL, 0);
	io_uring_prep_cmd_getsockname(s, 0, &sa, &sl, 0);
	io_uring_prep_cmd_discard(s, 0, 0, 4096);
	io_uring_prep_waitid(s, P_ALL, 0, &si, WEXITED, 0);
	io_uring_prep_futex_wake(s, &futex, 1, ~0ULL, 2, 0);
	io_uring_prep_futex_wait(s, &futex, 1, ~0ULL, 2, 0);
	io_uring_prep_futex_waitv(s, NULL, 0, 0);
	io_uring_prep_fixed_fd_install(s, 0, 0);
	io_uring_prep_ftruncate(s, 0, 8);
	io_uring_prep_pipe(s, fds, 0);
	io_uring_prep_pipe_direct(s, fds, 0, IORING_FILE_INDEX_ALLOC);
	io_uring_sqe_set_data(s, NULL);
	io_uring_sqe_set_data64(s, 1);
	io_uring_sqe_set_flags(s, IOSQE_ASYNC);
	io_uring_sqe_set_buf_group(s, 1);
}

int main(void)
{
	struct io_uring_sqe scratch;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned head, seen = 0;

	prep_everything(&scratch);
	if (io_uring_queue_init(4, &ring, 0))
		return 77;
	io_uring_prep_nop(io_uring_get_sqe(&ring));
	if (io_uring_submit_and_wait(&ring, 1) != 1)
		return 1;
	io_uring_for_each_cqe(&ring, head, cqe) {
		if (io_uring_cqe_get_data64(cqe) != 0 || cqe->res != 0)
			return 1;
		seen++;
	}
	io_uring_cq_advance(&ring, seen);
	io_uring_queue_exit(&ring);
	return seen == 1 ? 0 : 1;
}
