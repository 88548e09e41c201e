#ifndef SANDPIT_WORLD_PRIVATE_H
#define SANDPIT_WORLD_PRIVATE_H

/* The world's fields, shared by world.c (the registry and the step) and world_handles.c (what
 * handles read and write). Private to sim/. */

#include <stdint.h>

#include "world_chipmunk.h"

/* One registry entry: the object, and for shapes and joints the handles' index1 of the bodies
 * they hold, found once when they are registered (0: not found then, looked up on demand). */
typedef struct sp_entry {
    void* item;
    int32_t body_a;
    int32_t body_b;
} sp_entry;

typedef struct sp_array {
    sp_entry* items;
    int count;
    int capacity;
} sp_array;

struct sp_world {
    sp_world_def def;
    cpSpace* space;
    sp_array bodies;
    sp_array shapes;
    sp_array constraints;
    uint64_t steps;
    uint32_t generation;     /* clears so far: the handles' generation */
    int colliding_shapes;    /* shapes in the space (visual ones are not) */
    cpTimestamp persistence; /* Chipmunk's default contact persistence, restored with them */
};

/* A body's handle index1: SP_GROUND_INDEX1 for the space's static body, 0 for one outside the
 * registry (or NULL). A scan of the registry, newest first (a shape or joint is usually
 * registered just after its body): for registration and queries, not per step per body. */
int32_t sp_world_find_index1(const sp_world* world, const cpBody* body);

#endif
