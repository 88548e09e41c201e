/* The C envs as scenes: CartPole-v0 and its scene file run side by side over 100 seeds with the
 * same actions. Same rewards, terminations and reasons at every step, and, because the scene
 * builds the same bodies in the same order, the same world state hash at every step. */

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/scene.h"

#define SEEDS 100

static uint64_t world_hash(sp_episode* ep) {
    sp_hash h = sp_hash_begin();
    sp_world_hash(sp_episode_world(ep), &h);
    return h.h;
}

/* Gymnasium's heuristic LunarLander pilot in SI units (as sandpit.agents.lander), so that
 * landings, long hovers and fuel use are compared too, not only crashes. */
static int pilot(const float* o) {
    double x = o[0], y = o[1], vx = o[2], vy = o[3], angle = o[4], spin = o[5];
    double target = fmin(fmax(0.05 * x + 0.2 * vx, -0.4), 0.4);
    double turn = (target - angle) * 0.5 - 0.4 * spin;
    double lift = (1.0 + 0.367 * fabs(x) - y) / 6.667 * 0.5 - 0.0667 * vy;
    if (o[6] > 0 && o[7] > 0) {
        turn = lift = 0.0;
    } else if (o[6] > 0 || o[7] > 0) {
        turn = -angle * 0.5 - 0.4 * spin;
        lift = -0.0667 * vy;
    }
    if (lift > fabs(turn) && lift > 0.05) return 2;
    if (turn < -0.05) return 3;
    if (turn > 0.05) return 1;
    return 0;
}

#define MAX_REASONS 8

static void side_by_side(const char* c_id, const char* file) {
    char err[512], path[1024];
    snprintf(path, sizeof path, "%s/assets/scenes/%s", SP_SOURCE_DIR, file);
    sp_scene* sc = sp_scene_load_file(path, NULL, err, sizeof err);
    ENSURE_MSG(sc != NULL, "%s", err);
    const sp_env_class* c_env = sp_env_find(c_id);
    const sp_env_class* s_env = sp_scene_env(sc);
    ENSURE(c_env->spec->action_count == s_env->spec->action_count);
    ENSURE(c_env->spec->sensor_count == s_env->spec->sensor_count);
    sp_episode_def dc = sp_default_episode_def(c_env), ds = sp_default_episode_def(s_env);
    sp_episode* a = sp_episode_create(&dc, err, sizeof err);
    sp_episode* b = sp_episode_create(&ds, err, sizeof err);
    ENSURE(a && b);
    int steps = 0, reasons = 0, kinds = 0, count[MAX_REASONS] = {0};
    const char* seen[MAX_REASONS];
    bool lander = !strcmp(c_id, "Lander-v0");
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        ENSURE(sp_episode_reset(a, &seed) == 0 && sp_episode_reset(b, &seed) == 0);
        ENSURE_MSG(world_hash(a) == world_hash(b), "%s seed %llu: reset states differ", c_id,
                   (unsigned long long)seed);
        sp_rng policy;
        sp_rng_seed(&policy, seed, "side_by_side_policy");
        for (;;) {
            sp_action act;
            sp_action_sample(c_env->spec, &policy, &act);
            /* Half the Lander episodes are flown by the pilot. */
            if (lander && seed % 2) act.index = pilot(sp_episode_obs(a));
            /* A CartPole balanced by its angle drifts off the track. */
            if (!lander && seed % 2)
                act.index = sp_episode_obs(a)[2] + 0.5f * sp_episode_obs(a)[3] < 0;
            sp_step_result ra, rb;
            ENSURE(sp_episode_step(a, &act, &ra, err, sizeof err) == 0);
            ENSURE(sp_episode_step(b, &act, &rb, err, sizeof err) == 0);
            steps++;
            ENSURE_MSG(ra.reward == rb.reward && ra.terminated == rb.terminated &&
                           ra.truncated == rb.truncated,
                       "%s seed %llu step %d: reward %g/%g terminated %d/%d", c_id,
                       (unsigned long long)seed, ra.step, ra.reward, rb.reward, ra.terminated,
                       rb.terminated);
            ENSURE_MSG(world_hash(a) == world_hash(b), "%s seed %llu step %d: states differ", c_id,
                       (unsigned long long)seed, ra.step);
            ENSURE(memcmp(sp_episode_obs(a), sp_episode_obs(b),
                          (size_t)c_env->spec->sensor_count * sizeof(float)) == 0);
            if (ra.terminated || ra.truncated) {
                ENSURE_MSG(!strcmp(ra.reason, rb.reason), "%s seed %llu: %s vs %s", c_id,
                           (unsigned long long)seed, ra.reason, rb.reason);
                ENSURE(ra.episode_return == rb.episode_return);
                reasons++;
                int k = 0;
                while (k < kinds && strcmp(seen[k], ra.reason))
                    k++;
                if (k == kinds && kinds < MAX_REASONS) seen[kinds++] = ra.reason;
                if (k < MAX_REASONS) count[k]++;
                break;
            }
        }
    }
    ENSURE(reasons == SEEDS && steps > SEEDS);
    printf("%s vs %s: %d seeds, %d steps identical; ends:", c_id, s_env->spec->id, SEEDS, steps);
    for (int k = 0; k < kinds; k++)
        printf(" %s %d", seen[k], count[k]);
    printf("\n");
    /* Every way a Lander episode ends is compared, not only the common ones. */
    ENSURE_MSG(kinds >= (lander ? 3 : 2), "only %d kinds of ending", kinds);
    sp_episode_destroy(a);
    sp_episode_destroy(b);
    sp_scene_destroy(sc);
}

static void cartpole(void) {
    side_by_side("CartPole-v0", "cartpole.json");
}

static void lander(void) {
    side_by_side("Lander-v0", "lander.json");
}

static const sp_test_case cases[] = {
    {"cartpole", cartpole},
    {"lander", lander},
};
SP_TEST_MAIN(cases)
