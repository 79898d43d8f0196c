/* SPDX-License-Identifier: MIT */
/*
 * The kernel backend: io_uring's three system calls, returning -errno and
 * leaving errno alone. Inline, because they are the hot path.
 */
#ifndef ANYRING_KERNEL_SYSCALL_H
#define ANYRING_KERNEL_SYSCALL_H

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "liburing.h"
#include "lib/tsan.h"

#ifdef ANYRING_TSAN
#include <sys/mman.h>
#endif

/*
 * The raw syscall instruction, so that errno is never touched: a library
 * that promises -errno must not clobber the caller's errno either.
 */
static inline long kernel_syscall6(long nr, long a, long b, long c, long d,
				   long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#else
	int saved = errno;
	long ret = syscall(nr, a, b, c, d, e, f);

	if (ret < 0) {
		ret = -errno;
		errno = saved;
	}
	return ret;
#endif
}

/*
 * 0, or the -errno the kernel refuses io_uring with while the emulation
 * (src/preload/) traps the three calls: the library's own calls then get
 * that answer without making them, as its filter would trap them too.
 */
extern int kernel_io_uring_refusal;

static inline int kernel_io_uring_setup(unsigned entries,
					struct io_uring_params *p)
{
	if (uring_unlikely(kernel_io_uring_refusal))
		return kernel_io_uring_refusal;
	return (int)kernel_syscall6(__NR_io_uring_setup, entries, (long)p, 0,
				    0, 0, 0);
}

static inline int kernel_io_uring_enter2(unsigned fd, unsigned to_submit,
					 unsigned min_complete, unsigned flags,
					 const void *arg, size_t argsz)
{
	if (uring_unlikely(kernel_io_uring_refusal))
		return kernel_io_uring_refusal;
	return (int)kernel_syscall6(__NR_io_uring_enter, fd, to_submit,
				    min_complete, flags, (long)arg,
				    (long)argsz);
}

static inline int kernel_io_uring_register(unsigned fd, unsigned opcode,
					   const void *arg, unsigned nr_args)
{
	if (uring_unlikely(kernel_io_uring_refusal))
		return kernel_io_uring_refusal;
	return (int)kernel_syscall6(__NR_io_uring_register, fd, opcode,
				    (long)arg, nr_args, 0, 0);
}

static inline int kernel_close(int fd)
{
	return (int)kernel_syscall6(__NR_close, fd, 0, 0, 0, 0, 0);
}

/* mmap(2) without errno: a pointer, or a value in [-4095, -1] on failure. */
static inline void *kernel_mmap(void *addr, size_t len, int prot, int flags,
				int fd, off_t off)
{
#ifdef ANYRING_TSAN
	/* ThreadSanitizer must see mappings come and go (via libc). */
	int saved = errno;
	void *p = mmap(addr, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		p = (void *)(long)-errno;
	errno = saved;
	return p;
#else
	return (void *)kernel_syscall6(__NR_mmap, (long)addr, (long)len, prot,
				       flags, fd, (long)off);
#endif
}

static inline int kernel_mmap_failed(const void *p)
{
	return (unsigned long)p >= (unsigned long)-4095L;
}

static inline int kernel_munmap(void *addr, size_t len)
{
#ifdef ANYRING_TSAN
	int saved = errno, ret = munmap(addr, len) ? -errno : 0;

	errno = saved;
	return ret;
#else
	return (int)kernel_syscall6(__NR_munmap, (long)addr, (long)len, 0, 0,
				    0, 0);
#endif
}

static inline int kernel_madvise(void *addr, size_t len, int advice)
{
	return (int)kernel_syscall6(__NR_madvise, (long)addr, (long)len,
				    advice, 0, 0, 0);
}

#endif
