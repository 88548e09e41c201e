/* Transport faults (see transport.h): decoding them out of a make's faults list, and
 * deciding per step reply whether it is delayed or dropped. */

#include "transport.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "sandpit/mpread.h"
#include "service.h"
#include "sessions.h"

int sp_transport_kind(const char* name) {
    if (!strcmp(name, "reply_delay")) return SP_TRANSPORT_REPLY_DELAY;
    if (!strcmp(name, "reply_drop")) return SP_TRANSPORT_REPLY_DROP;
    return 0;
}

static int fail(char* err, size_t err_sz, const char* fmt, const char* path, const char* what) {
    snprintf(err, err_sz, fmt, path, what);
    return SP_E_BAD_REQUEST;
}

static bool cstr(const sp_mp_value* v, char* buf, size_t sz) {
    if (v->type != SP_MP_STR || v->len >= sz) return false;
    memcpy(buf, v->ptr, v->len);
    buf[v->len] = '\0';
    return true;
}

static bool number(const sp_mp_value* v, double* out) {
    if (v->type == SP_MP_INT) {
        *out = v->negative ? (double)v->i : (double)v->u;
        return true;
    }
    if (v->type == SP_MP_FLOAT) {
        *out = v->f;
        return true;
    }
    return false;
}

/* The kind of the fault map at `m` (a map header already read; `r` at its first key). */
static int map_kind(sp_mp_reader r, const sp_mp_value* m) {
    for (uint32_t k = 0; k < m->len; k++) {
        sp_mp_value key, v;
        if (sp_mp_read(&r, &key) != SP_MP_OK || sp_mp_read_whole(&r, &v) != SP_MP_OK) return 0;
        char name[32];
        if (sp_mp_str_eq(&key, "kind") && cstr(&v, name, sizeof name))
            return sp_transport_kind(name);
    }
    return 0;
}

static int read_schedule(const sp_mp_value* m, const uint8_t* end, const char* path,
                         sp_fault_schedule* s, int index, char* err, size_t err_sz) {
    char sub[160], name[32];
    if (m->type != SP_MP_MAP)
        return fail(err, err_sz, "%s: must be a map {type, ...}, got %s", path, sp_mp_type_name(m));
    *s = sp_default_fault_schedule();
    for (int pass = 0; pass < 2; pass++) {
        sp_mp_reader r = {m->ptr, end, NULL};
        for (uint32_t k = 0; k < m->len; k++) {
            sp_mp_value key, v;
            if (sp_mp_read(&r, &key) != SP_MP_OK || sp_mp_read_whole(&r, &v) != SP_MP_OK ||
                !cstr(&key, name, sizeof name))
                return fail(err, err_sz, "%s: %s", path, "keys must be strings");
            snprintf(sub, sizeof sub, "%s.%s", path, name);
            bool is_type = !strcmp(name, "type");
            if (pass == 0) {
                if (!is_type) continue;
                char t[24];
                int type = cstr(&v, t, sizeof t) ? sp_fault_schedule_type_from_name(t) : -1;
                if (type < 0)
                    return fail(err, err_sz, "%s: %s", sub,
                                "must be always, window, probability or periodic");
                s->type = (sp_fault_schedule_type)type;
                continue;
            }
            if (is_type) continue;
            const sp_fault_field* f = sp_fault_schedule_field_find(name);
            double x;
            if (!f || !(f->applies & SP_SCHEDULE_BIT(s->type)))
                return fail(err, err_sz, "%s: a %s schedule does not take it", sub,
                            sp_fault_schedule_type_name(s->type));
            if (!number(&v, &x) || sp_fault_field_set(f, s, x) != SP_OK)
                return fail(err, err_sz, "%s: %s", sub, "must be a number in range");
        }
    }
    if (sp_fault_schedule_check(s, index, err, err_sz) != SP_OK) return SP_E_BAD_REQUEST;
    return SP_OK;
}

static int read_transport(const sp_mp_value* m, const uint8_t* end, int index,
                          sp_transport_fault* f, char* err, size_t err_sz) {
    char path[32], sub[96], name[32];
    snprintf(path, sizeof path, "faults[%d]", index);
    memset(f, 0, sizeof *f);
    f->index = index;
    f->schedule = sp_default_fault_schedule();
    bool has_delay = false;
    sp_mp_reader r = {m->ptr, end, NULL};
    for (uint32_t k = 0; k < m->len; k++) {
        sp_mp_value key, v;
        if (sp_mp_read(&r, &key) != SP_MP_OK || sp_mp_read_whole(&r, &v) != SP_MP_OK ||
            !cstr(&key, name, sizeof name))
            return fail(err, err_sz, "%s: %s", path, "keys must be strings");
        snprintf(sub, sizeof sub, "%s.%s", path, name);
        int rc = SP_OK;
        double x;
        char t[SP_FAULT_MAX_TARGET];
        if (!strcmp(name, "kind")) {
            /* map_kind found a transport kind, but a map read by other means may hold a
             * second "kind" that is no string: `t` is read only when one was copied in. */
            if (!cstr(&v, t, sizeof t) || !(f->kind = sp_transport_kind(t)))
                rc = fail(err, err_sz, "%s: %s", sub, "must be reply_delay or reply_drop");
        } else if (!strcmp(name, "target")) {
            if (v.type != SP_MP_NIL && !(cstr(&v, t, sizeof t) && !strcmp(t, "*")))
                rc = fail(err, err_sz, "%s: %s", sub,
                          "a transport fault acts on the session's replies: omit it or give \"*\"");
        } else if (!strcmp(name, "schedule")) {
            rc = read_schedule(&v, end, sub, &f->schedule, index, err, err_sz);
        } else if (!strcmp(name, "delay_ms")) {
            has_delay = true;
            if (!number(&v, &x) || !(x >= 0 && x <= SP_TRANSPORT_MAX_DELAY_MS))
                rc = fail(err, err_sz, "%s: %s", sub, "must be a number of ms in [0, 60000]");
            f->delay_s = x / 1000.0;
        } else {
            rc = fail(err, err_sz, "%s: %s does not take it", sub, "a transport fault");
        }
        if (rc != SP_OK) return rc;
    }
    if (f->kind == SP_TRANSPORT_REPLY_DELAY && !has_delay)
        return fail(err, err_sz, "%s.delay_ms: %s", path, "reply_delay needs it");
    if (f->kind == SP_TRANSPORT_REPLY_DROP && has_delay)
        return fail(err, err_sz, "%s.delay_ms: %s", path, "reply_drop does not take it");
    return SP_OK;
}

int sp_transport_split(const uint8_t* raw, size_t len, sp_transport** out, uint8_t** rest,
                       size_t* rest_len, char* err, size_t err_sz) {
    *out = NULL;
    *rest = NULL;
    *rest_len = 0;
    sp_mp_reader r = sp_mp_reader_make(raw, len);
    sp_mp_value list;
    /* Anything malformed is left for the episode codec to name. */
    if (sp_mp_read(&r, &list) != SP_MP_OK || list.type != SP_MP_ARRAY) return SP_OK;
    sp_transport t = {0};
    const uint8_t* starts[SP_MAX_FAULTS + 1];
    const uint8_t* ends[SP_MAX_FAULTS + 1];
    int others = 0;
    for (uint32_t i = 0; i < list.len && i <= SP_MAX_FAULTS; i++) {
        const uint8_t* start = r.p;
        sp_mp_value m;
        if (sp_mp_read_whole(&r, &m) != SP_MP_OK) return SP_OK;
        int kind =
            m.type == SP_MP_MAP ? map_kind(sp_mp_reader_make(m.ptr, (size_t)(r.p - m.ptr)), &m) : 0;
        if (!kind) {
            starts[others] = start;
            ends[others++] = r.p;
            continue;
        }
        if (t.count == SP_TRANSPORT_MAX_FAULTS) {
            snprintf(err, err_sz, "faults[%u]: at most %d transport faults", i,
                     SP_TRANSPORT_MAX_FAULTS);
            return SP_E_BAD_REQUEST;
        }
        int rc = read_transport(&m, r.p, (int)i, &t.faults[t.count], err, err_sz);
        if (rc != SP_OK) return rc;
        t.count++;
    }
    if (t.count == 0 || list.len > SP_MAX_FAULTS) return SP_OK;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int bad = msgpack_pack_array(&pk, (size_t)others);
    for (int i = 0; !bad && i < others; i++)
        bad = msgpack_sbuffer_write(&sb, (const char*)starts[i], (size_t)(ends[i] - starts[i]));
    if (bad || !(*out = malloc(sizeof **out))) {
        msgpack_sbuffer_destroy(&sb);
        snprintf(err, err_sz, "out of memory");
        return SP_E_NO_MEMORY;
    }
    **out = t;
    *rest_len = sb.size;
    *rest = (uint8_t*)msgpack_sbuffer_release(&sb);
    return SP_OK;
}

static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Whether an occurrence of a probability schedule starts at step u. */
static bool starts_at(uint64_t seed, int index, int u, double p) {
    uint64_t h = mix(seed ^ mix(((uint64_t)(uint32_t)index << 32) | (uint32_t)u));
    return (double)(h >> 11) * 0x1.0p-53 < p;
}

static bool active(const sp_transport_fault* f, uint64_t seed, int t) {
    const sp_fault_schedule* s = &f->schedule;
    if (t < s->start || t >= s->end) return false;
    switch (s->type) {
    case SP_SCHEDULE_PERIODIC:
        return (t - s->start) % s->period < sp_fault_schedule_duty(s);
    case SP_SCHEDULE_PROBABILITY:
        for (int u = t; u >= s->start && u > t - s->duration; u--)
            if (starts_at(seed, f->index, u, s->probability)) return true;
        return false;
    default:
        return true;
    }
}

void sp_transport_apply(sp_service* svc, sp_session* s) {
    const sp_transport* tr = s->transport;
    int t = sp_episode_step_count(s->eps[0]);
    uint64_t seed = sp_episode_seed(s->eps[0]);
    for (int i = 0; i < tr->count; i++) {
        const sp_transport_fault* f = &tr->faults[i];
        if (!active(f, seed, t)) continue;
        if (f->kind == SP_TRANSPORT_REPLY_DROP)
            svc->reply_drop = true;
        else if (f->delay_s > svc->reply_delay_s)
            svc->reply_delay_s = f->delay_s;
    }
}
