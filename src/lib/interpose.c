/* SPDX-License-Identifier: MIT */
/*
 * poll, select and epoll, interposed so that a userspace ring's fd polls
 * as the kernel's does (readable while CQEs wait). The ring's memory is a
 * memfd, which any poll reports readable forever and epoll refuses; each
 * call here watches the ring's readiness eventfd in its place (ready.c)
 * and hands the caller's own fds back. Without userspace rings every call
 * goes straight to the C library's.
 *
 * The exports carry the C library's version names (the version script's
 * GLIBC_* nodes): binaries linked against liburing bind those versions,
 * and only a definition of the same version interposes for them.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "next_symbol.h"
#include "ring.h"

/* The C library's name, or where there is none, sys_name's system call. */
#define REAL(name) NEXT_SYMBOL(name, sys_##name)

/* The kernel's sigset size, for the calls that take a signal mask. */
#define KERNEL_SIGSET_SIZE 8

static int sys_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return (int)syscall(SYS_poll, fds, n, timeout);
}

static int sys_ppoll(struct pollfd *fds, nfds_t n,
		     const struct timespec *timeout, const sigset_t *mask)
{
	return (int)syscall(SYS_ppoll, fds, n, timeout, mask,
			    KERNEL_SIGSET_SIZE);
}

static int sys___poll_chk(struct pollfd *fds, nfds_t n, int timeout,
			  size_t fds_len)
{
	(void)fds_len;
	return sys_poll(fds, n, timeout);
}

static int sys___ppoll_chk(struct pollfd *fds, nfds_t n,
			   const struct timespec *timeout,
			   const sigset_t *mask, size_t fds_len)
{
	(void)fds_len;
	return sys_ppoll(fds, n, timeout, mask);
}

static int sys_select(int nfds, fd_set *r, fd_set *w, fd_set *e,
		      struct timeval *timeout)
{
	return (int)syscall(SYS_select, nfds, r, w, e, timeout);
}

static int sys_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
		       const struct timespec *timeout, const sigset_t *mask)
{
	/* pselect6 takes the mask and its size as a pair. */
	struct timespec copy, *t = NULL;
	const void *sig[2] = {mask, (void *)(uintptr_t)KERNEL_SIGSET_SIZE};

	if (timeout) {
		copy = *timeout;
		t = &copy;
	}
	return (int)syscall(SYS_pselect6, nfds, r, w, e, t, mask ? sig : NULL);
}

static int sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

static int sys_epoll_wait(int epfd, struct epoll_event *events, int max,
			  int timeout)
{
	return (int)syscall(SYS_epoll_wait, epfd, events, max, timeout);
}

static int sys_epoll_pwait(int epfd, struct epoll_event *events, int max,
			   int timeout, const sigset_t *mask)
{
	return (int)syscall(SYS_epoll_pwait, epfd, events, max, timeout, mask,
			    KERNEL_SIGSET_SIZE);
}

static int sys_epoll_pwait2(int epfd, struct epoll_event *events, int max,
			    const struct timespec *timeout,
			    const sigset_t *mask)
{
	return (int)syscall(SYS_epoll_pwait2, epfd, events, max, timeout, mask,
			    KERNEL_SIGSET_SIZE);
}

/* pollfds on the stack; more are allocated. */
#define POLL_STACK_FDS 32

/*
 * A copy of fds with each ring fd replaced by its stand-in, or NULL when
 * none is a ring (or the copy cannot be made: then fds are polled as
 * given, as before this existed).
 */
static struct pollfd *substitute_pollfds(const struct pollfd *fds, nfds_t n,
					 struct pollfd *stack)
{
	struct pollfd *copy = NULL;

	for (nfds_t i = 0; i < n; i++) {
		int stand_in = backend_poll_fd(fds[i].fd);

		if (stand_in < 0)
			continue;
		if (!copy) {
			copy = n <= POLL_STACK_FDS ? stack
						   : malloc(n * sizeof(*copy));
			if (!copy)
				return NULL;
			memcpy(copy, fds, n * sizeof(*copy));
		}
		copy[i].fd = stand_in;
	}
	return copy;
}

/*
 * Hand back what each fd reported. A ring's stand-in is an eventfd, which
 * says POLLIN and POLLOUT where a kernel ring says POLLRDNORM and
 * POLLWRNORM too.
 */
static void return_revents(struct pollfd *fds, nfds_t n,
			   struct pollfd *copy, struct pollfd *stack)
{
	for (nfds_t i = 0; i < n; i++) {
		short rev = copy[i].revents;

		if (copy[i].fd != fds[i].fd) {
			if (rev & POLLIN)
				rev |= fds[i].events & POLLRDNORM;
			if (rev & POLLOUT)
				rev |= fds[i].events & POLLWRNORM;
		}
		fds[i].revents = rev;
	}
	if (copy != stack)
		free(copy);
}

ANYRING_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct pollfd stack[POLL_STACK_FDS], *copy;
	int ret;

	if (!backend_user_rings_exist() ||
	    !(copy = substitute_pollfds(fds, n, stack)))
		return REAL(poll)(fds, n, timeout);
	ret = REAL(poll)(copy, n, timeout);
	return_revents(fds, n, copy, stack);
	return ret;
}

ANYRING_EXPORT int ppoll(struct pollfd *fds, nfds_t n,
			 const struct timespec *timeout, const sigset_t *mask)
{
	struct pollfd stack[POLL_STACK_FDS], *copy;
	int ret;

	if (!backend_user_rings_exist() ||
	    !(copy = substitute_pollfds(fds, n, stack)))
		return REAL(ppoll)(fds, n, timeout, mask);
	ret = REAL(ppoll)(copy, n, timeout, mask);
	return_revents(fds, n, copy, stack);
	return ret;
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fds_len);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
		const sigset_t *mask, size_t fds_len);

/* _FORTIFY_SOURCE builds call these; the size check stays the library's. */
ANYRING_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout,
			      size_t fds_len)
{
	if (fds_len / sizeof(*fds) < n)
		return REAL(__poll_chk)(fds, n, timeout, fds_len);
	return poll(fds, n, timeout);
}

ANYRING_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n,
			       const struct timespec *timeout,
			       const sigset_t *mask, size_t fds_len)
{
	if (fds_len / sizeof(*fds) < n)
		return REAL(__ppoll_chk)(fds, n, timeout, mask, fds_len);
	return ppoll(fds, n, timeout, mask);
}

/* select's sets, with ring fds moved to their stand-ins. */
struct select_map {
	int nfds;
	int ring[FD_SETSIZE / 64], stand_in[FD_SETSIZE / 64];
	int nr;
};

static void move_fd(fd_set *set, int from, int to)
{
	if (set && FD_ISSET(from, set)) {
		FD_CLR(from, set);
		FD_SET(to, set);
	}
}

/* Whether any ring fd was moved (at most FD_SETSIZE / 64 of them). */
static bool substitute_sets(int nfds, fd_set *r, fd_set *w, fd_set *e,
			    struct select_map *map)
{
	map->nfds = nfds;
	map->nr = 0;
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
		int stand_in;

		if (!((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		      (e && FD_ISSET(fd, e))))
			continue;
		stand_in = backend_poll_fd(fd);
		if (stand_in < 0 || stand_in >= FD_SETSIZE ||
		    map->nr == FD_SETSIZE / 64)
			continue;
		move_fd(r, fd, stand_in);
		move_fd(w, fd, stand_in);
		move_fd(e, fd, stand_in);
		map->ring[map->nr] = fd;
		map->stand_in[map->nr++] = stand_in;
		if (stand_in >= map->nfds)
			map->nfds = stand_in + 1;
	}
	return map->nr > 0;
}

static void return_sets(fd_set *r, fd_set *w, fd_set *e,
			const struct select_map *map)
{
	for (int i = 0; i < map->nr; i++) {
		move_fd(r, map->stand_in[i], map->ring[i]);
		move_fd(w, map->stand_in[i], map->ring[i]);
		move_fd(e, map->stand_in[i], map->ring[i]);
	}
}

ANYRING_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
			  struct timeval *timeout)
{
	struct select_map map;
	int ret;

	if (!backend_user_rings_exist() || !substitute_sets(nfds, r, w, e, &map))
		return REAL(select)(nfds, r, w, e, timeout);
	ret = REAL(select)(map.nfds, r, w, e, timeout);
	return_sets(r, w, e, &map);
	return ret;
}

ANYRING_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
			   const struct timespec *timeout,
			   const sigset_t *mask)
{
	struct select_map map;
	int ret;

	if (!backend_user_rings_exist() || !substitute_sets(nfds, r, w, e, &map))
		return REAL(pselect)(nfds, r, w, e, timeout, mask);
	ret = REAL(pselect)(map.nfds, r, w, e, timeout, mask);
	return_sets(r, w, e, &map);
	return ret;
}

/* The stand-in joins the epoll set; the caller's event data is kept. */
ANYRING_EXPORT int epoll_ctl(int epfd, int op, int fd,
			     struct epoll_event *event)
{
	int stand_in = backend_poll_fd(fd);

	return REAL(epoll_ctl)(epfd, op, stand_in >= 0 ? stand_in : fd, event);
}

ANYRING_EXPORT int epoll_wait(int epfd, struct epoll_event *events,
			      int maxevents, int timeout)
{
	backend_poll_prepare();
	return REAL(epoll_wait)(epfd, events, maxevents, timeout);
}

ANYRING_EXPORT int epoll_pwait(int epfd, struct epoll_event *events,
			       int maxevents, int timeout,
			       const sigset_t *mask)
{
	backend_poll_prepare();
	return REAL(epoll_pwait)(epfd, events, maxevents, timeout, mask);
}

ANYRING_EXPORT int epoll_pwait2(int epfd, struct epoll_event *events,
				int maxevents, const struct timespec *timeout,
				const sigset_t *mask)
{
	backend_poll_prepare();
	return REAL(epoll_pwait2)(epfd, events, maxevents, timeout, mask);
}
