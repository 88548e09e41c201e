#ifndef SANDPIT_SERVER_CODEC_H
#define SANDPIT_SERVER_CODEC_H

/* The wire format of docs/PROTOCOL.md: requests are parsed strictly into an sp_request (a view
 * into the message: nothing is copied), fields are read through typed getters whose errors
 * name the field, arrays are {dtype, shape, data} maps, and replies are packed with msgpack-c
 * into the caller's reused buffer.
 *
 * Every function here that fails returns SP_E_BAD_REQUEST and writes a message for the
 * client into `err`; none of them asserts on what a client sent. */

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/mpread.h"

/* More keys than any op takes; a request with more is refused before any lookup. */
#define SP_REQUEST_MAX_FIELDS 16
#define SP_ARRAY_MAX_DIMS 4

/* Array bins are the host's bytes: the wire is little-endian, and so must the host be. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sandpit's array encoding copies host bytes; it needs a little-endian host"
#endif

/* The array dtypes, listed once: enum, wire name, item size. */
#define SP_DTYPE_LIST(X)                                                                           \
    X(SP_DTYPE_FLOAT32, "float32", 4)                                                              \
    X(SP_DTYPE_FLOAT64, "float64", 8)                                                              \
    X(SP_DTYPE_INT32, "int32", 4)                                                                  \
    X(SP_DTYPE_UINT8, "uint8", 1)                                                                  \
    X(SP_DTYPE_UINT64, "uint64", 8)

typedef enum sp_dtype {
#define SP_DTYPE_ENUM(sym, name, size) sym,
    SP_DTYPE_LIST(SP_DTYPE_ENUM)
#undef SP_DTYPE_ENUM
        SP_DTYPE_COUNT
} sp_dtype;

const char* sp_dtype_name(sp_dtype dtype);
size_t sp_dtype_size(sp_dtype dtype);

typedef struct sp_field {
    sp_mp_value key; /* always a string */
    sp_mp_value value;
    const uint8_t* raw; /* the value's whole msgpack bytes (for nested configs) */
    size_t raw_len;
} sp_field;

/* A parsed request: views into the message bytes, valid while they are. */
typedef struct sp_request {
    const sp_mp_value* op; /* NULL when the request has no "op" */
    bool has_id;           /* "id" was a valid unsigned integer: replies echo it */
    uint64_t id;
    int field_count;
    sp_field fields[SP_REQUEST_MAX_FIELDS];
    const uint8_t* end; /* end of the message: containers are re-read up to here */
} sp_request;

/* Parses one request: exactly one msgpack map with distinct string keys and nothing after it.
 * Returns 0 or SP_E_BAD_REQUEST. On failure `has_id` is still set when "id" was read and
 * valid, so the error reply can echo it. */
int sp_request_parse(const void* data, size_t len, sp_request* req, char* err, size_t err_sz);

/* The value under `key`, or NULL when the request has no such key. */
const sp_mp_value* sp_request_get(const sp_request* req, const char* key);

/* Points slots[a] at the value of key keys[a] (NULL-terminated), NULL when the request has no
 * such key: one pass over the request. With `only`, any key but "op", "id" and `keys` is
 * refused, naming it. */
int sp_request_fields(const sp_request* req, const char* const* keys, bool only,
                      const sp_mp_value** slots, char* err, size_t err_sz);

/* Typed reads of field `key`'s value `v` (NULL when absent). An absent or nil value leaves
 * `*out` as it was (the caller's default) unless `required`, in which case it is an error. */
int sp_value_u64(const sp_mp_value* v, const char* key, bool required, uint64_t lo, uint64_t hi,
                 uint64_t* out, char* err, size_t err_sz);
int sp_value_int(const sp_mp_value* v, const char* key, bool required, int lo, int hi, int* out,
                 char* err, size_t err_sz);
int sp_value_bool(const sp_mp_value* v, const char* key, bool* out, char* err, size_t err_sz);
/* A string field: `*out` is set to the value (a view; not NUL-terminated). */
int sp_value_str(const sp_mp_value* v, const char* key, bool required, const sp_mp_value** out,
                 char* err, size_t err_sz);

/* A decoded array: a view of its bytes, with a dtype and shape that match them exactly. */
typedef struct sp_array_view {
    sp_dtype dtype;
    int ndim;
    uint64_t shape[SP_ARRAY_MAX_DIMS];
    const uint8_t* data; /* unaligned: read it with memcpy */
    size_t count;        /* prod(shape) */
} sp_array_view;

/* Decodes `v` as an array map {dtype, shape, data} (no other keys). A malformed one (wrong
 * types, unknown dtype, data not prod(shape) * itemsize bytes) is SP_E_BAD_REQUEST; whether
 * dtype and shape are what the op expects is for the caller to say. `end` is the message's
 * end (sp_request.end). */
int sp_array_decode(const uint8_t* end, const sp_mp_value* v, const char* field, sp_array_view* out,
                    char* err, size_t err_sz);

/* Copies at most `n` client bytes into `buf` for a message, replacing anything that is not
 * printable ASCII with '?' and marking a cut with "...": messages must stay valid UTF-8. */
void sp_quote(char* buf, size_t buf_sz, const void* p, size_t n);

/* Packing. */
void sp_pack_cstr(msgpack_packer* pk, const char* s);
/* {"dtype", "shape", "data"} with `ndim` dims from `shape`; `data` is prod(shape) items. */
void sp_pack_array(msgpack_packer* pk, sp_dtype dtype, int ndim, const uint32_t* shape,
                   const void* data);
static inline void sp_pack_array1(msgpack_packer* pk, sp_dtype dtype, uint32_t n,
                                  const void* data) {
    sp_pack_array(pk, dtype, 1, &n, data);
}
/* A success reply's head: a map of `extra` + "ok" (+ "id") keys with "ok": true (and "id")
 * packed; the caller packs its `extra` key/value pairs next. */
void sp_pack_ok(msgpack_packer* pk, const sp_request* req, uint32_t extra);
/* {"ok": false, "error": {"code", "message"}} (+ "id" when `has_id`). */
void sp_pack_error(msgpack_packer* pk, bool has_id, uint64_t id, int code, const char* message);

#endif
