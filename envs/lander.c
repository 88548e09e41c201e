/* Lander-v0 and LanderContinuous-v0: Gymnasium's LunarLander rebuilt on Chipmunk.
 *
 * A polygon hull carries two legs, each a light box on a pivot at the hull's bottom edge held
 * out by a damped rotary spring and stopped by a rotary limit, so a touchdown compresses the
 * legs instead of the hull hitting the ground. The main engine pushes along the hull's axis from
 * its bottom; the side thrusters push sideways from high on the hull, so they both translate and
 * turn the craft. Engines burn a finite tank. Terrain is a chain of static segments drawn from
 * the env stream each episode, flat over the pad in the middle.
 *
 * World frame: x in [-10, 10] m with the pad centred on x = 0, y up from the screen's bottom. */

#include <math.h>
#include <stdbool.h>

#include "sandpit/envs.h"
#include "sandpit/error.h"
#include "sandpit/math.h"
#include "world_chipmunk.h"

#define LANDER_PI 3.14159265358979323846

/* The screen: Gymnasium's 600 x 400 px viewport at 30 px/m. */
#define WORLD_W 20.0
#define WORLD_H (40.0 / 3.0)

/* Terrain: CHUNKS points evenly spaced over the screen width, heights in [0, H/2], smoothed;
 * the pad spans the three middle points. Flat shoulders past both edges keep a craft that
 * hangs over an edge standing on something until it is out of bounds. */
#define CHUNKS 11
#define PAD_CHUNK (CHUNKS / 2)
#define CHUNK_W (WORLD_W / (CHUNKS - 1))
#define PAD_Y (WORLD_H / 4.0)
#define SHOULDER 3.0
#define TERRAIN_POINTS (CHUNKS + 2)
#define TERRAIN_FRICTION 1.0

/* Craft. Thrust-to-weight of the main engine is about 1.76, as in Gymnasium. Positions on the
 * hull are given in the design frame of Gymnasium's polygon; build shifts them to the centroid. */
#define HULL_MASS 5.0
#define HULL_VERTS 6
#define HULL_BOTTOM -0.333
#define HULL_FRICTION 0.5
#define LEG_MASS 0.25
#define LEG_LENGTH 0.7
#define LEG_WIDTH 0.1
#define LEG_SPLAY 0.45     /* rad from vertical at rest, feet outward */
#define LEG_PIVOT_X 0.5    /* on the hull's bottom edge */
#define LEG_STIFFNESS 60.0 /* N m/rad */
#define LEG_DAMPING 4.0    /* N m s/rad */
#define LEG_FOLD_IN 0.1    /* rad the legs may swing inward past rest */
#define LEG_FOLD_OUT 0.45  /* rad the legs may splay outward past rest */
#define LEG_FRICTION 0.6
#define LEG_ROUND 0.04  /* corner radius within the leg's outline */
#define MAIN_FORCE 95.0 /* N at full throttle */
#define SIDE_FORCE 12.0 /* N */
#define DISPERSION 0.05 /* rad: the largest deviation of a thrust direction */

/* Fuel is measured as impulse (N s), so each engine burns in proportion to its thrust: the tank
 * holds 10 s of the main engine at full throttle. Fuel mass is ignored. */
#define FUEL_CAPACITY (10.0 * MAIN_FORCE)

/* Initial state: hull centre at the top middle of the screen, velocity uniform in a box (what
 * Gymnasium's random initial force of +-1000 over one 1/50 s step gives its ~5 kg craft). */
#define INIT_Y WORLD_H
#define INIT_SPEED 4.0

/* Outcome. */
#define TOUCHDOWN_MAX_SPEED 4.0 /* m/s: a leg touching down faster than this is a crash */
#define REST_SPEED 0.05         /* m/s */
#define REST_SPIN 0.05          /* rad/s */
#define REST_STEPS 25           /* env steps (0.5 s) at rest on both legs to land */
#define MAX_X (WORLD_W / 2.0)
#define MAX_Y (2.0 * WORLD_H) /* one screen above the top */
#define MAX_SPEED 40.0        /* per axis, m/s */
#define MAX_SPIN 20.0         /* rad/s */
#define MAIN_COST 0.3         /* reward per env step at full main throttle */
#define SIDE_COST 0.03
#define TERMINAL_REWARD 100.0

/* Gymnasium's normalisation of its shaping terms, so returns read on its familiar scale. */
#define SHAPING_X (WORLD_W / 2.0)
#define SHAPING_Y (WORLD_H / 2.0)
#define SHAPING_VX (WORLD_W / 2.0 / 50.0)
#define SHAPING_VY (WORLD_H / 2.0 / 50.0)

#define LANDER_DT 0.01
#define LANDER_FRAME_SKIP 2

/* Hull and legs share a group so they never collide with each other. */
#define LANDER_GROUP 1

enum { TERRAIN_TYPE = 1, HULL_TYPE, LEG_TYPE };
enum { LEFT = 0, RIGHT = 1 };
enum { NOOP, FIRE_LEFT, FIRE_MAIN, FIRE_RIGHT };

/* Gymnasium's LANDER_POLY in metres. Its centroid is not the origin: build recentres it. */
static const cpVect hull_design[HULL_VERTS] = {
    {-0.467, 0.567},      {-0.567, 0.0}, {-0.567, HULL_BOTTOM},
    {0.567, HULL_BOTTOM}, {0.567, 0.0},  {0.467, 0.567},
};
static const cpVect main_mount_design = {0.0, HULL_BOTTOM};
/* Side thrusters sit high on the hull; the one on the right pushes left, as Gymnasium's
 * fire_left does, and turns the craft counter-clockwise. Index by thrust direction: LEFT,
 * RIGHT. */
static const cpVect side_mount_design[2] = {{0.4, 0.467}, {-0.4, 0.467}};

typedef struct lander_state {
    cpBody* hull;
    cpBody* legs[2];
    cpVect cog;               /* the hull polygon's centroid in the design frame */
    double terrain_y[CHUNKS]; /* surface height at each chunk point, m */
    /* The command, set once per env step. */
    double main_throttle; /* 0, or [0.5, 1] */
    double side_throttle; /* 0, or [0.5, 1] */
    int side_dir;         /* LEFT or RIGHT, when side_throttle > 0 */
    double main_tilt;     /* this step's dispersion, rad */
    double side_tilt;
    /* Accumulated over the substeps of one env step. */
    double main_burnt; /* sum of delivered main throttle */
    double side_burnt;
    double fuel; /* N s left */
    double prev_shaping;
    int rest_steps;
    bool leg_contact[2]; /* at the end of the last env step */
    /* Latched by collision handlers during a step; either one ends the episode. */
    bool hull_touched;
    bool hard_touchdown;
} lander_state;

static const sp_channel lander_sensors[] = {
    {"hull.x", "m", -15.0, 15.0, "hull centre x from the pad centre; |x| > 10 ends the episode"},
    {"hull.y", "m", -5.0, 25.0, "hull centre height above the pad surface"},
    {"hull.velocity.x", "m/s", -50.0, 50.0, "hull horizontal velocity"},
    {"hull.velocity.y", "m/s", -50.0, 50.0, "hull vertical velocity, up positive"},
    {"hull.angle", "rad", -LANDER_PI, LANDER_PI,
     "hull angle from upright, counter-clockwise positive, wrapped to [-pi, pi]"},
    {"hull.angular_velocity", "rad/s", -50.0, 50.0, "hull angular velocity"},
    {"leg.left.contact", "1", 0.0, 1.0, "1 while the left leg touches the ground"},
    {"leg.right.contact", "1", 0.0, 1.0, "1 while the right leg touches the ground"},
    {"fuel.fraction", "1", 0.0, 1.0, "fuel left as a fraction of the tank"},
};

/* A craft tilted past ~23 degrees is in trouble even if it recovers: a safety cost. */
static const sp_constraint lander_constraints[] = {
    {"tilt", 4, -0.4, 0.4, "hull.angle outside [-0.4, 0.4] rad"},
};

static const char* const lander_action_names[] = {"noop", "fire_left", "fire_main", "fire_right"};

static const sp_channel lander_actuators[] = {
    {"engine.main", "1", -1.0, 1.0,
     "main engine: off at or below 0, throttle 50%..100% over (0, 1]"},
    {"engine.lateral", "1", -1.0, 1.0,
     "side thrusters: off in [-0.5, 0.5]; push left below, right above, 50%..100%"},
};

static double chunk_x(int i) {
    return -0.5 * WORLD_W + CHUNK_W * i;
}

/* Gymnasium's terrain: random heights, the pad and its neighbours forced level, a three-point
 * average, then the pad set exactly level so it is flat to the bit. Always draws CHUNKS
 * numbers, so the stream's use does not depend on the heights. */
static void draw_terrain(double* y, sp_rng* rng) {
    double raw[CHUNKS];
    for (int i = 0; i < CHUNKS; i++)
        raw[i] = sp_rng_range(rng, 0.0, 0.5 * WORLD_H);
    for (int i = PAD_CHUNK - 2; i <= PAD_CHUNK + 2; i++)
        raw[i] = PAD_Y;
    for (int i = 0; i < CHUNKS; i++) {
        double prev = raw[i > 0 ? i - 1 : i];
        double next = raw[i < CHUNKS - 1 ? i + 1 : i];
        y[i] = (prev + raw[i] + next) / 3.0;
    }
    for (int i = PAD_CHUNK - 1; i <= PAD_CHUNK + 1; i++)
        y[i] = PAD_Y;
}

static int build_terrain(lander_state* s, sp_world* world) {
    cpVect p[TERRAIN_POINTS];
    p[0] = cpv(chunk_x(0) - SHOULDER, s->terrain_y[0]);
    for (int i = 0; i < CHUNKS; i++)
        p[i + 1] = cpv(chunk_x(i), s->terrain_y[i]);
    p[TERRAIN_POINTS - 1] = cpv(chunk_x(CHUNKS - 1) + SHOULDER, s->terrain_y[CHUNKS - 1]);
    cpBody* ground = sp_world_static_body(world);
    for (int j = 0; j + 1 < TERRAIN_POINTS; j++) {
        cpShape* seg = sp_world_add_shape(world, cpSegmentShapeNew(ground, p[j], p[j + 1], 0.0));
        if (!seg) return SP_E_NO_MEMORY;
        /* Neighbours let a foot slide across a joint between segments without catching. */
        cpSegmentShapeSetNeighbors(seg, p[j > 0 ? j - 1 : j],
                                   p[j + 2 < TERRAIN_POINTS ? j + 2 : j + 1]);
        cpShapeSetFriction(seg, TERRAIN_FRICTION);
        cpShapeSetCollisionType(seg, TERRAIN_TYPE);
    }
    return 0;
}

/* Collision handlers only set flags, so the order Chipmunk calls them in cannot matter. */
static cpBool hull_touch_begin(cpArbiter* arb, cpSpace* space, cpDataPointer data) {
    ((lander_state*)data)->hull_touched = true;
    return cpTrue;
}

/* At `begin` the hull still has the velocity that carried the leg into the ground. */
static cpBool leg_touch_begin(cpArbiter* arb, cpSpace* space, cpDataPointer data) {
    lander_state* s = data;
    if (cpvlength(cpBodyGetVelocity(s->hull)) > TOUCHDOWN_MAX_SPEED) s->hard_touchdown = true;
    return cpTrue;
}

static int build_leg(lander_state* s, sp_world* world, int side, cpShapeFilter filter) {
    double sign = side == LEFT ? -1.0 : 1.0;
    double splay = sign * LEG_SPLAY;
    cpVect mount = cpvsub(cpv(sign * LEG_PIVOT_X, HULL_BOTTOM), s->cog);
    cpVect pivot = cpBodyLocalToWorld(s->hull, mount);
    double moment = cpMomentForBox(LEG_MASS, LEG_WIDTH, LEG_LENGTH);
    cpBody* leg = sp_world_add_body(world, cpBodyNew(LEG_MASS, moment));
    if (!leg) return SP_E_NO_MEMORY;
    s->legs[side] = leg;
    /* The leg's local -y axis points from the pivot to the foot. */
    double angle = cpBodyGetAngle(s->hull) + splay;
    cpBodySetAngle(leg, angle);
    cpBodySetPosition(leg,
                      cpvadd(pivot, cpvmult(cpv(sp_sin(angle), -sp_cos(angle)), 0.5 * LEG_LENGTH)));
    cpBodySetVelocity(leg, cpBodyGetVelocity(s->hull));
    /* Rounded, so the foot keeps a steady contact instead of chattering on a sharp corner. */
    double core_w = LEG_WIDTH - 2.0 * LEG_ROUND, core_l = LEG_LENGTH - 2.0 * LEG_ROUND;
    cpShape* box = sp_world_add_shape(world, cpBoxShapeNew(leg, core_w, core_l, LEG_ROUND));
    if (!box) return SP_E_NO_MEMORY;
    cpShapeSetFilter(box, filter);
    cpShapeSetFriction(box, LEG_FRICTION);
    cpShapeSetCollisionType(box, LEG_TYPE);

    if (!sp_world_add_constraint(world, cpPivotJointNew(s->hull, leg, pivot)))
        return SP_E_NO_MEMORY;
    /* Chipmunk's spring measures the hull's angle minus the leg's, the limit the leg's minus the
     * hull's. A load on the foot turns a leg outward: the sign of its splay. */
    if (!sp_world_add_constraint(
            world, cpDampedRotarySpringNew(s->hull, leg, -splay, LEG_STIFFNESS, LEG_DAMPING)))
        return SP_E_NO_MEMORY;
    double lo = side == LEFT ? splay - LEG_FOLD_OUT : splay - LEG_FOLD_IN;
    double hi = side == LEFT ? splay + LEG_FOLD_IN : splay + LEG_FOLD_OUT;
    if (!sp_world_add_constraint(world, cpRotaryLimitJointNew(s->hull, leg, lo, hi)))
        return SP_E_NO_MEMORY;
    return 0;
}

static void terrain_contact(cpBody* body, cpArbiter* arb, void* data) {
    CP_ARBITER_GET_SHAPES(arb, mine, other);
    (void)mine;
    if (cpShapeGetCollisionType(other) == TERRAIN_TYPE && cpArbiterGetCount(arb) > 0)
        *(bool*)data = true;
}

/* Chipmunk rebuilds each body's arbiter list every step from that step's contacts; a boolean
 * OR over it does not depend on the list's order. */
static bool touches_terrain(cpBody* body) {
    bool touching = false;
    cpBodyEachArbiter(body, terrain_contact, &touching);
    return touching;
}

typedef struct lander_pose {
    double x, y, vx, vy, angle, spin;
} lander_pose;

static lander_pose hull_pose(const lander_state* s) {
    cpVect p = cpBodyGetPosition(s->hull);
    cpVect v = cpBodyGetVelocity(s->hull);
    lander_pose pose = {
        .x = p.x,
        .y = p.y - PAD_Y,
        .vx = v.x,
        .vy = v.y,
        .angle = remainder(cpBodyGetAngle(s->hull), 2.0 * LANDER_PI),
        .spin = cpBodyGetAngularVelocity(s->hull),
    };
    return pose;
}

/* Gymnasium's potential: closer, slower, more upright and more legs down is better. sqrt, not
 * hypot: it is correctly rounded everywhere. */
static double shaping(const lander_pose* q, const bool* contact) {
    double dx = q->x / SHAPING_X, dy = q->y / SHAPING_Y;
    double vx = q->vx * SHAPING_VX, vy = q->vy * SHAPING_VY;
    return -100.0 * sqrt(dx * dx + dy * dy) - 100.0 * sqrt(vx * vx + vy * vy) -
           100.0 * fabs(q->angle) + 10.0 * contact[LEFT] + 10.0 * contact[RIGHT];
}

static int lander_build(void* state, sp_world* world, sp_rng* rng) {
    lander_state* s = state;
    draw_terrain(s->terrain_y, rng);
    double vx = sp_rng_range(rng, -INIT_SPEED, INIT_SPEED);
    double vy = sp_rng_range(rng, -INIT_SPEED, INIT_SPEED);
    s->fuel = FUEL_CAPACITY;
    s->cog = cpCentroidForPoly(HULL_VERTS, hull_design);

    cpSpace* space = sp_world_space(world);
    /* Chipmunk's default slop (0.1 m) is as wide as a leg at this scale. */
    cpSpaceSetCollisionSlop(space, 0.01);
    cpCollisionHandler* h = cpSpaceAddCollisionHandler(space, HULL_TYPE, TERRAIN_TYPE);
    h->beginFunc = hull_touch_begin;
    h->userData = s;
    h = cpSpaceAddCollisionHandler(space, LEG_TYPE, TERRAIN_TYPE);
    h->beginFunc = leg_touch_begin;
    h->userData = s;

    int rc = build_terrain(s, world);
    if (rc != 0) return rc;

    cpFloat moment = cpMomentForPoly(HULL_MASS, HULL_VERTS, hull_design, cpvneg(s->cog), 0.0);
    s->hull = sp_world_add_body(world, cpBodyNew(HULL_MASS, moment));
    if (!s->hull) return SP_E_NO_MEMORY;
    cpBodySetPosition(s->hull, cpv(0.0, INIT_Y));
    cpBodySetVelocity(s->hull, cpv(vx, vy));
    cpShapeFilter filter = cpShapeFilterNew(LANDER_GROUP, CP_ALL_CATEGORIES, CP_ALL_CATEGORIES);
    cpShape* hull =
        sp_world_add_shape(world, cpPolyShapeNew(s->hull, HULL_VERTS, hull_design,
                                                 cpTransformTranslate(cpvneg(s->cog)), 0.0));
    if (!hull) return SP_E_NO_MEMORY;
    cpShapeSetFilter(hull, filter);
    cpShapeSetFriction(hull, HULL_FRICTION);
    cpShapeSetCollisionType(hull, HULL_TYPE);

    if ((rc = build_leg(s, world, LEFT, filter)) != 0) return rc;
    if ((rc = build_leg(s, world, RIGHT, filter)) != 0) return rc;

    lander_pose q = hull_pose(s);
    s->prev_shaping = shaping(&q, s->leg_contact);
    return 0;
}

/* Draws the step's dispersion whatever the action, so the stream advances the same way under
 * every policy. */
static void start_step(lander_state* s, sp_rng* rng) {
    s->main_tilt = sp_rng_range(rng, -DISPERSION, DISPERSION);
    s->side_tilt = sp_rng_range(rng, -DISPERSION, DISPERSION);
    s->main_burnt = 0.0;
    s->side_burnt = 0.0;
    s->main_throttle = 0.0;
    s->side_throttle = 0.0;
    s->side_dir = LEFT;
}

static void lander_act_discrete(void* state, sp_world* world, sp_rng* rng, const sp_action* a) {
    lander_state* s = state;
    start_step(s, rng);
    if (a->index == FIRE_MAIN) s->main_throttle = 1.0;
    if (a->index == FIRE_LEFT || a->index == FIRE_RIGHT) {
        s->side_throttle = 1.0;
        s->side_dir = a->index == FIRE_LEFT ? LEFT : RIGHT;
    }
}

static void lander_act_continuous(void* state, sp_world* world, sp_rng* rng, const sp_action* a) {
    lander_state* s = state;
    start_step(s, rng);
    double throttle = a->value[0], lateral = a->value[1];
    if (throttle > 0.0) s->main_throttle = 0.5 + 0.5 * throttle;
    if (fabs(lateral) > 0.5) {
        s->side_throttle = fabs(lateral);
        s->side_dir = lateral < 0.0 ? LEFT : RIGHT;
    }
}

/* Takes `force` (N) worth of fuel for one physics step and returns the force the tank could
 * pay for: all of it, or what the last drops buy. */
static double burn(lander_state* s, double force, double dt) {
    double need = force * dt;
    if (s->fuel >= need) {
        s->fuel -= need;
        return force;
    }
    double paid = s->fuel / dt;
    s->fuel = 0.0;
    return paid;
}

/* A force along `dir_local` (hull frame, tilted by `tilt`) at `mount_design`. */
static void thrust(lander_state* s, cpVect mount_design, cpVect dir_local, double tilt,
                   double force) {
    cpVect dir = cpvrotate(dir_local, cpvforangle(tilt));
    cpVect f = cpvrotate(cpvmult(dir, force), cpBodyGetRotation(s->hull));
    cpVect at = cpBodyLocalToWorld(s->hull, cpvsub(mount_design, s->cog));
    cpBodyApplyForceAtWorldPoint(s->hull, f, at);
}

static void lander_apply(void* state, sp_world* world) {
    lander_state* s = state;
    double dt = sp_world_get_def(world)->dt;
    if (s->main_throttle > 0.0) {
        double f = burn(s, s->main_throttle * MAIN_FORCE, dt);
        s->main_burnt += f / MAIN_FORCE;
        if (f > 0.0) thrust(s, main_mount_design, cpv(0.0, 1.0), s->main_tilt, f);
    }
    if (s->side_throttle > 0.0) {
        double f = burn(s, s->side_throttle * SIDE_FORCE, dt);
        s->side_burnt += f / SIDE_FORCE;
        cpVect dir = cpv(s->side_dir == LEFT ? -1.0 : 1.0, 0.0);
        if (f > 0.0) thrust(s, side_mount_design[s->side_dir], dir, s->side_tilt, f);
    }
}

static void lander_sense(const void* state, const sp_world* world, float* obs) {
    const lander_state* s = state;
    lander_pose q = hull_pose(s);
    obs[0] = (float)q.x;
    obs[1] = (float)q.y;
    obs[2] = (float)q.vx;
    obs[3] = (float)q.vy;
    obs[4] = (float)q.angle;
    obs[5] = (float)q.spin;
    obs[6] = touches_terrain(s->legs[LEFT]) ? 1.0f : 0.0f;
    obs[7] = touches_terrain(s->legs[RIGHT]) ? 1.0f : 0.0f;
    obs[8] = (float)(s->fuel / FUEL_CAPACITY);
}

static bool out_of_bounds(const lander_state* s, const lander_pose* q) {
    double y = cpBodyGetPosition(s->hull).y; /* below 0 only by tunnelling through the ground */
    return fabs(q->x) > MAX_X || y > MAX_Y || y < 0.0 || fabs(q->vx) > MAX_SPEED ||
           fabs(q->vy) > MAX_SPEED || fabs(q->spin) > MAX_SPIN;
}

static void lander_evaluate(void* state, const sp_world* world, const sp_action* a,
                            sp_env_outcome* out) {
    lander_state* s = state;
    s->leg_contact[LEFT] = touches_terrain(s->legs[LEFT]);
    s->leg_contact[RIGHT] = touches_terrain(s->legs[RIGHT]);
    lander_pose q = hull_pose(s);
    double now = shaping(&q, s->leg_contact);
    out->reward = now - s->prev_shaping;
    s->prev_shaping = now;
    out->reward -= MAIN_COST * s->main_burnt / LANDER_FRAME_SKIP;
    out->reward -= SIDE_COST * s->side_burnt / LANDER_FRAME_SKIP;

    bool resting = s->leg_contact[LEFT] && s->leg_contact[RIGHT] &&
                   sqrt(q.vx * q.vx + q.vy * q.vy) < REST_SPEED && fabs(q.spin) < REST_SPIN;
    s->rest_steps = resting ? s->rest_steps + 1 : 0;

    /* As in Gymnasium, a terminating step's reward is exactly the outcome: a crash must not
     * earn the shaping credit for stopping abruptly. */
    if (s->hull_touched || s->hard_touchdown) {
        out->reward = -TERMINAL_REWARD;
        out->terminated = true;
        out->reason = "crashed";
    } else if (out_of_bounds(s, &q)) {
        out->reward = -TERMINAL_REWARD;
        out->terminated = true;
        out->reason = "out_of_bounds";
    } else if (s->rest_steps >= REST_STEPS) {
        out->reward = TERMINAL_REWARD;
        out->terminated = true;
        out->reason = "landed";
    }
}

static void lander_hash(const void* state, sp_hash* h) {
    const lander_state* s = state;
    for (int i = 0; i < CHUNKS; i++)
        sp_hash_f64(h, s->terrain_y[i]);
    sp_hash_f64(h, s->main_throttle);
    sp_hash_f64(h, s->side_throttle);
    sp_hash_u64(h, (uint64_t)s->side_dir);
    sp_hash_f64(h, s->main_tilt);
    sp_hash_f64(h, s->side_tilt);
    sp_hash_f64(h, s->main_burnt);
    sp_hash_f64(h, s->side_burnt);
    sp_hash_f64(h, s->fuel);
    sp_hash_f64(h, s->prev_shaping);
    sp_hash_u64(h, (uint64_t)s->rest_steps);
    sp_hash_u64(h, (uint64_t)s->leg_contact[LEFT] | (uint64_t)s->leg_contact[RIGHT] << 1 |
                       (uint64_t)s->hull_touched << 2 | (uint64_t)s->hard_touchdown << 3);
}

static const sp_env_spec lander_spec = {
    .id = "Lander-v0",
    .version = 1,
    .summary = "land a craft on the pad between the flags with a main engine and side thrusters",
    .dt = LANDER_DT,
    .iterations = 20,
    .frame_skip = LANDER_FRAME_SKIP,
    .max_steps = 1000,
    .sensor_count = 9,
    .sensors = lander_sensors,
    .action_kind = SP_ACTION_DISCRETE,
    .action_count = 4,
    .action_names = lander_action_names,
    .constraint_count = 1,
    .constraints = lander_constraints,
};

static const sp_env_spec lander_continuous_spec = {
    .id = "LanderContinuous-v0",
    .version = 1,
    .summary = "Lander-v0 with continuous main and lateral throttles",
    .dt = LANDER_DT,
    .iterations = 20,
    .frame_skip = LANDER_FRAME_SKIP,
    .max_steps = 1000,
    .sensor_count = 9,
    .sensors = lander_sensors,
    .action_kind = SP_ACTION_CONTINUOUS,
    .actuator_count = 2,
    .actuators = lander_actuators,
    .constraint_count = 1,
    .constraints = lander_constraints,
};

const sp_env_class sp_lander_env = {
    .spec = &lander_spec,
    .state_size = sizeof(lander_state),
    .build = lander_build,
    .act = lander_act_discrete,
    .apply = lander_apply,
    .sense = lander_sense,
    .evaluate = lander_evaluate,
    .hash = lander_hash,
};

const sp_env_class sp_lander_continuous_env = {
    .spec = &lander_continuous_spec,
    .state_size = sizeof(lander_state),
    .build = lander_build,
    .act = lander_act_continuous,
    .apply = lander_apply,
    .sense = lander_sense,
    .evaluate = lander_evaluate,
    .hash = lander_hash,
};
