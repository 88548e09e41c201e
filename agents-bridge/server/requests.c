/* The door decoders of requests.h: each reads its request's fields once, in the order the op
 * checks them, and stops at the first fault. */

#include "requests.h"

#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sandpit/envs.h"
#include "sandpit/server.h"
#include "sandpit/error.h"

/* Notes the fault of `rc` (its message already in err) at `stage`; true when there is one. */
static bool fault(sp_door* door, int rc, int stage) {
    door->rc = rc;
    door->stage = stage;
    return rc != SP_OK;
}

static bool given(const sp_mp_value* v) {
    return v && v->type != SP_MP_NIL;
}

/* The whole msgpack bytes of the field whose value is `v`. */
static sp_raw raw_of(const sp_mp_value* v) {
    if (!given(v)) return (sp_raw){NULL, 0};
    const sp_field* f = (const sp_field*)(const void*)((const char*)v - offsetof(sp_field, value));
    return (sp_raw){f->raw, f->raw_len};
}

/* The keys, then "session": what every op on a session checks first. */
static bool session_head(const sp_request* req, const char* const* keys, const sp_mp_value** slot,
                         sp_door* door, uint64_t* session, char* err, size_t err_sz) {
    *door = (sp_door){SP_OK, 0};
    return fault(door, sp_request_fields(req, keys, true, slot, err, err_sz), SP_AT_KEYS) ||
           fault(door, sp_value_u64(slot[0], "session", true, 0, UINT64_MAX, session, err, err_sz),
                 SP_AT_SESSION);
}

/* A required array field: a missing key is an error, a nil value a malformed array. */
static int required_array(const sp_request* req, const sp_mp_value* v, const char* key,
                          sp_array_view* out, char* err, size_t err_sz) {
    if (!v) {
        snprintf(err, err_sz, "missing field '%s'", key);
        return SP_E_BAD_REQUEST;
    }
    return sp_array_decode(req->end, v, key, out, err, err_sz);
}

/* An optional array of flags ("mask", "active"): false when absent. A malformed array is a
 * fault at stage `at`; a uint8 [k] one with an item not 0 or 1 is one at `values_at`, as its
 * shape is checked against the session's N in between (other dtypes and shapes fail there). */
static bool flags(const sp_request* req, const sp_mp_value* v, const char* key, sp_array_view* out,
                  sp_door* door, int at, int values_at, char* err, size_t err_sz) {
    if (!given(v)) return false;
    if (fault(door, sp_array_decode(req->end, v, key, out, err, err_sz), at)) return true;
    if (out->dtype != SP_DTYPE_UINT8 || out->ndim != 1) return true;
    for (size_t i = 0; i < out->count; i++) {
        if (out->data[i] > 1) {
            snprintf(err, err_sz, "field '%s'[%zu] must be 0 or 1, got %d", key, i, out->data[i]);
            fault(door, SP_E_BAD_REQUEST, values_at);
            break;
        }
    }
    return true;
}

/* ---- ping, stats, hello ---- */

void sp_decode_bare(const sp_request* req, sp_door* door, char* err, size_t err_sz) {
    static const char* const keys[] = {NULL};
    *door = (sp_door){SP_OK, 0};
    fault(door, sp_request_fields(req, keys, true, NULL, err, err_sz), 0);
}

void sp_decode_hello(const sp_request* req, sp_hello_request* out, char* err, size_t err_sz) {
    /* Only hello takes keys it does not know, so that a newer client can say more in it. */
    static const char* const keys[] = {"protocol", "client", NULL};
    const sp_mp_value* slot[2];
    memset(out, 0, sizeof *out);
    sp_request_fields(req, keys, false, slot, err, err_sz);
    const sp_mp_value* protocol = slot[0];
    uint64_t version = 0;
    if (!protocol || !sp_mp_as_u64(protocol, &version) || version != SP_PROTOCOL_VERSION) {
        char given_as[48];
        if (!protocol)
            snprintf(given_as, sizeof given_as, "none");
        else if (protocol->type == SP_MP_INT && !protocol->negative)
            snprintf(given_as, sizeof given_as, "%" PRIu64, protocol->u);
        else if (protocol->type == SP_MP_INT)
            snprintf(given_as, sizeof given_as, "%" PRId64, protocol->i);
        else
            snprintf(given_as, sizeof given_as, "%s", sp_mp_type_name(protocol));
        snprintf(err, err_sz,
                 "this server speaks protocol %d; the client asked for %s (send \"protocol\": %d)",
                 SP_PROTOCOL_VERSION, given_as, SP_PROTOCOL_VERSION);
        fault(&out->door, SP_E_VERSION, 0);
        return;
    }
    fault(&out->door, sp_value_str(slot[1], "client", false, &out->client, err, err_sz), 0);
}

/* ---- make ---- */

/* A catalogue env by its id. */
static int find_env(const sp_mp_value* v, const sp_env_class** out, char* err, size_t err_sz) {
    const sp_mp_value* id = NULL;
    int rc = sp_value_str(v, "env", true, &id, err, err_sz);
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

/* An inline scene's text; it is loaded by the op. */
static int scene_text(const sp_mp_value* text, const sp_mp_value* env, char* err, size_t err_sz) {
    if (env) {
        snprintf(err, err_sz, "make takes 'env' or 'scene', not both");
        return SP_E_BAD_REQUEST;
    }
    if (text->type != SP_MP_STR) {
        snprintf(err, err_sz, "field 'scene' must be a str of JSON text (docs/SCENES.md), got %s",
                 sp_mp_type_name(text));
        return SP_E_BAD_REQUEST;
    }
    return SP_OK;
}

static int read_autoreset(const sp_mp_value* v, sp_autoreset* out, char* err, size_t err_sz) {
    if (!v) return SP_OK;
    if (sp_mp_str_eq(v, "next_step")) {
        *out = SP_AUTORESET_NEXT_STEP;
    } else if (sp_mp_str_eq(v, "same_step")) {
        *out = SP_AUTORESET_SAME_STEP;
    } else if (sp_mp_str_eq(v, "disabled")) {
        *out = SP_AUTORESET_DISABLED;
    } else {
        char q[48];
        sp_quote(q, sizeof q, v->ptr, v->len);
        snprintf(err, err_sz,
                 "field 'autoreset' must be \"next_step\", \"same_step\" or \"disabled\", "
                 "got '%s'",
                 q);
        return SP_E_BAD_REQUEST;
    }
    return SP_OK;
}

void sp_decode_make(const sp_request* req, sp_make_request* out, char* err, size_t err_sz) {
    static const char* const keys[] = {
        "env",    "num_envs", "seed",   "max_steps", "autoreset", "hashes",      "guardrails",
        "faults", "info",     "record", "scene",     "resume",    "observation", NULL};
    enum {
        ENV,
        NUM_ENVS,
        SEED,
        MAX_STEPS,
        AUTORESET,
        HASHES,
        GUARD,
        FAULTS,
        INFO,
        RECORD,
        SCENE,
        RESUME,
        OBSERVATION
    };
    const sp_mp_value* f[13];
    memset(out, 0, sizeof *out);
    out->num_envs = 1;
    out->autoreset = SP_AUTORESET_NEXT_STEP;
    sp_door* door = &out->door;
    if (fault(door, sp_request_fields(req, keys, true, f, err, err_sz), SP_MAKE_AT_KEYS)) return;
    out->scene = f[SCENE];
    if (fault(door,
              f[SCENE] ? scene_text(f[SCENE], f[ENV], err, err_sz)
                       : find_env(f[ENV], &out->env, err, err_sz),
              SP_MAKE_AT_SOURCE))
        return;
    const sp_mp_value* autoreset = NULL;
    int rc;
    if ((rc = sp_value_int(f[NUM_ENVS], "num_envs", false, 1, INT_MAX, &out->num_envs, err,
                           err_sz)) ||
        (rc = sp_value_u64(f[SEED], "seed", false, 0, UINT64_MAX, &out->seed, err, err_sz)) ||
        (rc = sp_value_int(f[MAX_STEPS], "max_steps", false, 0, INT_MAX, &out->max_steps, err,
                           err_sz)) ||
        (rc = sp_value_str(f[AUTORESET], "autoreset", false, &autoreset, err, err_sz)) ||
        (rc = sp_value_bool(f[HASHES], "hashes", &out->hashes, err, err_sz)) ||
        (rc = sp_value_bool(f[RESUME], "resume", &out->resume, err, err_sz)) ||
        (rc = sp_pixels_read(f[OBSERVATION], req->end, &out->pixels, err, err_sz))) {
        fault(door, rc, SP_MAKE_AT_FIELDS);
        return;
    }
    if (out->seed > UINT64_MAX - (uint64_t)(out->num_envs - 1)) {
        snprintf(err, err_sz,
                 "field 'seed' + num_envs - 1 must fit in 64 bits (env i is "
                 "seeded seed + i)");
        fault(door, SP_E_BAD_REQUEST, SP_MAKE_AT_FIELDS);
        return;
    }
    if (fault(door, read_autoreset(autoreset, &out->autoreset, err, err_sz), SP_MAKE_AT_FIELDS))
        return;
    out->guardrails = raw_of(f[GUARD]);
    out->faults = raw_of(f[FAULTS]);
    out->info = raw_of(f[INFO]);
    out->record = raw_of(f[RECORD]);
}

/* ---- close, reset ---- */

void sp_decode_close(const sp_request* req, sp_close_request* out, char* err, size_t err_sz) {
    static const char* const keys[] = {"session", NULL};
    const sp_mp_value* slot[1];
    session_head(req, keys, slot, &out->door, &out->session, err, err_sz);
}

int sp_restore_entry(sp_mp_reader* r, int i, uint64_t* seed, uint64_t* stream, char* err,
                     size_t err_sz) {
    sp_mp_value e;
    if (sp_mp_read(r, &e) != SP_MP_OK || e.type != SP_MP_ARRAY || e.len != 5) {
        snprintf(err, err_sz,
                 "field 'restore'[%d] must be [seed, stream0, stream1, stream2, stream3]", i);
        return SP_E_BAD_REQUEST;
    }
    for (int k = 0; k < 5; k++) {
        sp_mp_value x;
        if (sp_mp_read(r, &x) != SP_MP_OK || !sp_mp_as_u64(&x, k == 0 ? seed : &stream[k - 1])) {
            snprintf(err, err_sz, "field 'restore'[%d][%d] must be an integer in [0, 2^64)", i, k);
            return SP_E_BAD_REQUEST;
        }
    }
    /* xoshiro256** never leaves the all-zero state, nor may it start there. */
    if (!(stream[0] | stream[1] | stream[2] | stream[3])) {
        snprintf(err, err_sz, "field 'restore'[%d]: a seed stream is never all zeros", i);
        return SP_E_BAD_REQUEST;
    }
    return SP_OK;
}

/* Every entry of a restore array, for their shapes; their length is checked against N. */
static int check_restore(const sp_mp_value* v, const uint8_t* end, char* err, size_t err_sz) {
    if (v->type != SP_MP_ARRAY) return SP_OK;
    sp_mp_reader r = {v->ptr, end, NULL};
    uint64_t seed, stream[4];
    for (uint32_t i = 0; i < v->len; i++) {
        int rc = sp_restore_entry(&r, (int)i, &seed, stream, err, err_sz);
        if (rc != SP_OK) return rc;
    }
    return SP_OK;
}

/* The entries of a seed array: each an integer >= 0 or nil. */
static int check_seed_entries(const sp_mp_value* v, const uint8_t* end, char* err, size_t err_sz) {
    if (v->type != SP_MP_ARRAY) return SP_OK;
    sp_mp_reader r = {v->ptr, end, NULL};
    for (uint32_t i = 0; i < v->len; i++) {
        sp_mp_value e;
        uint64_t seed;
        if (sp_mp_read_whole(&r, &e) != SP_MP_OK) {
            snprintf(err, err_sz, "field 'seed'[%u] is not valid msgpack", i);
            return SP_E_BAD_REQUEST;
        }
        if (e.type != SP_MP_NIL && !sp_mp_as_u64(&e, &seed)) {
            snprintf(err, err_sz, "field 'seed'[%u] must be an integer >= 0 or nil, got %s", i,
                     e.type == SP_MP_INT ? "a negative integer" : sp_mp_type_name(&e));
            return SP_E_BAD_REQUEST;
        }
    }
    return SP_OK;
}

void sp_decode_reset(const sp_request* req, sp_reset_request* out, char* err, size_t err_sz) {
    static const char* const keys[] = {"session", "seed", "options", "restore", "mask", NULL};
    const sp_mp_value* f[5];
    memset(out, 0, sizeof *out);
    out->end = req->end;
    sp_door* door = &out->door;
    if (session_head(req, keys, f, door, &out->session, err, err_sz)) return;
    out->seed = given(f[1]) ? f[1] : NULL;
    out->options = raw_of(f[2]);
    out->restore = given(f[3]) ? f[3] : NULL;
    if (out->restore && out->seed) {
        snprintf(err, err_sz, "fields 'seed' and 'restore' exclude each other");
        fault(door, SP_E_BAD_REQUEST, SP_RESET_AT_RESTORE);
        return;
    }
    if (out->restore && fault(door, check_restore(out->restore, req->end, err, err_sz),
                              SP_RESET_AT_RESTORE_ENTRIES))
        return;
    if (out->seed &&
        fault(door, check_seed_entries(out->seed, req->end, err, err_sz), SP_RESET_AT_SEED_ENTRIES))
        return;
    out->has_mask = flags(req, f[4], "mask", &out->mask, door, SP_RESET_AT_MASK,
                          SP_RESET_AT_MASK_VALUES, err, err_sz);
}

/* ---- step, render ---- */

void sp_decode_step(const sp_request* req, sp_step_request* out, char* err, size_t err_sz) {
    static const char* const keys[] = {"session", "actions", "seq", "active", NULL};
    const sp_mp_value* f[4];
    sp_door* door = &out->door;
    out->has_seq = out->has_active = false;
    if (session_head(req, keys, f, door, &out->session, err, err_sz)) return;
    out->has_seq = given(f[2]);
    if (out->has_seq &&
        fault(door, sp_value_u64(f[2], "seq", true, 0, UINT64_MAX, &out->seq, err, err_sz),
              SP_STEP_AT_SEQ))
        return;
    if (fault(door, required_array(req, f[1], "actions", &out->actions, err, err_sz),
              SP_STEP_AT_ACTIONS))
        return;
    out->has_active = flags(req, f[3], "active", &out->active, door, SP_STEP_AT_ACTIVE,
                            SP_STEP_AT_ACTIVE_VALUES, err, err_sz);
}

/* "envs": a list of 1 to SP_RENDER_MAX_FRAMES items; absent: [0]. */
static int read_envs(const sp_mp_value* v, const uint8_t* end, sp_render_request* out, char* err,
                     size_t err_sz) {
    out->count = 1;
    out->envs[0] = 0;
    if (!given(v)) return SP_OK;
    if (v->type != SP_MP_ARRAY || v->len == 0 || v->len > SP_RENDER_MAX_FRAMES) {
        snprintf(err, err_sz, "field 'envs' must be a list of 1 to %d env indices",
                 SP_RENDER_MAX_FRAMES);
        return SP_E_BAD_REQUEST;
    }
    sp_mp_reader r = {v->ptr, end, NULL};
    for (uint32_t j = 0; j < v->len; j++) {
        sp_mp_value e;
        if (sp_mp_read_whole(&r, &e) != SP_MP_OK || !sp_mp_as_u64(&e, &out->envs[j]))
            out->envs[j] = UINT64_MAX; /* no env's index */
    }
    out->count = (int)v->len;
    return SP_OK;
}

void sp_decode_render(const sp_request* req, sp_render_request* out, char* err, size_t err_sz) {
    static const char* const keys[] = {"session", "envs", "width", "height", NULL};
    const sp_mp_value* f[4];
    sp_door* door = &out->door;
    out->width = 600; /* Gymnasium's CartPole frame */
    out->height = 400;
    out->count = 0;
    if (session_head(req, keys, f, door, &out->session, err, err_sz) ||
        fault(door, read_envs(f[1], req->end, out, err, err_sz), SP_RENDER_AT_ENVS))
        return;
    int rc = sp_value_int(f[2], "width", false, 1, SP_RENDER_MAX_SIDE, &out->width, err, err_sz);
    if (rc == SP_OK)
        rc = sp_value_int(f[3], "height", false, 1, SP_RENDER_MAX_SIDE, &out->height, err, err_sz);
    fault(door, rc, SP_RENDER_AT_SIZE);
}

/* ---- send, recv ---- */

void sp_decode_send(const sp_request* req, sp_send_request* out, char* err, size_t err_sz) {
    static const char* const keys[] = {"session", "actions", "env_ids", "batch_size", NULL};
    const sp_mp_value* f[4];
    sp_door* door = &out->door;
    out->batch_size = NULL;
    if (session_head(req, keys, f, door, &out->session, err, err_sz) ||
        fault(door, required_array(req, f[2], "env_ids", &out->env_ids, err, err_sz),
              SP_SEND_AT_ENV_IDS) ||
        fault(door, required_array(req, f[1], "actions", &out->actions, err, err_sz),
              SP_SEND_AT_ACTIONS))
        return;
    out->batch_size = given(f[3]) ? f[3] : NULL;
}

void sp_decode_recv(const sp_request* req, sp_recv_request* out, char* err, size_t err_sz) {
    static const char* const keys[] = {"session", "batch_size", NULL};
    const sp_mp_value* f[2];
    out->batch_size = NULL;
    if (session_head(req, keys, f, &out->door, &out->session, err, err_sz)) return;
    out->batch_size = given(f[1]) ? f[1] : NULL;
}
