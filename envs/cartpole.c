/* CartPole-v0: a cart on a groove joint along a rail, a pole on a pivot on the cart.
 * Classic control (Barto, Sutton & Anderson 1983) in Chipmunk: the cart's rotation is locked
 * by an infinite moment, the groove keeps it on the rail, the pivot carries the pole. */

#include <math.h>

#include "sandpit/envs.h"
#include "sandpit/error.h"
#include "sandpit/math.h"
#include "world_chipmunk.h"

#define CART_MASS 1.0
#define POLE_MASS 0.1
#define POLE_LENGTH 1.0 /* full length; the pivot is at one end */
#define FORCE_MAG 10.0  /* N */
#define RAIL_HALF 4.8   /* the groove; the cart physically stays on it */
#define TRACK_HALF 2.4  /* leaving [-2.4, 2.4] ends the episode */
#define ANGLE_LIMIT (12.0 * 3.14159265358979323846 / 180.0)
#define INIT_SPREAD 0.05

/* Nothing collides: the shapes are visual only (sp_world_add_visual_shape). */

typedef struct cartpole_state {
    cpBody* cart;
    cpBody* pole;
    double force; /* commanded force on the cart, N */
} cartpole_state;

static const sp_channel cartpole_sensors[] = {
    {"cart.x", "m", -2.0 * TRACK_HALF, 2.0 * TRACK_HALF, "cart position along the track"},
    {"cart.velocity", "m/s", -SP_UNBOUNDED, SP_UNBOUNDED, "cart velocity"},
    {"pole.angle", "rad", -2.0 * ANGLE_LIMIT, 2.0 * ANGLE_LIMIT,
     "pole angle from upright, counter-clockwise positive"},
    {"pole.angular_velocity", "rad/s", -SP_UNBOUNDED, SP_UNBOUNDED, "pole angular velocity"},
};

/* The cart should stay in the middle half of the track: leaving it is a safety cost, not
 * the end of the episode. */
static const sp_constraint cartpole_constraints[] = {
    {"cart_zone", 0, -0.5 * TRACK_HALF, 0.5 * TRACK_HALF, "cart.x outside [-1.2, 1.2] m"},
};

static const char* const cartpole_action_names[] = {"push_left", "push_right"};

static const sp_channel cartpole_actuators[] = {
    {"cart.force", "N", -FORCE_MAG, FORCE_MAG, "horizontal force on the cart"},
};

static int cartpole_build(void* state, sp_world* world, sp_rng* rng) {
    cartpole_state* s = state;
    double x = sp_rng_range(rng, -INIT_SPREAD, INIT_SPREAD);
    double vx = sp_rng_range(rng, -INIT_SPREAD, INIT_SPREAD);
    double theta = sp_rng_range(rng, -INIT_SPREAD, INIT_SPREAD);
    double omega = sp_rng_range(rng, -INIT_SPREAD, INIT_SPREAD);

    s->cart = sp_world_add_body(world, cpBodyNew(CART_MASS, INFINITY));
    if (!s->cart) return SP_E_NO_MEMORY;
    cpBodySetPosition(s->cart, cpv(x, 0.0));
    cpBodySetVelocity(s->cart, cpv(vx, 0.0));
    if (!sp_world_add_visual_shape(world, cpBoxShapeNew(s->cart, 0.5, 0.3, 0.0)))
        return SP_E_NO_MEMORY;

    double half = 0.5 * POLE_LENGTH;
    double moment = cpMomentForSegment(POLE_MASS, cpv(0, -half), cpv(0, half), 0.0);
    s->pole = sp_world_add_body(world, cpBodyNew(POLE_MASS, moment));
    if (!s->pole) return SP_E_NO_MEMORY;
    /* The pole's centre sits half a length from the pivot, along the pole's direction. */
    cpBodySetPosition(s->pole, cpv(x - half * sp_sin(theta), half * sp_cos(theta)));
    cpBodySetAngle(s->pole, theta);
    /* Velocity of the centre: the cart's plus the pole's rotation about the pivot. */
    cpBodySetVelocity(s->pole,
                      cpv(vx - half * sp_cos(theta) * omega, -half * sp_sin(theta) * omega));
    cpBodySetAngularVelocity(s->pole, omega);
    if (!sp_world_add_visual_shape(world,
                                   cpSegmentShapeNew(s->pole, cpv(0, -half), cpv(0, half), 0.05)))
        return SP_E_NO_MEMORY;

    cpBody* ground = sp_world_static_body(world);
    if (!sp_world_add_constraint(world, cpGrooveJointNew(ground, s->cart, cpv(-RAIL_HALF, 0),
                                                         cpv(RAIL_HALF, 0), cpvzero)))
        return SP_E_NO_MEMORY;
    if (!sp_world_add_constraint(world, cpPivotJointNew2(s->cart, s->pole, cpvzero, cpv(0, -half))))
        return SP_E_NO_MEMORY;
    return 0;
}

static void cartpole_act_discrete(void* state, sp_world* world, sp_rng* rng, const sp_action* a) {
    cartpole_state* s = state;
    s->force = a->index == 1 ? FORCE_MAG : -FORCE_MAG;
}

static void cartpole_act_continuous(void* state, sp_world* world, sp_rng* rng, const sp_action* a) {
    cartpole_state* s = state;
    s->force = (double)a->value[0];
}

static void cartpole_apply(void* state, sp_world* world) {
    cartpole_state* s = state;
    cpBodySetForce(s->cart, cpv(s->force, 0.0));
}

static void cartpole_sense(const void* state, const sp_world* world, float* obs) {
    const cartpole_state* s = state;
    obs[0] = (float)cpBodyGetPosition(s->cart).x;
    obs[1] = (float)cpBodyGetVelocity(s->cart).x;
    obs[2] = (float)cpBodyGetAngle(s->pole);
    obs[3] = (float)cpBodyGetAngularVelocity(s->pole);
}

static void cartpole_evaluate(void* state, const sp_world* world, const sp_action* a,
                              sp_env_outcome* out) {
    const cartpole_state* s = state;
    double x = cpBodyGetPosition(s->cart).x;
    double theta = cpBodyGetAngle(s->pole);
    out->reward = 1.0;
    if (fabs(theta) > ANGLE_LIMIT) {
        out->terminated = true;
        out->reason = "pole_fell";
    } else if (fabs(x) > TRACK_HALF) {
        out->terminated = true;
        out->reason = "cart_left_track";
    }
}

static void cartpole_hash(const void* state, sp_hash* h) {
    const cartpole_state* s = state;
    sp_hash_f64(h, s->force);
}

static const sp_env_spec cartpole_spec = {
    .id = "CartPole-v0",
    .version = 1,
    .summary = "balance a pole on a cart by pushing it left or right",
    .dt = 0.01,
    .iterations = 10,
    .frame_skip = 2,
    .max_steps = 500,
    .sensor_count = 4,
    .sensors = cartpole_sensors,
    .action_kind = SP_ACTION_DISCRETE,
    .action_count = 2,
    .action_names = cartpole_action_names,
    .constraint_count = 1,
    .constraints = cartpole_constraints,
};

static const sp_env_spec cartpole_continuous_spec = {
    .id = "CartPoleContinuous-v0",
    .version = 1,
    .summary = "CartPole-v0 with a continuous horizontal force",
    .dt = 0.01,
    .iterations = 10,
    .frame_skip = 2,
    .max_steps = 500,
    .sensor_count = 4,
    .sensors = cartpole_sensors,
    .action_kind = SP_ACTION_CONTINUOUS,
    .actuator_count = 1,
    .actuators = cartpole_actuators,
    .constraint_count = 1,
    .constraints = cartpole_constraints,
};

const sp_env_class sp_cartpole_env = {
    .spec = &cartpole_spec,
    .state_size = sizeof(cartpole_state),
    .build = cartpole_build,
    .act = cartpole_act_discrete,
    .apply = cartpole_apply,
    .sense = cartpole_sense,
    .evaluate = cartpole_evaluate,
    .hash = cartpole_hash,
};

const sp_env_class sp_cartpole_continuous_env = {
    .spec = &cartpole_continuous_spec,
    .state_size = sizeof(cartpole_state),
    .build = cartpole_build,
    .act = cartpole_act_continuous,
    .apply = cartpole_apply,
    .sense = cartpole_sense,
    .evaluate = cartpole_evaluate,
    .hash = cartpole_hash,
};
