#ifndef SANDPIT_SCENE_H
#define SANDPIT_SCENE_H

/* Scenes: envs described as data (docs/SCENES.md). A scene is a JSON document, decoded and
 * validated once into plain C structs, then stepped by the episode runtime like any C env
 * through the sp_env_class it carries, so guardrails, faults and replays apply unchanged.
 *
 *   sp_scene_limits lim = sp_default_scene_limits();
 *   sp_scene* sc = sp_scene_load(json, len, &lim, err, sizeof err);   // err names the path
 *   sp_episode_def def = sp_default_episode_def(sp_scene_env(sc));
 *   ...
 *   sp_scene_destroy(sc);   // after every episode of it is gone
 *
 * Every error names where it is: "bodies[3].shapes[0].radius: must be > 0". */

#include <stddef.h>

#include "sandpit/env.h"

/* The format version this build reads (the document's "format" field). */
#define SP_SCENE_FORMAT 1

/* What one scene may hold. Scenes from clients are untrusted: the server decodes them with
 * these limits and counts sp_scene_memory against its ceiling (docs/SECURITY.md). */
typedef struct sp_scene_limits {
    size_t max_bytes; /* the JSON text */
    int max_bodies;   /* declared bodies */
    int max_shapes;   /* declared shapes, all bodies */
    int max_joints;
    int max_vertices; /* one polygon's or polyline's points */
    int max_total_vertices;
    int max_rays;      /* lidar rays, all sensors */
    int max_generated; /* shapes generators may add per episode, all generators */
    int max_actions;   /* discrete action table rows */
    int max_terms;     /* reward terms + conditions + constraints + randomization ops */
    double max_abs;    /* |number| for any number in the scene */
} sp_scene_limits;

/* 1 MiB, 256 bodies, 1024 shapes, 256 joints, 64 vertices per shape, 4096 in all, 256 rays,
 * 4096 generated shapes, 64 actions, 128 terms, |x| <= 1e6. */
sp_scene_limits sp_default_scene_limits(void);

typedef struct sp_scene sp_scene;

/* Decodes and validates `len` bytes of JSON. Returns NULL and a message naming the path in
 * `err` on any error. The caller owns the result: sp_scene_destroy. */
sp_scene* sp_scene_load(const char* json, size_t len, const sp_scene_limits* limits, char* err,
                        size_t err_sz);

/* Reads and decodes a file; the message names the file too. */
sp_scene* sp_scene_load_file(const char* path, const sp_scene_limits* limits, char* err,
                             size_t err_sz);

/* Frees the scene. Every episode made from its env must be gone. NULL is allowed. */
void sp_scene_destroy(sp_scene* scene);

/* The env class that runs the scene (its spec names channels, bounds, actions). Owned by the
 * scene. */
const sp_env_class* sp_scene_env(const sp_scene* scene);

/* The scene in canonical JSON (keys sorted, no whitespace), NUL-terminated: what replays
 * embed. Decoding it gives the same scene. Owned by the scene. */
const char* sp_scene_canonical(const sp_scene* scene, size_t* len);

/* Bytes the scene holds (model, spec, canonical text), for memory accounting. */
size_t sp_scene_memory(const sp_scene* scene);

/* An upper bound of the bytes one episode of the scene holds beyond a C env's (bodies, shapes,
 * joints, Chipmunk's per-shape cost), for memory accounting. */
size_t sp_scene_episode_memory(const sp_scene* scene);

/* Roles of shapes, for drawing and for conditions; listed once. */
#define SP_SCENE_ROLE_LIST(X)                                                                      \
    X(SP_ROLE_NONE, "none")                                                                        \
    X(SP_ROLE_AGENT, "agent")                                                                      \
    X(SP_ROLE_GOAL, "goal")                                                                        \
    X(SP_ROLE_HAZARD, "hazard")                                                                    \
    X(SP_ROLE_TERRAIN, "terrain")                                                                  \
    X(SP_ROLE_OBSTACLE, "obstacle")                                                                \
    X(SP_ROLE_TARGET, "target")

typedef enum sp_scene_role {
#define SP_SCENE_ROLE_ENUM(sym, name) sym,
    SP_SCENE_ROLE_LIST(SP_SCENE_ROLE_ENUM)
#undef SP_SCENE_ROLE_ENUM
        SP_ROLE_COUNT
} sp_scene_role;

/* "agent" for SP_ROLE_AGENT; NULL out of range. */
const char* sp_scene_role_name(int role);

/* The role of a shape that a scene built, or -1 for a shape a C env built (or a null or stale
 * handle). */
int sp_scene_shape_role(const sp_world* world, sp_shape_id shape);

/* Loads every *.json file in `dir` (in name order) and registers each scene's env
 * (sp_env_register), so it is found by id and listed like a C env. The scenes live for the
 * rest of the process. Returns the number loaded, or -1 with the first error in `err` (scenes
 * before it stay registered). A missing directory is an error. */
int sp_scene_catalogue_add_dir(const char* dir, char* err, size_t err_sz);

/* Unregisters and frees every scene the catalogue loaded: for an orderly exit, after every
 * episode of them is gone. */
void sp_scene_catalogue_release(void);

/* The registered scene whose env is `env`, or NULL for a C env. */
const sp_scene* sp_scene_of_env(const sp_env_class* env);

#endif
