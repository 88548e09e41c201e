#ifndef SANDPIT_PLAYBACK_H
#define SANDPIT_PLAYBACK_H

/* Playback: a replay file re-simulated once, at load, into a trajectory that can be shown at
 * any step instantly. The viewer and `sandpit replay export` are thin shells over it.
 *
 * Loading resets an episode with the recorded seed and seed stream and steps it with the
 * recorded actions through the episode runtime (the same path `verify` takes), keeping every
 * body's position and angle at every step. Showing step k then only poses the bodies
 * (sp_body_set_pose) in the episode's world, which is never stepped again: seeking
 * costs the same at step 1 and step 1000. Memory: 24 bytes per body per step. */

#include <stdbool.h>
#include <stdint.h>

#include "sandpit/draw.h"
#include "sandpit/faults.h"
#include "sandpit/replay.h"

/* Contact points kept per step for display; more are dropped (drawing only). */
#define SP_PLAYBACK_MAX_CONTACTS 16

/* What the file says about one step (0: the reset), and what re-simulating it gave. */
typedef struct sp_playback_step {
    double reward;         /* 0 for the reset */
    double episode_return; /* sum of rewards up to and including this step */
    bool terminated;
    bool truncated;
    sp_action action;       /* as applied to the env; zero for the reset */
    sp_action sent;         /* as the agent sent it (before the layers); zero for the reset */
    uint64_t hash;          /* recorded */
    uint64_t replayed_hash; /* re-simulated */
    uint8_t marks;          /* SP_MARK_* bits: recorded events, flags, faults active */
    uint64_t faults;        /* bit i: fault i of sp_playback_fault active (recorded layers) */
    uint32_t guard_reasons; /* bit r: a guardrail tripped with sp_guard_reason r this step */
    double cost;            /* the guard's constraint cost of this step (recorded layers) */
} sp_playback_step;

typedef struct sp_playback sp_playback;

/* Loads and re-simulates `path`. `layers` lets the caller add the guardrail and fault layers
 * the recorded config asks for and re-apply machine events, exactly as for verify; NULL
 * re-simulates the bare env, feeding it the actions as the env received them, so the bodies
 * move as recorded even without the layers (their own state is then missing from the hash).
 * A file cut short or damaged loads up to its last good step (see sp_playback_note).
 * Returns NULL with a message in `err` when the file is unreadable or its env is not this
 * build's. The caller owns the result: sp_playback_destroy. */
sp_playback* sp_playback_load(const char* path, const sp_verify_def* layers, char* err,
                              size_t err_sz);

/* Loads `path` with the layers its header's config describes (guardrails, faults, machine
 * events), rebuilt by an sp_config_replay the playback owns: hashes match the record, and
 * the playback also knows which faults were active, which sensor channels were under an
 * outage and what each step cost. What the viewer, export, plot and report use. */
sp_playback* sp_playback_load_recorded(const char* path, char* err, size_t err_sz);

void sp_playback_destroy(sp_playback* pb);

const sp_replay_header* sp_playback_header(const sp_playback* pb);
const sp_env_spec* sp_playback_spec(const sp_playback* pb);

/* Steps loaded: frames are 0 (after the reset) ..step_count. */
int sp_playback_step_count(const sp_playback* pb);

/* Step `step`, clamped into 0..step_count. */
const sp_playback_step* sp_playback_step_at(const sp_playback* pb, int step);

/* step_count + 1 bytes of SP_MARK_* bits, for sp_timeline. */
const uint8_t* sp_playback_marks(const sp_playback* pb);

/* step_count + 1 bytes: 0, or 1 + the lowest active fault's index (sp_timeline's band). */
const uint8_t* sp_playback_fault_band(const sp_playback* pb);

/* Seconds of simulated time at `step`. */
double sp_playback_time(const sp_playback* pb, int step);

/* Why the episode ended (the footer's reason), or NULL when it did not. */
const char* sp_playback_reason(const sp_playback* pb);

/* One line on how loading went: "re-simulated 500 steps, hashes match", "file truncated after
 * step 41", "re-simulation diverges from the record at step 12". Never NULL. */
const char* sp_playback_note(const sp_playback* pb);

/* The first step whose re-simulated hash differs from the recorded one, or -1. */
int sp_playback_divergence(const sp_playback* pb);

/* Poses every body as it was at `step` (clamped) and returns the world to draw. The world
 * belongs to the playback. */
sp_world* sp_playback_pose(sp_playback* pb, int step);

/* The contact points at `step` (world coordinates); returns their count. */
int sp_playback_contacts(const sp_playback* pb, int step, const sp_draw_point** points);

/* The first step at which two playbacks' recorded hashes differ, over the steps both have;
 * when one is a prefix of the other, the first step only the longer has; -1 when they are
 * the same length and agree throughout. */
int sp_playback_first_difference(const sp_playback* a, const sp_playback* b);

/* ---- Channels: what plots show ---- */

typedef enum sp_playback_channel_kind {
    SP_CHANNEL_SENSOR, /* primary: as the agent saw it; secondary: as it truly was */
    SP_CHANNEL_ACTION, /* primary: as sent; secondary: as applied (the discrete index) */
    SP_CHANNEL_REWARD,
    SP_CHANNEL_RETURN,
    SP_CHANNEL_COST,
} sp_playback_channel_kind;

/* One plottable channel over the whole episode: step_count + 1 values per series. */
typedef struct sp_playback_channel {
    const char* name; /* the sensor's or actuator's name, "action" (discrete), "reward",
                         "return", "cost" */
    const char* unit;
    sp_playback_channel_kind kind;
    int index;                /* sensor or actuator index; 0 otherwise */
    const float* primary;     /* as seen / as sent / the value */
    const float* secondary;   /* as it truly was / as applied; NULL for the others */
    const uint8_t* valid;     /* per step, 0 while an outage covered the channel; NULL: all */
    const uint8_t* band;      /* per step, 0 or 1 + the first active fault acting on it */
    const char* primary_name; /* legend words: "seen", "sent", NULL */
    const char* secondary_name;
} sp_playback_channel;

/* Channels in a fixed order: sensors, actions, reward, return, cost. */
int sp_playback_channel_count(const sp_playback* pb);
const sp_playback_channel* sp_playback_channel_at(const sp_playback* pb, int index);

/* The index of the channel called `name`, or -1. */
int sp_playback_channel_find(const sp_playback* pb, const char* name);

/* The recorded fault list (empty unless loaded with sp_playback_load_recorded). The def and
 * its target belong to the playback. */
int sp_playback_fault_count(const sp_playback* pb);
const sp_fault_def* sp_playback_fault(const sp_playback* pb, int index);

/* "outage cart.* mode=zero window 20..40": a fault's kind, target, parameters and schedule
 * on one line. */
void sp_fault_describe(const sp_fault_def* f, char* buf, size_t buf_sz);

/* ---- Plots: strip charts of channels over the whole episode ---- */

#define SP_PLOT_MAX_CHANNELS 32

typedef struct sp_plot_def {
    const int* channels; /* indices into the first playback's channels, one chart each */
    int channel_count;
    int current;              /* the cursor's step; -1 for none */
    const sp_playback* other; /* a second episode overlaid, channels matched by name; NULL */
    int diverge_step;         /* marked in magenta; -1 for none */
} sp_plot_def;

/* Draws one chart per channel, stacked to fill `img`: the channel as the agent saw it (or as
 * sent) over what it truly was (or as applied), fault spans tinted in the fault's colour,
 * channels under an outage greyed, guardrail trips as red lines labelled with their reason.
 * Allocates nothing. */
void sp_playback_plot(const sp_playback* pb, const sp_plot_def* def, sp_image* img);

/* Parses a channel list, "hull.*,reward": names or fnmatch globs, comma-separated, in order,
 * each channel once. Returns how many (<= max) were written to `out`, or -1 with a message
 * naming the word that matches nothing. */
int sp_playback_select_channels(const sp_playback* pb, const char* list, int* out, int max,
                                char* err, size_t err_sz);

/* The default selection: the first two sensors, the first action, reward and cost. */
int sp_playback_default_channels(const sp_playback* pb, int* out, int max);

/* How sp_playback_draw frames a step. */
typedef struct sp_playback_draw_opts {
    bool hud;          /* step, time, reward, return, action, flags */
    int hud_scale;     /* font scale; 0 picks one from the image height */
    const char* title; /* the HUD's first line; NULL: the env id */
    const char* note;  /* an extra HUD line (play speed, divergence); may be NULL */
    bool contacts;     /* mark the step's contact points */
} sp_playback_draw_opts;

/* HUD and contacts on, title from the env id. */
sp_playback_draw_opts sp_default_playback_draw_opts(void);

/* Poses step `step` and draws it into `img` with the env's view hint: the one frame renderer
 * of the viewer and of export. Allocates nothing. */
void sp_playback_draw(sp_playback* pb, int step, sp_image* img, const sp_playback_draw_opts* opts);

#endif
