/* Pendulum-v0: swing a rod up on a pivot and hold it upright with a torque too weak to lift it
 * directly. Gymnasium's Pendulum in Chipmunk: a 1 m, 1 kg uniform rod hinged at one end to the
 * static body at the origin, under the world's gravity (9.81 m/s^2, where Gymnasium uses 10).
 * The maximum gravity torque is m g l / 2 = 4.9 N m against a 2 N m motor, so the agent has to
 * pump energy before it can balance. */

#include <math.h>

#include "sandpit/envs.h"
#include "sandpit/error.h"
#include "sandpit/math.h"
#include "world_chipmunk.h"

#define PI 3.14159265358979323846
#define ROD_MASS 1.0
#define ROD_LENGTH 1.0 /* full length; the pivot is at one end */
#define ROD_RADIUS 0.05
#define MAX_TORQUE 2.0 /* N m */
#define MAX_SPEED 8.0  /* rad/s; the physics saturates here, as Gymnasium's clip does */
#define INIT_SPEED 1.0
/* Chipmunk's default corrects 10% of the pivot's drift per 1/60 s; the linear position step
 * stretches a turning pivot faster than that, and the stretch bleeds energy (30% of it in 10 s
 * from horizontal). Correcting all of it each step keeps the energy within 2% instead. */
#define PIVOT_ERROR_BIAS 0.0

typedef struct pendulum_state {
    cpBody* rod;
    double torque; /* commanded torque, N m */
} pendulum_state;

static const sp_channel pendulum_sensors[] = {
    {"rod.cos", "1", -1.0, 1.0, "cosine of the rod angle (1 = upright)"},
    {"rod.sin", "1", -1.0, 1.0, "sine of the rod angle, counter-clockwise positive"},
    {"rod.angular_velocity", "rad/s", -MAX_SPEED, MAX_SPEED, "rod angular velocity"},
};

static const sp_channel pendulum_actuators[] = {
    {"pendulum.torque", "N m", -MAX_TORQUE, MAX_TORQUE,
     "torque on the rod about the pivot, counter-clockwise positive"},
};

/* Velocity that turning at `omega` adds to a point `r` from the axis. */
static cpVect spin(double omega, cpVect r) {
    return cpvmult(cpvperp(r), omega);
}

/* Gymnasium clips the integrated angular velocity to +-8 rad/s; this does the same after
 * Chipmunk's solver, where nothing undoes it (a clip before the solver would be, by the pivot's
 * impulse). The spin changes about the rod's pivot end, so the pivot moves exactly as the
 * solver left it. */
static void pendulum_limit_speed(cpConstraint* pivot, cpSpace* space) {
    cpBody* rod = cpConstraintGetBodyB(pivot);
    double omega = cpBodyGetAngularVelocity(rod);
    if (fabs(omega) <= MAX_SPEED) return;
    double limited = omega > 0.0 ? MAX_SPEED : -MAX_SPEED;
    cpVect end = cpBodyLocalToWorld(rod, cpv(0, -0.5 * ROD_LENGTH));
    cpVect dv = spin(limited - omega, cpvsub(cpBodyGetPosition(rod), end));
    cpBodySetAngularVelocity(rod, limited);
    cpBodySetVelocity(rod, cpvadd(cpBodyGetVelocity(rod), dv));
}

static int pendulum_build(void* state, sp_world* world, sp_rng* rng) {
    pendulum_state* s = state;
    double theta = sp_rng_range(rng, -PI, PI);
    double omega = sp_rng_range(rng, -INIT_SPEED, INIT_SPEED);
    double half = 0.5 * ROD_LENGTH;

    double moment = cpMomentForSegment(ROD_MASS, cpv(0, -half), cpv(0, half), 0.0);
    s->rod = sp_world_add_body(world, cpBodyNew(ROD_MASS, moment));
    if (!s->rod) return SP_E_NO_MEMORY;
    /* Body angle 0 points the rod straight up, so the body angle is theta itself. */
    cpVect centre = cpv(-half * sp_sin(theta), half * sp_cos(theta));
    cpBodySetPosition(s->rod, centre);
    cpBodySetAngle(s->rod, theta);
    cpBodySetVelocity(s->rod, spin(omega, centre));
    cpBodySetAngularVelocity(s->rod, omega);
    /* Visual only: the rod never collides, and its mass is the body's. */
    if (!sp_world_add_visual_shape(
            world, cpSegmentShapeNew(s->rod, cpv(0, -half), cpv(0, half), ROD_RADIUS)))
        return SP_E_NO_MEMORY;

    cpConstraint* pivot = sp_world_add_constraint(
        world, cpPivotJointNew2(sp_world_static_body(world), s->rod, cpvzero, cpv(0, -half)));
    if (!pivot) return SP_E_NO_MEMORY;
    cpConstraintSetErrorBias(pivot, PIVOT_ERROR_BIAS);
    cpConstraintSetPostSolveFunc(pivot, pendulum_limit_speed);
    return 0;
}

static void pendulum_act(void* state, sp_world* world, sp_rng* rng, const sp_action* a) {
    pendulum_state* s = state;
    s->torque = (double)a->value[0];
}

static void pendulum_apply(void* state, sp_world* world) {
    pendulum_state* s = state;
    cpBodySetTorque(s->rod, s->torque);
}

static void pendulum_sense(const void* state, const sp_world* world, float* obs) {
    const pendulum_state* s = state;
    /* Chipmunk keeps (cos, sin) of the angle, made by sp_sincos: the same bits, no trig. */
    cpVect rot = cpBodyGetRotation(s->rod);
    obs[0] = (float)rot.x;
    obs[1] = (float)rot.y;
    obs[2] = (float)cpBodyGetAngularVelocity(s->rod);
}

/* Gymnasium charges the state before the step; we charge the state the step reached, so the
 * reward is a function of the observation returned with it and the action taken. */
static void pendulum_evaluate(void* state, const sp_world* world, const sp_action* a,
                              sp_env_outcome* out) {
    const pendulum_state* s = state;
    /* The body angle winds up over full turns; the cost wants the distance from upright. */
    double theta = remainder(cpBodyGetAngle(s->rod), 2.0 * PI);
    double omega = cpBodyGetAngularVelocity(s->rod);
    out->reward = -(theta * theta + 0.1 * omega * omega + 0.001 * s->torque * s->torque);
}

static void pendulum_hash(const void* state, sp_hash* h) {
    const pendulum_state* s = state;
    sp_hash_f64(h, s->torque);
}

static const sp_env_spec pendulum_spec = {
    .id = "Pendulum-v0",
    .version = 1,
    .summary = "swing a rod up with a weak torque and keep it upright",
    .dt = 0.01,
    .iterations = 10,
    .frame_skip = 5,
    .max_steps = 200,
    .sensor_count = 3,
    .sensors = pendulum_sensors,
    .action_kind = SP_ACTION_CONTINUOUS,
    .actuator_count = 1,
    .actuators = pendulum_actuators,
};

const sp_env_class sp_pendulum_env = {
    .spec = &pendulum_spec,
    .state_size = sizeof(pendulum_state),
    .build = pendulum_build,
    .act = pendulum_act,
    .apply = pendulum_apply,
    .sense = pendulum_sense,
    .evaluate = pendulum_evaluate,
    .hash = pendulum_hash,
};
