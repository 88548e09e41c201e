#ifndef SANDPIT_SERVER_ASYNC_H
#define SANDPIT_SERVER_ASYNC_H

/* Async stepping (docs/PROTOCOL.md "send and recv"): envs of a session stepped on the
 * runner's own threads while the loop goes on serving, their results queued per session in
 * the order they finished.
 *
 * The runner is a FIFO of (session, env) jobs and a few threads. Each env is stepped by one
 * thread at a time, through the same per-env step as a lockstep `step`, and touches only its
 * own slots of its session's buffers: so each env's trajectory and hashes are those of
 * lockstep stepping, whatever the threads and whatever finishes first. An env is "pending"
 * from its `send` until a `recv` hands it back; while any env of a session is pending, only
 * send, recv and close may touch the session (service.c refuses the rest with in_flight). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sessions.h"

/* Steps env `env` of `s` once; returns SP_OK or an error code with a message in `err`. Called
 * on a runner thread; must touch only env `env`'s slots. */
typedef int (*sp_async_step_fn)(sp_session* s, int env, char* err, size_t err_sz);

typedef struct sp_async sp_async;

/* What a session holds for async stepping (made at its first send, freed with it). */
typedef struct sp_async_state sp_async_state;

/* A runner of `threads` threads for at most `capacity` queued envs (the server's total env
 * limit: an env is queued at most once). NULL when out of memory or a thread cannot start. */
sp_async* sp_async_create(int threads, int capacity, sp_async_step_fn step);

/* Stops and joins the threads. Every session must have been detached first. NULL allowed. */
void sp_async_destroy(sp_async* a);

/* Readable when an env finished since the last sp_async_drain_wake; the loop polls it. */
int sp_async_wake_fd(const sp_async* a);
void sp_async_drain_wake(sp_async* a);

/* The bytes sp_async_attach allocates for a session of `num_envs` envs of `obs_size`
 * floats: counted against the memory ceiling before they are. */
size_t sp_async_state_bytes(int num_envs, int obs_size);

/* Makes s->async, its sp_async_state_bytes counted in `t` against the memory ceiling
 * (sp_sessions_hold) until it is detached. Returns SP_OK, SP_E_LIMIT (the ceiling) or
 * SP_E_NO_MEMORY, with a message in `err`. */
int sp_async_attach(sp_async* a, sp_sessions* t, sp_session* s, char* err, size_t err_sz);

/* Takes s->async out of the runner: drops its queued envs, waits for the running ones, frees
 * it and sets s->async to NULL. Called when the session closes. */
void sp_async_detach(sp_session* s);

/* Envs of the session sent and not yet received (queued, running or finished). */
int sp_async_pending(const sp_async_state* st);
bool sp_async_is_pending(const sp_async_state* st, int env);
/* Envs finished and not yet received. */
int sp_async_ready(sp_async_state* st);

/* Queues envs `envs[0..k)` (none pending; their actions already in s->actions). */
void sp_async_submit(sp_async_state* st, const int32_t* envs, int k);

/* Hands back the first `k` finished envs (k <= sp_async_ready) in the order they finished,
 * into `envs`; they are no longer pending. Returns SP_OK, or the error of the first of them
 * whose step failed, with its message in `err`. */
int sp_async_take(sp_async_state* st, int k, int32_t* envs, char* err, size_t err_sz);

/* Scratch of the session for packing a recv reply: [N] each, [N * obs_size] for the obs. */
typedef struct sp_async_out {
    int32_t* ids; /* the envs of a send, then of a recv */
    float* obs;
    double* reward;
    uint8_t* terminated;
    uint8_t* truncated;
    uint64_t* hash;
    int32_t* final_index;
    double* final_return;
    int32_t* final_length;
    const char** final_reason;
    uint64_t* final_seed;
    float* final_obs;
    int32_t* reset_index;
} sp_async_out;

sp_async_out* sp_async_scratch(sp_async_state* st);

/* A recv of `batch_size` envs of the session: false when that many have finished already
 * (answer now); else true, and it waits (the loop holds its envelope) until they have, when
 * the runner wakes the loop once. 0 clears the wait. */
bool sp_async_set_waiting(sp_async_state* st, int batch_size);
/* The batch size a held recv waits for, 0: none. */
int sp_async_waiting(const sp_async_state* st);

#endif
