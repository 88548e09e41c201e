/* In-process steps per second for each env, one thread, physics and env logic only: the
 * ceiling that the server's throughput is measured against. Actions are drawn up front so
 * the policy costs nothing; resets are counted as part of stepping, as a training loop
 * would see them.
 *
 * Prints a table: env, steps/s, ns/step, and each env's speed as a ratio of CartPole-v0's
 * measured in the same run (absolute figures on shared machines mean little). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandpit/envs.h"
#include "sandpit/episode.h"

#define ACTION_TABLE 4096

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fill_actions(const sp_env_spec* spec, sp_action* table) {
    sp_rng rng;
    sp_rng_seed(&rng, 1, "bench_policy");
    memset(table, 0, sizeof(sp_action) * ACTION_TABLE);
    for (int i = 0; i < ACTION_TABLE; i++) {
        if (spec->action_kind == SP_ACTION_DISCRETE) {
            table[i].index = (int32_t)sp_rng_below(&rng, (uint32_t)spec->action_count);
        } else {
            for (int c = 0; c < spec->actuator_count; c++)
                table[i].value[c] = (float)sp_rng_range(&rng, spec->actuators[c].low,
                                                        spec->actuators[c].high);
        }
    }
}

/* Steps `env` for about `seconds`; returns steps per second. */
static double measure(const sp_env_class* env, double seconds, long* steps_out) {
    static sp_action actions[ACTION_TABLE];
    fill_actions(env->spec, actions);
    char err[128];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    if (!ep) {
        fprintf(stderr, "bench_core: %s\n", err);
        exit(1);
    }
    uint64_t seed = 1;
    sp_episode_reset(ep, &seed);
    long steps = 0;
    double start = now_s(), elapsed = 0.0;
    sp_step_result r;
    while (elapsed < seconds) {
        for (int k = 0; k < 256; k++, steps++) {
            if (sp_episode_done(ep)) sp_episode_reset(ep, NULL);
            sp_episode_step(ep, &actions[steps % ACTION_TABLE], &r, err, sizeof err);
        }
        elapsed = now_s() - start;
    }
    sp_episode_destroy(ep);
    *steps_out = steps;
    return (double)steps / elapsed;
}

int main(int argc, char** argv) {
    double seconds = 1.0;
    if (argc > 1 && !strcmp(argv[1], "--quick")) seconds = 0.1;
    sp_world_silence_chipmunk_banner();
    double base = 0.0;
    printf("%-24s %14s %10s %12s\n", "env", "steps/s", "ns/step", "vs CartPole");
    for (int i = 0; i < sp_env_count(); i++) {
        const sp_env_class* env = sp_env_at(i);
        long steps;
        double sps = measure(env, seconds, &steps);
        if (i == 0) base = sps;
        printf("%-24s %14.0f %10.1f %12.3f\n", env->spec->id, sps, 1e9 / sps, sps / base);
    }
    return 0;
}
