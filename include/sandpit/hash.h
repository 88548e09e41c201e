#ifndef SANDPIT_HASH_H
#define SANDPIT_HASH_H

/* A 64-bit hash (XXH64's lane mixing, without its final avalanche), fed incrementally.
 * Used for the state hash recorded at every step and for deriving stream seeds from names.
 * Floating-point values are hashed by their bits: the hash proves bit-exact reproduction, not
 * approximate agreement. */

#include <stddef.h>
#include <stdint.h>

#define SP_HASH_INIT 0x27D4EB2F165667C5ull

typedef struct sp_hash {
    uint64_t h;
} sp_hash;

static inline sp_hash sp_hash_begin(void) {
    sp_hash s = {SP_HASH_INIT};
    return s;
}

/* Feeds `n` bytes at `p`. */
void sp_hash_bytes(sp_hash* s, const void* p, size_t n);

/* Feeds one value in a fixed little-endian layout. */
void sp_hash_u64(sp_hash* s, uint64_t v);
void sp_hash_f64(sp_hash* s, double v);

/* Hash of a NUL-terminated string. */
uint64_t sp_hash_string(const char* str);

#endif
