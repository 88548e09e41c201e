/* step: all N envs of a session in one request.
 *
 * The order matters: every action is decoded and checked before any env moves, so a bad one
 * refuses the whole request and leaves the session as it was. Then each env is stepped (or,
 * with autoreset "next_step", reset if its episode ended at the previous step; with
 * "same_step", stepped and, if that ends its episode, reset at once), in ranges on the pool's
 * threads; each range writes only its own envs' slots of the session's buffers, so
 * the reply is the same bytes whatever the number of threads. Nothing here allocates. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expire.h"
#include "layers.h"
#include "ops.h"
#include "transport.h"

/* Whether the door's "active" is uint8 [N], a flag per env (absent: every env steps). A
 * session's rebuild steps each env only from its current episode's start (docs/PROTOCOL.md). */
static int active_fits(const sp_step_request* r, const sp_session* s, char* err, size_t err_sz) {
    int n = s->def.num_envs;
    const sp_array_view* a = &r->active;
    if (a->dtype != SP_DTYPE_UINT8 || a->ndim != 1 || a->shape[0] != (uint64_t)n) {
        snprintf(err, err_sz, "field 'active' must be uint8 [%d]", n);
        return SP_E_BAD_REQUEST;
    }
    return SP_OK;
}

/* Exactly-once steps. A step that carries "seq" (per session, increasing) has its reply's
 * body kept in the session; a resend of the same seq is answered from that copy without
 * stepping, and an earlier seq is refused. Requests without seq pay nothing.
 *
 * "Later" is serial-number arithmetic modulo 2^64 (RFC 1982): seq is later than the last one
 * when it is 1 to 2^63-1 ahead, so a counter that reaches 2^64-1 goes on at 0 instead of
 * making every later step stale. */
static bool seq_is_later(uint64_t seq, uint64_t last) {
    uint64_t ahead = seq - last; /* unsigned: wraps by definition */
    return ahead != 0 && ahead < (UINT64_C(1) << 63);
}

static int check_seq(uint64_t seq, const sp_session* s, bool* duplicate, char* err, size_t err_sz) {
    *duplicate = false;
    if (!s->has_seq || seq_is_later(seq, s->last_seq)) return SP_OK;
    if (seq != s->last_seq) {
        snprintf(err, err_sz, "stale seq %llu: session %llu has already stepped seq %llu",
                 (unsigned long long)seq, (unsigned long long)s->id,
                 (unsigned long long)s->last_seq);
        return SP_E_BAD_REQUEST;
    }
    if (s->seq_reply_len == SIZE_MAX) {
        snprintf(err, err_sz, "the reply to seq %llu could not be kept (out of memory or bound)",
                 (unsigned long long)seq);
        return SP_E_NO_MEMORY;
    }
    *duplicate = true;
    return SP_OK;
}

/* The kept reply, under this request's id. */
static int answer_duplicate(sp_service* svc, const sp_request* req, const sp_session* s) {
    sp_pack_ok(&svc->pk, req, s->seq_keys);
    msgpack_pack_bin_body(&svc->pk, s->seq_reply, s->seq_reply_len);
    svc->duplicates++;
    return SP_OK;
}

/* Keeps the reply's body (from `head` on) as the copy for `seq`; the buffer only grows. */
static void keep_reply(sp_service* svc, sp_session* s, uint64_t seq, size_t head, uint32_t keys) {
    s->has_seq = true;
    s->last_seq = seq;
    s->seq_keys = keys;
    size_t len = svc->reply.size - head;
    /* Past the bound counted in the session's cost (never, for replies this server packs):
     * not kept, so a resend is refused rather than stepped twice. */
    /* Frames: every env's, and as many ended episodes' last ones (same_step). */
    size_t frames = 2 * (size_t)s->def.num_envs * sp_pixels_frame_bytes(&s->def.pixels);
    if (svc->pack_failed || len > sp_session_reply_bound(s->def.num_envs, s->obs_size) + frames) {
        s->seq_reply_len = SIZE_MAX;
        return;
    }
    if (len > s->seq_reply_cap) {
        uint8_t* p = realloc(s->seq_reply, len);
        if (!p) {
            s->seq_reply_len = SIZE_MAX; /* a resend is refused rather than stepped twice */
            return;
        }
        s->seq_reply = p;
        s->seq_reply_cap = len;
    }
    memcpy(s->seq_reply, svc->reply.data + head, len);
    s->seq_reply_len = len;
}

int sp_wire_code(int rc) {
    switch (rc) {
    case SP_E_NO_MEMORY:
    case SP_E_BAD_ACTION:
    case SP_E_NEEDS_RESET:
        return rc;
    default:
        return SP_E_INTERNAL;
    }
}

static void describe_shape(const sp_array_view* a, char* buf, size_t sz) {
    size_t used = (size_t)snprintf(buf, sz, "%s [", sp_dtype_name(a->dtype));
    for (int d = 0; d < a->ndim && used < sz; d++)
        used += (size_t)snprintf(buf + used, sz - used, d ? ", %llu" : "%llu",
                                 (unsigned long long)a->shape[d]);
    if (used < sz) snprintf(buf + used, sz - used, "]");
}

/* With guardrails the layers see continuous values as sent, NaN included: the guard decides.
 * What it would refuse (sp_guard_precheck) is refused here, before any env of the batch moves.
 * A one-env session leaves it all to the guard itself. */
static int guard_precheck(const sp_session* s, int i, const sp_action* act, char* err,
                          size_t err_sz) {
    if (s->def.num_envs == 1) return SP_OK;
    const sp_episode_config* c = s->cfg->overridden[i] ? s->cfg->over : s->cfg->make;
    char why[SP_ERR_MAX];
    int rc =
        sp_guard_precheck(c->has_guard ? &c->guard : NULL, s->def.env->spec, act, why, sizeof why);
    if (rc != SP_OK) snprintf(err, err_sz, "env %d: %s", i, why);
    return rc;
}

int sp_read_actions(const sp_array_view* actions, sp_session* s, const int32_t* envs, int count,
                    char* err, size_t err_sz) {
    const sp_env_spec* spec = s->def.env->spec;
    int n = envs ? count : s->def.num_envs;
    const sp_array_view a = *actions;
    int rc;

    bool discrete = spec->action_kind == SP_ACTION_DISCRETE;
    int k = discrete ? 1 : spec->actuator_count;
    bool fits = discrete ? (a.dtype == SP_DTYPE_INT32 && a.ndim == 1 && a.shape[0] == (uint64_t)n)
                         : (a.dtype == SP_DTYPE_FLOAT32 && a.ndim == 2 &&
                            a.shape[0] == (uint64_t)n && a.shape[1] == (uint64_t)k);
    if (!fits) {
        char got[96];
        describe_shape(&a, got, sizeof got);
        if (discrete)
            snprintf(err, err_sz, "actions must be int32 [%d] for %s (discrete), got %s", n,
                     spec->id, got);
        else
            snprintf(err, err_sz, "actions must be float32 [%d, %d] for %s (continuous), got %s", n,
                     k, spec->id, got);
        return SP_E_BAD_ACTION;
    }
    /* The bin is unaligned inside the message, hence memcpy; host order is little-endian
     * (checked in codec.h). */
    size_t stride = (size_t)k * 4;
    for (int j = 0; j < n; j++) {
        int i = envs ? envs[j] : j; /* row j is env i's action */
        sp_action* act = &s->actions[i];
        if (discrete)
            memcpy(&act->index, a.data + (size_t)j * stride, 4);
        else
            memcpy(act->value, a.data + (size_t)j * stride, stride);
        /* Checked on a copy: the episode's layers must see the values as sent (a guardrail
         * may have its own bounds policy), and the runtime clips after them. */
        sp_action checked = *act;
        char why[256];
        if (!discrete && s->cfg && s->cfg->has_guard) {
            if ((rc = guard_precheck(s, i, act, err, err_sz)) != SP_OK) return rc;
            continue;
        }
        if (sp_action_check(spec, &checked, why, sizeof why) != SP_OK) {
            snprintf(err, err_sz, "env %d: %s", i, why);
            return SP_E_BAD_ACTION;
        }
    }
    return SP_OK;
}

static int check_ready(const sp_session* s, bool masked, char* err, size_t err_sz) {
    if (!s->started) {
        snprintf(err, err_sz, "step before the first reset: send reset first");
        return SP_E_NEEDS_RESET;
    }
    if (s->def.autoreset != SP_AUTORESET_DISABLED) return SP_OK;
    for (int i = 0; i < s->def.num_envs; i++) {
        if (masked && !s->active[i]) continue;
        /* An episode the server ended while the agent was quiet is reported first. */
        if (sp_episode_done(s->eps[i]) && !(s->cfg && s->cfg->expired[i])) {
            snprintf(err, err_sz,
                     "env %d's episode has ended and autoreset is disabled: reset "
                     "the session first",
                     i);
            return SP_E_NEEDS_RESET;
        }
    }
    return SP_OK;
}

typedef struct step_job {
    sp_service* svc;
    sp_session* s;
    bool masked; /* s->active says which envs step */
} step_job;

/* Starts env i's next episode inside a step (autoreset), under the make-time config when a
 * reset's options ran the last one. */
static int autoreset_env(sp_session* s, int i, sp_chunk_error* e) {
    sp_session_cfg* cfg = s->cfg;
    sp_episode* ep = s->eps[i];
    int rc = SP_OK;
    if (cfg && cfg->overridden[i]) {
        rc = sp_episode_layers_set(&cfg->layers[i], cfg->make, cfg->make_canon,
                                   cfg->make_canon_size, e->message, sizeof e->message);
        cfg->overridden[i] = 0;
    }
    if (rc == SP_OK) rc = sp_episode_reset(ep, NULL);
    if (rc != SP_OK) {
        snprintf(e->message, sizeof e->message, "env %d: autoreset failed: %s", i,
                 sp_error_name(rc));
        return rc;
    }
    if (s->def.resume) { /* what a client's resume log restarts this episode from */
        s->seeds[i] = sp_episode_seed(ep);
        memcpy(&s->streams[4 * (size_t)i], sp_episode_seed_stream(ep).s, 4 * sizeof *s->streams);
    }
    s->reset_now[i] = 1;
    if (s->def.hashes) s->hash[i] = sp_episode_hash(ep);
    return SP_OK;
}

/* Steps envs [begin, end) of `s` into their slots of the session's buffers; stops at the
 * first failure, noted in `e`. */
static void step_envs(sp_session* s, bool masked, int begin, int end, sp_chunk_error* e) {
    size_t n = (size_t)s->obs_size;
    bool hashes = s->def.hashes;
    sp_session_cfg* cfg = s->cfg;
    for (int i = begin; i < end; i++) {
        sp_episode* ep = s->eps[i];
        int rc;
        if (masked && !s->active[i]) {
            /* Left as it is: its last observation, nothing to report. */
            s->reset_now[i] = s->ended[i] = s->terminated[i] = s->truncated[i] = 0;
            s->reward[i] = 0.0;
            if (hashes) s->hash[i] = sp_episode_hash(ep);
            memcpy(s->obs + (size_t)i * n, sp_episode_obs(ep), n * sizeof(float));
            if (cfg) sp_session_cfg_idle(cfg, i, ep);
            continue;
        }
        bool expired = cfg && cfg->expired[i];
        if (s->def.autoreset == SP_AUTORESET_NEXT_STEP && sp_episode_done(ep) && !expired) {
            /* Gymnasium's next_step autoreset: this step starts the next episode instead. */
            rc = autoreset_env(s, i, e);
            if (rc == SP_OK) {
                s->ended[i] = 0;
                s->reward[i] = 0.0;
                s->terminated[i] = 0;
                s->truncated[i] = 0;
            }
        } else {
            sp_step_result r;
            if (expired) {
                /* Its wall clock ended it between requests (expire.h): this step reports that
                 * step, and the action sent for it is not applied. */
                r = cfg->expiry[i];
                cfg->expired[i] = 0;
                rc = SP_OK;
            } else {
                rc = sp_episode_step(ep, &s->actions[i], &r, e->message, sizeof e->message);
            }
            if (rc == SP_OK) {
                s->reset_now[i] = 0;
                s->ended[i] = r.terminated || r.truncated;
                s->reward[i] = r.reward;
                s->terminated[i] = r.terminated;
                s->truncated[i] = r.truncated;
                if (hashes) s->hash[i] = r.hash;
                if (s->ended[i]) {
                    s->final_return[i] = r.episode_return;
                    s->final_length[i] = r.step;
                    s->final_reason[i] =
                        r.reason ? r.reason : (r.terminated ? "terminated" : "truncated");
                    s->final_seed[i] = sp_episode_seed(ep);
                }
                if (s->ended[i] && s->def.autoreset == SP_AUTORESET_SAME_STEP) {
                    /* Gymnasium's same_step autoreset: the last observation goes in `final`,
                     * the step's reward, flags and cost stay, the next episode starts now. */
                    memcpy(s->final_obs + (size_t)i * n, sp_episode_obs(ep), n * sizeof(float));
                    if (s->frames) sp_pixels_keep_final(s, i);
                    double cost = 0.0;
                    if (cfg) {
                        sp_session_cfg_collect(cfg, i, ep, true);
                        cost = cfg->cost[i];
                    }
                    rc = autoreset_env(s, i, e);
                    if (rc == SP_OK && cfg) {
                        sp_session_cfg_collect(cfg, i, ep, false);
                        cfg->cost[i] = cost;
                    }
                    if (rc == SP_OK) {
                        memcpy(s->obs + (size_t)i * n, sp_episode_obs(ep), n * sizeof(float));
                        continue;
                    }
                }
            }
        }
        if (rc != SP_OK) {
            /* Stop this range at its first failure: its message is the one reported. */
            e->index = i;
            e->code = rc;
            return;
        }
        memcpy(s->obs + (size_t)i * n, sp_episode_obs(ep), n * sizeof(float));
        if (cfg) sp_session_cfg_collect(cfg, i, ep, !s->reset_now[i]);
    }
}

static void step_range(void* ctx, int begin, int end, int chunk) {
    step_job* job = ctx;
    step_envs(job->s, job->masked, begin, end, &job->svc->chunk_errors[chunk]);
}

int sp_step_env(sp_session* s, int env, char* err, size_t err_sz) {
    sp_chunk_error e = {.index = -1, .code = SP_OK};
    step_envs(s, false, env, env + 1, &e);
    if (e.index < 0) return SP_OK;
    snprintf(err, err_sz, "%s", e.message);
    return sp_wire_code(e.code);
}

/* Gathers the ended episodes to the front of the final_* buffers, in index order, and the
 * autoreset indices into reset_index. Writes at j <= i, so in place is safe. */
static void gather(sp_session* s, int* ended_count, int* reset_count) {
    int m = 0, r = 0;
    for (int i = 0; i < s->def.num_envs; i++) {
        if (s->reset_now[i]) {
            if (s->def.resume) { /* the new episodes' seeds and streams, compacted alike */
                s->seeds[r] = s->seeds[i];
                memmove(&s->streams[4 * (size_t)r], &s->streams[4 * (size_t)i],
                        4 * sizeof *s->streams);
            }
            s->reset_index[r++] = i;
        }
        if (!s->ended[i]) continue;
        s->final_index[m] = i;
        s->final_return[m] = s->final_return[i];
        s->final_length[m] = s->final_length[i];
        s->final_reason[m] = s->final_reason[i];
        s->final_seed[m] = s->final_seed[i];
        if (s->def.autoreset == SP_AUTORESET_SAME_STEP && m < i) {
            size_t k = (size_t)s->obs_size;
            memcpy(s->final_obs + (size_t)m * k, s->final_obs + (size_t)i * k, k * sizeof(float));
            if (s->frames) sp_pixels_move_final(s, m, i);
        }
        m++;
    }
    *ended_count = m;
    *reset_count = r;
}

void sp_pack_outcomes(msgpack_packer* pk, uint32_t k, const double* reward,
                      const uint8_t* terminated, const uint8_t* truncated) {
    sp_pack_cstr(pk, "reward");
    sp_pack_array1(pk, SP_DTYPE_FLOAT64, k, reward);
    sp_pack_cstr(pk, "terminated");
    sp_pack_array1(pk, SP_DTYPE_UINT8, k, terminated);
    sp_pack_cstr(pk, "truncated");
    sp_pack_array1(pk, SP_DTYPE_UINT8, k, truncated);
}

void sp_pack_final(msgpack_packer* pk, const sp_final_columns* f, int m, int obs_size,
                   uint32_t extra_keys) {
    msgpack_pack_map(pk, 5 + (f->obs != NULL) + extra_keys);
    sp_pack_cstr(pk, "index");
    sp_pack_array1(pk, SP_DTYPE_INT32, (uint32_t)m, f->index);
    sp_pack_cstr(pk, "return");
    sp_pack_array1(pk, SP_DTYPE_FLOAT64, (uint32_t)m, f->returns);
    sp_pack_cstr(pk, "length");
    sp_pack_array1(pk, SP_DTYPE_INT32, (uint32_t)m, f->length);
    sp_pack_cstr(pk, "reason");
    msgpack_pack_array(pk, (size_t)m);
    for (int j = 0; j < m; j++)
        sp_pack_cstr(pk, f->reason[j]);
    sp_pack_cstr(pk, "seed");
    sp_pack_array1(pk, SP_DTYPE_UINT64, (uint32_t)m, f->seed);
    if (f->obs) {
        uint32_t shape[2] = {(uint32_t)m, (uint32_t)obs_size};
        sp_pack_cstr(pk, "obs");
        sp_pack_array(pk, SP_DTYPE_FLOAT32, 2, shape, f->obs);
    }
}

static void pack_final(msgpack_packer* pk, const sp_session* s, int m) {
    bool same_step = s->def.autoreset == SP_AUTORESET_SAME_STEP;
    bool pixels = same_step && s->frames;
    sp_final_columns f = {s->final_index,  s->final_return, s->final_length,
                          s->final_reason, s->final_seed,   same_step ? s->final_obs : NULL};
    sp_pack_final(pk, &f, m, s->obs_size, pixels);
    if (pixels) sp_pixels_pack_final(pk, s, m);
}

int sp_op_step(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_step_request rq;
    sp_session* s;
    int rc;
    bool duplicate = false;
    sp_decode_step(req, &rq, err, err_sz);
    if ((rc = sp_door_session(svc, req, &rq.door, rq.session, &s, err, err_sz)) != SP_OK) return rc;
    if (sp_door_first(&rq.door, SP_STEP_AT_SEQ)) return rq.door.rc;
    if (rq.has_seq && (rc = check_seq(rq.seq, s, &duplicate, err, err_sz)) != SP_OK) return rc;
    if (rq.has_seq && duplicate) return answer_duplicate(svc, req, s);
    if (sp_door_first(&rq.door, SP_STEP_AT_ACTIONS)) return rq.door.rc;
    if ((rc = sp_read_actions(&rq.actions, s, NULL, 0, err, err_sz)) != SP_OK) return rc;
    if (sp_door_first(&rq.door, SP_STEP_AT_ACTIVE)) return rq.door.rc;
    if (rq.has_active && (rc = active_fits(&rq, s, err, err_sz)) != SP_OK) return rc;
    if (rq.door.rc != SP_OK) return rq.door.rc; /* the last stage: active's values */
    bool masked = rq.has_active;
    if (masked) memcpy(s->active, rq.active.data, (size_t)s->def.num_envs);
    if ((rc = check_ready(s, masked, err, err_sz)) != SP_OK) return rc;

    int n = s->def.num_envs;
    int chunks = sp_service_chunks(svc, n);
    step_job job = {svc, s, masked};
    sp_service_clear_chunk_errors(svc, chunks);
    sp_pool_run(svc->pool, n, chunks, step_range, &job);
    const sp_chunk_error* e = sp_service_first_chunk_error(svc, chunks);
    if (e) {
        snprintf(err, err_sz, "%s", e->message);
        return sp_wire_code(e->code);
    }
    int stepped = n;
    for (int i = 0; masked && i < n; i++)
        stepped -= !s->active[i];
    svc->steps += (uint64_t)stepped;

    int m, r;
    gather(s, &m, &r);
    msgpack_packer* pk = &svc->pk;
    uint32_t obs_shape[2] = {(uint32_t)n, (uint32_t)s->obs_size};
    sp_session_cfg* cfg = s->cfg;
    if (cfg && cfg->overridden_count > 0) {
        cfg->overridden_count = 0; /* autoresets restored some envs to the make-time config */
        for (int i = 0; i < n; i++)
            cfg->overridden_count += cfg->overridden[i];
    }
    uint32_t extra = cfg ? sp_session_cfg_reply_keys(cfg, true) : 0;
    bool streams = s->def.resume && r > 0;
    bool pixels = s->frames != NULL;
    uint32_t keys = 4 + (m > 0) + (r > 0) + 2 * streams + s->def.hashes + pixels + extra;
    sp_pack_ok(pk, req, keys);
    size_t head = svc->reply.size;
    sp_pack_cstr(pk, "obs");
    sp_pack_array(pk, SP_DTYPE_FLOAT32, 2, obs_shape, s->obs);
    if (pixels) sp_pixels_pack(pk, s);
    sp_pack_outcomes(pk, (uint32_t)n, s->reward, s->terminated, s->truncated);
    if (m > 0) {
        sp_pack_cstr(pk, "final");
        pack_final(pk, s, m);
    }
    if (r > 0) {
        sp_pack_cstr(pk, "autoreset");
        sp_pack_array1(pk, SP_DTYPE_INT32, (uint32_t)r, s->reset_index);
    }
    if (streams) {
        uint32_t stream_shape[2] = {(uint32_t)r, 4};
        sp_pack_cstr(pk, "autoreset_seed");
        sp_pack_array1(pk, SP_DTYPE_UINT64, (uint32_t)r, s->seeds);
        sp_pack_cstr(pk, "autoreset_stream");
        sp_pack_array(pk, SP_DTYPE_UINT64, 2, stream_shape, s->streams);
    }
    if (s->def.hashes) {
        sp_pack_cstr(pk, "hash");
        sp_pack_array1(pk, SP_DTYPE_UINT64, (uint32_t)n, s->hash);
    }
    if (extra) sp_session_cfg_pack(cfg, pk, s->eps, true);
    sp_service_note_episodes(svc, s);
    if (rq.has_seq) keep_reply(svc, s, rq.seq, head, keys);
    if (s->transport) sp_transport_apply(svc, s);
    return SP_OK;
}
