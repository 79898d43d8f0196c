/* SPDX-License-Identifier: MIT */
/*
 * io_uring_queue_mmap() of a ring that is already live: the new view reads
 * the ring but writes nothing into it, whatever the ring memory says.
 */
#include "harness.h"

static void unmap_view(struct io_uring *view, const struct io_uring_params *p)
{
	size_t sqes = (size_t)p->sq_entries * sizeof(struct io_uring_sqe);

	munmap(view->sq.sqes, sqes);
	if (view->cq.ring_ptr != view->sq.ring_ptr)
		munmap(view->cq.ring_ptr, view->cq.ring_sz);
	munmap(view->sq.ring_ptr, view->sq.ring_sz);
}

static void check_nop(struct io_uring *ring, __u64 user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct t_cqe c;

	REQUIRE_EQ(sqe != NULL, 1);
	io_uring_prep_nop(sqe);
	sqe->user_data = user_data;
	REQUIRE_EQ(t_submit_wait(ring, &c, 1), 1);
	ASSERT_EQ(c.user_data, user_data);
	ASSERT_EQ(c.res, 0);
}

/* A second view leaves the SQ index array as the ring's owner set it. */
static void check_array_untouched(void)
{
	struct io_uring_params p;
	struct io_uring ring, view;
	unsigned n;

	memset(&p, 0, sizeof(p));
	REQUIRE_EQ(io_uring_queue_init_params(8, &ring, &p), 0);
	REQUIRE_EQ(ring.sq.array != NULL, 1);
	n = ring.sq.ring_entries;
	for (unsigned i = 0; i < n; i++)
		ring.sq.array[i] = n - 1 - i;
	REQUIRE_EQ(io_uring_queue_mmap(ring.ring_fd, &p, &view), 0);
	for (unsigned i = 0; i < n; i++) {
		ASSERT_EQ(ring.sq.array[i], n - 1 - i);
		ASSERT_EQ(view.sq.array[i], n - 1 - i);
	}
	ASSERT_EQ(view.ring_fd, ring.ring_fd);
	ASSERT_EQ(view.sq.ring_entries, n);
	unmap_view(&view, &p);
	for (unsigned i = 0; i < n; i++)
		ring.sq.array[i] = i;
	check_nop(&ring, 1);
	io_uring_queue_exit(&ring);
}

/*
 * Another process can map the ring and scribble over its header, as
 * liburing's resize-rings test does: a view sized by the params must stay
 * within what it mapped.
 */
static void check_scribbled_header(void)
{
	unsigned *fields[4], saved[4];
	struct io_uring_params p;
	struct io_uring ring, view;

	memset(&p, 0, sizeof(p));
	REQUIRE_EQ(io_uring_queue_init_params(8, &ring, &p), 0);
	fields[0] = ring.sq.kring_entries;
	fields[1] = ring.sq.kring_mask;
	fields[2] = ring.cq.kring_entries;
	fields[3] = ring.cq.kring_mask;
	for (int i = 0; i < 4; i++) {
		saved[i] = *fields[i];
		*fields[i] = 0x5a5a5a5a;
	}
	REQUIRE_EQ(io_uring_queue_mmap(ring.ring_fd, &p, &view), 0);
	ASSERT_EQ(view.sq.ring_entries, p.sq_entries);
	ASSERT_EQ(view.sq.ring_mask, p.sq_entries - 1);
	ASSERT_EQ(view.cq.ring_entries, p.cq_entries);
	ASSERT_EQ(view.cq.ring_mask, p.cq_entries - 1);
	unmap_view(&view, &p);
	for (int i = 0; i < 4; i++)
		*fields[i] = saved[i];
	check_nop(&ring, 2);
	io_uring_queue_exit(&ring);
}

/*
 * After a resize, params from before it describe another layout: where
 * they place the SQ index array, the resized ring keeps its CQEs.
 */
static void check_stale_params_after_resize(void)
{
	struct io_uring_params p, grow;
	struct io_uring ring, view;
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	REQUIRE_EQ(io_uring_queue_init_params(8, &ring, &p), 0);
	memset(&grow, 0, sizeof(grow));
	grow.sq_entries = 64;
	REQUIRE_EQ(io_uring_resize_rings(&ring, &grow), 0);
	for (unsigned i = 0; i < 40; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		REQUIRE_EQ(sqe != NULL, 1);
		io_uring_prep_nop(sqe);
		sqe->user_data = 100 + i;
	}
	REQUIRE_EQ(io_uring_submit_and_wait(&ring, 40), 40);
	REQUIRE_EQ(io_uring_cq_ready(&ring), 40);
	REQUIRE_EQ(io_uring_queue_mmap(ring.ring_fd, &p, &view), 0);
	unmap_view(&view, &p);
	io_uring_for_each_cqe(&ring, head, cqe) {
		ASSERT_EQ(cqe->user_data, 100 + seen);
		ASSERT_EQ(cqe->res, 0);
		seen++;
	}
	ASSERT_EQ(seen, 40);
	io_uring_cq_advance(&ring, seen);
	check_nop(&ring, 3);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	check_array_untouched();
	check_scribbled_header();
	if (t_has_register(IORING_REGISTER_RESIZE_RINGS))
		check_stale_params_after_resize();
	return t_done();
}
