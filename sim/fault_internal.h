#ifndef SANDPIT_FAULT_INTERNAL_H
#define SANDPIT_FAULT_INTERNAL_H

/* The fault layer's private state, shared by the files that each handle one domain:
 * faults.c (the set, the layer hooks, schedules stepping and events), fault_tables.c,
 * fault_validate.c, fault_schedule.c, fault_sensors.c, fault_actions.c, fault_physics.c,
 * fault_reward.c.
 *
 * Refusal safety: on_action may be refused after it ran (by a later layer, or the runtime's
 * final check), and then retried or abandoned for a reset. So the faults that act there
 * (action, reward and physics kinds: "staged" faults) step into a second copy of their
 * state, committed in on_result (on_reset for the reset) by flipping which copy is current.
 * Their buffers are written only in slots a retried step would write again: entry t of a
 * ring lives in slot t % slots, and values carried over one step alternate between two slots
 * by step parity. Sensor faults act in on_observation, which runs only once the step can no
 * longer be refused, so they step their schedules there, in place, with no copy at all. */

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sandpit/faults.h"
#include "sandpit/rng.h"

/* What one step advances. Scalars first: a staged step copies them, and the streams only
 * when the fault draws from them. */
typedef struct fault_state {
    double base;   /* physics: the factor when the window opened (with its episode draw) */
    double walk;   /* physics: random-walk sum since the window opened */
    double factor; /* physics: the factor at this step */
    int32_t active;
    int32_t opened;    /* step at which the current (or last) window opened */
    int32_t occ_left;  /* probability schedule: steps left in the running occurrence */
    int32_t hold_left; /* action_repeat: steps the held action still repeats */
    int32_t owed_from; /* reward_delay: oldest step whose reward is still owed */
    int32_t drops;     /* action_drop: dropped channels this step (stats, not hashed) */
    int32_t phase;     /* periodic schedule: (t - start) % period, carried from step to step */
    int32_t slot;      /* rings: t % slots, carried likewise (a division per step is not free) */
    uint64_t draw;     /* pixel_noise: this step's draw, which seeds its per-pixel generator */
    double box_x;      /* occlusion: the box's place in [0, 1), drawn when the window opens */
    double box_y;
    sp_rng rng;   /* the fault's own draws */
    sp_rng sched; /* its schedule's draws */
} fault_state;

/* One fault of the set. What a step reads comes first, so it touches few cache lines. */
typedef struct fault {
    int index;
    int cur;         /* which of `st` is committed */
    int nch;         /* channels targeted, ascending */
    int slots;       /* rings: steps + 1 */
    int duty;        /* periodic schedule: active steps per period */
    bool always;     /* active at every step: its schedule needs no stepping after step 0 */
    bool uses_rng;   /* seeded, copied and hashed only when it draws */
    bool staged;     /* acts in on_action or on_result: see above */
    uint8_t hashed;  /* HASH_* bits: the state this fault's kind and schedule carry */
    float* buf;      /* kind-specific floats, inside the set's block */
    double* dbuf;    /* reward_delay's ring */
    uint8_t* frames; /* frame_delay's ring of `slots` frames, inside the set's `frames` */
    uint64_t active_steps, windows, events; /* this fault's share of the stats */
    uint8_t ch[SP_MAX_SENSORS];             /* sensor, actuator or gravity component indices */
    sp_fault_def def;                       /* def.target points at `target` */
    fault_state st[2];                      /* committed and staged: FAULT_NOW and FAULT_NEXT */
    char target[SP_FAULT_MAX_TARGET + 1];
    char stream[48];       /* "fault/<index>/<kind>", formatted once when the list is set */
    char sched_stream[64]; /* ".../schedule" */
} fault;

/* What of a fault's state the state hash takes: only what its kind and schedule carry (its
 * buffers are hashed with the set's block; active flags with the set's mask). */
enum {
    HASH_SCHEDULE = 1, /* probability schedule: occurrence and stream */
    HASH_OPENED = 2,   /* drift and physics: values depend on the window's start */
    HASH_HOLD = 4,     /* action_repeat */
    HASH_OWED = 8,     /* reward_delay */
    HASH_RNG = 16,     /* the fault's own stream */
    HASH_FACTOR = 32,  /* physics: base, walk, factor */
};

/* Parameter groups that physics faults act on; gravity has an x and a y component. */
enum { PHYS_GRAVITY_X, PHYS_GRAVITY_Y, PHYS_FRICTION, PHYS_MASS, PHYS_GROUPS };

struct sp_faults {
    const sp_env_spec* spec;
    sp_episode* ep;
    int count;
    fault* faults;
    float* block;  /* every fault's `buf`, zeroed at each reset */
    uint64_t held; /* digest of block and dblock, kept by sp_fault_hold as values change */
    size_t block_len;
    double* dblock;
    size_t dblock_len;
    uint8_t* valid; /* spec->sensor_count */

    /* Faults of each path, in list order, so a step visits only the ones that apply. */
    int sensor[SP_MAX_FAULTS], nsensor;
    int action[SP_MAX_FAULTS], naction;   /* action kinds and motor */
    int physics[SP_MAX_FAULTS], nphysics; /* gravity, friction, mass */
    int reward[SP_MAX_FAULTS], nreward;
    int pixels[SP_MAX_FAULTS], npixels; /* blackout, pixel_noise, frame_delay, occlusion */
    int staged[SP_MAX_FAULTS], nstaged; /* every fault but the sensor ones */
    uint64_t staged_mask;
    bool has_outage;
    bool needs_bodies;            /* mass faults: nominal masses are captured at reset */
    bool needs_shapes;            /* friction faults */
    float zero[SP_MAX_ACTUATORS]; /* a continuous actuator's "no action": 0 within bounds */

    bool live;     /* an episode has begun with the current list */
    int pending_t; /* the step being taken (0: the reset); -1 between steps */
    uint64_t active;

    /* Physics: nominal values of this episode, and what was last written. */
    double gravity[2];
    double* friction;
    int nshapes, shapes_cap;
    double* mass; /* NaN for bodies that are not dynamic */
    double* moment;
    int nbodies, bodies_cap;
    double applied_scale[PHYS_GROUPS], applied_offset[PHYS_GROUPS];

    uint8_t* frames; /* frame_delay rings, sized at on_begin for the episode's frame */
    size_t frames_cap;

    sp_fault_stats retired; /* counters of lists replaced since the last clear */
};

/* A fault's committed state, and a staged fault's state for the step being taken. */
#define FAULT_NOW(f) (&(f)->st[(f)->cur])
#define FAULT_NEXT(f) (&(f)->st[(f)->cur ^ 1])

/* fault_tables.c */
bool sp_fault_real_unset(double v);

/* fault_validate.c: checks fault `index` and resolves its channels (ascending) into ch/nch. */
int sp_fault_check(const sp_fault_def* def, int index, const sp_env_spec* spec, uint8_t* ch,
                   int* nch, char* err, size_t err_sz);

/* fault_schedule.c */
int sp_fault_schedule_check(const sp_fault_schedule* s, int index, char* err, size_t err_sz);
int sp_fault_schedule_duty(const sp_fault_schedule* s);
/* Whether the fault is active at step t; draws once per step from `rng` for probability
 * schedules, whatever the outcome, so the schedule stream stays aligned with steps. Inline:
 * every fault takes it at every step. */
static inline bool sp_fault_schedule_step(const sp_fault_schedule* s, int duty, int t, sp_rng* rng,
                                          int32_t* occ_left, int32_t* phase) {
    bool in_range = t >= s->start && t < s->end;
    switch (s->type) {
    case SP_SCHEDULE_PROBABILITY: {
        double u = sp_rng_uniform(rng);
        if (!in_range) {
            *occ_left = 0;
            return false;
        }
        if (*occ_left > 0) { /* an occurrence is running: this step's draw goes unused */
            (*occ_left)--;
            return true;
        }
        if (u < s->probability) {
            *occ_left = s->duration - 1;
            return true;
        }
        return false;
    }
    case SP_SCHEDULE_PERIODIC:
        /* Steps come one at a time from 0, so the phase is carried rather than divided. */
        if (t <= s->start)
            *phase = 0;
        else if (++*phase == s->period)
            *phase = 0;
        return in_range && *phase < duty;
    case SP_SCHEDULE_ALWAYS:
    case SP_SCHEDULE_WINDOW:
    default:
        return in_range;
    }
}

/* Carries a ring's slot to step t (t % slots); rings are only for faults with `slots`. */
static inline void sp_fault_next_slot(int slots, int32_t* slot, int t) {
    if (t == 0 || ++*slot == slots) *slot = 0;
}

/* The buffers' digest is a sum over their entries of a mix of (position, bits), with zero
 * bits weighing nothing: a function of what the buffers hold, so the state hash stays a
 * function of the state (a refused step rewrites the same slots again), updated as a value
 * enters and the one it replaces leaves rather than by walking every buffer at every step
 * (64 delay faults of 1000 steps hold 512 K floats per env). A reset's zeroing clears it. */
static inline uint64_t sp_fault_held_mix(uint64_t pos, uint64_t bits) {
    if (!bits) return 0;
    uint64_t x = bits ^ (pos * 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull; /* splitmix64's finalizer */
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Writes v into a float of the set's block, keeping the digest. */
static inline void sp_fault_hold(struct sp_faults* fs, float* at, float v) {
    uint32_t old, now;
    memcpy(&old, at, sizeof old);
    memcpy(&now, &v, sizeof now);
    if (old == now) return;
    uint64_t pos = (uint64_t)(at - fs->block);
    fs->held += sp_fault_held_mix(pos, now) - sp_fault_held_mix(pos, old);
    *at = v;
}

/* Writes v into a double of the set's dblock (positions past every float's). */
static inline void sp_fault_hold_f64(struct sp_faults* fs, double* at, double v) {
    uint64_t old, now;
    memcpy(&old, at, sizeof old);
    memcpy(&now, &v, sizeof now);
    if (old == now) return;
    uint64_t pos = (1ull << 40) + (uint64_t)(at - fs->dblock);
    fs->held += sp_fault_held_mix(pos, now) - sp_fault_held_mix(pos, old);
    *at = v;
}

/* Emits one fault event. Inline here, with the structs, so fault_sensors.c and
 * fault_actions.c depend on this header and not back on faults.c. */
static inline void sp_fault_emit(sp_faults* fs, const fault* f, sp_fault_event_type type,
                                 int channel, float value, float limit) {
    sp_event e = {
        .source = SP_EVENT_FAULT,
        .code = (uint16_t)f->def.kind,
        .channel = (int16_t)channel,
        .flags = SP_FAULT_EVENT_FLAGS(type, f->index),
        .value = value,
        .limit = limit,
    };
    sp_episode_emit(fs->ep, &e);
}

/* fault_normal.c: sp_fault_normal without its once-per-process table check, for the step
 * path (sp_faults_create calls the init, so every set's faults may use it). The common case
 * is inline: one draw, one table compare; the rest (tail, wedges) is out of line. */
#define SP_FAULT_ZIG_LAYERS 128
extern double sp_fault_zig_x[SP_FAULT_ZIG_LAYERS + 1];
extern double sp_fault_zig_r[SP_FAULT_ZIG_LAYERS];
void sp_fault_normal_init(void);
double sp_fault_normal_rest(sp_rng* rng, uint64_t bits);

static inline double sp_fault_normal_ready(sp_rng* rng) {
    uint64_t bits = sp_rng_next(rng);
    double u = 2.0 * ((double)(int64_t)(bits >> 11) * 0x1.0p-53) - 1.0;
    int i = (int)(bits & (SP_FAULT_ZIG_LAYERS - 1));
    if (fabs(u) < sp_fault_zig_r[i]) return u * sp_fault_zig_x[i];
    return sp_fault_normal_rest(rng, bits);
}

/* fault_sensors.c: applies one sensor fault to the observation of step t. */
void sp_fault_sensor_apply(sp_faults* fs, fault* f, float* obs, int t);

/* fault_actions.c: applies one action (or motor) fault to the action values of step t
 * (a discrete env's index travels as vals[0]). */
void sp_fault_action_apply(sp_faults* fs, fault* f, float* vals, int t);

/* fault_physics.c */
int sp_fault_physics_capture(sp_faults* fs, sp_world* world);
void sp_fault_physics_apply(sp_faults* fs, sp_world* world);

/* fault_pixels.c: sizes the frame_delay rings for `frame` (at on_begin; NULL: no frames),
 * and applies one pixel fault to the frame of step t. */
int sp_fault_pixels_begin(sp_faults* fs, const sp_frame* frame);
void sp_fault_pixels_apply(sp_faults* fs, fault* f, sp_frame* frame, int t);

/* fault_reward.c: the reward delivered at step t in place of `reward`. */
double sp_fault_reward_apply(sp_faults* fs, fault* f, fault_state* s, double reward, int t,
                             bool last);

#endif
