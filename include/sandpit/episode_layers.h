#ifndef SANDPIT_EPISODE_LAYERS_H
#define SANDPIT_EPISODE_LAYERS_H

/* An episode's layers with the recorder: the guard and faults built from an episode config
 * (sp_config_layers, episode_config.h, in sim/) plus the recorder whose header stores the
 * config's canonical encoding (replay/episode_layers.c); and those layers rebuilt from a
 * replay header for verification and playback. */

#include <stddef.h>
#include <stdint.h>

#include "sandpit/episode_config.h"
#include "sandpit/replay.h"

typedef struct sp_episode_layers {
    sp_guard* guard;       /* NULL when the config has none */
    sp_faults* faults;     /* NULL when the config has none */
    sp_recorder* recorder; /* NULL when not recording */
} sp_episode_layers;

/* Builds the config's layers and attaches them to `ep` (before its first reset) in the order
 * the runtime needs: guard, faults, then the recorder (when `rec` is not NULL; its config is
 * replaced by the canonical encoding of `c`). `c` must outlive the layers (the constraint).
 * On failure nothing is left attached... except layers already attached, which
 * sp_episode_layers_destroy frees after the episode is destroyed. Returns 0 or an sp_error. */
int sp_episode_layers_attach(sp_episode_layers* l, sp_episode* ep, const sp_episode_config* c,
                             const sp_recorder_def* rec, char* err, size_t err_sz);

/* Frees the layers; destroy their episode first. Zeroes `l`. */
void sp_episode_layers_destroy(sp_episode_layers* l);

/* Replaces the layers' config from the next reset on (reset options, and the restore of the
 * make-time config after them): the guard's def, the fault list, the recorder's header
 * config (`canon`, the encoding of `c`). Only the layers that exist are changed; asking for a
 * layer that is not attached is SP_E_BAD_ARGUMENT. */
int sp_episode_layers_set(sp_episode_layers* l, const sp_episode_config* c, const uint8_t* canon,
                          size_t canon_size, char* err, size_t err_sz);

/* ---- replay ---- */

/* Rebuilds the recorded layers for sp_replay_verify_with, sp_verifier_create and
 * sp_playback_load: add_layers decodes the header's config, attaches guard (in replay mode)
 * and faults; machine_events re-injects the recorded machine events into the guard. One
 * context serves one episode at a time (a verifier, or one playback): add_layers frees the
 * previous episode's layers, which the verifier has destroyed by then. */
typedef struct sp_config_replay sp_config_replay;

sp_config_replay* sp_config_replay_create(void);
sp_verify_def sp_config_replay_def(sp_config_replay* r);
/* Frees the layers built last; destroy the verifier or playback first. NULL is allowed. */
void sp_config_replay_destroy(sp_config_replay* r);
/* The layers built last (guard and faults NULL when the config has none), so a playback can
 * read what they did at each step: active faults, channels under outage, the step's cost. */
const sp_episode_layers* sp_config_replay_layers(const sp_config_replay* r);

#endif
