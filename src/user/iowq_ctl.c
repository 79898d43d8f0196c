/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_IOWQ_AFF, UNREGISTER_IOWQ_AFF and REGISTER_IOWQ_MAX_WORKERS
 * (kernel-semantics.md §3.17 - §3.19). The kernel's io-wq belongs to the
 * calling thread and serves all its rings; here each ring has its own
 * pool, so these calls change the pool of the ring they name.
 */
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "uaccess.h"
#include "user.h"

/* The kernel asks for a task context unless an SQ thread does the work. */
static bool caller_has_iowq(const struct uring_ctx *ctx)
{
	return (ctx->flags & IORING_SETUP_SQPOLL) || user_tctx_present();
}

/* The CPUs the process may use, standing in for the kernel's cpuset. */
static void allowed_cpus(cpu_set_t *set)
{
	if (sched_getaffinity(getpid(), sizeof(*set), set))
		CPU_ZERO(set);
}

int uring_iowq_aff_register(struct uring_ctx *ctx, const void *arg,
			    unsigned nr)
{
	long nr_cpu_ids = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t mask, allowed, applied;
	size_t len = nr < sizeof(mask) ? nr : sizeof(mask);

	if (!arg || !nr)
		return -EINVAL;
	CPU_ZERO(&mask);
	if (uring_copy_from_user(&mask, arg, len))
		return -EFAULT;
	if (!caller_has_iowq(ctx))
		return -EINVAL;
	allowed_cpus(&allowed);
	CPU_ZERO(&applied);
	/* Only CPUs that can exist count; each must be allowed. */
	for (long cpu = 0; cpu < nr_cpu_ids && cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &mask))
			continue;
		if (!CPU_ISSET(cpu, &allowed))
			return -EINVAL;
		CPU_SET(cpu, &applied);
	}
	iowq_set_affinity(ctx->wq, &applied);
	return 0;
}

int uring_iowq_aff_unregister(struct uring_ctx *ctx, const void *arg,
			      unsigned nr)
{
	cpu_set_t allowed;

	if (arg || nr)
		return -EINVAL;
	if (!caller_has_iowq(ctx))
		return -EINVAL;
	allowed_cpus(&allowed);
	iowq_set_affinity(ctx->wq, &allowed);
	return 0;
}

int uring_iowq_max_workers(struct uring_ctx *ctx, void *arg, unsigned nr)
{
	unsigned want[2], old[2] = {0, 0};
	struct rlimit nproc;

	if (!arg || nr != 2)
		return -EINVAL;
	if (uring_copy_from_user(want, arg, sizeof(want)))
		return -EFAULT;
	if (want[0] > 0x7fffffffU || want[1] > 0x7fffffffU)
		return -EINVAL;
	/* Limits never exceed what the process may start. */
	getrlimit(RLIMIT_NPROC, &nproc);
	for (int i = 0; i < 2; i++)
		if (want[i] > nproc.rlim_cur)
			want[i] = (unsigned)nproc.rlim_cur;
	iowq_set_max_workers(ctx->wq, want, old);
	/* A caller without its own io-wq learns nothing: {0, 0}. */
	if (!caller_has_iowq(ctx))
		old[0] = old[1] = 0;
	if (uring_copy_to_user(arg, old, sizeof(old)))
		return -EFAULT;
	return 0;
}
