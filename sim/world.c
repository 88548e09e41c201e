#include <chipmunk/chipmunk_private.h> /* the space's fields, to return one to its fresh state */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "world_private.h"

sp_world_def sp_default_world_def(void) {
    sp_world_def def = {
        .dt = 1.0 / 60.0, .iterations = 10, .gravity_x = 0.0, .gravity_y = -9.81, .damping = 1.0};
    return def;
}

static int array_push(sp_array* a, void* item, int32_t body_a, int32_t body_b) {
    if (a->count == a->capacity) {
        int capacity = a->capacity ? 2 * a->capacity : 16;
        sp_entry* items = realloc(a->items, (size_t)capacity * sizeof *items);
        if (!items) return -1;
        a->items = items;
        a->capacity = capacity;
    }
    a->items[a->count++] = (sp_entry){item, body_a, body_b};
    return 0;
}

/* The world's settings on a space that has Chipmunk's defaults. */
static void configure_space(sp_world* world, cpSpace* space) {
    const sp_world_def* def = &world->def;
    cpSpaceSetIterations(space, def->iterations);
    cpSpaceSetGravity(space, cpv(def->gravity_x, def->gravity_y));
    cpSpaceSetDamping(space, def->damping);
    /* Until a shape can collide there is no contact to remember: with persistence 0 Chipmunk
     * recycles one contact buffer instead of growing a ring of four 32 KiB buffers per world.
     * The first colliding shape restores the default, so worlds with contacts are unchanged. */
    cpSpaceSetCollisionPersistence(space, 0);
    world->colliding_shapes = 0;
}

static int new_space(sp_world* world) {
    cpSpace* space = cpSpaceNew();
    if (!space) return -1;
    world->persistence = cpSpaceGetCollisionPersistence(space);
    configure_space(world, space);
    world->space = space;
    return 0;
}

sp_world* sp_world_create(const sp_world_def* def) {
    sp_world* world = calloc(1, sizeof *world);
    if (!world) return NULL;
    world->def = *def;
    if (new_space(world) != 0) {
        free(world);
        return NULL;
    }
    return world;
}

static void free_children(sp_world* world) {
    /* cpSpaceFree reactivates bodies, so the space goes first while its children live. */
    cpSpaceFree(world->space);
    world->space = NULL;
    for (int i = world->constraints.count - 1; i >= 0; i--)
        cpConstraintFree(world->constraints.items[i].item);
    for (int i = world->shapes.count - 1; i >= 0; i--)
        cpShapeFree(world->shapes.items[i].item);
    for (int i = world->bodies.count - 1; i >= 0; i--)
        cpBodyFree(world->bodies.items[i].item);
    world->constraints.count = 0;
    world->shapes.count = 0;
    world->bodies.count = 0;
    world->steps = 0;
}

void sp_world_destroy(sp_world* world) {
    if (!world) return;
    free_children(world);
    free(world->bodies.items);
    free(world->shapes.items);
    free(world->constraints.items);
    free(world);
}

/* A space can be emptied and used again, in a state no step can tell from cpSpaceNew's, when
 * nothing ever touched its collision machinery: no shape was ever added to it (visual shapes
 * are not), so its spatial indexes, arbiter caches, contact history and shape ids are as new;
 * no collision handler was registered; nothing can sleep; no callback is pending. Every other
 * field cpSpaceInit sets is set again below. Worlds with contacts are made anew: a used hash
 * set or tree keeps its grown size, which would change the order Chipmunk visits pairs in. */
static bool space_reusable(const sp_world* world) {
    const cpSpace* space = world->space;
    return world->colliding_shapes == 0 && cpHashSetCount(space->collisionHandlers) == 0 &&
           !space->usesWildcards && space->sleepTimeThreshold == INFINITY &&
           space->sleepingComponents->num == 0 && space->rousedBodies->num == 0 &&
           space->postStepCallbacks->num == 0 && space->pooledArbiters->num == 0 &&
           space->arbiters->num == 0 && !space->locked;
}

/* Removes and frees the world's children, leaving its space empty and as cpSpaceInit left it
 * (its arrays and contact buffers keep their memory: what a reset saves). */
static void empty_space(sp_world* world) {
    cpSpace* space = world->space;
    for (int i = world->constraints.count - 1; i >= 0; i--) {
        cpSpaceRemoveConstraint(space, world->constraints.items[i].item);
        cpConstraintFree(world->constraints.items[i].item);
    }
    for (int i = world->shapes.count - 1; i >= 0; i--) /* visual only: never in the space */
        cpShapeFree(world->shapes.items[i].item);
    for (int i = world->bodies.count - 1; i >= 0; i--) {
        cpSpaceRemoveBody(space, world->bodies.items[i].item);
        cpBodyFree(world->bodies.items[i].item);
    }
    world->constraints.count = 0;
    world->shapes.count = 0;
    world->bodies.count = 0;
    world->steps = 0;

    /* cpSpaceInit's values (its float literals included), for what an env or a fault may have
     * changed, and its counters. */
    space->damping = 1.0f;
    space->collisionSlop = 0.1f;
    space->collisionBias = cpfpow(1.0f - 0.1f, 60.0f);
    space->idleSpeedThreshold = 0.0f;
    space->userData = NULL;
    space->stamp = 0;
    space->curr_dt = 0.0;
    space->skipPostStep = cpFalse;
    memcpy(&space->defaultHandler, &cpCollisionHandlerDoNothing, sizeof(cpCollisionHandler));
    /* The static body as cpSpaceInit makes it inside a calloc'd space (cpBodyInit leaves
     * some fields, the centre of gravity among them, as it finds them). */
    memset(&space->_staticBody, 0, sizeof space->_staticBody);
    cpBody* ground = cpBodyInit(&space->_staticBody, 0.0f, 0.0f);
    space->staticBody = NULL; /* it is the same body: nothing to detach */
    cpBodySetType(ground, CP_BODY_TYPE_STATIC);
    cpSpaceSetStaticBody(space, ground);
    configure_space(world, space);
}

int sp_world_clear(sp_world* world) {
    world->generation++;
    if (space_reusable(world)) {
        empty_space(world);
        return 0;
    }
    free_children(world);
    return new_space(world);
}

cpSpace* sp_world_space(sp_world* world) {
    return world->space;
}

cpBody* sp_world_static_body(sp_world* world) {
    return cpSpaceGetStaticBody(world->space);
}

cpBody* sp_world_add_body(sp_world* world, cpBody* body) {
    if (array_push(&world->bodies, body, 0, 0) != 0) {
        cpBodyFree(body);
        return NULL;
    }
    return cpSpaceAddBody(world->space, body);
}

/* Registers a shape with its body's handle; frees it and returns -1 when the registry cannot
 * grow. */
static int register_shape(sp_world* world, cpShape* shape) {
    int32_t body = sp_world_find_index1(world, cpShapeGetBody(shape));
    if (array_push(&world->shapes, shape, body, 0) == 0) return 0;
    cpShapeFree(shape);
    return -1;
}

cpShape* sp_world_add_shape(sp_world* world, cpShape* shape) {
    if (register_shape(world, shape) != 0) return NULL;
    if (world->colliding_shapes++ == 0)
        cpSpaceSetCollisionPersistence(world->space, world->persistence);
    return cpSpaceAddShape(world->space, shape);
}

cpShape* sp_world_add_visual_shape(sp_world* world, cpShape* shape) {
    return register_shape(world, shape) == 0 ? shape : NULL;
}

cpConstraint* sp_world_add_constraint(sp_world* world, cpConstraint* constraint) {
    int32_t a = sp_world_find_index1(world, cpConstraintGetBodyA(constraint));
    int32_t b = sp_world_find_index1(world, cpConstraintGetBodyB(constraint));
    if (array_push(&world->constraints, constraint, a, b) != 0) {
        cpConstraintFree(constraint);
        return NULL;
    }
    return cpSpaceAddConstraint(world->space, constraint);
}

int sp_world_body_count(const sp_world* world) {
    return world->bodies.count;
}

cpBody* sp_world_body(const sp_world* world, int index) {
    return world->bodies.items[index].item;
}

int sp_world_shape_count(const sp_world* world) {
    return world->shapes.count;
}

cpShape* sp_world_shape(const sp_world* world, int index) {
    return world->shapes.items[index].item;
}

int sp_world_constraint_count(const sp_world* world) {
    return world->constraints.count;
}

cpConstraint* sp_world_constraint(const sp_world* world, int index) {
    return world->constraints.items[index].item;
}

void sp_world_step(sp_world* world) {
    cpSpaceStep(world->space, world->def.dt);
    world->steps++;
}

const sp_world_def* sp_world_get_def(const sp_world* world) {
    return &world->def;
}

uint64_t sp_world_steps(const sp_world* world) {
    return world->steps;
}

void sp_world_hash(const sp_world* world, sp_hash* h) {
    sp_hash_u64(h, world->steps);
    for (int i = 0; i < world->bodies.count; i++) {
        const cpBody* body = world->bodies.items[i].item;
        cpVect p = cpBodyGetPosition(body);
        cpVect v = cpBodyGetVelocity(body);
        sp_hash_f64(h, p.x);
        sp_hash_f64(h, p.y);
        sp_hash_f64(h, cpBodyGetAngle(body));
        sp_hash_f64(h, v.x);
        sp_hash_f64(h, v.y);
        sp_hash_f64(h, cpBodyGetAngularVelocity(body));
    }
}
