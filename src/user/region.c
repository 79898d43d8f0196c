/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_MEM_REGION (kernel-semantics.md §3.34): one region per ring,
 * the application's memory or ours (in the ring memfd at the offset the
 * application maps), optionally holding the wait arguments that
 * IORING_ENTER_EXT_ARG_REG picks by offset. A region is never removed.
 */

#include "kernel/syscall.h"
#include "rsrc.h"
#include "uaccess.h"
#include "user.h"

#define REGION_PAGE 4096ULL
/* Where the kernel lets the application map a region it allocated. */
#define IORING_MAP_OFF_PARAM_REGION 0x20000000ULL

static int check_desc(const struct io_uring_region_desc *d)
{
	bool user = d->flags & IORING_MEM_REGION_TYPE_USER;
	__u64 end;

	if (!uring_mem_is_zero(d->__resv, sizeof(d->__resv)))
		return -EINVAL;
	if (d->flags & ~(__u32)IORING_MEM_REGION_TYPE_USER)
		return -EINVAL;
	if (user != (d->user_addr != 0))
		return -EFAULT;
	if (!d->size || d->mmap_offset || d->id)
		return -EINVAL;
	if (d->size / REGION_PAGE > 0x7fffffffULL)
		return -E2BIG;
	if ((d->user_addr | d->size) & (REGION_PAGE - 1))
		return -EINVAL;
	if (__builtin_add_overflow(d->user_addr, d->size, &end))
		return -EOVERFLOW;
	return 0;
}

/* The application's pages must be there and writable: the kernel pins them. */
static int check_user_pages(const struct io_uring_region_desc *d)
{
	return rsrc_user_range_pinnable((unsigned long)d->user_addr,
					(unsigned long)d->size)
		       ? 0
		       : -EFAULT;
}

static int map_our_region(struct uring_ctx *ctx, size_t size)
{
	ctx->region_map = uring_memfd_map(ctx, (off_t)IORING_MAP_OFF_PARAM_REGION,
					  size);
	if (!ctx->region_map)
		return -ENOMEM;
	ctx->region_len = size;
	return 0;
}

int uring_mem_region_register(struct uring_ctx *ctx, const void *arg,
			      unsigned nr)
{
	struct io_uring_mem_region_reg reg;
	struct io_uring_region_desc d;
	void *mem;
	int ret;

	if (!arg || nr != 1)
		return -EINVAL;
	if (ctx->has_region)
		return -EBUSY;
	if (uring_copy_from_user(&reg, arg, sizeof(reg)) ||
	    uring_copy_from_user(&d, (void *)(uintptr_t)reg.region_uptr,
				 sizeof(d)))
		return -EFAULT;
	if (!uring_mem_is_zero(reg.__resv, sizeof(reg.__resv)) ||
	    (reg.flags & ~(__u64)IORING_MEM_REGION_REG_WAIT_ARG))
		return -EINVAL;
	if ((reg.flags & IORING_MEM_REGION_REG_WAIT_ARG) && !ctx->disabled)
		return -EINVAL;
	ret = check_desc(&d);
	if (ret)
		return ret;
	if (d.user_addr) {
		ret = check_user_pages(&d);
		mem = (void *)(uintptr_t)d.user_addr;
	} else {
		ret = map_our_region(ctx, d.size);
		mem = ctx->region_map;
		d.mmap_offset = IORING_MAP_OFF_PARAM_REGION;
		if (!ret && uring_copy_to_user((void *)(uintptr_t)reg.region_uptr,
					       &d, sizeof(d)))
			ret = -EFAULT;
	}
	if (ret)
		return ret;
	ctx->has_region = true;
	if (reg.flags & IORING_MEM_REGION_REG_WAIT_ARG) {
		ctx->wait_region = mem;
		ctx->wait_region_size = d.size;
	}
	return 0;
}

void uring_mem_region_free(struct uring_ctx *ctx)
{
	if (ctx->region_map)
		kernel_munmap(ctx->region_map, ctx->region_len);
	ctx->region_map = NULL;
}

/* EXT_ARG_REG: arg is a byte offset into the wait region. */
const struct io_uring_reg_wait *uring_wait_region_entry(struct uring_ctx *ctx,
							const void *arg)
{
	uintptr_t off = (uintptr_t)arg;
	uintptr_t end;

	if (off % sizeof(long) ||
	    __builtin_add_overflow(off, sizeof(struct io_uring_reg_wait), &end) ||
	    end > ctx->wait_region_size)
		return NULL;
	return (const struct io_uring_reg_wait *)((char *)ctx->wait_region + off);
}
