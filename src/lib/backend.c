/* SPDX-License-Identifier: MIT */
/*
 * Backend selection and the map from ring fds to backends.
 *
 * The decision for new rings is made once per process (ANYRING_BACKEND or
 * anyring_set_backend()), so a process never flips between backends by
 * itself. Ring fds of non-kernel backends are recorded here so that the raw
 * entry points, which only see an fd, reach the right backend.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "tsan.h"

#ifdef ANYRING_TSAN
char anyring_tsan_keys[1024];
#endif

static int debug_enabled(void);

static const struct anyring_ops *user_backend(void)
{
	return &user_backend_ops;
}

static pthread_once_t choice_once = PTHREAD_ONCE_INIT;
static _Atomic int forced_choice = -1;        /* anyring_set_backend() */
static enum anyring_backend env_choice;       /* ANYRING_BACKEND */
static _Atomic int kernel_status = 1;         /* 1 = not probed yet */
static pthread_mutex_t status_lock = PTHREAD_MUTEX_INITIALIZER;
int kernel_io_uring_refusal;

bool backend_debug_enabled(void)
{
	return debug_enabled();
}

static int debug_enabled(void)
{
	const char *v = getenv("ANYRING_DEBUG");

	return v && *v && strcmp(v, "0") != 0;
}

static void read_environment(void)
{
	const char *v = getenv("ANYRING_BACKEND");

	env_choice = ANYRING_BACKEND_AUTO;
	if (!v || !*v || !strcmp(v, "auto"))
		return;
	if (!strcmp(v, "kernel"))
		env_choice = ANYRING_BACKEND_KERNEL;
	else if (!strcmp(v, "user"))
		env_choice = ANYRING_BACKEND_USER;
	else if (debug_enabled())
		fprintf(stderr, "anyring: ignoring ANYRING_BACKEND=%s\n", v);
}

static enum anyring_backend requested_backend(void)
{
	int forced = atomic_load_explicit(&forced_choice, memory_order_acquire);

	if (forced >= 0)
		return (enum anyring_backend)forced;
	pthread_once(&choice_once, read_environment);
	return env_choice;
}

/* A kernel ring was set up in this process (its task work can EINTR). */
static bool kernel_ring_made;

/* What the kernel's REGISTER_PROBE said, filled in by the probe. */
static struct {
	struct io_uring_probe hdr;
	struct io_uring_probe_op ops[IORING_OP_LAST];
} kernel_probe;

/*
 * Setting up a ring creates the calling thread's io_uring context, whose
 * worker pool keeps the first ring's size as its bounded-worker limit for
 * the thread's life. Probing from a short-lived thread keeps that side
 * effect away from the application's threads.
 */
static void *probe_kernel_thread(void *arg)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = kernel_io_uring_setup(1, &p);
	*(int *)arg = fd < 0 ? fd : 0;
	if (fd >= 0) {
		kernel_io_uring_register((unsigned)fd, IORING_REGISTER_PROBE,
					 &kernel_probe, IORING_OP_LAST);
		kernel_close(fd);
	}
	return NULL;
}

int backend_emulated_refusal(void)
{
	const char *v = getenv(ANYRING_EMULATED_ENV);

	if (!v || !*v)
		return 0;
	if (!strcmp(v, "ENOSYS"))
		return -ENOSYS;
	if (!strcmp(v, "EACCES"))
		return -EACCES;
	return -EPERM;
}

/*
 * Under the emulation the kernel's answer is known, and asking would be
 * trapped: the library's own calls then get that answer without asking.
 */
static void adopt_emulated_refusal(void)
{
	int refusal = backend_emulated_refusal();

	if (!refusal)
		return;
	pthread_mutex_lock(&status_lock);
	if (kernel_status == 1) {
		kernel_status = refusal;
		kernel_io_uring_refusal = refusal;
	}
	pthread_mutex_unlock(&status_lock);
}

ANYRING_EXPORT int anyring_kernel_status(void)
{
	pthread_t thread;
	int status;

	adopt_emulated_refusal();
	pthread_mutex_lock(&status_lock);
	if (kernel_status == 1) {
		if (pthread_create(&thread, NULL, probe_kernel_thread, &status)) {
			probe_kernel_thread(&status);
		} else {
			pthread_join(thread, NULL);
		}
		kernel_status = status;
	}
	status = kernel_status;
	pthread_mutex_unlock(&status_lock);
	return status;
}


/* Whether auto mode falls back for this io_uring_setup(2) error. */
static int is_fallback_error(int err)
{
	return err == -ENOSYS || err == -EPERM || err == -EACCES;
}

static void report_choice_once(enum anyring_backend chosen, const char *why)
{
	static atomic_flag reported = ATOMIC_FLAG_INIT;

	if (!debug_enabled() || atomic_flag_test_and_set(&reported))
		return;
	fprintf(stderr, "anyring: using the %s backend (%s)\n",
		anyring_backend_name(chosen), why);
}

/* Auto mode: whether the kernel refuses io_uring to this process. */
static bool kernel_refuses_io_uring(void)
{
	int status = anyring_kernel_status();

	return status < 0 && is_fallback_error(status);
}

/* The backend new rings get, deciding it (and probing) if needed. */
static const struct anyring_ops *backend_for_setup(void)
{
	enum anyring_backend req = requested_backend();

	if (req == ANYRING_BACKEND_KERNEL)
		return NULL;
	if (req == ANYRING_BACKEND_USER)
		return user_backend();
	if (user_backend() && kernel_refuses_io_uring())
		return user_backend();
	return NULL;
}

/*
 * Once rings are set up on the userspace backend, raw calls on fds that
 * are not known rings go there too: the kernel would only refuse them.
 */
static atomic_bool route_unknown_to_user;

/*
 * The emulation traps io_uring's calls because the kernel refuses them
 * with refusal: that is the kernel's answer from now on, so auto mode
 * picks the userspace backend without probing, and calls on fds that
 * are no ring get the userspace backend's (the kernel's) errors.
 */
void backend_emulate(int refusal)
{
	pthread_mutex_lock(&status_lock);
	kernel_io_uring_refusal = refusal;
	kernel_status = refusal;
	pthread_mutex_unlock(&status_lock);
	atomic_store_explicit(&route_unknown_to_user, true, memory_order_relaxed);
}

static int setup_on(const struct anyring_ops *ops, unsigned entries,
		    struct io_uring_params *p, const char *why)
{
	report_choice_once(ops->kind, why);
	atomic_store_explicit(&route_unknown_to_user, true, memory_order_relaxed);
	return ops->setup(entries, p);
}

/*
 * Auto mode tries the kernel first and falls back only when a plain probe
 * confirms io_uring itself is refused: an EPERM for these particular setup
 * flags alone is the kernel's answer and is returned as it is.
 */
int backend_setup(unsigned entries, struct io_uring_params *p,
		  const struct anyring_ops **ops)
{
	enum anyring_backend req = requested_backend();
	bool may_fall_back;
	char why[96];
	int fd;

	*ops = NULL;
	adopt_emulated_refusal();
	if (req == ANYRING_BACKEND_USER) {
		*ops = user_backend();
		if (!*ops) {
			report_choice_once(ANYRING_BACKEND_USER,
					   "not available in this build");
			return -ENOSYS;
		}
		return setup_on(*ops, entries, p, "ANYRING_BACKEND=user");
	}
	may_fall_back = req == ANYRING_BACKEND_AUTO && user_backend();
	/* Once a probe has seen the refusal, skip the doomed system call. */
	fd = may_fall_back && is_fallback_error(kernel_status)
		     ? kernel_status
		     : kernel_io_uring_setup(entries, p);
	if (may_fall_back && is_fallback_error(fd) && kernel_refuses_io_uring()) {
		*ops = user_backend();
		snprintf(why, sizeof(why), "io_uring_setup: %s",
			 strerrorname_np(-anyring_kernel_status()));
		return setup_on(*ops, entries, p, why);
	}
	report_choice_once(ANYRING_BACKEND_KERNEL,
			   req == ANYRING_BACKEND_KERNEL ? "ANYRING_BACKEND=kernel"
							 : "io_uring is usable");
	if (fd >= 0)
		__atomic_store_n(&kernel_ring_made, true, __ATOMIC_RELAXED);
	return fd;
}

bool backend_kernel_ring_made(void)
{
	return __atomic_load_n(&kernel_ring_made, __ATOMIC_RELAXED);
}

ANYRING_EXPORT int anyring_set_backend(enum anyring_backend backend)
{
	switch (backend) {
	case ANYRING_BACKEND_AUTO:
		atomic_store_explicit(&forced_choice, -1, memory_order_release);
		return 0;
	case ANYRING_BACKEND_USER:
		if (!user_backend())
			return -ENOTSUP;
		/* fall through */
	case ANYRING_BACKEND_KERNEL:
		atomic_store_explicit(&forced_choice, (int)backend,
				      memory_order_release);
		return 0;
	}
	return -EINVAL;
}

ANYRING_EXPORT int anyring_default_backend(void)
{
	const struct anyring_ops *ops = backend_for_setup();

	return ops ? (int)ops->kind : ANYRING_BACKEND_KERNEL;
}

ANYRING_EXPORT int anyring_backend_available(enum anyring_backend backend)
{
	switch (backend) {
	case ANYRING_BACKEND_AUTO:
	case ANYRING_BACKEND_KERNEL:
		return 1;
	case ANYRING_BACKEND_USER:
		return user_backend() != NULL;
	}
	return 0;
}

ANYRING_EXPORT const char *anyring_backend_name(int backend)
{
	switch (backend) {
	case ANYRING_BACKEND_AUTO:
		return "auto";
	case ANYRING_BACKEND_KERNEL:
		return "kernel";
	case ANYRING_BACKEND_USER:
		return "user";
	}
	return "unknown";
}

/*
 * Linux checks the register opcode before it looks at the fd, so a bad
 * (non-blind) fd yields EBADF for a known opcode and EINVAL otherwise.
 */
static bool kernel_knows_register_op(unsigned op)
{
	return kernel_io_uring_register(0x7fffffff, op, NULL, 0) != -EINVAL;
}

ANYRING_EXPORT int anyring_register_op_supported(enum anyring_backend backend,
						 unsigned opcode)
{
	if (opcode >= IORING_REGISTER_LAST)
		return 0;
	if (backend == ANYRING_BACKEND_USER)
		return uring_register_op_supported(opcode);
	return anyring_kernel_status() == 0 && kernel_knows_register_op(opcode);
}

ANYRING_EXPORT int anyring_sqe_op_supported(enum anyring_backend backend,
					    unsigned opcode)
{
	if (opcode >= IORING_OP_LAST)
		return 0;
	if (backend == ANYRING_BACKEND_USER)
		return uring_sqe_op_supported(opcode);
	return anyring_kernel_status() == 0 && opcode <= kernel_probe.hdr.last_op &&
	       (kernel_probe.ops[opcode].flags & IO_URING_OP_SUPPORTED);
}

ANYRING_EXPORT int anyring_ring_backend(const struct io_uring *ring)
{
	const struct anyring_ops *ops = ring_ops(ring);

	return ops ? (int)ops->kind : ANYRING_BACKEND_KERNEL;
}

/*
 * fd -> backend map. Readers first check how many fds are attached, so a
 * process with only kernel rings pays one relaxed load per raw call.
 */
static pthread_mutex_t fd_map_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct anyring_ops **fd_map;
static size_t fd_map_len;
static atomic_uint fd_map_used;

bool backend_user_rings_exist(void)
{
	return atomic_load_explicit(&fd_map_used, memory_order_relaxed) != 0;
}

/*
 * A child forked while another thread held one of these locks would find
 * it held forever: fork waits until both are free, and the child unlocks.
 */
static void fork_prepare(void)
{
	pthread_mutex_lock(&status_lock);
	pthread_mutex_lock(&fd_map_lock);
}

static void fork_done(void)
{
	pthread_mutex_unlock(&fd_map_lock);
	pthread_mutex_unlock(&status_lock);
}

static void fork_watch(void)
{
	pthread_atfork(fork_prepare, fork_done, fork_done);
}

int backend_fd_attach(int fd, const struct anyring_ops *ops)
{
	static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
	const struct anyring_ops **grown;
	size_t len;

	if (fd < 0)
		return -EBADF;
	pthread_once(&fork_once, fork_watch);
	pthread_mutex_lock(&fd_map_lock);
	if ((size_t)fd >= fd_map_len) {
		len = fd_map_len ? fd_map_len : 64;
		while (len <= (size_t)fd)
			len *= 2;
		grown = realloc(fd_map, len * sizeof(*grown));
		if (!grown) {
			pthread_mutex_unlock(&fd_map_lock);
			return -ENOMEM;
		}
		memset(grown + fd_map_len, 0,
		       (len - fd_map_len) * sizeof(*grown));
		fd_map = grown;
		fd_map_len = len;
	}
	if (!fd_map[fd])
		atomic_fetch_add(&fd_map_used, 1);
	fd_map[fd] = ops;
	pthread_mutex_unlock(&fd_map_lock);
	return 0;
}

void backend_fd_detach(int fd)
{
	pthread_mutex_lock(&fd_map_lock);
	if (fd >= 0 && (size_t)fd < fd_map_len && fd_map[fd]) {
		fd_map[fd] = NULL;
		atomic_fetch_sub(&fd_map_used, 1);
	}
	pthread_mutex_unlock(&fd_map_lock);
}

bool backend_fd_is_user_ring(int fd)
{
	bool found = false;

	if (fd < 0 || !backend_user_rings_exist())
		return false;
	pthread_mutex_lock(&fd_map_lock);
	if ((size_t)fd < fd_map_len)
		found = fd_map[fd] != NULL;
	pthread_mutex_unlock(&fd_map_lock);
	return found;
}

const struct anyring_ops *backend_for_fd(unsigned fd, int registered)
{
	const struct anyring_ops *ops = NULL;

	bool fallback = atomic_load_explicit(&route_unknown_to_user,
					     memory_order_relaxed);

	if (uring_likely(!fallback && !atomic_load_explicit(&fd_map_used,
							    memory_order_relaxed)))
		return NULL;
	/* Registered indexes go to the backend that owns the slot. */
	if (registered) {
		if (fd < 16 && user_ring_slot_used((int)fd))
			return user_backend();
		/* An empty slot: the thread's own userspace table explains it. */
		if (!ring_slot_owned((int)fd) && user_tctx_present())
			return user_backend();
		return fallback && kernel_refuses_io_uring() ? user_backend()
							     : NULL;
	}
	pthread_mutex_lock(&fd_map_lock);
	if (fd < fd_map_len)
		ops = fd_map[fd];
	pthread_mutex_unlock(&fd_map_lock);
	if (!ops && fallback && kernel_refuses_io_uring())
		ops = user_backend();
	return ops;
}

int backend_poll_fd(int fd)
{
	const struct anyring_ops *ops;

	if (fd < 0 || !backend_user_rings_exist())
		return -1;
	ops = backend_for_fd((unsigned)fd, 0);
	return ops && ops->poll_fd ? ops->poll_fd((unsigned)fd) : -1;
}

void backend_poll_prepare(void)
{
	const struct anyring_ops *ops = user_backend();

	if (backend_user_rings_exist() && ops->poll_prepare)
		ops->poll_prepare();
}
