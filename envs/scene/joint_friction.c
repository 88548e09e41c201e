/* Friction seen from above: a body sliding on a table. Chipmunk has no ground plane in a
 * top-down world, so, as its tank demo does, a pivot and a gear joint tie the body to the
 * table with no bias (they never pull it back, only resist its velocity) and a bounded force:
 * Coulomb friction of at most `force` against sliding and `torque` against turning. */

#include "run.h"
#include "sandpit/error.h"

static int add(sp_world* world, cpConstraint* c, double max_force, bool collide) {
    if (!c || !(c = sp_world_add_constraint(world, c))) return SP_E_NO_MEMORY;
    cpConstraintSetMaxBias(c, 0.0);
    cpConstraintSetMaxForce(c, max_force);
    cpConstraintSetCollideBodies(c, collide);
    return 0;
}

int sc_add_friction(sp_world* world, cpBody* a, cpBody* b, double force, double torque,
                    bool collide) {
    int rc = add(world, cpPivotJointNew2(a, b, cpvzero, cpvzero), force, collide);
    return rc ? rc : add(world, cpGearJointNew(a, b, 0.0, 1.0), torque, collide);
}
