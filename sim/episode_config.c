/* The episode config codec (include/sandpit/episode_config.h): strict decoding of guardrails,
 * faults and info from msgpack, their canonical encoding for replay headers, and building the
 * guard and fault layers on an episode, for the server and replay verification alike. The
 * runtime's job, so it lives in sim/; replay adds the recorder (replay/episode_layers.c). */

#include "sandpit/episode_config.h"

#include <inttypes.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/mpread.h"
#include "sandpit/error.h"

/* ---- errors ---- */

static int fail(char* err, size_t err_sz, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char* err, size_t err_sz, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && err_sz) vsnprintf(err, err_sz, fmt, ap);
    va_end(ap);
    return SP_E_BAD_ARGUMENT;
}

/* Client text in a message: printable ASCII only, cut with "...". */
static void quote(char* out, size_t out_sz, const sp_mp_value* v) {
    size_t n = v->len, k = 0;
    size_t keep = out_sz - 1;
    bool cut = n > keep;
    if (cut) keep = keep > 3 ? keep - 3 : 0;
    for (; k < keep && k < n; k++)
        out[k] = (v->ptr[k] >= 0x20 && v->ptr[k] < 0x7f) ? (char)v->ptr[k] : '?';
    if (cut)
        for (int d = 0; d < 3 && k + 1 < out_sz; d++)
            out[k++] = '.';
    out[k] = '\0';
}

/* A string value as a C string (no NUL inside, at most out_sz - 1 bytes). */
static bool cstr(const sp_mp_value* v, char* out, size_t out_sz) {
    if (v->type != SP_MP_STR || v->len >= out_sz || memchr(v->ptr, 0, v->len)) return false;
    memcpy(out, v->ptr, v->len);
    out[v->len] = '\0';
    return true;
}

static bool as_number(const sp_mp_value* v, double* out) {
    if (v->type == SP_MP_INT)
        *out = v->negative ? (double)v->i : (double)v->u;
    else if (v->type == SP_MP_FLOAT)
        *out = v->f;
    else
        return false;
    return true;
}

static bool as_int(const sp_mp_value* v, int64_t* out) {
    if (v->type == SP_MP_INT && !v->negative && v->u <= (uint64_t)INT64_MAX)
        *out = (int64_t)v->u;
    else if (v->type == SP_MP_INT && v->negative)
        *out = v->i;
    else
        return false;
    return true;
}

/* Reads one map key (a string). */
static int read_key(sp_mp_reader* r, const char* path, char* key, size_t key_sz, char* err,
                    size_t err_sz) {
    sp_mp_value k;
    if (sp_mp_read(r, &k) != SP_MP_OK) return fail(err, err_sz, "%s: not valid msgpack", path);
    if (k.type != SP_MP_STR) return fail(err, err_sz, "%s: keys must be strings", path);
    if (!cstr(&k, key, key_sz)) {
        char q[48];
        quote(q, sizeof q, &k);
        return fail(err, err_sz, "%s: unknown key '%s'", path, q);
    }
    return SP_OK;
}

static int read_value(sp_mp_reader* r, const char* path, sp_mp_value* v, char* err, size_t err_sz) {
    if (sp_mp_read(r, v) != SP_MP_OK) return fail(err, err_sz, "%s: not valid msgpack", path);
    return SP_OK;
}

/* ---- guardrails ---- */

#define P(x) (1u << (x))

static int read_policy(const sp_mp_value* v, const char* path, unsigned allowed, int* out,
                       char* err, size_t err_sz) {
    char name[24], list[96] = "";
    for (int p = 1; p <= SP_GUARD_POLICY_COUNT; p++)
        if (allowed & P(p)) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                     sp_guard_policy_name(p));
        }
    int p = cstr(v, name, sizeof name) ? sp_guard_policy_from_name(name) : -1;
    if (p < 0 || !(allowed & P(p))) {
        if (v->type != SP_MP_STR)
            return fail(err, err_sz, "%s: must be a policy name (%s), got %s", path, list,
                        sp_mp_type_name(v));
        char q[32];
        quote(q, sizeof q, v);
        return fail(err, err_sz, "%s: must be one of %s, got '%s'", path, list, q);
    }
    *out = p;
    return SP_OK;
}

/* A limit: a number >= 0 (+Inf never trips; NaN is refused). */
static int read_limit(const sp_mp_value* v, const char* path, double* out, char* err,
                      size_t err_sz) {
    double x;
    if (!as_number(v, &x))
        return fail(err, err_sz, "%s: must be a number, got %s", path, sp_mp_type_name(v));
    if (!(x >= 0.0)) return fail(err, err_sz, "%s: must be >= 0 (got %g)", path, x);
    *out = x;
    return SP_OK;
}

static const unsigned CLIP_REJECT_TERMINATE =
    P(SP_GUARD_POLICY_CLIP) | P(SP_GUARD_POLICY_REJECT) | P(SP_GUARD_POLICY_TERMINATE);

static int read_actuator(sp_mp_reader* r, const sp_mp_value* m, const char* path,
                         sp_guard_actuator* a, char* err, size_t err_sz) {
    if (m->type != SP_MP_MAP)
        return fail(err, err_sz, "%s: must be a map, got %s", path, sp_mp_type_name(m));
    for (uint32_t k = 0; k < m->len; k++) {
        char key[32], sub[192];
        sp_mp_value v;
        int rc = read_key(r, path, key, sizeof key, err, err_sz);
        if (rc) return rc;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        if ((rc = read_value(r, sub, &v, err, err_sz))) return rc;
        int pol = 0;
        if (!strcmp(key, "bounds")) {
            rc = read_policy(&v, sub, CLIP_REJECT_TERMINATE, &pol, err, err_sz);
            a->bounds = (sp_guard_policy)pol;
        } else if (!strcmp(key, "nonfinite")) {
            rc = read_policy(&v, sub, P(SP_GUARD_POLICY_REJECT) | P(SP_GUARD_POLICY_TERMINATE),
                             &pol, err, err_sz);
            a->nonfinite = (sp_guard_policy)pol;
        } else if (!strcmp(key, "rate")) {
            rc = read_policy(&v, sub, CLIP_REJECT_TERMINATE, &pol, err, err_sz);
            a->rate = (sp_guard_policy)pol;
        } else if (!strcmp(key, "max_delta")) {
            rc = read_limit(&v, sub, &a->max_delta, err, err_sz);
        } else if (!strcmp(key, "budget_weight")) {
            rc = read_limit(&v, sub, &a->budget_weight, err, err_sz);
            if (!rc && !isfinite(a->budget_weight))
                rc = fail(err, err_sz, "%s: must be finite", sub);
        } else {
            return fail(err, err_sz,
                        "%s: unknown key (known: bounds, nonfinite, max_delta, rate, "
                        "budget_weight)",
                        sub);
        }
        if (rc) return rc;
    }
    return SP_OK;
}

/* "actuators": {name or "*": {...}}. "*" applies to every channel first, names after it. */
static int read_actuators(const sp_mp_value* m, const sp_mp_reader* at, const sp_env_spec* spec,
                          sp_guard_def* d, char* err, size_t err_sz) {
    const char* path = "guardrails.actuators";
    if (m->type != SP_MP_MAP)
        return fail(err, err_sz, "%s: must be a map of actuator name to guardrails, got %s", path,
                    sp_mp_type_name(m));
    bool discrete = spec->action_kind == SP_ACTION_DISCRETE;
    for (int pass = 0; pass < 2; pass++) {
        sp_mp_reader r = *at;
        for (uint32_t k = 0; k < m->len; k++) {
            char key[64], sub[160];
            int rc = read_key(&r, path, key, sizeof key, err, err_sz);
            if (rc) return rc;
            bool all = !strcmp(key, "*");
            int channel = -1;
            for (int c = 0; !all && !discrete && c < spec->actuator_count; c++)
                if (!strcmp(spec->actuators[c].name, key)) channel = c;
            snprintf(sub, sizeof sub, "%s.%s", path, key);
            if (!all && channel < 0) {
                if (discrete)
                    return fail(err, err_sz,
                                "%s: %s's action is a discrete index: it has no actuator "
                                "channels (only \"*\", which does nothing)",
                                sub, spec->id);
                char names[256] = "";
                for (int c = 0; c < spec->actuator_count; c++) {
                    size_t used = strlen(names);
                    snprintf(names + used, sizeof names - used, "%s%s", c ? ", " : "",
                             spec->actuators[c].name);
                }
                return fail(err, err_sz, "%s: %s has no actuator of that name (%s, or *)", sub,
                            spec->id, names);
            }
            if (pass == (all ? 0 : 1)) {
                sp_mp_value v;
                if ((rc = read_value(&r, sub, &v, err, err_sz))) return rc;
                sp_guard_actuator a = all ? d->actuators[0] : d->actuators[channel];
                if ((rc = read_actuator(&r, &v, sub, &a, err, err_sz))) return rc;
                if (all)
                    for (int c = 0; c < SP_MAX_ACTUATORS; c++)
                        d->actuators[c] = a;
                else
                    d->actuators[channel] = a;
            } else if (sp_mp_skip(&r) != SP_MP_OK) {
                return fail(err, err_sz, "%s: not valid msgpack", sub);
            }
        }
    }
    return SP_OK;
}

static int read_constraint(sp_mp_reader* r, const sp_mp_value* m, const sp_env_spec* spec,
                           sp_episode_config* c, char* err, size_t err_sz) {
    const char* path = "guardrails.constraint";
    if (m->type == SP_MP_NIL) {
        c->constraint.sensor = -1;
        return SP_OK;
    }
    if (m->type != SP_MP_MAP)
        return fail(err, err_sz, "%s: must be a map {sensor, low, high, limit, policy}, got %s",
                    path, sp_mp_type_name(m));
    sp_config_constraint k = {-1, -INFINITY, INFINITY};
    double limit = 0.0;
    int policy = SP_GUARD_POLICY_COUNT;
    for (uint32_t i = 0; i < m->len; i++) {
        char key[32], sub[96];
        sp_mp_value v;
        int rc = read_key(r, path, key, sizeof key, err, err_sz);
        if (rc) return rc;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        if ((rc = read_value(r, sub, &v, err, err_sz))) return rc;
        if (!strcmp(key, "sensor")) {
            char name[64];
            if (v.type != SP_MP_STR)
                return fail(err, err_sz, "%s: must be a sensor name, got %s", sub,
                            sp_mp_type_name(&v));
            if (cstr(&v, name, sizeof name))
                for (int s = 0; s < spec->sensor_count; s++)
                    if (!strcmp(spec->sensors[s].name, name)) k.sensor = s;
            if (k.sensor < 0) {
                char q[48];
                quote(q, sizeof q, &v);
                return fail(err, err_sz, "%s: %s has no sensor '%s'", sub, spec->id, q);
            }
        } else if (!strcmp(key, "low") || !strcmp(key, "high")) {
            double x;
            if (!as_number(&v, &x) || isnan(x))
                return fail(err, err_sz, "%s: must be a number, got %s", sub, sp_mp_type_name(&v));
            *(key[0] == 'l' ? &k.low : &k.high) = x;
        } else if (!strcmp(key, "limit")) {
            if ((rc = read_limit(&v, sub, &limit, err, err_sz))) return rc;
        } else if (!strcmp(key, "policy")) {
            rc = read_policy(&v, sub, P(SP_GUARD_POLICY_COUNT) | P(SP_GUARD_POLICY_TERMINATE),
                             &policy, err, err_sz);
            if (rc) return rc;
        } else {
            return fail(err, err_sz, "%s: unknown key (known: sensor, low, high, limit, policy)",
                        sub);
        }
    }
    if (k.sensor < 0) return fail(err, err_sz, "%s.sensor: a constraint needs it", path);
    if (!(k.low <= k.high))
        return fail(err, err_sz, "%s.high: must be >= low (%g > %g)", path, k.low, k.high);
    c->constraint = k;
    c->guard.constraint_limit = limit;
    c->guard.constraint = (sp_guard_policy)policy;
    return SP_OK;
}

void sp_episode_config_default_guardrails(sp_episode_config* c, const sp_env_spec* spec) {
    c->guard = sp_default_guard_def(spec);
    c->has_guard = true;
    c->constraint.sensor = -1;
    /* The env's first declared constraint, counted as cost (never terminating). */
    if (spec && spec->constraint_count > 0) {
        const sp_constraint* k = &spec->constraints[0];
        c->constraint = (sp_config_constraint){k->sensor, k->low, k->high};
        c->guard.constraint_limit = 0.0;
        c->guard.constraint = SP_GUARD_POLICY_COUNT;
    }
}

int sp_episode_config_decode_guardrails(sp_episode_config* c, const sp_env_spec* spec,
                                        const void* data, size_t n, char* err, size_t err_sz) {
    const char* path = "guardrails";
    sp_mp_reader r = sp_mp_reader_make(data, n);
    sp_mp_value m;
    if (sp_mp_read(&r, &m) != SP_MP_OK) return fail(err, err_sz, "%s: not valid msgpack", path);
    if (m.type != SP_MP_MAP)
        return fail(err, err_sz, "%s: must be a map, got %s", path, sp_mp_type_name(&m));
    sp_episode_config_default_guardrails(c, spec);
    for (uint32_t k = 0; k < m.len; k++) {
        char key[32], sub[64];
        sp_mp_value v;
        int rc = read_key(&r, path, key, sizeof key, err, err_sz);
        if (rc) return rc;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        sp_mp_reader at = r;
        if ((rc = read_value(&r, sub, &v, err, err_sz))) return rc;
        int x;
        int64_t i;
        if (!strcmp(key, "actuators")) {
            sp_mp_reader body = r;
            rc = read_actuators(&v, &body, spec, &c->guard, err, err_sz);
            r = at;
            if (!rc && sp_mp_skip(&r) != SP_MP_OK)
                rc = fail(err, err_sz, "%s: not valid msgpack", sub);
        } else if (!strcmp(key, "constraint")) {
            rc = read_constraint(&r, &v, spec, c, err, err_sz);
        } else if (!strcmp(key, "budget")) {
            char name[16];
            x = cstr(&v, name, sizeof name) ? sp_guard_budget_from_name(name) : -1;
            if (x < 0)
                rc = fail(err, err_sz, "%s: must be none, abs, square or actions", sub);
            else
                c->guard.budget = (sp_guard_budget)x;
        } else if (!strcmp(key, "budget_limit")) {
            rc = read_limit(&v, sub, &c->guard.budget_limit, err, err_sz);
        } else if (!strcmp(key, "budget_policy")) {
            rc = read_policy(&v, sub, P(SP_GUARD_POLICY_TERMINATE) | P(SP_GUARD_POLICY_ZERO), &x,
                             err, err_sz);
            c->guard.budget_policy = (sp_guard_policy)x;
        } else if (!strcmp(key, "budget_noop")) {
            if (!as_int(&v, &i) || i < -1 || i > INT32_MAX)
                rc = fail(err, err_sz, "%s: must be an integer >= -1", sub);
            else
                c->guard.budget_noop = (int)i;
        } else if (!strcmp(key, "wall_clock_s")) {
            rc = read_limit(&v, sub, &c->guard.wall_clock_s, err, err_sz);
        } else if (!strcmp(key, "cpu_s")) {
            rc = read_limit(&v, sub, &c->guard.cpu_s, err, err_sz);
        } else if (!strcmp(key, "step_compute_s")) {
            rc = read_limit(&v, sub, &c->guard.step_compute_s, err, err_sz);
        } else if (!strcmp(key, "step_compute")) {
            rc = read_policy(&v, sub, P(SP_GUARD_POLICY_COUNT) | P(SP_GUARD_POLICY_TRUNCATE), &x,
                             err, err_sz);
            c->guard.step_compute = (sp_guard_policy)x;
        } else if (!strcmp(key, "physics_sanity")) {
            if (v.type != SP_MP_BOOL)
                rc = fail(err, err_sz, "%s: must be a boolean, got %s", sub, sp_mp_type_name(&v));
            else
                c->guard.physics_sanity = v.b;
        } else if (!strcmp(key, "max_speed")) {
            rc = read_limit(&v, sub, &c->guard.max_speed, err, err_sz);
        } else if (!strcmp(key, "max_angular_speed")) {
            rc = read_limit(&v, sub, &c->guard.max_angular_speed, err, err_sz);
        } else if (!strcmp(key, "max_kinetic_energy")) {
            rc = read_limit(&v, sub, &c->guard.max_kinetic_energy, err, err_sz);
        } else {
            rc = fail(err, err_sz,
                      "%s: unknown key (known: actuators, budget, budget_limit, budget_policy, "
                      "budget_noop, wall_clock_s, cpu_s, step_compute_s, step_compute, "
                      "physics_sanity, max_speed, max_angular_speed, max_kinetic_energy, "
                      "constraint)",
                      sub);
        }
        if (rc) return rc;
    }
    if (r.p != r.end) return fail(err, err_sz, "%s: trailing bytes", path);
    /* What the table cannot see (a budget without a limit, a discrete budget kind): the
     * guard's own validation, with its message. */
    sp_guard_def def = sp_episode_config_guard_def(c);
    sp_guard* g = sp_guard_create(&def, spec, err, err_sz);
    if (!g) return SP_E_BAD_ARGUMENT;
    sp_guard_destroy(g);
    c->has_guard = true;
    return SP_OK;
}

/* ---- faults ---- */

static int read_field(const sp_fault_field* f, void* base, const sp_mp_value* v, const char* path,
                      char* err, size_t err_sz) {
    double x;
    if (f->type == SP_FAULT_CHOICE) {
        char name[32], list[96] = "";
        for (int c = 0; f->choices[c]; c++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", c ? ", " : "", f->choices[c]);
        }
        int value = cstr(v, name, sizeof name) ? sp_fault_choice_value(f, name) : -1;
        if (value < 0) return fail(err, err_sz, "%s: must be one of %s", path, list);
        x = value;
    } else if (f->type == SP_FAULT_INT) {
        int64_t i;
        if (!as_int(v, &i) || i < INT32_MIN + 1 || i > INT32_MAX)
            return fail(err, err_sz, "%s: must be an integer, got %s", path,
                        v->type == SP_MP_INT ? "one out of range" : sp_mp_type_name(v));
        x = (double)i;
    } else {
        if (!as_number(v, &x))
            return fail(err, err_sz, "%s: must be a number, got %s", path, sp_mp_type_name(v));
        if (isnan(x)) return fail(err, err_sz, "%s: must not be NaN", path);
    }
    if (sp_fault_field_set(f, base, x) != SP_OK)
        return fail(err, err_sz, "%s: value out of range", path);
    return SP_OK;
}

static int read_schedule(sp_mp_reader* r, const sp_mp_value* m, const char* path,
                         sp_fault_schedule* s, char* err, size_t err_sz) {
    if (m->type != SP_MP_MAP)
        return fail(err, err_sz, "%s: must be a map {type, ...}, got %s", path, sp_mp_type_name(m));
    /* "type" first, wherever it sits: the other fields are checked against it. */
    sp_mp_reader at = *r;
    int type = SP_SCHEDULE_ALWAYS;
    for (uint32_t k = 0; k < m->len; k++) {
        char key[32], sub[96];
        int rc = read_key(r, path, key, sizeof key, err, err_sz);
        if (rc) return rc;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        if (strcmp(key, "type")) {
            if (sp_mp_skip(r) != SP_MP_OK) return fail(err, err_sz, "%s: not valid msgpack", sub);
            continue;
        }
        sp_mp_value v;
        if ((rc = read_value(r, sub, &v, err, err_sz))) return rc;
        char name[24];
        type = cstr(&v, name, sizeof name) ? sp_fault_schedule_type_from_name(name) : -1;
        if (type < 0)
            return fail(err, err_sz, "%s: must be always, window, probability or periodic", sub);
    }
    *r = at;
    *s = sp_default_fault_schedule();
    s->type = (sp_fault_schedule_type)type;
    for (uint32_t k = 0; k < m->len; k++) {
        char key[32], sub[96];
        int rc = read_key(r, path, key, sizeof key, err, err_sz);
        if (rc) return rc;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        sp_mp_value v;
        if ((rc = read_value(r, sub, &v, err, err_sz))) return rc;
        if (!strcmp(key, "type")) continue;
        const sp_fault_field* f = sp_fault_schedule_field_find(key);
        if (!f || !(f->applies & SP_SCHEDULE_BIT(type)))
            return fail(err, err_sz, "%s: a %s schedule does not take it", sub,
                        sp_fault_schedule_type_name(type));
        if ((rc = read_field(f, s, &v, sub, err, err_sz))) return rc;
    }
    return SP_OK;
}

static int read_fault(sp_mp_reader* r, const sp_mp_value* m, int index, sp_episode_config* c,
                      char* err, size_t err_sz) {
    char path[32];
    snprintf(path, sizeof path, "faults[%d]", index);
    if (m->type != SP_MP_MAP)
        return fail(err, err_sz, "%s: must be a map {kind, target, schedule, ...}, got %s", path,
                    sp_mp_type_name(m));
    /* The kind first: the defaults and the parameters it takes follow from it. */
    sp_mp_reader at = *r;
    int kind = 0;
    for (uint32_t k = 0; k < m->len; k++) {
        char key[32], sub[64];
        int rc = read_key(r, path, key, sizeof key, err, err_sz);
        if (rc) return rc;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        if (strcmp(key, "kind")) {
            if (sp_mp_skip(r) != SP_MP_OK) return fail(err, err_sz, "%s: not valid msgpack", sub);
            continue;
        }
        sp_mp_value v;
        if ((rc = read_value(r, sub, &v, err, err_sz))) return rc;
        char name[32];
        kind = cstr(&v, name, sizeof name) ? sp_fault_kind_from_name(name) : 0;
        if (kind <= 0) {
            char list[320] = "";
            for (int k2 = 1; k2 < SP_FAULT_KIND_SLOTS; k2++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", k2 > 1 ? ", " : "",
                         sp_fault_kind_name(k2));
            }
            return fail(err, err_sz, "%s: must be one of %s", sub, list);
        }
    }
    if (kind <= 0) return fail(err, err_sz, "%s.kind: every fault needs it", path);
    *r = at;
    sp_fault_def* d = &c->faults[index];
    *d = sp_default_fault_def((sp_fault_kind)kind);
    strcpy(c->targets[index], "*");
    for (uint32_t k = 0; k < m->len; k++) {
        char key[32], sub[64];
        int rc = read_key(r, path, key, sizeof key, err, err_sz);
        if (rc) return rc;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        sp_mp_value v;
        if ((rc = read_value(r, sub, &v, err, err_sz))) return rc;
        if (!strcmp(key, "kind")) continue;
        if (!strcmp(key, "target")) {
            if (v.type == SP_MP_NIL) continue;
            if (v.type != SP_MP_STR)
                return fail(err, err_sz, "%s: must be a string (a glob over channel names), got %s",
                            sub, sp_mp_type_name(&v));
            if (!cstr(&v, c->targets[index], sizeof c->targets[index]))
                return fail(err, err_sz, "%s: at most %d characters, without NUL", sub,
                            SP_FAULT_MAX_TARGET);
        } else if (!strcmp(key, "schedule")) {
            if (v.type == SP_MP_NIL) continue;
            if ((rc = read_schedule(r, &v, sub, &d->schedule, err, err_sz))) return rc;
        } else {
            const sp_fault_field* f = sp_fault_param_find(key);
            if (!f || !(f->applies & SP_FAULT_BIT(kind)))
                return fail(err, err_sz, "%s: %s does not take it", sub, sp_fault_kind_name(kind));
            if ((rc = read_field(f, d, &v, sub, err, err_sz))) return rc;
        }
    }
    return SP_OK;
}

int sp_episode_config_decode_faults(sp_episode_config* c, const sp_env_spec* spec, const void* data,
                                    size_t n, char* err, size_t err_sz) {
    sp_mp_reader r = sp_mp_reader_make(data, n);
    sp_mp_value a;
    if (sp_mp_read(&r, &a) != SP_MP_OK) return fail(err, err_sz, "faults: not valid msgpack");
    if (a.type != SP_MP_ARRAY)
        return fail(err, err_sz, "faults: must be a list of fault maps, got %s",
                    sp_mp_type_name(&a));
    if (a.len > SP_MAX_FAULTS)
        return fail(err, err_sz, "faults: at most %d faults, got %" PRIu32, SP_MAX_FAULTS, a.len);
    for (uint32_t i = 0; i < a.len; i++) {
        sp_mp_value m;
        char path[32];
        snprintf(path, sizeof path, "faults[%" PRIu32 "]", i);
        int rc = read_value(&r, path, &m, err, err_sz);
        if (rc || (rc = read_fault(&r, &m, (int)i, c, err, err_sz))) return rc;
    }
    if (r.p != r.end) return fail(err, err_sz, "faults: trailing bytes");
    c->fault_count = (int)a.len;
    int rc = sp_faults_validate(sp_episode_config_fault_defs(c), c->fault_count, spec, err, err_sz);
    if (rc != SP_OK) return SP_E_BAD_ARGUMENT;
    c->has_faults = true;
    return SP_OK;
}

int sp_episode_config_decode_info(sp_episode_config* c, const void* data, size_t n, char* err,
                                  size_t err_sz) {
    sp_mp_reader r = sp_mp_reader_make(data, n);
    sp_mp_value m;
    if (sp_mp_read(&r, &m) != SP_MP_OK) return fail(err, err_sz, "info: not valid msgpack");
    if (m.type != SP_MP_MAP)
        return fail(err, err_sz, "info: must be a map {sensor_valid, faults}, got %s",
                    sp_mp_type_name(&m));
    for (uint32_t k = 0; k < m.len; k++) {
        char key[32], sub[64];
        sp_mp_value v;
        int rc = read_key(&r, "info", key, sizeof key, err, err_sz);
        if (rc) return rc;
        snprintf(sub, sizeof sub, "info.%s", key);
        if ((rc = read_value(&r, sub, &v, err, err_sz))) return rc;
        bool* slot = !strcmp(key, "sensor_valid") ? &c->info_sensor_valid
                     : !strcmp(key, "faults")     ? &c->info_faults
                                                  : NULL;
        if (!slot) return fail(err, err_sz, "%s: unknown key (known: sensor_valid, faults)", sub);
        if (v.type != SP_MP_BOOL)
            return fail(err, err_sz, "%s: must be a boolean, got %s", sub, sp_mp_type_name(&v));
        *slot = v.b;
    }
    if (r.p != r.end) return fail(err, err_sz, "info: trailing bytes");
    /* Reporting on faults needs the layer, even with no fault in the list. */
    if (c->info_sensor_valid || c->info_faults) c->has_faults = true;
    return SP_OK;
}

int sp_episode_config_decode(sp_episode_config* c, const sp_env_spec* spec, const void* data,
                             size_t n, char* err, size_t err_sz) {
    sp_episode_config_clear(c);
    sp_mp_reader r = sp_mp_reader_make(data, n);
    sp_mp_value m;
    if (sp_mp_read(&r, &m) != SP_MP_OK) return fail(err, err_sz, "config: not valid msgpack");
    if (m.type != SP_MP_MAP)
        return fail(err, err_sz, "config: must be a map, got %s", sp_mp_type_name(&m));
    for (uint32_t k = 0; k < m.len; k++) {
        char key[32];
        int rc = read_key(&r, "config", key, sizeof key, err, err_sz);
        if (rc) return rc;
        const uint8_t* start = r.p;
        if (sp_mp_skip(&r) != SP_MP_OK) return fail(err, err_sz, "%s: not valid msgpack", key);
        size_t len = (size_t)(r.p - start);
        if (len == 1 && *start == 0xc0) continue; /* nil: as if absent */
        if (!strcmp(key, "guardrails"))
            rc = sp_episode_config_decode_guardrails(c, spec, start, len, err, err_sz);
        else if (!strcmp(key, "faults"))
            rc = sp_episode_config_decode_faults(c, spec, start, len, err, err_sz);
        else if (!strcmp(key, "info"))
            rc = sp_episode_config_decode_info(c, start, len, err, err_sz);
        else
            rc = fail(err, err_sz, "%s: unknown key (known: guardrails, faults, info)", key);
        if (rc) return rc;
    }
    if (r.p != r.end) return fail(err, err_sz, "config: trailing bytes");
    return SP_OK;
}

/* ---- the config object ---- */

sp_episode_config* sp_episode_config_create(void) {
    sp_episode_config* c = malloc(sizeof *c);
    if (c) sp_episode_config_clear(c);
    return c;
}

void sp_episode_config_destroy(sp_episode_config* c) {
    free(c);
}

void sp_episode_config_clear(sp_episode_config* c) {
    memset(c, 0, sizeof *c);
    c->guard = sp_default_guard_def(NULL);
    c->constraint.sensor = -1;
}

static double constraint_cost(void* user, sp_episode* ep, const sp_action* action) {
    const sp_config_constraint* k = user;
    float x = sp_episode_obs(ep)[k->sensor];
    return (x < k->low || x > k->high) ? 1.0 : 0.0;
}

sp_guard_def sp_episode_config_guard_def(const sp_episode_config* c) {
    sp_guard_def d = c->guard;
    if (c->constraint.sensor >= 0) {
        d.constraint_cost = constraint_cost;
        d.constraint_user = (void*)&c->constraint;
    } else {
        d.constraint_cost = NULL;
        d.constraint_user = NULL;
    }
    return d;
}

const sp_fault_def* sp_episode_config_fault_defs(sp_episode_config* c) {
    for (int i = 0; i < c->fault_count; i++)
        c->faults[i].target = c->targets[i];
    return c->faults;
}

void sp_episode_config_copy(sp_episode_config* dst, const sp_episode_config* src) {
    if (dst == src) return;
    memcpy(dst, src, sizeof *dst);
    sp_episode_config_fault_defs(dst);
}

/* ---- canonical encoding ---- */

static void pack_str(msgpack_packer* pk, const char* s) {
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_kv_str(msgpack_packer* pk, const char* k, const char* v) {
    pack_str(pk, k);
    pack_str(pk, v);
}

static void pack_kv_f64(msgpack_packer* pk, const char* k, double v) {
    pack_str(pk, k);
    msgpack_pack_double(pk, v);
}

static void pack_guard(msgpack_packer* pk, const sp_episode_config* c, const sp_env_spec* spec) {
    const sp_guard_def* d = &c->guard;
    bool continuous = spec->action_kind == SP_ACTION_CONTINUOUS;
    bool constraint = c->constraint.sensor >= 0;
    msgpack_pack_map(pk, 12 + continuous + constraint);
    if (continuous) {
        pack_str(pk, "actuators");
        msgpack_pack_map(pk, (size_t)spec->actuator_count);
        for (int a = 0; a < spec->actuator_count; a++) {
            const sp_guard_actuator* g = &d->actuators[a];
            pack_str(pk, spec->actuators[a].name);
            msgpack_pack_map(pk, 5);
            pack_kv_str(pk, "bounds", sp_guard_policy_name(g->bounds));
            pack_kv_str(pk, "nonfinite", sp_guard_policy_name(g->nonfinite));
            pack_kv_f64(pk, "max_delta", g->max_delta);
            pack_kv_str(pk, "rate", sp_guard_policy_name(g->rate));
            pack_kv_f64(pk, "budget_weight", g->budget_weight);
        }
    }
    pack_kv_str(pk, "budget", sp_guard_budget_name(d->budget));
    pack_kv_f64(pk, "budget_limit", d->budget_limit);
    pack_kv_str(pk, "budget_policy", sp_guard_policy_name(d->budget_policy));
    pack_str(pk, "budget_noop");
    msgpack_pack_int(pk, d->budget_noop);
    pack_kv_f64(pk, "wall_clock_s", d->wall_clock_s);
    pack_kv_f64(pk, "cpu_s", d->cpu_s);
    pack_kv_f64(pk, "step_compute_s", d->step_compute_s);
    pack_kv_str(pk, "step_compute", sp_guard_policy_name(d->step_compute));
    pack_str(pk, "physics_sanity");
    if (d->physics_sanity)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    pack_kv_f64(pk, "max_speed", d->max_speed);
    pack_kv_f64(pk, "max_angular_speed", d->max_angular_speed);
    pack_kv_f64(pk, "max_kinetic_energy", d->max_kinetic_energy);
    if (constraint) {
        pack_str(pk, "constraint");
        msgpack_pack_map(pk, 5);
        pack_kv_str(pk, "sensor", spec->sensors[c->constraint.sensor].name);
        pack_kv_f64(pk, "low", c->constraint.low);
        pack_kv_f64(pk, "high", c->constraint.high);
        pack_kv_f64(pk, "limit", d->constraint_limit);
        pack_kv_str(pk, "policy", sp_guard_policy_name(d->constraint));
    }
}

/* Whether a table field holds a value (required fields start unset). */
static bool field_set(const sp_fault_field* f, const void* base) {
    double v = sp_fault_field_get(f, base);
    if (f->type == SP_FAULT_REAL) return !isnan(v);
    return v != (double)SP_FAULT_UNSET_INT;
}

static void pack_field(msgpack_packer* pk, const sp_fault_field* f, const void* base) {
    double v = sp_fault_field_get(f, base);
    pack_str(pk, f->name);
    if (f->type == SP_FAULT_REAL)
        msgpack_pack_double(pk, v);
    else if (f->type == SP_FAULT_INT)
        msgpack_pack_int64(pk, (int64_t)v);
    else
        pack_str(pk, f->choices[(int)v]);
}

static void pack_fault(msgpack_packer* pk, const sp_fault_def* d, const char* target) {
    int np, ns;
    const sp_fault_field* params = sp_fault_params(&np);
    const sp_fault_field* sched = sp_fault_schedule_fields(&ns);
    uint32_t kbit = SP_FAULT_BIT(d->kind), sbit = SP_SCHEDULE_BIT(d->schedule.type);
    size_t nparams = 0, nsched = 1;
    for (int i = 0; i < np; i++)
        nparams += (params[i].applies & kbit) && field_set(&params[i], d);
    for (int i = 0; i < ns; i++)
        nsched += (sched[i].applies & sbit) && field_set(&sched[i], &d->schedule);
    msgpack_pack_map(pk, 3 + nparams);
    pack_kv_str(pk, "kind", sp_fault_kind_name(d->kind));
    pack_kv_str(pk, "target", target);
    pack_str(pk, "schedule");
    msgpack_pack_map(pk, nsched);
    pack_kv_str(pk, "type", sp_fault_schedule_type_name(d->schedule.type));
    for (int i = 0; i < ns; i++)
        if ((sched[i].applies & sbit) && field_set(&sched[i], &d->schedule))
            pack_field(pk, &sched[i], &d->schedule);
    for (int i = 0; i < np; i++)
        if ((params[i].applies & kbit) && field_set(&params[i], d)) pack_field(pk, &params[i], d);
}

typedef struct enc_buf {
    msgpack_sbuffer sb;
    bool failed;
} enc_buf;

static int enc_write(void* data, const char* buf, size_t len) {
    enc_buf* b = data;
    if (msgpack_sbuffer_write(&b->sb, buf, len) != 0) b->failed = true;
    return b->failed ? -1 : 0;
}

uint8_t* sp_episode_config_encode(const sp_episode_config* c, const sp_env_spec* spec,
                                  size_t* size) {
    enc_buf b = {.failed = false};
    msgpack_sbuffer_init(&b.sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, enc_write);
    bool faults = c->fault_count > 0;
    msgpack_pack_map(&pk, (size_t)c->has_guard + faults);
    if (c->has_guard) {
        pack_str(&pk, "guardrails");
        pack_guard(&pk, c, spec);
    }
    if (faults) {
        pack_str(&pk, "faults");
        msgpack_pack_array(&pk, (size_t)c->fault_count);
        for (int i = 0; i < c->fault_count; i++)
            pack_fault(&pk, &c->faults[i], c->targets[i]);
    }
    if (b.failed || !b.sb.data) {
        msgpack_sbuffer_destroy(&b.sb);
        return NULL;
    }
    *size = b.sb.size;
    return (uint8_t*)b.sb.data;
}

/* ---- the runtime's layers ---- */

int sp_config_layers_attach(sp_config_layers* l, sp_episode* ep, const sp_episode_config* c,
                            char* err, size_t err_sz) {
    const sp_env_spec* spec = sp_episode_spec(ep);
    int rc;
    if (c->has_guard) {
        sp_guard_def d = sp_episode_config_guard_def(c);
        if (!(l->guard = sp_guard_create(&d, spec, err, err_sz))) return SP_E_BAD_ARGUMENT;
        if ((rc = sp_guard_attach(l->guard, ep)) != SP_OK)
            return fail(err, err_sz, "cannot attach the guardrails: %s", sp_error_name(rc)), rc;
    }
    if (c->has_faults) {
        sp_episode_config* mut = (sp_episode_config*)c; /* only re-points the targets */
        l->faults =
            sp_faults_create(sp_episode_config_fault_defs(mut), c->fault_count, spec, err, err_sz);
        if (!l->faults) return SP_E_BAD_ARGUMENT;
        if ((rc = sp_faults_attach(l->faults, ep)) != SP_OK)
            return fail(err, err_sz, "cannot attach the faults: %s", sp_error_name(rc)), rc;
    }
    return SP_OK;
}

void sp_config_layers_destroy(sp_config_layers* l) {
    sp_faults_destroy(l->faults);
    sp_guard_destroy(l->guard);
    memset(l, 0, sizeof *l);
}

int sp_config_layers_set(sp_config_layers* l, const sp_episode_config* c, char* err,
                         size_t err_sz) {
    int rc;
    if (c->has_guard && !l->guard)
        return fail(err, err_sz, "guardrails: this session was made without a guardrail layer");
    if (c->has_faults && !l->faults)
        return fail(err, err_sz, "faults: this session was made without a fault layer");
    if (l->guard) {
        /* No guardrails in the new config: the defaults, which never trip in normal play. */
        sp_guard_def d = c->has_guard ? sp_episode_config_guard_def(c) : sp_default_guard_def(NULL);
        if ((rc = sp_guard_set_def(l->guard, &d, err, err_sz)) != SP_OK) return rc;
    }
    if (l->faults) {
        sp_episode_config* mut = (sp_episode_config*)c;
        rc = sp_faults_set(l->faults, sp_episode_config_fault_defs(mut), c->fault_count, err,
                           err_sz);
        if (rc != SP_OK) return rc;
    }
    return SP_OK;
}
