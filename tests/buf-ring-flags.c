/* SPDX-License-Identifier: MIT */
/*
 * io_uring_register_buf_ring()'s flags argument: IOU_PBUF_RING_INC given
 * there, with reg->flags 0 (as liburing's recv-inc-ooo and recvmsg-inc-tail
 * pass it), registers an incrementally consumed ring.
 */
#include <sys/socket.h>

#include "harness.h"

#define PAGE 4096UL
#define BGID 5

struct pbuf {
	struct io_uring_buf_ring *br;
	char *mem; /* nbufs buffers of len bytes */
	unsigned nbufs, len;
};

/* A ring in our memory, registered with flags given only as the argument. */
static int pbuf_register(struct io_uring *ring, struct pbuf *pb,
			 unsigned nbufs, unsigned len, unsigned min_left,
			 unsigned flags)
{
	struct io_uring_buf_reg reg;
	int ret;

	pb->nbufs = nbufs;
	pb->len = len;
	pb->br = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pb->mem = mmap(NULL, (size_t)nbufs * len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE_EQ(pb->br != MAP_FAILED && pb->mem != MAP_FAILED, 1);
	io_uring_buf_ring_init(pb->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)pb->br;
	reg.ring_entries = nbufs;
	reg.bgid = BGID;
	reg.min_left = min_left;
	ret = io_uring_register_buf_ring(ring, &reg, flags);
	if (ret)
		return ret;
	for (unsigned i = 0; i < nbufs; i++)
		io_uring_buf_ring_add(pb->br, pb->mem + (size_t)i * len, len,
				      (unsigned short)i,
				      io_uring_buf_ring_mask(nbufs), (int)i);
	io_uring_buf_ring_advance(pb->br, (int)nbufs);
	return 0;
}

static void pbuf_free(struct io_uring *ring, struct pbuf *pb)
{
	ASSERT_EQ(io_uring_unregister_buf_ring(ring, BGID), 0);
	munmap(pb->br, PAGE);
	munmap(pb->mem, (size_t)pb->nbufs * pb->len);
}

/* min_left needs an incremental ring; INC given as the argument is one. */
static void check_min_left_accepted(void)
{
	struct io_uring ring;
	struct pbuf pb;

	t_ring(&ring, 4, 0);
	ASSERT_EQ(pbuf_register(&ring, &pb, 4, 256, 32, IOU_PBUF_RING_INC), 0);
	pbuf_free(&ring, &pb);
	/* Without INC anywhere it is refused, as before. */
	ASSERT_EQ(pbuf_register(&ring, &pb, 4, 256, 32, 0), -EINVAL);
	munmap(pb.br, PAGE);
	munmap(pb.mem, (size_t)pb.nbufs * pb.len);
	io_uring_queue_exit(&ring);
}

/* Reads from a pipe share one buffer, each after the last, with BUF_MORE. */
static void check_reads_consume_incrementally(void)
{
	struct io_uring ring;
	struct pbuf pb;
	struct t_cqe c;
	uint16_t head = 99;
	int fds[2];

	t_ring(&ring, 4, 0);
	REQUIRE_EQ(pbuf_register(&ring, &pb, 1, 64, 0, IOU_PBUF_RING_INC), 0);
	REQUIRE_EQ(pipe(fds), 0);
	for (int i = 0; i < 2; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		REQUIRE_EQ(write(fds[1], i ? "0123456789" : "abcdefghij", 10),
			   10);
		io_uring_prep_read(sqe, fds[0], NULL, 64, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID;
		REQUIRE_EQ(t_submit_wait(&ring, &c, 1), 1);
		ASSERT_EQ(c.res, 10);
		ASSERT_EQ(c.flags & IORING_CQE_F_BUFFER, IORING_CQE_F_BUFFER);
		ASSERT_EQ(c.flags >> IORING_CQE_BUFFER_SHIFT, 0);
		ASSERT_EQ(c.flags & IORING_CQE_F_BUF_MORE, IORING_CQE_F_BUF_MORE);
	}
	/* The second read landed right after the first, in the same buffer. */
	ASSERT_EQ(memcmp(pb.mem, "abcdefghij0123456789", 20), 0);
	/* The one entry is still the ring's head, 44 bytes left in it. */
	ASSERT_EQ(io_uring_buf_ring_head(&ring, BGID, &head), 0);
	ASSERT_EQ(head, 0);
	ASSERT_EQ(pb.br->bufs[0].len, 44);
	close(fds[0]);
	close(fds[1]);
	pbuf_free(&ring, &pb);
	io_uring_queue_exit(&ring);
}

/*
 * liburing's recv-inc-ooo in small: a multishot recv's data, chunk after
 * chunk, lies in order from the start of the buffer memory.
 */
static void check_multishot_recv_in_order(void)
{
	static const unsigned chunks[] = {100, 28, 77, 42};
	unsigned char sent[247], *at;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct pbuf pb;
	unsigned total = 0;
	int fds[2];

	for (unsigned i = 0; i < sizeof(sent); i++)
		sent[i] = (unsigned char)(i * 7 + 1);
	t_ring(&ring, 8, 0);
	REQUIRE_EQ(pbuf_register(&ring, &pb, 2, 128, 0, IOU_PBUF_RING_INC), 0);
	REQUIRE_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recv_multishot(sqe, fds[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	REQUIRE_EQ(io_uring_submit(&ring), 1);
	at = (unsigned char *)pb.mem;
	for (unsigned i = 0; i < 4; i++) {
		struct t_cqe c;

		REQUIRE_EQ(write(fds[1], sent + total, chunks[i]),
			   (ssize_t)chunks[i]);
		c = t_wait_one(&ring);
		REQUIRE_EQ(c.res, (int)chunks[i]);
		ASSERT_EQ(c.flags & IORING_CQE_F_MORE, IORING_CQE_F_MORE);
		ASSERT_EQ(c.flags & IORING_CQE_F_BUFFER, IORING_CQE_F_BUFFER);
		/* 100 + 28 fill buffer 0's 128 bytes only if it is shared. */
		ASSERT_EQ(c.flags >> IORING_CQE_BUFFER_SHIFT, i < 2 ? 0 : 1);
		ASSERT_EQ(memcmp(at, sent + total, chunks[i]), 0);
		total += chunks[i];
		/* Buffer 0 ends after the second chunk; buffer 1 follows it. */
		at = i == 1 ? (unsigned char *)pb.mem + 128 : at + chunks[i];
	}
	close(fds[1]);
	for (;;) {
		struct t_cqe c = t_wait_one(&ring);

		if (!(c.flags & IORING_CQE_F_MORE)) {
			ASSERT_EQ(c.res, 0);
			break;
		}
	}
	close(fds[0]);
	pbuf_free(&ring, &pb);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	check_min_left_accepted();
	check_reads_consume_incrementally();
	check_multishot_recv_in_order();
	return t_done();
}
