/* sp_sin and sp_cos: fdlibm's s_sin.c, s_cos.c, k_sin.c, k_cos.c and e_rem_pio2.c as musl
 * (MIT) carries them from FreeBSD's msun, with Bruce D. Evans's optimisations. Changes: sp_
 * names, double in place of double_t, no floating-point exception side effects.
 *
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunSoft, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */

#include <float.h>

#include "math_bits.h"
#include "sandpit/math.h"

/* pi/2 in three 33-bit parts and their tails: n * pio2_k is exact for n < 2^20. */
static const double toint = 1.5 / DBL_EPSILON;
static const double pio4 = 0x1.921fb54442d18p-1;
static const double invpio2 = 6.36619772367581382433e-01; /* 0x3FE45F30, 0x6DC9C883 */
static const double pio2_1 = 1.57079632673412561417e+00;  /* 0x3FF921FB, 0x54400000 */
static const double pio2_1t = 6.07710050650619224932e-11; /* 0x3DD0B461, 0x1A626331 */
static const double pio2_2 = 6.07710050630396597660e-11;  /* 0x3DD0B461, 0x1A600000 */
static const double pio2_2t = 2.02226624879595063154e-21; /* 0x3BA3198A, 0x2E037073 */
static const double pio2_3 = 2.02226624871116645580e-21;  /* 0x3BA3198A, 0x2E000000 */
static const double pio2_3t = 8.47842766036889956997e-32; /* 0x397B839A, 0x252049C1 */

/* x - k*pi/2 for k = 1..4 by the first part and its tail: good to 85 bits near the axes. */
static int reduce_small(double x, int k, double* y) {
    double z = x - k * pio2_1;
    y[0] = z - k * pio2_1t;
    y[1] = (z - y[0]) - k * pio2_1t;
    return k;
}

static int reduce_medium(double x, uint32_t ix, double* y) {
    /* rint(x / (pi/2)): adding and removing 1.5 * 2^52 rounds to an integer. */
    double fn = x * invpio2 + toint - toint;
    int n = (int)fn;
    double r = x - fn * pio2_1;
    double w = fn * pio2_1t; /* first round, good to 85 bits */
    if (r - w < -pio4) {
        n--, fn--;
        r = x - fn * pio2_1;
        w = fn * pio2_1t;
    } else if (r - w > pio4) {
        n++, fn++;
        r = x - fn * pio2_1;
        w = fn * pio2_1t;
    }
    y[0] = r - w;
    int ex = (int)(ix >> 20);
    int ey = (int)(sp_high_word(y[0]) >> 20 & 0x7ff);
    if (ex - ey > 16) { /* second round, good to 118 bits */
        double t = r;
        w = fn * pio2_2;
        r = t - w;
        w = fn * pio2_2t - ((t - r) - w);
        y[0] = r - w;
        ey = (int)(sp_high_word(y[0]) >> 20 & 0x7ff);
        if (ex - ey > 49) { /* third round, good to 151 bits: covers all cases */
            t = r;
            w = fn * pio2_3;
            r = t - w;
            w = fn * pio2_3t - ((t - r) - w);
            y[0] = r - w;
        }
    }
    y[1] = (r - y[0]) - w;
    return n;
}

int sp_math_rem_pio2(double x, double* y) {
    uint64_t u = sp_bits(x);
    int sign = (int)(u >> 63);
    uint32_t ix = (uint32_t)(u >> 32) & 0x7fffffff;
    if (ix <= 0x400f6a7a) {                                            /* |x| ~<= 5pi/4 */
        if ((ix & 0xfffff) == 0x921fb) return reduce_medium(x, ix, y); /* ~pi/2, ~pi */
        int k = ix <= 0x4002d97c ? 1 : 2;                              /* ~<= 3pi/4 */
        return reduce_small(x, sign ? -k : k, y);
    }
    if (ix <= 0x401c463b) { /* |x| ~<= 9pi/4 */
        if (ix == 0x4012d97c || ix == 0x401921fb) return reduce_medium(x, ix, y); /* ~3pi/2, 2pi */
        int k = ix <= 0x4015fdbc ? 3 : 4;                                         /* ~<= 7pi/4 */
        return reduce_small(x, sign ? -k : k, y);
    }
    if (ix < 0x413921fb) return reduce_medium(x, ix, y); /* |x| ~< 2^20 * pi/2 */
    if (ix >= 0x7ff00000) {                              /* inf or NaN */
        y[0] = y[1] = x - x;
        return 0;
    }
    /* Huge: split |x| scaled to [2^23, 2^24) into three 24-bit chunks. */
    double tx[3], ty[2];
    double z = sp_from_bits((u & (uint64_t)-1 >> 12) | (uint64_t)(0x3ff + 23) << 52);
    int i;
    for (i = 0; i < 2; i++) {
        tx[i] = (double)(int32_t)z;
        z = (z - tx[i]) * 0x1p24;
    }
    tx[i] = z;
    while (tx[i] == 0.0)
        i--; /* the first chunk is never zero */
    int n = sp_math_rem_pio2_large(tx, ty, (int)(ix >> 20) - (0x3ff + 23), i + 1);
    if (sign) {
        y[0] = -ty[0];
        y[1] = -ty[1];
        return -n;
    }
    y[0] = ty[0];
    y[1] = ty[1];
    return n;
}

/* sin on [-pi/4, pi/4] of x + y (y the tail of x; tail_zero when y is 0): a degree-13
 * polynomial whose error is under 2^-58. */
static double kernel_sin(double x, double y, int tail_zero) {
    static const double S1 = -1.66666666666666324348e-01; /* 0xBFC55555, 0x55555549 */
    static const double S2 = 8.33333333332248946124e-03;  /* 0x3F811111, 0x1110F8A6 */
    static const double S3 = -1.98412698298579493134e-04; /* 0xBF2A01A0, 0x19C161D5 */
    static const double S4 = 2.75573137070700676789e-06;  /* 0x3EC71DE3, 0x57B1FE7D */
    static const double S5 = -2.50507602534068634195e-08; /* 0xBE5AE5E6, 0x8A2B9CEB */
    static const double S6 = 1.58969099521155010221e-10;  /* 0x3DE5D93A, 0x5ACFD57C */
    double z = x * x;
    double w = z * z;
    double r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    double v = z * x;
    if (tail_zero) return x + v * (S1 + z * r);
    return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

/* cos on [-pi/4, pi/4] of x + y: a degree-14 polynomial whose error is under 2^-58. */
static double kernel_cos(double x, double y) {
    static const double C1 = 4.16666666666666019037e-02;  /* 0x3FA55555, 0x5555554C */
    static const double C2 = -1.38888888888741095749e-03; /* 0xBF56C16C, 0x16C15177 */
    static const double C3 = 2.48015872894767294178e-05;  /* 0x3EFA01A0, 0x19CB1590 */
    static const double C4 = -2.75573143513906633035e-07; /* 0xBE927E4F, 0x809C52AD */
    static const double C5 = 2.08757232129817482790e-09;  /* 0x3E21EE9E, 0xBDB4B1C4 */
    static const double C6 = -1.13596475577881948265e-11; /* 0xBDA8FAE9, 0xBE8838D4 */
    double z = x * x;
    double w = z * z;
    double r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    double hz = 0.5 * z;
    w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + (z * r - x * y));
}

double sp_sin(double x) {
    uint32_t ix = sp_high_word(x) & 0x7fffffff;
    if (ix <= 0x3fe921fb) {            /* |x| ~< pi/4 */
        if (ix < 0x3e500000) return x; /* |x| < 2^-26 */
        return kernel_sin(x, 0.0, 1);
    }
    if (ix >= 0x7ff00000) return x - x; /* inf or NaN */
    double y[2];
    switch ((unsigned)sp_math_rem_pio2(x, y) & 3) {
    case 0:
        return kernel_sin(y[0], y[1], 0);
    case 1:
        return kernel_cos(y[0], y[1]);
    case 2:
        return -kernel_sin(y[0], y[1], 0);
    default:
        return -kernel_cos(y[0], y[1]);
    }
}

void sp_sincos(double x, double* s, double* c) {
    uint32_t ix = sp_high_word(x) & 0x7fffffff;
    if (ix <= 0x3fe921fb) { /* |x| ~< pi/4: the same cut-offs as sp_sin and sp_cos */
        *s = ix < 0x3e500000 ? x : kernel_sin(x, 0.0, 1);
        *c = ix < 0x3e46a09e ? 1.0 : kernel_cos(x, 0.0);
        return;
    }
    if (ix >= 0x7ff00000) {
        *s = *c = x - x;
        return;
    }
    double y[2];
    unsigned n = (unsigned)sp_math_rem_pio2(x, y) & 3;
    double sn = kernel_sin(y[0], y[1], 0), cs = kernel_cos(y[0], y[1]);
    switch (n) {
    case 0:
        *s = sn, *c = cs;
        break;
    case 1:
        *s = cs, *c = -sn;
        break;
    case 2:
        *s = -sn, *c = -cs;
        break;
    default:
        *s = -cs, *c = sn;
        break;
    }
}

double sp_cos(double x) {
    uint32_t ix = sp_high_word(x) & 0x7fffffff;
    if (ix <= 0x3fe921fb) {              /* |x| ~< pi/4 */
        if (ix < 0x3e46a09e) return 1.0; /* |x| < 2^-27 * sqrt(2) */
        return kernel_cos(x, 0.0);
    }
    if (ix >= 0x7ff00000) return x - x;
    double y[2];
    switch ((unsigned)sp_math_rem_pio2(x, y) & 3) {
    case 0:
        return kernel_cos(y[0], y[1]);
    case 1:
        return -kernel_sin(y[0], y[1], 0);
    case 2:
        return -kernel_cos(y[0], y[1]);
    default:
        return kernel_sin(y[0], y[1], 0);
    }
}
