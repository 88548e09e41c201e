#ifndef SANDPIT_SERVER_LAYERS_H
#define SANDPIT_SERVER_LAYERS_H

/* A session's episode config: guardrails, faults, what `info` reports, and recording
 * (include/sandpit/episode_config.h does the decoding and the layers). Everything a step
 * writes is allocated here at make; stepping allocates nothing, except the restore of the
 * make-time fault list when an env under a reset override is autoreset. */

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/episode_layers.h"
#include "sandpit/faults.h"
#include "sandpit/guard.h"

struct sp_episode;

/* Counters of closed sessions' layers, for `stats`. */
typedef struct sp_layer_totals {
    uint64_t guard_trips[SP_GUARD_REASON_COUNT + 1];
    uint64_t fault_windows[SP_FAULT_KIND_SLOTS];
} sp_layer_totals;

typedef struct sp_session_cfg {
    int num_envs;
    int obs_size;
    sp_layer_totals* totals; /* the service's: a closed session adds its counters there */
    sp_episode_config* make; /* the make-time config, restored by a plain reset */
    uint8_t* make_canon;     /* its canonical encoding (replay headers) */
    size_t make_canon_size;
    sp_episode_config* over; /* the last reset's options, for envs with overridden[i] */
    uint8_t* over_canon;
    size_t over_canon_size;
    sp_episode_config* scratch; /* a reset's options are decoded here before they apply */
    int overridden_count;
    uint8_t* overridden;        /* [N] */
    sp_episode_layers* layers;  /* [N] */
    sp_recorder** recorders;    /* [N], made at make (so a bad directory fails `make`) */
    bool attached;              /* the layers are on the episodes (at the first reset) */
    bool has_guard, has_faults; /* which layers are attached */

    /* Per-step outputs, [N] (valid: [N * obs_size]). */
    double* cost;
    uint64_t* active;
    uint8_t* valid;
    uint8_t* trips;      /* guardrail and machine events of env i at this step */
    uint32_t trip_total; /* their sum, counted by sp_session_cfg_reply_keys */

    /* Episodes the server ended on their wall clock between requests (expire.h): env i's
     * step result, reported by the session's next step instead of stepping env i. */
    uint8_t* expired;       /* [N] */
    sp_step_result* expiry; /* [N] */

    /* Recording failures: told once, in the reply of the reset or step that met them
     * ("record_error"), logged and counted in `stats` (record_errors). */
    uint8_t* record_state;   /* [N]: 0 fine, 1 failed and not yet told, 2 told */
    uint32_t record_new;     /* envs in state 1, counted by sp_session_cfg_reply_keys */
    uint64_t* record_errors; /* the service's counter */
    int log_level;
    uint64_t session; /* its id, for the log */
} sp_session_cfg;

/* Frees a session's config after its episodes were destroyed; adds its counters to the
 * totals. NULL is allowed. */
void sp_session_cfg_free(sp_session_cfg* c);

/* Finishes every recorder's running file (at close) and marks those that failed to be told;
 * returns how many are to be told (sp_session_cfg_pack_record_errors). */
uint32_t sp_session_cfg_finish_recorders(sp_session_cfg* c);

/* Packs "record_error": {"index": int32 array, "message": [str]} for the envs whose failure
 * was not told yet, logs and counts them. Only when the count was non-zero. */
void sp_session_cfg_pack_record_errors(sp_session_cfg* c, msgpack_packer* pk);

/* The same for a recv reply: only its k envs `ids` (NULL: all N), which are no longer in
 * flight, so no stepping thread writes their state; told as they come back. Returns how many
 * are to be told; sp_session_cfg_pack_record_errors_of packs them, only when non-zero. */
uint32_t sp_session_cfg_record_new_of(sp_session_cfg* c, const int32_t* ids, int k);
void sp_session_cfg_pack_record_errors_of(sp_session_cfg* c, msgpack_packer* pk, const int32_t* ids,
                                          int k);

/* Adds the live counters of `c`'s layers into `t`. */
void sp_session_cfg_count(const sp_session_cfg* c, sp_layer_totals* t);

/* After env i was reset or stepped: its active faults, validity mask, step cost and the
 * number of guardrail events, into the [N] outputs. Called from the stepping threads (it
 * writes only env i's slots). */
void sp_session_cfg_collect(sp_session_cfg* c, int i, struct sp_episode* ep, bool stepped);

/* Env i was left as it is by a masked step: nothing of it to report (no cost, no trips). */
void sp_session_cfg_idle(sp_session_cfg* c, int i, struct sp_episode* ep);

/* The reply keys the config adds ("guardrail", "cost", "faults", "sensor_valid",
 * "record_error"); `step`:
 * a step reply (cost only there). Counts the guardrail events first. */
uint32_t sp_session_cfg_reply_keys(sp_session_cfg* c, bool step);

/* Packs those keys. `eps` are the session's episodes (their events are read in place). */
void sp_session_cfg_pack(sp_session_cfg* c, msgpack_packer* pk, struct sp_episode* const* eps,
                         bool step);

#endif
