/* What default guardrails cost: in-process steps per second of every env with and without
 * sp_default_guard_def's layer, measured in the same run.
 *
 * Two episodes of the env, one plain and one guarded, take the same actions from the same seed
 * in alternating chunks of CHUNK steps, each chunk timed on its own in thread CPU time. Each
 * side's speed is taken from its median chunk: on a shared machine interference lands on both
 * sides alike and in bursts, which a median ignores. Prints guarded/unguarded steps per second;
 * the target is >= 0.97. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/guard.h"

#define ACTION_TABLE BENCH_ACTION_TABLE

static double now_s(void) {
    return bench_clock_s(CLOCK_MONOTONIC);
}

/* Chunks are timed in the thread's CPU time: time spent descheduled is not the step's cost. */
static double cpu_s(void) {
    return bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static void die(const char* what, const char* err) {
    fprintf(stderr, "bench_guard: %s: %s\n", what, err);
    exit(1);
}

#define CHUNK 256
#define MAX_CHUNKS 20000

typedef struct side {
    sp_episode* ep;
    sp_guard* guard;
    long steps;
    double times[MAX_CHUNKS];
} side;

static void open_side(side* s, const sp_env_class* env, bool guarded) {
    char err[160];
    sp_episode_def def = sp_default_episode_def(env);
    s->ep = sp_episode_create(&def, err, sizeof err);
    if (!s->ep) die("episode", err);
    s->guard = NULL;
    if (guarded) {
        sp_guard_def gd = sp_default_guard_def(env->spec);
        s->guard = sp_guard_create(&gd, env->spec, err, sizeof err);
        if (!s->guard) die("guard", err);
        if (sp_guard_attach(s->guard, s->ep) != 0) die("guard", "attach failed");
    }
    uint64_t seed = 1;
    sp_episode_reset(s->ep, &seed);
    s->steps = 0;
}

/* Runs one chunk; returns its duration in seconds. */
static double run_chunk(side* s, const sp_action* actions) {
    char err[160];
    sp_step_result r;
    double start = cpu_s();
    for (int k = 0; k < CHUNK; k++, s->steps++) {
        if (sp_episode_done(s->ep)) sp_episode_reset(s->ep, NULL);
        if (sp_episode_step(s->ep, &actions[s->steps % ACTION_TABLE], &r, err, sizeof err) != 0)
            die("step", err);
    }
    return cpu_s() - start;
}

int main(int argc, char** argv) {
    double seconds = 2.0; /* per env, both sides together */
    if (argc > 1 && !strcmp(argv[1], "--quick")) seconds = 0.2;
    static sp_action actions[ACTION_TABLE];
    static side plain, guarded;
    printf("%-24s %14s %14s %10s\n", "env", "plain steps/s", "guarded", "ratio");
    double worst = 1e9;
    for (int i = 0; i < sp_env_count(); i++) {
        const sp_env_class* env = sp_env_at(i);
        bench_fill_actions(env->spec, actions);
        open_side(&plain, env, false);
        open_side(&guarded, env, true);
        int n = 0;
        double start = now_s();
        while (n < MAX_CHUNKS && now_s() - start < seconds) {
            /* Alternate which goes first, so neither always runs on a warmer cache. */
            side* first = n % 2 ? &guarded : &plain;
            side* second = n % 2 ? &plain : &guarded;
            first->times[n] = run_chunk(first, actions);
            second->times[n] = run_chunk(second, actions);
            n++;
        }
        double sp = CHUNK / bench_median(plain.times, n),
               sg = CHUNK / bench_median(guarded.times, n);
        double ratio = sg / sp;
        if (ratio < worst) worst = ratio;
        printf("%-24s %14.0f %14.0f %10.3f\n", env->spec->id, sp, sg, ratio);
        sp_episode_destroy(plain.ep);
        sp_episode_destroy(guarded.ep);
        sp_guard_destroy(guarded.guard);
    }
    printf("%-24s %14s %14s %10.3f\n", "worst", "", "", worst);
    return 0;
}
