/* SPDX-License-Identifier: MIT */
/* Kernel types liburing's API uses that older libcs may lack. */
#ifndef LIBURING_COMPAT_H
#define LIBURING_COMPAT_H

#include <linux/time_types.h>
#include <linux/openat2.h>
#include <linux/futex.h>

#endif
