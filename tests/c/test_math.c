/* sandpit/math.h against the C library: accuracy in ulps over random and hand-picked
 * arguments, and C99 Annex F's special values. The libm used here is the reference, not the
 * truth: glibc's results are within about half an ulp of the exact value, so "at most 1 ulp
 * from libm" bounds ours within about 1.5 ulp of exact. The measured maxima are printed; they
 * are the figures in docs/DETERMINISM.md. */

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ensure.h"
#include "sandpit/math.h"
#include "sandpit/rng.h"

#define SAMPLES 200000
#define PI 3.14159265358979323846

/* Distance in ulps between two finite doubles (0 for equal values, signed zeros equal). */
static double ulps(double a, double b) {
    if (a == b) return 0.0;
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0.0 : INFINITY;
    int64_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    if (ia < 0) ia = INT64_MIN - ia; /* order negative doubles below positive ones */
    if (ib < 0) ib = INT64_MIN - ib;
    int64_t d;
    if (__builtin_sub_overflow(ia, ib, &d)) return INFINITY;
    return fabs((double)d);
}

typedef double (*fn1)(double);
typedef double (*fn2)(double, double);

/* Max ulp distance of f from ref over `n` arguments uniform in [lo, hi). */
static double worst1(fn1 f, fn1 ref, double lo, double hi, int n, uint64_t seed, double* at) {
    sp_rng rng;
    sp_rng_seed(&rng, seed, "test_math");
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        double x = sp_rng_range(&rng, lo, hi);
        double u = ulps(f(x), ref(x));
        if (u > worst) worst = u, *at = x;
    }
    return worst;
}

static double worst2(fn2 f, fn2 ref, double lo0, double hi0, double lo1, double hi1, int n,
                     double* at0, double* at1) {
    sp_rng rng;
    sp_rng_seed(&rng, 7, "test_math2");
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        double x = sp_rng_range(&rng, lo0, hi0), y = sp_rng_range(&rng, lo1, hi1);
        double u = ulps(f(x, y), ref(x, y));
        if (u > worst) worst = u, *at0 = x, *at1 = y;
    }
    return worst;
}

#define CHECK1(f, ref, lo, hi, limit)                                                              \
    do {                                                                                           \
        double at_ = 0.0, w_ = worst1(f, ref, lo, hi, SAMPLES, __LINE__, &at_);                    \
        printf("  %-7s [%g, %g): max %.0f ulp from libm (at %.17g)\n", #f, (double)(lo),           \
               (double)(hi), w_, at_);                                                             \
        ENSURE_MSG(w_ <= (limit), #f " is %.0f ulp from libm at %.17g", w_, at_);                  \
    } while (0)

static void sin_cos_within_one_ulp(void) {
    CHECK1(sp_sin, sin, -PI / 4, PI / 4, 1);
    CHECK1(sp_sin, sin, -10.0, 10.0, 1);
    CHECK1(sp_sin, sin, -1e6, 1e6, 1);
    CHECK1(sp_sin, sin, 1e6, 1e22, 1); /* Payne-Hanek reduction */
    CHECK1(sp_cos, cos, -PI / 4, PI / 4, 1);
    CHECK1(sp_cos, cos, -10.0, 10.0, 1);
    CHECK1(sp_cos, cos, -1e6, 1e6, 1);
    CHECK1(sp_cos, cos, 1e6, 1e22, 1);
    /* Close to the multiples of pi/2, where reduction loses most. */
    for (int k = -64; k <= 64; k++) {
        double x = k * (PI / 2);
        for (double dx = -4e-16 * (fabs(x) + 1); dx <= 4e-16 * (fabs(x) + 1);
             dx += 1e-16 * (fabs(x) + 1)) {
            ENSURE(ulps(sp_sin(x + dx), sin(x + dx)) <= 1);
            ENSURE(ulps(sp_cos(x + dx), cos(x + dx)) <= 1);
        }
    }
}

static void sincos_is_sin_and_cos(void) {
    /* Bit for bit: Chipmunk's cpvforangle uses sp_sincos, the rest sp_sin and sp_cos. */
    sp_rng rng;
    sp_rng_seed(&rng, 3, "test_math_sincos");
    const double scales[] = {1e-9, 1e-8, 1.0, 10.0, 1e4, 1e7, 1e20};
    for (int k = 0; k < (int)(sizeof scales / sizeof scales[0]); k++)
        for (int i = 0; i < 20000; i++) {
            double x = sp_rng_range(&rng, -scales[k], scales[k]), s, c;
            sp_sincos(x, &s, &c);
            ENSURE_MSG(s == sp_sin(x) && c == sp_cos(x) && signbit(s) == signbit(sp_sin(x)),
                       "sincos(%.17g)", x);
        }
    double s, c;
    sp_sincos(-0.0, &s, &c);
    ENSURE(s == 0.0 && signbit(s) && c == 1.0);
    sp_sincos(INFINITY, &s, &c);
    ENSURE(isnan(s) && isnan(c));
}

static void exp_log_within_one_ulp(void) {
    CHECK1(sp_exp, exp, -1.0, 1.0, 1);
    CHECK1(sp_exp, exp, -745.0, 709.7, 1);
    CHECK1(sp_log, log, 0.5, 2.0, 1);
    CHECK1(sp_log, log, 1e-300, 1e300, 1);
    CHECK1(sp_log, log, 0.0, 1e-310, 1); /* subnormals */
}

static double atan2_ref(double y, double x) {
    return atan2(y, x);
}
static double pow_ref(double x, double y) {
    return pow(x, y);
}

static void atan2_acos_pow_within_limits(void) {
    double a = 0, b = 0, w;
    w = worst2(sp_atan2, atan2_ref, -10, 10, -10, 10, SAMPLES, &a, &b);
    printf("  sp_atan2 [-10, 10)^2: max %.0f ulp from libm (at %.17g, %.17g)\n", w, a, b);
    ENSURE_MSG(w <= 1, "sp_atan2 is %.0f ulp from libm", w);
    w = worst2(sp_atan2, atan2_ref, -1e-3, 1e-3, -1e3, 1e3, SAMPLES, &a, &b);
    ENSURE_MSG(w <= 1, "sp_atan2 is %.0f ulp from libm at (%g, %g)", w, a, b);
    CHECK1(sp_acos, acos, -1.0, 1.0, 2);
    w = worst2(sp_pow, pow_ref, 0.0, 4.0, -30.0, 30.0, SAMPLES, &a, &b);
    printf("  sp_pow   [0, 4) x [-30, 30): max %.0f ulp from libm (at %.17g, %.17g)\n", w, a, b);
    ENSURE_MSG(w <= 1, "sp_pow is %.0f ulp from libm", w);
    w = worst2(sp_pow, pow_ref, 0.0, 1.0, 0.0, 1.0 / 30.0, SAMPLES, &a, &b); /* Chipmunk's use */
    ENSURE_MSG(w <= 1, "sp_pow is %.0f ulp from libm at (%g, %g)", w, a, b);
}

static void special_values_as_c99(void) {
    const double specials[] = {0.0,      -0.0,      1.0,  -1.0,   0.5,     -0.5,  2.0,
                               -2.0,     3.0,       -3.0, 1e-310, -1e-310, 1e308, -1e308,
                               INFINITY, -INFINITY, NAN,  PI,     -PI};
    const int n = (int)(sizeof specials / sizeof specials[0]);
    for (int i = 0; i < n; i++) {
        double x = specials[i];
        ENSURE_MSG(ulps(sp_sin(x), sin(x)) <= 1 && signbit(sp_sin(x)) == signbit(sin(x)), "sin(%g)",
                   x);
        ENSURE_MSG(ulps(sp_cos(x), cos(x)) <= 1, "cos(%g)", x);
        ENSURE_MSG(ulps(sp_exp(x), exp(x)) <= 1, "exp(%g)", x);
        ENSURE_MSG(ulps(sp_log(x), log(x)) <= 1, "log(%g)", x);
        ENSURE_MSG(ulps(sp_acos(x), acos(x)) <= 2, "acos(%g)", x);
        for (int j = 0; j < n; j++) {
            double y = specials[j];
            ENSURE_MSG(ulps(sp_atan2(y, x), atan2(y, x)) <= 1 &&
                           signbit(sp_atan2(y, x)) == signbit(atan2(y, x)),
                       "atan2(%g, %g)", y, x);
            ENSURE_MSG(ulps(sp_pow(x, y), pow(x, y)) <= 1 &&
                           (isnan(pow(x, y)) || signbit(sp_pow(x, y)) == signbit(pow(x, y))),
                       "pow(%g, %g) = %g, libm %g", x, y, sp_pow(x, y), pow(x, y));
        }
    }
}

static int same_bits(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The memo returns sp_pow's exact bits: for pairs seen again (hits), for more distinct pairs
 * than it has slots (evictions), and for arguments that compare equal with other bits. */
static void pow_memo_is_pow(void) {
    const double xs[] = {0.0, -0.0, 1.0, 0.9, 0.0017970103533967436, 2.5, -2.0, NAN, INFINITY};
    const double ys[] = {1.0 / 60.0, 0.01, 60.0, 3.0, -0.0, 0.0, NAN, -1.0};
    const int nx = (int)(sizeof xs / sizeof xs[0]), ny = (int)(sizeof ys / sizeof ys[0]);
    for (int round = 0; round < 3; round++) /* the later rounds hit or evict */
        for (int i = 0; i < nx; i++)
            for (int j = 0; j < ny; j++)
                for (int again = 0; again < 2; again++)
                    ENSURE_MSG(same_bits(sp_pow_memo(xs[i], ys[j]), sp_pow(xs[i], ys[j])),
                               "pow_memo(%g, %g) round %d", xs[i], ys[j], round);
    sp_rng rng;
    sp_rng_seed(&rng, 7, "pow_memo");
    for (int i = 0; i < 20000; i++) {
        double x = sp_rng_range(&rng, 0.0, 2.0), y = sp_rng_range(&rng, -4.0, 4.0);
        ENSURE(same_bits(sp_pow_memo(x, y), sp_pow(x, y)));
    }
}

static const sp_test_case cases[] = {
    {"sin_cos_within_one_ulp", sin_cos_within_one_ulp},
    {"sincos_is_sin_and_cos", sincos_is_sin_and_cos},
    {"exp_log_within_one_ulp", exp_log_within_one_ulp},
    {"atan2_acos_pow_within_limits", atan2_acos_pow_within_limits},
    {"special_values_as_c99", special_values_as_c99},
    {"pow_memo_is_pow", pow_memo_is_pow},
};
SP_TEST_MAIN(cases)
