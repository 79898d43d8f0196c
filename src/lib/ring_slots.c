/* SPDX-License-Identifier: MIT */
/*
 * Registered ring indexes are one namespace per thread for both backends.
 * This remembers, per thread, which slots hold kernel rings registered
 * through the library, so the userspace backend never hands out one of
 * them, and indexes reach the backend that owns them.
 */
#include "ring.h"

#define RING_FD_SLOTS 16

static __thread unsigned char kernel_owned[RING_FD_SLOTS];

bool ring_slot_owned(int slot)
{
	return slot >= 0 && slot < RING_FD_SLOTS && kernel_owned[slot];
}

void ring_slot_set_kernel(int slot, bool owned)
{
	if (slot >= 0 && slot < RING_FD_SLOTS)
		kernel_owned[slot] = owned;
}

int ring_slot_unregister_kernel(struct io_uring_rsrc_update *up)
{
	int ret = kernel_io_uring_register(up->offset,
					   IORING_UNREGISTER_RING_FDS |
						   IORING_REGISTER_USE_REGISTERED_RING,
					   up, 1);

	if (ret == 1)
		ring_slot_set_kernel((int)up->offset, false);
	return ret;
}

/*
 * Before a kernel RING_FDS call: entries asking for "any slot" get an
 * explicit slot free for both backends, if userspace rings use some.
 */
static void choose_slots(struct io_uring_rsrc_update *up, unsigned nr)
{
	bool taken[RING_FD_SLOTS];

	if (!user_ring_slots_used())
		return;
	for (int i = 0; i < RING_FD_SLOTS; i++)
		taken[i] = kernel_owned[i] || user_ring_slot_used(i);
	for (unsigned e = 0; e < nr; e++) {
		if (up[e].offset != -1U)
			continue;
		for (int i = 0; i < RING_FD_SLOTS; i++) {
			if (!taken[i]) {
				up[e].offset = (unsigned)i;
				taken[i] = true;
				break;
			}
		}
	}
}

/* The kernel's RING_FDS / UNREGISTER_RING_FDS, with the view kept. */
int ring_slots_kernel_register(unsigned fd, unsigned opcode, void *arg,
			       unsigned nr)
{
	struct io_uring_rsrc_update *up = arg;
	bool reg = (opcode & ~IORING_REGISTER_USE_REGISTERED_RING) ==
		   IORING_REGISTER_RING_FDS;
	int ret;

	if (reg && up && nr <= RING_FD_SLOTS)
		choose_slots(up, nr);
	ret = kernel_io_uring_register(fd, opcode, arg, nr);
	for (int i = 0; up && i < ret && i < RING_FD_SLOTS; i++)
		ring_slot_set_kernel((int)up[i].offset, reg);
	return ret;
}
