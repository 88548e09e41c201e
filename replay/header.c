#include "header.h"

#include <limits.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "sandpit/mpread.h"
#include "sandpit/math.h"
#include "sandpit/version.h"

void rp_buf_free(rp_buf* b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int buf_write(void* data, const char* p, size_t n) {
    rp_buf* b = data;
    if (b->failed) return -1;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t* grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return -1;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void pack_str(msgpack_packer* pk, const char* s) {
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_bool(msgpack_packer* pk, bool v) {
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

/* Header keys, listed once: packed in this order, looked up by name when parsed. The third
 * column names the spec field a key carries (sandpit/env.h: SP_SPEC_SCALARS, the one
 * description of a spec that every output walks), packed from it by its kind; OWN keys are the
 * episode's. max_steps is the episode's: a config may shorten the spec's. */
#define HEADER_KEYS(X)                                                                             \
    X(H_SANDPIT, "sandpit", OWN)                                                                   \
    X(H_ENV, "env", SPEC(id))                                                                      \
    X(H_ENV_VERSION, "env_version", SPEC(version))                                                 \
    X(H_DT, "dt", SPEC(dt))                                                                        \
    X(H_ITERATIONS, "iterations", SPEC(iterations))                                                \
    X(H_FRAME_SKIP, "frame_skip", SPEC(frame_skip))                                                \
    X(H_MAX_STEPS, "max_steps", OWN)                                                               \
    X(H_SEED, "seed", OWN)                                                                         \
    X(H_SEED_STREAM, "seed_stream", OWN)                                                           \
    X(H_EPISODE, "episode", OWN)                                                                   \
    X(H_SENSORS, "sensors", OWN)                                                                   \
    X(H_SENSOR_NAMES, "sensor_names", OWN)                                                         \
    X(H_ACTION_KIND, "action_kind", OWN)                                                           \
    X(H_ACTIONS, "actions", OWN)                                                                   \
    X(H_ACTUATORS, "actuators", OWN)                                                               \
    X(H_ACTION_NAMES, "action_names", OWN)                                                         \
    X(H_OBSERVATIONS, "observations", OWN)                                                         \
    X(H_CONFIG, "config", OWN)                                                                     \
    X(H_ARCH, "arch", OWN)                                                                         \
    X(H_COMPILER, "compiler", OWN)                                                                 \
    X(H_MATH, "math", OWN)

/* Keys added in format 1.1, optional when reading. */
#define HEADER_OPTIONAL ((1u << H_ARCH) | (1u << H_COMPILER) | (1u << H_MATH))

enum {
#define HEADER_KEY_ENUM(sym, name, from) sym,
    HEADER_KEYS(HEADER_KEY_ENUM)
#undef HEADER_KEY_ENUM
        H_COUNT
};

static const char* const header_keys[H_COUNT] = {
#define HEADER_KEY_NAME(sym, name, from) name,
    HEADER_KEYS(HEADER_KEY_NAME)
#undef HEADER_KEY_NAME
};

enum {
#define SPEC_FIELD_ENUM(member, kind) SPEC_##member,
    SP_SPEC_SCALARS(SPEC_FIELD_ENUM)
#undef SPEC_FIELD_ENUM
};

#define SPEC(member) SPEC_##member
#define OWN (-1)
static const int header_spec_field[H_COUNT] = {
#define HEADER_KEY_FROM(sym, name, from) from,
    HEADER_KEYS(HEADER_KEY_FROM)
#undef HEADER_KEY_FROM
};
#undef OWN
#undef SPEC

static void pack_spec_field(msgpack_packer* pk, const sp_env_spec* s, int field) {
#define PACK_STR(v) pack_str(pk, v)
#define PACK_INT(v) msgpack_pack_int(pk, v)
#define PACK_F64(v) msgpack_pack_double(pk, v)
    switch (field) {
#define PACK_FIELD(member, kind)                                                                   \
    case SPEC_##member:                                                                            \
        PACK_##kind(s->member);                                                                    \
        break;
        SP_SPEC_SCALARS(PACK_FIELD)
#undef PACK_FIELD
    }
#undef PACK_F64
#undef PACK_INT
#undef PACK_STR
}

bool rp_pack_header(rp_buf* b, const rp_header_in* in) {
    const sp_env_spec* s = in->spec;
    bool discrete = s->action_kind == SP_ACTION_DISCRETE;
    b->len = 0;
    b->failed = false;
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, buf_write);
    /* "scene" is optional (C envs have none), so it stays out of the required keys. */
    msgpack_pack_map(&pk, H_COUNT + (in->scene ? 1 : 0));
    if (in->scene) {
        pack_str(&pk, "scene");
        msgpack_pack_str(&pk, in->scene_len);
        msgpack_pack_str_body(&pk, in->scene, in->scene_len);
    }
    for (int k = 0; k < H_COUNT; k++) {
        pack_str(&pk, header_keys[k]);
        if (header_spec_field[k] >= 0) {
            pack_spec_field(&pk, s, header_spec_field[k]);
            continue;
        }
        switch (k) {
        case H_SANDPIT:
            pack_str(&pk, SP_VERSION_STRING);
            break;
        case H_ARCH:
            pack_str(&pk, SP_BUILD_ARCH);
            break;
        case H_COMPILER: {
            char compiler[sizeof((sp_replay_header*)0)->compiler];
            snprintf(compiler, sizeof compiler, "%s", SP_BUILD_COMPILER);
            pack_str(&pk, compiler);
            break;
        }
        case H_MATH:
            pack_str(&pk, SP_MATH_ID);
            break;
        case H_MAX_STEPS:
            msgpack_pack_int(&pk, in->max_steps);
            break;
        case H_SEED:
            msgpack_pack_uint64(&pk, in->seed);
            break;
        case H_SEED_STREAM:
            msgpack_pack_array(&pk, 4);
            for (int i = 0; i < 4; i++)
                msgpack_pack_uint64(&pk, in->seed_stream.s[i]);
            break;
        case H_EPISODE:
            msgpack_pack_uint64(&pk, in->episode);
            break;
        case H_SENSORS:
            msgpack_pack_int(&pk, s->sensor_count);
            break;
        case H_SENSOR_NAMES:
            msgpack_pack_array(&pk, (size_t)s->sensor_count);
            for (int i = 0; i < s->sensor_count; i++)
                pack_str(&pk, s->sensors[i].name);
            break;
        case H_ACTION_KIND:
            pack_str(&pk, discrete ? "discrete" : "continuous");
            break;
        case H_ACTIONS:
            msgpack_pack_int(&pk, discrete ? s->action_count : 0);
            break;
        case H_ACTUATORS:
            msgpack_pack_int(&pk, discrete ? 0 : s->actuator_count);
            break;
        case H_ACTION_NAMES: {
            int n = discrete ? s->action_count : s->actuator_count;
            msgpack_pack_array(&pk, (size_t)n);
            for (int i = 0; i < n; i++)
                pack_str(&pk, discrete ? s->action_names[i] : s->actuators[i].name);
            break;
        }
        case H_OBSERVATIONS:
            pack_bool(&pk, in->observations);
            break;
        case H_CONFIG:
            /* Verbatim: the recorder checked at creation that it is one map. */
            if (in->config && in->config_size)
                buf_write(b, (const char*)in->config, in->config_size);
            else
                msgpack_pack_map(&pk, 0);
            break;
        }
    }
    return !b->failed;
}

static bool fail(char* err, size_t err_sz, const char* fmt, const char* key) {
    if (err && err_sz) snprintf(err, err_sz, fmt, key);
    return false;
}

static bool as_int(const sp_mp_value* v, long long lo, long long hi, long long* out) {
    if (v->type == SP_MP_INT && !v->negative && v->u <= (uint64_t)LLONG_MAX) {
        *out = (long long)v->u;
    } else if (v->type == SP_MP_INT && v->negative) {
        *out = v->i;
    } else {
        return false;
    }
    return *out >= lo && *out <= hi;
}

bool rp_parse_header(const uint8_t* data, size_t n, sp_replay_header* h, char* err, size_t err_sz) {
    memset(h, 0, sizeof *h);
    sp_mp_reader r = sp_mp_reader_make(data, n);
    sp_mp_value m, key, v;
    if (sp_mp_read(&r, &m) != SP_MP_OK || m.type != SP_MP_MAP)
        return fail(err, err_sz, "header is not a msgpack map%s", "");
    uint32_t seen = 0;
    long long names_want[2] = {-1, -1}; /* sensor_names, action_names: checked at the end */
    long long x = 0;
    for (uint32_t i = 0; i < m.len; i++) {
        if (sp_mp_read(&r, &key) != SP_MP_OK || key.type != SP_MP_STR)
            return fail(err, err_sz, "header has a key that is not a string%s", "");
        int k = 0;
        while (k < H_COUNT && !sp_mp_str_eq(&key, header_keys[k]))
            k++;
        if (k == H_COUNT && sp_mp_str_eq(&key, "scene")) {
            if (h->scene) return fail(err, err_sz, "header key '%s' appears twice", "scene");
            if (sp_mp_read(&r, &v) != SP_MP_OK || v.type != SP_MP_STR || v.len == 0)
                return fail(err, err_sz, "header key '%s' has a bad value", "scene");
            h->scene = (const char*)v.ptr;
            h->scene_len = v.len;
            continue;
        }
        if (k == H_COUNT) { /* unknown: from a newer minor version */
            if (sp_mp_skip(&r) != SP_MP_OK) return fail(err, err_sz, "header is cut short%s", "");
            continue;
        }
        if (seen & (1u << k))
            return fail(err, err_sz, "header key '%s' appears twice", header_keys[k]);
        seen |= 1u << k;
        const uint8_t* at = r.p;
        bool ok = true;
        if (k == H_SENSOR_NAMES || k == H_ACTION_NAMES) {
            ok = sp_mp_read(&r, &v) == SP_MP_OK && v.type == SP_MP_ARRAY;
            names_want[k == H_ACTION_NAMES] = ok ? (long long)v.len : -1;
            for (uint32_t j = 0; ok && j < v.len; j++) {
                sp_mp_value name;
                ok = sp_mp_read(&r, &name) == SP_MP_OK && name.type == SP_MP_STR;
            }
        } else if (k == H_SEED_STREAM) {
            ok = sp_mp_read(&r, &v) == SP_MP_OK && v.type == SP_MP_ARRAY && v.len == 4;
            for (int j = 0; ok && j < 4; j++) {
                sp_mp_value w;
                ok = sp_mp_read(&r, &w) == SP_MP_OK && w.type == SP_MP_INT && !w.negative;
                h->seed_stream.s[j] = w.u;
            }
        } else if (k == H_CONFIG) {
            ok = sp_mp_read(&r, &v) == SP_MP_OK && v.type == SP_MP_MAP;
            r.p = at;
            ok = ok && sp_mp_skip(&r) == SP_MP_OK;
            h->config = at;
            h->config_size = (size_t)(r.p - at);
        } else {
            ok = sp_mp_read(&r, &v) == SP_MP_OK;
        }
        if (!ok) return fail(err, err_sz, "header key '%s' has a bad value", header_keys[k]);
        switch (k) {
        case H_SANDPIT:
            ok = sp_mp_str_copy(&v, h->sandpit_version, sizeof h->sandpit_version);
            break;
        case H_ARCH:
            ok = sp_mp_str_copy(&v, h->arch, sizeof h->arch);
            break;
        case H_COMPILER:
            ok = sp_mp_str_copy(&v, h->compiler, sizeof h->compiler);
            break;
        case H_MATH:
            ok = sp_mp_str_copy(&v, h->math, sizeof h->math);
            break;
        case H_ENV:
            ok = sp_mp_str_copy(&v, h->env_id, sizeof h->env_id) && h->env_id[0];
            break;
        case H_ENV_VERSION:
            ok = as_int(&v, 0, INT_MAX, &x);
            h->env_version = (int)x;
            break;
        case H_DT:
            ok = v.type == SP_MP_FLOAT && isfinite(v.f) && v.f > 0;
            h->dt = v.f;
            break;
        case H_ITERATIONS:
            ok = as_int(&v, 1, INT_MAX, &x);
            h->iterations = (int)x;
            break;
        case H_FRAME_SKIP:
            ok = as_int(&v, 1, INT_MAX, &x);
            h->frame_skip = (int)x;
            break;
        case H_MAX_STEPS:
            ok = as_int(&v, 1, INT_MAX, &x);
            h->max_steps = (int)x;
            break;
        case H_SEED:
            ok = v.type == SP_MP_INT && !v.negative;
            h->seed = v.u;
            break;
        case H_EPISODE:
            ok = v.type == SP_MP_INT && !v.negative;
            h->episode = v.u;
            break;
        case H_SENSORS:
            ok = as_int(&v, 0, SP_MAX_SENSORS, &x);
            h->sensor_count = (int)x;
            break;
        case H_ACTION_KIND:
            ok = sp_mp_str_eq(&v, "discrete") || sp_mp_str_eq(&v, "continuous");
            h->action_kind =
                sp_mp_str_eq(&v, "discrete") ? SP_ACTION_DISCRETE : SP_ACTION_CONTINUOUS;
            break;
        case H_ACTIONS:
            ok = as_int(&v, 0, INT32_MAX, &x);
            h->action_count = (int)x;
            break;
        case H_ACTUATORS:
            ok = as_int(&v, 0, SP_MAX_ACTUATORS, &x);
            h->actuator_count = (int)x;
            break;
        case H_OBSERVATIONS:
            ok = v.type == SP_MP_BOOL;
            h->observations = v.b;
            break;
        default:
            break; /* names, seed stream, config: read above */
        }
        if (!ok) return fail(err, err_sz, "header key '%s' has a bad value", header_keys[k]);
    }
    if (r.p != r.end) return fail(err, err_sz, "header has bytes after its map%s", "");
    for (int k = 0; k < H_COUNT; k++)
        if (!(seen & (1u << k)) && !(HEADER_OPTIONAL & (1u << k)))
            return fail(err, err_sz, "header lacks '%s'", header_keys[k]);
    bool discrete = h->action_kind == SP_ACTION_DISCRETE;
    if (discrete ? h->action_count < 1 || h->actuator_count != 0
                 : h->actuator_count < 1 || h->action_count != 0)
        return fail(err, err_sz, "header's action counts do not fit its action_kind%s", "");
    if (names_want[0] != h->sensor_count)
        return fail(err, err_sz, "header's sensor_names do not match 'sensors'%s", "");
    if (names_want[1] != (discrete ? h->action_count : h->actuator_count))
        return fail(err, err_sz, "header's action_names do not match its action counts%s", "");
    return true;
}

/* Footer keys, listed once. */
#define FOOTER_KEYS(X)                                                                             \
    X(F_STEPS, "steps")                                                                            \
    X(F_RETURN, "return")                                                                          \
    X(F_TERMINATED, "terminated")                                                                  \
    X(F_TRUNCATED, "truncated")                                                                    \
    X(F_REASON, "reason")                                                                          \
    X(F_ENDED, "ended")                                                                            \
    X(F_EVENTS_DROPPED, "events_dropped")

enum {
#define FOOTER_KEY_ENUM(sym, name) sym,
    FOOTER_KEYS(FOOTER_KEY_ENUM)
#undef FOOTER_KEY_ENUM
        F_COUNT
};

static const char* const footer_keys[F_COUNT] = {
#define FOOTER_KEY_NAME(sym, name) name,
    FOOTER_KEYS(FOOTER_KEY_NAME)
#undef FOOTER_KEY_NAME
};

bool rp_pack_footer(rp_buf* b, const sp_replay_footer* f) {
    b->len = 0;
    b->failed = false;
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, buf_write);
    msgpack_pack_map(&pk, F_COUNT);
    for (int k = 0; k < F_COUNT; k++) {
        pack_str(&pk, footer_keys[k]);
        switch (k) {
        case F_STEPS:
            msgpack_pack_int(&pk, f->steps);
            break;
        case F_RETURN:
            msgpack_pack_double(&pk, f->episode_return);
            break;
        case F_TERMINATED:
            pack_bool(&pk, f->terminated);
            break;
        case F_TRUNCATED:
            pack_bool(&pk, f->truncated);
            break;
        case F_REASON:
            if (f->reason[0])
                pack_str(&pk, f->reason);
            else
                msgpack_pack_nil(&pk);
            break;
        case F_ENDED:
            pack_str(&pk, f->ended);
            break;
        case F_EVENTS_DROPPED:
            msgpack_pack_uint64(&pk, f->events_dropped);
            break;
        }
    }
    return !b->failed;
}

bool rp_parse_footer(const uint8_t* data, size_t n, sp_replay_footer* f, char* err, size_t err_sz) {
    memset(f, 0, sizeof *f);
    sp_mp_reader r = sp_mp_reader_make(data, n);
    sp_mp_value m, key, v;
    if (sp_mp_read(&r, &m) != SP_MP_OK || m.type != SP_MP_MAP)
        return fail(err, err_sz, "footer is not a msgpack map%s", "");
    uint32_t seen = 0;
    long long x = 0;
    for (uint32_t i = 0; i < m.len; i++) {
        if (sp_mp_read(&r, &key) != SP_MP_OK || key.type != SP_MP_STR)
            return fail(err, err_sz, "footer has a key that is not a string%s", "");
        int k = 0;
        while (k < F_COUNT && !sp_mp_str_eq(&key, footer_keys[k]))
            k++;
        if (k == F_COUNT) {
            if (sp_mp_skip(&r) != SP_MP_OK) return fail(err, err_sz, "footer is cut short%s", "");
            continue;
        }
        if (seen & (1u << k))
            return fail(err, err_sz, "footer key '%s' appears twice", footer_keys[k]);
        seen |= 1u << k;
        bool ok = sp_mp_read(&r, &v) == SP_MP_OK;
        switch (k) {
        case F_STEPS:
            ok = ok && as_int(&v, 0, INT_MAX, &x);
            f->steps = (int)x;
            break;
        case F_RETURN:
            ok = ok && v.type == SP_MP_FLOAT;
            f->episode_return = v.f;
            break;
        case F_TERMINATED:
            ok = ok && v.type == SP_MP_BOOL;
            f->terminated = v.b;
            break;
        case F_TRUNCATED:
            ok = ok && v.type == SP_MP_BOOL;
            f->truncated = v.b;
            break;
        case F_REASON:
            ok = ok && (v.type == SP_MP_NIL || sp_mp_str_copy(&v, f->reason, sizeof f->reason));
            break;
        case F_ENDED:
            ok = ok &&
                 (sp_mp_str_eq(&v, "done") || sp_mp_str_eq(&v, "reset") ||
                  sp_mp_str_eq(&v, "closed")) &&
                 sp_mp_str_copy(&v, f->ended, sizeof f->ended);
            break;
        case F_EVENTS_DROPPED:
            ok = ok && v.type == SP_MP_INT && !v.negative;
            f->events_dropped = v.u;
            break;
        }
        if (!ok) return fail(err, err_sz, "footer key '%s' has a bad value", footer_keys[k]);
    }
    if (r.p != r.end) return fail(err, err_sz, "footer has bytes after its map%s", "");
    for (int k = 0; k < F_COUNT; k++)
        if (!(seen & (1u << k))) return fail(err, err_sz, "footer lacks '%s'", footer_keys[k]);
    return true;
}

bool rp_is_one_map(const uint8_t* data, size_t n) {
    sp_mp_reader r = sp_mp_reader_make(data, n);
    sp_mp_value v;
    if (sp_mp_read(&r, &v) != SP_MP_OK || v.type != SP_MP_MAP) return false;
    r.p = data;
    return sp_mp_skip(&r) == SP_MP_OK && r.p == r.end;
}
