#include "mpread.h"

#include <string.h>

static uint64_t load_be(const uint8_t* p, int n) {
    uint64_t v = 0;
    for (int k = 0; k < n; k++) v = (v << 8) | p[k];
    return v;
}

/* Takes `n` bytes from the reader, or fails without moving it. */
static bool take(sp_mp_reader* r, size_t n, const uint8_t** out) {
    if ((size_t)(r->end - r->p) < n) return false;
    *out = r->p;
    r->p += n;
    return true;
}

static sp_mp_status take_uint(sp_mp_reader* r, int n, uint64_t* out) {
    const uint8_t* p;
    if (!take(r, (size_t)n, &p)) return SP_MP_TRUNCATED;
    *out = load_be(p, n);
    return SP_MP_OK;
}

/* Reads a length of `n` bytes, then that many bytes of body. */
static sp_mp_status take_body(sp_mp_reader* r, int n, sp_mp_value* v) {
    uint64_t len;
    if (n > 0 && take_uint(r, n, &len) != SP_MP_OK) return SP_MP_TRUNCATED;
    if (n == 0) len = v->len;
    if (!take(r, (size_t)len, &v->ptr)) return SP_MP_TRUNCATED;
    v->len = (uint32_t)len;
    return SP_MP_OK;
}

/* A container header: only the count is read; each element is checked when it is read. */
static sp_mp_status take_count(sp_mp_reader* r, int n, sp_mp_value* v) {
    uint64_t count;
    if (take_uint(r, n, &count) != SP_MP_OK) return SP_MP_TRUNCATED;
    v->len = (uint32_t)count;
    v->ptr = r->p;
    return SP_MP_OK;
}

static void set_int(sp_mp_value* v, int64_t i) {
    v->type = SP_MP_INT;
    v->negative = i < 0;
    v->i = i;
    v->u = (uint64_t)i;
}

static sp_mp_status take_signed(sp_mp_reader* r, int n, sp_mp_value* v) {
    uint64_t raw;
    if (take_uint(r, n, &raw) != SP_MP_OK) return SP_MP_TRUNCATED;
    /* Two's complement of width 8n, decoded by value so that nothing overflows: for a
     * negative x, ~raw & (sign - 1) is -x - 1. */
    uint64_t sign = 1ull << (8 * n - 1);
    set_int(v, (raw & sign) ? -(int64_t)(~raw & (sign - 1)) - 1 : (int64_t)raw);
    return SP_MP_OK;
}

static sp_mp_status take_ext(sp_mp_reader* r, int len_bytes, uint32_t fixed, sp_mp_value* v) {
    v->type = SP_MP_EXT;
    uint64_t len = fixed;
    const uint8_t* type;
    if (len_bytes && take_uint(r, len_bytes, &len) != SP_MP_OK) return SP_MP_TRUNCATED;
    if (!take(r, 1, &type)) return SP_MP_TRUNCATED;
    if (!take(r, (size_t)len, &v->ptr)) return SP_MP_TRUNCATED;
    v->len = (uint32_t)len;
    return SP_MP_OK;
}

sp_mp_status sp_mp_read(sp_mp_reader* r, sp_mp_value* v) {
    memset(v, 0, sizeof *v);
    const uint8_t* p;
    if (!take(r, 1, &p)) return SP_MP_TRUNCATED;
    uint8_t b = *p;
    if (b <= 0x7f) {
        set_int(v, b);
        return SP_MP_OK;
    }
    if (b >= 0xe0) {
        set_int(v, (int64_t)b - 256);
        return SP_MP_OK;
    }
    if ((b & 0xf0) == 0x80) {
        v->type = SP_MP_MAP;
        v->len = b & 0x0f;
        v->ptr = r->p;
        return SP_MP_OK;
    }
    if ((b & 0xf0) == 0x90) {
        v->type = SP_MP_ARRAY;
        v->len = b & 0x0f;
        v->ptr = r->p;
        return SP_MP_OK;
    }
    if ((b & 0xe0) == 0xa0) {
        v->type = SP_MP_STR;
        v->len = b & 0x1f;
        return take_body(r, 0, v);
    }
    uint64_t u;
    switch (b) {
    case 0xc0:
        v->type = SP_MP_NIL;
        return SP_MP_OK;
    case 0xc2:
    case 0xc3:
        v->type = SP_MP_BOOL;
        v->b = b == 0xc3;
        return SP_MP_OK;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        v->type = SP_MP_BIN;
        return take_body(r, 1 << (b - 0xc4), v);
    case 0xc7:
    case 0xc8:
    case 0xc9:
        return take_ext(r, 1 << (b - 0xc7), 0, v);
    case 0xca: {
        if (take_uint(r, 4, &u) != SP_MP_OK) return SP_MP_TRUNCATED;
        uint32_t bits = (uint32_t)u;
        float f;
        memcpy(&f, &bits, sizeof f);
        v->type = SP_MP_FLOAT;
        v->f = f;
        return SP_MP_OK;
    }
    case 0xcb:
        if (take_uint(r, 8, &u) != SP_MP_OK) return SP_MP_TRUNCATED;
        v->type = SP_MP_FLOAT;
        memcpy(&v->f, &u, sizeof v->f);
        return SP_MP_OK;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        if (take_uint(r, 1 << (b - 0xcc), &u) != SP_MP_OK) return SP_MP_TRUNCATED;
        v->type = SP_MP_INT;
        v->u = u;
        v->i = u <= INT64_MAX ? (int64_t)u : 0; /* callers read `u` for non-negatives */
        return SP_MP_OK;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return take_signed(r, 1 << (b - 0xd0), v);
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return take_ext(r, 0, 1u << (b - 0xd4), v);
    case 0xd9:
    case 0xda:
    case 0xdb:
        v->type = SP_MP_STR;
        return take_body(r, 1 << (b - 0xd9), v);
    case 0xdc:
    case 0xdd:
        v->type = SP_MP_ARRAY;
        return take_count(r, 2 << (b - 0xdc), v);
    case 0xde:
    case 0xdf:
        v->type = SP_MP_MAP;
        return take_count(r, 2 << (b - 0xde), v);
    default: /* 0xc1 is reserved: never valid msgpack */
        return SP_MP_INVALID;
    }
}

static sp_mp_status skip_elements(sp_mp_reader* r, const sp_mp_value* v, int depth);

static sp_mp_status skip_at(sp_mp_reader* r, int depth) {
    sp_mp_value v;
    sp_mp_status st = sp_mp_read(r, &v);
    if (st != SP_MP_OK) return st;
    return skip_elements(r, &v, depth);
}

/* Skips a container's elements. Every element takes at least one byte and a truncated one
 * fails, so this never loops more times than there are bytes left. */
static sp_mp_status skip_elements(sp_mp_reader* r, const sp_mp_value* v, int depth) {
    if (v->type != SP_MP_ARRAY && v->type != SP_MP_MAP) return SP_MP_OK;
    if (depth >= SP_MP_MAX_DEPTH) return SP_MP_TOO_DEEP;
    uint64_t n = v->type == SP_MP_MAP ? 2 * (uint64_t)v->len : v->len;
    for (uint64_t k = 0; k < n; k++) {
        sp_mp_status st = skip_at(r, depth + 1);
        if (st != SP_MP_OK) return st;
    }
    return SP_MP_OK;
}

sp_mp_status sp_mp_read_whole(sp_mp_reader* r, sp_mp_value* v) {
    sp_mp_status st = sp_mp_read(r, v);
    if (st != SP_MP_OK) return st;
    return skip_elements(r, v, 0);
}

sp_mp_status sp_mp_skip(sp_mp_reader* r) {
    return skip_at(r, 0);
}

bool sp_mp_str_eq(const sp_mp_value* v, const char* s) {
    size_t n = strlen(s);
    return v->type == SP_MP_STR && v->len == n && memcmp(v->ptr, s, n) == 0;
}

const char* sp_mp_type_name(const sp_mp_value* v) {
    switch (v->type) {
    case SP_MP_NIL:
        return "nil";
    case SP_MP_BOOL:
        return "a boolean";
    case SP_MP_INT:
        return "an integer";
    case SP_MP_FLOAT:
        return "a float";
    case SP_MP_STR:
        return "a string";
    case SP_MP_BIN:
        return "binary data";
    case SP_MP_ARRAY:
        return "an array";
    case SP_MP_MAP:
        return "a map";
    case SP_MP_EXT:
        return "an extension value";
    }
    return "an unknown type";
}

const char* sp_mp_status_text(sp_mp_status st) {
    switch (st) {
    case SP_MP_OK:
        return "ok";
    case SP_MP_TRUNCATED:
        return "the msgpack data is truncated";
    case SP_MP_INVALID:
        return "the msgpack data holds the reserved byte 0xc1";
    case SP_MP_TOO_DEEP:
        return "the msgpack data is nested too deeply";
    }
    return "invalid msgpack";
}
