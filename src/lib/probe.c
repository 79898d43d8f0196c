/* SPDX-License-Identifier: MIT */
/* Opcode probing and the library's version. */
#include <stdlib.h>

#include "ring.h"

/* Room for every opcode the probe interface can describe. */
#define PROBE_OPS 256

ANYRING_EXPORT struct io_uring_probe *io_uring_get_probe_ring(struct io_uring *ring)
{
	struct io_uring_probe *probe;

	probe = calloc(1, sizeof(*probe) + PROBE_OPS * sizeof(probe->ops[0]));
	if (!probe)
		return NULL;
	if (io_uring_register_probe(ring, probe, PROBE_OPS) < 0) {
		free(probe);
		return NULL;
	}
	return probe;
}

ANYRING_EXPORT struct io_uring_probe *io_uring_get_probe(void)
{
	struct io_uring_probe *probe;
	struct io_uring ring;

	if (io_uring_queue_init(2, &ring, 0) < 0)
		return NULL;
	probe = io_uring_get_probe_ring(&ring);
	io_uring_queue_exit(&ring);
	return probe;
}

ANYRING_EXPORT void io_uring_free_probe(struct io_uring_probe *probe)
{
	free(probe);
}

ANYRING_EXPORT int io_uring_major_version(void)
{
	return IO_URING_VERSION_MAJOR;
}

ANYRING_EXPORT int io_uring_minor_version(void)
{
	return IO_URING_VERSION_MINOR;
}

/* True when the library is older than major.minor, as in liburing. */
ANYRING_EXPORT bool io_uring_check_version(int major, int minor)
{
	return IO_URING_CHECK_VERSION(major, minor);
}

ANYRING_EXPORT const char *anyring_version(void)
{
	return ANYRING_VERSION_STRING;
}
