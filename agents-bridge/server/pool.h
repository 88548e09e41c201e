#ifndef SANDPIT_SERVER_POOL_H
#define SANDPIT_SERVER_POOL_H

/* A small persistent pool of worker threads for batched stepping.
 *
 * sp_pool_run splits [0, n) into `chunks` contiguous ranges and runs `fn` once per range, on
 * the calling thread and the workers together, returning when all are done. Which thread
 * runs a range is not fixed, so `fn` must only touch what belongs to its range: then the
 * results cannot depend on the number of threads. */

typedef struct sp_pool sp_pool;

/* Runs items [begin, end) of a job; `chunk` is the range's index, for per-range scratch. */
typedef void (*sp_pool_fn)(void* ctx, int begin, int end, int chunk);

/* A pool of `threads` threads in all: the caller of sp_pool_run plus `threads - 1` workers.
 * Returns NULL when a thread cannot be started. Free it with sp_pool_destroy. */
sp_pool* sp_pool_create(int threads);

/* Stops and joins the workers. NULL is allowed. */
void sp_pool_destroy(sp_pool* pool);

int sp_pool_threads(const sp_pool* pool);

/* Runs `fn` over `chunks` ranges of [0, n) (chunks >= 1; 1 runs inline). Threads claim
 * ranges one at a time, so more ranges than threads balance the work between them.
 * Not reentrant: one job at a time, from one thread. */
void sp_pool_run(sp_pool* pool, int n, int chunks, sp_pool_fn fn, void* ctx);

#endif
