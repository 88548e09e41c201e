#ifndef SANDPIT_GUARD_INTERNAL_H
#define SANDPIT_GUARD_INTERNAL_H

/* The guard's private state, shared by guard.c (lifecycle, names, hash, accessors),
 * guard_actions.c (on_action) and guard_resources.c (physics sanity, clocks, on_result). */

#include "sandpit/guard.h"

/* Counters are indexed by reason number; slot 0 is unused. */
#define SP_GUARD_SLOTS (SP_GUARD_REASON_COUNT + 1)

struct sp_guard {
    sp_guard_def def;
    sp_guard_def next_def; /* sp_guard_set_def's, applied at the next reset */
    bool has_next_def;
    const sp_env_spec* spec;
    sp_episode* episode;
    sp_world* world; /* the episode's; the same object for its whole life */
    bool replay;

    /* Derived once from def and spec so the step path only compares. */
    int channels;                 /* continuous actuators; 0 for a discrete env */
    float low[SP_MAX_ACTUATORS];  /* bounds as float32, the type the agent's values have, so a */
    float high[SP_MAX_ACTUATORS]; /* value sent exactly at a bound never trips */
    float rest[SP_MAX_ACTUATORS]; /* 0 held into bounds: the rate's start, the budget's zero */
    bool rate_on;
    double step_seconds; /* dt x frame_skip: how long one action is held */
    double max_speed_sq, max_angular_speed_sq;
    bool timing_step;     /* step compute on: each step is timed */
    bool clocks_per_step; /* step compute or CPU time on: on_action starts, on_result reads */

    /* Episode state: it decides what the guard does next, so it is hashed. */
    float prev[SP_MAX_ACTUATORS]; /* last applied value per channel, for the rate */
    double budget_used;
    bool budget_spent; /* the `zero` policy tripped: every later action is zeroed */
    double cost_total;
    uint32_t trips[SP_GUARD_SLOTS];
    uint64_t trip_digest; /* every trip of the episode, reason and step: one word to hash */

    /* This step, decided in on_action and committed in on_result, because a later layer may
     * still refuse the action and a refused action must leave the episode untouched. */
    float next_prev[SP_MAX_ACTUATORS];
    double next_budget_used;
    bool next_budget_spent;
    uint8_t step_trips[SP_GUARD_SLOTS];
    bool step_tripped; /* step_trips holds something */
    bool acted;        /* on_action ran this step (a layer before this one may have halted) */
    bool halted;       /* this guard ended the episode in on_action */
    bool diverged;     /* physics sanity tripped in the last on_observation */
    double step_cost;

    /* Machine measurements: never hashed, since clock readings differ between runs. */
    int64_t wall_start_ns;
    int64_t step_start_ns;
    int64_t cpu_start_ns;
    bool cpu_sampling; /* this step is a CPU sample */
    double cpu_used_s;
    sp_event injected[SP_GUARD_MAX_INJECT];
    int injected_count;
    bool expiring;    /* sp_guard_expire's step: its trip was measured there */
    double expired_s; /* what it measured */

    /* Over the guard's life, refusals included; not episode state, so not hashed. */
    uint64_t total_trips[SP_GUARD_SLOTS];
};

/* Emits one trip: the event, the lifetime counter and this step's counter. Inline here, with
 * the struct, so the step-path files depend on this header and not back on guard.c. */
static inline void sp_guard_trip(sp_guard* g, sp_episode* ep, int reason, int channel, double value,
                                 double limit, sp_guard_policy policy) {
    sp_event e = {
        .source = (uint16_t)sp_guard_reason_source(reason),
        .code = (uint16_t)reason,
        .channel = (int16_t)channel,
        .flags = (uint16_t)policy,
        .value = (float)value,
        .limit = (float)limit,
    };
    sp_episode_emit(ep, &e);
    g->total_trips[reason]++;
    if (g->step_trips[reason] < UINT8_MAX) g->step_trips[reason]++;
    g->step_tripped = true;
}

/* The layer hooks, one file each side of the env. */
int sp_guard_on_action(void* self, sp_episode* ep, sp_action* action, char* err, size_t err_sz);
void sp_guard_on_observation(void* self, sp_episode* ep, float* obs);
void sp_guard_on_result(void* self, sp_episode* ep, const sp_action* action, sp_step_result* r);

/* Starts the machine measurements of a new episode, and of one step (guard_resources.c). */
void sp_guard_start_clocks(sp_guard* g);
void sp_guard_begin_step_clocks(sp_guard* g, sp_episode* ep);

/* First in on_action: true when the wall clock ran out before this step (measured at sampled
 * steps and in sp_guard_expire's step, or injected in replay mode); the trip is emitted and the
 * step is to be halted, truncated (guard_resources.c). */
bool sp_guard_wall_ran_out(sp_guard* g, sp_episode* ep);

#endif
