#include "sandpit/rng.h"

#include <math.h>

#include "sandpit/hash.h"
#include "sandpit/math.h"

uint64_t sp_mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void sp_rng_seed(sp_rng* rng, uint64_t seed, const char* name) {
    /* The name is hashed and mixed into the seed, then splitmix64 fills the four words, as
     * the xoshiro authors recommend. A zero state is impossible from splitmix64 output. */
    uint64_t x = seed ^ sp_mix64(sp_hash_string(name));
    for (int i = 0; i < 4; i++) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        rng->s[i] = z ^ (z >> 31);
    }
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t sp_rng_next(sp_rng* rng) {
    uint64_t* s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sp_rng_uniform(sp_rng* rng) {
    return (double)(sp_rng_next(rng) >> 11) * 0x1.0p-53;
}

double sp_rng_range(sp_rng* rng, double lo, double hi) {
    return lo + (hi - lo) * sp_rng_uniform(rng);
}

uint32_t sp_rng_below(sp_rng* rng, uint32_t n) {
    uint64_t m = (uint64_t)(uint32_t)(sp_rng_next(rng) >> 32) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)(uint32_t)(sp_rng_next(rng) >> 32) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double sp_rng_normal(sp_rng* rng) {
    /* 1 - u is in (0, 1], so the log is finite. */
    double u1 = 1.0 - sp_rng_uniform(rng);
    double u2 = sp_rng_uniform(rng);
    return sqrt(-2.0 * sp_log(u1)) * sp_cos(6.283185307179586 * u2);
}
