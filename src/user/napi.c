/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_NAPI / UNREGISTER_NAPI (kernel-semantics.md §3.27, §3.28) and
 * REGISTER_CLOCK (§3.29). NAPI busy polling is a network-driver feature
 * a library cannot drive: the settings and their errors are kept exactly,
 * and waits simply do not busy poll.
 */
#include <stdlib.h>
#include <string.h>

#include "uaccess.h"
#include "user.h"

/* NR_CPUS + 1 on the reference kernel: lower ids are not NAPI ids. */
#define MIN_NAPI_ID 257U

static struct io_uring_napi current_settings(const struct uring_ctx *ctx)
{
	return (struct io_uring_napi){
		.busy_poll_to = ctx->napi_busy_poll_to,
		.prefer_busy_poll = ctx->napi_prefer,
		.op_param = ctx->napi_mode,
	};
}

static int napi_id_index(const struct uring_ctx *ctx, __u32 id)
{
	for (unsigned i = 0; i < ctx->napi_nr; i++)
		if (ctx->napi_ids[i] == id)
			return (int)i;
	return -1;
}

static int napi_static_op(struct uring_ctx *ctx, const struct io_uring_napi *n)
{
	int at;

	if (ctx->napi_mode != IO_URING_NAPI_TRACKING_STATIC ||
	    n->op_param < MIN_NAPI_ID)
		return -EINVAL;
	at = napi_id_index(ctx, n->op_param);
	if (n->opcode == IO_URING_NAPI_STATIC_DEL_ID) {
		if (at < 0)
			return -ENOENT;
		ctx->napi_ids[at] = ctx->napi_ids[--ctx->napi_nr];
		return 0;
	}
	if (at >= 0)
		return -EEXIST;
	__u32 *grown = realloc(ctx->napi_ids, (ctx->napi_nr + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	ctx->napi_ids = grown;
	ctx->napi_ids[ctx->napi_nr++] = n->op_param;
	return 0;
}

int uring_napi_register(struct uring_ctx *ctx, void *arg, unsigned nr)
{
	struct io_uring_napi n, cur;

	if (!arg || nr != 1)
		return -EINVAL;
	if (ctx->flags & IORING_SETUP_IOPOLL)
		return -EINVAL;
	if (uring_copy_from_user(&n, arg, sizeof(n)))
		return -EFAULT;
	if (n.pad[0] || n.pad[1] || n.resv)
		return -EINVAL;
	/* The current settings go back first, even if the op then fails. */
	cur = current_settings(ctx);
	if (uring_copy_to_user(arg, &cur, sizeof(cur)))
		return -EFAULT;
	switch (n.opcode) {
	case IO_URING_NAPI_REGISTER_OP:
		if (n.op_param != IO_URING_NAPI_TRACKING_DYNAMIC &&
		    n.op_param != IO_URING_NAPI_TRACKING_STATIC)
			return -EINVAL;
		ctx->napi_nr = 0;
		ctx->napi_mode = (__u8)n.op_param;
		ctx->napi_busy_poll_to = n.busy_poll_to;
		ctx->napi_prefer = !!n.prefer_busy_poll;
		return 0;
	case IO_URING_NAPI_STATIC_ADD_ID:
	case IO_URING_NAPI_STATIC_DEL_ID:
		return napi_static_op(ctx, &n);
	}
	return -EINVAL;
}

int uring_napi_unregister(struct uring_ctx *ctx, void *arg, unsigned nr)
{
	struct io_uring_napi cur = current_settings(ctx);

	if (nr != 1)
		return -EINVAL;
	if (arg) {
		cur.op_param = 0;
		if (uring_copy_to_user(arg, &cur, sizeof(cur)))
			return -EFAULT;
	}
	ctx->napi_busy_poll_to = 0;
	ctx->napi_prefer = false;
	ctx->napi_mode = IO_URING_NAPI_TRACKING_INACTIVE;
	ctx->napi_nr = 0;
	return 0;
}

int uring_clock_register(struct uring_ctx *ctx, const void *arg, unsigned nr)
{
	struct io_uring_clock_register reg;

	if (!arg || nr)
		return -EINVAL;
	if (uring_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if (reg.__resv[0] || reg.__resv[1] || reg.__resv[2])
		return -EINVAL;
	if (reg.clockid != CLOCK_MONOTONIC && reg.clockid != CLOCK_BOOTTIME)
		return -EINVAL;
	ctx->clock = (clockid_t)reg.clockid;
	return 0;
}
