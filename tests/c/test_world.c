#include "ensure.h"
#include "sandpit/world.h"

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

static const sp_test_case cases[] = {
    {"hash_changes_when_any_body_field_changes", hash_changes_when_any_body_field_changes},
    {"hash_follows_creation_order", hash_follows_creation_order},
    {"stepping_is_repeatable_and_clear_resets", stepping_is_repeatable_and_clear_resets},
};
SP_TEST_MAIN(cases)
