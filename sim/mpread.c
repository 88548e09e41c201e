#include "sandpit/mpread.h"

#include <string.h>

#define SP_MP_STRINGIFY_(x) #x
#define SP_MP_STRINGIFY(x) SP_MP_STRINGIFY_(x)

static uint64_t load_be(const uint8_t* p, int n) {
    uint64_t v = 0;
    for (int k = 0; k < n; k++)
        v = (v << 8) | p[k];
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

/* ---- every map holds each key once ---- */

/* One key of a map, reduced to what decides equality: the same key written with another
 * msgpack width (fixint 5 and uint16 5, fixstr and str8) is the same key, as it is to the
 * msgpack libraries that build a dict from it. Keys that are containers or ext values compare
 * by their bytes. */
typedef struct key_ref {
    const uint8_t* at;  /* the key's first byte in the message */
    const uint8_t* ptr; /* str/bin: the body; ext/array/map: `at` */
    uint64_t num;       /* int: the value's bits; float: the double's bits; bool: 0 or 1 */
    uint32_t len;       /* str/bin: body length; ext/array/map: whole length */
    uint8_t type;
    uint8_t negative;
} key_ref;

static int compare_keys(const key_ref* a, const key_ref* b) {
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    if (a->negative != b->negative) return a->negative < b->negative ? -1 : 1;
    if (a->num != b->num) return a->num < b->num ? -1 : 1;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    return a->len ? memcmp(a->ptr, b->ptr, a->len) : 0;
}

/* Heapsort: no allocation (glibc's qsort may malloc) and no quadratic worst case that a
 * client could choose keys to reach. */
static void sift_down(key_ref* k, size_t root, size_t n) {
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && compare_keys(&k[child], &k[child + 1]) < 0) child++;
        if (compare_keys(&k[root], &k[child]) >= 0) return;
        key_ref t = k[root];
        k[root] = k[child];
        k[child] = t;
    }
}

static void sort_keys(key_ref* k, size_t n) {
    for (size_t i = n / 2; i-- > 0;)
        sift_down(k, i, n);
    for (size_t end = n; end-- > 1;) {
        key_ref t = k[0];
        k[0] = k[end];
        k[end] = t;
        sift_down(k, 0, end);
    }
}

/* Fills `kr` for the key `v`, whose bytes run from `at` to `key_end`. */
static void key_ref_set(key_ref* kr, const sp_mp_value* v, const uint8_t* at,
                        const uint8_t* key_end) {
    kr->at = at;
    kr->type = (uint8_t)v->type;
    kr->negative = v->negative;
    kr->num = v->type == SP_MP_BOOL ? v->b : v->u;
    if (v->type == SP_MP_FLOAT) memcpy(&kr->num, &v->f, sizeof kr->num);
    kr->ptr = v->ptr;
    kr->len = v->len;
    if (v->type != SP_MP_STR && v->type != SP_MP_BIN) {
        bool by_bytes = v->type == SP_MP_EXT || v->type == SP_MP_ARRAY || v->type == SP_MP_MAP;
        kr->ptr = at;
        kr->len = by_bytes ? (uint32_t)(key_end - at) : 0;
    }
}

/* Whether `n` keys hold one twice; `*repeated` is then the copy that comes second in the
 * message. Sorting puts equal keys side by side: O(n log n) comparisons, each stopping at the
 * first byte that differs, whatever keys a client picks. */
static bool find_repeat(key_ref* keys, uint32_t n, const uint8_t** repeated) {
    sort_keys(keys, n);
    for (uint32_t k = 1; k < n; k++) {
        if (compare_keys(&keys[k - 1], &keys[k]) != 0) continue;
        *repeated = keys[k - 1].at > keys[k].at ? keys[k - 1].at : keys[k].at;
        return true;
    }
    return false;
}

/* At most 16 keys: every pair compared (at most 120 comparisons) costs less than sorting. */
static bool repeats_in_small_map(const key_ref* keys, uint32_t n, const uint8_t** repeated) {
    for (uint32_t j = 1; j < n; j++)
        for (uint32_t i = 0; i < j; i++)
            if (compare_keys(&keys[i], &keys[j]) == 0) {
                *repeated = keys[j].at;
                return true;
            }
    return false;
}

/* A large map's keys, read again once the walk has been through the map (so the bytes are
 * well-formed), into a buffer in a frame of its own: the small maps of a step never pay for
 * 32 KiB of stack. */
static __attribute__((noinline)) bool repeats_in_large_map(const uint8_t* first, const uint8_t* end,
                                                           uint32_t n, const uint8_t** repeated) {
    key_ref keys[SP_MP_MAX_MAP_PAIRS];
    sp_mp_reader r = {first, end, NULL};
    for (uint32_t k = 0; k < n; k++) {
        sp_mp_value v;
        const uint8_t* at = r.p;
        if (sp_mp_read(&r, &v) != SP_MP_OK || skip_elements(&r, &v, 0) != SP_MP_OK) return false;
        key_ref_set(&keys[k], &v, at, r.p);
        if (skip_at(&r, 0) != SP_MP_OK) return false;
    }
    return find_repeat(keys, n, repeated);
}

/* What a walk found that is well-formed but refused: the first such problem. */
typedef struct walk_state {
    sp_mp_status status; /* SP_MP_OK, SP_MP_REPEATED_KEY or SP_MP_TOO_MANY_PAIRS */
    const uint8_t* repeated;
} walk_state;

static void note(walk_state* w, sp_mp_status st, const uint8_t* repeated) {
    if (w->status != SP_MP_OK) return;
    w->status = st;
    w->repeated = repeated;
}

static sp_mp_status walk_elements(sp_mp_reader* r, const sp_mp_value* v, int depth, walk_state* w);

static sp_mp_status walk_at(sp_mp_reader* r, int depth, walk_state* w) {
    sp_mp_value v;
    sp_mp_status st = sp_mp_read(r, &v);
    if (st != SP_MP_OK) return st;
    return walk_elements(r, &v, depth, w);
}

/* skip_elements, checking on the way that every map holds each key once: one pass, with the
 * keys of a small map gathered as they go by. A repeated key (or too large a map) is noted in
 * `w` and the walk goes on, so that the reader ends past the value. */
static sp_mp_status walk_elements(sp_mp_reader* r, const sp_mp_value* v, int depth, walk_state* w) {
    if (v->type != SP_MP_ARRAY && v->type != SP_MP_MAP) return SP_MP_OK;
    if (depth >= SP_MP_MAX_DEPTH) return SP_MP_TOO_DEEP;
    sp_mp_status st;
    if (v->type == SP_MP_ARRAY) {
        for (uint32_t k = 0; k < v->len; k++)
            if ((st = walk_at(r, depth + 1, w)) != SP_MP_OK) return st;
        return SP_MP_OK;
    }
    enum { SMALL = 16 };
    key_ref keys[SMALL];
    bool small = v->len <= SMALL;
    for (uint32_t k = 0; k < v->len; k++) {
        sp_mp_value key;
        const uint8_t* at = r->p;
        if ((st = sp_mp_read(r, &key)) != SP_MP_OK ||
            (st = walk_elements(r, &key, depth + 1, w)) != SP_MP_OK)
            return st;
        if (small) key_ref_set(&keys[k], &key, at, r->p);
        if ((st = walk_at(r, depth + 1, w)) != SP_MP_OK) return st;
    }
    const uint8_t* repeated = NULL;
    if (!small && v->len > SP_MP_MAX_MAP_PAIRS)
        note(w, SP_MP_TOO_MANY_PAIRS, NULL);
    else if (small ? repeats_in_small_map(keys, v->len, &repeated)
                   : repeats_in_large_map(v->ptr, r->end, v->len, &repeated))
        note(w, SP_MP_REPEATED_KEY, repeated);
    return SP_MP_OK;
}

/* Reads one whole value and checks its maps. */
static sp_mp_status skip_checked(sp_mp_reader* r, sp_mp_value* v) {
    walk_state w = {SP_MP_OK, NULL};
    sp_mp_status st = sp_mp_read(r, v);
    if (st == SP_MP_OK) st = walk_elements(r, v, 0, &w);
    if (st != SP_MP_OK) return st;
    r->repeated = w.repeated;
    return w.status;
}

sp_mp_status sp_mp_read_whole(sp_mp_reader* r, sp_mp_value* v) {
    return skip_checked(r, v);
}

sp_mp_status sp_mp_skip(sp_mp_reader* r) {
    sp_mp_value v;
    return skip_checked(r, &v);
}

bool sp_mp_str_eq(const sp_mp_value* v, const char* s) {
    size_t n = strlen(s);
    return v->type == SP_MP_STR && v->len == n && memcmp(v->ptr, s, n) == 0;
}

bool sp_mp_str_copy(const sp_mp_value* v, char* out, size_t out_sz) {
    if (v->type != SP_MP_STR || v->len >= out_sz) return false;
    memcpy(out, v->ptr, v->len);
    out[v->len] = '\0';
    return true;
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
    case SP_MP_REPEATED_KEY:
        return "a map holds the same key twice";
    case SP_MP_TOO_MANY_PAIRS:
        return "a map holds more than " SP_MP_STRINGIFY(SP_MP_MAX_MAP_PAIRS) " pairs";
    }
    return "invalid msgpack";
}
