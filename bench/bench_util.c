#include "bench_util.h"

#include <stdlib.h>
#include <string.h>

double bench_clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void bench_fill_actions(const sp_env_spec* spec, sp_action* table) {
    sp_rng rng;
    sp_rng_seed(&rng, 1, "bench_policy");
    memset(table, 0, sizeof(sp_action) * BENCH_ACTION_TABLE);
    for (int i = 0; i < BENCH_ACTION_TABLE; i++) {
        if (spec->action_kind == SP_ACTION_DISCRETE) {
            table[i].index = (int32_t)sp_rng_below(&rng, (uint32_t)spec->action_count);
        } else {
            for (int c = 0; c < spec->actuator_count; c++)
                table[i].value[c] =
                    (float)sp_rng_range(&rng, spec->actuators[c].low, spec->actuators[c].high);
        }
    }
}

static int cmp_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

double bench_median(double* v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}
