/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_PERSONALITY / UNREGISTER_PERSONALITY (kernel-semantics.md
 * §3.9, §3.10), and running a request with a registered personality: the
 * issuing thread takes the saved filesystem ids and groups for the
 * duration of the attempt (setfsuid, setfsgid and setgroups act on one
 * thread), then goes back to its own.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "user.h"

#define MAX_PERSONALITY 65535U
#define MAX_GROUPS 256

/* Same layout as struct uring_creds, which saves a thread's own. */
struct personality {
	uid_t fsuid;
	gid_t fsgid;
	int ngroups;
	gid_t groups[MAX_GROUPS];
};

_Static_assert(sizeof(struct personality) == sizeof(struct uring_creds),
	       "personality and uring_creds share a layout");

struct personality_table {
	struct personality *by_id[MAX_PERSONALITY + 1];
	unsigned next;
};

static void current_creds(struct personality *p)
{
	p->fsuid = (uid_t)setfsuid((uid_t)-1);
	p->fsgid = (gid_t)setfsgid((gid_t)-1);
	p->ngroups = (int)kernel_syscall6(__NR_getgroups, MAX_GROUPS,
					  (long)p->groups, 0, 0, 0, 0);
	if (p->ngroups < 0)
		p->ngroups = 0;
}

/* The kernel's cyclic id allocator: lowest free id >= next, then wrap. */
static int alloc_id(struct personality_table *t)
{
	for (unsigned pass = 0; pass < 2; pass++) {
		unsigned from = pass ? 1 : (t->next ? t->next : 1);

		for (unsigned id = from; id <= MAX_PERSONALITY; id++)
			if (!t->by_id[id])
				return (int)id;
	}
	return -EBUSY;
}

int uring_personality_register(struct uring_ctx *ctx, const void *arg,
			       unsigned nr)
{
	struct personality *p;
	int id;

	if (arg || nr)
		return -EINVAL;
	if (!ctx->personalities) {
		ctx->personalities = calloc(1, sizeof(*ctx->personalities));
		if (!ctx->personalities)
			return -ENOMEM;
	}
	id = alloc_id(ctx->personalities);
	if (id < 0)
		return id;
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	current_creds(p);
	ctx->personalities->by_id[id] = p;
	ctx->personalities->next = (unsigned)id + 1;
	return id;
}

int uring_personality_unregister(struct uring_ctx *ctx, const void *arg,
				 unsigned id)
{
	if (arg)
		return -EINVAL;
	if (!id || id > MAX_PERSONALITY || !ctx->personalities ||
	    !ctx->personalities->by_id[id])
		return -EINVAL;
	free(ctx->personalities->by_id[id]);
	ctx->personalities->by_id[id] = NULL;
	return 0;
}

bool uring_personality_known(struct uring_ctx *ctx, unsigned id)
{
	return id && id <= MAX_PERSONALITY && ctx->personalities &&
	       ctx->personalities->by_id[id];
}

void uring_personality_free_all(struct uring_ctx *ctx)
{
	if (!ctx->personalities)
		return;
	for (unsigned id = 1; id <= MAX_PERSONALITY; id++)
		free(ctx->personalities->by_id[id]);
	free(ctx->personalities);
	ctx->personalities = NULL;
}

static bool set_creds(const struct personality *p)
{
	kernel_syscall6(__NR_setgroups, p->ngroups, (long)p->groups, 0, 0, 0, 0);
	setfsgid(p->fsgid);
	setfsuid(p->fsuid);
	/* setfs*id report the previous id: read back what took effect. */
	return (uid_t)setfsuid((uid_t)-1) == p->fsuid &&
	       (gid_t)setfsgid((gid_t)-1) == p->fsgid;
}

/*
 * Switch this thread to the request's personality; -EPERM when the
 * process can no longer assume it (the kernel's nearest answer).
 */
int uring_personality_enter(struct uring_req *req, struct uring_creds *saved)
{
	struct personality *p = req->ctx->personalities->by_id[req->personality];

	current_creds((struct personality *)saved);
	if (!p)
		return -EINVAL;
	if (!set_creds(p)) {
		set_creds((struct personality *)saved);
		return -EPERM;
	}
	return 0;
}

void uring_personality_leave(struct uring_creds *saved)
{
	set_creds((struct personality *)saved);
}
