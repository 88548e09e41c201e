/* sp_exp and sp_log: fdlibm's e_exp.c and e_log.c as musl (MIT) carried them from FreeBSD's
 * msun until 2018. Changes: sp_ names, double in place of double_t, no floating-point
 * exception side effects.
 *
 * ====================================================
 * Copyright (C) 1993, 2004 by Sun Microsystems, Inc. All rights reserved.
 *
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */

#include <math.h>

#include "math_bits.h"
#include "sandpit/math.h"

static const double ln2hi = 6.93147180369123816490e-01;  /* 0x3fe62e42, 0xfee00000 */
static const double ln2lo = 1.90821492927058770002e-10;  /* 0x3dea39ef, 0x35793c76 */
static const double invln2 = 1.44269504088896338700e+00; /* 0x3ff71547, 0x652b82fe */

double sp_exp(double x) {
    /* A rational approximation on [-ln2/2, ln2/2] after x = k ln2 + r, then 2^k exactly. */
    static const double half[2] = {0.5, -0.5};
    static const double P1 = 1.66666666666666019037e-01;  /* 0x3FC55555, 0x5555553E */
    static const double P2 = -2.77777777770155933842e-03; /* 0xBF66C16C, 0x16BEBD93 */
    static const double P3 = 6.61375632143793436117e-05;  /* 0x3F11566A, 0xAF25DE2C */
    static const double P4 = -1.65339022054652515390e-06; /* 0xBEBBBD41, 0xC5D26BF1 */
    static const double P5 = 4.13813679705723846039e-08;  /* 0x3E663769, 0x72BEA4D0 */
    uint32_t hx = sp_high_word(x);
    int sign = (int)(hx >> 31);
    hx &= 0x7fffffff;
    if (hx >= 0x4086232b) { /* |x| >= 708.39... */
        if (isnan(x)) return x;
        if (x > 709.782712893383973096) return x * 0x1p1023; /* overflow (or +inf) */
        if (x < -745.13321910194110842) return 0;
    }
    double hi, lo;
    int k;
    if (hx > 0x3fd62e42) {    /* |x| > ln2/2 */
        if (hx >= 0x3ff0a2b2) /* |x| >= 1.5 ln2 */
            k = (int)(invln2 * x + half[sign]);
        else
            k = 1 - sign - sign;
        hi = x - k * ln2hi; /* k * ln2hi is exact here */
        lo = k * ln2lo;
        x = hi - lo;
    } else if (hx > 0x3e300000) { /* |x| > 2^-28 */
        k = 0;
        hi = x;
        lo = 0;
    } else {
        return 1 + x;
    }
    double xx = x * x;
    double c = x - xx * (P1 + xx * (P2 + xx * (P3 + xx * (P4 + xx * P5))));
    double y = 1 + (x * c / (2 - c) - lo + hi);
    return k == 0 ? y : scalbn(y, k);
}

double sp_log(double x) {
    /* x = 2^k (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)], then log(1 + f) from s = f/(2 + f)
     * and a degree-14 polynomial in s whose error is under 2^-58.45. */
    static const double Lg1 = 6.666666666666735130e-01; /* 3FE55555 55555593 */
    static const double Lg2 = 3.999999999940941908e-01; /* 3FD99999 9997FA04 */
    static const double Lg3 = 2.857142874366239149e-01; /* 3FD24924 94229359 */
    static const double Lg4 = 2.222219843214978396e-01; /* 3FCC71C5 1D8E78AF */
    static const double Lg5 = 1.818357216161805012e-01; /* 3FC74664 96CB03DE */
    static const double Lg6 = 1.531383769920937332e-01; /* 3FC39A09 D078C69F */
    static const double Lg7 = 1.479819860511658591e-01; /* 3FC2F112 DF3E5244 */
    uint64_t u = sp_bits(x);
    uint32_t hx = (uint32_t)(u >> 32);
    int k = 0;
    if (hx < 0x00100000 || hx >> 31) {
        if (u << 1 == 0) return -1 / (x * x); /* log(+-0) = -inf */
        if (hx >> 31) return (x - x) / 0.0;   /* log(-#) = NaN */
        k -= 54;                              /* subnormal: scale up */
        x *= 0x1p54;
        u = sp_bits(x);
        hx = (uint32_t)(u >> 32);
    } else if (hx >= 0x7ff00000) {
        return x;
    } else if (hx == 0x3ff00000 && u << 32 == 0) {
        return 0;
    }
    /* reduce x into [sqrt(2)/2, sqrt(2)] */
    hx += 0x3ff00000 - 0x3fe6a09e;
    k += (int)(hx >> 20) - 0x3ff;
    hx = (hx & 0x000fffff) + 0x3fe6a09e;
    x = sp_from_bits((uint64_t)hx << 32 | (u & 0xffffffff));
    double f = x - 1.0;
    double hfsq = 0.5 * f * f;
    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    double R = t2 + t1;
    double dk = k;
    return s * (hfsq + R) + dk * ln2lo - hfsq + f + dk * ln2hi;
}
