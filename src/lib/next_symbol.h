/* SPDX-License-Identifier: MIT */
/* Calling the definition an interposed C library function stands in for. */
#ifndef ANYRING_NEXT_SYMBOL_H
#define ANYRING_NEXT_SYMBOL_H

#include <dlfcn.h>

/*
 * The next definition of name after ours (the C library's), looked up
 * once; fallback where there is none (a static program).
 */
#define NEXT_SYMBOL(name, fallback)                                            \
	({                                                                     \
		static __typeof__(name) *next_##name;                          \
		__typeof__(name) *fn = __atomic_load_n(&next_##name,          \
						       __ATOMIC_ACQUIRE);      \
		if (!fn) {                                                     \
			fn = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);      \
			if (!fn)                                               \
				fn = fallback;                                 \
			__atomic_store_n(&next_##name, fn, __ATOMIC_RELEASE);  \
		}                                                              \
		fn;                                                            \
	})

#endif
