/* Acrobot-v0: a two-link pendulum actuated only at the elbow must swing its tip above the
 * shoulder by one link length (Sutton 1996; Gymnasium's Acrobot-v1). In Chipmunk: two 1 m, 1 kg
 * links, the first hinged to the static body at the origin, the second hinged to the end of the
 * first; gravity is the world's 9.81 m/s^2 (Gymnasium: 9.8).
 *
 * Each link's moment of inertia about its centre is Gymnasium's 1 kg m^2, not a uniform rod's
 * m l^2 / 12: Gymnasium's velocity bounds, 1 N m torque and 0.2 s step were chosen for those
 * links, and uniform rods would swing the elbow up to twice as fast. */

#include <math.h>

#include "sandpit/envs.h"
#include "sandpit/error.h"
#include "sandpit/math.h"
#include "world_chipmunk.h"

#define PI 3.14159265358979323846
#define LINK_MASS 1.0
#define LINK_LENGTH 1.0
#define LINK_MOMENT 1.0 /* kg m^2 about the centre */
#define LINK_RADIUS 0.05
#define TORQUE_MAG 1.0         /* N m at the elbow */
#define MAX_SPEED_1 (4.0 * PI) /* rad/s; the physics saturates here, as Gymnasium's bound does */
#define MAX_SPEED_2 (9.0 * PI)
#define GOAL_HEIGHT 1.0 /* tip above the shoulder, m */
#define INIT_SPREAD 0.1
/* Chipmunk's default corrects 10% of a hinge's drift per 1/60 s; the linear position step
 * stretches a turning hinge faster than that, and the stretch bleeds energy (a third of it in
 * 100 s from horizontal). Correcting all of it each step keeps the energy within 2% instead. */
#define HINGE_ERROR_BIAS 0.0

typedef struct acrobot_state {
    cpBody* upper; /* link 1, hinged at the shoulder */
    cpBody* lower; /* link 2, hinged at the elbow */
    double torque; /* commanded elbow torque, N m, counter-clockwise on link 2 */
} acrobot_state;

static const sp_channel acrobot_sensors[] = {
    {"shoulder.cos", "1", -1.0, 1.0, "cosine of theta1, link 1's angle from hanging down"},
    {"shoulder.sin", "1", -1.0, 1.0, "sine of theta1, counter-clockwise positive"},
    {"elbow.cos", "1", -1.0, 1.0, "cosine of theta2, link 2's angle relative to link 1"},
    {"elbow.sin", "1", -1.0, 1.0, "sine of theta2, counter-clockwise positive"},
    {"shoulder.angular_velocity", "rad/s", -MAX_SPEED_1, MAX_SPEED_1, "link 1's angular velocity"},
    {"elbow.angular_velocity", "rad/s", -MAX_SPEED_2, MAX_SPEED_2,
     "link 2's angular velocity relative to link 1"},
};

static const char* const acrobot_action_names[] = {"torque_neg", "torque_zero", "torque_pos"};

/* Velocity that turning at `omega` adds to a point `r` from the axis. */
static cpVect spin(double omega, cpVect r) {
    return cpvmult(cpvperp(r), omega);
}

static double clamp(double x, double limit) {
    return x > limit ? limit : x < -limit ? -limit : x;
}

/* Gymnasium bounds the joint velocities after each integration step; this does the same after
 * Chipmunk's solver (it runs on the elbow, the last constraint), where nothing undoes it. Each
 * link's spin changes about its own hinge, carrying the lower link's hinge along with the
 * upper's end, so the hinges move exactly as the solver left them. */
static void acrobot_limit_speed(cpConstraint* elbow, cpSpace* space) {
    cpBody* upper = cpConstraintGetBodyA(elbow);
    cpBody* lower = cpConstraintGetBodyB(elbow);
    double w1 = cpBodyGetAngularVelocity(upper);
    double w2 = cpBodyGetAngularVelocity(lower);
    double w1_new = clamp(w1, MAX_SPEED_1);
    double w2_new = w1_new + clamp(w2 - w1, MAX_SPEED_2);
    if (w1_new == w1 && w2_new == w2) return;
    double half = 0.5 * LINK_LENGTH;
    cpVect shoulder = cpBodyLocalToWorld(upper, cpv(0, half));
    cpVect end = cpBodyLocalToWorld(upper, cpv(0, -half));
    cpVect hinge = cpBodyLocalToWorld(lower, cpv(0, half));
    cpVect dv1 = spin(w1_new - w1, cpvsub(cpBodyGetPosition(upper), shoulder));
    cpVect dv2 = cpvadd(spin(w1_new - w1, cpvsub(end, shoulder)),
                        spin(w2_new - w2, cpvsub(cpBodyGetPosition(lower), hinge)));
    cpBodySetAngularVelocity(upper, w1_new);
    cpBodySetVelocity(upper, cpvadd(cpBodyGetVelocity(upper), dv1));
    cpBodySetAngularVelocity(lower, w2_new);
    cpBodySetVelocity(lower, cpvadd(cpBodyGetVelocity(lower), dv2));
}

/* Adds one link hanging from `hinge` at absolute angle `angle` (0 = straight down), turning at
 * `omega`, its hinge moving at `hinge_v`. The link's top end is local (0, half). */
static cpBody* add_link(sp_world* world, cpVect hinge, cpVect hinge_v, double angle, double omega) {
    double half = 0.5 * LINK_LENGTH;
    cpBody* link = sp_world_add_body(world, cpBodyNew(LINK_MASS, LINK_MOMENT));
    if (!link) return NULL;
    cpVect r = cpv(half * sp_sin(angle), -half * sp_cos(angle));
    cpBodySetPosition(link, cpvadd(hinge, r));
    cpBodySetAngle(link, angle);
    cpBodySetVelocity(link, cpvadd(hinge_v, spin(omega, r)));
    cpBodySetAngularVelocity(link, omega);
    /* Visual only: the links never collide, and their mass is the body's. */
    if (!sp_world_add_visual_shape(
            world, cpSegmentShapeNew(link, cpv(0, -half), cpv(0, half), LINK_RADIUS)))
        return NULL;
    return link;
}

static int acrobot_build(void* state, sp_world* world, sp_rng* rng) {
    acrobot_state* s = state;
    /* Gymnasium's draw order: both angles, then both velocities. */
    double theta1 = sp_rng_range(rng, -INIT_SPREAD, INIT_SPREAD);
    double theta2 = sp_rng_range(rng, -INIT_SPREAD, INIT_SPREAD);
    double omega1 = sp_rng_range(rng, -INIT_SPREAD, INIT_SPREAD);
    double omega2 = sp_rng_range(rng, -INIT_SPREAD, INIT_SPREAD);
    double half = 0.5 * LINK_LENGTH;

    s->upper = add_link(world, cpvzero, cpvzero, theta1, omega1);
    if (!s->upper) return SP_E_NO_MEMORY;
    cpVect elbow = cpv(LINK_LENGTH * sp_sin(theta1), -LINK_LENGTH * sp_cos(theta1));
    s->lower = add_link(world, elbow, spin(omega1, elbow), theta1 + theta2, omega1 + omega2);
    if (!s->lower) return SP_E_NO_MEMORY;

    cpBody* ground = sp_world_static_body(world);
    cpConstraint* shoulder_joint =
        sp_world_add_constraint(world, cpPivotJointNew2(ground, s->upper, cpvzero, cpv(0, half)));
    if (!shoulder_joint) return SP_E_NO_MEMORY;
    cpConstraintSetErrorBias(shoulder_joint, HINGE_ERROR_BIAS);
    cpConstraint* elbow_joint = sp_world_add_constraint(
        world, cpPivotJointNew2(s->upper, s->lower, cpv(0, -half), cpv(0, half)));
    if (!elbow_joint) return SP_E_NO_MEMORY;
    cpConstraintSetErrorBias(elbow_joint, HINGE_ERROR_BIAS);
    cpConstraintSetPostSolveFunc(elbow_joint, acrobot_limit_speed);
    return 0;
}

static void acrobot_act(void* state, sp_world* world, sp_rng* rng, const sp_action* a) {
    acrobot_state* s = state;
    s->torque = TORQUE_MAG * (double)(a->index - 1);
}

static void acrobot_apply(void* state, sp_world* world) {
    acrobot_state* s = state;
    /* The elbow motor pushes the links apart: equal and opposite torques. */
    cpBodySetTorque(s->lower, s->torque);
    cpBodySetTorque(s->upper, -s->torque);
}

static void acrobot_sense(const void* state, const sp_world* world, float* obs) {
    const acrobot_state* s = state;
    /* Chipmunk keeps (cos, sin) of each body's angle, made by sp_sincos: the same bits. */
    cpVect rot1 = cpBodyGetRotation(s->upper);
    double a2 = cpBodyGetAngle(s->lower) - cpBodyGetAngle(s->upper);
    double w1 = cpBodyGetAngularVelocity(s->upper);
    double sin2, cos2;
    sp_sincos(a2, &sin2, &cos2);
    obs[0] = (float)rot1.x;
    obs[1] = (float)rot1.y;
    obs[2] = (float)cos2;
    obs[3] = (float)sin2;
    obs[4] = (float)w1;
    obs[5] = (float)(cpBodyGetAngularVelocity(s->lower) - w1);
}

static void acrobot_evaluate(void* state, const sp_world* world, const sp_action* a,
                             sp_env_outcome* out) {
    const acrobot_state* s = state;
    /* Heights from the joint angles, as Gymnasium computes them, so a stretched hinge never
     * counts. The lower link's body angle is already theta1 + theta2. */
    double tip =
        -LINK_LENGTH * cpBodyGetRotation(s->upper).x - LINK_LENGTH * cpBodyGetRotation(s->lower).x;
    if (tip > GOAL_HEIGHT) {
        out->reward = 0.0;
        out->terminated = true;
        out->reason = "goal_reached";
    } else {
        out->reward = -1.0;
    }
}

static void acrobot_hash(const void* state, sp_hash* h) {
    const acrobot_state* s = state;
    sp_hash_f64(h, s->torque);
}

static const sp_env_spec acrobot_spec = {
    .id = "Acrobot-v0",
    .version = 1,
    .summary = "swing a two-link pendulum's tip above the shoulder with an elbow torque",
    .dt = 0.01,
    .iterations = 10,
    .frame_skip = 20,
    .max_steps = 500,
    .sensor_count = 6,
    .sensors = acrobot_sensors,
    .action_kind = SP_ACTION_DISCRETE,
    .action_count = 3,
    .action_names = acrobot_action_names,
};

const sp_env_class sp_acrobot_env = {
    .spec = &acrobot_spec,
    .state_size = sizeof(acrobot_state),
    .build = acrobot_build,
    .act = acrobot_act,
    .apply = acrobot_apply,
    .sense = acrobot_sense,
    .evaluate = acrobot_evaluate,
    .hash = acrobot_hash,
};
