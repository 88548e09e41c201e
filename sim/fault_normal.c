/* Standard normal draws for fault noise: Doornik's ZIGNOR (2005), a ziggurat of 128 layers.
 * Faults draw several normals per step and Box-Muller's log and cos were most of the noise
 * fault's cost; the ziggurat needs one 64-bit draw and a table lookup 99% of the time.
 *
 * The top 53 bits of a draw give the uniform and the low 7 bits the layer, so the two are
 * independent (Doornik's fix for the correlation of the original Marsaglia-Tsang code).
 * The tables are computed once per process with sp_exp, sp_log and sqrt: the same bits on
 * every machine (sandpit/math.h). */

#include <math.h>
#include <pthread.h>

#include "fault_internal.h"
#include "sandpit/math.h"

_Static_assert(SP_FAULT_ZIG_LAYERS == 128, "the layer index takes 7 bits");
#define ZIG_C SP_FAULT_ZIG_LAYERS
#define ZIG_R 3.442619855899      /* start of the tail */
#define ZIG_V 9.91256303526217e-3 /* area of each layer */

double sp_fault_zig_x[ZIG_C + 1];
double sp_fault_zig_r[ZIG_C];
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_build(void) {
    double* x = sp_fault_zig_x;
    double f = sp_exp(-0.5 * ZIG_R * ZIG_R);
    x[0] = ZIG_V / f; /* the bottom layer, tail included, as a box of equal area */
    x[1] = ZIG_R;
    x[ZIG_C] = 0.0;
    for (int i = 2; i < ZIG_C; i++) {
        x[i] = sqrt(-2.0 * sp_log(ZIG_V / x[i - 1] + f));
        f = sp_exp(-0.5 * x[i] * x[i]);
    }
    for (int i = 0; i < ZIG_C; i++)
        sp_fault_zig_r[i] = x[i + 1] / x[i];
}

/* Uniform in (0, 1]: finite logarithms. */
static double open_uniform(sp_rng* rng) {
    return 1.0 - sp_rng_uniform(rng);
}

void sp_fault_normal_init(void) {
    pthread_once(&zig_once, zig_build);
}

double sp_fault_normal(sp_rng* rng) {
    sp_fault_normal_init();
    return sp_fault_normal_ready(rng);
}

double sp_fault_normal_rest(sp_rng* rng, uint64_t bits) {
    for (;; bits = sp_rng_next(rng)) {
        /* Through int64: bits >> 11 fits, and a signed conversion is one instruction. */
        double u = 2.0 * ((double)(int64_t)(bits >> 11) * 0x1.0p-53) - 1.0;
        int i = (int)(bits & (ZIG_C - 1));
        if (fabs(u) < sp_fault_zig_r[i]) return u * sp_fault_zig_x[i]; /* the layer's core */
        if (i == 0) {
            /* The tail beyond R, by Marsaglia's exponential rejection. */
            double x, y;
            do {
                x = sp_log(open_uniform(rng)) / ZIG_R;
                y = sp_log(open_uniform(rng));
            } while (-2.0 * y < x * x);
            return u < 0.0 ? x - ZIG_R : ZIG_R - x;
        }
        /* The wedge between this layer's box and the curve. */
        double x = u * sp_fault_zig_x[i];
        double f0 = sp_exp(-0.5 * (sp_fault_zig_x[i] * sp_fault_zig_x[i] - x * x));
        double f1 = sp_exp(-0.5 * (sp_fault_zig_x[i + 1] * sp_fault_zig_x[i + 1] - x * x));
        if (f1 + sp_rng_uniform(rng) * (f0 - f1) < 1.0) return x;
    }
}
