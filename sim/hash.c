#include "sandpit/hash.h"

#include <string.h>

/* XXH64's primes and its per-lane and per-byte tail steps: a 64-bit value is absorbed in a
 * few multiplies instead of FNV-1a's eight, which matters because the state hash is taken at
 * every step. */
#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl(uint64_t x, int r) {
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t absorb_lane(uint64_t h, uint64_t v) {
    uint64_t k = rotl(v * P2, 31) * P1;
    h ^= k;
    return rotl(h, 27) * P1 + P4;
}

static inline uint64_t absorb_byte(uint64_t h, unsigned char b) {
    h ^= (uint64_t)b * P5;
    return rotl(h, 11) * P1;
}

static inline uint64_t load_le64(const unsigned char* b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

void sp_hash_bytes(sp_hash* s, const void* p, size_t n) {
    const unsigned char* b = p;
    uint64_t h = s->h;
    for (; n >= 8; n -= 8, b += 8)
        h = absorb_lane(h, load_le64(b));
    for (; n > 0; n--, b++)
        h = absorb_byte(h, *b);
    s->h = h;
}

void sp_hash_u64(sp_hash* s, uint64_t v) {
    s->h = absorb_lane(s->h, v);
}

void sp_hash_f64(sp_hash* s, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    s->h = absorb_lane(s->h, bits);
}

uint64_t sp_hash_string(const char* str) {
    sp_hash s = sp_hash_begin();
    sp_hash_bytes(&s, str, strlen(str));
    return s.h;
}
