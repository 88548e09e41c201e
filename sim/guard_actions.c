/* Guardrails before the env: NaN/Inf, bounds, rate of change and the episode budget, per
 * actuator channel of whatever env the guard serves.
 *
 * Nothing here changes the guard's episode state: the outcome is kept in next_* and committed by
 * on_result, since a later layer or the runtime may still refuse the step. Messages are
 * formatted only when an action is refused. */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "guard_internal.h"
#include "sandpit/error.h"

/* The terminate policy: the action is not applied and the episode ends at this step. */
static int halt(sp_guard* g, sp_episode* ep, int reason) {
    g->halted = true;
    sp_episode_halt(ep, sp_guard_reason_name(reason));
    return SP_OK;
}

/* Applies the NaN/Inf, bounds and rate guardrails to every channel, in that order, stopping at
 * the first refusal or termination. */
static int check_channels(sp_guard* g, sp_episode* ep, sp_action* a, char* err, size_t err_sz) {
    for (int c = 0; c < g->channels; c++) {
        const sp_guard_actuator* p = &g->def.actuators[c];
        float v = a->value[c];
        if (!isfinite(v)) {
            sp_guard_trip(g, ep, SP_GUARD_ACTION_NAN, c, v, 0.0, p->nonfinite);
            if (p->nonfinite == SP_GUARD_POLICY_TERMINATE) return halt(g, ep, SP_GUARD_ACTION_NAN);
            if (err && err_sz)
                snprintf(err, err_sz, "action channel %s is %s (guardrail action_nan)",
                         g->spec->actuators[c].name, isnan(v) ? "NaN" : "Inf");
            return SP_E_BAD_ACTION;
        }
        if (v < g->low[c] || v > g->high[c]) {
            float limit = v < g->low[c] ? g->low[c] : g->high[c];
            sp_guard_trip(g, ep, SP_GUARD_ACTION_OUT_OF_BOUNDS, c, v, limit, p->bounds);
            if (p->bounds == SP_GUARD_POLICY_TERMINATE)
                return halt(g, ep, SP_GUARD_ACTION_OUT_OF_BOUNDS);
            if (p->bounds == SP_GUARD_POLICY_REJECT) {
                if (err && err_sz)
                    snprintf(err, err_sz,
                             "action channel %s = %g is outside [%g, %g] (guardrail "
                             "action_out_of_bounds)",
                             g->spec->actuators[c].name, (double)v, (double)g->low[c],
                             (double)g->high[c]);
                return SP_E_BAD_ACTION;
            }
            v = limit;
        }
        /* max_delta 0 means off; +Inf never trips either. */
        if (g->rate_on && p->max_delta > 0.0) {
            double delta = (double)v - (double)g->prev[c];
            if (fabs(delta) > p->max_delta) {
                sp_guard_trip(g, ep, SP_GUARD_ACTION_RATE, c, delta, p->max_delta, p->rate);
                if (p->rate == SP_GUARD_POLICY_TERMINATE) return halt(g, ep, SP_GUARD_ACTION_RATE);
                if (p->rate == SP_GUARD_POLICY_REJECT) {
                    if (err && err_sz)
                        snprintf(err, err_sz,
                                 "action channel %s changes by %g in one step, more than %g "
                                 "(guardrail action_rate)",
                                 g->spec->actuators[c].name, delta, p->max_delta);
                    return SP_E_BAD_ACTION;
                }
                /* prev and v are floats and rounding is monotone, so the result stays between
                 * them: within bounds. */
                v = (float)((double)g->prev[c] + (delta > 0.0 ? p->max_delta : -p->max_delta));
            }
        }
        a->value[c] = v;
    }
    return SP_OK;
}

/* Whether the action does anything: not the declared noop (discrete) or not at rest. */
static bool acts(const sp_guard* g, const sp_action* a) {
    if (g->channels == 0) return a->index != g->def.budget_noop;
    for (int c = 0; c < g->channels; c++)
        if (a->value[c] != g->rest[c]) return true;
    return false;
}

static double action_cost(const sp_guard* g, const sp_action* a) {
    double sum = 0.0;
    switch (g->def.budget) {
    case SP_GUARD_BUDGET_ABS:
        for (int c = 0; c < g->channels; c++)
            sum += g->def.actuators[c].budget_weight * fabs((double)a->value[c]);
        return sum * g->step_seconds;
    case SP_GUARD_BUDGET_SQUARE:
        for (int c = 0; c < g->channels; c++) {
            double v = (double)a->value[c];
            sum += g->def.actuators[c].budget_weight * v * v;
        }
        return sum * g->step_seconds;
    case SP_GUARD_BUDGET_ACTIONS:
        return acts(g, a) ? 1.0 : 0.0;
    case SP_GUARD_BUDGET_NONE:
        break;
    }
    return 0.0;
}

/* Rest: the noop index, or every channel at 0 held into its bounds. */
static void zero_action(const sp_guard* g, sp_action* a) {
    if (g->channels == 0) {
        a->index = g->def.budget_noop;
        return;
    }
    memcpy(a->value, g->rest, sizeof(float) * (size_t)g->channels);
}

/* The budget is never overdrawn: the step that would overdraw it ends the episode (terminate)
 * or is zeroed along with every later one (zero). */
static void spend_budget(sp_guard* g, sp_episode* ep, sp_action* a) {
    const sp_guard_def* d = &g->def;
    g->next_budget_used = g->budget_used;
    g->next_budget_spent = g->budget_spent;
    if (g->budget_spent) {
        zero_action(g, a);
        sp_guard_trip(g, ep, SP_GUARD_ACTION_BUDGET, -1, g->budget_used, d->budget_limit,
                      SP_GUARD_POLICY_ZERO);
        return;
    }
    double total = g->budget_used + action_cost(g, a);
    if (total <= d->budget_limit) {
        g->next_budget_used = total;
        return;
    }
    sp_guard_trip(g, ep, SP_GUARD_ACTION_BUDGET, -1, total, d->budget_limit, d->budget_policy);
    if (d->budget_policy == SP_GUARD_POLICY_TERMINATE) {
        halt(g, ep, SP_GUARD_ACTION_BUDGET);
        return;
    }
    zero_action(g, a);
    g->next_budget_spent = true;
}

int sp_guard_on_action(void* self, sp_episode* ep, sp_action* a, char* err, size_t err_sz) {
    sp_guard* g = self;
    g->acted = true;
    g->halted = false;
    if (g->step_tripped) {
        memset(g->step_trips, 0, sizeof g->step_trips);
        g->step_tripped = false;
    }
    /* Time ran out before the action came: it is not applied, whatever it is. */
    if (sp_guard_wall_ran_out(g, ep)) {
        g->halted = true;
        sp_episode_halt_truncated(ep, sp_guard_reason_name(SP_GUARD_WALL_CLOCK));
        return SP_OK;
    }
    int rc;
    if (g->channels && ((rc = check_channels(g, ep, a, err, err_sz)) != 0 || g->halted)) return rc;
    if (g->def.budget != SP_GUARD_BUDGET_NONE) {
        spend_budget(g, ep, a);
        if (g->halted) return SP_OK;
    }
    if (g->rate_on) memcpy(g->next_prev, a->value, sizeof(float) * (size_t)g->channels);
    if (g->clocks_per_step && !g->replay) sp_guard_begin_step_clocks(g, ep);
    return SP_OK;
}

int sp_guard_precheck(const sp_guard_def* d, const sp_env_spec* spec, const sp_action* act,
                      char* err, size_t err_sz) {
    for (int a = 0; a < spec->actuator_count; a++) {
        float v = act->value[a];
        const sp_channel* ch = &spec->actuators[a];
        sp_guard_policy nonfinite = d ? d->actuators[a].nonfinite : SP_GUARD_POLICY_REJECT;
        sp_guard_policy bounds = d ? d->actuators[a].bounds : SP_GUARD_POLICY_CLIP;
        if (!isfinite(v)) {
            if (nonfinite != SP_GUARD_POLICY_REJECT) return SP_OK;
            snprintf(err, err_sz, "%s is %s: refused by guardrail action_nan (policy reject)",
                     ch->name,
                     isnan(v) ? "NaN"
                     : v > 0  ? "+Inf"
                              : "-Inf");
            return SP_E_BAD_ACTION;
        }
        if (v < (float)ch->low || v > (float)ch->high) {
            if (bounds == SP_GUARD_POLICY_REJECT) {
                snprintf(err, err_sz,
                         "%s = %g is outside [%g, %g]: refused by guardrail "
                         "action_out_of_bounds (policy reject)",
                         ch->name, v, ch->low, ch->high);
                return SP_E_BAD_ACTION;
            }
            if (bounds == SP_GUARD_POLICY_TERMINATE) return SP_OK;
        }
    }
    return SP_OK;
}
