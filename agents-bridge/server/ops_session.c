/* make, reset and close: a session's life. */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "catalogue.h"
#include "log.h"
#include "ops.h"
#include "sandpit/envs.h"

/* ---- make ---- */

static const char* const make_keys[] = {"env",       "num_envs", "seed",   "max_steps",
                                        "autoreset", "hashes",   NULL};

static int find_env(const sp_request* req, const sp_env_class** out, char* err, size_t err_sz) {
    const sp_mp_value* id = NULL;
    int rc = sp_field_str(req, "env", true, &id, err, err_sz);
    if (rc != SP_OK) return rc;
    char name[96];
    if (id->len < sizeof name) {
        memcpy(name, id->ptr, id->len);
        name[id->len] = '\0';
        /* An id with a NUL inside would match a prefix; it is no env's id. */
        if (strlen(name) == id->len && (*out = sp_env_find(name))) return SP_OK;
    }
    char q[64], ids[256];
    sp_quote(q, sizeof q, id->ptr, id->len);
    sp_env_list_ids(ids, sizeof ids);
    snprintf(err, err_sz, "unknown env '%s' (envs: %s)", q, ids);
    return SP_E_UNKNOWN_ENV;
}

static int read_make(const sp_request* req, sp_session_def* d, char* err, size_t err_sz) {
    int rc;
    const sp_mp_value* autoreset = NULL;
    d->num_envs = 1;
    d->seed = 0;
    d->max_steps = 0;
    d->autoreset = true;
    d->hashes = false;
    if ((rc = sp_request_only(req, make_keys, err, err_sz)) != SP_OK ||
        (rc = find_env(req, &d->env, err, err_sz)) != SP_OK ||
        (rc = sp_field_int(req, "num_envs", false, 1, INT_MAX, &d->num_envs, err, err_sz)) ||
        (rc = sp_field_u64(req, "seed", false, 0, UINT64_MAX, &d->seed, err, err_sz)) ||
        (rc = sp_field_int(req, "max_steps", false, 0, INT_MAX, &d->max_steps, err, err_sz)) ||
        (rc = sp_field_str(req, "autoreset", false, &autoreset, err, err_sz)) ||
        (rc = sp_field_bool(req, "hashes", &d->hashes, err, err_sz)))
        return rc;
    if (d->seed > UINT64_MAX - (uint64_t)(d->num_envs - 1)) {
        snprintf(err, err_sz, "field 'seed' + num_envs - 1 must fit in 64 bits (env i is "
                              "seeded seed + i)");
        return SP_E_BAD_REQUEST;
    }
    if (autoreset) {
        if (sp_mp_str_eq(autoreset, "next_step")) {
            d->autoreset = true;
        } else if (sp_mp_str_eq(autoreset, "disabled")) {
            d->autoreset = false;
        } else {
            char q[48];
            sp_quote(q, sizeof q, autoreset->ptr, autoreset->len);
            snprintf(err, err_sz, "field 'autoreset' must be \"next_step\" or \"disabled\", "
                                  "got '%s'", q);
            return SP_E_BAD_REQUEST;
        }
    }
    return SP_OK;
}

int sp_op_make(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_session_def d;
    int rc = read_make(req, &d, err, err_sz);
    if (rc != SP_OK) return rc;
    sp_session* s;
    if ((rc = sp_sessions_open(svc->sessions, &d, svc->now, &s, err, err_sz)) != SP_OK) return rc;
    SP_LOG(svc->def.log_level, SP_LOG_INFO, "session %llu: made %d x %s",
           (unsigned long long)s->id, d.num_envs, d.env->spec->id);
    msgpack_packer* pk = &svc->pk;
    sp_pack_ok(pk, req, 3);
    sp_pack_cstr(pk, "session");
    msgpack_pack_uint64(pk, s->id);
    sp_pack_cstr(pk, "num_envs");
    msgpack_pack_int(pk, d.num_envs);
    sp_pack_cstr(pk, "spec");
    sp_pack_spec(pk, d.env->spec);
    return SP_OK;
}

/* ---- reset ---- */

static const char* const reset_keys[] = {"session", "seed", NULL};

/* Reads "seed" into s->seeds, with s->seed_given[i] = 1 where env i is given one. */
static int read_seeds(const sp_request* req, sp_session* s, char* err, size_t err_sz) {
    int n = s->def.num_envs;
    memset(s->seed_given, 0, (size_t)n);
    const sp_mp_value* v = sp_request_get(req, "seed");
    if (!v || v->type == SP_MP_NIL) return SP_OK;
    uint64_t seed;
    if (sp_mp_as_u64(v, &seed)) {
        if (seed > UINT64_MAX - (uint64_t)(n - 1)) {
            snprintf(err, err_sz, "field 'seed' + num_envs - 1 must fit in 64 bits (env i is "
                                  "reseeded seed + i)");
            return SP_E_BAD_REQUEST;
        }
        for (int i = 0; i < n; i++) {
            s->seeds[i] = seed + (uint64_t)i;
            s->seed_given[i] = 1;
        }
        return SP_OK;
    }
    if (v->type != SP_MP_ARRAY || v->len != (uint32_t)n) {
        snprintf(err, err_sz,
                 "field 'seed' must be nil, an integer >= 0, or an array of %d entries each an "
                 "integer >= 0 or nil; got %s%s",
                 n, v->type == SP_MP_INT ? "a negative integer" : sp_mp_type_name(v),
                 v->type == SP_MP_ARRAY ? " of another length" : "");
        return SP_E_BAD_REQUEST;
    }
    sp_mp_reader r = {v->ptr, req->end};
    for (int i = 0; i < n; i++) {
        sp_mp_value e;
        if (sp_mp_read_whole(&r, &e) != SP_MP_OK) return SP_E_BAD_REQUEST;
        if (e.type == SP_MP_NIL) continue;
        if (!sp_mp_as_u64(&e, &s->seeds[i])) {
            snprintf(err, err_sz, "field 'seed'[%d] must be an integer >= 0 or nil, got %s", i,
                     e.type == SP_MP_INT ? "a negative integer" : sp_mp_type_name(&e));
            return SP_E_BAD_REQUEST;
        }
        s->seed_given[i] = 1;
    }
    return SP_OK;
}

typedef struct reset_job {
    sp_service* svc;
    sp_session* s;
} reset_job;

static void reset_range(void* ctx, int begin, int end, int chunk) {
    reset_job* job = ctx;
    sp_session* s = job->s;
    int n = s->obs_size;
    for (int i = begin; i < end; i++) {
        sp_episode* ep = s->eps[i];
        int rc = sp_episode_reset(ep, s->seed_given[i] ? &s->seeds[i] : NULL);
        if (rc != SP_OK) {
            sp_chunk_error* e = &job->svc->chunk_errors[chunk];
            e->index = i;
            e->code = rc;
            snprintf(e->message, sizeof e->message, "env %d: reset failed: %s", i,
                     sp_error_name(rc));
            return;
        }
        memcpy(s->obs + (size_t)i * (size_t)n, sp_episode_obs(ep), (size_t)n * sizeof(float));
        s->seeds[i] = sp_episode_seed(ep);
        if (s->def.hashes) s->hash[i] = sp_episode_hash(ep);
    }
}

int sp_op_reset(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_session* s;
    int rc;
    if ((rc = sp_request_only(req, reset_keys, err, err_sz)) != SP_OK ||
        (rc = sp_service_session(svc, req, &s, err, err_sz)) != SP_OK ||
        (rc = read_seeds(req, s, err, err_sz)) != SP_OK)
        return rc;
    int n = s->def.num_envs;
    int chunks = sp_service_chunks(svc, n);
    reset_job job = {svc, s};
    sp_service_clear_chunk_errors(svc, chunks);
    sp_pool_run(svc->pool, n, chunks, reset_range, &job);
    const sp_chunk_error* e = sp_service_first_chunk_error(svc, chunks);
    if (e) {
        /* Some envs were reset and some not: stepping waits for a reset that succeeds. */
        s->started = false;
        snprintf(err, err_sz, "%s", e->message);
        return sp_wire_code(e->code);
    }
    s->started = true;

    msgpack_packer* pk = &svc->pk;
    uint32_t shape[2] = {(uint32_t)n, (uint32_t)s->obs_size};
    sp_pack_ok(pk, req, s->def.hashes ? 3 : 2);
    sp_pack_cstr(pk, "obs");
    sp_pack_array(pk, SP_DTYPE_FLOAT32, 2, shape, s->obs);
    sp_pack_cstr(pk, "seeds");
    sp_pack_array1(pk, SP_DTYPE_UINT64, (uint32_t)n, s->seeds);
    if (s->def.hashes) {
        sp_pack_cstr(pk, "hash");
        sp_pack_array1(pk, SP_DTYPE_UINT64, (uint32_t)n, s->hash);
    }
    return SP_OK;
}

/* ---- close ---- */

static const char* const close_keys[] = {"session", NULL};

int sp_op_close(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_session* s;
    int rc;
    if ((rc = sp_request_only(req, close_keys, err, err_sz)) != SP_OK ||
        (rc = sp_service_session(svc, req, &s, err, err_sz)) != SP_OK)
        return rc;
    SP_LOG(svc->def.log_level, SP_LOG_INFO, "session %llu: closed", (unsigned long long)s->id);
    sp_sessions_close(svc->sessions, s);
    sp_pack_ok(&svc->pk, req, 0);
    return SP_OK;
}
