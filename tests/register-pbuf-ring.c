/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_PBUF_RING, UNREGISTER_PBUF_RING, REGISTER_PBUF_STATUS
 * (kernel-semantics.md §3.22, §3.23, §3.26), the liburing buffer-ring
 * helpers, and buffer selection consuming the ring.
 */
#include "harness.h"

#define PAGE 4096UL

static void check_register_errors(struct io_uring *ring, void *mem)
{
	struct io_uring_buf_reg r = {.ring_addr = (unsigned long)mem,
				     .ring_entries = 8, .bgid = 1};

	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, NULL, 1), -EINVAL);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 2), -EINVAL);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, (void *)16, 1), -EFAULT);
	r.resv[4] = 1;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EINVAL);
	r.resv[4] = 0;
	r.min_left = 1; /* only meaningful for incremental rings */
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EINVAL);
	r.min_left = 0;
	r.flags = 4;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EINVAL);
	r.flags = 0;
	r.ring_entries = 0;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EINVAL);
	r.ring_entries = 6;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EINVAL);
	r.ring_entries = 65536;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EINVAL);
	r.ring_entries = 8;
	r.ring_addr = 0;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EFAULT);
	r.ring_addr = (unsigned long)mem + 64;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EINVAL);
	/*
	 * Memory that cannot be pinned for writing: read-only, then no access
	 * (kept mapped, so no other thread's mapping can land there).
	 */
	{
		void *ro = mmap(NULL, PAGE, PROT_READ,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		r.ring_addr = (unsigned long)ro;
		ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EFAULT);
		mprotect(ro, PAGE, PROT_NONE);
		ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EFAULT);
		munmap(ro, PAGE);
	}
	r.ring_addr = (unsigned long)mem;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), 0);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EEXIST);
	/* Overlapping memory between groups is allowed. */
	r.bgid = 2;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), 0);
	/* MMAP ignores ring_addr. */
	r.bgid = 3;
	r.flags = IOU_PBUF_RING_MMAP;
	r.ring_addr = 12345;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), 0);
	r.bgid = 4;
	r.flags = IOU_PBUF_RING_INC;
	r.min_left = 16;
	r.ring_addr = (unsigned long)mem;
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), 0);

	/* Unregister: checks, then ENOENT for an unknown group. */
	memset(&r, 0, sizeof(r));
	r.bgid = 1;
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_PBUF_RING, NULL, 1), -EINVAL);
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_PBUF_RING, &r, 0), -EINVAL);
	r.flags = IOU_PBUF_RING_MMAP;
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_PBUF_RING, &r, 1), -EINVAL);
	r.flags = 0;
	r.resv[0] = 1;
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_PBUF_RING, &r, 1), -EINVAL);
	r.resv[0] = 0;
	r.min_left = 99; /* ignored */
	r.ring_entries = 3;
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_PBUF_RING, &r, 1), 0);
	ASSERT_EQ(t_reg(ring, IORING_UNREGISTER_PBUF_RING, &r, 1), -ENOENT);
	for (int bgid = 2; bgid <= 4; bgid++)
		ASSERT_EQ(io_uring_unregister_buf_ring(ring, bgid), 0);
}

static void check_status(struct io_uring *ring, void *mem)
{
	struct io_uring_buf_status st = {.buf_group = 7};
	struct io_uring_buf_reg r = {.ring_addr = (unsigned long)mem,
				     .ring_entries = 4, .bgid = 7};
	uint16_t head = 99;

	EXPECT_REG(ring, IORING_REGISTER_PBUF_STATUS, NULL, 1, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_PBUF_STATUS, &st, 2, -EINVAL);
	EXPECT_REG(ring, IORING_REGISTER_PBUF_STATUS, (void *)16, 1, -EFAULT);
	st.resv[7] = 1;
	EXPECT_REG(ring, IORING_REGISTER_PBUF_STATUS, &st, 1, -EINVAL);
	st.resv[7] = 0;
	EXPECT_REG(ring, IORING_REGISTER_PBUF_STATUS, &st, 1, -ENOENT);
	ASSERT_EQ(io_uring_buf_ring_head(ring, 7, &head), -ENOENT);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), 0);
	ASSERT_EQ(io_uring_buf_ring_head(ring, 7, &head), 0);
	ASSERT_EQ(head, 0);
	ASSERT_EQ(io_uring_unregister_buf_ring(ring, 7), 0);
}

/* Legacy provided buffers: a non-empty group blocks a ring (EEXIST). */
static void check_legacy_group(struct io_uring *ring, void *mem, char *bufs)
{
	struct io_uring_buf_reg r = {.ring_addr = (unsigned long)mem,
				     .ring_entries = 4, .bgid = 9};
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_buf_status st = {.buf_group = 9};
	struct t_cqe c;

	io_uring_prep_provide_buffers(sqe, bufs, 64, 2, 9, 0);
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_EQ(c.res, 0);
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), -EEXIST);
	EXPECT_REG(ring, IORING_REGISTER_PBUF_STATUS, &st, 1, -EINVAL);
	ASSERT_EQ(io_uring_unregister_buf_ring(ring, 9), -EINVAL);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_remove_buffers(sqe, 2, 9);
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_EQ(c.res, 2);
	/* The emptied legacy group is replaced silently. */
	ASSERT_EQ(t_reg(ring, IORING_REGISTER_PBUF_RING, &r, 1), 0);
	ASSERT_EQ(io_uring_unregister_buf_ring(ring, 9), 0);
}

/* setup_buf_ring (both kinds), selection from it, and the head. */
static void check_helpers(struct io_uring *ring, char *bufs)
{
	for (int kind = 0; kind < 2; kind++) {
		unsigned flags = kind ? IOU_PBUF_RING_MMAP : 0;
		struct io_uring_buf_ring *br;
		struct io_uring_sqe *sqe;
		struct t_cqe c;
		uint16_t head;
		int err = 0, p[2];

		br = io_uring_setup_buf_ring(ring, 4, 5, flags, &err);
		ASSERT_TRUE(br != NULL);
		ASSERT_EQ(err, 0);
		if (!br)
			continue;
		ASSERT_EQ(io_uring_setup_buf_ring(ring, 4, 5, flags, &err), NULL);
		ASSERT_EQ(err, -EEXIST);
		io_uring_buf_ring_add(br, bufs, 32, 7, io_uring_buf_ring_mask(4), 0);
		io_uring_buf_ring_advance(br, 1);
		ASSERT_EQ(io_uring_buf_ring_available(ring, br, 5), 1);
		REQUIRE_EQ(pipe(p), 0);
		ASSERT_EQ(write(p[1], "selected", 8), 8);
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_read(sqe, p[0], NULL, 32, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = 5;
		REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
		ASSERT_EQ(c.res, 8);
		ASSERT_TRUE(c.flags & IORING_CQE_F_BUFFER);
		ASSERT_EQ(c.flags >> IORING_CQE_BUFFER_SHIFT, 7);
		ASSERT_EQ(memcmp(bufs, "selected", 8), 0);
		ASSERT_EQ(io_uring_buf_ring_head(ring, 5, &head), 0);
		ASSERT_EQ(head, 1);
		/* Empty ring: ENOBUFS. */
		ASSERT_EQ(write(p[1], "x", 1), 1);
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_read(sqe, p[0], NULL, 32, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = 5;
		REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
		ASSERT_EQ(c.res, -ENOBUFS);
		ASSERT_EQ(io_uring_free_buf_ring(ring, br, 4, 5), 0);
		ASSERT_EQ(io_uring_free_buf_ring(ring, br, 4, 5), -ENOENT);
		close(p[0]);
		close(p[1]);
	}
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	void *mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static char bufs[4096];

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_PBUF_RING);
	t_ring(&ring, 8, 0);
	check_register_errors(&ring, mem);
	check_status(&ring, mem);
	check_legacy_group(&ring, mem, bufs);
	check_helpers(&ring, bufs);
	io_uring_queue_exit(&ring);
	munmap(mem, 4 * PAGE);
	return t_done();
}
