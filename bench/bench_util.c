#include "bench_util.h"

#include "sandpit/episode.h"

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
    for (int i = 0; i < BENCH_ACTION_TABLE; i++) sp_action_sample(spec, &rng, &table[i]);
}

static int cmp_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

double bench_median(double* v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}
