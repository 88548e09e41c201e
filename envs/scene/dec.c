#include "dec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t sc_push_key(sc_dec* d, const char* key) {
    size_t old = d->path_len;
    int n = snprintf(d->path + old, sizeof d->path - old, "%s%s", old ? "." : "", key);
    if (n > 0)
        d->path_len = old + (size_t)n < sizeof d->path ? old + (size_t)n : sizeof d->path - 1;
    return old;
}

size_t sc_push_index(sc_dec* d, size_t index) {
    size_t old = d->path_len;
    int n = snprintf(d->path + old, sizeof d->path - old, "[%zu]", index);
    if (n > 0)
        d->path_len = old + (size_t)n < sizeof d->path ? old + (size_t)n : sizeof d->path - 1;
    return old;
}

void sc_pop(sc_dec* d, size_t len) {
    d->path_len = len;
    d->path[len] = '\0';
}

static bool vfail(sc_dec* d, const char* fmt, va_list ap) {
    if (d->failed) return false;
    d->failed = true;
    if (!d->err || !d->err_sz) return false;
    int n = snprintf(d->err, d->err_sz, "%s: ", d->path_len ? d->path : "scene");
    if (n >= 0 && (size_t)n < d->err_sz) vsnprintf(d->err + n, d->err_sz - (size_t)n, fmt, ap);
    return false;
}

bool sc_fail(sc_dec* d, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(d, fmt, ap);
    va_end(ap);
    return false;
}

bool sc_fail_at(sc_dec* d, const char* key, const char* fmt, ...) {
    size_t p = sc_push_key(d, key);
    va_list ap;
    va_start(ap, fmt);
    vfail(d, fmt, ap);
    va_end(ap);
    sc_pop(d, p);
    return false;
}

bool sc_only(sc_dec* d, json_t* obj, const char* const* known) {
    const char* key;
    json_t* v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (int i = 0; known[i] && !ok; i++)
            ok = !strcmp(key, known[i]);
        if (!ok) {
            char list[256] = "";
            for (int i = 0; known[i]; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, known[i], sizeof list - strlen(list) - 1);
            }
            char q[40];
            snprintf(q, sizeof q, "%.32s", key);
            return sc_fail(d, "unknown key '%s' (known: %s)", q, list);
        }
    }
    return true;
}

static const char* type_name(const json_t* v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* A finite number within the scene's magnitude limit. */
static bool number(sc_dec* d, json_t* v, double* out) {
    if (!json_is_number(v)) return sc_fail(d, "must be a number, got %s", type_name(v));
    double x = json_number_value(v);
    if (!isfinite(x) || fabs(x) > d->lim->max_abs)
        return sc_fail(d, "must be finite with magnitude <= %g", d->lim->max_abs);
    *out = x;
    return true;
}

static json_t* field(sc_dec* d, json_t* obj, const char* key, bool required, bool* ok) {
    json_t* v = json_object_get(obj, key);
    *ok = true;
    if (!v && required) *ok = sc_fail_at(d, key, "is required");
    return v;
}

bool sc_num(sc_dec* d, json_t* obj, const char* key, bool required, double lo, double hi,
            double* out) {
    bool ok;
    json_t* v = field(d, obj, key, required, &ok);
    if (!v) return ok;
    size_t p = sc_push_key(d, key);
    double x;
    ok = number(d, v, &x);
    if (ok && (x < lo || x > hi)) {
        if (hi >= d->lim->max_abs)
            ok = sc_fail(d, lo == 0.0 ? "must be >= 0" : "must be >= %g", lo);
        else
            ok = sc_fail(d, "must be in [%g, %g]", lo, hi);
    }
    if (ok) *out = x;
    sc_pop(d, p);
    return ok;
}

bool sc_int(sc_dec* d, json_t* obj, const char* key, bool required, long long lo, long long hi,
            int* out) {
    bool ok;
    json_t* v = field(d, obj, key, required, &ok);
    if (!v) return ok;
    size_t p = sc_push_key(d, key);
    if (!json_is_integer(v)) {
        ok = sc_fail(d, "must be an integer, got %s", type_name(v));
    } else {
        long long x = json_integer_value(v);
        if (x < lo || x > hi)
            ok = sc_fail(d, "must be in [%lld, %lld]", lo, hi);
        else
            *out = (int)x;
    }
    sc_pop(d, p);
    return ok;
}

bool sc_u32(sc_dec* d, json_t* obj, const char* key, uint32_t* out) {
    bool ok;
    json_t* v = field(d, obj, key, false, &ok);
    if (!v) return ok;
    size_t p = sc_push_key(d, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0xffffffffLL)
        ok = sc_fail(d, "must be an integer bit mask in [0, 4294967295]");
    else
        *out = (uint32_t)json_integer_value(v);
    sc_pop(d, p);
    return ok;
}

bool sc_bool(sc_dec* d, json_t* obj, const char* key, bool* out) {
    bool ok;
    json_t* v = field(d, obj, key, false, &ok);
    if (!v) return ok;
    if (!json_is_boolean(v)) return sc_fail_at(d, key, "must be a boolean, got %s", type_name(v));
    *out = json_is_true(v);
    return true;
}

const char* sc_strdup(sc_dec* d, const char* s) {
    if (d->string_count == d->string_cap) {
        int cap = d->string_cap ? 2 * d->string_cap : 32;
        char** grown = realloc(d->strings, (size_t)cap * sizeof *grown);
        if (!grown) {
            sc_fail(d, "out of memory");
            return NULL;
        }
        d->strings = grown;
        d->string_cap = cap;
    }
    size_t n = strlen(s) + 1;
    char* copy = malloc(n);
    if (!copy) {
        sc_fail(d, "out of memory");
        return NULL;
    }
    memcpy(copy, s, n);
    d->strings[d->string_count++] = copy;
    d->m->bytes += n + sizeof(char*);
    return copy;
}

bool sc_str(sc_dec* d, json_t* obj, const char* key, bool required, const char** out) {
    bool ok;
    json_t* v = field(d, obj, key, required, &ok);
    if (!v) return ok;
    if (!json_is_string(v)) return sc_fail_at(d, key, "must be a string, got %s", type_name(v));
    size_t len = json_string_length(v);
    const char* s = json_string_value(v);
    /* Names build channel names and wire strings: short. Prose may be longer. */
    size_t max = (!strcmp(key, "summary") || !strcmp(key, "doc")) ? 200 : 64;
    if (len == 0 || len > max || strlen(s) != len)
        return sc_fail_at(d, key, "must be 1 to %zu characters without NUL", max);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return sc_fail_at(d, key, "must be printable ASCII");
    return (*out = sc_strdup(d, s)) != NULL;
}

bool sc_vec_value(sc_dec* d, json_t* v, cpVect* out) {
    double xy[2];
    if (!json_is_array(v) || json_array_size(v) != 2) return sc_fail(d, "must be [x, y]");
    for (size_t i = 0; i < 2; i++) {
        size_t q = sc_push_index(d, i);
        bool ok = number(d, json_array_get(v, i), &xy[i]);
        sc_pop(d, q);
        if (!ok) return false;
    }
    *out = cpv(xy[0], xy[1]);
    return true;
}

bool sc_vec(sc_dec* d, json_t* obj, const char* key, bool required, cpVect* out) {
    bool ok;
    json_t* v = field(d, obj, key, required, &ok);
    if (!v) return ok;
    size_t p = sc_push_key(d, key);
    ok = sc_vec_value(d, v, out);
    sc_pop(d, p);
    return ok;
}

bool sc_range(sc_dec* d, json_t* obj, const char* key, bool required, double* lo, double* hi) {
    cpVect r;
    bool present = json_object_get(obj, key) != NULL;
    if (!sc_vec(d, obj, key, required, &r)) return false;
    if (!present) return true;
    if (r.x > r.y) return sc_fail_at(d, key, "must be [low, high] with low <= high");
    *lo = r.x;
    *hi = r.y;
    return true;
}

bool sc_array(sc_dec* d, json_t* obj, const char* key, bool required, int max, json_t** out,
              int* n) {
    bool ok;
    json_t* v = field(d, obj, key, required, &ok);
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) return ok;
    if (!json_is_array(v)) return sc_fail_at(d, key, "must be an array, got %s", type_name(v));
    if (json_array_size(v) > (size_t)max)
        return sc_fail_at(d, key, "has %zu items; the limit is %d", json_array_size(v), max);
    *out = v;
    *n = (int)json_array_size(v);
    return true;
}

bool sc_each(sc_dec* d, const char* key, json_t* arr, int n, sc_item_fn fn, void* ctx) {
    size_t p = sc_push_key(d, key);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        size_t q = sc_push_index(d, (size_t)i);
        ok = fn(d, json_array_get(arr, (size_t)i), i, ctx);
        sc_pop(d, q);
    }
    sc_pop(d, p);
    return ok;
}

bool sc_enum(sc_dec* d, json_t* obj, const char* key, bool required, const char* const* names,
             int count, int* out) {
    bool ok;
    json_t* v = field(d, obj, key, required, &ok);
    if (!v) return ok;
    if (json_is_string(v))
        for (int i = 0; i < count; i++)
            if (!strcmp(json_string_value(v), names[i])) {
                *out = i;
                return true;
            }
    char list[256] = "";
    for (int i = 0; i < count; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, names[i], sizeof list - strlen(list) - 1);
    }
    return sc_fail_at(d, key, "must be one of: %s", list);
}

bool sc_body_value(sc_dec* d, json_t* v, bool allow_world, int* out) {
    if (!v || json_is_null(v)) {
        if (allow_world) {
            *out = SC_NONE;
            return true;
        }
        return sc_fail(d, "is required (a body's name)");
    }
    if (json_is_string(v))
        for (int i = 0; i < d->m->body_count; i++)
            if (!strcmp(d->m->bodies[i].name, json_string_value(v))) {
                *out = i;
                return true;
            }
    return sc_fail(d, "must name a body%s", allow_world ? " (or null for the world)" : "");
}

bool sc_body_ref(sc_dec* d, json_t* obj, const char* key, bool allow_world, int* out) {
    size_t p = sc_push_key(d, key);
    bool ok = sc_body_value(d, json_object_get(obj, key), allow_world, out);
    sc_pop(d, p);
    return ok;
}

bool sc_joint_ref(sc_dec* d, json_t* obj, const char* key, int* out) {
    json_t* v = json_object_get(obj, key);
    if (v && json_is_string(v))
        for (int i = 0; i < d->m->joint_count; i++)
            if (d->m->joints[i].name && !strcmp(d->m->joints[i].name, json_string_value(v))) {
                *out = i;
                return true;
            }
    return sc_fail_at(d, key, "must name a joint");
}

static const char* const role_names[] = {
#define SP_SCENE_ROLE_NAME(sym, name) name,
    SP_SCENE_ROLE_LIST(SP_SCENE_ROLE_NAME)
#undef SP_SCENE_ROLE_NAME
};

const char* sp_scene_role_name(int role) {
    return role >= 0 && role < SP_ROLE_COUNT ? role_names[role] : NULL;
}

bool sc_role(sc_dec* d, json_t* obj, const char* key, int* out) {
    return sc_enum(d, obj, key, false, role_names, SP_ROLE_COUNT, out);
}

int sc_channel_value(sc_dec* d, json_t* v) {
    if (v && json_is_string(v))
        for (int i = 0; i < d->m->channel_count; i++)
            if (!strcmp(d->m->channels[i].ch.name, json_string_value(v))) return i;
    sc_fail(d, "must name a sensor channel (such as \"cart.x\")");
    return -1;
}

int sc_channel_ref(sc_dec* d, json_t* obj, const char* key) {
    size_t p = sc_push_key(d, key);
    int i = sc_channel_value(d, json_object_get(obj, key));
    sc_pop(d, p);
    return i;
}

void* sc_alloc(sc_dec* d, size_t n, size_t size) {
    void* p = calloc(n ? n : 1, size);
    if (!p)
        sc_fail(d, "out of memory");
    else
        d->m->bytes += (n ? n : 1) * size;
    return p;
}
