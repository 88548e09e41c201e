/* make, reset and close: a session's life. */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "catalogue.h"
#include "expire.h"
#include "layers.h"
#include "record_path.h"
#include "transport.h"
#include "log.h"
#include "ops.h"
#include "sandpit/envs.h"
#include "sandpit/error.h"
#include "sandpit/scene.h"

/* ---- make ---- */

static const char* const make_keys[] = {
    "env",    "num_envs", "seed",   "max_steps", "autoreset", "hashes",      "guardrails",
    "faults", "info",     "record", "scene",     "resume",    "observation", NULL};

/* An inline scene (docs/SCENES.md): its JSON text, decoded under the scene limits. Untrusted:
 * every error names its path and the server keeps serving. */
static int read_scene(const sp_request* req, const sp_mp_value* text, sp_session_def* d,
                      sp_scene** out, char* err, size_t err_sz) {
    if (sp_request_get(req, "env")) {
        snprintf(err, err_sz, "make takes 'env' or 'scene', not both");
        return SP_E_BAD_REQUEST;
    }
    if (text->type != SP_MP_STR) {
        snprintf(err, err_sz, "field 'scene' must be a str of JSON text (docs/SCENES.md), got %s",
                 sp_mp_type_name(text));
        return SP_E_BAD_REQUEST;
    }
    sp_scene_limits lim = sp_default_scene_limits();
    char why[384];
    if (!(*out = sp_scene_load((const char*)text->ptr, text->len, &lim, why, sizeof why))) {
        snprintf(err, err_sz, "scene: %s", why);
        return SP_E_BAD_SCENE;
    }
    d->env = sp_scene_env(*out);
    d->extra_bytes = sp_scene_memory(*out);
    return SP_OK;
}

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

static int read_make(const sp_request* req, sp_session_def* d, sp_scene** scene, char* err,
                     size_t err_sz) {
    int rc;
    const sp_mp_value* autoreset = NULL;
    const sp_mp_value* text = sp_request_get(req, "scene");
    *scene = NULL;
    d->extra_bytes = 0;
    d->num_envs = 1;
    d->seed = 0;
    d->max_steps = 0;
    d->autoreset = SP_AUTORESET_NEXT_STEP;
    d->hashes = false;
    d->resume = false;
    if ((rc = sp_request_only(req, make_keys, err, err_sz)) != SP_OK ||
        (rc = text ? read_scene(req, text, d, scene, err, err_sz)
                   : find_env(req, &d->env, err, err_sz)) != SP_OK ||
        (rc = sp_field_int(req, "num_envs", false, 1, INT_MAX, &d->num_envs, err, err_sz)) ||
        (rc = sp_field_u64(req, "seed", false, 0, UINT64_MAX, &d->seed, err, err_sz)) ||
        (rc = sp_field_int(req, "max_steps", false, 0, INT_MAX, &d->max_steps, err, err_sz)) ||
        (rc = sp_field_str(req, "autoreset", false, &autoreset, err, err_sz)) ||
        (rc = sp_field_bool(req, "hashes", &d->hashes, err, err_sz)) ||
        (rc = sp_field_bool(req, "resume", &d->resume, err, err_sz)) ||
        (rc = sp_pixels_read(req, &d->pixels, err, err_sz)))
        return rc;
    /* Each episode of a scene, inline or from the catalogue, holds its bodies beyond what
     * SP_ENV_COST_BYTES covers. */
    const sp_scene* sc = *scene ? *scene : sp_scene_of_env(d->env);
    if (sc) d->extra_bytes += (size_t)d->num_envs * sp_scene_episode_memory(sc);
    if (d->seed > UINT64_MAX - (uint64_t)(d->num_envs - 1)) {
        snprintf(err, err_sz,
                 "field 'seed' + num_envs - 1 must fit in 64 bits (env i is "
                 "seeded seed + i)");
        return SP_E_BAD_REQUEST;
    }
    if (autoreset) {
        if (sp_mp_str_eq(autoreset, "next_step")) {
            d->autoreset = SP_AUTORESET_NEXT_STEP;
        } else if (sp_mp_str_eq(autoreset, "same_step")) {
            d->autoreset = SP_AUTORESET_SAME_STEP;
        } else if (sp_mp_str_eq(autoreset, "disabled")) {
            d->autoreset = SP_AUTORESET_DISABLED;
        } else {
            char q[48];
            sp_quote(q, sizeof q, autoreset->ptr, autoreset->len);
            snprintf(err, err_sz,
                     "field 'autoreset' must be \"next_step\", \"same_step\" or \"disabled\", "
                     "got '%s'",
                     q);
            return SP_E_BAD_REQUEST;
        }
    }
    return SP_OK;
}

/* ---- the episode config: guardrails, faults, info, record ---- */

/* The whole msgpack bytes of field `key`, or false when absent or nil. */
static bool field_raw(const sp_request* req, const char* key, const uint8_t** raw, size_t* len) {
    for (int f = 0; f < req->field_count; f++) {
        const sp_field* fl = &req->fields[f];
        if (!sp_mp_str_eq(&fl->key, key) || fl->value.type == SP_MP_NIL) continue;
        *raw = fl->raw;
        *len = fl->raw_len;
        return true;
    }
    return false;
}

/* A `rate: reject` refusal happens inside an env's step, after other envs of the batch moved:
 * only a one-env session can refuse atomically. (`bounds` and `nonfinite` rejects are checked
 * before any env moves; see ops_step.c.) */
static int check_batchable(const sp_episode_config* c, const sp_env_spec* spec, int num_envs,
                           const char* where, char* err, size_t err_sz) {
    if (!c->has_guard || num_envs == 1 || spec->action_kind != SP_ACTION_CONTINUOUS) return SP_OK;
    for (int a = 0; a < spec->actuator_count; a++)
        if (c->guard.actuators[a].rate == SP_GUARD_POLICY_REJECT &&
            c->guard.actuators[a].max_delta > 0) {
            snprintf(err, err_sz,
                     "%sguardrails.actuators.%s.rate: reject needs num_envs = 1 (a batch cannot "
                     "be refused once some envs have stepped); use clip or terminate",
                     where, spec->actuators[a].name);
            return SP_E_BAD_REQUEST;
        }
    return SP_OK;
}

/* Record: {"dir": str, "observations": bool}. */
static int read_record(const uint8_t* raw, size_t len, char* dir, size_t dir_sz, bool* obs,
                       char* err, size_t err_sz) {
    sp_mp_reader r = sp_mp_reader_make(raw, len);
    sp_mp_value m;
    if (sp_mp_read(&r, &m) != SP_MP_OK || m.type != SP_MP_MAP) {
        snprintf(err, err_sz, "record: must be a map {dir, observations}");
        return SP_E_BAD_REQUEST;
    }
    dir[0] = '\0';
    *obs = false;
    for (uint32_t k = 0; k < m.len; k++) {
        sp_mp_value key, v;
        if (sp_mp_read_whole(&r, &key) != SP_MP_OK || sp_mp_read_whole(&r, &v) != SP_MP_OK)
            return SP_E_BAD_REQUEST;
        if (sp_mp_str_eq(&key, "dir")) {
            if (v.type != SP_MP_STR || v.len == 0 || v.len >= dir_sz || memchr(v.ptr, 0, v.len)) {
                snprintf(err, err_sz,
                         "record.dir: must be a non-empty path of at most %zu bytes "
                         "without NUL",
                         dir_sz - 1);
                return SP_E_BAD_REQUEST;
            }
            memcpy(dir, v.ptr, v.len);
            dir[v.len] = '\0';
        } else if (sp_mp_str_eq(&key, "observations")) {
            if (v.type != SP_MP_BOOL) {
                snprintf(err, err_sz, "record.observations: must be a boolean, got %s",
                         sp_mp_type_name(&v));
                return SP_E_BAD_REQUEST;
            }
            *obs = v.b;
        } else {
            char q[48];
            sp_quote(q, sizeof q, key.ptr, key.type == SP_MP_STR ? key.len : 0);
            snprintf(err, err_sz, "record.%s: unknown key (known: dir, observations)", q);
            return SP_E_BAD_REQUEST;
        }
    }
    if (!dir[0]) {
        snprintf(err, err_sz, "record.dir: recording needs it");
        return SP_E_BAD_REQUEST;
    }
    return SP_OK;
}

/* Decodes make's config parts into `c` (cleared). False when the request has none. */
static int read_make_config(const sp_request* req, const sp_env_spec* spec, int num_envs,
                            sp_episode_config* c, bool* any, sp_transport** transport, char* err,
                            size_t err_sz) {
    const uint8_t* raw;
    size_t len;
    int rc = SP_OK;
    sp_episode_config_clear(c);
    *any = false;
    /* Every episode runs inside guardrails unless the client says `guardrails: false`: absent
     * (or nil) means the env's defaults. Defaults that never trip leave every hash unchanged. */
    if (!field_raw(req, "guardrails", &raw, &len)) {
        *any = true;
        sp_episode_config_default_guardrails(c, spec);
    } else if (!(len == 1 && raw[0] == 0xc2)) {
        *any = true;
        rc = sp_episode_config_decode_guardrails(c, spec, raw, len, err, err_sz);
    }
    if (!rc && field_raw(req, "faults", &raw, &len)) {
        /* Transport faults are the server's (transport.h): the episode sees the others. */
        uint8_t* rest = NULL;
        size_t rest_len = 0;
        *any = true;
        rc = sp_transport_split(raw, len, transport, &rest, &rest_len, err, err_sz);
        if (rc != SP_OK) return rc;
        rc = sp_episode_config_decode_faults(c, spec, rest ? rest : raw, rest ? rest_len : len, err,
                                             err_sz);
        free(rest);
    }
    if (!rc && field_raw(req, "info", &raw, &len)) {
        *any = true;
        rc = sp_episode_config_decode_info(c, raw, len, err, err_sz);
    }
    if (rc) return SP_E_BAD_REQUEST;
    if (field_raw(req, "record", &raw, &len)) *any = true;
    return check_batchable(c, spec, num_envs, "", err, err_sz);
}

static sp_session_cfg* new_cfg(sp_service* svc, const sp_session_def* d, sp_episode_config* make) {
    size_t n = (size_t)d->num_envs;
    int obs = d->env->spec->sensor_count;
    sp_session_cfg* c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->num_envs = d->num_envs;
    c->obs_size = obs;
    c->make = make;
    c->overridden = calloc(n, 1);
    c->layers = calloc(n, sizeof *c->layers);
    c->recorders = calloc(n, sizeof *c->recorders);
    c->cost = calloc(n, sizeof *c->cost);
    c->active = calloc(n, sizeof *c->active);
    c->valid = calloc(n * (size_t)obs, 1);
    c->trips = calloc(n, 1);
    c->expired = calloc(n, 1);
    c->expiry = calloc(n, sizeof *c->expiry);
    c->record_state = calloc(n, 1);
    c->record_errors = &svc->record_errors;
    c->log_level = svc->def.log_level;
    if (!c->overridden || !c->layers || !c->recorders || !c->cost || !c->active || !c->valid ||
        !c->trips || !c->expired || !c->expiry || !c->record_state) {
        c->make = NULL;
        sp_session_cfg_free(c);
        return NULL;
    }
    memset(c->valid, 1, n * (size_t)obs);
    c->totals = &svc->layer_totals;
    return c;
}

/* What one env's layers hold under config `c`: its fault buffers (frame_delay's frames of
 * the session's size among them), when recording the recorder's bounded buffer (counted at
 * make and by reset options, sessions.h), and the step result kept for a quiet agent whose
 * episode the server ended (expire.h). */
static size_t layer_bytes(sp_episode_config* c, const sp_session_def* d, bool record) {
    const sp_fault_def* faults = sp_episode_config_fault_defs(c);
    return sp_faults_cost(faults, c->fault_count, d->env->spec) +
           sp_faults_frame_cost(faults, c->fault_count, sp_pixels_frame_bytes(&d->pixels)) +
           (record ? SP_RECORDER_HOLD_BYTES : 0) + sizeof(sp_step_result) + 1;
}

/* Makes env i's recorder, attached at the first reset. Names are unique across the server's
 * lives (its instance id), say what they hold and sort in episode order:
 * "<env>-<instance>-<session>-e<i>-<episode>-s<seed>.sprp" (docs/REPLAY_FORMAT.md). */
static int make_recorders(sp_service* svc, sp_session* s, const char* dir, bool obs, char* err,
                          size_t err_sz) {
    sp_session_cfg* c = s->cfg;
    for (int i = 0; i < s->def.num_envs; i++) {
        char prefix[64], why[256];
        snprintf(prefix, sizeof prefix, "%s-%llu-e%d", svc->instance, (unsigned long long)s->id, i);
        sp_recorder_def rd = sp_default_recorder_def();
        rd.directory = dir;
        rd.prefix = prefix;
        rd.name_seed = true;
        rd.observations = obs;
        if (!(c->recorders[i] = sp_recorder_create(&rd, why, sizeof why))) {
            snprintf(err, err_sz, "record.dir: %s", why);
            return SP_E_BAD_REQUEST;
        }
    }
    return SP_OK;
}

static int make_session(sp_service* svc, const sp_request* req, sp_session_def d, sp_scene** scene,
                        char* err, size_t err_sz);

int sp_op_make(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_session_def d = {0}; /* layer_bytes stays 0 when make has no layer config */
    sp_scene* scene = NULL;
    int rc = read_make(req, &d, &scene, err, err_sz);
    if (rc == SP_OK) rc = make_session(svc, req, d, &scene, err, err_sz);
    sp_scene_destroy(scene); /* NULL once a session owns it */
    return rc;
}

/* Opens the session; on success it owns *scene (set to NULL). */
static int make_session(sp_service* svc, const sp_request* req, sp_session_def d, sp_scene** scene,
                        char* err, size_t err_sz) {
    int rc;
    sp_episode_config* cfg = sp_episode_config_create();
    if (!cfg) {
        snprintf(err, err_sz, "out of memory");
        return SP_E_NO_MEMORY;
    }
    bool any = false, record_obs = false;
    char record_dir[1024] = "";
    const uint8_t* raw;
    size_t len;
    sp_transport* transport = NULL;
    rc = read_make_config(req, d.env->spec, d.num_envs, cfg, &any, &transport, err, err_sz);
    if (!rc && field_raw(req, "record", &raw, &len))
        rc = read_record(raw, len, record_dir, sizeof record_dir, &record_obs, err, err_sz);
    if (!rc && record_dir[0]) {
        char resolved[sizeof record_dir];
        rc = sp_record_path_resolve(svc->def.record_root, record_dir, resolved, sizeof resolved,
                                    err, err_sz);
        if (!rc) memcpy(record_dir, resolved, sizeof record_dir);
    }
    if (rc == SP_OK && any) d.layer_bytes = layer_bytes(cfg, &d, record_dir[0] != '\0');
    if (rc != SP_OK || !any) {
        sp_episode_config_destroy(cfg);
        if (rc != SP_OK) {
            free(transport);
            return rc;
        }
        cfg = NULL;
    }
    sp_session* s;
    if ((rc = sp_sessions_open(svc->sessions, &d, svc->now, &s, err, err_sz)) != SP_OK) {
        sp_episode_config_destroy(cfg);
        free(transport);
        return rc;
    }
    s->transport = transport;
    s->scene = *scene;
    *scene = NULL;
    if (cfg) {
        if (!(s->cfg = new_cfg(svc, &d, cfg))) {
            sp_episode_config_destroy(cfg);
            sp_sessions_close(svc->sessions, s);
            snprintf(err, err_sz, "out of memory");
            return SP_E_NO_MEMORY;
        }
        s->cfg->session = s->id;
        if (record_dir[0] && (rc = make_recorders(svc, s, record_dir, record_obs, err, err_sz))) {
            s->cfg->totals = NULL;
            sp_sessions_close(svc->sessions, s);
            return rc;
        }
    }
    SP_LOG(svc->def.log_level, SP_LOG_INFO, "session %llu: made %d x %s", (unsigned long long)s->id,
           d.num_envs, d.env->spec->id);
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

static const char* const reset_keys[] = {"session", "seed", "options", "restore", "mask", NULL};

/* "restore": N entries [seed, stream0, stream1, stream2, stream3] (what a `resume` session's
 * replies reported) into s->seeds and s->streams. Sets *restore when given. */
static int read_restore(const sp_request* req, sp_session* s, bool* restore, char* err,
                        size_t err_sz) {
    int n = s->def.num_envs;
    const sp_mp_value* v = sp_request_get(req, "restore");
    *restore = v && v->type != SP_MP_NIL;
    if (!*restore) return SP_OK;
    const sp_mp_value* seed = sp_request_get(req, "seed");
    if (seed && seed->type != SP_MP_NIL) {
        snprintf(err, err_sz, "fields 'seed' and 'restore' exclude each other");
        return SP_E_BAD_REQUEST;
    }
    if (v->type != SP_MP_ARRAY || v->len != (uint32_t)n) {
        snprintf(err, err_sz, "field 'restore' must be an array of %d entries, one per env", n);
        return SP_E_BAD_REQUEST;
    }
    sp_mp_reader r = {v->ptr, req->end, NULL};
    for (int i = 0; i < n; i++) {
        sp_mp_value e;
        if (sp_mp_read(&r, &e) != SP_MP_OK || e.type != SP_MP_ARRAY || e.len != 5) {
            snprintf(err, err_sz,
                     "field 'restore'[%d] must be [seed, stream0, stream1, stream2, stream3]", i);
            return SP_E_BAD_REQUEST;
        }
        for (int k = 0; k < 5; k++) {
            sp_mp_value x;
            uint64_t* out = k == 0 ? &s->seeds[i] : &s->streams[4 * (size_t)i + (size_t)(k - 1)];
            if (sp_mp_read(&r, &x) != SP_MP_OK || !sp_mp_as_u64(&x, out)) {
                snprintf(err, err_sz, "field 'restore'[%d][%d] must be an integer in [0, 2^64)", i,
                         k);
                return SP_E_BAD_REQUEST;
            }
        }
        /* xoshiro256** never leaves the all-zero state, nor may it start there. */
        const uint64_t* st = &s->streams[4 * (size_t)i];
        if (!(st[0] | st[1] | st[2] | st[3])) {
            snprintf(err, err_sz, "field 'restore'[%d]: a seed stream is never all zeros", i);
            return SP_E_BAD_REQUEST;
        }
    }
    return SP_OK;
}

/* Reads "mask" (uint8 [N] of 0/1: which envs this reset resets) into s->reset_mask; all 1
 * without one. A partial reset leaves the other envs' episodes untouched, so it needs every
 * env to have an episode already (a whole reset succeeded since make). */
static int read_mask(const sp_request* req, sp_session* s, char* err, size_t err_sz) {
    int n = s->def.num_envs;
    bool partial = false;
    memset(s->reset_mask, 1, (size_t)n);
    const sp_mp_value* v = sp_request_get(req, "mask");
    if (!v || v->type == SP_MP_NIL) return SP_OK;
    sp_array_view a;
    int rc = sp_array_decode(req, v, "mask", &a, err, err_sz);
    if (rc != SP_OK) return rc;
    if (a.dtype != SP_DTYPE_UINT8 || a.ndim != 1 || a.shape[0] != (uint64_t)n) {
        snprintf(err, err_sz, "field 'mask' must be uint8 [%d] (one 0 or 1 per env)", n);
        return SP_E_BAD_REQUEST;
    }
    for (int i = 0; i < n; i++) {
        if (a.data[i] > 1) {
            snprintf(err, err_sz, "field 'mask'[%d] must be 0 or 1, got %u", i, a.data[i]);
            return SP_E_BAD_REQUEST;
        }
        s->reset_mask[i] = a.data[i];
        partial |= a.data[i] == 0;
    }
    if (partial && !s->started) {
        snprintf(err, err_sz,
                 "a partial reset (mask) needs every env reset once: send a reset without "
                 "mask first");
        return SP_E_NEEDS_RESET;
    }
    return SP_OK;
}

/* Reads "seed" into s->seeds, with s->seed_given[i] = 1 where env i is given one. */
static int read_seeds(const sp_request* req, sp_session* s, char* err, size_t err_sz) {
    int n = s->def.num_envs;
    memset(s->seed_given, 0, (size_t)n);
    const sp_mp_value* v = sp_request_get(req, "seed");
    if (!v || v->type == SP_MP_NIL) return SP_OK;
    uint64_t seed;
    if (sp_mp_as_u64(v, &seed)) {
        if (seed > UINT64_MAX - (uint64_t)(n - 1)) {
            snprintf(err, err_sz,
                     "field 'seed' + num_envs - 1 must fit in 64 bits (env i is "
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
    sp_mp_reader r = {v->ptr, req->end, NULL};
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

/* ---- reset options and the layers ---- */

/* Gives `c` the layers the session has (a guard at its defaults, an empty fault list), so that
 * its canonical encoding, which replay headers store, says what runs. */
static void normalize(const sp_session_cfg* sc, sp_episode_config* c, const sp_env_spec* spec) {
    if (sc->has_guard && !c->has_guard) sp_episode_config_default_guardrails(c, spec);
    if (sc->has_faults) c->has_faults = true;
}

static int encode(const sp_episode_config* c, const sp_env_spec* spec, uint8_t** out, size_t* size,
                  char* err, size_t err_sz) {
    uint8_t* canon = sp_episode_config_encode(c, spec, size);
    if (!canon) {
        snprintf(err, err_sz, "out of memory");
        return SP_E_NO_MEMORY;
    }
    free(*out);
    *out = canon;
    return SP_OK;
}

/* Attaches every env's layers, in the runtime's order (guard, faults, recorder), before the
 * first reset: the make-time config's, plus any the first reset's options need. */
static int attach_layers(sp_session* s, bool want_guard, bool want_faults, char* err,
                         size_t err_sz) {
    sp_session_cfg* c = s->cfg;
    const sp_env_spec* spec = s->def.env->spec;
    c->attached = true;
    c->has_guard = want_guard;
    c->has_faults = want_faults;
    normalize(c, c->make, spec);
    int rc = encode(c->make, spec, &c->make_canon, &c->make_canon_size, err, err_sz);
    if (rc) return rc;
    sp_guard_def gd = sp_episode_config_guard_def(c->make);
    const sp_fault_def* faults = sp_episode_config_fault_defs(c->make);
    for (int i = 0; i < s->def.num_envs; i++) {
        sp_episode_layers* l = &c->layers[i];
        sp_episode* ep = s->eps[i];
        if (want_guard && (!(l->guard = sp_guard_create(&gd, spec, err, err_sz)) ||
                           sp_guard_attach(l->guard, ep) != SP_OK))
            goto fail;
        if (want_faults &&
            (!(l->faults = sp_faults_create(faults, c->make->fault_count, spec, err, err_sz)) ||
             sp_faults_attach(l->faults, ep) != SP_OK))
            goto fail;
        if (c->recorders[i]) {
            if ((rc = sp_recorder_set_config(c->recorders[i], c->make_canon, c->make_canon_size,
                                             err, err_sz)) ||
                sp_recorder_attach(c->recorders[i], ep) != SP_OK)
                goto fail;
            l->recorder = c->recorders[i];
        }
    }
    return SP_OK;
fail:
    if (!err[0]) snprintf(err, err_sz, "cannot attach the episode layers");
    return SP_E_NO_MEMORY;
}

/* Decodes `options` ({"guardrails", "faults"}) over the make-time config into c->scratch. */
static int read_options(sp_session* s, const uint8_t* raw, size_t len, bool* any, char* err,
                        size_t err_sz) {
    sp_session_cfg* c = s->cfg;
    const sp_env_spec* spec = s->def.env->spec;
    sp_mp_reader r = sp_mp_reader_make(raw, len);
    sp_mp_value m;
    *any = false;
    if (sp_mp_read(&r, &m) != SP_MP_OK || m.type != SP_MP_MAP) {
        snprintf(err, err_sz, "options: must be a map {guardrails, faults}, got %s",
                 sp_mp_type_name(&m));
        return SP_E_BAD_REQUEST;
    }
    sp_episode_config_copy(c->scratch, c->make);
    for (uint32_t k = 0; k < m.len; k++) {
        sp_mp_value key, v;
        if (sp_mp_read_whole(&r, &key) != SP_MP_OK) return SP_E_BAD_REQUEST;
        const uint8_t* start = r.p;
        if (sp_mp_read_whole(&r, &v) != SP_MP_OK) return SP_E_BAD_REQUEST;
        size_t vlen = (size_t)(r.p - start);
        if (v.type == SP_MP_NIL) continue;
        int rc;
        if (sp_mp_str_eq(&key, "guardrails")) {
            rc = sp_episode_config_decode_guardrails(c->scratch, spec, start, vlen, err, err_sz);
            if (!rc && c->attached && !c->has_guard) {
                snprintf(err, err_sz,
                         "options.guardrails: this session's episodes run without "
                         "a guardrail layer (give guardrails, e.g. {}, at make or "
                         "at the first reset to change them per reset)");
                rc = SP_E_BAD_ARGUMENT;
            }
        } else if (sp_mp_str_eq(&key, "faults")) {
            sp_transport* tr = NULL;
            uint8_t* rest = NULL;
            size_t rest_len = 0;
            rc = sp_transport_split(start, vlen, &tr, &rest, &rest_len, err, err_sz);
            if (rc == SP_OK && tr) {
                snprintf(err, err_sz,
                         "options.faults: transport faults (reply_delay, reply_drop) are "
                         "declared at make only");
                rc = SP_E_BAD_REQUEST;
            }
            free(tr);
            free(rest);
            if (rc != SP_OK) return rc;
            rc = sp_episode_config_decode_faults(c->scratch, spec, start, vlen, err, err_sz);
            if (!rc && c->attached && !c->has_faults) {
                snprintf(err, err_sz,
                         "options.faults: this session's episodes run without a "
                         "fault layer (give faults, e.g. [], at make or at the "
                         "first reset to change them per reset)");
                rc = SP_E_BAD_ARGUMENT;
            }
        } else {
            char q[48];
            sp_quote(q, sizeof q, key.ptr, key.type == SP_MP_STR ? key.len : 0);
            snprintf(err, err_sz, "options.%s: unknown key (known: guardrails, faults)", q);
            rc = SP_E_BAD_ARGUMENT;
        }
        if (rc) return SP_E_BAD_REQUEST;
        *any = true;
    }
    return check_batchable(c->scratch, spec, s->def.num_envs, "options.", err, err_sz);
}

/* Applies the reset's options (or, without any, restores the make-time config where an
 * override ran) before the envs are reset. */
static int prepare_layers(sp_service* svc, sp_session* s, const sp_request* req, char* err,
                          size_t err_sz) {
    const uint8_t* raw;
    size_t len;
    bool has_options = field_raw(req, "options", &raw, &len);
    const sp_env_spec* spec = s->def.env->spec;
    if (has_options && !s->cfg) {
        sp_episode_config* make = sp_episode_config_create();
        if (!make || !(s->cfg = new_cfg(svc, &s->def, make))) {
            sp_episode_config_destroy(make);
            snprintf(err, err_sz, "out of memory");
            return SP_E_NO_MEMORY;
        }
        s->cfg->session = s->id;
    }
    sp_session_cfg* c = s->cfg;
    if (!c) return SP_OK;
    bool any = false;
    int rc;
    if (has_options) {
        if ((!c->scratch && !(c->scratch = sp_episode_config_create())) ||
            (!c->over && !(c->over = sp_episode_config_create()))) {
            snprintf(err, err_sz, "out of memory");
            return SP_E_NO_MEMORY;
        }
        if ((rc = read_options(s, raw, len, &any, err, err_sz))) return rc;
    }
    /* A fault layer is always attached, empty unless faults were given: an empty one changes
     * no hash and costs little, and it lets any later reset's options add faults. */
    if (!c->attached && (rc = attach_layers(s, c->make->has_guard || (any && c->scratch->has_guard),
                                            true, err, err_sz)))
        return rc;
    int n = s->def.num_envs;
    if (any) {
        /* A longer fault list holds more: counted before it is built, like make's. */
        if ((rc = sp_sessions_grow(svc->sessions, s,
                                   layer_bytes(c->scratch, &s->def, c->recorders[0] != NULL), err,
                                   err_sz)))
            return rc;
        sp_episode_config_copy(c->over, c->scratch);
        normalize(c, c->over, spec);
        if ((rc = encode(c->over, spec, &c->over_canon, &c->over_canon_size, err, err_sz)))
            return rc;
        for (int i = 0; i < n; i++) {
            if (!s->reset_mask[i]) continue;
            if ((rc = sp_episode_layers_set(&c->layers[i], c->over, c->over_canon,
                                            c->over_canon_size, err, err_sz)))
                return sp_wire_code(rc);
            c->overridden[i] = 1;
        }
    } else if (c->overridden_count > 0) {
        for (int i = 0; i < n; i++) {
            if (!c->overridden[i] || !s->reset_mask[i]) continue;
            if ((rc = sp_episode_layers_set(&c->layers[i], c->make, c->make_canon,
                                            c->make_canon_size, err, err_sz)))
                return sp_wire_code(rc);
            c->overridden[i] = 0;
        }
    }
    c->overridden_count = 0;
    for (int i = 0; i < n; i++)
        c->overridden_count += c->overridden[i];
    return SP_OK;
}

typedef struct reset_job {
    sp_service* svc;
    sp_session* s;
    bool restore;
} reset_job;

static void reset_range(void* ctx, int begin, int end, int chunk) {
    reset_job* job = ctx;
    sp_session* s = job->s;
    int n = s->obs_size;
    for (int i = begin; i < end; i++) {
        sp_episode* ep = s->eps[i];
        uint64_t* stream = &s->streams[4 * (size_t)i];
        if (!s->reset_mask[i]) {
            /* Left running: its last observation, episode seed and hash stand; no events. */
            s->seeds[i] = sp_episode_seed(ep);
            if (s->def.resume) memcpy(stream, sp_episode_seed_stream(ep).s, 4 * sizeof *stream);
            if (s->cfg) s->cfg->trips[i] = 0;
            continue;
        }
        int rc;
        if (job->restore) {
            sp_rng st;
            memcpy(st.s, stream, sizeof st.s);
            rc = sp_episode_reset_restore(ep, s->seeds[i], &st);
        } else {
            rc = sp_episode_reset(ep, s->seed_given[i] ? &s->seeds[i] : NULL);
        }
        if (rc != SP_OK) {
            sp_chunk_error* e = &job->svc->chunk_errors[chunk];
            e->index = i;
            e->code = rc;
            snprintf(e->message, sizeof e->message, "env %d: reset failed: %s", i,
                     sp_error_name(rc));
            return;
        }
        memcpy(s->obs + (size_t)i * (size_t)n, sp_episode_obs(ep), (size_t)n * sizeof(float));
        if (s->cfg) sp_session_cfg_collect(s->cfg, i, ep, false);
        s->seeds[i] = sp_episode_seed(ep);
        if (s->def.resume) memcpy(stream, sp_episode_seed_stream(ep).s, 4 * sizeof *stream);
        if (s->def.hashes) s->hash[i] = sp_episode_hash(ep);
    }
}

int sp_op_reset(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_session* s;
    int rc;
    bool restore;
    if ((rc = sp_request_only(req, reset_keys, err, err_sz)) != SP_OK ||
        (rc = sp_service_session(svc, req, &s, err, err_sz)) != SP_OK ||
        (rc = read_restore(req, s, &restore, err, err_sz)) != SP_OK ||
        (!restore && (rc = read_seeds(req, s, err, err_sz)) != SP_OK) ||
        (rc = read_mask(req, s, err, err_sz)) != SP_OK)
        return rc;
    if ((rc = prepare_layers(svc, s, req, err, err_sz)) != SP_OK) {
        /* Nothing was reset; options that failed half-way leave envs on mixed configs. */
        if (rc != SP_E_BAD_REQUEST && rc != SP_E_LIMIT) s->started = false;
        return rc;
    }
    int n = s->def.num_envs;
    int chunks = sp_service_chunks(svc, n);
    reset_job job = {svc, s, restore};
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
    if (s->cfg) /* the reset envs' episodes were just replaced */
        for (int i = 0; i < n; i++)
            if (s->reset_mask[i]) s->cfg->expired[i] = 0;
    sp_service_note_episodes(svc, s);

    msgpack_packer* pk = &svc->pk;
    uint32_t shape[2] = {(uint32_t)n, (uint32_t)s->obs_size};
    uint32_t extra = s->cfg ? sp_session_cfg_reply_keys(s->cfg, false) : 0;
    bool pixels = s->frames != NULL;
    sp_pack_ok(pk, req, (s->def.hashes ? 3 : 2) + s->def.resume + pixels + extra);
    sp_pack_cstr(pk, "obs");
    sp_pack_array(pk, SP_DTYPE_FLOAT32, 2, shape, s->obs);
    if (pixels) sp_pixels_pack(pk, s);
    sp_pack_cstr(pk, "seeds");
    sp_pack_array1(pk, SP_DTYPE_UINT64, (uint32_t)n, s->seeds);
    if (s->def.resume) {
        uint32_t stream_shape[2] = {(uint32_t)n, 4};
        sp_pack_cstr(pk, "seed_stream");
        sp_pack_array(pk, SP_DTYPE_UINT64, 2, stream_shape, s->streams);
    }
    if (s->def.hashes) {
        sp_pack_cstr(pk, "hash");
        sp_pack_array1(pk, SP_DTYPE_UINT64, (uint32_t)n, s->hash);
    }
    if (extra) sp_session_cfg_pack(s->cfg, pk, s->eps, false);
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
    /* The last files are finished and written before the reply, so a failure is told. */
    uint32_t failed = s->cfg && s->cfg->recorders[0] ? sp_session_cfg_finish_recorders(s->cfg) : 0;
    sp_pack_ok(&svc->pk, req, failed ? 1 : 0);
    if (failed) sp_session_cfg_pack_record_errors(s->cfg, &svc->pk);
    sp_sessions_close(svc->sessions, s);
    return SP_OK;
}
