/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kernel/syscall.h"
#include "uaccess.h"

static long vm_copy(long nr, void *local_buf, const void *remote_buf,
		    size_t len)
{
	struct iovec local = {local_buf, len};
	struct iovec remote = {(void *)remote_buf, len};

	return kernel_syscall6(nr, getpid(), (long)&local, 1, (long)&remote, 1,
			       0);
}

int uring_copy_from_user(void *dst, const void *user, size_t len)
{
	if (!len)
		return 0;
	if (!user)
		return -EFAULT;
	return vm_copy(__NR_process_vm_readv, dst, user, len) == (long)len
		       ? 0
		       : -EFAULT;
}

int uring_copy_to_user(void *user, const void *src, size_t len)
{
	if (!len)
		return 0;
	if (!user)
		return -EFAULT;
	return vm_copy(__NR_process_vm_writev, (void *)src, user, len) ==
			       (long)len
		       ? 0
		       : -EFAULT;
}

int uring_strncpy_from_user(char *dst, const void *user, size_t max)
{
	size_t done = 0;

	if (!user)
		return -EFAULT;
	/* Copy page-bounded pieces so a string ending before a hole works. */
	while (done < max) {
		size_t page_left = 4096 - (((size_t)user + done) & 4095);
		size_t chunk = max - done < page_left ? max - done : page_left;

		if (uring_copy_from_user(dst + done, (const char *)user + done,
					 chunk))
			return -EFAULT;
		if (memchr(dst + done, '\0', chunk))
			return 0;
		done += chunk;
	}
	return -ENAMETOOLONG;
}

bool uring_mem_is_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}
