/* SPDX-License-Identifier: MIT */
/*
 * The multishot RECVMSG buffer helpers: io_uring_recvmsg_validate() and
 * io_uring_recvmsg_payload_length() bound the header, name and control data
 * by the buffer without letting any length wrap, and agree with what a
 * multishot recvmsg really writes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "harness.h"

#define HDR ((int)sizeof(struct io_uring_recvmsg_out))

static void check_bounds(void)
{
	unsigned char buf[64];
	struct io_uring_recvmsg_out *o = (struct io_uring_recvmsg_out *)buf;
	struct msghdr m;

	memset(buf, 0, sizeof(buf));
	memset(&m, 0, sizeof(m));
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, HDR, &m) == o);
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, HDR - 1, &m) == NULL);
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, -1, &m) == NULL);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, HDR, &m), 0);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, HDR - 1, &m), 0);

	m.msg_namelen = 4;
	m.msg_controllen = 8;
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, 64, &m) == o);
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, HDR + 12, &m) == o);
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, HDR + 11, &m) == NULL);
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, -1, &m) == NULL);
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, -HDR - 12, &m) == NULL);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, 64, &m), 64 - HDR - 12);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, HDR + 12, &m), 0);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, HDR + 11, &m), 0);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, -1, &m), 0);

	/* Name and control longer than the buffer together, each shorter. */
	m.msg_namelen = 40;
	m.msg_controllen = 30;
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, 64, &m) == NULL);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, 64, &m), 0);
}

/* Lengths a hostile or corrupt msghdr carries, whose sum wraps to little. */
static void check_wrapping_lengths(void)
{
	unsigned char buf[64];
	struct io_uring_recvmsg_out *o = (struct io_uring_recvmsg_out *)buf;
	struct msghdr m;

	memset(buf, 0, sizeof(buf));
	memset(&m, 0, sizeof(m));
	m.msg_namelen = 4;
	m.msg_controllen = 0;
	m.msg_controllen -= (unsigned)HDR; /* plus HDR and the name: 4 */
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, 64, &m) == NULL);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, 64, &m), 0);

	m.msg_controllen = 0;
	m.msg_controllen--;
	m.msg_namelen = 1;
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, 64, &m) == NULL);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, 64, &m), 0);

	m.msg_namelen = 0;
	m.msg_namelen--;
	m.msg_controllen = 8;
	ASSERT_TRUE(io_uring_recvmsg_validate(buf, 64, &m) == NULL);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, 64, &m), 0);
}

/* A datagram through a multishot recvmsg, read back with the helpers. */
static void check_real_datagram(void)
{
	static char bufs[2][256];
	struct sockaddr_in addr, *from;
	socklen_t alen = sizeof(addr);
	struct io_uring_recvmsg_out *o;
	struct io_uring_buf_ring *br;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct msghdr m;
	struct t_cqe c;
	int rx, tx, err, bid;

	t_ring(&ring, 8, 0);
	br = io_uring_setup_buf_ring(&ring, 2, 7, 0, &err);
	REQUIRE_EQ(br != NULL, 1);
	for (int i = 0; i < 2; i++)
		io_uring_buf_ring_add(br, bufs[i], sizeof(bufs[i]), (unsigned short)i,
				      io_uring_buf_ring_mask(2), i);
	io_uring_buf_ring_advance(br, 2);

	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE_EQ(rx >= 0 && tx >= 0, 1);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE_EQ(bind(rx, (struct sockaddr *)&addr, sizeof(addr)), 0);
	REQUIRE_EQ(getsockname(rx, (struct sockaddr *)&addr, &alen), 0);
	REQUIRE_EQ(sendto(tx, "datagram", 8, 0, (struct sockaddr *)&addr,
			  sizeof(addr)), 8);

	memset(&m, 0, sizeof(m));
	m.msg_namelen = sizeof(struct sockaddr_in);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recvmsg_multishot(sqe, rx, &m, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 7;
	sqe->user_data = 1;
	REQUIRE_EQ(t_submit_wait(&ring, &c, 1), 1);
	REQUIRE_EQ(c.flags & IORING_CQE_F_BUFFER, IORING_CQE_F_BUFFER);
	ASSERT_EQ(c.flags & IORING_CQE_F_MORE, IORING_CQE_F_MORE);
	ASSERT_EQ(c.res, HDR + (int)sizeof(struct sockaddr_in) + 8);
	bid = (int)(c.flags >> IORING_CQE_BUFFER_SHIFT);
	REQUIRE_EQ(bid == 0 || bid == 1, 1);
	o = io_uring_recvmsg_validate(bufs[bid], c.res, &m);
	REQUIRE_EQ(o != NULL, 1);
	ASSERT_EQ(o->namelen, sizeof(struct sockaddr_in));
	ASSERT_EQ(o->payloadlen, 8);
	ASSERT_EQ(io_uring_recvmsg_payload_length(o, c.res, &m), 8);
	ASSERT_EQ(memcmp(io_uring_recvmsg_payload(o, &m), "datagram", 8), 0);
	from = io_uring_recvmsg_name(o);
	ASSERT_EQ(from->sin_family, AF_INET);
	ASSERT_EQ(from->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* One byte short of what was written is no longer a valid buffer. */
	ASSERT_TRUE(io_uring_recvmsg_validate(bufs[bid], HDR + 15, &m) == NULL);

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_cancel64(sqe, 1, 0);
	sqe->user_data = 2;
	REQUIRE_EQ(io_uring_submit(&ring), 1);
	for (int i = 0; i < 2; i++)
		(void)t_wait_one(&ring);
	close(rx);
	close(tx);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	check_bounds();
	check_wrapping_lengths();
	check_real_datagram();
	return t_done();
}
