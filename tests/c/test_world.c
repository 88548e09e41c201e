#include <stdbool.h>

#include "ensure.h"
#include "world_chipmunk.h"

static uint64_t world_hash(const sp_world* w) {
    sp_hash h = sp_hash_begin();
    sp_world_hash(w, &h);
    return h.h;
}

static sp_world* two_body_world(void) {
    sp_world_def def = sp_default_world_def();
    sp_world* w = sp_world_create(&def);
    for (int i = 0; i < 2; i++) {
        cpBody* b = sp_world_add_body(w, cpBodyNew(1.0, 1.0));
        cpBodySetPosition(b, cpv(i, 2.0 * i));
    }
    return w;
}

static void hash_changes_when_any_body_field_changes(void) {
    sp_world* w = two_body_world();
    uint64_t base = world_hash(w);
    for (int i = 0; i < 2; i++) {
        cpBody* b = sp_world_body(w, i);
        cpVect p = cpBodyGetPosition(b), v = cpBodyGetVelocity(b);
        double a = cpBodyGetAngle(b), av = cpBodyGetAngularVelocity(b);

        cpBodySetPosition(b, cpv(p.x + 1e-12, p.y));
        ENSURE(world_hash(w) != base);
        cpBodySetPosition(b, cpv(p.x, p.y + 1e-12));
        ENSURE(world_hash(w) != base);
        cpBodySetPosition(b, p);
        ENSURE(world_hash(w) == base);

        cpBodySetVelocity(b, cpv(v.x + 1e-12, v.y));
        ENSURE(world_hash(w) != base);
        cpBodySetVelocity(b, cpv(v.x, v.y - 1e-12));
        ENSURE(world_hash(w) != base);
        cpBodySetVelocity(b, v);

        cpBodySetAngle(b, a + 1e-12);
        ENSURE(world_hash(w) != base);
        cpBodySetAngle(b, a);
        cpBodySetAngularVelocity(b, av + 1e-12);
        ENSURE(world_hash(w) != base);
        cpBodySetAngularVelocity(b, av);
        ENSURE(world_hash(w) == base);
    }
    sp_world_destroy(w);
}

static void hash_follows_creation_order(void) {
    sp_world* w = two_body_world();
    uint64_t base = world_hash(w);
    /* Swap the two bodies' states: same set of values, different order, different hash. */
    cpBody* a = sp_world_body(w, 0);
    cpBody* b = sp_world_body(w, 1);
    cpVect pa = cpBodyGetPosition(a);
    cpBodySetPosition(a, cpBodyGetPosition(b));
    cpBodySetPosition(b, pa);
    ENSURE(world_hash(w) != base);
    sp_world_destroy(w);
}

static void stepping_is_repeatable_and_clear_resets(void) {
    sp_world* w1 = two_body_world();
    sp_world* w2 = two_body_world();
    for (int i = 0; i < 100; i++) {
        sp_world_step(w1);
        sp_world_step(w2);
    }
    ENSURE(sp_world_steps(w1) == 100);
    ENSURE(world_hash(w1) == world_hash(w2));
    ENSURE(sp_world_clear(w1) == 0);
    ENSURE(sp_world_body_count(w1) == 0);
    ENSURE(sp_world_steps(w1) == 0);
    sp_world_destroy(w1);
    sp_world_destroy(w2);
}

/* A pendulum hinged to the static body, a second body on a groove, a visual shape on each
 * and, with `collide`, a colliding floor: then the step changes the space's settings the way
 * envs and faults do, so a clear has to put them back. */
static void build_rig(sp_world* w, bool collide) {
    cpBody* ground = sp_world_static_body(w);
    cpBody* a = sp_world_add_body(w, cpBodyNew(1.0, 0.5));
    cpBodySetPosition(a, cpv(0.3, -1.0));
    cpBody* b = sp_world_add_body(w, cpBodyNew(2.0, 1.0));
    cpBodySetVelocity(b, cpv(0.5, 0.0));
    sp_world_add_visual_shape(w, cpSegmentShapeNew(a, cpv(0, -0.5), cpv(0, 0.5), 0.05));
    sp_world_add_visual_shape(w, cpBoxShapeNew(b, 0.5, 0.3, 0.0));
    sp_world_add_constraint(w, cpPivotJointNew2(ground, a, cpvzero, cpv(0, 0.5)));
    sp_world_add_constraint(w, cpGrooveJointNew(ground, b, cpv(-3, 0), cpv(3, 0), cpvzero));
    if (collide) {
        sp_world_add_shape(w, cpSegmentShapeNew(ground, cpv(-5, -1.4), cpv(5, -1.4), 0.1));
        sp_world_add_shape(w, cpCircleShapeNew(a, 0.2, cpvzero));
    }
}

static void run_rig(sp_world* w) {
    cpSpace* space = sp_world_space(w);
    cpSpaceSetGravity(space, cpv(0.1, -3.0));
    cpSpaceSetDamping(space, 0.9);
    cpSpaceSetCollisionSlop(space, 0.02);
    cpBodySetForce(sp_world_body(w, 1), cpv(1.0, 0.0));
    for (int i = 0; i < 120; i++)
        sp_world_step(w);
}

/* After sp_world_clear a world steps exactly as a new one, whether its space was emptied and
 * kept (nothing ever collided in it) or made anew. */
static void cleared_world_is_a_new_world(void) {
    for (int collide = 0; collide < 2; collide++) {
        sp_world_def def = sp_default_world_def();
        sp_world* used = sp_world_create(&def);
        build_rig(used, collide);
        run_rig(used);
        for (int episode = 0; episode < 3; episode++) {
            ENSURE(sp_world_clear(used) == 0);
            sp_world* fresh = sp_world_create(&def);
            cpSpace *u = sp_world_space(used), *f = sp_world_space(fresh);
            ENSURE(cpSpaceGetIterations(u) == cpSpaceGetIterations(f));
            ENSURE(cpveql(cpSpaceGetGravity(u), cpSpaceGetGravity(f)));
            ENSURE(cpSpaceGetDamping(u) == cpSpaceGetDamping(f));
            ENSURE(cpSpaceGetCollisionSlop(u) == cpSpaceGetCollisionSlop(f));
            ENSURE(cpSpaceGetCollisionBias(u) == cpSpaceGetCollisionBias(f));
            ENSURE(cpSpaceGetCollisionPersistence(u) == cpSpaceGetCollisionPersistence(f));
            build_rig(used, collide);
            build_rig(fresh, collide);
            run_rig(used);
            run_rig(fresh);
            ENSURE_MSG(world_hash(used) == world_hash(fresh), "collide %d, episode %d", collide,
                       episode);
            sp_world_destroy(fresh);
        }
        sp_world_destroy(used);
    }
}

static const sp_test_case cases[] = {
    {"hash_changes_when_any_body_field_changes", hash_changes_when_any_body_field_changes},
    {"hash_follows_creation_order", hash_follows_creation_order},
    {"stepping_is_repeatable_and_clear_resets", stepping_is_repeatable_and_clear_resets},
    {"cleared_world_is_a_new_world", cleared_world_is_a_new_world},
};
SP_TEST_MAIN(cases)
