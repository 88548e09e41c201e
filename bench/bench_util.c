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
    for (int i = 0; i < BENCH_ACTION_TABLE; i++)
        sp_action_sample(spec, &rng, &table[i]);
}

long bench_step_for(sp_episode* ep, const sp_action* table, double seconds, clockid_t clock,
                    double* elapsed) {
    char err[128];
    long steps = 0;
    sp_step_result r;
    double start = bench_clock_s(clock);
    *elapsed = 0.0;
    while (*elapsed < seconds) {
        for (int k = 0; k < 256; k++, steps++) {
            if (sp_episode_done(ep)) sp_episode_reset(ep, NULL);
            sp_episode_step(ep, &table[steps % BENCH_ACTION_TABLE], &r, err, sizeof err);
        }
        *elapsed = bench_clock_s(clock) - start;
    }
    return steps;
}

static int cmp_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

double bench_median(double* v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}
