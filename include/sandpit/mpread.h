#ifndef SANDPIT_MPREAD_H
#define SANDPIT_MPREAD_H

/* sandpit's one msgpack reader (sim/mpread.c, library sp_mpread): requests on the server,
 * the episode config, replay headers and footers. A strict reader over a byte range: it
 * allocates nothing and checks every length against the bytes left before trusting it.
 *
 * Why not msgpack-c's unpacker: it allocates count * sizeof(msgpack_object) for a container
 * as soon as it reads the header, so a 5-byte request claiming 2^32 elements asks malloc for
 * ~100 GB. Here a container's elements are read in place, one at a time, each at least one
 * byte, so nothing a client sends can make the server allocate or loop more than the
 * message's length. Strings and bins point into the message: no copies. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deeper nesting than any request needs; bounds the recursion of sp_mp_skip. */
#define SP_MP_MAX_DEPTH 16

/* More pairs than any map of a request needs. It bounds the stack buffer in which a map's
 * keys are sorted to find a repeated one (docs/PROTOCOL.md, "Limits"). */
#define SP_MP_MAX_MAP_PAIRS 1024

typedef enum sp_mp_type {
    SP_MP_NIL,
    SP_MP_BOOL,
    SP_MP_INT, /* `negative` says whether `i` or `u` holds it */
    SP_MP_FLOAT,
    SP_MP_STR,
    SP_MP_BIN,
    SP_MP_ARRAY,
    SP_MP_MAP,
    SP_MP_EXT,
} sp_mp_type;

typedef enum sp_mp_status {
    SP_MP_OK = 0,
    SP_MP_TRUNCATED = -1, /* a value runs past the end of the bytes */
    SP_MP_INVALID = -2,   /* the reserved byte 0xc1 */
    SP_MP_TOO_DEEP = -3,  /* nested deeper than SP_MP_MAX_DEPTH */
    /* The two below are found only by sp_mp_read_whole and sp_mp_skip, on well-formed bytes:
     * the reader is past the value, so a caller may go on reading what follows. */
    SP_MP_REPEATED_KEY = -4, /* a map, at any depth, holds one key twice (`repeated` says which) */
    SP_MP_TOO_MANY_PAIRS = -5, /* a map, at any depth, has more than SP_MP_MAX_MAP_PAIRS pairs */
} sp_mp_status;

typedef struct sp_mp_value {
    sp_mp_type type;
    bool negative;
    bool b;
    uint64_t u;
    int64_t i;
    double f;
    const uint8_t* ptr; /* str/bin/ext: the bytes; array/map: the first element */
    uint32_t len;       /* str/bin/ext: byte length; array/map: element (pair) count */
} sp_mp_value;

typedef struct sp_mp_reader {
    const uint8_t* p;
    const uint8_t* end;
    const uint8_t* repeated; /* after SP_MP_REPEATED_KEY: the second copy of the key */
} sp_mp_reader;

static inline sp_mp_reader sp_mp_reader_make(const void* data, size_t len) {
    sp_mp_reader r = {(const uint8_t*)data, (const uint8_t*)data + len, NULL};
    return r;
}

/* Reads one value. Scalars, strings and bins are consumed whole. For an array or map only the
 * header is consumed: the reader stops at the first element, and the caller reads `len`
 * elements (2 * `len` for a map). */
sp_mp_status sp_mp_read(sp_mp_reader* r, sp_mp_value* v);

/* Reads one whole value, containers included: the reader ends up past it, and `v->ptr` of a
 * container still points at its first element for a later pass. Every map inside it, at any
 * depth, is checked to hold each key once (keys equal by value: 5 as a fixint and as a uint16
 * are one key) and at most SP_MP_MAX_MAP_PAIRS pairs, so no decoder of a nested map has to
 * remember to. Costs O(depth * bytes) and allocates nothing. */
sp_mp_status sp_mp_read_whole(sp_mp_reader* r, sp_mp_value* v);

/* Skips one whole value, with the checks of sp_mp_read_whole. */
sp_mp_status sp_mp_skip(sp_mp_reader* r);

/* The value as an unsigned integer: false unless it is an integer >= 0. */
static inline bool sp_mp_as_u64(const sp_mp_value* v, uint64_t* out) {
    if (v->type != SP_MP_INT || v->negative) return false;
    *out = v->u;
    return true;
}

/* Whether `v` is a string equal to the NUL-terminated `s`. */
bool sp_mp_str_eq(const sp_mp_value* v, const char* s);

/* Copies a string value into `out` (NUL-terminated); false if it is not a string or does not
 * fit. */
bool sp_mp_str_copy(const sp_mp_value* v, char* out, size_t out_sz);

/* A short English name of the value's type for error messages ("string", "map"...). */
const char* sp_mp_type_name(const sp_mp_value* v);

/* Human text for a status. */
const char* sp_mp_status_text(sp_mp_status st);

#endif
