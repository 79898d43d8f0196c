/* SPDX-License-Identifier: MIT */
/* The liburing API level anyring provides. */
#ifndef LIBURING_VERSION_H
#define LIBURING_VERSION_H

#define IO_URING_VERSION_MAJOR 2
#define IO_URING_VERSION_MINOR 15

#endif
