#ifndef SANDPIT_EPISODE_H
#define SANDPIT_EPISODE_H

/* The episode runtime: the one place an episode is stepped. A reset:
 *
 *   env.build -> layers.on_begin -> env.sense -> layers.on_observation -> layers.on_reset
 *
 * and a step:
 *
 *   layers.on_action -> env.act -> (env.apply, world.step) x frame_skip -> env.sense
 *   -> layers.on_observation -> env.evaluate -> max-steps truncation -> layers.on_result
 *   -> state hash -> layers.on_step_end
 *
 * Guardrails, faults and the replay recorder are layers: they plug in here, around every env,
 * in the order they are added. Stepping allocates nothing. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/env.h"

typedef struct sp_episode sp_episode;

/* Where an event came from. Listed once: wire names and replay codes follow this table.
 * Machine events depend on the machine (wall clock, CPU time): a replay re-applies them from
 * the record instead of measuring again. */
#define SP_EVENT_SOURCE_LIST(X)                                                                    \
    X(SP_EVENT_GUARD, 1, "guardrail")                                                              \
    X(SP_EVENT_FAULT, 2, "fault")                                                                  \
    X(SP_EVENT_MACHINE, 3, "machine")

typedef enum sp_event_source {
#define SP_EVENT_SOURCE_ENUM(sym, num, name) sym = num,
    SP_EVENT_SOURCE_LIST(SP_EVENT_SOURCE_ENUM)
#undef SP_EVENT_SOURCE_ENUM
} sp_event_source;

/* Something a layer noticed or did during one step (a guardrail trip, a fault window
 * opening). Layers emit events; the recorder writes them; `info` reports them. */
typedef struct sp_event {
    uint16_t source; /* sp_event_source */
    uint16_t code;   /* the source's own code (guardrail reason, fault kind) */
    int16_t channel; /* sensor or actuator index, -1 for none */
    uint16_t flags;  /* source-specific */
    float value;     /* the offending or applied value */
    float limit;     /* the limit it was held against */
} sp_event;

#define SP_MAX_STEP_EVENTS 32

/* One step's result. `reason` is a static string: the env's termination reason, a layer's,
 * or "max_steps" on truncation; NULL while the episode runs on. */
typedef struct sp_step_result {
    double reward;
    bool terminated;
    bool truncated;
    const char* reason;
    int step;              /* steps taken in this episode, this one included */
    double episode_return; /* sum of rewards so far */
    uint64_t hash;         /* state hash after this step (0 when not asked for: see
                              sp_episode_set_step_hash) */
} sp_step_result;

/* A picture the agent sees instead of (or beside) its sensor vector: width x height pixels
 * of `channels` bytes (1: grey, 3: RGB), row-major, no padding. Memory owned by whoever
 * installs the renderer (sp_episode_set_render). */
typedef struct sp_frame {
    uint8_t* pixels;
    int width;
    int height;
    int channels;
} sp_frame;

/* Draws the episode's current world into `frame`. The runtime knows nothing of drawing: the
 * server installs the one rasterizer (replay/draw) through this hook. Must not allocate. */
typedef void (*sp_render_fn)(void* user, sp_episode* ep, sp_frame* frame);

/* A layer around the env. Every hook may be NULL. `self` is the layer's own state, owned by
 * whoever added the layer. Hooks run in the order layers were added. */
typedef struct sp_layer {
    const char* name;
    void* self;
    /* After the env is built, before its first observation is sensed: where a layer whose
     * on_observation depends on the episode (seeded streams, history buffers) starts it, so
     * the reset observation already sees this episode. A non-zero sp_error fails the reset. */
    int (*on_begin)(void* self, sp_episode* ep);
    /* After the env is built and has sensed its first observation. A non-zero sp_error (an
     * observer that could not do its job: a recorder that cannot write) does not undo the
     * reset; the episode keeps it for its owner (sp_episode_layer_status). */
    int (*on_reset)(void* self, sp_episode* ep);
    /* May rewrite the action, refuse it with an sp_error and a message, or end the episode
     * without applying it (sp_episode_halt). Continuous values arrive as the agent sent them
     * (possibly NaN or out of bounds; the runtime checks them after the last layer), discrete
     * indices already checked. A refused action leaves the episode untouched: a later layer or
     * that final check may still refuse the step, so keep state changes for on_result. */
    int (*on_action)(void* self, sp_episode* ep, sp_action* action, char* err, size_t err_sz);
    /* May rewrite the observation the agent sees (never the env's true state). */
    void (*on_observation)(void* self, sp_episode* ep, float* obs);
    /* May rewrite the frame the agent sees (pixel observations). Runs after every layer's
     * on_observation, only when a renderer is installed, at every reset and step that
     * sensed; the same hook's stream draws must not depend on it (a replay has no frames). */
    void (*on_pixels)(void* self, sp_episode* ep, sp_frame* frame);
    /* May end the episode or amend the result; sees the action as applied. */
    void (*on_result)(void* self, sp_episode* ep, const sp_action* action, sp_step_result* r);
    /* After the step is complete: `r` is final, hash included. `given` is the action as the
     * layers received it (the agent's, discrete index checked, continuous values as sent):
     * what a replay feeds back; `applied` is what the env received after every layer and the
     * final check. For observers (the replay recorder), which must change nothing the state
     * hash covers and emit no events. A non-zero sp_error is kept like on_reset's. */
    int (*on_step_end)(void* self, sp_episode* ep, const sp_action* given, const sp_action* applied,
                       const sp_step_result* r);
    /* Feeds the layer's own state (buffers, counters, streams) into the state hash. */
    void (*hash)(const void* self, sp_hash* h);
} sp_layer;

#define SP_MAX_LAYERS 8

typedef struct sp_episode_def {
    const sp_env_class* env;
    uint64_t seed; /* used by the first reset when it is given no seed */
    int max_steps; /* 0: the env's own */
} sp_episode_def;

/* An episode def for `env` with seed 0 and the env's max steps. */
sp_episode_def sp_default_episode_def(const sp_env_class* env);

/* Creates an episode (not yet reset). Returns NULL and writes a message into `err` on bad
 * arguments or no memory. The caller owns the result: sp_episode_destroy. */
sp_episode* sp_episode_create(const sp_episode_def* def, char* err, size_t err_sz);

/* Frees the episode. Layers are not freed: their owners do that. NULL is allowed. */
void sp_episode_destroy(sp_episode* ep);

/* Adds a layer (copied). Returns 0, or SP_E_LIMIT past SP_MAX_LAYERS. */
int sp_episode_add_layer(sp_episode* ep, const sp_layer* layer);

/* Whether sp_episode_step fills sp_step_result.hash (on by default). Off, it is 0 unless a
 * layer with on_step_end (a recorder) is attached, which always sees the hash: a caller that
 * does not read the hash of every step (a server session without `hashes`) saves hashing
 * every body. sp_episode_hash still works at any time. */
void sp_episode_set_step_hash(sp_episode* ep, bool on);

/* Installs the renderer that draws a frame after each observation is sensed (reset and
 * step), before the layers' on_pixels. `frame` (copied) describes caller memory that must
 * outlive the episode or the next call; fn NULL removes it. Call before the first reset (a
 * layer sizes its frame buffers at on_begin). Returns 0 or SP_E_BAD_ARGUMENT. */
int sp_episode_set_render(sp_episode* ep, sp_render_fn fn, void* user, const sp_frame* frame);

/* The frame of the last reset or step, or NULL without a renderer. */
const sp_frame* sp_episode_frame(const sp_episode* ep);

/* Starts a new episode. With a seed, the episode stream is reseeded from it and this episode
 * uses that seed; with NULL, the next episode seed is drawn from the stream, so a sequence of
 * unseeded resets is deterministic too (Gymnasium's contract). Returns 0 or an sp_error. */
int sp_episode_reset(sp_episode* ep, const uint64_t* seed);

/* Starts a new episode exactly as a recorded one started: with `seed`, and the episode-seed
 * stream set to `stream`, its state right after the recorded reset (sp_episode_seed_stream).
 * After an unseeded reset that state depends on every earlier episode; restoring it makes a
 * replay reproduce the recorded reset hash from one file alone. Returns 0 or an sp_error. */
int sp_episode_reset_restore(sp_episode* ep, uint64_t seed, const sp_rng* stream);

/* The episode-seed stream's current state (what the next unseeded reset draws from). */
sp_rng sp_episode_seed_stream(const sp_episode* ep);

/* Takes one step. Returns 0, SP_E_NEEDS_RESET when the episode has ended (or was never reset),
 * SP_E_BAD_ACTION for an out-of-range discrete action or a NaN/Inf value, or a layer's refusal;
 * on error the episode is untouched and `err` says why. Continuous values outside the
 * actuator bounds are clipped (after the layers, which may have their own policy). */
int sp_episode_step(sp_episode* ep, const sp_action* action, sp_step_result* out, char* err,
                    size_t err_sz);

/* The current observation, float32[spec->sensor_count]; valid until the next reset or step. */
const float* sp_episode_obs(const sp_episode* ep);

const sp_env_spec* sp_episode_spec(const sp_episode* ep);
const sp_env_class* sp_episode_env(const sp_episode* ep);
sp_world* sp_episode_world(sp_episode* ep);
const void* sp_episode_env_state(const sp_episode* ep);

/* This episode's seed (the one that reproduces it). */
uint64_t sp_episode_seed(const sp_episode* ep);
int sp_episode_step_count(const sp_episode* ep);
int sp_episode_max_steps(const sp_episode* ep);
double sp_episode_return(const sp_episode* ep);
bool sp_episode_done(const sp_episode* ep);
/* Reset and not ended: a step may be taken. */
bool sp_episode_running(const sp_episode* ep);

/* 64-bit state hash: every body in creation order, the env's private state, the runtime's
 * streams and counters, and every layer's state. */
uint64_t sp_episode_hash(const sp_episode* ep);

/* Called from a layer's on_action: ends the episode at this step without applying the action.
 * Later layers' on_action hooks are skipped; nothing is simulated or sensed, so the observation
 * stays the last one; the step counts, with reward 0, terminated, and `reason` (a static
 * string); every layer's on_result still runs. Has no effect outside on_action. */
void sp_episode_halt(sp_episode* ep, const char* reason);

/* The same, but the episode is truncated rather than terminated: its time ran out (a machine
 * limit), which says nothing about the state the agent reached. */
void sp_episode_halt_truncated(sp_episode* ep, const char* reason);

/* Records an event for the current step (or the reset in progress). Events beyond
 * SP_MAX_STEP_EVENTS in one step are counted in sp_episode_events_dropped, not stored. */
void sp_episode_emit(sp_episode* ep, const sp_event* event);

/* The events of the last reset or step, in emission order; valid until the next one. */
int sp_episode_event_count(const sp_episode* ep);
const sp_event* sp_episode_events(const sp_episode* ep);
uint64_t sp_episode_events_dropped(const sp_episode* ep);

/* The first failure a layer's on_reset or on_step_end returned in this episode object's life
 * (0: none). The step or reset itself went on: whoever owns the layer asks it why and tells
 * the client (the server's record_error). */
int sp_episode_layer_status(const sp_episode* ep);

/* Draws a uniform random action for `spec` from `rng`: a discrete index in [0, n), or each
 * continuous channel uniform in its bounds, in channel order. Unused fields are zero. */
void sp_action_sample(const sp_env_spec* spec, sp_rng* rng, sp_action* action);

/* Validates an action against a spec without an episode: 0, or SP_E_BAD_ACTION with a
 * message. Clips continuous values into bounds in place. */
int sp_action_check(const sp_env_spec* spec, sp_action* action, char* err, size_t err_sz);

#endif
