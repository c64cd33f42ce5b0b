/* Heap call counting for the tests and benchmarks that check "no allocation on the real-time
 * path". The executable links with alloc_count_link_args (tests/meson.build: the linker's
 * --wrap for malloc, calloc, realloc and free), so every such call made by the executable and by
 * the static libattune goes through the wrappers below; calls inside shared libraries are not
 * seen. Include this header in exactly one .c file of the executable: it defines the wrappers.
 *
 * Invariant: the counters only grow. They are atomic because an acquisition thread may allocate
 * while the main thread reads them, and because the compiler takes malloc for a pure allocator
 * and could otherwise read a plain counter across a malloc call as if the call could not change
 * it. */
#ifndef ATT_ALLOC_COUNT_H
#define ATT_ALLOC_COUNT_H

#include <stdatomic.h>
#include <stddef.h>

static atomic_long att_alloc_calls; /* malloc, calloc, realloc */
static atomic_long att_free_calls;  /* free of a non-NULL pointer */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

void *__wrap_malloc(size_t n)
{
	atomic_fetch_add_explicit(&att_alloc_calls, 1, memory_order_relaxed);
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	atomic_fetch_add_explicit(&att_alloc_calls, 1, memory_order_relaxed);
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	atomic_fetch_add_explicit(&att_alloc_calls, 1, memory_order_relaxed);
	return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
	if (p)
		atomic_fetch_add_explicit(&att_free_calls, 1, memory_order_relaxed);
	__real_free(p);
}

/* Allocating calls (malloc, calloc, realloc) so far, in the whole process. Any thread. */
static inline long att_alloc_count(void)
{
	return atomic_load(&att_alloc_calls);
}

/* Every heap call so far: the allocating ones and each free of a non-NULL pointer. Any thread. */
static inline long att_heap_count(void)
{
	return atomic_load(&att_alloc_calls) + atomic_load(&att_free_calls);
}

#endif
