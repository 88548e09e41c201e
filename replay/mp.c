#include "mp.h"

#include <string.h>

#define MAX_DEPTH 32

static bool take(rp_mp_reader* r, size_t n, const uint8_t** out) {
    if ((size_t)(r->end - r->p) < n) return false;
    *out = r->p;
    r->p += n;
    return true;
}

static uint64_t be(const uint8_t* p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads an n-byte big-endian unsigned number. */
static bool read_be(rp_mp_reader* r, int n, uint64_t* out) {
    const uint8_t* p;
    if (!take(r, (size_t)n, &p)) return false;
    *out = be(p, n);
    return true;
}

static bool sized(rp_mp_reader* r, rp_mp_value* v, rp_mp_type type, int len_bytes) {
    uint64_t n;
    if (!read_be(r, len_bytes, &n)) return false;
    v->type = type;
    v->len = (uint32_t)n;
    if (type == RP_MP_ARRAY || type == RP_MP_MAP) {
        /* Each element takes at least one byte: a count beyond the bytes left is a lie. */
        uint64_t min = type == RP_MP_MAP ? 2 * n : n;
        return min <= (uint64_t)(r->end - r->p);
    }
    return take(r, (size_t)n, &v->ptr);
}

static bool ext(rp_mp_reader* r, rp_mp_value* v, int len_bytes, uint32_t fixed) {
    uint64_t n = fixed;
    if (len_bytes && !read_be(r, len_bytes, &n)) return false;
    const uint8_t* t;
    if (!take(r, 1, &t)) return false; /* the ext's type byte */
    v->type = RP_MP_EXT;
    v->len = (uint32_t)n;
    return take(r, (size_t)n, &v->ptr);
}

bool rp_mp_read(rp_mp_reader* r, rp_mp_value* v) {
    memset(v, 0, sizeof *v);
    const uint8_t* p;
    if (!take(r, 1, &p)) return false;
    uint8_t c = *p;
    uint64_t u;
    if (c <= 0x7f) {
        v->type = RP_MP_UINT;
        v->u = c;
        return true;
    }
    if (c >= 0xe0) {
        v->type = RP_MP_INT;
        v->i = (int8_t)c;
        return true;
    }
    if ((c & 0xf0) == 0x80) {
        v->type = RP_MP_MAP;
        v->len = c & 0x0f;
        return 2u * v->len <= (size_t)(r->end - r->p);
    }
    if ((c & 0xf0) == 0x90) {
        v->type = RP_MP_ARRAY;
        v->len = c & 0x0f;
        return v->len <= (size_t)(r->end - r->p);
    }
    if ((c & 0xe0) == 0xa0) {
        v->type = RP_MP_STR;
        v->len = c & 0x1f;
        return take(r, v->len, &v->ptr);
    }
    switch (c) {
    case 0xc0:
        v->type = RP_MP_NIL;
        return true;
    case 0xc2:
        v->type = RP_MP_BOOL;
        v->b = false;
        return true;
    case 0xc3:
        v->type = RP_MP_BOOL;
        v->b = true;
        return true;
    case 0xc4:
        return sized(r, v, RP_MP_BIN, 1);
    case 0xc5:
        return sized(r, v, RP_MP_BIN, 2);
    case 0xc6:
        return sized(r, v, RP_MP_BIN, 4);
    case 0xc7:
        return ext(r, v, 1, 0);
    case 0xc8:
        return ext(r, v, 2, 0);
    case 0xc9:
        return ext(r, v, 4, 0);
    case 0xca: {
        uint32_t bits;
        if (!read_be(r, 4, &u)) return false;
        bits = (uint32_t)u;
        float f;
        memcpy(&f, &bits, 4);
        v->type = RP_MP_FLOAT;
        v->f = f;
        return true;
    }
    case 0xcb:
        if (!read_be(r, 8, &u)) return false;
        v->type = RP_MP_FLOAT;
        memcpy(&v->f, &u, 8);
        return true;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        if (!read_be(r, 1 << (c - 0xcc), &u)) return false;
        v->type = RP_MP_UINT;
        v->u = u;
        return true;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        int n = 1 << (c - 0xd0);
        if (!read_be(r, n, &u)) return false;
        /* Sign-extend from n bytes. */
        int64_t s = n == 8 ? (int64_t)u : (int64_t)(u << (64 - 8 * n)) >> (64 - 8 * n);
        if (s >= 0) {
            v->type = RP_MP_UINT;
            v->u = (uint64_t)s;
        } else {
            v->type = RP_MP_INT;
            v->i = s;
        }
        return true;
    }
    case 0xd4:
        return ext(r, v, 0, 1);
    case 0xd5:
        return ext(r, v, 0, 2);
    case 0xd6:
        return ext(r, v, 0, 4);
    case 0xd7:
        return ext(r, v, 0, 8);
    case 0xd8:
        return ext(r, v, 0, 16);
    case 0xd9:
        return sized(r, v, RP_MP_STR, 1);
    case 0xda:
        return sized(r, v, RP_MP_STR, 2);
    case 0xdb:
        return sized(r, v, RP_MP_STR, 4);
    case 0xdc:
        return sized(r, v, RP_MP_ARRAY, 2);
    case 0xdd:
        return sized(r, v, RP_MP_ARRAY, 4);
    case 0xde:
        return sized(r, v, RP_MP_MAP, 2);
    case 0xdf:
        return sized(r, v, RP_MP_MAP, 4);
    default:
        return false; /* 0xc1, never used */
    }
}

static bool skip_depth(rp_mp_reader* r, int depth) {
    if (depth > MAX_DEPTH) return false;
    rp_mp_value v;
    if (!rp_mp_read(r, &v)) return false;
    uint64_t n = v.type == RP_MP_ARRAY ? v.len : v.type == RP_MP_MAP ? 2u * (uint64_t)v.len : 0;
    for (uint64_t i = 0; i < n; i++)
        if (!skip_depth(r, depth + 1)) return false;
    return true;
}

bool rp_mp_skip(rp_mp_reader* r) {
    return skip_depth(r, 0);
}

bool rp_mp_str_eq(const rp_mp_value* v, const char* s) {
    size_t n = strlen(s);
    return v->type == RP_MP_STR && v->len == n && memcmp(v->ptr, s, n) == 0;
}

bool rp_mp_str_copy(const rp_mp_value* v, char* out, size_t out_sz) {
    if (v->type != RP_MP_STR || v->len >= out_sz) return false;
    memcpy(out, v->ptr, v->len);
    out[v->len] = '\0';
    return true;
}
