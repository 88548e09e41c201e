#include "codec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sandpit/error.h"

static const struct {
    const char* name;
    size_t size;
} dtypes[SP_DTYPE_COUNT] = {
#define SP_DTYPE_ROW(sym, name, size) [sym] = {name, size},
    SP_DTYPE_LIST(SP_DTYPE_ROW)
#undef SP_DTYPE_ROW
};

const char* sp_dtype_name(sp_dtype dtype) {
    return dtypes[dtype].name;
}

size_t sp_dtype_size(sp_dtype dtype) {
    return dtypes[dtype].size;
}

void sp_quote(char* buf, size_t buf_sz, const void* p, size_t n) {
    if (buf_sz == 0) return;
    const unsigned char* s = p;
    size_t keep = buf_sz - 1;
    bool cut = n > keep;
    if (cut) keep = keep > 3 ? keep - 3 : 0;
    size_t k = 0;
    for (; k < keep && k < n; k++)
        buf[k] = (s[k] >= 0x20 && s[k] < 0x7f) ? (char)s[k] : '?';
    if (cut)
        for (int d = 0; d < 3 && k + 1 < buf_sz; d++)
            buf[k++] = '.';
    buf[k] = '\0';
}

static int bad(char* err, size_t err_sz, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char* err, size_t err_sz, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && err_sz) vsnprintf(err, err_sz, fmt, ap);
    va_end(ap);
    return SP_E_BAD_REQUEST;
}

/* ---- requests ---- */

static bool key_eq(const sp_mp_value* key, const char* s) {
    return sp_mp_str_eq(key, s);
}

/* Reads "id" on its own: a reply echoes it only when it is a valid unsigned integer. */
static int read_id(const sp_mp_value* v, sp_request* req, char* err, size_t err_sz) {
    uint64_t id;
    if (!sp_mp_as_u64(v, &id) || id > (uint64_t)INT64_MAX)
        return bad(err, err_sz, "field 'id' must be an unsigned integer at most 2^63-1, got %s",
                   v->type == SP_MP_INT ? "one out of range" : sp_mp_type_name(v));
    req->has_id = true;
    req->id = id;
    return SP_OK;
}

/* A map nested in a field that repeats a key or is too large: well-formed msgpack, so the
 * request is read on (a valid id is still echoed) and refused with the first such problem. */
typedef struct nested_problem {
    sp_mp_status status;
    const uint8_t* repeated;
} nested_problem;

static sp_mp_status read_nested(sp_mp_reader* r, sp_mp_value* v, nested_problem* p) {
    sp_mp_status st = sp_mp_read_whole(r, v);
    if (st != SP_MP_REPEATED_KEY && st != SP_MP_TOO_MANY_PAIRS) return st;
    if (p->status == SP_MP_OK) {
        p->status = st;
        p->repeated = r->repeated;
    }
    return SP_MP_OK;
}

static int describe_nested(const nested_problem* p, const sp_mp_value* field, const uint8_t* end,
                           char* err, size_t err_sz) {
    char f[48], k[48];
    sp_quote(f, sizeof f, field->ptr, field->len);
    if (p->status == SP_MP_TOO_MANY_PAIRS)
        return bad(err, err_sz, "field '%s': a map holds more than %d pairs", f,
                   SP_MP_MAX_MAP_PAIRS);
    sp_mp_reader r = {p->repeated, end, NULL};
    sp_mp_value key;
    if (sp_mp_read(&r, &key) == SP_MP_OK && key.type == SP_MP_STR)
        sp_quote(k, sizeof k, key.ptr, key.len);
    else
        snprintf(k, sizeof k, "(%s)", sp_mp_type_name(&key));
    return bad(err, err_sz, "field '%s': key '%s' appears twice in one map", f, k);
}

int sp_request_parse(const void* data, size_t len, sp_request* req, char* err, size_t err_sz) {
    memset(req, 0, sizeof *req);
    sp_mp_reader r = sp_mp_reader_make(data, len);
    req->end = r.end;
    if (len == 0) return bad(err, err_sz, "empty message: expected one msgpack map");
    sp_mp_value top;
    sp_mp_status st = sp_mp_read(&r, &top);
    if (st != SP_MP_OK) return bad(err, err_sz, "not msgpack: %s", sp_mp_status_text(st));
    if (top.type != SP_MP_MAP)
        return bad(err, err_sz, "a request must be a msgpack map, got %s", sp_mp_type_name(&top));
    /* Every pair is read before any is judged, so a valid "id" is found wherever it sits. */
    int rc = SP_OK;
    char first_err[160] = "";
    for (uint32_t k = 0; k < top.len; k++) {
        sp_mp_value key, value;
        const uint8_t* raw = NULL;
        nested_problem nested = {SP_MP_OK, NULL};
        if ((st = read_nested(&r, &key, &nested)) != SP_MP_OK ||
            (raw = r.p, st = read_nested(&r, &value, &nested)) != SP_MP_OK)
            return bad(err, err_sz, "not msgpack: %s", sp_mp_status_text(st));
        if (rc != SP_OK) continue;
        if (key.type != SP_MP_STR) {
            rc = bad(first_err, sizeof first_err, "request keys must be strings, got %s",
                     sp_mp_type_name(&key));
            continue;
        }
        char q[48];
        if (nested.status != SP_MP_OK) {
            rc = describe_nested(&nested, &key, r.end, first_err, sizeof first_err);
            continue;
        }
        for (int f = 0; f < req->field_count; f++) {
            if (req->fields[f].key.len == key.len &&
                memcmp(req->fields[f].key.ptr, key.ptr, key.len) == 0) {
                sp_quote(q, sizeof q, key.ptr, key.len);
                rc = bad(first_err, sizeof first_err, "key '%s' appears twice", q);
            }
        }
        if (rc != SP_OK) continue;
        if (req->field_count == SP_REQUEST_MAX_FIELDS) {
            rc = bad(first_err, sizeof first_err, "a request has at most %d keys",
                     SP_REQUEST_MAX_FIELDS);
            continue;
        }
        sp_field* f = &req->fields[req->field_count++];
        f->key = key;
        f->value = value;
        f->raw = raw;
        f->raw_len = (size_t)(r.p - raw);
    }
    if (r.p != r.end)
        return bad(err, err_sz, "%zu trailing bytes after the request map", (size_t)(r.end - r.p));
    /* A structural error wins, but still echoes a valid id. */
    char id_err[128] = "";
    const sp_mp_value* id = sp_request_get(req, "id");
    int id_rc = id ? read_id(id, req, id_err, sizeof id_err) : SP_OK;
    if (rc != SP_OK) return bad(err, err_sz, "%s", first_err);
    if (id_rc != SP_OK) return bad(err, err_sz, "%s", id_err);
    req->op = sp_request_get(req, "op");
    return SP_OK;
}

const sp_mp_value* sp_request_get(const sp_request* req, const char* key) {
    for (int f = 0; f < req->field_count; f++)
        if (key_eq(&req->fields[f].key, key)) return &req->fields[f].value;
    return NULL;
}

int sp_request_fields(const sp_request* req, const char* const* keys, bool only,
                      const sp_mp_value** slots, char* err, size_t err_sz) {
    for (int a = 0; keys[a]; a++)
        slots[a] = NULL;
    for (int f = 0; f < req->field_count; f++) {
        const sp_mp_value* key = &req->fields[f].key;
        bool known = false;
        for (int a = 0; !known && keys[a]; a++)
            if ((known = key_eq(key, keys[a]))) slots[a] = &req->fields[f].value;
        if (known || !only || key_eq(key, "op") || key_eq(key, "id")) continue;
        char q[48], list[256] = "op, id";
        sp_quote(q, sizeof q, key->ptr, key->len);
        for (int a = 0; keys[a]; a++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, ", %s", keys[a]);
        }
        return bad(err, err_sz, "unknown key '%s' (known keys: %s)", q, list);
    }
    return SP_OK;
}

/* The value, NULL when absent or nil; an error when required and missing. */
static int present(const sp_mp_value** v, const char* key, bool required, char* err,
                   size_t err_sz) {
    if (*v && (*v)->type == SP_MP_NIL) *v = NULL;
    if (!*v && required) return bad(err, err_sz, "missing field '%s'", key);
    return SP_OK;
}

static void describe_int(const sp_mp_value* v, char* buf, size_t sz) {
    if (v->type != SP_MP_INT)
        snprintf(buf, sz, "%s", sp_mp_type_name(v));
    else if (v->negative)
        snprintf(buf, sz, "%" PRId64, v->i);
    else
        snprintf(buf, sz, "%" PRIu64, v->u);
}

int sp_value_u64(const sp_mp_value* v, const char* key, bool required, uint64_t lo, uint64_t hi,
                 uint64_t* out, char* err, size_t err_sz) {
    int rc = present(&v, key, required, err, err_sz);
    if (rc != SP_OK || !v) return rc;
    uint64_t u;
    if (!sp_mp_as_u64(v, &u) || u < lo || u > hi) {
        char got[40];
        describe_int(v, got, sizeof got);
        return bad(err, err_sz,
                   "field '%s' must be an integer in [%" PRIu64 ", %" PRIu64 "], got %s", key, lo,
                   hi, got);
    }
    *out = u;
    return SP_OK;
}

int sp_value_int(const sp_mp_value* v, const char* key, bool required, int lo, int hi, int* out,
                 char* err, size_t err_sz) {
    int rc = present(&v, key, required, err, err_sz);
    if (rc != SP_OK || !v) return rc;
    /* Widened to int64 first so that no comparison mixes signedness. */
    bool is_int = v->type == SP_MP_INT && (v->negative || v->u <= (uint64_t)INT64_MAX);
    int64_t x = v->negative ? v->i : (int64_t)v->u;
    if (!is_int || x < lo || x > hi) {
        char got[40];
        describe_int(v, got, sizeof got);
        return bad(err, err_sz, "field '%s' must be an integer in [%d, %d], got %s", key, lo, hi,
                   got);
    }
    *out = (int)x;
    return SP_OK;
}

int sp_value_bool(const sp_mp_value* v, const char* key, bool* out, char* err, size_t err_sz) {
    int rc = present(&v, key, false, err, err_sz);
    if (rc != SP_OK || !v) return rc;
    if (v->type != SP_MP_BOOL)
        return bad(err, err_sz, "field '%s' must be a boolean, got %s", key, sp_mp_type_name(v));
    *out = v->b;
    return SP_OK;
}

int sp_value_str(const sp_mp_value* v, const char* key, bool required, const sp_mp_value** out,
                 char* err, size_t err_sz) {
    int rc = present(&v, key, required, err, err_sz);
    if (rc != SP_OK || !v) return rc;
    if (v->type != SP_MP_STR)
        return bad(err, err_sz, "field '%s' must be a string, got %s", key, sp_mp_type_name(v));
    *out = v;
    return SP_OK;
}

/* ---- arrays ---- */

static int decode_shape(const uint8_t* end, const sp_mp_value* v, const char* field,
                        sp_array_view* out, char* err, size_t err_sz) {
    if (v->type != SP_MP_ARRAY || v->len > SP_ARRAY_MAX_DIMS)
        return bad(err, err_sz, "'%s.shape' must be an array of at most %d integers", field,
                   SP_ARRAY_MAX_DIMS);
    sp_mp_reader r = {v->ptr, end, NULL};
    out->ndim = (int)v->len;
    out->count = 1;
    bool overflow = false;
    for (int d = 0; d < out->ndim; d++) {
        sp_mp_value dim;
        if (sp_mp_read_whole(&r, &dim) != SP_MP_OK || !sp_mp_as_u64(&dim, &out->shape[d]))
            return bad(err, err_sz, "'%s.shape' must hold non-negative integers", field);
        uint64_t count;
        if (__builtin_mul_overflow((uint64_t)out->count, out->shape[d], &count) || count > SIZE_MAX)
            overflow = true;
        else
            out->count = (size_t)count;
    }
    if (overflow) return bad(err, err_sz, "'%s.shape' is too large", field);
    return SP_OK;
}

int sp_array_decode(const uint8_t* end, const sp_mp_value* v, const char* field, sp_array_view* out,
                    char* err, size_t err_sz) {
    memset(out, 0, sizeof *out);
    if (v->type != SP_MP_MAP)
        return bad(err, err_sz, "field '%s' must be an array map {dtype, shape, data}, got %s",
                   field, sp_mp_type_name(v));
    const sp_mp_value* dtype = NULL;
    const sp_mp_value* shape = NULL;
    const sp_mp_value* data = NULL;
    sp_mp_value keys[3], values[3];
    if (v->len != 3)
        return bad(err, err_sz, "field '%s' must have exactly the keys dtype, shape and data",
                   field);
    sp_mp_reader r = {v->ptr, end, NULL};
    for (int k = 0; k < 3; k++) {
        if (sp_mp_read_whole(&r, &keys[k]) != SP_MP_OK ||
            sp_mp_read_whole(&r, &values[k]) != SP_MP_OK)
            return bad(err, err_sz, "field '%s' is not valid msgpack", field);
        const sp_mp_value** slot = key_eq(&keys[k], "dtype")   ? &dtype
                                   : key_eq(&keys[k], "shape") ? &shape
                                   : key_eq(&keys[k], "data")  ? &data
                                                               : NULL;
        if (!slot || *slot)
            return bad(err, err_sz, "field '%s' must have exactly the keys dtype, shape and data",
                       field);
        *slot = &values[k];
    }
    if (dtype->type != SP_MP_STR) return bad(err, err_sz, "'%s.dtype' must be a string", field);
    int found = -1;
    for (int t = 0; t < SP_DTYPE_COUNT; t++)
        if (sp_mp_str_eq(dtype, dtypes[t].name)) found = t;
    if (found < 0) {
        char q[32];
        sp_quote(q, sizeof q, dtype->ptr, dtype->len);
        return bad(err, err_sz,
                   "'%s.dtype' '%s' is not one of float32, float64, int32, uint8, uint64", field,
                   q);
    }
    out->dtype = (sp_dtype)found;
    int rc = decode_shape(end, shape, field, out, err, err_sz);
    if (rc != SP_OK) return rc;
    if (data->type != SP_MP_BIN)
        return bad(err, err_sz, "'%s.data' must be binary (msgpack bin), got %s", field,
                   sp_mp_type_name(data));
    size_t item = dtypes[found].size;
    if (out->count > SIZE_MAX / item || data->len != out->count * item)
        return bad(err, err_sz, "'%s.data' holds %" PRIu32 " bytes; %s of %zu items needs %zu",
                   field, data->len, dtypes[found].name, out->count,
                   out->count <= SIZE_MAX / item ? out->count * item : SIZE_MAX);
    out->data = data->ptr;
    return SP_OK;
}

/* ---- replies ---- */

void sp_pack_cstr(msgpack_packer* pk, const char* s) {
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void sp_pack_array(msgpack_packer* pk, sp_dtype dtype, int ndim, const uint32_t* shape,
                   const void* data) {
    size_t count = 1;
    msgpack_pack_map(pk, 3);
    sp_pack_cstr(pk, "dtype");
    sp_pack_cstr(pk, dtypes[dtype].name);
    sp_pack_cstr(pk, "shape");
    msgpack_pack_array(pk, (size_t)ndim);
    for (int d = 0; d < ndim; d++) {
        msgpack_pack_uint32(pk, shape[d]);
        count *= shape[d];
    }
    sp_pack_cstr(pk, "data");
    size_t bytes = count * dtypes[dtype].size;
    msgpack_pack_bin(pk, bytes);
    msgpack_pack_bin_body(pk, data, bytes);
}

void sp_pack_ok(msgpack_packer* pk, const sp_request* req, uint32_t extra) {
    msgpack_pack_map(pk, extra + 1 + (req->has_id ? 1 : 0));
    sp_pack_cstr(pk, "ok");
    msgpack_pack_true(pk);
    if (req->has_id) {
        sp_pack_cstr(pk, "id");
        msgpack_pack_uint64(pk, req->id);
    }
}

void sp_pack_error(msgpack_packer* pk, bool has_id, uint64_t id, int code, const char* message) {
    msgpack_pack_map(pk, has_id ? 3 : 2);
    sp_pack_cstr(pk, "ok");
    msgpack_pack_false(pk);
    if (has_id) {
        sp_pack_cstr(pk, "id");
        msgpack_pack_uint64(pk, id);
    }
    sp_pack_cstr(pk, "error");
    msgpack_pack_map(pk, 2);
    sp_pack_cstr(pk, "code");
    sp_pack_cstr(pk, sp_error_name(code));
    sp_pack_cstr(pk, "message");
    sp_pack_cstr(pk, message);
}
