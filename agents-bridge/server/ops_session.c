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

/* The session def of a decoded make: with an inline scene (docs/SCENES.md), loaded under the
 * scene limits. Untrusted: every error names its path and the server keeps serving. The scene
 * is checked before make's other fields, so its error comes first. */
static int make_def(const sp_make_request* r, sp_session_def* d, sp_scene** scene, char* err,
                    size_t err_sz) {
    *scene = NULL;
    if (sp_door_first(&r->door, SP_MAKE_AT_SOURCE)) return r->door.rc;
    d->env = r->env;
    d->extra_bytes = 0;
    if (r->scene) {
        sp_scene_limits lim = sp_default_scene_limits();
        char why[384];
        if (!(*scene = sp_scene_load((const char*)r->scene->ptr, r->scene->len, &lim, why,
                                     sizeof why))) {
            snprintf(err, err_sz, "scene: %s", why);
            return SP_E_BAD_SCENE;
        }
        d->env = sp_scene_env(*scene);
        d->extra_bytes = sp_scene_memory(*scene);
    }
    if (r->door.rc != SP_OK) return r->door.rc;
    d->num_envs = r->num_envs;
    d->seed = r->seed;
    d->max_steps = r->max_steps;
    d->autoreset = r->autoreset;
    d->hashes = r->hashes;
    d->resume = r->resume;
    d->pixels = r->pixels;
    /* Each episode of a scene, inline or from the catalogue, holds its bodies beyond what
     * SP_ENV_COST_BYTES covers. */
    const sp_scene* sc = *scene ? *scene : sp_scene_of_env(d->env);
    if (sc) d->extra_bytes += (size_t)d->num_envs * sp_scene_episode_memory(sc);
    return SP_OK;
}

/* ---- the episode config: guardrails, faults, info, record ---- */

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
static int read_make_config(const sp_make_request* r, const sp_env_spec* spec, int num_envs,
                            sp_episode_config* c, bool* any, sp_transport** transport, char* err,
                            size_t err_sz) {
    int rc = SP_OK;
    sp_episode_config_clear(c);
    *any = false;
    /* Every episode runs inside guardrails unless the client says `guardrails: false`: absent
     * (or nil) means the env's defaults. Defaults that never trip leave every hash unchanged. */
    const uint8_t* raw = r->guardrails.p;
    size_t len = r->guardrails.len;
    if (!raw) {
        *any = true;
        sp_episode_config_default_guardrails(c, spec);
    } else if (!(len == 1 && raw[0] == 0xc2)) {
        *any = true;
        rc = sp_episode_config_decode_guardrails(c, spec, raw, len, err, err_sz);
    }
    if (!rc && r->faults.p) {
        raw = r->faults.p;
        len = r->faults.len;
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
    if (!rc && r->info.p) {
        *any = true;
        rc = sp_episode_config_decode_info(c, r->info.p, r->info.len, err, err_sz);
    }
    if (rc) return SP_E_BAD_REQUEST;
    if (r->record.p) *any = true;
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

static int make_session(sp_service* svc, const sp_request* req, const sp_make_request* r,
                        sp_session_def d, sp_scene** scene, char* err, size_t err_sz);

int sp_op_make(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_make_request r;
    sp_session_def d = {0}; /* layer_bytes stays 0 when make has no layer config */
    sp_scene* scene = NULL;
    sp_decode_make(req, &r, err, err_sz);
    int rc = make_def(&r, &d, &scene, err, err_sz);
    if (rc == SP_OK) rc = make_session(svc, req, &r, d, &scene, err, err_sz);
    sp_scene_destroy(scene); /* NULL once a session owns it */
    return rc;
}

/* Opens the session; on success it owns *scene (set to NULL). */
static int make_session(sp_service* svc, const sp_request* req, const sp_make_request* r,
                        sp_session_def d, sp_scene** scene, char* err, size_t err_sz) {
    int rc;
    sp_episode_config* cfg = sp_episode_config_create();
    if (!cfg) {
        snprintf(err, err_sz, "out of memory");
        return SP_E_NO_MEMORY;
    }
    bool any = false, record_obs = false;
    char record_dir[1024] = "";
    sp_transport* transport = NULL;
    rc = read_make_config(r, d.env->spec, d.num_envs, cfg, &any, &transport, err, err_sz);
    if (!rc && r->record.p)
        rc = read_record(r->record.p, r->record.len, record_dir, sizeof record_dir, &record_obs,
                         err, err_sz);
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

/* The reset's "restore" (N entries [seed, stream0, stream1, stream2, stream3]: what a `resume`
 * session's replies reported), "seed" and "mask", decoded at the door, checked against the
 * session in the protocol's order and read into s->seeds, s->streams, s->seed_given and
 * s->reset_mask. A partial reset leaves the other envs' episodes untouched, so it needs every
 * env to have an episode already (a whole reset succeeded since make). */
static int reset_fields(const sp_reset_request* r, sp_session* s, char* err, size_t err_sz) {
    int n = s->def.num_envs;
    int rc;
    if (sp_door_first(&r->door, SP_RESET_AT_RESTORE)) return r->door.rc;
    const sp_mp_value* v = r->restore;
    if (v && (v->type != SP_MP_ARRAY || v->len != (uint32_t)n)) {
        snprintf(err, err_sz, "field 'restore' must be an array of %d entries, one per env", n);
        return SP_E_BAD_REQUEST;
    }
    if (sp_door_first(&r->door, SP_RESET_AT_RESTORE_ENTRIES)) return r->door.rc;
    if (v) {
        sp_mp_reader rd = {v->ptr, r->end, NULL};
        for (int i = 0; i < n; i++)
            if ((rc = sp_restore_entry(&rd, i, &s->seeds[i], &s->streams[4 * (size_t)i], err,
                                       err_sz)) != SP_OK)
                return rc;
    } else {
        memset(s->seed_given, 0, (size_t)n);
    }
    v = r->seed;
    uint64_t seed;
    if (v && sp_mp_as_u64(v, &seed)) {
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
        v = NULL;
    } else if (v && (v->type != SP_MP_ARRAY || v->len != (uint32_t)n)) {
        snprintf(err, err_sz,
                 "field 'seed' must be nil, an integer >= 0, or an array of %d entries each an "
                 "integer >= 0 or nil; got %s%s",
                 n, v->type == SP_MP_INT ? "a negative integer" : sp_mp_type_name(v),
                 v->type == SP_MP_ARRAY ? " of another length" : "");
        return SP_E_BAD_REQUEST;
    }
    if (sp_door_first(&r->door, SP_RESET_AT_SEED_ENTRIES)) return r->door.rc;
    if (v) { /* N entries, each an integer >= 0 (given) or nil: checked at the door */
        sp_mp_reader rd = {v->ptr, r->end, NULL};
        for (int i = 0; i < n; i++) {
            sp_mp_value e;
            if (sp_mp_read_whole(&rd, &e) != SP_MP_OK) return SP_E_INTERNAL;
            s->seed_given[i] = sp_mp_as_u64(&e, &s->seeds[i]);
        }
    }
    memset(s->reset_mask, 1, (size_t)n);
    if (sp_door_first(&r->door, SP_RESET_AT_MASK)) return r->door.rc;
    const sp_array_view* a = &r->mask;
    if (r->has_mask && (a->dtype != SP_DTYPE_UINT8 || a->ndim != 1 || a->shape[0] != (uint64_t)n)) {
        snprintf(err, err_sz, "field 'mask' must be uint8 [%d] (one 0 or 1 per env)", n);
        return SP_E_BAD_REQUEST;
    }
    if (r->door.rc != SP_OK) return r->door.rc; /* the last stage: the mask's values */
    if (!r->has_mask) return SP_OK;
    memcpy(s->reset_mask, a->data, (size_t)n);
    if (memchr(a->data, 0, (size_t)n) && !s->started) {
        snprintf(err, err_sz,
                 "a partial reset (mask) needs every env reset once: send a reset without "
                 "mask first");
        return SP_E_NEEDS_RESET;
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
static int prepare_layers(sp_service* svc, sp_session* s, sp_raw options, char* err,
                          size_t err_sz) {
    const uint8_t* raw = options.p;
    size_t len = options.len;
    bool has_options = raw != NULL;
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
    sp_reset_request r;
    sp_session* s;
    int rc;
    sp_decode_reset(req, &r, err, err_sz);
    if ((rc = sp_door_session(svc, req, &r.door, r.session, &s, err, err_sz)) != SP_OK ||
        (rc = reset_fields(&r, s, err, err_sz)) != SP_OK)
        return rc;
    bool restore = r.restore != NULL;
    if ((rc = prepare_layers(svc, s, r.options, err, err_sz)) != SP_OK) {
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

int sp_op_close(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_close_request r;
    sp_session* s;
    int rc;
    sp_decode_close(req, &r, err, err_sz);
    if ((rc = sp_door_session(svc, req, &r.door, r.session, &s, err, err_sz)) != SP_OK) return rc;
    SP_LOG(svc->def.log_level, SP_LOG_INFO, "session %llu: closed", (unsigned long long)s->id);
    /* The last files are finished and written before the reply, so a failure is told. */
    uint32_t failed = s->cfg && s->cfg->recorders[0] ? sp_session_cfg_finish_recorders(s->cfg) : 0;
    sp_pack_ok(&svc->pk, req, failed ? 1 : 0);
    if (failed) sp_session_cfg_pack_record_errors(s->cfg, &svc->pk);
    sp_sessions_close(svc->sessions, s);
    return SP_OK;
}
