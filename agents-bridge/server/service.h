#ifndef SANDPIT_SERVER_SERVICE_H
#define SANDPIT_SERVER_SERVICE_H

/* The service: turns one request's bytes into one reply's bytes. It owns the session table,
 * the stepping pool, the counters and the reply buffer, and knows nothing of sockets, so tests
 * drive it directly and the ZeroMQ loop (server.c) stays a thin shell around it. */

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "async.h"
#include "codec.h"
#include "pool.h"
#include "sandpit/error.h"
#include "sandpit/server.h"
#include "sessions.h"
#include "layers.h"

/* Enough for any message the server writes (they quote at most a few short client strings). */
#define SP_ERR_MAX 512

/* Error codes are 0, -1, -2 ...: counters are indexed by -code. */
#define SP_ERROR_COUNT_ONE(sym, num, name) +1
enum { SP_ERROR_KINDS = 0 SP_ERROR_LIST(SP_ERROR_COUNT_ONE) };
#undef SP_ERROR_COUNT_ONE

/* The first failure in one range of a batched job (the lowest env index wins overall). */
typedef struct sp_chunk_error {
    int index; /* env index, -1 when the range had no failure */
    int code;
    char message[SP_ERR_MAX];
} sp_chunk_error;

typedef struct sp_service {
    sp_server_def def; /* limits; `binds` is not used here */
    sp_sessions* sessions;
    sp_pool* pool;
    sp_async* async;              /* send/recv stepping (async.h) */
    sp_chunk_error* chunk_errors; /* [threads * ranges per thread] */

    /* The reply of the request being handled. Cleared, never freed, between requests: after
     * the first few it has grown to its working size and packing allocates nothing. */
    msgpack_sbuffer reply;
    msgpack_packer pk;
    bool pack_failed;

    double now;       /* monotonic seconds at which the current request arrived */
    const char* peer; /* who sent it: its CURVE key (Z85), "" without CURVE */
    bool metered;     /* its op takes a step-rate token */
    bool async_op;    /* its op is send or recv, which a session with envs in flight takes */
    /* Nonzero: the request is a recv the loop must hold for this session's envs to finish
     * (ops_async.c), and answer with sp_service_answer_recv. */
    uint64_t wait_session;
    bool wait_has_id; /* and the id its answer echoes */
    uint64_t wait_id;

    uint64_t requests;
    uint64_t steps;
    uint64_t errors;
    uint64_t sessions_reaped;
    uint64_t duplicates;      /* steps answered from their session's last reply (seq) */
    uint64_t replies_delayed; /* transport faults (transport.h) */
    uint64_t replies_dropped;
    uint64_t episodes_expired; /* ended on their wall clock while the agent was quiet */
    double next_expiry;        /* monotonic seconds of the next expiry scan (expire.h) */

    uint64_t record_errors; /* recorders that stopped (a file not created or not written) */

    /* This server's life, 8 hex digits drawn at start: in replay names, so a restart into the
     * same directory writes new files rather than clash with the last life's. */
    char instance[9];

    /* What the transport does with the current reply, set by the step op from the session's
     * transport faults: send it `reply_delay_s` late (0: now), or not at all. */
    double reply_delay_s;
    bool reply_drop;
    uint64_t errors_by_code[SP_ERROR_KINDS];
    sp_layer_totals layer_totals; /* guardrail trips and fault windows of closed sessions */
} sp_service;

/* Creates a service for a validated def (see sp_server_create). Returns NULL and a message
 * when out of memory or when threads cannot start. Free it with sp_service_destroy. */
sp_service* sp_service_create(const sp_server_def* def, char* err, size_t err_sz);

/* Closes every session, stops the pool, frees everything. NULL is allowed. */
void sp_service_destroy(sp_service* svc);

/* Handles one request that arrived at monotonic time `now`. The reply is written to
 * `*reply`/`*reply_len`, owned by the service and valid until the next call. */
void sp_service_handle(sp_service* svc, const void* data, size_t len, double now,
                       const void** reply, size_t* reply_len);

/* The same for a request from `peer` (its CURVE key in Z85, "" without CURVE): sessions it
 * makes belong to it, and it may use no other's. */
void sp_service_handle_as(sp_service* svc, const char* peer, const void* data, size_t len,
                          double now, const void** reply, size_t* reply_len);

/* An error reply to a message the transport refused before handling (e.g. several payload
 * frames): counted like any request, echoing the id found in `data` if there is one. */
void sp_service_refuse(sp_service* svc, const void* data, size_t len, int code, const char* message,
                       const void** reply, size_t* reply_len);

/* The answer to a recv the loop held for `session` (svc->wait_session when it arrived, with
 * its request's id): false while too few of its envs have finished; else true with the reply
 * (an error if the session was closed meanwhile) in `*reply`, valid until the next call. */
bool sp_service_answer_recv(sp_service* svc, uint64_t session, bool has_id, uint64_t id,
                            const void** reply, size_t* reply_len);

/* Closes sessions idle for the def's idle_timeout_s; returns how many. */
int sp_service_reap(sp_service* svc, double now);

/* For op handlers. */

/* Into how many ranges to split a batch of `n` envs: a few per thread (claimed one at a time,
 * for balance), but only when the batch is large enough for the hand-off to pay. */
int sp_service_chunks(const sp_service* svc, int n);

/* Resets every range's sp_chunk_error before a batched job. */
void sp_service_clear_chunk_errors(sp_service* svc, int chunks);

/* The lowest-index failure of the last batched job, or NULL. */
const sp_chunk_error* sp_service_first_chunk_error(const sp_service* svc, int chunks);

/* The open session `id` (the request's "session", decoded at the door), marked used now.
 * Errors: SP_E_UNKNOWN_SESSION (also: made by another CURVE key), SP_E_IN_FLIGHT (envs of it
 * in flight, but for send, recv and close) and, for metered ops (reset, step),
 * SP_E_RATE_LIMITED. */
int sp_service_session(sp_service* svc, const sp_request* req, uint64_t id, sp_session** out,
                       char* err, size_t err_sz);

#endif
