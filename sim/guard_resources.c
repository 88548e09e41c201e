/* Guardrails after the env: physics sanity, the constraint cost, and the machine's resources
 * (CPU time, compute per step). Then the step's outcome is committed. The wall clock is the
 * one machine limit checked before the env (on_action): time that ran out before an action
 * came ends the episode without applying it, which is also what sp_guard_expire does for an
 * agent that went quiet.
 *
 * Machine readings decide machine events only: they are never hashed (neither readings nor
 * trips), and in replay mode no clock is read at all, the recorded events being injected. */

#include <math.h>
#include <string.h>
#include <time.h>

/* Chipmunk's body getters are calls into the shared library, through its PLT: for the few
 * bodies of a classic-control env, six of them per body cost several times the check itself
 * and most of this layer's overhead. The struct layout comes from the same package as the
 * library (libchipmunk-dev pins its libchipmunk7), and the check only reads. */
#include <chipmunk/chipmunk_structs.h>

#include "guard_internal.h"
#include "sandpit/error.h"
#include "world_chipmunk.h"

/* CLOCK_MONOTONIC is read through the vDSO (tens of ns); CLOCK_THREAD_CPUTIME_ID is a system
 * call, hence SP_GUARD_CPU_SAMPLE_STEPS. The thread's clock is right for the server, whose
 * worker threads share a batch: what counts is the CPU this episode's steps used, on whichever
 * thread ran them. */
static int64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

void sp_guard_start_clocks(sp_guard* g) {
    g->cpu_used_s = 0.0;
    g->cpu_sampling = false;
    g->wall_start_ns = !g->replay && g->def.wall_clock_s > 0.0 ? clock_ns(CLOCK_MONOTONIC) : 0;
}

/* Called last in on_action (never in replay mode), so a step's compute is the env's act,
 * physics, sensing and evaluation plus the layers' work in between: everything up to this
 * guard's on_result. */
void sp_guard_begin_step_clocks(sp_guard* g, sp_episode* ep) {
    if (g->timing_step) g->step_start_ns = clock_ns(CLOCK_MONOTONIC);
    if (g->def.cpu_s > 0.0 && sp_episode_step_count(ep) % SP_GUARD_CPU_SAMPLE_STEPS == 0) {
        g->cpu_start_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        g->cpu_sampling = true;
    }
}

/* Finds the first sign of a blown-up world: a non-finite body state, a body faster than the
 * speed limits, or more kinetic energy than the energy limit. Bodies with infinite mass or
 * moment (static, kinematic, rotation-locked) add no energy for that term. */
static bool world_diverged(const sp_guard* g, sp_world* world, int* channel, double* value,
                           double* limit) {
    int n = sp_world_body_count(world);
    double energy = 0.0;
    for (int i = 0; i < n; i++) {
        const cpBody* b = sp_world_body(world, i);
        /* p is the centre of gravity, which is as finite as the body's origin. */
        cpVect p = b->p, v = b->v;
        double angle = b->a, w = b->w;
        /* One test for six values: any NaN or Inf makes the sum non-finite. */
        double sum = p.x + p.y + v.x + v.y + angle + w;
        if (!isfinite(sum)) {
            *channel = i, *value = sum, *limit = 0.0;
            return true;
        }
        double v2 = v.x * v.x + v.y * v.y, w2 = w * w;
        if (v2 > g->max_speed_sq) {
            *channel = i, *value = sqrt(v2), *limit = g->def.max_speed;
            return true;
        }
        if (w2 > g->max_angular_speed_sq) {
            *channel = i, *value = fabs(w), *limit = g->def.max_angular_speed;
            return true;
        }
        if (b->m < INFINITY) energy += 0.5 * b->m * v2;
        if (b->i < INFINITY) energy += 0.5 * b->i * w2;
    }
    if (g->def.max_kinetic_energy > 0.0 && energy > g->def.max_kinetic_energy) {
        *channel = -1, *value = energy, *limit = g->def.max_kinetic_energy;
        return true;
    }
    return false;
}

/* Runs after the env sensed (at reset too) and before later layers see the observation: a
 * diverged world yields zeros rather than garbage, and on_result ends the episode. */
void sp_guard_on_observation(void* self, sp_episode* ep, float* obs) {
    sp_guard* g = self;
    if (!g->def.physics_sanity) return;
    int channel;
    double value, limit;
    if (!world_diverged(g, g->world, &channel, &value, &limit)) return;
    g->diverged = true;
    memset(obs, 0, sizeof(float) * (size_t)g->spec->sensor_count);
    sp_guard_trip(g, ep, SP_GUARD_PHYSICS_DIVERGED, channel, value, limit,
                  SP_GUARD_POLICY_TERMINATE);
}

/* A machine trip's effect, the same whether measured or injected: truncation, unless the step
 * already ends the episode (an env termination is more telling, max_steps came first). */
static void machine_effect(int reason, int policy, sp_step_result* r) {
    if (policy != SP_GUARD_POLICY_TRUNCATE || r->terminated || r->truncated) return;
    r->truncated = true;
    r->reason = sp_guard_reason_name(reason);
}

static void machine_trip(sp_guard* g, sp_episode* ep, sp_step_result* r, int reason, double value,
                         double limit, sp_guard_policy policy) {
    sp_guard_trip(g, ep, reason, -1, value, limit, policy);
    machine_effect(reason, policy, r);
}

static void measure(sp_guard* g, sp_episode* ep, sp_step_result* r) {
    const sp_guard_def* d = &g->def;
    if (g->timing_step) {
        double s = 1e-9 * (double)(clock_ns(CLOCK_MONOTONIC) - g->step_start_ns);
        if (s > d->step_compute_s)
            machine_trip(g, ep, r, SP_GUARD_STEP_COMPUTE, s, d->step_compute_s, d->step_compute);
    }
    if (g->cpu_sampling) {
        g->cpu_sampling = false;
        int64_t spent = clock_ns(CLOCK_THREAD_CPUTIME_ID) - g->cpu_start_ns;
        g->cpu_used_s += 1e-9 * (double)spent * SP_GUARD_CPU_SAMPLE_STEPS;
        if (g->cpu_used_s > d->cpu_s)
            machine_trip(g, ep, r, SP_GUARD_CPU_TIME, g->cpu_used_s, d->cpu_s,
                         SP_GUARD_POLICY_TRUNCATE);
    }
}

/* Seconds since the episode's reset on the monotonic clock. */
static double wall_elapsed(const sp_guard* g) {
    return 1e-9 * (double)(clock_ns(CLOCK_MONOTONIC) - g->wall_start_ns);
}

bool sp_guard_wall_ran_out(sp_guard* g, sp_episode* ep) {
    if (g->replay) {
        /* The recorded trip, where the record put it; the other injected events wait for
         * on_result. */
        for (int i = 0; i < g->injected_count; i++) {
            if (g->injected[i].code != SP_GUARD_WALL_CLOCK) continue;
            sp_event e = g->injected[i];
            memmove(&g->injected[i], &g->injected[i + 1],
                    sizeof e * (size_t)(g->injected_count - i - 1));
            g->injected_count--;
            sp_episode_emit(ep, &e);
            g->total_trips[e.code]++;
            if (g->step_trips[e.code] < UINT8_MAX) g->step_trips[e.code]++;
            g->step_tripped = true;
            return true;
        }
        return false;
    }
    const sp_guard_def* d = &g->def;
    double s;
    if (g->expiring) {
        s = g->expired_s; /* sp_guard_expire measured it */
    } else {
        /* This step's number: steps 8, 16, ... read the clock. */
        int step = sp_episode_step_count(ep) + 1;
        if (!(d->wall_clock_s > 0.0) || step % SP_GUARD_WALL_SAMPLE_STEPS != 0) return false;
        s = wall_elapsed(g);
        if (!(s > d->wall_clock_s)) return false;
    }
    sp_guard_trip(g, ep, SP_GUARD_WALL_CLOCK, -1, s, d->wall_clock_s, SP_GUARD_POLICY_TRUNCATE);
    return true;
}

/* A running episode whose wall clock is measured (not in replay mode). */
static bool wall_clock_runs(const sp_guard* g) {
    return !g->replay && g->def.wall_clock_s > 0.0 && g->episode && sp_episode_running(g->episode);
}

double sp_guard_wall_deadline(const sp_guard* g) {
    if (!wall_clock_runs(g)) return INFINITY;
    return 1e-9 * (double)g->wall_start_ns + g->def.wall_clock_s;
}

int sp_guard_expire(sp_guard* g, sp_step_result* r) {
    if (!wall_clock_runs(g)) return 0;
    double s = wall_elapsed(g);
    if (!(s > g->def.wall_clock_s)) return 0;
    /* Index 0 and zeros: valid for every env, and never applied (the step is halted). */
    sp_action rest;
    memset(&rest, 0, sizeof rest);
    g->expiring = true;
    g->expired_s = s;
    sp_step_result out;
    int rc = sp_episode_step(g->episode, &rest, &out, NULL, 0);
    g->expiring = false;
    if (rc != SP_OK) return rc;
    if (r) *r = out;
    return 1;
}

/* The episode's constraint cost, Safety-Gymnasium style: reported every step it is positive,
 * ending the episode (terminated) once the sum passes the limit under `terminate`. */
static void constrain(sp_guard* g, sp_episode* ep, const sp_action* a, sp_step_result* r) {
    const sp_guard_def* d = &g->def;
    double cost = d->constraint_cost(d->constraint_user, ep, a);
    if (!(cost > 0.0)) return;
    g->step_cost = cost;
    g->cost_total += cost;
    bool ends = d->constraint == SP_GUARD_POLICY_TERMINATE && g->cost_total > d->constraint_limit;
    sp_guard_trip(g, ep, SP_GUARD_CONSTRAINT, -1, cost, d->constraint_limit,
                  ends ? SP_GUARD_POLICY_TERMINATE : SP_GUARD_POLICY_COUNT);
    if (ends && !r->terminated) {
        r->terminated = true;
        r->truncated = false;
        r->reason = sp_guard_reason_name(SP_GUARD_CONSTRAINT);
    }
}

void sp_guard_on_result(void* self, sp_episode* ep, const sp_action* a, sp_step_result* r) {
    sp_guard* g = self;
    /* The env judged a broken world: its reward and termination mean nothing. */
    if (g->diverged) {
        r->reward = 0.0;
        r->terminated = true;
        r->truncated = false;
        r->reason = sp_guard_reason_name(SP_GUARD_PHYSICS_DIVERGED);
    }
    /* A step that was not simulated (halted, here or before this layer) has no new state to
     * cost, time or commit. */
    bool simulated = g->acted && !g->halted;
    g->step_cost = 0.0;
    if (g->def.constraint_cost && simulated && !g->diverged) constrain(g, ep, a, r);
    if (g->clocks_per_step && !g->replay && simulated) measure(g, ep, r);
    g->cpu_sampling = false;
    for (int i = 0; i < g->injected_count; i++) {
        const sp_event* e = &g->injected[i];
        sp_episode_emit(ep, e);
        g->total_trips[e->code]++;
        if (g->step_trips[e->code] < UINT8_MAX) g->step_trips[e->code]++;
        g->step_tripped = true;
        machine_effect(e->code, e->flags, r);
    }
    g->injected_count = 0;

    if (simulated) {
        if (g->rate_on) memcpy(g->prev, g->next_prev, sizeof(float) * (size_t)g->channels);
        g->budget_used = g->next_budget_used;
        g->budget_spent = g->next_budget_spent;
    }
    if (g->step_tripped) {
        for (int i = 1; i < SP_GUARD_SLOTS; i++) {
            g->trips[i] += g->step_trips[i];
            /* A machine trip stays out of the hash: it depends on timing, and what it changes
             * (the step's end) is in the record, from which a replay re-applies it. */
            if (sp_guard_reason_source(i) == SP_EVENT_MACHINE) continue;
            /* Each trip's reason and step, folded in order (an odd multiplier keeps every
             * bit): one word stands for the episode's whole trip history in the hash. */
            uint64_t trip = (uint64_t)r->step << 8 | (uint64_t)i;
            for (int k = 0; k < g->step_trips[i]; k++)
                g->trip_digest = (g->trip_digest ^ trip) * 0x9E3779B97F4A7C15ull;
        }
        memset(g->step_trips, 0, sizeof g->step_trips);
        g->step_tripped = false;
    }
    g->acted = g->halted = g->diverged = false;
}
