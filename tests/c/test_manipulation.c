/* The manipulation worlds (Reacher-v0, Pusher-v0, Touch-v0 and its levels) and the scene parts
 * they brought: the level generator with its slot actuators, and the friction joint. Also the
 * step path's promise: after the first reset no env step allocates. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensure.h"
#include "sandpit/episode.h"
#include "sandpit/scene.h"
#include "scene_run.h"
#include "sandpit/world.h"

/* ---- an allocation counter (glibc's own allocator underneath) ----
 * Chipmunk grows its pools lazily: a block of CP_BUFFER_BYTES (calloc(1, n), n at most the
 * block size) when a world first holds more contacts, arbiters or hash bins than its pools
 * have, and a doubled array or hash table (realloc, calloc(n, sizeof(void*))) when its arrays
 * fill. That growth is bounded by the world's peak contact count and amortised over the
 * episode; everything else allocated during a step is counted as `other` and must be zero.
 * Sanitizer builds interpose malloc themselves: there the count is not taken. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define COUNTING 0
#endif
#endif
static long pool_growth, other;
#ifndef COUNTING
#define COUNTING 1
extern void* __libc_malloc(size_t n);
extern void* __libc_calloc(size_t n, size_t size);
extern void* __libc_realloc(void* p, size_t n);
extern void* __libc_memalign(size_t align, size_t n);
void* malloc(size_t n) {
    other++;
    return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
    bool block = n == 1 && size <= SP_CP_BUFFER_BYTES && size > SP_CP_BUFFER_BYTES / 2;
    bool table = n > 1 && size == sizeof(void*);
    if (block || table)
        pool_growth++;
    else
        other++;
    return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
    pool_growth++;
    return __libc_realloc(p, n);
}
void* aligned_alloc(size_t align, size_t n) {
    other++;
    return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) {
    other++;
    *out = __libc_memalign(align, n);
    return *out ? 0 : 12;
}
#endif

/* ---- episodes of scene files ---- */

typedef scene_run run;

static bool start_json(run* r, const char* json, uint64_t seed) {
    return scene_run_start_json(r, json, NULL, seed);
}

static bool start(run* r, const char* file, uint64_t seed) {
    char path[1024];
    snprintf(path, sizeof path, "%s/assets/%s", SP_SOURCE_DIR, file);
    return scene_run_start_file(r, path, seed);
}

static void stop(run* r) {
    scene_run_stop(r);
}

static sp_step_result step(run* r, const sp_action* a) {
    return scene_run_step(r, a);
}

static double obs(const run* r, const char* name) {
    return scene_run_obs(r, name);
}

static const char* const worlds[] = {
    "scenes/reacher.json",       "scenes/pusher.json",        "scenes/touch.json",
    "levels/touch_level01.json", "levels/touch_level07.json", "levels/touch_level11.json",
};

/* Chipmunk fills its ring of contact buffers over its first physics steps (one per step until
 * the oldest outlives the collision persistence of 3 steps); that is the world warming up, once
 * per world, not a cost of stepping. */
#define WARMUP_STEPS 4

/* Random actions for whole episodes: after the reset and the warm-up no step allocates, but
 * for Chipmunk's bounded pool growth. Episodes are played to their end, contacts and
 * terminations included. */
static void steps_allocate_nothing_after_the_first_reset(void) {
    if (!COUNTING) {
        printf("  (allocation counting is off in sanitizer builds)\n");
        return;
    }
    for (size_t w = 0; w < sizeof worlds / sizeof worlds[0]; w++) {
        for (uint64_t seed = 0; seed < 3; seed++) {
            run r;
            ENSURE(start(&r, worlds[w], seed));
            sp_rng rng;
            sp_rng_seed(&rng, seed, "test_policy");
            sp_action a;
            sp_step_result res = {0};
            for (int i = 0; i < WARMUP_STEPS; i++) {
                sp_action_sample(r.spec, &rng, &a);
                res = step(&r, &a);
            }
            long grown = pool_growth, others = other, steps = 0;
            while (!res.terminated && !res.truncated) {
                sp_action_sample(r.spec, &rng, &a);
                res = step(&r, &a);
                steps++;
            }
            grown = pool_growth - grown;
            others = other - others;
            stop(&r);
            printf("  %-26s seed %llu: %3ld steps, %ld pool growths, %ld other allocations\n",
                   worlds[w], (unsigned long long)seed, steps, grown, others);
            /* Reacher never touches anything: not even its pools grow. */
            ENSURE_MSG(others == 0 && grown <= (strstr(worlds[w], "reacher") ? 0 : 16),
                       "%s seed %llu: %ld other allocations, %ld pool growths in %ld steps",
                       worlds[w], (unsigned long long)seed, others, grown, steps);
        }
    }
}

/* ---- Reacher and Pusher ---- */

static void reacher_targets_are_seeded_and_within_reach(void) {
    double seen[8][2];
    for (uint64_t seed = 0; seed < 8; seed++) {
        run r;
        ENSURE(start(&r, "scenes/reacher.json", seed));
        seen[seed][0] = obs(&r, "target.x");
        seen[seed][1] = obs(&r, "target.y");
        stop(&r);
        ENSURE(hypot(seen[seed][0], seen[seed][1]) < 0.21); /* the arm's reach */
        ENSURE(seed == 0 || seen[seed][0] != seen[seed - 1][0]);
    }
    run again;
    ENSURE(start(&again, "scenes/reacher.json", 3));
    ENSURE(obs(&again, "target.x") == (float)seen[3][0]);
    stop(&again);
}

/* Reward: minus the fingertip's distance, minus the squared torques. */
static void reacher_reward_is_distance_and_control_cost(void) {
    run r;
    ENSURE(start(&r, "scenes/reacher.json", 5));
    sp_action a = {.value = {0.5f, -0.25f}};
    sp_step_result res = step(&r, &a);
    double d = hypot(obs(&r, "tip.x"), obs(&r, "tip.y"));
    ENSURE_MSG(fabs(res.reward - (-d - (0.25 + 0.0625))) < 1e-5, "%g vs %g", res.reward,
               -d - 0.3125);
    for (int i = 1; i < 50 && !res.truncated; i++)
        res = step(&r, &a);
    ENSURE(res.truncated && res.step == 50 && !strcmp(res.reason, "max_steps"));
    stop(&r);
}

/* The puck, shoved and left alone, slides to a stop on the table's friction. */
static void friction_joint_stops_a_sliding_puck(void) {
    const char* json =
        "{\"format\": 1, \"id\": \"Slide-v0\", \"world\": {\"gravity\": [0, 0], \"dt\": 0.01, "
        "\"max_steps\": 400}, \"bodies\": [{\"name\": \"puck\", \"mass\": 1, \"velocity\": [2, 0], "
        "\"shapes\": [{\"type\": \"circle\", \"radius\": 0.1}]}], \"joints\": [{\"type\": "
        "\"friction\", \"a\": null, \"b\": \"puck\", \"force\": 4, \"torque\": 0.1}], "
        "\"actuators\": [{\"name\": \"push\", \"type\": \"thruster\", \"body\": \"puck\"}], "
        "\"sensors\": [{\"name\": \"puck\", \"type\": \"body\", \"body\": \"puck\", \"values\": "
        "[\"x\", \"vx\"]}]}";
    run r;
    ENSURE(start_json(&r, json, 0));
    sp_action a = {0};
    for (int i = 0; i < 100; i++)
        step(&r, &a);
    /* 4 N on 1 kg: 4 m/s^2, so 2 m/s stops in 0.5 s after v^2 / 2a = 0.5 m. */
    ENSURE_MSG(fabs(obs(&r, "puck.vx")) < 1e-6, "vx %g", obs(&r, "puck.vx"));
    ENSURE_MSG(fabs(obs(&r, "puck.x") - 0.5) < 0.03, "x %g", obs(&r, "puck.x"));
    stop(&r);
}

/* ---- Touch: the level generator ---- */

/* A minimal level scene: agent g, goal b, a level generator and actuators. */
#define SENSE "{\"name\": \"g\", \"type\": \"body\", \"body\": \"g\", \"values\": [\"vx\"]}"
#define LEVEL_DOC(gen, acts)                                                                       \
    "{\"format\": 1, \"id\": \"L-v0\", \"world\": {}, \"bodies\": [{\"name\": \"g\", \"shapes\": " \
    "[{\"type\": "                                                                                 \
    "\"box\", \"size\": [1, 0.4], \"group\": 1}]}, {\"name\": \"b\", \"type\": \"static\", "       \
    "\"shapes\": [{\"type\": \"circle\", \"radius\": 0.3}]}], \"actuators\": [" acts               \
    "], \"sensors\": [" SENSE "], \"generators\": [" gen "]}"
#define GEN "{\"type\": \"level\", \"name\": \"l\", \"area\": [0, 0, 10, 2], \"agent\": \"g\", "
#define SLOT_M "{\"name\": \"m\", \"type\": \"slot_motor\", \"slot\": 0}"

static void touch_levels_follow_the_seed(void) {
    uint64_t h[6];
    int bodies[6];
    for (uint64_t seed = 0; seed < 6; seed++) {
        run r;
        ENSURE(start(&r, "scenes/touch.json", seed % 3));
        h[seed] = sp_episode_hash(r.ep);
        bodies[seed] = sp_world_body_count(sp_episode_world(r.ep));
        /* Declared: arena, green, blue; generated: 2 wheels and 0 to 2 obstacles. */
        ENSURE_MSG(bodies[seed] >= 5 && bodies[seed] <= 7, "%d bodies", bodies[seed]);
        double gap = fabs(obs(&r, "blue.x") - obs(&r, "green.x"));
        ENSURE_MSG(gap >= 4.0 - 1e-5, "gap %g", gap);
        stop(&r);
    }
    ENSURE(h[0] == h[3] && h[1] == h[4] && h[2] == h[5]);
    ENSURE(h[0] != h[1] && h[1] != h[2]);
}

/* Slot motors drive the generated wheels (green rolls); slot thrusters push green. */
static void slot_actuators_drive_what_the_level_built(void) {
    run r;
    ENSURE(start(&r, "scenes/touch.json", 1));
    sp_action idle = {0};
    for (int i = 0; i < 30; i++)
        step(&r, &idle); /* settle on the floor */
    double x0 = obs(&r, "green.x");
    double dir = obs(&r, "blue.x") > x0 ? 1.0 : -1.0;
    sp_action roll = {.value = {(float)-dir, (float)-dir, 0.0f, 0.0f}};
    for (int i = 0; i < 20; i++)
        step(&r, &roll);
    double moved = (obs(&r, "green.x") - x0) * dir;
    ENSURE_MSG(moved > 0.5, "rolled %g m toward blue", moved);
    stop(&r);

    /* A bare level: one step of thrust moves the agent away from its coasting twin, whichever
     * way the level drew the thruster. */
    const char* json = LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 1, \"thrusters\": 1, "
                                     "\"wheel\": [0.1, 0.1], \"gap\": 4}",
                                 SLOT_M ", {\"name\": \"t\", \"type\": \"slot_thruster\", "
                                        "\"slot\": 0, \"gain\": 10}");
    ENSURE(start_json(&r, json, 7));
    sp_action fire = {.value = {0.0f, 1.0f}};
    step(&r, &fire);
    double vx = obs(&r, "g.vx");
    stop(&r);
    ENSURE(start_json(&r, json, 7));
    step(&r, &idle);
    double coast = obs(&r, "g.vx");
    stop(&r);
    ENSURE_MSG(vx != coast, "the thruster moved nothing: %g vs %g", vx, coast);
}

/* Touching blue ends the episode with +1 (touched_blue), whatever the shaping said. */
static void touching_blue_wins_and_red_loses(void) {
    run r;
    ENSURE(start(&r, "levels/touch_level01.json", 0));
    sp_action go = {.value = {-1.0f, -1.0f, 0.0f, 0.0f}};
    sp_step_result res = {0};
    for (int i = 0; i < 300 && !res.terminated && !res.truncated; i++)
        res = step(&r, &go);
    ENSURE_MSG(res.terminated && !strcmp(res.reason, "touched_blue") && res.reward == 1.0, "%s %g",
               res.reason ? res.reason : "-", res.reward);
    stop(&r);
    ENSURE(start(&r, "levels/touch_level03.json", 0)); /* a red block on the road */
    res = (sp_step_result){0};
    for (int i = 0; i < 300 && !res.terminated && !res.truncated; i++)
        res = step(&r, &go);
    ENSURE_MSG(res.terminated && !strcmp(res.reason, "touched_red") && res.reward == -1.0, "%s %g",
               res.reason ? res.reason : "-", res.reward);
    stop(&r);
}

/* ---- bad scenes name their path ---- */

static void refused(const char* json, const char* want) {
    char err[512] = "";
    sp_scene* sc = sp_scene_load(json, strlen(json), NULL, err, sizeof err);
    if (sc) sp_scene_destroy(sc);
    ENSURE_MSG(!sc && strstr(err, want), "wanted '%s', got '%s'", want, err);
}

static void bad_level_scenes_name_their_path(void) {
    refused(LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 1}", SLOT_M ", {\"name\": \"n\", "
                                                                    "\"type\": \"slot_motor\", "
                                                                    "\"slot\": 1}"),
            "actuators[1].slot: is 1; the level generator has 1 such slots");
    refused(LEVEL_DOC("", SLOT_M), "actuators[0].slot: is 0; the level generator has 0");
    refused(LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 1}, " GEN "\"goal\": \"b\"}", SLOT_M),
            "generators[1].type: a scene has at most one level generator");
    refused(LEVEL_DOC(GEN "\"goal\": \"g\", \"motors\": 1}", SLOT_M),
            "generators[0].goal: must differ from agent");
    refused(LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 1, \"hazards\": [2, 1]}", SLOT_M),
            "generators[0].hazards");
    refused(LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 9}", SLOT_M), "generators[0].motors");
    refused(LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 1, \"gap\": 20}", SLOT_M),
            "generators[0].gap: must be less than the area's width");
    refused(LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 1, \"colour\": 1}", SLOT_M),
            "generators[0]: unknown key 'colour'");
    refused(LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 1}",
                      "{\"name\": \"m\", \"type\": \"slot_motor\", \"slot\": 0, \"joint\": "
                      "\"x\"}"),
            "actuators[0]: unknown key 'joint'");
    refused(LEVEL_DOC(GEN "\"goal\": \"b\", \"motors\": 1}",
                      "{\"name\": \"m\", \"type\": \"thruster\", \"body\": \"g\", \"slot\": 0}"),
            "actuators[0].slot: applies to slot actuators");
    refused("{\"format\": 1, \"id\": \"L-v0\", \"world\": {}, \"bodies\": [{\"name\": \"g\", "
            "\"shapes\": "
            "[{\"type\": \"circle\", \"radius\": 0.3}]}, {\"name\": \"b\", \"type\": \"static\"}], "
            "\"actuators\": [" SLOT_M "], \"sensors\": [" SENSE "], \"generators\": [" GEN
            "\"goal\": \"b\", \"motors\": 1}]}",
            "generators[0].agent: needs a shape group");
}

static void bad_friction_joints_name_their_path(void) {
    const char* head =
        "{\"format\": 1, \"id\": \"F-v0\", \"world\": {}, \"bodies\": [{\"name\": \"p\", "
        "\"shapes\": [{\"type\": \"circle\", \"radius\": 0.1}]}], \"actuators\": "
        "[{\"name\": \"t\", \"type\": \"thruster\", \"body\": \"p\"}], \"joints\": ";
    char doc[1024];
    snprintf(doc, sizeof doc, "%s[{\"type\": \"friction\", \"a\": null, \"b\": \"p\"}]}", head);
    refused(doc, "joints[0].force: is required");
    snprintf(doc, sizeof doc,
             "%s[{\"type\": \"friction\", \"a\": null, \"b\": \"p\", \"force\": -1}]}", head);
    refused(doc, "joints[0].force");
    snprintf(doc, sizeof doc, "%s[{\"type\": \"pivot\", \"a\": null, \"b\": \"p\", \"force\": 1}]}",
             head);
    refused(doc, "joints[0]: force and torque apply to friction joints");
}

static const sp_test_case cases[] = {
    {"steps_allocate_nothing_after_the_first_reset", steps_allocate_nothing_after_the_first_reset},
    {"reacher_targets_are_seeded_and_within_reach", reacher_targets_are_seeded_and_within_reach},
    {"reacher_reward_is_distance_and_control_cost", reacher_reward_is_distance_and_control_cost},
    {"friction_joint_stops_a_sliding_puck", friction_joint_stops_a_sliding_puck},
    {"touch_levels_follow_the_seed", touch_levels_follow_the_seed},
    {"slot_actuators_drive_what_the_level_built", slot_actuators_drive_what_the_level_built},
    {"touching_blue_wins_and_red_loses", touching_blue_wins_and_red_loses},
    {"bad_level_scenes_name_their_path", bad_level_scenes_name_their_path},
    {"bad_friction_joints_name_their_path", bad_friction_joints_name_their_path},
};
SP_TEST_MAIN(cases)
