/* Acrobot-v0's documented behaviour: rest stays at rest, the goal line, rewards, and dynamics
 * sane enough that energy pumping swings the tip up. */

#include <math.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "world_chipmunk.h"

#define PI 3.14159265358979323846

enum { TORQUE_NEG = 0, TORQUE_ZERO = 1, TORQUE_POS = 2 };

static sp_episode* make(void) {
    char err[128];
    sp_episode_def def = sp_default_episode_def(sp_env_find("Acrobot-v0"));
    return sp_episode_create(&def, err, sizeof err);
}

/* Puts both links at rest at joint angles (theta1, theta2), 0 = hanging straight down. */
static void place(sp_episode* ep, double theta1, double theta2) {
    sp_world* w = sp_episode_world(ep);
    cpBody* upper = sp_world_body(w, 0);
    cpBody* lower = sp_world_body(w, 1);
    cpVect elbow = cpv(sin(theta1), -cos(theta1));
    cpBodySetPosition(upper, cpvmult(elbow, 0.5));
    cpBodySetAngle(upper, theta1);
    cpBodySetPosition(lower,
                      cpvadd(elbow, cpv(0.5 * sin(theta1 + theta2), -0.5 * cos(theta1 + theta2))));
    cpBodySetAngle(lower, theta1 + theta2);
    for (int i = 0; i < 2; i++) {
        cpBodySetVelocity(sp_world_body(w, i), cpvzero);
        cpBodySetAngularVelocity(sp_world_body(w, i), 0.0);
    }
}

static double tip_height(const float* o) {
    /* cos(theta1 + theta2) from the observed cosines and sines. */
    return -(double)o[0] - ((double)o[0] * o[2] - (double)o[1] * o[3]);
}

static int step(sp_episode* ep, int action, sp_step_result* r) {
    sp_action a;
    memset(&a, 0, sizeof a);
    a.index = action;
    char err[128];
    return sp_episode_step(ep, &a, r, err, sizeof err);
}

static void spec_is_as_documented(void) {
    const sp_env_spec* s = sp_env_find("Acrobot-v0")->spec;
    ENSURE(s->action_kind == SP_ACTION_DISCRETE && s->action_count == 3);
    ENSURE(!strcmp(s->action_names[0], "torque_neg") &&
           !strcmp(s->action_names[1], "torque_zero") && !strcmp(s->action_names[2], "torque_pos"));
    ENSURE(s->sensor_count == 6 && s->max_steps == 500);
    ENSURE(s->sensors[4].high == 4.0 * PI && s->sensors[5].high == 9.0 * PI);
}

static void starts_hanging_near_rest(void) {
    sp_episode* ep = make();
    for (uint64_t seed = 0; seed < 20; seed++) {
        sp_episode_reset(ep, &seed);
        const float* o = sp_episode_obs(ep);
        ENSURE(o[0] >= cosf(0.1f) && o[2] >= cosf(0.1f));
        ENSURE(fabsf(o[1]) <= sinf(0.1f) && fabsf(o[3]) <= sinf(0.1f));
        ENSURE(fabsf(o[4]) <= 0.1f && fabsf(o[5]) <= 0.1f);
    }
    sp_episode_destroy(ep);
}

static void idle_from_rest_keeps_hanging_and_never_reaches_the_goal(void) {
    sp_episode* ep = make();
    for (uint64_t seed = 0; seed < 5; seed++) {
        sp_episode_reset(ep, &seed);
        sp_step_result r;
        int steps = 0;
        while (!sp_episode_done(ep)) {
            ENSURE(step(ep, TORQUE_ZERO, &r) == 0);
            steps++;
            ENSURE(r.reward == -1.0);
            const float* o = sp_episode_obs(ep);
            /* Without input the small initial swing neither grows nor turns into a goal. */
            ENSURE_MSG(o[0] > 0.97f && tip_height(o) < -1.9, "seed %d step %d: cos theta1 %g",
                       (int)seed, steps, o[0]);
        }
        ENSURE(steps == 500 && r.truncated && !strcmp(r.reason, "max_steps"));
        ENSURE(r.episode_return == -500.0);
    }
    sp_episode_destroy(ep);
}

static void lifting_the_tip_over_the_line_reaches_the_goal(void) {
    sp_episode* ep = make();
    uint64_t seed = 3;
    sp_episode_reset(ep, &seed);
    sp_step_result r;
    ENSURE(step(ep, TORQUE_ZERO, &r) == 0);
    ENSURE(!r.terminated && r.reward == -1.0);
    place(ep, PI, 0.0); /* straight up: the tip 2 m above the shoulder */
    ENSURE(step(ep, TORQUE_ZERO, &r) == 0);
    ENSURE(r.terminated && !r.truncated && r.reward == 0.0);
    ENSURE(!strcmp(r.reason, "goal_reached"));
    ENSURE(r.episode_return == -1.0);
    ENSURE(sp_episode_done(ep));

    /* Horizontal upper link, lower link bent down: the tip sits on the shoulder, short of the
     * line; bent up it is 1 m above, which is not yet over it. */
    sp_episode_reset(ep, &seed);
    place(ep, PI / 2, -PI / 2);
    ENSURE(step(ep, TORQUE_ZERO, &r) == 0);
    ENSURE(!r.terminated && r.reward == -1.0);
    sp_episode_reset(ep, &seed);
    place(ep, 0.75 * PI, 0.1);
    ENSURE(step(ep, TORQUE_ZERO, &r) == 0);
    ENSURE(r.terminated && !strcmp(r.reason, "goal_reached"));
    sp_episode_destroy(ep);
}

static void elbow_torque_bends_the_elbow_its_way(void) {
    sp_episode* ep = make();
    uint64_t seed = 7;
    sp_episode_reset(ep, &seed);
    place(ep, 0.0, 0.0);
    sp_step_result r;
    ENSURE(step(ep, TORQUE_POS, &r) == 0);
    ENSURE(sp_episode_obs(ep)[5] > 0.0f && sp_episode_obs(ep)[3] > 0.0f);
    ENSURE(sp_episode_obs(ep)[4] < 0.0f); /* the reaction turns link 1 the other way */
    sp_episode_reset(ep, &seed);
    place(ep, 0.0, 0.0);
    ENSURE(step(ep, TORQUE_NEG, &r) == 0);
    ENSURE(sp_episode_obs(ep)[5] < 0.0f && sp_episode_obs(ep)[4] > 0.0f);
    sp_episode_destroy(ep);
}

/* Energy pumping: drive the elbow the way it already turns, so the motor's power (torque times
 * the elbow's speed) is never negative. Reaching the goal this way checks that the dynamics are
 * sane (energy neither leaks away nor appears); it is not a benchmark. */
static void energy_pumping_reaches_the_goal(void) {
    sp_episode* ep = make();
    int reached = 0;
    for (uint64_t seed = 0; seed < 5; seed++) {
        sp_episode_reset(ep, &seed);
        sp_step_result r = {0};
        while (!sp_episode_done(ep)) {
            float w2 = sp_episode_obs(ep)[5];
            ENSURE(step(ep, w2 >= 0.0f ? TORQUE_POS : TORQUE_NEG, &r) == 0);
            ENSURE(r.reward == (r.terminated ? 0.0 : -1.0));
            const float* o = sp_episode_obs(ep);
            ENSURE(fabsf(o[4]) <= (float)(4.0 * PI) && fabsf(o[5]) <= (float)(9.0 * PI));
        }
        if (r.terminated) {
            ENSURE(!strcmp(r.reason, "goal_reached"));
            ENSURE(tip_height(sp_episode_obs(ep)) > 1.0 - 1e-5);
            ENSURE(r.episode_return == -(double)(r.step - 1));
            reached++;
        }
    }
    ENSURE_MSG(reached == 5, "energy pumping reached the goal in %d of 5 seeds", reached);
    sp_episode_destroy(ep);
}

/* Spins both links far past Gymnasium's bounds: after one physics step they turn at exactly the
 * bounds, and the hinges hold. */
static void spinning_saturates_at_the_speed_limits(void) {
    sp_episode* ep = make();
    uint64_t seed = 9;
    sp_episode_reset(ep, &seed);
    place(ep, 0.0, 0.0);
    sp_world* w = sp_episode_world(ep);
    cpBody* upper = sp_world_body(w, 0);
    cpBody* lower = sp_world_body(w, 1);
    double w1 = 30.0, w2 = -60.0; /* joint velocities; the lower link turns at w1 + w2 */
    cpBodySetAngularVelocity(upper, w1);
    cpBodySetVelocity(upper, cpv(0.5 * w1, 0.0));
    cpBodySetAngularVelocity(lower, w1 + w2);
    cpBodySetVelocity(lower, cpv(w1 + 0.5 * (w1 + w2), 0.0));
    sp_world_step(w);
    double w1_now = cpBodyGetAngularVelocity(upper);
    double w2_now = cpBodyGetAngularVelocity(lower) - w1_now;
    ENSURE_MSG(w1_now == 4.0 * PI, "theta1 rate %.17g", w1_now);
    ENSURE_MSG(fabs(w2_now + 9.0 * PI) < 1e-12, "theta2 rate %.17g", w2_now);
    sp_step_result r;
    ENSURE(step(ep, TORQUE_ZERO, &r) == 0);
    const float* o = sp_episode_obs(ep);
    ENSURE(fabsf(o[4]) <= (float)(4.0 * PI) && fabsf(o[5]) <= (float)(9.0 * PI));
    cpVect shoulder = cpBodyLocalToWorld(upper, cpv(0, 0.5));
    cpVect elbow_gap =
        cpvsub(cpBodyLocalToWorld(upper, cpv(0, -0.5)), cpBodyLocalToWorld(lower, cpv(0, 0.5)));
    ENSURE_MSG(cpvlength(shoulder) < 0.01 && cpvlength(elbow_gap) < 0.01, "gaps %g %g",
               cpvlength(shoulder), cpvlength(elbow_gap));
    sp_episode_destroy(ep);
}

static const sp_test_case cases[] = {
    {"spec_is_as_documented", spec_is_as_documented},
    {"starts_hanging_near_rest", starts_hanging_near_rest},
    {"idle_from_rest_keeps_hanging_and_never_reaches_the_goal",
     idle_from_rest_keeps_hanging_and_never_reaches_the_goal},
    {"lifting_the_tip_over_the_line_reaches_the_goal",
     lifting_the_tip_over_the_line_reaches_the_goal},
    {"elbow_torque_bends_the_elbow_its_way", elbow_torque_bends_the_elbow_its_way},
    {"energy_pumping_reaches_the_goal", energy_pumping_reaches_the_goal},
    {"spinning_saturates_at_the_speed_limits", spinning_saturates_at_the_speed_limits},
};
SP_TEST_MAIN(cases)
