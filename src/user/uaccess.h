/* SPDX-License-Identifier: MIT */
/*
 * Reading and writing the application's memory the way the kernel does:
 * a bad pointer gives -EFAULT instead of a crash. The copies go through
 * process_vm_readv/writev on our own process.
 */
#ifndef ANYRING_UACCESS_H
#define ANYRING_UACCESS_H

#include <stdbool.h>
#include <stddef.h>

int uring_copy_from_user(void *dst, const void *user, size_t len);
int uring_copy_to_user(void *user, const void *src, size_t len);
/* Copy a NUL-terminated string of at most max bytes; -EFAULT, -ENAMETOOLONG. */
int uring_strncpy_from_user(char *dst, const void *user, size_t max);
/* Whether len bytes (already copied in) are all zero: reserved fields. */
bool uring_mem_is_zero(const void *p, size_t len);

#endif
