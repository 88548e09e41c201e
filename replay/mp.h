#ifndef SANDPIT_REPLAY_MP_H
#define SANDPIT_REPLAY_MP_H

/* A strict msgpack reader over bytes in memory, for the header and footer of a replay.
 *
 * Why not msgpack-c's unpacker: it allocates an array for a container as soon as it reads the
 * container's claimed size, and a replay file is untrusted input (it may be forged with a
 * valid checksum). Here containers are read in place one element at a time, each element at
 * least one byte, so a file can make the reader neither allocate nor loop beyond its length.
 * Strings point into the bytes: no copies. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rp_mp_type {
    RP_MP_NIL,
    RP_MP_BOOL,
    RP_MP_UINT,
    RP_MP_INT, /* negative integers only */
    RP_MP_FLOAT,
    RP_MP_STR,
    RP_MP_BIN,
    RP_MP_ARRAY,
    RP_MP_MAP,
    RP_MP_EXT,
} rp_mp_type;

typedef struct rp_mp_value {
    rp_mp_type type;
    bool b;
    uint64_t u;
    int64_t i;
    double f;
    const uint8_t* ptr; /* str, bin, ext: the bytes */
    uint32_t len;       /* str, bin, ext: byte length; array: elements; map: pairs */
} rp_mp_value;

typedef struct rp_mp_reader {
    const uint8_t* p;
    const uint8_t* end;
} rp_mp_reader;

/* Reads one value. For an array or map only its head is consumed; the caller reads `len`
 * elements (2 * `len` for a map). Returns false on truncated or invalid bytes. */
bool rp_mp_read(rp_mp_reader* r, rp_mp_value* v);

/* Skips one whole value, containers included (nesting at most 32 deep). */
bool rp_mp_skip(rp_mp_reader* r);

/* Whether `v` is a string equal to the NUL-terminated `s`. */
bool rp_mp_str_eq(const rp_mp_value* v, const char* s);

/* Copies a string value into `out` (NUL-terminated); false if it is not a string or does not
 * fit. */
bool rp_mp_str_copy(const rp_mp_value* v, char* out, size_t out_sz);

#endif
