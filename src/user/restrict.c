/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_RESTRICTIONS and their enforcement (kernel-semantics.md
 * §3.11, §3.12, §1 step 8, §5.5 step 4): which register opcodes, which
 * SQE opcodes and which SQE flags a ring may use once it is enabled.
 */
#include <string.h>

#include "uaccess.h"
#include "user.h"

#define MAX_RESTRICTIONS                                                       \
	(IORING_RESTRICTION_LAST + URING_REGISTER_LAST + URING_OP_LAST)

static void set_bit8(unsigned char *map, unsigned bit)
{
	map[bit / 8] |= (unsigned char)(1U << (bit % 8));
}

static bool test_bit8(const unsigned char *map, unsigned bit)
{
	return map[bit / 8] & (1U << (bit % 8));
}

static void clear_all(struct uring_ctx *ctx)
{
	memset(ctx->allowed_register_ops, 0, sizeof(ctx->allowed_register_ops));
	memset(ctx->allowed_sqe_ops, 0, sizeof(ctx->allowed_sqe_ops));
	ctx->sqe_flags_allowed = 0;
	ctx->sqe_flags_required = 0;
}

static int parse_one(struct uring_ctx *ctx, const struct io_uring_restriction *r)
{
	switch (r->opcode) {
	case IORING_RESTRICTION_REGISTER_OP:
		if (r->register_op >= URING_REGISTER_LAST)
			return -EINVAL;
		set_bit8(ctx->allowed_register_ops, r->register_op);
		return 0;
	case IORING_RESTRICTION_SQE_OP:
		if (r->sqe_op >= URING_OP_LAST)
			return -EINVAL;
		set_bit8(ctx->allowed_sqe_ops, r->sqe_op);
		return 0;
	case IORING_RESTRICTION_SQE_FLAGS_ALLOWED:
		ctx->sqe_flags_allowed = r->sqe_flags;
		return 0;
	case IORING_RESTRICTION_SQE_FLAGS_REQUIRED:
		ctx->sqe_flags_required = r->sqe_flags;
		return 0;
	}
	return -EINVAL;
}

int uring_restrictions_register(struct uring_ctx *ctx, const void *arg,
				unsigned nr)
{
	const struct io_uring_restriction *user = arg;
	int ret = 0;

	/* Only a disabled ring takes them; checked before arg. */
	if (!ctx->disabled)
		return -EBADFD;
	if (ctx->restrictions_registered)
		return -EBUSY;
	if (!arg || nr > MAX_RESTRICTIONS)
		return -EINVAL;
	clear_all(ctx);
	for (unsigned i = 0; !ret && i < nr; i++) {
		struct io_uring_restriction r;

		ret = uring_copy_from_user(&r, &user[i], sizeof(r));
		if (!ret)
			ret = parse_one(ctx, &r);
	}
	if (ret) {
		/* A failure leaves nothing registered: a retry may succeed. */
		clear_all(ctx);
		return ret;
	}
	ctx->restrictions_registered = true;
	return 0;
}

bool uring_register_allowed(const struct uring_ctx *ctx, unsigned opcode)
{
	return !ctx->restricted || test_bit8(ctx->allowed_register_ops, opcode);
}

bool uring_sqe_allowed(const struct uring_ctx *ctx, __u8 opcode, __u8 flags)
{
	__u8 required = ctx->sqe_flags_required;

	if (!ctx->restricted)
		return true;
	if (!test_bit8(ctx->allowed_sqe_ops, opcode))
		return false;
	if ((flags & required) != required)
		return false;
	return !(flags & ~(ctx->sqe_flags_allowed | required));
}
