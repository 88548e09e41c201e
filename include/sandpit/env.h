#ifndef SANDPIT_ENV_H
#define SANDPIT_ENV_H

/* The env contract: what every environment declares (its spec) and the hooks the episode
 * runtime calls. This header holds types only: the runtime in sim/ steps any env through
 * these hooks without knowing a single env, and envs/ provides the instances.
 *
 * An env is MuJoCo-shaped: its spec and parameters are const; all episode state lives in a
 * block of `state_size` bytes that the runtime allocates once and zeroes at every reset. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/hash.h"
#include "sandpit/rng.h"
#include "sandpit/world.h"

#define SP_MAX_ACTUATORS 8
#define SP_MAX_SENSORS 64

/* One named observation or action channel. Bounds are inclusive; infinities are allowed for
 * sensors without a natural bound. */
typedef struct sp_channel {
    const char* name; /* "cart.x"; dotted, unique within the env */
    const char* unit; /* "m", "rad/s", "1" ... */
    double low;
    double high;
    const char* doc; /* one line for `sandpit envs` and docs/ENVS.md */
} sp_channel;

/* A safety constraint the env declares, in the way Safety-Gymnasium reports them: a step
 * costs 1 while sensor `sensor`'s reading is outside [low, high]. The reading is the one in the
 * observation the agent receives, after sensor faults (docs/GUARDRAILS.md). The guardrail layer
 * turns the first one on by default (policy count): `info["cost"]`, never a termination. */
typedef struct sp_constraint {
    const char* name; /* "cart_zone" */
    int sensor;       /* index into the spec's sensors */
    double low;
    double high;
    const char* doc;
} sp_constraint;

/* A sensor channel that reads a distance along a ray fixed to a body: one lidar beam. Declared
 * so that tools (the viewer, export) can draw the beam from the reading the agent got; the
 * runtime never reads it. */
typedef struct sp_ray_sensor {
    int sensor;       /* index into the spec's sensors: metres along the ray */
    int body;         /* registry index of the body it is fixed to; -1: fixed in the world */
    double x, y;      /* origin in that body's frame, m */
    double angle;     /* direction in that body's frame (the world's with world_frame), rad */
    double range;     /* a reading at or beyond it hit nothing */
    bool world_frame; /* the beam keeps its world direction as the body turns (a leveled lidar) */
} sp_ray_sensor;

typedef enum sp_action_kind { SP_ACTION_DISCRETE = 0, SP_ACTION_CONTINUOUS = 1 } sp_action_kind;

/* The one description of a spec that every output walks (the server's catalogue and `make`
 * reply, `sandpit envs --json`), so their fields cannot drift apart. Each field is
 * X(member, KIND) with KIND one of STR, INT, F64; the order is the order written. */
#define SP_SPEC_SCALARS(X)                                                                         \
    X(id, STR)                                                                                     \
    X(version, INT)                                                                                \
    X(summary, STR) X(dt, F64) X(iterations, INT) X(frame_skip, INT) X(max_steps, INT)

/* A channel's fields, X(member, KIND, WIRE): WIRE is the key of the parallel array the wire
 * spec holds for it ("names": [...]), or "" for a field the wire leaves out (the doc line). */
#define SP_CHANNEL_FIELDS(X)                                                                       \
    X(name, STR, "names")                                                                          \
    X(unit, STR, "units") X(low, F64, "low") X(high, F64, "high") X(doc, STR, "")

typedef struct sp_env_spec {
    const char* id;      /* "CartPole-v0" */
    int version;         /* bumped whenever dynamics, reward or termination change */
    const char* summary; /* one line */
    double dt;           /* physics step, seconds */
    int iterations;      /* solver iterations */
    int frame_skip;      /* physics steps per env step */
    int max_steps;       /* env steps before truncation */
    int sensor_count;
    const sp_channel* sensors; /* the observation: float32[sensor_count] in this order */
    sp_action_kind action_kind;
    int action_count;                /* discrete: number of actions, 0..action_count-1 */
    const char* const* action_names; /* discrete: a name per action */
    int actuator_count;              /* continuous: channels of float32[actuator_count] */
    const sp_channel* actuators;     /* continuous: names and bounds */
    int constraint_count;
    const sp_constraint* constraints; /* safety constraints, reported as cost */
    int ray_count;
    const sp_ray_sensor* rays; /* sensors that are beams, for drawing; may be NULL */
} sp_env_spec;

/* One env step's action. Discrete envs read `index`, continuous ones `value[0..n)`. Fixed
 * size, so actions move through the runtime without allocation. */
typedef struct sp_action {
    int32_t index;
    float value[SP_MAX_ACTUATORS];
} sp_action;

/* What an env reports after a step. `reason` names why the episode terminated or was
 * truncated (a static string such as "pole_fell"), NULL while it runs on. `truncated` is for
 * an env's own time limits (a scene's truncate conditions); max_steps is the runtime's. */
typedef struct sp_env_outcome {
    double reward;
    bool terminated;
    const char* reason;
    bool truncated;
} sp_env_outcome;

/* The hooks. `world` is empty and freshly cleared when `build` runs; `rng` is the env's own
 * seeded stream for this episode, also usable in `act` (e.g. engine dispersion). Only
 * `hash` may be NULL. */
typedef struct sp_env_class {
    const sp_env_spec* spec;
    size_t state_size;
    /* Creates the episode's bodies and draws its initial state. Returns 0 or an sp_error. */
    int (*build)(void* state, sp_world* world, sp_rng* rng);
    /* Interprets one env step's action (already validated and within bounds). */
    void (*act)(void* state, sp_world* world, sp_rng* rng, const sp_action* action);
    /* Applies the current command as forces. Called before every physics step, since
     * Chipmunk clears forces after each step. */
    void (*apply)(void* state, sp_world* world);
    /* Writes the observation, float32[spec->sensor_count]. */
    void (*sense)(const void* state, const sp_world* world, float* obs);
    /* Reward and termination for the step just taken. */
    void (*evaluate)(void* state, const sp_world* world, const sp_action* action,
                     sp_env_outcome* out);
    /* Feeds env-private state that matters for reproduction (fuel, contact latches). */
    void (*hash)(const void* state, sp_hash* h);
    /* Read-only data shared by every instance of a data-defined class (a decoded scene), or
     * NULL for a C env. The hooks only see the state block, so the runtime writes `model`
     * into the block's first `const void*` after zeroing it and before `build`. */
    const void* model;
} sp_env_class;

#endif
