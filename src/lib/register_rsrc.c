/* SPDX-License-Identifier: MIT */
/*
 * Registered files and buffers: the io_uring_register_files(3) family,
 * the buffer family and buffer cloning between rings.
 */
#include <sys/resource.h>

#include "ring.h"

/*
 * Raise the soft RLIMIT_NOFILE towards nr (never past the hard limit), as
 * liburing does before retrying a table the kernel refused with EMFILE.
 * Returns whether the limit changed.
 */
static bool raise_nofile_limit(unsigned nr)
{
	struct rlimit lim;

	if (kernel_syscall6(__NR_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&lim,
			    0, 0))
		return false;
	if (lim.rlim_cur >= nr || lim.rlim_cur >= lim.rlim_max)
		return false;
	lim.rlim_cur = nr < lim.rlim_max ? nr : lim.rlim_max;
	return kernel_syscall6(__NR_prlimit64, 0, RLIMIT_NOFILE, (long)&lim, 0,
			       0, 0) == 0;
}

static int register_file_table(struct io_uring *ring, unsigned opcode,
			       const void *arg, unsigned nr_args, unsigned nr)
{
	int ret = ring_register(ring, opcode, arg, nr_args);

	if (ret == -EMFILE && raise_nofile_limit(nr))
		ret = ring_register(ring, opcode, arg, nr_args);
	return ret;
}

/* The argument of REGISTER_FILES2 and REGISTER_BUFFERS2. */
static struct io_uring_rsrc_register rsrc_table(const void *data,
						const __u64 *tags, unsigned nr,
						unsigned flags)
{
	return (struct io_uring_rsrc_register){
		.nr = nr,
		.flags = flags,
		.data = (unsigned long)data,
		.tags = (unsigned long)tags,
	};
}

static int register_files2(struct io_uring *ring, const int *files,
			   const __u64 *tags, unsigned nr, unsigned flags)
{
	struct io_uring_rsrc_register reg = rsrc_table(files, tags, nr, flags);

	return register_file_table(ring, IORING_REGISTER_FILES2, &reg,
				   sizeof(reg), nr);
}

ANYRING_EXPORT int io_uring_register_files(struct io_uring *ring,
					   const int *files, unsigned nr_files)
{
	return register_file_table(ring, IORING_REGISTER_FILES, files,
				   nr_files, nr_files);
}

ANYRING_EXPORT int io_uring_register_files_tags(struct io_uring *ring,
						const int *files,
						const __u64 *tags, unsigned nr)
{
	return register_files2(ring, files, tags, nr, 0);
}

ANYRING_EXPORT int io_uring_register_files_sparse(struct io_uring *ring,
						  unsigned nr)
{
	return register_files2(ring, NULL, NULL, nr,
			       IORING_RSRC_REGISTER_SPARSE);
}

ANYRING_EXPORT int io_uring_register_files_update(struct io_uring *ring,
						  unsigned off,
						  const int *files,
						  unsigned nr_files)
{
	struct io_uring_files_update up = {
		.offset = off,
		.fds = (unsigned long)files,
	};

	return ring_register(ring, IORING_REGISTER_FILES_UPDATE, &up,
			     nr_files);
}

static int update_rsrc2(struct io_uring *ring, unsigned opcode, unsigned off,
			const void *data, const __u64 *tags, unsigned nr)
{
	struct io_uring_rsrc_update2 up = {
		.offset = off,
		.data = (unsigned long)data,
		.tags = (unsigned long)tags,
		.nr = nr,
	};

	return ring_register(ring, opcode, &up, sizeof(up));
}

ANYRING_EXPORT int io_uring_register_files_update_tag(struct io_uring *ring,
						      unsigned off,
						      const int *files,
						      const __u64 *tags,
						      unsigned nr_files)
{
	return update_rsrc2(ring, IORING_REGISTER_FILES_UPDATE2, off, files,
			    tags, nr_files);
}

ANYRING_EXPORT int io_uring_unregister_files(struct io_uring *ring)
{
	return ring_register(ring, IORING_UNREGISTER_FILES, NULL, 0);
}

ANYRING_EXPORT int io_uring_register_file_alloc_range(struct io_uring *ring,
						      unsigned off,
						      unsigned len)
{
	struct io_uring_file_index_range range = {
		.off = off,
		.len = len,
	};

	return ring_register(ring, IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0);
}

static int register_buffers2(struct io_uring *ring, const struct iovec *iovecs,
			     const __u64 *tags, unsigned nr, unsigned flags)
{
	struct io_uring_rsrc_register reg = rsrc_table(iovecs, tags, nr, flags);

	return ring_register(ring, IORING_REGISTER_BUFFERS2, &reg, sizeof(reg));
}

ANYRING_EXPORT int io_uring_register_buffers(struct io_uring *ring,
					     const struct iovec *iovecs,
					     unsigned nr_iovecs)
{
	return ring_register(ring, IORING_REGISTER_BUFFERS, iovecs, nr_iovecs);
}

ANYRING_EXPORT int io_uring_register_buffers_tags(struct io_uring *ring,
						  const struct iovec *iovecs,
						  const __u64 *tags,
						  unsigned nr)
{
	return register_buffers2(ring, iovecs, tags, nr, 0);
}

ANYRING_EXPORT int io_uring_register_buffers_sparse(struct io_uring *ring,
						    unsigned nr)
{
	return register_buffers2(ring, NULL, NULL, nr,
				 IORING_RSRC_REGISTER_SPARSE);
}

ANYRING_EXPORT int io_uring_register_buffers_update_tag(
	struct io_uring *ring, unsigned off, const struct iovec *iovecs,
	const __u64 *tags, unsigned nr)
{
	return update_rsrc2(ring, IORING_REGISTER_BUFFERS_UPDATE, off, iovecs,
			    tags, nr);
}

ANYRING_EXPORT int io_uring_unregister_buffers(struct io_uring *ring)
{
	return ring_register(ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
}

/* The source ring is named by its fd, or by its registered index. */
ANYRING_EXPORT int __io_uring_clone_buffers_offset(struct io_uring *dst,
						   struct io_uring *src,
						   unsigned int dst_off,
						   unsigned int src_off,
						   unsigned int nr,
						   unsigned int flags)
{
	struct io_uring_clone_buffers buf = {
		.src_fd = (__u32)src->ring_fd,
		.flags = flags,
		.src_off = src_off,
		.dst_off = dst_off,
		.nr = nr,
	};

	if (src->int_flags & INT_FLAG_REG_REG_RING) {
		buf.src_fd = (__u32)src->enter_ring_fd;
		buf.flags |= IORING_REGISTER_SRC_REGISTERED;
	}
	return ring_register(dst, IORING_REGISTER_CLONE_BUFFERS, &buf, 1);
}

ANYRING_EXPORT int io_uring_clone_buffers_offset(struct io_uring *dst,
						 struct io_uring *src,
						 unsigned int dst_off,
						 unsigned int src_off,
						 unsigned int nr,
						 unsigned int flags)
{
	return __io_uring_clone_buffers_offset(dst, src, dst_off, src_off, nr,
					       flags);
}

ANYRING_EXPORT int __io_uring_clone_buffers(struct io_uring *dst,
					    struct io_uring *src,
					    unsigned int flags)
{
	return __io_uring_clone_buffers_offset(dst, src, 0, 0, 0, flags);
}

ANYRING_EXPORT int io_uring_clone_buffers(struct io_uring *dst,
					  struct io_uring *src)
{
	return __io_uring_clone_buffers(dst, src, 0);
}
