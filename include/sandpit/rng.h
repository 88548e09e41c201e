#ifndef SANDPIT_RNG_H
#define SANDPIT_RNG_H

/* Seeded random streams: xoshiro256** seeded through splitmix64.
 *
 * A stream is named: its state derives from (seed, name) alone, so adding a stream, or
 * drawing more from one, never shifts another. Every random draw in sandpit comes from one
 * of these; nothing reads the clock, addresses or hash-set order. */

#include <stdint.h>

typedef struct sp_rng {
    uint64_t s[4];
} sp_rng;

/* Seeds `rng` for the stream `name` (a NUL-terminated string) of `seed`. */
void sp_rng_seed(sp_rng* rng, uint64_t seed, const char* name);

/* Next 64 random bits. */
uint64_t sp_rng_next(sp_rng* rng);

/* Uniform double in [0, 1), 53 bits of precision. */
double sp_rng_uniform(sp_rng* rng);

/* Uniform double in [lo, hi). */
double sp_rng_range(sp_rng* rng, double lo, double hi);

/* Uniform integer in [0, n); n > 0. Unbiased (Lemire's method). */
uint32_t sp_rng_below(sp_rng* rng, uint32_t n);

/* Standard normal draw (Box-Muller, no cached spare so the state is the whole state). */
double sp_rng_normal(sp_rng* rng);

/* splitmix64 finaliser: a good 64-bit mixing function, exposed for deriving seeds. */
uint64_t sp_mix64(uint64_t x);

#endif
