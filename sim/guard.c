/* Guardrails: lifecycle, the def's validation, episode state and its hash. The step path
 * lives in guard_actions.c (before the env) and guard_resources.c (after it), the names in
 * guard_names.c; what they share is in guard_internal.h, so none of them calls back here. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard_internal.h"
#include "sandpit/error.h"

sp_guard_def sp_default_guard_def(const sp_env_spec* spec) {
    (void)spec; /* every default holds for every env; the spec is for defaults that may not */
    sp_guard_def d;
    memset(&d, 0, sizeof d);
    for (int c = 0; c < SP_MAX_ACTUATORS; c++) {
        d.actuators[c].bounds = SP_GUARD_POLICY_CLIP;
        d.actuators[c].nonfinite = SP_GUARD_POLICY_REJECT;
        d.actuators[c].max_delta = 0.0;
        d.actuators[c].rate = SP_GUARD_POLICY_CLIP;
        d.actuators[c].budget_weight = 1.0;
    }
    d.budget = SP_GUARD_BUDGET_NONE;
    d.budget_limit = 0.0;
    d.budget_policy = SP_GUARD_POLICY_TERMINATE;
    d.budget_noop = -1;
    /* An hour is far beyond any env's max steps at training speed, yet still ends an episode
     * whose client went quiet and left it holding a slot. */
    d.wall_clock_s = 3600.0;
    d.cpu_s = 0.0;
    d.step_compute_s = 0.0;
    d.step_compute = SP_GUARD_POLICY_COUNT;
    /* Normal play of any env stays orders of magnitude below these (the fastest body in the
     * shipped envs moves at tens of m/s and rad/s, the heaviest holds kJ); a solver blow-up
     * passes them within a few steps on its way to Inf. */
    d.physics_sanity = true;
    d.max_speed = 1e4;
    d.max_angular_speed = 1e4;
    d.max_kinetic_energy = 1e9;
    d.constraint_cost = NULL;
    d.constraint_user = NULL;
    d.constraint_limit = 0.0;
    d.constraint = SP_GUARD_POLICY_COUNT;
    return d;
}

/* A limit: 0 is off, +Inf is as good as off, negative or NaN is a mistake. */
static bool limit_ok(double v) {
    return v >= 0.0;
}

static bool policy_in(sp_guard_policy p, sp_guard_policy a, sp_guard_policy b, sp_guard_policy c) {
    return p == a || p == b || (c && p == c);
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (err && err_sz) snprintf(err, err_sz, "guardrails: " __VA_ARGS__);                      \
        return false;                                                                              \
    } while (0)

static bool validate(const sp_guard_def* d, const sp_env_spec* spec, char* err, size_t err_sz) {
    bool discrete = spec->action_kind == SP_ACTION_DISCRETE;
    int channels = discrete ? 0 : spec->actuator_count;
    if (channels < 0 || channels > SP_MAX_ACTUATORS)
        FAIL("%s declares %d actuators (at most %d)", spec->id, channels, SP_MAX_ACTUATORS);
    for (int c = 0; c < channels; c++) {
        const sp_guard_actuator* a = &d->actuators[c];
        const char* name = spec->actuators[c].name;
        if (!policy_in(a->bounds, SP_GUARD_POLICY_CLIP, SP_GUARD_POLICY_REJECT,
                       SP_GUARD_POLICY_TERMINATE))
            FAIL("%s: bounds policy must be clip, reject or terminate", name);
        if (!policy_in(a->nonfinite, SP_GUARD_POLICY_REJECT, SP_GUARD_POLICY_TERMINATE, 0))
            FAIL("%s: NaN/Inf policy must be reject or terminate", name);
        if (!policy_in(a->rate, SP_GUARD_POLICY_CLIP, SP_GUARD_POLICY_REJECT,
                       SP_GUARD_POLICY_TERMINATE))
            FAIL("%s: rate policy must be clip, reject or terminate", name);
        if (!limit_ok(a->max_delta)) FAIL("%s: max_delta must be >= 0 (0: off)", name);
        if (!(a->budget_weight >= 0.0 && isfinite(a->budget_weight)))
            FAIL("%s: budget_weight must be finite and >= 0", name);
    }
    if (!sp_guard_budget_name(d->budget)) FAIL("budget must be none, abs, square or actions");
    if (d->budget != SP_GUARD_BUDGET_NONE) {
        if (discrete && d->budget != SP_GUARD_BUDGET_ACTIONS)
            FAIL("%s is discrete: its budget can only count actions", spec->id);
        if (!(d->budget_limit > 0.0)) FAIL("budget_limit must be > 0 when a budget is set");
        if (!policy_in(d->budget_policy, SP_GUARD_POLICY_TERMINATE, SP_GUARD_POLICY_ZERO, 0))
            FAIL("budget policy must be terminate or zero");
        if (discrete && (d->budget_noop < -1 || d->budget_noop >= spec->action_count))
            FAIL("budget_noop %d is not an action of %s (-1: none)", d->budget_noop, spec->id);
        if (discrete && d->budget_policy == SP_GUARD_POLICY_ZERO && d->budget_noop < 0)
            FAIL("budget policy zero needs a budget_noop action to substitute");
    }
    if (!limit_ok(d->wall_clock_s)) FAIL("wall_clock_s must be >= 0 (0: off)");
    if (!limit_ok(d->cpu_s)) FAIL("cpu_s must be >= 0 (0: off)");
    if (!limit_ok(d->step_compute_s)) FAIL("step_compute_s must be >= 0 (0: off)");
    if (!policy_in(d->step_compute, SP_GUARD_POLICY_COUNT, SP_GUARD_POLICY_TRUNCATE, 0))
        FAIL("step_compute policy must be count or truncate");
    if (!limit_ok(d->max_speed)) FAIL("max_speed must be >= 0 (0: off)");
    if (!limit_ok(d->max_angular_speed)) FAIL("max_angular_speed must be >= 0 (0: off)");
    if (!limit_ok(d->max_kinetic_energy)) FAIL("max_kinetic_energy must be >= 0 (0: off)");
    if (!limit_ok(d->constraint_limit)) FAIL("constraint_limit must be >= 0");
    if (!policy_in(d->constraint, SP_GUARD_POLICY_COUNT, SP_GUARD_POLICY_TERMINATE, 0))
        FAIL("constraint policy must be count or terminate");
    return true;
}

#undef FAIL

/* 0 is off; squares are compared so the step path takes no square root. */
static double limit_sq(double v) {
    return v > 0.0 ? v * v : INFINITY;
}

/* Takes a validated def and derives what the step path compares against. */
static void apply_def(sp_guard* g, const sp_guard_def* def) {
    g->def = *def;
    g->rate_on = false;
    for (int c = 0; c < g->channels; c++) {
        double md = def->actuators[c].max_delta;
        if (md > 0.0 && md < INFINITY) g->rate_on = true;
    }
    g->max_speed_sq = limit_sq(def->max_speed);
    g->max_angular_speed_sq = limit_sq(def->max_angular_speed);
    g->timing_step = def->step_compute_s > 0.0;
    g->clocks_per_step = g->timing_step || def->cpu_s > 0.0;
}

sp_guard* sp_guard_create(const sp_guard_def* def, const sp_env_spec* spec, char* err,
                          size_t err_sz) {
    if (!def || !spec) {
        if (err && err_sz) snprintf(err, err_sz, "guardrails: no def or no env spec");
        return NULL;
    }
    if (!validate(def, spec, err, err_sz)) return NULL;
    sp_guard* g = calloc(1, sizeof *g);
    if (!g) {
        if (err && err_sz) snprintf(err, err_sz, "out of memory");
        return NULL;
    }
    g->spec = spec;
    g->channels = spec->action_kind == SP_ACTION_CONTINUOUS ? spec->actuator_count : 0;
    for (int c = 0; c < g->channels; c++) {
        g->low[c] = (float)spec->actuators[c].low;
        g->high[c] = (float)spec->actuators[c].high;
        g->rest[c] = 0.0f < g->low[c] ? g->low[c] : 0.0f > g->high[c] ? g->high[c] : 0.0f;
    }
    g->step_seconds = spec->dt * (double)spec->frame_skip;
    apply_def(g, def);
    return g;
}

int sp_guard_set_def(sp_guard* guard, const sp_guard_def* def, char* err, size_t err_sz) {
    if (!def) {
        if (err && err_sz) snprintf(err, err_sz, "guardrails: no def");
        return SP_E_BAD_ARGUMENT;
    }
    if (!validate(def, guard->spec, err, err_sz)) return SP_E_BAD_ARGUMENT;
    guard->next_def = *def;
    guard->has_next_def = true;
    return SP_OK;
}

void sp_guard_destroy(sp_guard* guard) {
    free(guard);
}

static int guard_on_reset(void* self, sp_episode* ep) {
    sp_guard* g = self;
    if (g->has_next_def) {
        apply_def(g, &g->next_def);
        g->has_next_def = false;
    }
    memcpy(g->prev, g->rest, sizeof g->prev);
    g->budget_used = 0.0;
    g->budget_spent = false;
    g->cost_total = 0.0;
    memset(g->trips, 0, sizeof g->trips);
    g->trip_digest = 0;
    g->step_cost = 0.0;
    /* A trip seen while the reset sensed (a world built broken) or left by a refused step is not
     * one of this episode's steps. */
    memset(g->step_trips, 0, sizeof g->step_trips);
    g->step_tripped = false;
    g->acted = g->halted = g->diverged = false;
    g->injected_count = 0;
    sp_guard_start_clocks(g);
    return SP_OK;
}

/* Only what changes the guard's future decisions or what it reports: never a clock reading. */
static void guard_hash(const void* self, sp_hash* h) {
    const sp_guard* g = self;
    /* Only what can change the future: a guard that has not tripped and keeps no rate, budget
     * or terminating-cost state adds nothing, so default guardrails that never trip leave every
     * hash as it would be without them. */
    if (g->trip_digest) sp_hash_u64(h, g->trip_digest);
    if (g->rate_on) sp_hash_bytes(h, g->prev, sizeof(float) * (size_t)g->channels);
    if (g->def.budget != SP_GUARD_BUDGET_NONE) {
        sp_hash_f64(h, g->budget_used);
        sp_hash_u64(h, g->budget_spent);
    }
    /* A counted cost is only reported; it changes the future only when it can terminate. */
    if (g->def.constraint_cost && g->def.constraint == SP_GUARD_POLICY_TERMINATE)
        sp_hash_f64(h, g->cost_total);
}

int sp_guard_attach(sp_guard* guard, sp_episode* ep) {
    if (!guard || !ep || guard->episode || sp_episode_spec(ep) != guard->spec)
        return SP_E_BAD_ARGUMENT;
    sp_layer layer = {
        .name = "guardrails",
        .self = guard,
        .on_reset = guard_on_reset,
        .on_action = sp_guard_on_action,
        .on_observation = sp_guard_on_observation,
        .on_result = sp_guard_on_result,
        .hash = guard_hash,
    };
    int rc = sp_episode_add_layer(ep, &layer);
    if (rc != 0) return rc;
    guard->episode = ep;
    guard->world = sp_episode_world(ep);
    guard_on_reset(guard, ep);
    return SP_OK;
}

void sp_guard_set_replay(sp_guard* guard, bool replay) {
    bool leaving = guard->replay && !replay;
    guard->replay = replay;
    /* Replay mode read no clock: measuring from now on needs fresh starting points. */
    if (leaving) sp_guard_start_clocks(guard);
}

int sp_guard_inject(sp_guard* guard, const sp_event* e) {
    if (!guard || !e || e->source != SP_EVENT_MACHINE ||
        sp_guard_reason_source(e->code) != SP_EVENT_MACHINE)
        return SP_E_BAD_ARGUMENT;
    bool truncate_only = e->code != SP_GUARD_STEP_COMPUTE;
    if (e->flags != SP_GUARD_POLICY_TRUNCATE &&
        (truncate_only || e->flags != SP_GUARD_POLICY_COUNT))
        return SP_E_BAD_ARGUMENT;
    if (guard->injected_count == SP_GUARD_MAX_INJECT) return SP_E_LIMIT;
    guard->injected[guard->injected_count++] = *e;
    return SP_OK;
}

uint64_t sp_guard_trips(const sp_guard* guard, int reason) {
    return reason >= 1 && reason <= SP_GUARD_REASON_COUNT ? guard->total_trips[reason] : 0;
}

uint32_t sp_guard_episode_trips(const sp_guard* guard, int reason) {
    return reason >= 1 && reason <= SP_GUARD_REASON_COUNT ? guard->trips[reason] : 0;
}

double sp_guard_budget_used(const sp_guard* guard) {
    return guard->budget_used;
}

double sp_guard_step_cost(const sp_guard* guard) {
    return guard->step_cost;
}

double sp_guard_episode_cost(const sp_guard* guard) {
    return guard->cost_total;
}
