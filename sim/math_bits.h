#ifndef SANDPIT_SIM_MATH_BITS_H
#define SANDPIT_SIM_MATH_BITS_H

/* Word access to IEEE 754 doubles for the fdlibm-derived functions in math_*.c, which
 * branch on exponent bits and split numbers into high and low halves. Through memcpy: no
 * aliasing questions, and compilers turn it into one move. */

#include <stdint.h>
#include <string.h>

static inline uint64_t sp_bits(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double sp_from_bits(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline uint32_t sp_high_word(double x) {
    return (uint32_t)(sp_bits(x) >> 32);
}

static inline uint32_t sp_low_word(double x) {
    return (uint32_t)sp_bits(x);
}

static inline double sp_with_words(uint32_t hi, uint32_t lo) {
    return sp_from_bits((uint64_t)hi << 32 | lo);
}

static inline double sp_with_high_word(double x, uint32_t hi) {
    return sp_with_words(hi, sp_low_word(x));
}

static inline double sp_with_low_word(double x, uint32_t lo) {
    return sp_with_words(sp_high_word(x), lo);
}

/* Argument reduction for sp_sin and sp_cos: x - n*pi/2 as y[0] + y[1], returns n. */
int sp_math_rem_pio2(double x, double* y);

/* Payne-Hanek reduction of huge arguments (fdlibm's __kernel_rem_pio2, double precision). */
int sp_math_rem_pio2_large(const double* x, double* y, int e0, int nx);

#endif
