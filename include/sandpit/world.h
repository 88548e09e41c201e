#ifndef SANDPIT_WORLD_H
#define SANDPIT_WORLD_H

/* The world: a 2D rigid-body space stepped with a fixed dt and fixed solver iterations, plus a
 * registry of every body, shape and joint in creation order.
 *
 * The world owns what is added to it and frees it; callers never free children by hand. The
 * registry order is what the state hash walks, so results never depend on pointer values or
 * on the physics library's hash-set order.
 *
 * This header is the public face of the world and names no type of the physics library
 * (Chipmunk2D is an implementation detail): bodies, shapes and joints are reached through
 * handles, small structs that index the registry, as Box2D v3's ids do. Adding bodies and
 * shapes, and anything else that needs the library's own types, is in the internal world
 * header under sim/internal/, which only the envs, the scene runtime, sim and the tests see
 * (DESIGN.md). */

#include <stdbool.h>
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

/* Frees every body, shape and joint and leaves a space as freshly made with the same def, so
 * no cached contact, warm-start impulse or shape id survives into the next episode. A space in
 * which nothing ever collided is emptied and kept (a reset then allocates only the env's
 * bodies); any other is freed and made anew. Every handle taken before becomes stale. */
int sp_world_clear(sp_world* world);

/* Registered bodies, shapes (visual ones included) and joints, in creation order. */
int sp_world_body_count(const sp_world* world);
int sp_world_shape_count(const sp_world* world);
int sp_world_constraint_count(const sp_world* world);

/* Advances one fixed dt. */
void sp_world_step(sp_world* world);

/* The def the world was created with. */
const sp_world_def* sp_world_get_def(const sp_world* world);

/* Physics steps taken since the last clear. */
uint64_t sp_world_steps(const sp_world* world);

/* Feeds every body's position, angle, velocity and angular velocity in creation order, and the
 * step count, into `h`. */
void sp_world_hash(const sp_world* world, sp_hash* h);

/* ---- Handles ----
 *
 * A handle is the registry index plus one (0 is the null handle, so a zeroed struct is null)
 * and the world's clear count when it was taken, so a handle kept across sp_world_clear is
 * refused rather than reaching whatever was created at its index since. Handles are values:
 * taking one allocates nothing, and every lookup is an index into the registry. A function
 * given a null or stale handle returns zeros (and a setter does nothing). */

typedef struct sp_body_id {
    int32_t index1;      /* registry index + 1; 0 null; SP_GROUND_INDEX1 the world's ground */
    uint32_t generation; /* sp_world_clear count when taken */
} sp_body_id;

typedef struct sp_shape_id {
    int32_t index1;
    uint32_t generation;
} sp_shape_id;

typedef struct sp_joint_id {
    int32_t index1;
    uint32_t generation;
} sp_joint_id;

/* The ground's index1: the static body every world has, outside the registry (not counted by
 * sp_world_body_count, not hashed), that terrain and ground anchors are attached to. */
#define SP_GROUND_INDEX1 (-1)

static inline bool sp_body_is_null(sp_body_id id) {
    return id.index1 == 0;
}
static inline bool sp_shape_is_null(sp_shape_id id) {
    return id.index1 == 0;
}
static inline bool sp_joint_is_null(sp_joint_id id) {
    return id.index1 == 0;
}

/* The registry index of a body, or -1 for the null handle and the ground. */
static inline int sp_body_index(sp_body_id id) {
    return id.index1 > 0 ? id.index1 - 1 : -1;
}

/* The handle of the index-th body, shape or joint in creation order; null out of range. */
sp_body_id sp_world_body_id(const sp_world* world, int index);
sp_shape_id sp_world_shape_id(const sp_world* world, int index);
sp_joint_id sp_world_joint_id(const sp_world* world, int index);

/* The world's ground (see SP_GROUND_INDEX1). */
sp_body_id sp_world_ground(const sp_world* world);

/* True when the handle names a body, shape or joint of `world` as it is now. */
bool sp_body_is_valid(const sp_world* world, sp_body_id id);
bool sp_shape_is_valid(const sp_world* world, sp_shape_id id);
bool sp_joint_is_valid(const sp_world* world, sp_joint_id id);

/* ---- Bodies ---- */

typedef struct sp_vec2 {
    double x, y;
} sp_vec2;

typedef enum sp_body_type { SP_BODY_DYNAMIC, SP_BODY_KINEMATIC, SP_BODY_STATIC } sp_body_type;

sp_body_type sp_body_get_type(const sp_world* world, sp_body_id id);

/* Position of the body's origin (m), angle (rad), velocity (m/s), angular velocity (rad/s). */
sp_vec2 sp_body_position(const sp_world* world, sp_body_id id);
double sp_body_angle(const sp_world* world, sp_body_id id);
sp_vec2 sp_body_velocity(const sp_world* world, sp_body_id id);
double sp_body_angular_velocity(const sp_world* world, sp_body_id id);

/* The body's rotation as (cos, sin) of its angle, as its transform holds it. */
sp_vec2 sp_body_rotation(const sp_world* world, sp_body_id id);

/* A point in the body's frame, in world coordinates. */
sp_vec2 sp_body_local_to_world(const sp_world* world, sp_body_id id, sp_vec2 local);

/* Poses a body for display: sets its transform, position and angle as the physics library's
 * own setters would, without their checks (a non-finite pose from a diverged episode is kept,
 * and sp_camera_project refuses it) and without waking anything. For a world that is drawn,
 * never stepped again (playback). */
void sp_body_set_pose(sp_world* world, sp_body_id id, double x, double y, double angle);

/* Sets a body's velocity and angular velocity, waking it. */
void sp_body_set_velocity(sp_world* world, sp_body_id id, sp_vec2 v, double angular_velocity);

/* One touching pair as a body sees it: `body` is the body asked about, `other` the one it
 * touches (the ground, or null for a body outside the registry); points are where the
 * contacts are on `body`'s shape, in world coordinates. */
typedef struct sp_contact {
    sp_body_id body;
    sp_body_id other;
    int point_count; /* 0..2 */
    sp_vec2 points[2];
} sp_contact;

typedef void (*sp_contact_fn)(const sp_contact* contact, void* user);

/* Calls `fn` for each pair the body touched in the last step, in the physics library's list
 * order (display only: results that must be deterministic do not depend on it). */
void sp_body_each_contact(const sp_world* world, sp_body_id id, sp_contact_fn fn, void* user);

/* ---- Shapes ---- */

typedef enum sp_shape_kind {
    SP_SHAPE_NONE, /* null or stale handle */
    SP_SHAPE_CIRCLE,
    SP_SHAPE_SEGMENT,
    SP_SHAPE_POLYGON,
} sp_shape_kind;

sp_shape_kind sp_shape_get_kind(const sp_world* world, sp_shape_id id);

/* The body the shape is attached to (the ground for terrain). */
sp_body_id sp_shape_body(const sp_world* world, sp_shape_id id);

/* A sensor shape detects contacts and is not matter (never drawn). */
bool sp_shape_is_sensor(const sp_world* world, sp_shape_id id);

/* Rounding radius: a circle's radius, a segment's half thickness, a polygon's bevel. */
double sp_shape_radius(const sp_world* world, sp_shape_id id);

/* A circle's centre in its body's frame. */
sp_vec2 sp_shape_circle_center(const sp_world* world, sp_shape_id id);

/* A segment's end points in its body's frame. */
sp_vec2 sp_shape_segment_a(const sp_world* world, sp_shape_id id);
sp_vec2 sp_shape_segment_b(const sp_world* world, sp_shape_id id);

/* A polygon's vertex count (0 for other kinds) and its i-th vertex in its body's frame. */
int sp_shape_polygon_count(const sp_world* world, sp_shape_id id);
sp_vec2 sp_shape_polygon_vertex(const sp_world* world, sp_shape_id id, int i);

/* The integer tag the shape's creator attached (scenes store a role in it: sandpit/scene.h);
 * 0 when none. */
uintptr_t sp_shape_tag(const sp_world* world, sp_shape_id id);

/* ---- Joints ---- */

typedef enum sp_joint_kind {
    SP_JOINT_NONE, /* null or stale handle */
    SP_JOINT_PIVOT,
    SP_JOINT_GROOVE,
    SP_JOINT_PIN,
    SP_JOINT_SLIDE,
    SP_JOINT_SPRING,
    SP_JOINT_OTHER, /* rotary joints: gear, ratchet, rotary limit and spring, motor */
} sp_joint_kind;

/* What a joint connects, where, in each body's frame. Anchors are zero for rotary joints; a
 * groove runs from groove_a to groove_b on body_a and holds anchor_b of body_b. */
typedef struct sp_joint_info {
    sp_joint_kind kind;
    sp_body_id body_a;
    sp_body_id body_b;
    sp_vec2 anchor_a;
    sp_vec2 anchor_b;
    sp_vec2 groove_a;
    sp_vec2 groove_b;
} sp_joint_info;

sp_joint_info sp_joint_get_info(const sp_world* world, sp_joint_id id);

#endif
