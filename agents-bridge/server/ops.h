#ifndef SANDPIT_SERVER_OPS_H
#define SANDPIT_SERVER_OPS_H

/* The op handlers. Each decodes its request once at the door (requests.h), checks it against
 * its session in the op's order of checks, then does the work and packs a success reply into
 * svc->pk (sp_pack_ok first); or returns an sp_error with a message in `err`, after which the
 * service discards anything packed and sends an error reply instead.
 * The table that names them is in service.c. */

#include "codec.h"
#include "requests.h"
#include "service.h"

/* The session of a decoded request: the door's fault if it comes at or before "session",
 * else the session lookup's (sp_service_session). */
static inline int sp_door_session(sp_service* svc, const sp_request* req, const sp_door* door,
                                  uint64_t id, sp_session** out, char* err, size_t err_sz) {
    if (sp_door_first(door, SP_AT_SESSION)) return door->rc;
    return sp_service_session(svc, req, id, out, err, err_sz);
}

/* Packs a step or recv reply's "reward", "terminated" and "truncated" arrays of k rows. */
void sp_pack_outcomes(msgpack_packer* pk, uint32_t k, const double* reward,
                      const uint8_t* terminated, const uint8_t* truncated);

/* The columns of a reply's "final" map, row j for the j-th ended episode: step packs them
 * from the session's buffers, recv from its scratch. `obs` is NULL but under same_step
 * autoreset. */
typedef struct sp_final_columns {
    const int32_t* index;
    const double* returns;
    const int32_t* length;
    const char* const* reason;
    const uint64_t* seed;
    const float* obs; /* [m, obs_size] */
} sp_final_columns;

/* Packs the "final" map of m rows; `extra_keys` more entries follow it (the caller's). */
void sp_pack_final(msgpack_packer* pk, const sp_final_columns* f, int m, int obs_size,
                   uint32_t extra_keys);

typedef int (*sp_op_fn)(sp_service* svc, const sp_request* req, char* err, size_t err_sz);

int sp_op_ping(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_hello(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_stats(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_make(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_reset(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_close(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_step(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_render(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_send(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_recv(sp_service* svc, const sp_request* req, char* err, size_t err_sz);

/* The reply of a held recv of `session` once its envs have finished: *answered false (and
 * nothing packed) while too few have; an error when the session is gone. */
int sp_async_answer(sp_service* svc, uint64_t session, bool has_id, uint64_t id, bool* answered,
                    char* err, size_t err_sz);

/* Copies the request's "actions" (decoded at the door) into s->actions and checks each: row j
 * is env envs[j]'s action (`count` rows), or with envs NULL row i is env i's (N rows).
 * SP_E_BAD_ACTION for the wrong dtype or shape, a NaN/Inf or an out-of-range action. */
int sp_read_actions(const sp_array_view* actions, sp_session* s, const int32_t* envs, int count,
                    char* err, size_t err_sz);

/* Steps env `env` of `s` as a lockstep step steps it (autoreset included), writing only its
 * slots of the session's buffers. For the async runner's threads. */
int sp_step_env(sp_session* s, int env, char* err, size_t err_sz);

/* An episode runtime failure as a wire code: the runtime's client-facing codes pass through,
 * anything else is the server's own fault (internal). */
int sp_wire_code(int rc);

#endif
