/* What faults cost: in-process steps per second of CartPole-v0 with three sensor faults
 * (a delay, noise and a periodic outage, one channel each) against the same env without
 * faults, measured in the same run. The target is >= 0.95. Other lines, for information: the
 * layer with an empty list, the same three faults spread over 7 channels, and one fault of
 * every kind CartPoleContinuous-v0 takes.
 *
 * Two episodes take the same actions from the same seed in alternating chunks of CHUNK
 * steps, each chunk timed on its own; each side's speed is its median chunk, since on a
 * shared machine interference comes in bursts that a median ignores. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/faults.h"

#define ACTION_TABLE BENCH_ACTION_TABLE
#define CHUNK 256
#define MAX_CHUNKS 20000

static double now_s(void) {
    return bench_clock_s(CLOCK_MONOTONIC);
}

static void die(const char* what, const char* err) {
    fprintf(stderr, "bench_faults: %s: %s\n", what, err);
    exit(1);
}

typedef struct side {
    sp_episode* ep;
    sp_faults* faults;
    long steps;
    double times[MAX_CHUNKS];
} side;

static void open_side(side* s, const sp_env_class* env, const sp_fault_def* list, int n) {
    char err[256];
    sp_episode_def def = sp_default_episode_def(env);
    s->ep = sp_episode_create(&def, err, sizeof err);
    if (!s->ep) die("episode", err);
    s->faults = NULL;
    if (list || n == 0) {
        s->faults = sp_faults_create(list, n, env->spec, err, sizeof err);
        if (!s->faults) die("faults", err);
        if (sp_faults_attach(s->faults, s->ep) != 0) die("faults", "attach failed");
    }
    uint64_t seed = 1;
    sp_episode_reset(s->ep, &seed);
    s->steps = 0;
}

static void close_side(side* s) {
    sp_episode_destroy(s->ep);
    sp_faults_destroy(s->faults);
}

static double run_chunk(side* s, const sp_action* actions) {
    char err[160];
    sp_step_result r;
    double start = now_s();
    for (int k = 0; k < CHUNK; k++, s->steps++) {
        if (sp_episode_done(s->ep)) sp_episode_reset(s->ep, NULL);
        if (sp_episode_step(s->ep, &actions[s->steps % ACTION_TABLE], &r, err, sizeof err) != 0)
            die("step", err);
    }
    return now_s() - start;
}

/* Prints one line: clean and faulted steps/s and their ratio, which it returns. */
static double compare(const char* label, const char* env_id, const sp_fault_def* list, int n,
                      double seconds) {
    static sp_action actions[ACTION_TABLE];
    static side clean, faulted;
    const sp_env_class* env = sp_env_find(env_id);
    if (!env) die("env", env_id);
    bench_fill_actions(env->spec, actions);
    open_side(&clean, env, NULL, -1);
    open_side(&faulted, env, list, n);
    int chunks = 0;
    double start = now_s();
    while (chunks < MAX_CHUNKS && now_s() - start < seconds) {
        /* Alternate which goes first, so neither always runs on a warmer cache. */
        side* first = chunks % 2 ? &faulted : &clean;
        side* second = chunks % 2 ? &clean : &faulted;
        first->times[chunks] = run_chunk(first, actions);
        second->times[chunks] = run_chunk(second, actions);
        chunks++;
    }
    double sc = CHUNK / bench_median(clean.times, chunks),
           sf = CHUNK / bench_median(faulted.times, chunks);
    printf("%-44s %14.0f %14.0f %8.3f\n", label, sc, sf, sf / sc);
    close_side(&clean);
    close_side(&faulted);
    return sf / sc;
}

/* Three sensor faults: a 3-step delay, Gaussian noise and a periodic outage (hold), on the
 * channels named. */
static void three_faults(sp_fault_def* d, const char* delay, const char* noise,
                         const char* outage) {
    d[0] = sp_default_fault_def(SP_FAULT_DELAY);
    d[0].target = delay;
    d[0].steps = 3;
    d[1] = sp_default_fault_def(SP_FAULT_NOISE);
    d[1].target = noise;
    d[1].sigma = 0.01;
    d[2] = sp_default_fault_def(SP_FAULT_OUTAGE);
    d[2].target = outage;
    d[2].mode = SP_OUTAGE_HOLD;
    d[2].schedule.type = SP_SCHEDULE_PERIODIC;
    d[2].schedule.period = 20;
    d[2].schedule.duty = 5;
}

int main(int argc, char** argv) {
    double seconds = 3.0;
    if (argc > 1 && !strcmp(argv[1], "--quick")) seconds = 0.3;

    sp_fault_def one[3], all[3];
    three_faults(one, "pole.angle", "cart.x", "cart.velocity");
    three_faults(all, "pole.*", "*", "cart.velocity");

    sp_fault_def every[SP_FAULT_KIND_SLOTS - 1];
    int n = 0;
    for (int k = 1; k < SP_FAULT_KIND_SLOTS; k++) {
        sp_fault_def d = sp_default_fault_def((sp_fault_kind)k);
        d.steps = 2;
        d.sigma = d.offset = d.rate = 0.01;
        d.probability = 0.05;
        d.magnitude = 1.0;
        d.walk = 0.001;
        every[n++] = d;
    }

    printf("%-44s %14s %14s %8s\n", "faults", "clean steps/s", "faulted", "ratio");
    compare("CartPole-v0: an empty list (the layer alone)", "CartPole-v0", NULL, 0, seconds);
    double ratio =
        compare("CartPole-v0: 3 sensor faults, 1 channel each", "CartPole-v0", one, 3, seconds);
    double heavy =
        compare("CartPole-v0: 3 sensor faults, 7 channels", "CartPole-v0", all, 3, seconds);
    compare("CartPoleContinuous-v0: one of every kind", "CartPoleContinuous-v0", every, n, seconds);
    printf("three sensor faults on CartPole-v0 keep %.1f%% of the clean speed (target >= 95%%); "
           "spread over 7 channels, %.1f%%\n",
           100.0 * ratio, 100.0 * heavy);
    return 0;
}
