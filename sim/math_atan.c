/* sp_atan2 and sp_acos: fdlibm's s_atan.c and e_atan2.c as musl (MIT) carries them from
 * FreeBSD's msun. Changes: sp_ names, double in place of double_t, no floating-point
 * exception side effects; acos through atan2 (one polynomial to keep bit-exact, not two).
 *
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunPro, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */

#include <math.h>

#include "math_bits.h"
#include "sandpit/math.h"

static const double atanhi[] = {
    4.63647609000806093515e-01, /* atan(0.5)hi 0x3FDDAC67, 0x0561BB4F */
    7.85398163397448278999e-01, /* atan(1.0)hi 0x3FE921FB, 0x54442D18 */
    9.82793723247329054082e-01, /* atan(1.5)hi 0x3FEF730B, 0xD281F69B */
    1.57079632679489655800e+00, /* atan(inf)hi 0x3FF921FB, 0x54442D18 */
};

static const double atanlo[] = {
    2.26987774529616870924e-17, /* atan(0.5)lo 0x3C7A2B7F, 0x222F65E2 */
    3.06161699786838301793e-17, /* atan(1.0)lo 0x3C81A626, 0x33145C07 */
    1.39033110312309984516e-17, /* atan(1.5)lo 0x3C700788, 0x7AF0CBBD */
    6.12323399573676603587e-17, /* atan(inf)lo 0x3C91A626, 0x33145C07 */
};

static const double aT[] = {
    3.33333333333329318027e-01,  /* 0x3FD55555, 0x5555550D */
    -1.99999999998764832476e-01, /* 0xBFC99999, 0x9998EBC4 */
    1.42857142725034663711e-01,  /* 0x3FC24924, 0x920083FF */
    -1.11111104054623557880e-01, /* 0xBFBC71C6, 0xFE231671 */
    9.09088713343650656196e-02,  /* 0x3FB745CD, 0xC54C206E */
    -7.69187620504482999495e-02, /* 0xBFB3B0F2, 0xAF749A6D */
    6.66107313738753120669e-02,  /* 0x3FB10D66, 0xA0D03D51 */
    -5.83357013379057348645e-02, /* 0xBFADDE2D, 0x52DEFD9A */
    4.97687799461593236017e-02,  /* 0x3FA97B4B, 0x24760DEB */
    -3.65315727442169155270e-02, /* 0xBFA2B444, 0x2C6A6C2F */
    1.62858201153657823623e-02,  /* 0x3F90AD3A, 0xE322DA11 */
};

static const double pi = 3.1415926535897931160E+00;    /* 0x400921FB, 0x54442D18 */
static const double pi_lo = 1.2246467991473531772E-16; /* 0x3CA1A626, 0x33145C07 */

/* atan(x): reduced to one of five intervals, then an odd polynomial of degree 23. */
static double atan_(double x) {
    uint32_t ix = sp_high_word(x);
    uint32_t sign = ix >> 31;
    int id;
    ix &= 0x7fffffff;
    if (ix >= 0x44100000) { /* |x| >= 2^66 */
        if (isnan(x)) return x;
        return sign ? -atanhi[3] : atanhi[3];
    }
    if (ix < 0x3fdc0000) {             /* |x| < 0.4375 */
        if (ix < 0x3e400000) return x; /* |x| < 2^-27 */
        id = -1;
    } else {
        x = fabs(x);
        if (ix < 0x3ff30000) {     /* |x| < 1.1875 */
            if (ix < 0x3fe60000) { /* 7/16 <= |x| < 11/16 */
                id = 0;
                x = (2.0 * x - 1.0) / (2.0 + x);
            } else { /* 11/16 <= |x| < 19/16 */
                id = 1;
                x = (x - 1.0) / (x + 1.0);
            }
        } else if (ix < 0x40038000) { /* |x| < 2.4375 */
            id = 2;
            x = (x - 1.5) / (1.0 + 1.5 * x);
        } else { /* 2.4375 <= |x| < 2^66 */
            id = 3;
            x = -1.0 / x;
        }
    }
    double z = x * x;
    double w = z * z;
    /* the sum of aT[i] z^(i+1), split into odd and even terms */
    double s1 = z * (aT[0] + w * (aT[2] + w * (aT[4] + w * (aT[6] + w * (aT[8] + w * aT[10])))));
    double s2 = w * (aT[1] + w * (aT[3] + w * (aT[5] + w * (aT[7] + w * aT[9]))));
    if (id < 0) return x - x * (s1 + s2);
    z = atanhi[id] - (x * (s1 + s2) - atanlo[id] - x);
    return sign ? -z : z;
}

double sp_atan2(double y, double x) {
    if (isnan(x) || isnan(y)) return x + y;
    uint32_t ix = sp_high_word(x), lx = sp_low_word(x);
    uint32_t iy = sp_high_word(y), ly = sp_low_word(y);
    if (((ix - 0x3ff00000) | lx) == 0) return atan_(y); /* x = 1.0 */
    uint32_t m = ((iy >> 31) & 1) | ((ix >> 30) & 2);   /* 2 * sign(x) + sign(y) */
    ix &= 0x7fffffff;
    iy &= 0x7fffffff;
    if ((iy | ly) == 0) { /* y = 0 */
        switch (m) {
        case 0:
        case 1:
            return y; /* atan(+-0, +anything) = +-0 */
        case 2:
            return pi; /* atan(+0, -anything) = pi */
        default:
            return -pi;
        }
    }
    if ((ix | lx) == 0) return m & 1 ? -pi / 2 : pi / 2; /* x = 0 */
    if (ix == 0x7ff00000) {                              /* x is inf */
        if (iy == 0x7ff00000) {
            switch (m) {
            case 0:
                return pi / 4;
            case 1:
                return -pi / 4;
            case 2:
                return 3 * pi / 4;
            default:
                return -3 * pi / 4;
            }
        }
        switch (m) {
        case 0:
            return 0.0;
        case 1:
            return -0.0;
        case 2:
            return pi;
        default:
            return -pi;
        }
    }
    if (ix + (64 << 20) < iy || iy == 0x7ff00000)
        return m & 1 ? -pi / 2 : pi / 2; /* |y/x| > 2^64 */
    double z;
    if ((m & 2) && iy + (64 << 20) < ix) /* |y/x| < 2^-64, x < 0 */
        z = 0;
    else
        z = atan_(fabs(y / x));
    switch (m) {
    case 0:
        return z;
    case 1:
        return -z;
    case 2:
        return pi - (z - pi_lo);
    default:
        return (z - pi_lo) - pi;
    }
}

double sp_acos(double x) {
    /* 1 - x is exact where it matters (x near 1, by Sterbenz) and so is 1 + x near -1. */
    return sp_atan2(sqrt((1.0 - x) * (1.0 + x)), x);
}
