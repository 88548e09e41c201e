/* send and recv: async stepping (docs/PROTOCOL.md "send and recv", async.h).
 *
 * send checks everything a lockstep step checks for the envs it names, hands them to the
 * async runner and answers at once. recv answers with the first batch_size envs that
 * finished, in the order they finished; when fewer have, the op asks the loop to hold the
 * request (svc->wait) and the loop answers it through sp_service_answer_recv once enough
 * have. Each env's slots of the session's buffers are its own until it is received, so the
 * reply is gathered from them into the session's async scratch. */

#include <stdio.h>
#include <string.h>

#include "async.h"
#include "layers.h"
#include "ops.h"

/* "env_ids" (decoded at the door): int32 [k], 1 <= k <= N, distinct, each in [0, N) and not
 * pending; into ids. */
static int read_env_ids(const sp_array_view* env_ids, sp_session* s, int32_t* ids, int* count,
                        char* err, size_t err_sz) {
    const sp_array_view a = *env_ids;
    int n = s->def.num_envs;
    if (a.dtype != SP_DTYPE_INT32 || a.ndim != 1 || a.shape[0] < 1 || a.shape[0] > (uint64_t)n) {
        snprintf(err, err_sz, "field 'env_ids' must be int32 [k] with 1 <= k <= %d", n);
        return SP_E_BAD_REQUEST;
    }
    int k = (int)a.shape[0];
    memcpy(ids, a.data, (size_t)k * sizeof *ids);
    sp_async_state* st = s->async;
    for (int j = 0; j < k; j++) {
        if (ids[j] < 0 || ids[j] >= n) {
            snprintf(err, err_sz, "field 'env_ids'[%d] is %d, not an env of this session [0, %d)",
                     j, (int)ids[j], n);
            return SP_E_BAD_REQUEST;
        }
        if (sp_async_is_pending(st, ids[j])) {
            snprintf(err, err_sz, "env %d is in flight: recv it before sending it again",
                     (int)ids[j]);
            return SP_E_IN_FLIGHT;
        }
    }
    /* Distinct: marked in the recv scratch, which only a recv's packing reads. */
    uint8_t* seen = sp_async_scratch(st)->terminated;
    for (int j = 0; j < k; j++)
        seen[ids[j]] = 0;
    for (int j = 0; j < k; j++) {
        if (seen[ids[j]]) {
            snprintf(err, err_sz, "field 'env_ids' names env %d twice", (int)ids[j]);
            return SP_E_BAD_REQUEST;
        }
        seen[ids[j]] = 1;
    }
    *count = k;
    return SP_OK;
}

static int check_ready(const sp_session* s, const int32_t* ids, int k, char* err, size_t err_sz) {
    if (!s->started) {
        snprintf(err, err_sz, "send before the first reset: send reset first");
        return SP_E_NEEDS_RESET;
    }
    for (int j = 0; j < k && s->def.autoreset == SP_AUTORESET_DISABLED; j++) {
        if (sp_episode_done(s->eps[ids[j]]) && !(s->cfg && s->cfg->expired[ids[j]])) {
            snprintf(err, err_sz,
                     "env %d's episode has ended and autoreset is disabled: reset it first",
                     (int)ids[j]);
            return SP_E_NEEDS_RESET;
        }
    }
    return SP_OK;
}

/* Whether a recv of `batch` envs can be answered some day, `sending` more envs being sent. */
static int check_recv(sp_session* s, int batch, int sending, char* err, size_t err_sz) {
    int pending = sp_async_pending(s->async) + sending;
    if (sp_async_waiting(s->async)) {
        snprintf(err, err_sz, "a recv of session %llu is already waiting",
                 (unsigned long long)s->id);
        return SP_E_IN_FLIGHT;
    }
    if (pending == 0 || batch > pending) {
        snprintf(err, err_sz, "recv of %d env%s, but %d of session %llu %s in flight", batch,
                 batch == 1 ? "" : "s", pending, (unsigned long long)s->id,
                 pending == 1 ? "is" : "are");
        return SP_E_NOTHING_PENDING;
    }
    return SP_OK;
}

static int pack_recv(sp_service* svc, sp_session* s, const sp_request* req, int k, char* err,
                     size_t err_sz);

/* Answers with the first `batch` finished envs now, or has the loop hold the request until
 * that many have finished. */
static int recv_batch(sp_service* svc, const sp_request* req, sp_session* s, int batch, char* err,
                      size_t err_sz) {
    if (!sp_async_set_waiting(s->async, batch)) return pack_recv(svc, s, req, batch, err, err_sz);
    svc->wait_session = s->id;
    svc->wait_has_id = req->has_id;
    svc->wait_id = req->id;
    return SP_OK;
}

int sp_op_send(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_send_request r;
    sp_session* s;
    int rc, k = 0;
    svc->async_op = true;
    sp_decode_send(req, &r, err, err_sz);
    if ((rc = sp_door_session(svc, req, &r.door, r.session, &s, err, err_sz)) != SP_OK) return rc;
    if (s->frames) {
        /* Replies in completion order carry no frames yet (docs/PROTOCOL.md). */
        snprintf(err, err_sz,
                 "send/recv do not carry pixel observations: step this session with `step`");
        return SP_E_BAD_REQUEST;
    }
    if (!s->async && (rc = sp_async_attach(svc->async, svc->sessions, s, err, err_sz)) != SP_OK)
        return rc;
    int32_t* ids = sp_async_scratch(s->async)->ids;
    if (sp_door_first(&r.door, SP_SEND_AT_ENV_IDS)) return r.door.rc;
    if ((rc = read_env_ids(&r.env_ids, s, ids, &k, err, err_sz)) != SP_OK) return rc;
    if (r.door.rc != SP_OK) return r.door.rc; /* the last stage: the actions array */
    if ((rc = sp_read_actions(&r.actions, s, ids, k, err, err_sz)) != SP_OK ||
        (rc = check_ready(s, ids, k, err, err_sz)) != SP_OK)
        return rc;
    /* With batch_size, the reply is that of the recv that would follow (one message). */
    int batch = 0;
    if (r.batch_size && ((rc = sp_value_int(r.batch_size, "batch_size", false, 1, s->def.num_envs,
                                            &batch, err, err_sz)) != SP_OK ||
                         (rc = check_recv(s, batch, k, err, err_sz)) != SP_OK))
        return rc;
    sp_async_submit(s->async, ids, k);
    if (batch) return recv_batch(svc, req, s, batch, err, err_sz);
    sp_pack_ok(&svc->pk, req, 0);
    return SP_OK;
}

/* Gathers the k received envs' results into the scratch and packs the reply. */
static int pack_recv(sp_service* svc, sp_session* s, const sp_request* req, int k, char* err,
                     size_t err_sz) {
    sp_async_out* o = sp_async_scratch(s->async);
    int rc = sp_async_take(s->async, k, o->ids, err, err_sz);
    if (rc != SP_OK) return rc;
    size_t n = (size_t)s->obs_size;
    bool same_step = s->def.autoreset == SP_AUTORESET_SAME_STEP;
    int m = 0, r = 0;
    for (int j = 0; j < k; j++) {
        int i = o->ids[j];
        memcpy(o->obs + (size_t)j * n, s->obs + (size_t)i * n, n * sizeof(float));
        o->reward[j] = s->reward[i];
        o->terminated[j] = s->terminated[i];
        o->truncated[j] = s->truncated[i];
        o->hash[j] = s->hash[i];
        if (s->reset_now[i]) o->reset_index[r++] = i;
        if (!s->ended[i]) continue;
        o->final_index[m] = i;
        o->final_return[m] = s->final_return[i];
        o->final_length[m] = s->final_length[i];
        o->final_reason[m] = s->final_reason[i];
        o->final_seed[m] = s->final_seed[i];
        if (same_step)
            memcpy(o->final_obs + (size_t)m * n, s->final_obs + (size_t)i * n, n * sizeof(float));
        m++;
    }
    svc->steps += (uint64_t)k;
    msgpack_packer* pk = &svc->pk;
    /* A recorder that stopped is told as its env comes back, as a step tells it. */
    bool told = s->cfg && sp_session_cfg_record_new_of(s->cfg, o->ids, k) > 0;
    sp_pack_ok(pk, req, 5 + (m > 0) + (r > 0) + s->def.hashes + told);
    sp_pack_cstr(pk, "env_id");
    sp_pack_array1(pk, SP_DTYPE_INT32, (uint32_t)k, o->ids);
    uint32_t obs_shape[2] = {(uint32_t)k, (uint32_t)n};
    sp_pack_cstr(pk, "obs");
    sp_pack_array(pk, SP_DTYPE_FLOAT32, 2, obs_shape, o->obs);
    sp_pack_outcomes(pk, (uint32_t)k, o->reward, o->terminated, o->truncated);
    if (m > 0) {
        sp_final_columns f = {o->final_index,  o->final_return, o->final_length,
                              o->final_reason, o->final_seed,   same_step ? o->final_obs : NULL};
        sp_pack_cstr(pk, "final");
        sp_pack_final(pk, &f, m, (int)n, 0);
    }
    if (r > 0) {
        sp_pack_cstr(pk, "autoreset");
        sp_pack_array1(pk, SP_DTYPE_INT32, (uint32_t)r, o->reset_index);
    }
    if (s->def.hashes) {
        sp_pack_cstr(pk, "hash");
        sp_pack_array1(pk, SP_DTYPE_UINT64, (uint32_t)k, o->hash);
    }
    if (told) sp_session_cfg_pack_record_errors_of(s->cfg, pk, o->ids, k);
    return SP_OK;
}

int sp_op_recv(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_recv_request r;
    sp_session* s;
    int rc, batch = 0;
    svc->async_op = true;
    sp_decode_recv(req, &r, err, err_sz);
    if ((rc = sp_door_session(svc, req, &r.door, r.session, &s, err, err_sz)) != SP_OK ||
        (rc = sp_value_int(r.batch_size, "batch_size", false, 1, s->def.num_envs, &batch, err,
                           err_sz)) != SP_OK)
        return rc;
    if (batch == 0) batch = sp_async_pending(s->async); /* absent: every env in flight */
    if ((rc = check_recv(s, batch, 0, err, err_sz)) != SP_OK) return rc;
    return recv_batch(svc, req, s, batch, err, err_sz);
}

int sp_async_answer(sp_service* svc, uint64_t session, bool has_id, uint64_t id, bool* answered,
                    char* err, size_t err_sz) {
    sp_request req = {.has_id = has_id, .id = id};
    sp_session* s = sp_sessions_find(svc->sessions, session);
    *answered = true;
    if (!s || !s->async) {
        snprintf(err, err_sz, "session %llu was closed while a recv waited",
                 (unsigned long long)session);
        return SP_E_UNKNOWN_SESSION;
    }
    int batch = sp_async_waiting(s->async);
    if (sp_async_ready(s->async) < batch) {
        *answered = false;
        return SP_OK;
    }
    sp_async_set_waiting(s->async, 0);
    return pack_recv(svc, s, &req, batch, err, err_sz);
}
