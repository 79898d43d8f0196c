/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_MEM_REGION (kernel-semantics.md §3.34) and the wait-argument
 * region that replaced the man page's CQWAIT_REG: io_uring_register_wait_reg()
 * and io_uring_submit_and_wait_reg().
 */
#include "harness.h"

#define PAGE 4096UL

static int reg_region(struct io_uring *ring, struct io_uring_region_desc *d,
		      __u64 flags)
{
	struct io_uring_mem_region_reg mr = {.region_uptr = (unsigned long)d,
					     .flags = flags};

	return io_uring_register_region(ring, &mr);
}

static void check_errors(void *mem)
{
	struct io_uring_region_desc d;
	struct io_uring_mem_region_reg mr = {0};
	struct io_uring ring, enabled;

	t_ring(&enabled, 4, 0);
	memset(&d, 0, sizeof(d));
	d.user_addr = (unsigned long)mem;
	d.size = PAGE;
	d.flags = IORING_MEM_REGION_TYPE_USER;
	ASSERT_EQ(reg_region(&enabled, &d, IORING_MEM_REGION_REG_WAIT_ARG), -EINVAL);
	io_uring_queue_exit(&enabled);

	t_ring(&ring, 4, IORING_SETUP_R_DISABLED);
	EXPECT_REG(&ring, IORING_REGISTER_MEM_REGION, NULL, 1, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_MEM_REGION, &mr, 2, -EINVAL);
	EXPECT_REG(&ring, IORING_REGISTER_MEM_REGION, &mr, 1, -EFAULT); /* desc 0 */
	mr.region_uptr = (unsigned long)&d;
	mr.__resv[1] = 1;
	EXPECT_REG(&ring, IORING_REGISTER_MEM_REGION, &mr, 1, -EINVAL);
	ASSERT_EQ(reg_region(&ring, &d, 2), -EINVAL);
	d.flags = 2;
	ASSERT_EQ(reg_region(&ring, &d, 0), -EINVAL);
	d.flags = 0; /* user address without TYPE_USER */
	ASSERT_EQ(reg_region(&ring, &d, 0), -EFAULT);
	d.flags = IORING_MEM_REGION_TYPE_USER;
	d.user_addr = 0;
	ASSERT_EQ(reg_region(&ring, &d, 0), -EFAULT);
	d.user_addr = (unsigned long)mem;
	d.size = 0;
	ASSERT_EQ(reg_region(&ring, &d, 0), -EINVAL);
	d.size = PAGE;
	d.id = 1;
	ASSERT_EQ(reg_region(&ring, &d, 0), -EINVAL);
	d.id = 0;
	d.mmap_offset = PAGE;
	ASSERT_EQ(reg_region(&ring, &d, 0), -EINVAL);
	d.mmap_offset = 0;
	d.size = 100;
	ASSERT_EQ(reg_region(&ring, &d, 0), -EINVAL);
	d.size = PAGE;
	d.user_addr = (unsigned long)mem + 8;
	ASSERT_EQ(reg_region(&ring, &d, 0), -EINVAL);
	d.user_addr = (unsigned long)mem;
	ASSERT_EQ(reg_region(&ring, &d, IORING_MEM_REGION_REG_WAIT_ARG), 0);
	ASSERT_EQ(reg_region(&ring, &d, IORING_MEM_REGION_REG_WAIT_ARG), -EBUSY);
	io_uring_queue_exit(&ring);

	/* Kernel memory: the mmap offset is written back. */
	t_ring(&ring, 4, 0);
	memset(&d, 0, sizeof(d));
	d.size = PAGE;
	ASSERT_EQ(reg_region(&ring, &d, 0), 0);
	ASSERT_EQ(d.mmap_offset, 0x20000000ULL);
	io_uring_queue_exit(&ring);
}

static void check_wait_region(void)
{
	struct io_uring_reg_wait *w;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;

	w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	t_ring(&ring, 4, IORING_SETUP_R_DISABLED);
	ASSERT_EQ(io_uring_register_wait_reg(&ring, w, 0), -EINVAL);
	ASSERT_EQ(io_uring_register_wait_reg(&ring, w, 4), 0);
	ASSERT_EQ(io_uring_enable_rings(&ring), 0);

	/* Entry 1: wait at most 1 ms. */
	w[1].ts.tv_nsec = 1000000;
	w[1].flags = IORING_REG_WAIT_TS;
	ASSERT_EQ(io_uring_submit_and_wait_reg(&ring, &cqe, 1, 1), -ETIME);
	/* With a completion ready the wait returns it. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 5;
	ASSERT_EQ(io_uring_submit_and_wait_reg(&ring, &cqe, 1, 1), 1);
	ASSERT_TRUE(cqe != NULL);
	if (cqe) {
		ASSERT_EQ(cqe->user_data, 5);
		io_uring_cqe_seen(&ring, cqe);
	}
	/* Bad flags in the entry, and an index past the region. */
	w[2].flags = 0x80;
	ASSERT_EQ(io_uring_submit_and_wait_reg(&ring, &cqe, 1, 2), -EINVAL);
	ASSERT_EQ(io_uring_submit_and_wait_reg(&ring, &cqe, 1, 64), -EFAULT);
	ASSERT_EQ(io_uring_submit_and_wait_reg(&ring, &cqe, 1, -1), -EINVAL);
	io_uring_queue_exit(&ring);
	munmap(w, PAGE);
}

int main(int argc, char **argv)
{
	void *mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_MEM_REGION);
	check_errors(mem);
	check_wait_region();
	munmap(mem, 2 * PAGE);
	return t_done();
}
