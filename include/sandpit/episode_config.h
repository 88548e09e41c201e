#ifndef SANDPIT_EPISODE_CONFIG_H
#define SANDPIT_EPISODE_CONFIG_H

/* An episode's config, as a client gives it and as a replay header stores it: guardrails,
 * faults and what `info` reports. One codec for the server (`make`, `reset` options), the
 * recorder (the header's `config`) and replay verification and playback, so what was applied,
 * what was recorded and what is rebuilt are the same thing. It belongs to the episode runtime
 * (sim/episode_config.c, library sp_sim); the recorder's part is in episode_layers.h.
 *
 *   sp_episode_config* c = sp_episode_config_create();
 *   if (sp_episode_config_decode(c, spec, bytes, n, err, sizeof err)) ... // "faults[2].sigma: ..."
 *   size_t size; uint8_t* canon = sp_episode_config_encode(c, spec, &size);  // for the header
 *   sp_episode_layers layers = {0};
 *   sp_episode_layers_attach(&layers, ep, c, &recorder_def, err, sizeof err); // guard, faults,
 *                                                                            // recorder
 *   ... sp_episode_destroy(ep); sp_episode_layers_destroy(&layers); sp_episode_config_destroy(c);
 *
 * The msgpack schema (a map; every key optional):
 *   {"guardrails": {...docs/GUARDRAILS.md...}, "faults": [{...docs/FAULTS.md...}, ...],
 *    "info": {"sensor_valid": bool, "faults": bool}}
 * Decoding is strict: an unknown key, a wrong type or a bad value is refused with a message
 * naming the field's path ("guardrails.actuators.torque.bounds: ...", "faults[2].sigma: ...").
 * The canonical encoding spells out every field (defaults included) of the parts present, in a
 * fixed order, so equal configs give equal bytes. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/env.h"
#include "sandpit/episode.h"
#include "sandpit/faults.h"
#include "sandpit/guard.h"

/* A constraint declared on the wire: the step costs 1 when the named sensor channel of the
 * observation the agent receives is outside [low, high] (a NaN reading costs nothing). */
typedef struct sp_config_constraint {
    int sensor; /* -1: no constraint */
    double low;
    double high;
} sp_config_constraint;

typedef struct sp_episode_config {
    bool has_guard;     /* "guardrails" given: a guard layer (its defaults for an empty map) */
    sp_guard_def guard; /* constraint_cost/user are wired by sp_episode_config_guard_def */
    sp_config_constraint constraint;
    bool has_faults; /* "faults" given, or info asks about them: a fault layer (maybe empty) */
    int fault_count;
    sp_fault_def faults[SP_MAX_FAULTS]; /* targets: use sp_episode_config_fault_defs */
    char targets[SP_MAX_FAULTS][SP_FAULT_MAX_TARGET + 1];
    bool info_sensor_valid; /* replies carry sensor_valid */
    bool info_faults;       /* replies carry the active-fault mask */
} sp_episode_config;

/* An empty config (no layers, nothing reported). NULL when out of memory. Free it with
 * sp_episode_config_destroy. */
sp_episode_config* sp_episode_config_create(void);
void sp_episode_config_destroy(sp_episode_config* c);

/* Back to empty. */
void sp_episode_config_clear(sp_episode_config* c);

/* Decodes a whole config map into `c` (cleared first) for episodes of `spec`, and validates it
 * against the env. Returns 0, or SP_E_BAD_ARGUMENT with a message naming the field; `c` is then
 * unspecified. */
int sp_episode_config_decode(sp_episode_config* c, const sp_env_spec* spec, const void* data,
                             size_t n, char* err, size_t err_sz);

/* Gives `c` a guard at the env's defaults, with the env's first declared constraint (if
 * any) counted as cost: what a session without a `guardrails` field runs. */
void sp_episode_config_default_guardrails(sp_episode_config* c, const sp_env_spec* spec);

/* Decode one part each, into `c` as it is (others untouched): the value of "guardrails" (a map),
 * of "faults" (an array) and of "info" (a map). Same errors as sp_episode_config_decode. */
int sp_episode_config_decode_guardrails(sp_episode_config* c, const sp_env_spec* spec,
                                        const void* data, size_t n, char* err, size_t err_sz);
int sp_episode_config_decode_faults(sp_episode_config* c, const sp_env_spec* spec, const void* data,
                                    size_t n, char* err, size_t err_sz);
int sp_episode_config_decode_info(sp_episode_config* c, const void* data, size_t n, char* err,
                                  size_t err_sz);

/* The canonical msgpack map of the layers' config ("guardrails" when has_guard, "faults" when
 * fault_count > 0; `info` is not part of it: it changes nothing recorded). Returns a malloc'd
 * buffer (free()) of *size bytes, or NULL when out of memory. */
uint8_t* sp_episode_config_encode(const sp_episode_config* c, const sp_env_spec* spec,
                                  size_t* size);

/* The guard def to apply: `c->guard` with the wire constraint wired to `c` (which must outlive
 * the guard's use of it). */
sp_guard_def sp_episode_config_guard_def(const sp_episode_config* c);

/* The fault list, with each target pointing into `c` (valid while `c` is unchanged). */
const sp_fault_def* sp_episode_config_fault_defs(sp_episode_config* c);

/* Copies `src` into `dst` (targets re-pointed). */
void sp_episode_config_copy(sp_episode_config* dst, const sp_episode_config* src);

/* ---- the runtime's layers on one episode ---- */

typedef struct sp_config_layers {
    sp_guard* guard;   /* NULL when the config has none */
    sp_faults* faults; /* NULL when the config has none */
} sp_config_layers;

/* Builds the config's guard and fault layers and attaches them to `ep` (before its first
 * reset), guard first. `c` must outlive the layers (the constraint). On failure, layers
 * already attached stay in `l`, for sp_config_layers_destroy after the episode is destroyed.
 * Returns 0 or an sp_error. (With a recorder: sp_episode_layers_attach, episode_layers.h.) */
int sp_config_layers_attach(sp_config_layers* l, sp_episode* ep, const sp_episode_config* c,
                            char* err, size_t err_sz);

/* Frees the layers; destroy their episode first. Zeroes `l`. */
void sp_config_layers_destroy(sp_config_layers* l);

/* Replaces the layers' config from the next reset on (reset options, and the restore of the
 * make-time config after them): the guard's def and the fault list. Only the layers that
 * exist are changed; asking for a layer that is not attached is SP_E_BAD_ARGUMENT. */
int sp_config_layers_set(sp_config_layers* l, const sp_episode_config* c, char* err, size_t err_sz);

#endif
