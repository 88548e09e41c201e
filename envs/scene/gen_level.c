/* The "level" generator: a Kinetix-style level (Matthews et al. 2024) drawn at every reset
 * around two declared bodies, the agent (Kinetix's green shape) and the goal (its blue one):
 * both placed in the area, static hazards (red) and free dynamic obstacles scattered around
 * them, motorised wheels hung under the agent for the `slot_motor` actuators and thrusters
 * mounted on it for the `slot_thruster` actuators. The counts and sizes are the level
 * distribution's parameters. Everything is drawn from the generator's own stream, so one seed
 * is one level. */

#include <string.h>

#include "dec.h"
#include "run.h"
#include "sandpit/error.h"
#include "smath.h"

#define LEVEL_MAX_SLOTS 8
#define LEVEL_TRIES 8 /* placements tried per hazard before it is left out */

/* ---- decoding ---- */

/* [lo, hi] integer counts within [0, max]. */
static bool count_range(sc_dec* d, json_t* o, const char* key, int max, int* lo, int* hi) {
    double a = 0.0, b = 0.0;
    if (!sc_range(d, o, key, false, &a, &b)) return false;
    if (a < 0.0 || b > max || a != (int)a || b != (int)b)
        return sc_fail_at(d, key, "must be [lo, hi] whole numbers in [0, %d]", max);
    *lo = (int)a;
    *hi = (int)b;
    return true;
}

static bool area(sc_dec* d, json_t* o, sc_generator* g) {
    json_t* a = json_object_get(o, "area");
    double v[4];
    if (!json_is_array(a) || json_array_size(a) != 4)
        return sc_fail_at(d, "area", "must be [xmin, ymin, xmax, ymax]");
    for (int i = 0; i < 4; i++) {
        json_t* x = json_array_get(a, (size_t)i);
        if (!json_is_number(x) || fabs(json_number_value(x)) > d->lim->max_abs)
            return sc_fail_at(d, "area", "must be [xmin, ymin, xmax, ymax] of numbers");
        v[i] = json_number_value(x);
    }
    if (!(v[0] < v[2] && v[1] <= v[3]))
        return sc_fail_at(d, "area", "must have xmin < xmax and ymin <= ymax");
    g->origin = cpv(v[0], v[1]);
    g->extent = cpv(v[2] - v[0], v[3] - v[1]);
    return true;
}

static bool mount(sc_dec* d, json_t* o, sc_generator* g) {
    json_t* a = json_object_get(o, "mount");
    if (!a) return true;
    size_t p = sc_push_key(d, "mount");
    bool ok = json_is_array(a) && json_array_size(a) == 2
                  ? sc_vec_value(d, json_array_get(a, 0), &g->mount_lo) &&
                        sc_vec_value(d, json_array_get(a, 1), &g->mount_hi)
                  : sc_fail(d, "must be [[xmin, ymin], [xmax, ymax]] in the agent's frame");
    if (ok && (g->mount_lo.x > g->mount_hi.x || g->mount_lo.y > g->mount_hi.y))
        ok = sc_fail(d, "must have its min corner first");
    sc_pop(d, p);
    return ok;
}

static int agent_group(const sc_model* m, int body) {
    const sc_body* b = &m->bodies[body];
    return b->shape_count > 0 ? (int)m->shapes[b->shape_first].group : 0;
}

bool sc_decode_level(sc_dec* d, json_t* o, sc_generator* g) {
    static const char* const keys[] = {"type",
                                       "name",
                                       "area",
                                       "agent",
                                       "goal",
                                       "gap",
                                       "goal_y",
                                       "hazards",
                                       "obstacles",
                                       "size",
                                       "motors",
                                       "wheel",
                                       "thrusters",
                                       "max_torque",
                                       "mount",
                                       "friction",
                                       "hazard_categories",
                                       "categories",
                                       NULL};
    sc_model* m = d->m;
    double max = d->lim->max_abs;
    g->kind = SC_G_LEVEL;
    g->friction = 0.8;
    g->categories = 1;
    g->hazard_categories = 2;
    g->size_lo = 0.2;
    g->size_hi = 0.6;
    g->wheel_lo = 0.2;
    g->wheel_hi = 0.4;
    g->max_torque = 50.0;
    g->role = SP_ROLE_HAZARD;
    if (m->level >= 0) return sc_fail_at(d, "type", "a scene has at most one level generator");
    if (!sc_only(d, o, keys) || !sc_str(d, o, "name", true, &g->name) || !area(d, o, g) ||
        !sc_body_ref(d, o, "agent", false, &g->agent) ||
        !sc_body_ref(d, o, "goal", false, &g->goal) ||
        !sc_num(d, o, "gap", false, 0.0, max, &g->gap) ||
        !count_range(d, o, "hazards", 64, &g->hazards_lo, &g->hazards_hi) ||
        !count_range(d, o, "obstacles", 64, &g->shapes_lo, &g->shapes_hi) ||
        !sc_range(d, o, "size", false, &g->size_lo, &g->size_hi) ||
        !sc_int(d, o, "motors", false, 0, LEVEL_MAX_SLOTS, &g->motors) ||
        !sc_int(d, o, "thrusters", false, 0, LEVEL_MAX_SLOTS, &g->thrusters) ||
        !sc_range(d, o, "wheel", false, &g->wheel_lo, &g->wheel_hi) ||
        !sc_num(d, o, "max_torque", false, 0.0, max, &g->max_torque) || !mount(d, o, g) ||
        !sc_num(d, o, "friction", false, 0.0, 100.0, &g->friction) ||
        !sc_u32(d, o, "categories", &g->categories) ||
        !sc_u32(d, o, "hazard_categories", &g->hazard_categories))
        return false;
    if (json_object_get(o, "goal_y")) {
        if (!sc_range(d, o, "goal_y", true, &g->goal_y_lo, &g->goal_y_hi)) return false;
        g->has_goal_y = true;
    }
    if (g->agent == g->goal) return sc_fail_at(d, "goal", "must differ from agent");
    if (m->bodies[g->agent].kind != SC_DYNAMIC)
        return sc_fail_at(d, "agent", "must be a dynamic body");
    if (g->motors > 0 && agent_group(m, g->agent) == 0)
        return sc_fail_at(d, "agent", "needs a shape group (its wheels join it)");
    if (!(g->size_lo > 0.0)) return sc_fail_at(d, "size", "must be > 0");
    if (!(g->wheel_lo > 0.0)) return sc_fail_at(d, "wheel", "must be > 0");
    if (!(g->gap < g->extent.x)) return sc_fail_at(d, "gap", "must be less than the area's width");
    if (g->motors + g->thrusters > LEVEL_MAX_SLOTS)
        return sc_fail(d, "motors + thrusters must be at most %d", LEVEL_MAX_SLOTS);
    g->shapes = g->hazards_hi + g->shapes_hi + g->motors;
    int cap = d->lim->max_generated - m->generated_shapes;
    if (g->shapes > cap)
        return sc_fail(d, "adds up to %d shapes; the scene's generators may add %d more", g->shapes,
                       cap < 0 ? 0 : cap);
    m->generated_shapes += g->shapes;
    m->level = m->generator_count;
    m->slot_count = g->motors + g->thrusters;
    return true;
}

/* Checks every slot actuator against the level's slots, then makes a thruster's slot an index
 * into the state's slots (the motors come first). */
bool sc_level_check_slots(sc_dec* d) {
    const sc_model* m = d->m;
    for (int i = 0; i < m->actuator_count; i++) {
        sc_actuator* a = &m->actuators[i];
        if (a->kind != SC_A_SLOT_MOTOR && a->kind != SC_A_SLOT_THRUSTER) continue;
        const sc_generator* g = m->level >= 0 ? &m->generators[m->level] : NULL;
        int have = !g ? 0 : a->kind == SC_A_SLOT_MOTOR ? g->motors : g->thrusters;
        if (a->slot >= have) {
            size_t p = sc_push_key(d, "actuators");
            sc_push_index(d, (size_t)i);
            sc_fail_at(d, "slot", "is %d; the level generator has %d such slots", a->slot, have);
            sc_pop(d, p);
            return false;
        }
        if (a->kind == SC_A_SLOT_THRUSTER) a->slot += g->motors;
    }
    return true;
}

/* ---- building ---- */

/* x drawn before y: two draws in one call's arguments would be in the compiler's order. */
static cpVect in_box(sp_rng* rng, cpVect lo, cpVect hi) {
    double x = sp_rng_range(rng, lo.x, hi.x);
    double y = sp_rng_range(rng, lo.y, hi.y);
    return cpv(x, y);
}

/* Moves a declared body; a static one's shapes are reindexed so queries see them there. */
static void place(sp_world* world, cpBody* b, cpVect at) {
    cpBodySetPosition(b, at);
    if (cpBodyGetType(b) != CP_BODY_TYPE_DYNAMIC)
        cpSpaceReindexShapesForBody(sp_world_space(world), b);
}

static int add_shape(sp_world* world, cpShape* shape, double friction, uint32_t categories,
                     uint32_t group, int role) {
    if (!shape || !(shape = sp_world_add_shape(world, shape))) return SP_E_NO_MEMORY;
    cpShapeSetFriction(shape, friction);
    cpShapeSetFilter(shape,
                     cpShapeFilterNew(group ? group : CP_NO_GROUP, categories, CP_ALL_CATEGORIES));
    sc_tag_shape(shape, role);
    return 0;
}

/* A spot in the area clear of the agent's spawn (by `gap` / 2 + 1 m, so nothing is lost or won
 * or knocked at reset) and of the goal (1 m). Every piece tries the same number of spots whether
 * one fits or not, so the pieces after it never depend on its fate. */
static bool clear_spot(const sc_generator* g, sp_rng* rng, double h, cpVect agent, cpVect goal,
                       cpVect* out) {
    cpVect hi = cpvadd(g->origin, g->extent);
    bool found = false;
    for (int t = 0; t < LEVEL_TRIES; t++) {
        cpVect p = in_box(rng, g->origin, hi);
        if (!found && cpvdist(p, agent) > h + 0.5 * g->gap + 1.0 && cpvdist(p, goal) > h + 1.0) {
            *out = p;
            found = true;
        }
    }
    return found;
}

/* A count uniform in [lo, hi]. */
static int count(sp_rng* rng, int lo, int hi) {
    return lo + (int)sp_rng_below(rng, (uint32_t)(hi - lo + 1));
}

static int hazards(const sc_generator* g, sp_world* world, sp_rng* rng, cpVect agent, cpVect goal) {
    cpBody* ground = sp_world_static_body(world);
    int n = count(rng, g->hazards_lo, g->hazards_hi);
    for (int i = 0; i < n; i++) {
        double h = sp_rng_range(rng, g->size_lo, g->size_hi);
        bool circle = sp_rng_uniform(rng) < 0.5;
        cpVect c;
        if (!clear_spot(g, rng, h, agent, goal, &c)) continue;
        cpShape* s = circle ? cpCircleShapeNew(ground, h, c)
                            : cpBoxShapeNew2(ground, cpBBNewForExtents(c, h, h), 0.0);
        int rc = add_shape(world, s, g->friction, g->hazard_categories, 0, SP_ROLE_HAZARD);
        if (rc) return rc;
    }
    return 0;
}

static int obstacles(const sc_generator* g, sp_world* world, sp_rng* rng, cpVect agent,
                     cpVect goal) {
    int n = count(rng, g->shapes_lo, g->shapes_hi);
    for (int i = 0; i < n; i++) {
        double h = sp_rng_range(rng, g->size_lo, g->size_hi);
        bool circle = sp_rng_uniform(rng) < 0.5;
        cpVect c;
        if (!clear_spot(g, rng, h, agent, goal, &c)) continue;
        double mass = circle ? 3.14159265358979323846 * h * h : 4.0 * h * h;
        cpBody* b = cpBodyNew(mass, circle ? cpMomentForCircle(mass, 0.0, h, cpvzero)
                                           : cpMomentForBox(mass, 2.0 * h, 2.0 * h));
        if (!b || !(b = sp_world_add_body(world, b))) return SP_E_NO_MEMORY;
        cpBodySetPosition(b, c);
        cpShape* s = circle ? cpCircleShapeNew(b, h, cpvzero) : cpBoxShapeNew(b, 2 * h, 2 * h, 0.0);
        int rc = add_shape(world, s, g->friction, g->categories, 0, SP_ROLE_OBSTACLE);
        if (rc) return rc;
    }
    return 0;
}

/* Motor slots: a wheel on a motorised pivot at a point of the mount box, joined to the agent's
 * shape group so it never collides with the body it carries. */
static int wheels(sc_state* s, const sc_generator* g, sp_world* world, sp_rng* rng) {
    cpBody* agent = s->bodies[g->agent];
    uint32_t group = (uint32_t)agent_group(s->m, g->agent);
    for (int k = 0; k < g->motors; k++) {
        double r = sp_rng_range(rng, g->wheel_lo, g->wheel_hi);
        cpVect at = cpBodyLocalToWorld(
            agent, sc_local(s->m, g->agent, in_box(rng, g->mount_lo, g->mount_hi)));
        double mass = 3.14159265358979323846 * r * r;
        cpBody* w = cpBodyNew(mass, cpMomentForCircle(mass, 0.0, r, cpvzero));
        if (!w || !(w = sp_world_add_body(world, w))) return SP_E_NO_MEMORY;
        cpBodySetPosition(w, at);
        /* Tyres grip better than the level's surfaces, as Kinetix's wheels do. */
        int rc = add_shape(world, cpCircleShapeNew(w, r, cpvzero), 1.5, g->categories, group,
                           SP_ROLE_NONE);
        if (rc) return rc;
        cpConstraint* pivot = cpPivotJointNew(agent, w, at);
        cpConstraint* motor = cpSimpleMotorNew(agent, w, 0.0);
        if (!pivot || !(pivot = sp_world_add_constraint(world, pivot)) || !motor ||
            !(motor = sp_world_add_constraint(world, motor)))
            return SP_E_NO_MEMORY;
        cpConstraintSetCollideBodies(pivot, cpFalse);
        cpConstraintSetMaxForce(motor, g->max_torque);
        s->slots[k].motor = motor;
    }
    return 0;
}

/* Thruster slots: a mount point in the box and a push in any direction, in the agent's frame. */
static void thrusters(sc_state* s, const sc_generator* g, sp_rng* rng) {
    for (int k = 0; k < g->thrusters; k++) {
        sc_slot* t = &s->slots[g->motors + k];
        t->body = s->bodies[g->agent];
        t->point = sc_local(s->m, g->agent, in_box(rng, g->mount_lo, g->mount_hi));
        double a = sp_rng_range(rng, -3.14159265358979323846, 3.14159265358979323846);
        t->direction = cpv(sc_cos(a), sc_sin(a));
    }
}

int sc_level_build(sc_state* s, sp_world* world, sp_rng* env_rng) {
    const sc_model* m = s->m;
    const sc_generator* g = &m->generators[m->level];
    sp_rng rng;
    sp_rng_seed(&rng, sc_generator_seed(env_rng), g->name);
    cpBody* agent = s->bodies[g->agent];
    cpBody* goal = s->bodies[g->goal];
    /* The agent keeps its declared height; the goal is uniform over the area's x at least
     * `gap` from it (at the far end when nothing is that far). */
    double x0 = g->origin.x, x1 = g->origin.x + g->extent.x;
    double ax = sp_rng_range(&rng, x0, x1);
    double left = fmax(0.0, ax - g->gap - x0), right = fmax(0.0, x1 - ax - g->gap);
    double u = sp_rng_uniform(&rng) * (left + right);
    double gx = left + right <= 0.0 ? (ax - x0 > x1 - ax ? x0 : x1)
                : u < left          ? x0 + u
                                    : ax + g->gap + (u - left);
    double gy =
        g->has_goal_y ? sp_rng_range(&rng, g->goal_y_lo, g->goal_y_hi) : cpBodyGetPosition(goal).y;
    place(world, agent, cpv(ax, cpBodyGetPosition(agent).y));
    place(world, goal, cpv(gx, gy));
    int rc = wheels(s, g, world, &rng);
    if (!rc) thrusters(s, g, &rng);
    cpVect at = cpBodyGetPosition(agent), to = cpBodyGetPosition(goal);
    if (!rc) rc = hazards(g, world, &rng, at, to);
    if (!rc) rc = obstacles(g, world, &rng, at, to);
    return rc;
}
