#include "sandpit/hash.h"

#include <string.h>

#define FNV_PRIME 0x100000001B3ull

void sp_hash_bytes(sp_hash* s, const void* p, size_t n) {
    const unsigned char* b = p;
    uint64_t h = s->h;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    s->h = h;
}

void sp_hash_u64(sp_hash* s, uint64_t v) {
    /* Byte order fixed explicitly so the hash means the same on any host. */
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    sp_hash_bytes(s, b, 8);
}

void sp_hash_f64(sp_hash* s, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    sp_hash_u64(s, bits);
}

uint64_t sp_hash_string(const char* str) {
    sp_hash s = sp_hash_begin();
    sp_hash_bytes(&s, str, strlen(str));
    return s.h;
}
