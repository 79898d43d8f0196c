/* SPDX-License-Identifier: MIT */
/*
 * Ring set-up and tear-down: io_uring_queue_init*, io_uring_queue_mmap,
 * io_uring_queue_exit, io_uring_ring_dontfork and the size calculators.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "ring.h"

/* The kernel's limits on ring sizes (IORING_MAX_ENTRIES, MAX_CQ_ENTRIES). */
#define MAX_SQ_ENTRIES 32768U
#define MAX_CQ_ENTRIES (2 * MAX_SQ_ENTRIES)
/* Offset of the CQE array in the kernel's ring header (struct io_rings). */
#define RINGS_HEADER_BYTES 64U

static unsigned round_up_pow2(unsigned v)
{
	unsigned r = 1;

	while (r < v)
		r <<= 1;
	return r;
}

/* Bytes of the SQE array of a ring with these entries and setup flags. */
static size_t sqe_array_bytes(unsigned sq_entries, unsigned flags)
{
	return ((size_t)sq_entries << io_uring_sqe_shift_from_flags(flags)) *
	       sizeof(struct io_uring_sqe);
}

int ring_compute_sizes(unsigned entries, const struct io_uring_params *p,
		       struct ring_sizes *out)
{
	unsigned sq, cq, cqe_shift;
	size_t rings;

	if (!entries)
		return -EINVAL;
	if (entries > MAX_SQ_ENTRIES) {
		if (!(p->flags & IORING_SETUP_CLAMP))
			return -EINVAL;
		entries = MAX_SQ_ENTRIES;
	}
	sq = round_up_pow2(entries);
	if (p->flags & IORING_SETUP_CQSIZE) {
		if (!p->cq_entries)
			return -EINVAL;
		cq = p->cq_entries;
		if (cq > MAX_CQ_ENTRIES) {
			if (!(p->flags & IORING_SETUP_CLAMP))
				return -EINVAL;
			cq = MAX_CQ_ENTRIES;
		}
		cq = round_up_pow2(cq);
		if (cq < sq)
			return -EINVAL;
	} else {
		cq = 2 * sq;
	}
	cqe_shift = !!(p->flags & IORING_SETUP_CQE32);
	/* With CQE32 the kernel doubles the whole size, header included. */
	rings = (RINGS_HEADER_BYTES + (size_t)cq * sizeof(struct io_uring_cqe))
		<< cqe_shift;
	rings = (rings + 63) & ~(size_t)63;
	if (!(p->flags & IORING_SETUP_NO_SQARRAY))
		rings += (size_t)sq * sizeof(__u32);
	out->sq_entries = sq;
	out->cq_entries = cq;
	out->sqes_bytes = sqe_array_bytes(sq, p->flags);
	out->rings_bytes = rings;
	return 0;
}

void ring_setup_pointers(struct io_uring *ring, const struct io_uring_params *p,
			 void *sq_ptr, void *cq_ptr, void *sqes)
{
	struct io_uring_sq *sq = &ring->sq;
	struct io_uring_cq *cq = &ring->cq;
	char *s = sq_ptr, *c = cq_ptr;

	sq->khead = (unsigned *)(s + p->sq_off.head);
	sq->ktail = (unsigned *)(s + p->sq_off.tail);
	sq->kring_mask = (unsigned *)(s + p->sq_off.ring_mask);
	sq->kring_entries = (unsigned *)(s + p->sq_off.ring_entries);
	sq->kflags = (unsigned *)(s + p->sq_off.flags);
	sq->kdropped = (unsigned *)(s + p->sq_off.dropped);
	if (!(p->flags & IORING_SETUP_NO_SQARRAY))
		sq->array = (unsigned *)(s + p->sq_off.array);
	sq->sqes = sqes;
	/* liburing 2.15 records the SQE array's size in the ring. */
	sq->sqes_sz = (unsigned)sqe_array_bytes(p->sq_entries, p->flags);
	/*
	 * Sizes come from the params the mappings were sized by, not from ring
	 * memory another process may have mapped and overwritten.
	 */
	sq->ring_entries = p->sq_entries;
	sq->ring_mask = p->sq_entries - 1;

	cq->khead = (unsigned *)(c + p->cq_off.head);
	cq->ktail = (unsigned *)(c + p->cq_off.tail);
	cq->kring_mask = (unsigned *)(c + p->cq_off.ring_mask);
	cq->kring_entries = (unsigned *)(c + p->cq_off.ring_entries);
	cq->koverflow = (unsigned *)(c + p->cq_off.overflow);
	cq->cqes = (struct io_uring_cqe *)(c + p->cq_off.cqes);
	if (p->cq_off.flags)
		cq->kflags = (unsigned *)(c + p->cq_off.flags);
	cq->ring_entries = p->cq_entries;
	cq->ring_mask = p->cq_entries - 1;
}

void ring_init_sq_array(struct io_uring *ring)
{
	/* With an SQ index array, slot i always names SQE i. */
	if (ring->sq.array)
		for (unsigned i = 0; i < ring->sq.ring_entries; i++)
			ring->sq.array[i] = i;
}

void ring_unmap(struct io_uring *ring)
{
	if (ring->int_flags & INT_FLAG_APP_MEM)
		return;
	if (ring->sq.sqes)
		kernel_munmap(ring->sq.sqes, ring_page_align(ring->sq.sqes_sz));
	if (ring->sq.ring_ptr)
		kernel_munmap(ring->sq.ring_ptr, ring->sq.ring_sz);
	if (ring->cq.ring_ptr && ring->cq.ring_ptr != ring->sq.ring_ptr)
		kernel_munmap(ring->cq.ring_ptr, ring->cq.ring_sz);
}

static void *map_ring_region(int fd, size_t len, off_t offset)
{
	return kernel_mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_POPULATE, fd, offset);
}

/* Map the three regions of a ring fd, as the params describe them. */
int ring_map(int fd, const struct io_uring_params *p,
		    struct io_uring *ring)
{
	size_t cqe_size = sizeof(struct io_uring_cqe)
			  << !!(p->flags & IORING_SETUP_CQE32);
	size_t sq_sz = p->sq_off.array + p->sq_entries * sizeof(__u32);
	size_t cq_sz = p->cq_off.cqes + p->cq_entries * cqe_size;
	void *sq_ptr, *cq_ptr, *sqes;

	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (cq_sz > sq_sz)
			sq_sz = cq_sz;
		cq_sz = sq_sz;
	}
	sq_ptr = map_ring_region(fd, sq_sz, IORING_OFF_SQ_RING);
	if (kernel_mmap_failed(sq_ptr))
		return (int)(long)sq_ptr;
	cq_ptr = sq_ptr;
	if (!(p->features & IORING_FEAT_SINGLE_MMAP)) {
		cq_ptr = map_ring_region(fd, cq_sz, IORING_OFF_CQ_RING);
		if (kernel_mmap_failed(cq_ptr)) {
			kernel_munmap(sq_ptr, sq_sz);
			return (int)(long)cq_ptr;
		}
	}
	sqes = map_ring_region(fd,
			       (size_t)p->sq_entries *
				       sizeof(struct io_uring_sqe)
				       << !!(p->flags & IORING_SETUP_SQE128),
			       IORING_OFF_SQES);
	if (kernel_mmap_failed(sqes)) {
		if (cq_ptr != sq_ptr)
			kernel_munmap(cq_ptr, cq_sz);
		kernel_munmap(sq_ptr, sq_sz);
		return (int)(long)sqes;
	}
	ring->sq.ring_ptr = sq_ptr;
	ring->sq.ring_sz = sq_sz;
	ring->cq.ring_ptr = cq_ptr;
	ring->cq.ring_sz = cq_sz;
	ring_setup_pointers(ring, p, sq_ptr, cq_ptr, sqes);
	return 0;
}

static void ring_init_identity(struct io_uring *ring, int fd,
			       const struct io_uring_params *p)
{
	ring->flags = p->flags;
	ring->ring_fd = ring->enter_ring_fd = fd;
	ring->features = p->features;
	ring_set_ops(ring, backend_for_fd((unsigned)fd, 0));
}

ANYRING_EXPORT int io_uring_queue_mmap(int fd, struct io_uring_params *p,
				       struct io_uring *ring)
{
	int ret;

	memset(ring, 0, sizeof(*ring));
	ret = ring_map(fd, p, ring);
	if (ret)
		return ret;
	ring_init_identity(ring, fd, p);
	return 0;
}

/*
 * NO_MMAP: the application side provides the ring memory. Lay out the SQE
 * array first and the rings on the next page boundary, as one block.
 */
struct app_memory {
	void *sqes;
	void *rings;
	size_t sqes_len;  /* page aligned */
	size_t rings_len; /* page aligned */
};

static int app_memory_layout(unsigned entries, const struct io_uring_params *p,
			     struct app_memory *m)
{
	struct ring_sizes sz;
	int ret = ring_compute_sizes(entries, p, &sz);

	if (ret)
		return ret;
	m->sqes_len = ring_page_align(sz.sqes_bytes);
	m->rings_len = ring_page_align(sz.rings_bytes);
	return 0;
}

static int app_memory_alloc(struct app_memory *m, void *buf, size_t buf_size)
{
	if (buf) {
		if (buf_size < m->sqes_len + m->rings_len)
			return -ENOMEM;
		m->sqes = buf;
		m->rings = (char *)buf + m->sqes_len;
		return 0;
	}
	m->sqes = kernel_mmap(NULL, m->sqes_len + m->rings_len,
			      PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (kernel_mmap_failed(m->sqes))
		return (int)(long)m->sqes;
	m->rings = (char *)m->sqes + m->sqes_len;
	return 0;
}

static int queue_init_no_mmap(unsigned entries, struct io_uring *ring,
			      struct io_uring_params *p, void *buf,
			      size_t buf_size)
{
	const struct anyring_ops *ops;
	struct app_memory m;
	int fd, ret;

	ret = app_memory_layout(entries, p, &m);
	if (ret)
		return ret;
	ret = app_memory_alloc(&m, buf, buf_size);
	if (ret)
		return ret;
	p->sq_off.user_addr = (unsigned long)m.sqes;
	p->cq_off.user_addr = (unsigned long)m.rings;
	fd = backend_setup(entries, p, &ops);
	if (fd < 0) {
		if (!buf)
			kernel_munmap(m.sqes, m.sqes_len + m.rings_len);
		return fd;
	}
	memset(ring, 0, sizeof(*ring));
	ring_setup_pointers(ring, p, m.rings, m.rings, m.sqes);
	ring_init_sq_array(ring);
	/* One block: sqes first, so unmapping sqes' span plus rings frees it. */
	ring->sq.ring_ptr = m.rings;
	ring->sq.ring_sz = m.rings_len;
	ring->cq.ring_ptr = m.rings;
	ring->cq.ring_sz = m.rings_len;
	ring_init_identity(ring, fd, p);
	ring_set_ops(ring, ops);
	if (buf)
		ring->int_flags |= INT_FLAG_APP_MEM;
	if (p->flags & IORING_SETUP_REGISTERED_FD_ONLY) {
		ring->ring_fd = -1;
		ring->int_flags |= INT_FLAG_REG_RING | INT_FLAG_REG_REG_RING;
	}
	return (int)(m.sqes_len + m.rings_len);
}

static int queue_init_mapped(unsigned entries, struct io_uring *ring,
			     struct io_uring_params *p)
{
	const struct anyring_ops *ops;
	int fd, ret;

	fd = backend_setup(entries, p, &ops);
	if (fd < 0)
		return fd;
	ret = io_uring_queue_mmap(fd, p, ring);
	if (ret) {
		if (ops && ops->exit)
			ops->exit((unsigned)fd, 0);
		kernel_close(fd);
		return ret;
	}
	ring_init_sq_array(ring);
	ring_set_ops(ring, ops);
	return 0;
}

ANYRING_EXPORT int io_uring_queue_init_mem(unsigned entries,
					   struct io_uring *ring,
					   struct io_uring_params *p,
					   void *buf, size_t buf_size)
{
	/* The memory is handed to the kernel, so the ring cannot map its own. */
	p->flags |= IORING_SETUP_NO_MMAP;
	return queue_init_no_mmap(entries, ring, p, buf, buf_size);
}

ANYRING_EXPORT int io_uring_queue_init_params(unsigned entries,
					      struct io_uring *ring,
					      struct io_uring_params *p)
{
	int ret;

	if (p->flags & IORING_SETUP_NO_MMAP) {
		ret = queue_init_no_mmap(entries, ring, p, NULL, 0);
		return ret < 0 ? ret : 0;
	}
	return queue_init_mapped(entries, ring, p);
}

ANYRING_EXPORT int io_uring_queue_init(unsigned entries, struct io_uring *ring,
				       unsigned flags)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return io_uring_queue_init_params(entries, ring, &p);
}

ANYRING_EXPORT void io_uring_queue_exit(struct io_uring *ring)
{
	const struct anyring_ops *ops = ring_ops(ring);
	int fd = ring->ring_fd;

	if ((ring->int_flags & INT_FLAG_REG_RING) && fd != -1)
		io_uring_unregister_ring_fd(ring);
	if (ops && ops->exit)
		ops->exit((unsigned)(fd != -1 ? fd : ring->enter_ring_fd), fd == -1);
	ring_unmap(ring);
	if (fd != -1)
		kernel_close(fd);
	else if (ring->int_flags & INT_FLAG_REG_RING)
		io_uring_unregister_ring_fd(ring);
	memset(ring, 0, sizeof(*ring));
	ring->ring_fd = ring->enter_ring_fd = -1;
}

ANYRING_EXPORT int io_uring_ring_dontfork(struct io_uring *ring)
{
	int ret;

	if (!ring->sq.ring_ptr || !ring->sq.sqes || !ring->cq.ring_ptr)
		return -EINVAL;
	ret = kernel_madvise(ring->sq.sqes, ring_page_align(ring->sq.sqes_sz),
			     MADV_DONTFORK);
	if (ret)
		return ret;
	ret = kernel_madvise(ring->sq.ring_ptr, ring->sq.ring_sz,
			     MADV_DONTFORK);
	if (ret || ring->cq.ring_ptr == ring->sq.ring_ptr)
		return ret;
	return kernel_madvise(ring->cq.ring_ptr, ring->cq.ring_sz,
			      MADV_DONTFORK);
}

/* Bytes of ring memory (SQEs plus rings, page aligned), or -errno. */
ANYRING_EXPORT ssize_t io_uring_memory_size_params(unsigned entries,
						   struct io_uring_params *p)
{
	struct app_memory m;
	int ret = app_memory_layout(entries, p, &m);

	if (ret)
		return ret;
	return (ssize_t)(m.sqes_len + m.rings_len);
}

ANYRING_EXPORT ssize_t io_uring_memory_size(unsigned entries, unsigned flags)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return io_uring_memory_size_params(entries, &p);
}

/*
 * Linux 6.18 charges ring memory to RLIMIT_MEMLOCK for callers without
 * CAP_IPC_LOCK, so the locked size is the ring's whole memory.
 */
ANYRING_EXPORT ssize_t io_uring_mlock_size_params(unsigned entries,
						  struct io_uring_params *p)
{
	return io_uring_memory_size_params(entries, p);
}

ANYRING_EXPORT ssize_t io_uring_mlock_size(unsigned entries, unsigned flags)
{
	return io_uring_memory_size(entries, flags);
}
