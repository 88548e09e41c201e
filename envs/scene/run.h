#ifndef SANDPIT_SCENE_RUN_H
#define SANDPIT_SCENE_RUN_H

/* The scene runtime: the sp_env_class hooks every scene shares (run.c), the quantities they
 * read from the world (probe.c) and the seeded generators (generate.c). */

#include "dec.h"
#include "model.h"
#include "sandpit/env.h"

/* Completes a decoded model: the spec, the class and the state block's size. */
bool sc_finish(sc_dec* d);

int sc_build(void* state, sp_world* world, sp_rng* rng);
void sc_act(void* state, sp_world* world, sp_rng* rng, const sp_action* action);
void sc_apply(void* state, sp_world* world);
void sc_sense(const void* state, const sp_world* world, float* obs);
void sc_evaluate(void* state, const sp_world* world, const sp_action* action, sp_env_outcome* out);
void sc_hash(const void* state, sp_hash* h);

/* The true value of a probe now (never a faulted observation). */
double sc_probe_read(const sc_state* s, const sp_world* world, const sc_probe* p);

/* Adds every generator's shapes for this episode, each from its own stream derived from the
 * episode's env stream (which it does not advance), or, with "stream": "env", from the env
 * stream itself. Returns 0 or an sp_error. */
int sc_generate(sc_state* s, sp_world* world, sp_rng* env_rng);

/* A lidar probe's ray direction, in its body's frame (or the world's, for a "world" frame
 * lidar): its `angle` plus -fov/2 + fov * ray / (rays - 1). */
static inline double sc_lidar_angle(const sc_probe* p) {
    double spread =
        p->rays > 1 ? -0.5 * p->fov + p->fov * (double)p->ray / (double)(p->rays - 1) : 0.0;
    return spread + p->angle;
}

/* Adds the chain of segments through `p` (n points) to the world's static body, with
 * neighbours so feet slide across the joints (generate.c). Returns 0 or an sp_error. */
int sc_gen_chain(sp_world* world, const sc_generator* g, const cpVect* p, int n);

/* The "course" terrain style (gen_course.c). */
int sc_gen_course(const sc_generator* g, sp_world* world, sp_rng* rng);
/* The seed of a generator's own stream: a function of the episode's env stream at build time,
 * which it does not advance. */
uint64_t sc_generator_seed(const sp_rng* env_rng);

/* The level generator (gen_level.c): places the agent and goal bodies, adds hazards, free
 * obstacles, motorised wheels and thrusters for the actuator slots. After bodies and joints. */
int sc_level_build(sc_state* s, sp_world* world, sp_rng* env_rng);

/* A top-down friction joint (joint_friction.c): b slides on a with
 * at most `force` and turns with at most `torque` of resistance. */
int sc_add_friction(sp_world* world, cpBody* a, cpBody* b, double force, double torque,
                    bool collide);

/* The cpBody of body index `i`, or the world's static body for SC_NONE. */
static inline cpBody* sc_body_ptr(const sc_state* s, const sp_world* world, int i) {
    return i == SC_NONE ? cpSpaceGetStaticBody(sp_world_space((sp_world*)world)) : s->bodies[i];
}

/* A point given in body `i`'s declared frame, in its build frame (moved onto its centroid for
 * "origin": "centroid"); the world's and unshifted bodies' points unchanged, to the bit. */
static inline cpVect sc_local(const sc_model* m, int i, cpVect p) {
    if (i == SC_NONE || cpveql(m->bodies[i].shift, cpvzero)) return p;
    return cpvadd(p, m->bodies[i].shift);
}

/* Role tags on shapes (cpShape user data): role + 1, so 0 means "not a scene's shape". */
static inline void sc_tag_shape(cpShape* shape, int role) {
    cpShapeSetUserData(shape, (cpDataPointer)(uintptr_t)(role + 1));
}

/* A tag's role, or -1 for an untagged shape (one a C env built). */
static inline int sc_tag_role(uintptr_t tag) {
    return tag >= 1 && tag <= SP_ROLE_COUNT ? (int)tag - 1 : -1;
}

/* The role of a shape (sp_scene_shape_role, for code that holds the pointer). */
static inline int sc_shape_role(const cpShape* shape) {
    return sc_tag_role((uintptr_t)cpShapeGetUserData(shape));
}

#endif
