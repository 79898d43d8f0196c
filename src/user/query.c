/* SPDX-License-Identifier: MIT */
/*
 * REGISTER_QUERY (kernel-semantics.md §3.35): a chain of headers, each
 * answered in place. The answers describe what this backend implements.
 */
#include <string.h>

#include "uaccess.h"
#include "user.h"

#define MAX_QUERY_ENTRIES 1000
#define SETUP_FLAGS_ANSWER 0x7ffffULL

static void answer_opcodes(struct io_uring_query_opcode *q)
{
	memset(q, 0, sizeof(*q));
	q->nr_request_opcodes = URING_OP_LAST;
	q->nr_register_opcodes = URING_REGISTER_LAST;
	q->feature_flags = 0x3ffff;
	q->ring_setup_flags = SETUP_FLAGS_ANSWER;
	q->enter_flags = 0xff;
	q->sqe_flags = 0x7f;
	q->nr_query_opcodes = URING_QUERY_LAST;
}

static int answer_one(struct io_uring_query_hdr *h, __u64 user_hdr)
{
	struct io_uring_query_opcode q;
	char zero[64] = {0};
	size_t n;

	if (h->query_op >= URING_QUERY_LAST) {
		/* Unknown: the data is cleared and the header says why. */
		h->result = -EOPNOTSUPP;
		n = h->size < sizeof(zero) ? h->size : sizeof(zero);
		if (uring_copy_to_user((void *)(uintptr_t)h->query_data, zero, n))
			return -EFAULT;
	} else if (h->__resv[0] || h->__resv[1] || h->__resv[2] || h->result ||
		   !h->size) {
		h->result = -EINVAL;
	} else {
		answer_opcodes(&q);
		n = h->size < sizeof(q) ? h->size : sizeof(q);
		if (uring_copy_to_user((void *)(uintptr_t)h->query_data, &q, n))
			return -EFAULT;
		h->size = (__u32)n;
		h->result = 0;
	}
	return uring_copy_to_user((void *)(uintptr_t)user_hdr, h, sizeof(*h));
}

int uring_query(const void *arg, unsigned nr)
{
	__u64 next = (uintptr_t)arg;

	if (nr)
		return -EINVAL;
	for (unsigned i = 0; next; i++) {
		struct io_uring_query_hdr h;
		int ret;

		if (i >= MAX_QUERY_ENTRIES)
			return -ERANGE;
		if (uring_copy_from_user(&h, (void *)(uintptr_t)next, sizeof(h)))
			return -EFAULT;
		ret = answer_one(&h, next);
		if (ret)
			return ret;
		next = h.next_entry;
	}
	return 0;
}
