#ifndef SANDPIT_WORLD_CHIPMUNK_H
#define SANDPIT_WORLD_CHIPMUNK_H

/* The world in Chipmunk's own types: for the code that builds and steps worlds (C envs, the
 * scene runtime, sim's faults and guardrails, tests). Internal: CMake gives this directory
 * and Chipmunk's headers only to those targets (sp_world_chipmunk), so the rasterizer, the
 * playback, the viewer, the server and the Python side grow against the handles of
 * sandpit/world.h alone, and the physics library stays replaceable behind them. */

#include <chipmunk/chipmunk.h>

#include "sandpit/world.h"

/* The underlying space, for queries and for setting parameters. Never free it. */
cpSpace* sp_world_space(sp_world* world);

/* The space's static body (the ground handle's body), for terrain and joint anchors. */
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

/* The index-th registered body, shape and constraint in creation order (index in range). */
cpBody* sp_world_body(const sp_world* world, int index);
cpShape* sp_world_shape(const sp_world* world, int index);
cpConstraint* sp_world_constraint(const sp_world* world, int index);

/* What a handle names, or NULL for a null or stale one. */
cpBody* sp_body_cp(const sp_world* world, sp_body_id id);
cpShape* sp_shape_cp(const sp_world* world, sp_shape_id id);
cpConstraint* sp_joint_cp(const sp_world* world, sp_joint_id id);

/* The handle of a body: the ground for the space's static body, null for one outside the
 * registry. A scan of the registry: for setup and queries, not per step per body. */
sp_body_id sp_world_find_body(const sp_world* world, const cpBody* body);

#endif
