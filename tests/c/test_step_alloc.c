/* Allocations while stepping the locomotion worlds, counted by wrapping glibc's malloc,
 * calloc and realloc. Every reset builds a fresh Chipmunk space (sim/world.c), and Chipmunk
 * allocates its contact buffers (a ring of collision persistence + 1), its arbiter set and
 * its arrays lazily in the first steps that need them; the scene runtime itself allocates
 * nothing per step. So an episode's steps may allocate a small, fixed warm-up budget, never
 * in proportion to its length: three episodes of up to 2000 steps each stay within
 * WARMUP_BUDGET per episode. Lander's scene is measured beside them as the reference. Built
 * without sanitizers only (they own malloc). */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/scene.h"

/* Chipmunk's warm-up in a fresh space: 4 contact buffers, the arbiter set's resizes and the
 * arrays' doublings (measured 11 to 13 per episode of 5 to 111 steps, these worlds and Lander
 * alike), far below one per step. */
#define WARMUP_BUDGET 24

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t n, size_t size);
extern void* __libc_realloc(void* p, size_t size);

static bool counting;
static long allocations;

void* malloc(size_t size) {
    allocations += counting;
    return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) {
    allocations += counting;
    return __libc_calloc(n, size);
}

void* realloc(void* p, size_t size) {
    allocations += counting;
    return __libc_realloc(p, size);
}

/* One episode with seeded random actions; returns its steps (-1 on error) and adds the
 * allocations made inside sp_episode_step to `allocations`. */
static int episode(sp_episode* ep, const sp_env_class* env, uint64_t seed) {
    char err[256];
    if (sp_episode_reset(ep, &seed) != 0) return -1;
    sp_rng policy;
    sp_rng_seed(&policy, seed, "step_alloc_policy");
    int steps = 0;
    while (steps < 2000) {
        sp_action act;
        sp_action_sample(env->spec, &policy, &act);
        sp_step_result r;
        counting = true;
        int rc = sp_episode_step(ep, &act, &r, err, sizeof err);
        counting = false;
        if (rc != 0) return -1;
        steps++;
        if (r.terminated || r.truncated) break;
    }
    return steps;
}

static void within_warmup(const char* file) {
    char err[512], path[1024];
    snprintf(path, sizeof path, "%s/assets/scenes/%s", SP_SOURCE_DIR, file);
    sp_scene* sc = sp_scene_load_file(path, NULL, err, sizeof err);
    ENSURE_MSG(sc != NULL, "%s", err);
    const sp_env_class* env = sp_scene_env(sc);
    sp_episode_def def = sp_default_episode_def(env);
    def.max_steps = 2000;
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    ENSURE(ep != NULL);
    ENSURE(episode(ep, env, 0) > 0); /* the first episode warms whatever is kept across */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        allocations = 0;
        int steps = episode(ep, env, seed);
        ENSURE(steps > 0);
        ENSURE_MSG(allocations <= WARMUP_BUDGET, "%s seed %llu: %ld allocations in %d steps", file,
                   (unsigned long long)seed, allocations, steps);
    }
    sp_episode_destroy(ep);
    sp_scene_destroy(sc);
}

static void walker(void) {
    within_warmup("walker.json");
}

static void walker_hardcore(void) {
    within_warmup("walker_hardcore.json");
}

static void hopper(void) {
    within_warmup("hopper.json");
}

static void lander_reference(void) {
    within_warmup("lander.json");
}

static const sp_test_case cases[] = {
    {"walker", walker},
    {"walker_hardcore", walker_hardcore},
    {"hopper", hopper},
    {"lander_reference", lander_reference},
};
SP_TEST_MAIN(cases)
