/* SPDX-License-Identifier: MIT */
/*
 * Descriptors of our own for the application's files: a library's fget,
 * since only a descriptor keeps a file open once the application has
 * closed its own.
 */
#ifndef ANYRING_FD_DUP_H
#define ANYRING_FD_DUP_H

/* A close-on-exec duplicate of fd, or -EBADF or -EMFILE. */
int uring_dup_fd(int fd);

/*
 * Duplicates of fds[0..n) into dups[0..n) (which may be fds itself).
 * Returns 0, or -EBADF or -EMFILE with no duplicate left open.
 */
int uring_dup_fds(const int *fds, int *dups, unsigned n);

#endif
