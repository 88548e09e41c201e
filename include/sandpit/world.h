#ifndef SANDPIT_WORLD_H
#define SANDPIT_WORLD_H

/* The world: a Chipmunk cpSpace stepped with a fixed dt and fixed solver iterations, plus a
 * registry of every body, shape and constraint in creation order.
 *
 * The world owns what is added to it and frees it; callers never free children by hand. The
 * registry order is what the state hash walks, so results never depend on pointer values or
 * on Chipmunk's hash-set order. */

#include <chipmunk/chipmunk.h>
#include <stdint.h>

#include "sandpit/hash.h"

typedef struct sp_world sp_world;

typedef struct sp_world_def {
    double dt;        /* physics step, seconds; never changes during a world's life */
    int iterations;   /* solver iterations per step */
    double gravity_x; /* m/s^2 */
    double gravity_y;
    double damping; /* fraction of velocity kept per second (Chipmunk's convention); 1 = none */
} sp_world_def;

/* dt 1/60 s, 10 iterations, gravity (0, -9.81), no damping. */
sp_world_def sp_default_world_def(void);

/* Creates an empty world. Returns NULL when out of memory. The caller owns the result and
 * frees it with sp_world_destroy. */
sp_world* sp_world_create(const sp_world_def* def);

/* Frees the world and everything it owns. NULL is allowed. */
void sp_world_destroy(sp_world* world);

/* Frees every body, shape and constraint and leaves a space in cpSpaceNew's state with the
 * same def, so no cached contact, warm-start impulse or shape id survives into the next
 * episode. A space in which nothing ever collided is emptied and kept (a reset then allocates
 * only the env's bodies); any other is freed and made anew. */
int sp_world_clear(sp_world* world);

/* The underlying space, for queries and for setting parameters. Never free it. */
cpSpace* sp_world_space(sp_world* world);

/* The space's static body, for terrain and joint anchors. */
cpBody* sp_world_static_body(sp_world* world);

/* Adds a body, shape or constraint to the space and takes ownership. Returns the argument,
 * or NULL (after freeing it) when the registry cannot grow. */
cpBody* sp_world_add_body(sp_world* world, cpBody* body);
cpShape* sp_world_add_shape(sp_world* world, cpShape* shape);
cpConstraint* sp_world_add_constraint(sp_world* world, cpConstraint* constraint);

/* Registers a shape that only shows the body (for drawing): owned and freed by the world but
 * never added to the space, so it costs no broad phase, no collision pools and no contact
 * history. For envs whose shapes never collide; a body's mass and moment come from the body
 * itself, so leaving its massless shapes out changes no dynamics. Returns the argument, or
 * NULL (after freeing it) when the registry cannot grow. */
cpShape* sp_world_add_visual_shape(sp_world* world, cpShape* shape);

/* Registered bodies and shapes (visual ones included) in creation order. */
int sp_world_body_count(const sp_world* world);
cpBody* sp_world_body(const sp_world* world, int index);
int sp_world_shape_count(const sp_world* world);
cpShape* sp_world_shape(const sp_world* world, int index);
int sp_world_constraint_count(const sp_world* world);
cpConstraint* sp_world_constraint(const sp_world* world, int index);

/* Advances one fixed dt. */
void sp_world_step(sp_world* world);

/* The def the world was created with. */
const sp_world_def* sp_world_get_def(const sp_world* world);

/* Physics steps taken since the last clear. */
uint64_t sp_world_steps(const sp_world* world);

/* Feeds every body's position, angle, velocity and angular velocity in creation order, and the
 * step count, into `h`. */
void sp_world_hash(const sp_world* world, sp_hash* h);

#endif
