#ifndef SANDPIT_GUARD_H
#define SANDPIT_GUARD_H

/* Episode guardrails: one runtime layer, generic over every env's declared actuators, that
 * holds an agent to its action bounds, rate and budget, and an episode to its time, compute and
 * physical sanity. No env carries a copy: the guard reads the env spec and the world.
 *
 *   sp_guard_def d = sp_default_guard_def(spec);
 *   d.actuators[0].bounds = SP_GUARD_POLICY_REJECT;
 *   sp_guard* g = sp_guard_create(&d, spec, err, sizeof err);
 *   sp_guard_attach(g, episode);   // first, before faults and the recorder
 *
 * Every trip is an sp_event (sp_episode_emit) with source SP_EVENT_GUARD, or SP_EVENT_MACHINE
 * for the reasons that depend on the machine (wall clock, CPU time, step compute), which a
 * replay re-applies from the record (sp_guard_inject) instead of measuring again.
 * docs/GUARDRAILS.md has the schema, every reason and the replay rule. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/env.h"
#include "sandpit/episode.h"

/* Why a guardrail tripped: symbol, number (the event code; never renumber), stable name (wire,
 * replay, step result `reason`) and the source of its events. Listed once; docs, names, events
 * and tests all expand this list. */
#define SP_GUARD_REASON_LIST(X)                                                                    \
    X(SP_GUARD_ACTION_OUT_OF_BOUNDS, 1, "action_out_of_bounds", SP_EVENT_GUARD)                    \
    X(SP_GUARD_ACTION_NAN, 2, "action_nan", SP_EVENT_GUARD)                                        \
    X(SP_GUARD_ACTION_RATE, 3, "action_rate", SP_EVENT_GUARD)                                      \
    X(SP_GUARD_ACTION_BUDGET, 4, "action_budget", SP_EVENT_GUARD)                                  \
    X(SP_GUARD_WALL_CLOCK, 5, "wall_clock", SP_EVENT_MACHINE)                                      \
    X(SP_GUARD_CPU_TIME, 6, "cpu_time", SP_EVENT_MACHINE)                                          \
    X(SP_GUARD_STEP_COMPUTE, 7, "step_compute", SP_EVENT_MACHINE)                                  \
    X(SP_GUARD_PHYSICS_DIVERGED, 8, "physics_diverged", SP_EVENT_GUARD)                            \
    X(SP_GUARD_CONSTRAINT, 9, "constraint", SP_EVENT_GUARD)

typedef enum sp_guard_reason {
#define SP_GUARD_REASON_ENUM(sym, num, name, source) sym = num,
    SP_GUARD_REASON_LIST(SP_GUARD_REASON_ENUM)
#undef SP_GUARD_REASON_ENUM
} sp_guard_reason;

/* Reasons are numbered 1..SP_GUARD_REASON_COUNT (guard.c checks it); 0 is never a reason. */
enum {
#define SP_GUARD_REASON_ONE(sym, num, name, source) +1
    SP_GUARD_REASON_COUNT = 0 SP_GUARD_REASON_LIST(SP_GUARD_REASON_ONE)
#undef SP_GUARD_REASON_ONE
};

/* What a guardrail does when it trips; an event's `flags` holds the policy. Which policies a
 * guardrail accepts is in docs/GUARDRAILS.md and checked by sp_guard_create. */
#define SP_GUARD_POLICY_LIST(X)                                                                    \
    X(SP_GUARD_POLICY_CLIP, 1, "clip")           /* hold the value at the limit, step on */        \
    X(SP_GUARD_POLICY_REJECT, 2, "reject")       /* refuse the action: SP_E_BAD_ACTION */          \
    X(SP_GUARD_POLICY_TERMINATE, 3, "terminate") /* end the episode: terminated */                 \
    X(SP_GUARD_POLICY_TRUNCATE, 4, "truncate")   /* end the episode: truncated */                  \
    X(SP_GUARD_POLICY_ZERO, 5, "zero")           /* replace the action by rest (0 or noop) */      \
    X(SP_GUARD_POLICY_COUNT, 6, "count")         /* report and count only */

typedef enum sp_guard_policy {
#define SP_GUARD_POLICY_ENUM(sym, num, name) sym = num,
    SP_GUARD_POLICY_LIST(SP_GUARD_POLICY_ENUM)
#undef SP_GUARD_POLICY_ENUM
} sp_guard_policy;

/* What an episode's action budget sums, per step, over actuator channels c with weights w_c and
 * the env step's duration T = dt x frame_skip. */
#define SP_GUARD_BUDGET_LIST(X)                                                                    \
    X(SP_GUARD_BUDGET_NONE, 0, "none")       /* no budget */                                       \
    X(SP_GUARD_BUDGET_ABS, 1, "abs")         /* sum w_c |a_c| T: total thrust (impulse) */         \
    X(SP_GUARD_BUDGET_SQUARE, 2, "square")   /* sum w_c a_c^2 T: control energy */                 \
    X(SP_GUARD_BUDGET_ACTIONS, 3, "actions") /* 1 per step that is not the noop */

typedef enum sp_guard_budget {
#define SP_GUARD_BUDGET_ENUM(sym, num, name) sym = num,
    SP_GUARD_BUDGET_LIST(SP_GUARD_BUDGET_ENUM)
#undef SP_GUARD_BUDGET_ENUM
} sp_guard_budget;

/* The wall clock is read every this many steps of an episode: a limit of seconds to hours
 * does not need each step's reading, and the step path is short enough for one to show. */
#define SP_GUARD_WALL_SAMPLE_STEPS 8

/* CPU time is read every this many steps of an episode (a system call, unlike the monotonic
 * clock), and each sampled step is charged this many times. */
#define SP_GUARD_CPU_SAMPLE_STEPS 16

/* Machine events sp_guard_inject can queue for one step. */
#define SP_GUARD_MAX_INJECT 4

/* The guardrails of one continuous actuator channel. Discrete envs ignore these: the runtime
 * refuses an out-of-range index before any layer runs. */
typedef struct sp_guard_actuator {
    sp_guard_policy bounds;    /* out of [low, high]: clip (default), reject or terminate */
    sp_guard_policy nonfinite; /* NaN or +-Inf: reject (default) or terminate */
    double max_delta;          /* largest |a_t - a_{t-1}| per env step; 0: off (default) */
    sp_guard_policy rate;      /* beyond max_delta: clip (default), reject or terminate */
    double budget_weight;      /* this channel's weight in the action budget; default 1 */
} sp_guard_actuator;

/* A per-step safety cost (Safety-Gymnasium's `cost`): >= 0, evaluated after the env's own
 * evaluation on every step that was simulated. Anything not > 0 (including NaN) counts as 0. */
typedef double (*sp_guard_cost_fn)(void* user, sp_episode* ep, const sp_action* action);

/* Everything configurable. A limit of 0 turns its guardrail off (constraint_limit aside).
 * sp_guard_create copies it: the caller may discard it. */
typedef struct sp_guard_def {
    sp_guard_actuator actuators[SP_MAX_ACTUATORS]; /* by the spec's actuator index */

    sp_guard_budget budget;        /* what the episode budget sums; default none */
    double budget_limit;           /* in the budget's units; > 0 when a budget is set */
    sp_guard_policy budget_policy; /* terminate (default) or zero */
    int budget_noop;               /* discrete: the index that costs nothing and that `zero`
                                    * substitutes; -1 (default): every index costs, no `zero` */

    double wall_clock_s;          /* wall-clock seconds from reset; default 3600; truncates */
    double cpu_s;                 /* CPU seconds spent stepping; default 0 (off); truncates */
    double step_compute_s;        /* one step's compute, seconds; default 0 (off) */
    sp_guard_policy step_compute; /* count (default) or truncate */

    bool physics_sanity;       /* default on: non-finite body state always trips */
    double max_speed;          /* m/s of any body; default 1e4 */
    double max_angular_speed;  /* rad/s of any body; default 1e4 */
    double max_kinetic_energy; /* J, all bodies together; default 1e9 */

    sp_guard_cost_fn constraint_cost; /* NULL (default): no constraint */
    void* constraint_user;            /* passed to constraint_cost; not owned */
    double constraint_limit;          /* `terminate` once the episode's cost exceeds this */
    sp_guard_policy constraint;       /* count (default) or terminate */
} sp_guard_def;

typedef struct sp_guard sp_guard;

/* The defaults above, for any env: clip bounds, reject NaN/Inf, no rate limit, no budget, a one
 * hour wall clock, no CPU or step-compute limit, physics sanity on. `spec` may be NULL. */
sp_guard_def sp_default_guard_def(const sp_env_spec* spec);

/* Creates guardrails for episodes of `spec` (not copied: env specs are static). Returns NULL
 * and writes a message naming the offending field into `err` on a bad def or no memory. The
 * caller owns the result: sp_guard_destroy, after the episode it is attached to. */
sp_guard* sp_guard_create(const sp_guard_def* def, const sp_env_spec* spec, char* err,
                          size_t err_sz);

/* Replaces the def from the next reset on (per-reset guardrails), validated as by
 * sp_guard_create. Returns 0, or SP_E_BAD_ARGUMENT with a message; the guard then keeps its
 * def. The current episode, if any, runs on under the old one. */
int sp_guard_set_def(sp_guard* guard, const sp_guard_def* def, char* err, size_t err_sz);

/* Frees the guard. NULL is allowed. Destroy (or stop stepping) its episode first. */
void sp_guard_destroy(sp_guard* guard);

/* Adds the guard's layer to `ep`; attach it before any other layer so that it sees the agent's
 * action first and the env's observation before faults touch it. One guard serves one episode
 * for its whole life. Returns 0, SP_E_BAD_ARGUMENT (other env's spec, or already attached), or
 * SP_E_LIMIT (no layer slot left). Attach before the episode's first reset. */
int sp_guard_attach(sp_guard* guard, sp_episode* ep);

/* What `def`'s NaN/Inf and bounds policies would refuse (`reject`) in `action`, decided without
 * an episode, in the guard's own channel order (NaN, then bounds; the first reject or terminate
 * ends the checks). For a batch that must refuse before any env moves. `def` NULL: no guard,
 * the runtime's rule (NaN/Inf refused, bounds clipped). Returns 0, or SP_E_BAD_ACTION with the
 * guard's message. */
int sp_guard_precheck(const sp_guard_def* def, const sp_env_spec* spec, const sp_action* action,
                      char* err, size_t err_sz);

/* Replay mode: no clock is read, so no machine event happens unless injected. Off by default. */
void sp_guard_set_replay(sp_guard* guard, bool replay);

/* Queues a recorded machine event (source SP_EVENT_MACHINE, a machine reason, a policy that
 * reason accepts) to trip exactly as recorded, same event and same effect, in the next step that
 * is taken. A reset drops the queue. Returns 0, SP_E_BAD_ARGUMENT, or SP_E_LIMIT past
 * SP_GUARD_MAX_INJECT. */
int sp_guard_inject(sp_guard* guard, const sp_event* event);

/* When the running episode's wall clock runs out, in CLOCK_MONOTONIC seconds; INFINITY when the
 * wall clock is off, in replay mode, or no episode runs. For a server that must end an episode
 * on time whether or not its agent steps (sp_guard_expire). */
double sp_guard_wall_deadline(const sp_guard* guard);

/* Ends the running episode now if its wall clock has run out: takes the step the quiet agent
 * did not send, as any step whose wall clock ran out before it began: nothing is simulated,
 * the observation stays, reward 0, truncated with reason `wall_clock`, one machine event, and
 * every layer (the recorder too) sees the step, whose recorded action is all zeros. A replay
 * re-applies it from that event like any recorded wall-clock trip. `r` (may be NULL) gets the
 * step's result. Returns 1 when it ended the episode, 0 when the clock has not run out (or is
 * off, in replay mode, or the episode is not running), or a negative sp_error. */
int sp_guard_expire(sp_guard* guard, sp_step_result* r);

/* Trips of `reason` over the guard's life, refused actions included (for the server's stats);
 * 0 for an unknown reason. */
uint64_t sp_guard_trips(const sp_guard* guard, int reason);

/* Trips of `reason` in the current episode's steps (refused actions are not steps). */
uint32_t sp_guard_episode_trips(const sp_guard* guard, int reason);

/* The action budget spent in this episode, in the budget's units. */
double sp_guard_budget_used(const sp_guard* guard);

/* The constraint cost of the last step, and its sum over this episode. */
double sp_guard_step_cost(const sp_guard* guard);
double sp_guard_episode_cost(const sp_guard* guard);

/* Stable names, and their inverse (-1 for an unknown name). Unknown numbers give NULL. */
const char* sp_guard_reason_name(int reason);
int sp_guard_reason_from_name(const char* name);
/* SP_EVENT_GUARD or SP_EVENT_MACHINE; 0 for an unknown reason. */
int sp_guard_reason_source(int reason);
const char* sp_guard_policy_name(int policy);
int sp_guard_policy_from_name(const char* name);
const char* sp_guard_budget_name(int budget);
int sp_guard_budget_from_name(const char* name);

#endif
