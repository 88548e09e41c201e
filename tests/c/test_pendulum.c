/* Pendulum-v0's documented behaviour: reward formula, no termination, 200-step truncation,
 * gravity pulling a released rod down, the speed limit. */

#include <math.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "world_chipmunk.h"

#define PI 3.14159265358979323846

static sp_episode* make(void) {
    char err[128];
    sp_episode_def def = sp_default_episode_def(sp_env_find("Pendulum-v0"));
    return sp_episode_create(&def, err, sizeof err);
}

static sp_action torque(double u) {
    sp_action a;
    memset(&a, 0, sizeof a);
    a.value[0] = (float)u;
    return a;
}

/* Puts the rod at angle `theta` (0 = upright) turning at `omega`, rigid about the pivot. */
static void place(sp_episode* ep, double theta, double omega) {
    cpBody* rod = sp_world_body(sp_episode_world(ep), 0);
    cpVect c = cpv(-0.5 * sin(theta), 0.5 * cos(theta));
    cpBodySetPosition(rod, c);
    cpBodySetAngle(rod, theta);
    cpBodySetVelocity(rod, cpv(-omega * c.y, omega * c.x));
    cpBodySetAngularVelocity(rod, omega);
}

static void spec_is_as_documented(void) {
    const sp_env_spec* s = sp_env_find("Pendulum-v0")->spec;
    ENSURE(s->action_kind == SP_ACTION_CONTINUOUS && s->actuator_count == 1);
    ENSURE(!strcmp(s->actuators[0].name, "pendulum.torque"));
    ENSURE(s->actuators[0].low == -2.0 && s->actuators[0].high == 2.0);
    ENSURE(s->sensor_count == 3 && s->sensors[2].high == 8.0);
    ENSURE(s->dt * s->frame_skip == 0.05 && s->max_steps == 200);
}

static void never_terminates_and_truncates_at_200(void) {
    sp_episode* ep = make();
    sp_rng policy;
    sp_rng_seed(&policy, 1, "test_policy");
    char err[128];
    for (uint64_t seed = 0; seed < 5; seed++) {
        ENSURE(sp_episode_reset(ep, &seed) == 0);
        sp_step_result r;
        for (int i = 1; i <= 200; i++) {
            sp_action a = torque(sp_rng_range(&policy, -2.0, 2.0));
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
            ENSURE(!r.terminated);
            ENSURE(r.truncated == (i == 200));
        }
        ENSURE(!strcmp(r.reason, "max_steps"));
        ENSURE(sp_episode_done(ep));
    }
    sp_episode_destroy(ep);
}

static void reward_matches_the_formula_on_the_observation(void) {
    sp_episode* ep = make();
    sp_rng policy;
    sp_rng_seed(&policy, 2, "test_policy");
    char err[128];
    for (uint64_t seed = 0; seed < 5; seed++) {
        sp_episode_reset(ep, &seed);
        while (!sp_episode_done(ep)) {
            double u = sp_rng_range(&policy, -3.0, 3.0); /* past the bounds: clipped */
            sp_action a = torque(u);
            sp_step_result r;
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
            const float* o = sp_episode_obs(ep);
            double theta = atan2(o[1], o[0]);
            double applied = fmax(-2.0, fmin(2.0, (double)(float)u));
            double want = -(theta * theta + 0.1 * o[2] * o[2] + 0.001 * applied * applied);
            ENSURE(r.reward <= 0.0);
            ENSURE_MSG(fabs(r.reward - want) < 1e-4, "reward %.9g, formula %.9g", r.reward, want);
        }
    }
    sp_episode_destroy(ep);
}

static void released_near_upright_falls(void) {
    sp_episode* ep = make();
    uint64_t seed = 4;
    sp_episode_reset(ep, &seed);
    place(ep, 0.05, 0.0);
    sp_action zero = torque(0.0);
    sp_step_result r;
    char err[128];
    double prev = 0.05;
    for (int i = 0; i < 40; i++) {
        ENSURE(sp_episode_step(ep, &zero, &r, err, sizeof err) == 0);
        double theta = atan2(sp_episode_obs(ep)[1], sp_episode_obs(ep)[0]);
        ENSURE_MSG(theta > prev, "step %d: %g after %g", i, theta, prev); /* it keeps falling */
        prev = theta;
        if (theta > PI / 2) break;
    }
    ENSURE(prev > PI / 2);
    ENSURE(r.reward < -2.0);
    sp_episode_destroy(ep);
}

static void upright_at_rest_is_the_best_reward(void) {
    sp_episode* ep = make();
    uint64_t seed = 5;
    sp_episode_reset(ep, &seed);
    place(ep, 0.0, 0.0);
    sp_action zero = torque(0.0);
    sp_step_result r;
    char err[128];
    ENSURE(sp_episode_step(ep, &zero, &r, err, sizeof err) == 0);
    ENSURE(r.reward <= 0.0 && r.reward > -1e-12);
    ENSURE(sp_episode_obs(ep)[0] == 1.0f);
    sp_episode_destroy(ep);
}

/* Energy pumping at full torque would spin the rod past 8 rad/s; the physics saturates. */
static void spinning_saturates_at_the_speed_limit(void) {
    sp_episode* ep = make();
    uint64_t seed = 6;
    sp_episode_reset(ep, &seed);
    sp_step_result r;
    char err[128];
    float fastest = 0.0f;
    for (int i = 0; i < 200; i++) {
        float w = sp_episode_obs(ep)[2];
        sp_action a = torque(w >= 0.0f ? 2.0 : -2.0);
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
        w = sp_episode_obs(ep)[2];
        ENSURE_MSG(fabsf(w) <= 8.0f, "step %d: %g", i, w);
        if (fabsf(w) > fastest) fastest = fabsf(w);
        /* The rod stays on its pivot while saturated (within the solver's per-step drift). */
        cpBody* rod = sp_world_body(sp_episode_world(ep), 0);
        ENSURE(fabs(cpvlength(cpBodyGetPosition(rod)) - 0.5) < 5e-3);
    }
    ENSURE(fastest == 8.0f);
    sp_episode_destroy(ep);
}

static const sp_test_case cases[] = {
    {"spec_is_as_documented", spec_is_as_documented},
    {"never_terminates_and_truncates_at_200", never_terminates_and_truncates_at_200},
    {"reward_matches_the_formula_on_the_observation",
     reward_matches_the_formula_on_the_observation},
    {"released_near_upright_falls", released_near_upright_falls},
    {"upright_at_rest_is_the_best_reward", upright_at_rest_is_the_best_reward},
    {"spinning_saturates_at_the_speed_limit", spinning_saturates_at_the_speed_limit},
};
SP_TEST_MAIN(cases)
