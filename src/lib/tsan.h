/* SPDX-License-Identifier: MIT */
/*
 * ThreadSanitizer cannot see that the application's mapping of a ring
 * and the userspace backend's mapping are the same memory, so the
 * release/acquire pairs on the SQ and CQ tails do not order anything for
 * it. These annotations state that ordering on a per-ring key; they
 * compile to nothing in other builds.
 */
#ifndef ANYRING_TSAN_H
#define ANYRING_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define ANYRING_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ANYRING_TSAN 1
#endif
#endif

#ifdef ANYRING_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char anyring_tsan_keys[1024];
static inline void ring_tsan_release(int fd)
{
	__tsan_release(&anyring_tsan_keys[(unsigned)fd % 1024]);
}
static inline void ring_tsan_acquire(int fd)
{
	__tsan_acquire(&anyring_tsan_keys[(unsigned)fd % 1024]);
}
#else
static inline void ring_tsan_release(int fd)
{
	(void)fd;
}
static inline void ring_tsan_acquire(int fd)
{
	(void)fd;
}
#endif

#endif
