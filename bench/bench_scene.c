/* Scenes against their targets (docs/SCENES.md, docs/BENCHMARKS.md), each as a ratio or a
 * time measured in this run:
 *
 *   - CartPoleScene-v0 and LanderScene-v0 (assets/scenes/) against the hand-written CartPole-v0
 *     and Lander-v0: time per step, interleaved rounds, median ratio (target <= 1.2);
 *   - decoding and validating a 200-body scene (target < 5 ms);
 *   - making 256 envs of it: episodes created, and created and reset (target < 100 ms).
 *
 * Times are this thread's CPU time, so other load on the machine does not count.
 *
 *   bench_scene [--quick] */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/scene.h"

#define ROUNDS 7
#define MAKE_ENVS 256

/* Thread CPU time: the machine may be shared, and waiting for a core is not the scene's cost. */
static double now_s(void) {
    return bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* Seconds per step of `env` over about `seconds`, resets included. */
static double per_step(const sp_env_class* env, double seconds) {
    static sp_action actions[BENCH_ACTION_TABLE];
    bench_fill_actions(env->spec, actions);
    char err[128];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    uint64_t seed = 1;
    sp_episode_reset(ep, &seed);
    double elapsed;
    long steps = bench_step_for(ep, actions, seconds, CLOCK_THREAD_CPUTIME_ID, &elapsed);
    sp_episode_destroy(ep);
    return elapsed / (double)steps;
}

/* A scene of `n` bodies: boxes in a chain of pivots over generated terrain, each with a
 * sensor-worthy name, the shape of a many-body walker or rope. */
static char* big_scene(int n) {
    size_t cap = (size_t)n * 512 + 4096, used = 0;
    char* s = malloc(cap);
#define PUT(...) used += (size_t)snprintf(s + used, cap - used, __VA_ARGS__)
    PUT("{\"format\": 1, \"id\": \"Chain%d-v0\", \"world\": {\"dt\": 0.01, \"frame_skip\": 2, "
        "\"bounds\": [-100, -50, 400, 100]}, \"bodies\": [",
        n);
    for (int i = 0; i < n; i++)
        PUT("%s{\"name\": \"link%d\", \"position\": [%g, 5], \"mass\": 0.5, \"shapes\": "
            "[{\"type\": "
            "\"box\", \"size\": [0.5, 0.1], \"group\": 1, \"role\": \"agent\"}]}",
            i ? ", " : "", i, 0.5 * i);
    PUT("], \"joints\": [");
    for (int i = 1; i < n; i++)
        PUT("%s{\"type\": \"pivot\", \"a\": \"link%d\", \"b\": \"link%d\", \"anchor_a\": [0.25, "
            "0], "
            "\"anchor_b\": [-0.25, 0], \"limits\": [-0.5, 0.5]}",
            i > 1 ? ", " : "", i - 1, i);
    PUT("], \"actuators\": [{\"name\": \"push\", \"type\": \"thruster\", \"body\": \"link0\"}], "
        "\"sensors\": [{\"name\": \"head\", \"type\": \"body\", \"body\": \"link0\", \"values\": "
        "[\"x\", \"y\", \"angle\"]}, {\"name\": \"eye\", \"type\": \"lidar\", \"body\": \"link0\", "
        "\"rays\": 16}], \"reward\": [{\"type\": \"progress\", \"channel\": \"head.x\"}], "
        "\"generators\": [{\"type\": \"terrain\", \"name\": \"ground\", \"style\": \"rough\", "
        "\"x\": [-50, 300], \"segments\": 200, \"amplitude\": 0.2}]}");
#undef PUT
    return s;
}

/* The scene's time per step over the C env's, interleaved rounds, median ratio. */
static void compare(const char* c_id, const sp_scene* sc, double seconds) {
    double ratio[ROUNDS], c_ns[ROUNDS], s_ns[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double c = per_step(sp_env_find(c_id), seconds);
        double s = per_step(sp_scene_env(sc), seconds);
        ratio[r] = s / c;
        c_ns[r] = c * 1e9;
        s_ns[r] = s * 1e9;
    }
    printf("step  %s / %s time per step: %.3f (target <= 1.2)  [%.0f ns vs %.0f ns, medians "
           "of %d rounds]\n",
           sp_scene_env(sc)->spec->id, c_id, bench_median(ratio, ROUNDS),
           bench_median(s_ns, ROUNDS), bench_median(c_ns, ROUNDS), ROUNDS);
}

int main(int argc, char** argv) {
    bool quick = argc > 1 && !strcmp(argv[1], "--quick");
    double seconds = quick ? 0.1 : 0.4;
    char err[512];
    sp_scene* cart =
        sp_scene_load_file(SP_SOURCE_DIR "/assets/scenes/cartpole.json", NULL, err, sizeof err);
    if (!cart) {
        fprintf(stderr, "bench_scene: %s\n", err);
        return 1;
    }
    sp_scene* lander =
        sp_scene_load_file(SP_SOURCE_DIR "/assets/scenes/lander.json", NULL, err, sizeof err);
    if (!lander) {
        fprintf(stderr, "bench_scene: %s\n", err);
        return 1;
    }
    compare("CartPole-v0", cart, seconds);
    compare("Lander-v0", lander, seconds);

    char* text = big_scene(200);
    size_t len = strlen(text);
    double load[ROUNDS * 3];
    sp_scene* big = NULL;
    for (int r = 0; r < ROUNDS * 3; r++) {
        sp_scene_destroy(big);
        double t0 = now_s();
        big = sp_scene_load(text, len, NULL, err, sizeof err);
        load[r] = (now_s() - t0) * 1e3;
        if (!big) {
            fprintf(stderr, "bench_scene: %s\n", err);
            return 1;
        }
    }
    printf("load  decode + validate a 200-body scene (%zu bytes of JSON): %.3f ms (target < 5)\n",
           len, bench_median(load, ROUNDS * 3));

    double made[ROUNDS], reset[ROUNDS];
    static sp_episode* eps[MAKE_ENVS];
    for (int r = 0; r < ROUNDS; r++) {
        sp_episode_def def = sp_default_episode_def(sp_scene_env(big));
        double t0 = now_s();
        for (int i = 0; i < MAKE_ENVS; i++)
            eps[i] = sp_episode_create(&def, err, sizeof err);
        double t1 = now_s();
        for (int i = 0; i < MAKE_ENVS; i++) {
            uint64_t seed = (uint64_t)i;
            sp_episode_reset(eps[i], &seed);
        }
        double t2 = now_s();
        made[r] = (t1 - t0) * 1e3;
        reset[r] = (t2 - t0) * 1e3;
        for (int i = 0; i < MAKE_ENVS; i++)
            sp_episode_destroy(eps[i]);
    }
    printf("make  %d envs of it: %.2f ms created (target < 100), %.2f ms created and reset "
           "(each builds 200 bodies, 199 joints, 200 terrain segments)\n",
           MAKE_ENVS, bench_median(made, ROUNDS), bench_median(reset, ROUNDS));
    sp_scene_destroy(big);
    sp_scene_destroy(cart);
    sp_scene_destroy(lander);
    free(text);
    return 0;
}
