/* Guardrails: one test per guardrail and policy, with the exact reason and the event emitted;
 * machine events and their replay; and the promise that guardrails which never trip change
 * nothing an agent sees. */

#include <chipmunk/chipmunk_structs.h>
#include <math.h>
#include <time.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "sandpit/guard.h"
#include "world_chipmunk.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static sp_episode* make(const char* id) {
    char err[128];
    const sp_env_class* env = sp_env_find(id);
    if (!env) return NULL;
    sp_episode_def def = sp_default_episode_def(env);
    return sp_episode_create(&def, err, sizeof err);
}

/* An episode of `id` behind guardrails `d`, reset with `seed`. */
static sp_episode* make_guarded(const char* id, const sp_guard_def* d, sp_guard** out,
                                uint64_t seed) {
    char err[256];
    sp_episode* ep = make(id);
    if (!ep) return NULL;
    *out = sp_guard_create(d, sp_episode_spec(ep), err, sizeof err);
    if (!*out) {
        fprintf(stderr, "guard: %s\n", err);
        sp_episode_destroy(ep);
        return NULL;
    }
    if (sp_guard_attach(*out, ep) != 0) return NULL;
    sp_episode_reset(ep, &seed);
    return ep;
}

static sp_episode* make_plain(const char* id, uint64_t seed) {
    sp_episode* ep = make(id);
    if (ep) sp_episode_reset(ep, &seed);
    return ep;
}

/* An episode of `id` behind guardrails `d` in replay mode (no clock is read), reset with
 * `seed`: what a verifier rebuilds. */
static sp_episode* make_replaying(const char* id, const sp_guard_def* d, sp_guard** out,
                                  uint64_t seed) {
    char err[256];
    sp_episode* ep = make(id);
    if (!ep || !(*out = sp_guard_create(d, sp_episode_spec(ep), err, sizeof err)) ||
        sp_guard_attach(*out, ep) != 0)
        return NULL;
    sp_guard_set_replay(*out, true);
    sp_episode_reset(ep, &seed);
    return ep;
}

static void destroy(sp_episode* ep, sp_guard* g) {
    sp_episode_destroy(ep);
    sp_guard_destroy(g);
}

/* Bodies only: the full episode hash also covers the guard's own state. */
static uint64_t world_hash(sp_episode* ep) {
    sp_hash h = sp_hash_begin();
    sp_world_hash(sp_episode_world(ep), &h);
    return h.h;
}

static sp_action act1(float v) {
    sp_action a;
    memset(&a, 0, sizeof a);
    a.value[0] = v;
    return a;
}

static sp_action act_index(int i) {
    sp_action a;
    memset(&a, 0, sizeof a);
    a.index = i;
    return a;
}

/* The only event of the last step with this source and code, or NULL. */
static const sp_event* event_of(const sp_episode* ep, int source, int code) {
    const sp_event* found = NULL;
    for (int i = 0; i < sp_episode_event_count(ep); i++) {
        const sp_event* e = &sp_episode_events(ep)[i];
        if (e->source != source || e->code != code) continue;
        if (found) return NULL;
        found = e;
    }
    return found;
}

static int step(sp_episode* ep, sp_action a, sp_step_result* r, char* err, size_t n) {
    return sp_episode_step(ep, &a, r, err, n);
}

static const char* reason_of(const sp_step_result* r) {
    return r->reason ? r->reason : "";
}

#define CONT "CartPoleContinuous-v0"

/* ---- the lists -------------------------------------------------------------------------- */

static void reasons_and_policies_are_listed_once(void) {
    ENSURE(SP_GUARD_REASON_COUNT == 9);
    for (int r = 1; r <= SP_GUARD_REASON_COUNT; r++) {
        const char* name = sp_guard_reason_name(r);
        ENSURE_MSG(name != NULL, "reason %d", r);
        ENSURE(sp_guard_reason_from_name(name) == r);
        for (int q = 1; q < r; q++)
            ENSURE(strcmp(name, sp_guard_reason_name(q)) != 0);
        int src = sp_guard_reason_source(r);
        ENSURE(src == SP_EVENT_GUARD || src == SP_EVENT_MACHINE);
    }
    ENSURE(sp_guard_reason_name(0) == NULL && sp_guard_reason_name(10) == NULL);
    ENSURE(sp_guard_reason_from_name("no_such_reason") == -1);
    ENSURE(sp_guard_reason_from_name(NULL) == -1);
    /* Exactly the machine-dependent ones are machine events. */
    ENSURE(sp_guard_reason_source(SP_GUARD_WALL_CLOCK) == SP_EVENT_MACHINE);
    ENSURE(sp_guard_reason_source(SP_GUARD_CPU_TIME) == SP_EVENT_MACHINE);
    ENSURE(sp_guard_reason_source(SP_GUARD_STEP_COMPUTE) == SP_EVENT_MACHINE);
    ENSURE(sp_guard_reason_source(SP_GUARD_PHYSICS_DIVERGED) == SP_EVENT_GUARD);
    ENSURE(!strcmp(sp_guard_reason_name(SP_GUARD_ACTION_OUT_OF_BOUNDS), "action_out_of_bounds"));
    ENSURE(!strcmp(sp_guard_reason_name(SP_GUARD_PHYSICS_DIVERGED), "physics_diverged"));
    for (int p = 1; p <= 6; p++) {
        ENSURE(sp_guard_policy_name(p) != NULL);
        ENSURE(sp_guard_policy_from_name(sp_guard_policy_name(p)) == p);
    }
    ENSURE(sp_guard_policy_name(0) == NULL && sp_guard_policy_from_name("nope") == -1);
    for (int b = 0; b <= 3; b++)
        ENSURE(sp_guard_budget_from_name(sp_guard_budget_name(b)) == b);
    ENSURE(sp_guard_budget_name(4) == NULL);
}

/* docs/GUARDRAILS.md names every reason, policy and budget kind the code knows. */
static void docs_name_every_reason_policy_and_budget(void) {
    FILE* f = fopen(SP_SOURCE_DIR "/docs/GUARDRAILS.md", "rb");
    ENSURE_MSG(f != NULL, "cannot open docs/GUARDRAILS.md");
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    char quoted[64];
    for (int r = 1; r <= SP_GUARD_REASON_COUNT; r++) {
        snprintf(quoted, sizeof quoted, "`%s`", sp_guard_reason_name(r));
        ENSURE_MSG(strstr(doc, quoted), "docs/GUARDRAILS.md lacks %s", quoted);
    }
    for (int p = 1; p <= 6; p++) {
        snprintf(quoted, sizeof quoted, "`%s`", sp_guard_policy_name(p));
        ENSURE_MSG(strstr(doc, quoted), "docs/GUARDRAILS.md lacks %s", quoted);
    }
    for (int b = 0; b <= 3; b++) {
        snprintf(quoted, sizeof quoted, "`%s`", sp_guard_budget_name(b));
        ENSURE_MSG(strstr(doc, quoted), "docs/GUARDRAILS.md lacks %s", quoted);
    }
}

/* ---- the def ---------------------------------------------------------------------------- */

static void defaults_are_generous_and_valid_for_every_env(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    ENSURE(d.actuators[0].bounds == SP_GUARD_POLICY_CLIP);
    ENSURE(d.actuators[SP_MAX_ACTUATORS - 1].nonfinite == SP_GUARD_POLICY_REJECT);
    ENSURE(d.actuators[0].max_delta == 0.0 && d.actuators[0].rate == SP_GUARD_POLICY_CLIP);
    ENSURE(d.actuators[0].budget_weight == 1.0);
    ENSURE(d.budget == SP_GUARD_BUDGET_NONE && d.budget_noop == -1);
    ENSURE(d.wall_clock_s == 3600.0 && d.cpu_s == 0.0 && d.step_compute_s == 0.0);
    ENSURE(d.step_compute == SP_GUARD_POLICY_COUNT);
    ENSURE(d.physics_sanity && d.max_speed == 1e4 && d.max_angular_speed == 1e4);
    ENSURE(d.max_kinetic_energy == 1e9);
    ENSURE(d.constraint_cost == NULL && d.constraint == SP_GUARD_POLICY_COUNT);
    char err[256];
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_spec* spec = sp_env_at(e)->spec;
        sp_guard_def ds = sp_default_guard_def(spec);
        sp_guard* g = sp_guard_create(&ds, spec, err, sizeof err);
        ENSURE_MSG(g != NULL, "%s: %s", spec->id, err);
        sp_guard_destroy(g);
    }
    sp_guard_destroy(NULL);
}

static bool refused(const sp_guard_def* d, const char* id, const char* needle) {
    char err[256] = "";
    sp_guard* g = sp_guard_create(d, sp_env_find(id)->spec, err, sizeof err);
    if (g) {
        sp_guard_destroy(g);
        return false;
    }
    if (!strstr(err, needle)) fprintf(stderr, "message '%s' lacks '%s'\n", err, needle);
    return strstr(err, needle) != NULL;
}

static void bad_defs_are_refused_with_a_message(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.actuators[0].bounds = SP_GUARD_POLICY_ZERO;
    ENSURE(refused(&d, CONT, "cart.force: bounds policy"));
    d = sp_default_guard_def(NULL);
    d.actuators[0].nonfinite = SP_GUARD_POLICY_CLIP;
    ENSURE(refused(&d, CONT, "NaN/Inf policy"));
    d = sp_default_guard_def(NULL);
    d.actuators[0].rate = SP_GUARD_POLICY_TRUNCATE;
    ENSURE(refused(&d, CONT, "rate policy"));
    d = sp_default_guard_def(NULL);
    d.actuators[0].max_delta = -1.0;
    ENSURE(refused(&d, CONT, "max_delta"));
    d.actuators[0].max_delta = NAN;
    ENSURE(refused(&d, CONT, "max_delta"));
    d = sp_default_guard_def(NULL);
    d.budget = SP_GUARD_BUDGET_ABS;
    ENSURE(refused(&d, CONT, "budget_limit"));
    ENSURE(refused(&d, "CartPole-v0", "discrete"));
    d.budget_limit = 1.0;
    d.budget_policy = SP_GUARD_POLICY_CLIP;
    ENSURE(refused(&d, CONT, "budget policy"));
    d = sp_default_guard_def(NULL);
    d.budget = SP_GUARD_BUDGET_ACTIONS;
    d.budget_limit = 3.0;
    d.budget_policy = SP_GUARD_POLICY_ZERO;
    ENSURE(refused(&d, "CartPole-v0", "budget_noop"));
    d.budget_noop = 2;
    ENSURE(refused(&d, "CartPole-v0", "budget_noop 2"));
    d = sp_default_guard_def(NULL);
    d.budget = (sp_guard_budget)7;
    ENSURE(refused(&d, CONT, "budget must be"));
    d = sp_default_guard_def(NULL);
    d.wall_clock_s = -1.0;
    ENSURE(refused(&d, CONT, "wall_clock_s"));
    d = sp_default_guard_def(NULL);
    d.step_compute = SP_GUARD_POLICY_TERMINATE;
    ENSURE(refused(&d, CONT, "step_compute policy"));
    d = sp_default_guard_def(NULL);
    d.max_kinetic_energy = NAN;
    ENSURE(refused(&d, CONT, "max_kinetic_energy"));
    d = sp_default_guard_def(NULL);
    d.constraint = SP_GUARD_POLICY_REJECT;
    ENSURE(refused(&d, CONT, "constraint policy"));
    char err[64];
    ENSURE(sp_guard_create(NULL, sp_env_find(CONT)->spec, err, sizeof err) == NULL);
    d = sp_default_guard_def(NULL);
    ENSURE(sp_guard_create(&d, NULL, err, sizeof err) == NULL);

    /* Attach checks the env and that a guard serves one episode. */
    sp_guard* g = sp_guard_create(&d, sp_env_find(CONT)->spec, err, sizeof err);
    sp_episode* other = make("CartPole-v0");
    sp_episode* ep = make(CONT);
    ENSURE(sp_guard_attach(g, other) == SP_E_BAD_ARGUMENT);
    ENSURE(sp_guard_attach(g, ep) == SP_OK);
    ENSURE(sp_guard_attach(g, ep) == SP_E_BAD_ARGUMENT);
    sp_episode_destroy(other);
    destroy(ep, g);
}

/* Per-reset guardrails: a new def waits for the next reset; a bad one changes nothing. */
static void set_def_applies_from_the_next_reset(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 25);
    ENSURE(ep);
    sp_guard_def strict = d;
    strict.actuators[0].bounds = SP_GUARD_POLICY_REJECT;
    char err[160];
    ENSURE(sp_guard_set_def(g, &strict, err, sizeof err) == 0);
    sp_step_result r;
    ENSURE(step(ep, act1(20.0f), &r, err, sizeof err) == 0); /* still clipped */
    ENSURE(event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_OUT_OF_BOUNDS)->flags ==
           SP_GUARD_POLICY_CLIP);
    uint64_t seed = 25;
    sp_episode_reset(ep, &seed);
    ENSURE(step(ep, act1(20.0f), &r, err, sizeof err) == SP_E_BAD_ACTION);
    sp_guard_def bad = strict;
    bad.actuators[0].bounds = SP_GUARD_POLICY_ZERO;
    ENSURE(sp_guard_set_def(g, &bad, err, sizeof err) == SP_E_BAD_ARGUMENT);
    ENSURE(strstr(err, "cart.force: bounds policy"));
    ENSURE(sp_guard_set_def(g, NULL, err, sizeof err) == SP_E_BAD_ARGUMENT);
    sp_episode_reset(ep, &seed);
    ENSURE(step(ep, act1(20.0f), &r, err, sizeof err) == SP_E_BAD_ACTION);
    destroy(ep, g);
}

/* ---- actions: bounds -------------------------------------------------------------------- */

/* For every continuous env (CartPoleContinuous-v0 and whichever others are registered), a
 * value beyond a bound is held at it: the same world as sending the bound itself. */
static void bounds_clip_holds_the_value_at_the_bound(void) {
    int tested = 0;
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_spec* spec = sp_env_at(e)->spec;
        if (spec->action_kind != SP_ACTION_CONTINUOUS) continue;
        sp_guard_def d = sp_default_guard_def(spec);
        sp_guard* g;
        sp_episode* guarded = make_guarded(spec->id, &d, &g, 21);
        sp_episode* plain = make_plain(spec->id, 21);
        ENSURE(guarded && plain);
        for (int side = 0; side < 2; side++) {
            sp_action big, edge;
            memset(&big, 0, sizeof big);
            memset(&edge, 0, sizeof edge);
            for (int c = 0; c < spec->actuator_count; c++) {
                double bound = side ? spec->actuators[c].low : spec->actuators[c].high;
                big.value[c] = (float)(bound + (side ? -1.0 : 1.0) * (2.0 + fabs(bound)));
                edge.value[c] = (float)bound;
            }
            sp_step_result rg, rp;
            char err[160];
            ENSURE(sp_episode_step(guarded, &big, &rg, err, sizeof err) == 0);
            ENSURE(sp_episode_step(plain, &edge, &rp, err, sizeof err) == 0);
            ENSURE_MSG(world_hash(guarded) == world_hash(plain), "%s", spec->id);
            ENSURE(rg.reward == rp.reward && rg.terminated == rp.terminated);
            ENSURE(sp_episode_event_count(guarded) == spec->actuator_count);
            const sp_event* ev = &sp_episode_events(guarded)[0];
            ENSURE(ev->source == SP_EVENT_GUARD && ev->code == SP_GUARD_ACTION_OUT_OF_BOUNDS);
            ENSURE(ev->channel == 0 && ev->flags == SP_GUARD_POLICY_CLIP);
            ENSURE(ev->value == big.value[0] && ev->limit == edge.value[0]);
            if (rg.terminated) break;
        }
        ENSURE(sp_guard_episode_trips(g, SP_GUARD_ACTION_OUT_OF_BOUNDS) >= 1);
        destroy(guarded, g);
        sp_episode_destroy(plain);
        tested++;
    }
    ENSURE(tested >= 1);
}

static void bounds_reject_refuses_and_leaves_the_episode_untouched(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.actuators[0].bounds = SP_GUARD_POLICY_REJECT;
    sp_guard *g, *g_twin;
    sp_episode* ep = make_guarded(CONT, &d, &g, 4);
    sp_episode* twin = make_guarded(CONT, &d, &g_twin, 4);
    ENSURE(ep && twin);
    sp_step_result r, rt;
    char err[200];
    ENSURE(step(ep, act1(3.0f), &r, err, sizeof err) == 0);
    ENSURE(step(twin, act1(3.0f), &rt, err, sizeof err) == 0);
    uint64_t hash = sp_episode_hash(ep);
    float obs[SP_MAX_SENSORS];
    memcpy(obs, sp_episode_obs(ep), sizeof(float) * 4);

    ENSURE(step(ep, act1(12.5f), &r, err, sizeof err) == SP_E_BAD_ACTION);
    ENSURE_MSG(strstr(err, "cart.force") && strstr(err, "12.5") && strstr(err, "10") &&
                   strstr(err, "action_out_of_bounds"),
               "message: %s", err);
    ENSURE(step(ep, act1(-11.0f), &r, err, sizeof err) == SP_E_BAD_ACTION);
    ENSURE(strstr(err, "-11") && strstr(err, "-10"));
    /* The refused attempt's event says why; nothing else moved. */
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_OUT_OF_BOUNDS);
    ENSURE(ev && ev->value == -11.0f && ev->limit == -10.0f && ev->channel == 0);
    ENSURE(ev->flags == SP_GUARD_POLICY_REJECT);
    ENSURE(sp_episode_hash(ep) == hash);
    ENSURE(sp_episode_step_count(ep) == 1);
    ENSURE(memcmp(obs, sp_episode_obs(ep), sizeof(float) * 4) == 0);
    ENSURE(sp_guard_trips(g, SP_GUARD_ACTION_OUT_OF_BOUNDS) == 2);
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_ACTION_OUT_OF_BOUNDS) == 0);

    /* It goes on exactly as an episode that never saw the refused actions. */
    for (int k = 0; k < 5; k++) {
        float v = (float)(k % 2 ? -4.0 : 4.0);
        ENSURE(step(ep, act1(v), &r, err, sizeof err) == 0);
        ENSURE(step(twin, act1(v), &rt, err, sizeof err) == 0);
        ENSURE(r.hash == rt.hash && r.step == rt.step);
    }
    destroy(ep, g);
    destroy(twin, g_twin);
}

/* Shared by every terminate policy: the step counts, nothing moved, the episode is over. */
static void ensure_halted(sp_episode* ep, const sp_step_result* r, uint64_t world_before,
                          const float* obs_before, int steps_before, const char* reason) {
    char err[64];
    ENSURE_MSG(r->terminated && !r->truncated && !strcmp(reason_of(r), reason), "%s: %s", reason,
               reason_of(r));
    ENSURE(r->reward == 0.0 && r->step == steps_before + 1);
    ENSURE(world_hash(ep) == world_before);
    ENSURE(memcmp(obs_before, sp_episode_obs(ep), sizeof(float) * 4) == 0);
    sp_step_result again;
    ENSURE(step(ep, act1(0.0f), &again, err, sizeof err) == SP_E_NEEDS_RESET);
}

static void bounds_terminate_ends_the_episode_without_applying_the_action(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.actuators[0].bounds = SP_GUARD_POLICY_TERMINATE;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 5);
    ENSURE(ep);
    sp_step_result r;
    char err[128];
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0);
    uint64_t before = world_hash(ep);
    float obs[4];
    memcpy(obs, sp_episode_obs(ep), sizeof obs);
    ENSURE(step(ep, act1(30.0f), &r, err, sizeof err) == 0);
    ensure_halted(ep, &r, before, obs, 1, "action_out_of_bounds");
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_OUT_OF_BOUNDS);
    ENSURE(ev && ev->value == 30.0f && ev->limit == 10.0f);
    ENSURE(ev->flags == SP_GUARD_POLICY_TERMINATE);
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_ACTION_OUT_OF_BOUNDS) == 1);
    /* A reset starts a clean episode. */
    uint64_t seed = 5;
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_ACTION_OUT_OF_BOUNDS) == 0);
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0 && !r.terminated);
    destroy(ep, g);
}

/* ---- actions: NaN/Inf ------------------------------------------------------------------- */

static void nan_reject_refuses_nan_and_inf(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 6);
    ENSURE(ep);
    uint64_t hash = sp_episode_hash(ep);
    sp_step_result r;
    char err[128];
    ENSURE(step(ep, act1(NAN), &r, err, sizeof err) == SP_E_BAD_ACTION);
    ENSURE_MSG(strstr(err, "cart.force is NaN") && strstr(err, "action_nan"), "%s", err);
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_NAN);
    ENSURE(ev && isnan(ev->value) && ev->channel == 0 && ev->flags == SP_GUARD_POLICY_REJECT);
    ENSURE(step(ep, act1(-INFINITY), &r, err, sizeof err) == SP_E_BAD_ACTION);
    ENSURE(strstr(err, "Inf"));
    ENSURE(sp_episode_hash(ep) == hash && sp_episode_step_count(ep) == 0);
    ENSURE(sp_guard_trips(g, SP_GUARD_ACTION_NAN) == 2);
    destroy(ep, g);
}

static void nan_terminate_ends_the_episode(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.actuators[0].nonfinite = SP_GUARD_POLICY_TERMINATE;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 7);
    ENSURE(ep);
    uint64_t before = world_hash(ep);
    float obs[4];
    memcpy(obs, sp_episode_obs(ep), sizeof obs);
    sp_step_result r;
    char err[128];
    ENSURE(step(ep, act1(INFINITY), &r, err, sizeof err) == 0);
    ensure_halted(ep, &r, before, obs, 0, "action_nan");
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_NAN);
    ENSURE(ev && isinf(ev->value) && ev->flags == SP_GUARD_POLICY_TERMINATE);
    destroy(ep, g);
}

/* ---- actions: rate of change ------------------------------------------------------------ */

static void rate_clip_limits_the_change_per_step_from_rest(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.actuators[0].max_delta = 2.0;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 8);
    sp_episode* plain = make_plain(CONT, 8);
    ENSURE(ep && plain);
    /* requested -> applied: from rest (0) at most 2 per step. */
    const float asked[] = {5.0f, 3.0f, -10.0f, -1.0f, -1.0f};
    const float applied[] = {2.0f, 3.0f, 1.0f, -1.0f, -1.0f};
    const bool trips[] = {true, false, true, false, false};
    sp_step_result r, rp;
    char err[128];
    for (int k = 0; k < 5; k++) {
        ENSURE(step(ep, act1(asked[k]), &r, err, sizeof err) == 0);
        ENSURE(step(plain, act1(applied[k]), &rp, err, sizeof err) == 0);
        ENSURE_MSG(world_hash(ep) == world_hash(plain), "step %d", k + 1);
        const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_RATE);
        ENSURE((ev != NULL) == trips[k]);
        if (ev) ENSURE(ev->limit == 2.0f && ev->flags == SP_GUARD_POLICY_CLIP);
    }
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_ACTION_RATE) == 2);
    destroy(ep, g);
    sp_episode_destroy(plain);
}

static void rate_reject_and_terminate(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.actuators[0].max_delta = 2.0;
    d.actuators[0].rate = SP_GUARD_POLICY_REJECT;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 9);
    ENSURE(ep);
    sp_step_result r;
    char err[160];
    ENSURE(step(ep, act1(1.5f), &r, err, sizeof err) == 0);
    uint64_t hash = sp_episode_hash(ep);
    ENSURE(step(ep, act1(4.0f), &r, err, sizeof err) == SP_E_BAD_ACTION);
    ENSURE_MSG(strstr(err, "cart.force changes by 2.5") && strstr(err, "action_rate"), "%s", err);
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_RATE);
    ENSURE(ev && ev->value == 2.5f && ev->limit == 2.0f && ev->flags == SP_GUARD_POLICY_REJECT);
    ENSURE(sp_episode_hash(ep) == hash && sp_episode_step_count(ep) == 1);
    ENSURE(step(ep, act1(3.5f), &r, err, sizeof err) == 0);
    destroy(ep, g);

    d.actuators[0].rate = SP_GUARD_POLICY_TERMINATE;
    ep = make_guarded(CONT, &d, &g, 9);
    ENSURE(ep);
    ENSURE(step(ep, act1(-2.0f), &r, err, sizeof err) == 0);
    uint64_t before = world_hash(ep);
    float obs[4];
    memcpy(obs, sp_episode_obs(ep), sizeof obs);
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0);
    ensure_halted(ep, &r, before, obs, 1, "action_rate");
    ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_RATE);
    ENSURE(ev && ev->value == 3.0f && ev->flags == SP_GUARD_POLICY_TERMINATE);
    destroy(ep, g);
}

/* ---- actions: the episode budget -------------------------------------------------------- */

static void budget_abs_terminate_ends_at_the_step_that_would_overdraw(void) {
    /* CartPoleContinuous holds an action for 2 x 0.01 s: |10 N| costs 0.2 N s a step. */
    sp_guard_def d = sp_default_guard_def(NULL);
    d.budget = SP_GUARD_BUDGET_ABS;
    d.budget_limit = 1.1;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 10);
    ENSURE(ep);
    sp_step_result r;
    char err[128];
    for (int k = 0; k < 5; k++) {
        ENSURE(step(ep, act1(k % 2 ? -10.0f : 10.0f), &r, err, sizeof err) == 0);
        ENSURE(!r.terminated && sp_episode_event_count(ep) == 0);
    }
    ENSURE(fabs(sp_guard_budget_used(g) - 1.0) < 1e-12);
    uint64_t before = world_hash(ep);
    float obs[4];
    memcpy(obs, sp_episode_obs(ep), sizeof obs);
    ENSURE(step(ep, act1(10.0f), &r, err, sizeof err) == 0);
    ensure_halted(ep, &r, before, obs, 5, "action_budget");
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_BUDGET);
    ENSURE(ev && ev->channel == -1 && ev->flags == SP_GUARD_POLICY_TERMINATE);
    ENSURE(fabsf(ev->value - 1.2f) < 1e-6f && ev->limit == 1.1f);
    ENSURE(fabs(sp_guard_budget_used(g) - 1.0) < 1e-12); /* never overdrawn */
    destroy(ep, g);
}

static void budget_square_zero_cuts_the_actuator_off(void) {
    /* 10 N squared for 0.02 s costs 2 a step: two steps fit in 5, the third is zeroed, and so
     * is every step after it. */
    sp_guard_def d = sp_default_guard_def(NULL);
    d.budget = SP_GUARD_BUDGET_SQUARE;
    d.budget_limit = 5.0;
    d.budget_policy = SP_GUARD_POLICY_ZERO;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 11);
    sp_episode* plain = make_plain(CONT, 11);
    ENSURE(ep && plain);
    const float asked[] = {10.0f, -10.0f, 10.0f, 0.5f, -0.5f};
    const float applied[] = {10.0f, -10.0f, 0.0f, 0.0f, 0.0f};
    sp_step_result r, rp;
    char err[128];
    for (int k = 0; k < 5; k++) {
        ENSURE(step(ep, act1(asked[k]), &r, err, sizeof err) == 0);
        ENSURE(step(plain, act1(applied[k]), &rp, err, sizeof err) == 0);
        ENSURE_MSG(world_hash(ep) == world_hash(plain), "step %d", k + 1);
        ENSURE(!r.terminated && r.reward == rp.reward);
        const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_ACTION_BUDGET);
        ENSURE((ev != NULL) == (k >= 2));
        if (ev) ENSURE(ev->flags == SP_GUARD_POLICY_ZERO && ev->limit == 5.0f);
    }
    ENSURE(sp_guard_budget_used(g) == 4.0);
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_ACTION_BUDGET) == 3);
    destroy(ep, g);
    sp_episode_destroy(plain);
}

/* Discrete envs count actions that are not the noop. */
static void budget_counts_discrete_actions(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.budget = SP_GUARD_BUDGET_ACTIONS;
    d.budget_limit = 3.0;
    sp_guard* g;
    sp_episode* ep = make_guarded("CartPole-v0", &d, &g, 12);
    ENSURE(ep);
    sp_step_result r;
    char err[128];
    for (int k = 0; k < 3; k++)
        ENSURE(step(ep, act_index(k % 2), &r, err, sizeof err) == 0);
    ENSURE(sp_guard_budget_used(g) == 3.0 && !r.terminated);
    ENSURE(step(ep, act_index(1), &r, err, sizeof err) == 0);
    ENSURE(r.terminated && !strcmp(reason_of(&r), "action_budget") && r.step == 4);
    destroy(ep, g);

    /* Where the env has a noop (Lander-v0, when registered), `zero` substitutes it. */
    const sp_env_class* lander = sp_env_find("Lander-v0");
    if (!lander || strcmp(lander->spec->action_names[0], "noop") != 0) return;
    d.budget_limit = 2.0;
    d.budget_policy = SP_GUARD_POLICY_ZERO;
    d.budget_noop = 0;
    ep = make_guarded("Lander-v0", &d, &g, 13);
    sp_episode* plain = make_plain("Lander-v0", 13);
    ENSURE(ep && plain);
    const int asked[] = {2, 0, 0, 2, 2, 1};
    const int applied[] = {2, 0, 0, 2, 0, 0};
    sp_step_result rp;
    for (int k = 0; k < 6; k++) {
        ENSURE(step(ep, act_index(asked[k]), &r, err, sizeof err) == 0);
        ENSURE(step(plain, act_index(applied[k]), &rp, err, sizeof err) == 0);
        ENSURE_MSG(world_hash(ep) == world_hash(plain), "Lander step %d", k + 1);
        ENSURE(r.reward == rp.reward);
    }
    ENSURE(sp_guard_budget_used(g) == 2.0);
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_ACTION_BUDGET) == 2);
    destroy(ep, g);
    sp_episode_destroy(plain);
}

/* ---- physics sanity --------------------------------------------------------------------- */

/* Corrupts a CartPoleContinuous world between steps; the next step must end the episode with
 * `channel` (a body index, -1 for energy) and `limit` in the event. */
static void diverged(cpBody* (*corrupt)(sp_world*), const sp_guard_def* d, int channel,
                     float limit) {
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, d, &g, 14);
    ENSURE(ep);
    sp_step_result r;
    char err[128];
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0);
    corrupt(sp_episode_world(ep));
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0);
    ENSURE_MSG(r.terminated && !r.truncated && !strcmp(reason_of(&r), "physics_diverged"), "%s",
               reason_of(&r));
    ENSURE(r.reward == 0.0 && r.step == 2);
    for (int i = 0; i < 4; i++)
        ENSURE(sp_episode_obs(ep)[i] == 0.0f);
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_PHYSICS_DIVERGED);
    ENSURE(ev && ev->flags == SP_GUARD_POLICY_TERMINATE && ev->limit == limit);
    ENSURE_MSG(ev->channel == channel, "channel %d", ev->channel);
    ENSURE(ev->value > limit);
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_PHYSICS_DIVERGED) == 1);
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == SP_E_NEEDS_RESET);
    destroy(ep, g);
}

/* Along the rail, where the groove lets the cart move freely. */
static cpBody* fast_cart(sp_world* w) {
    cpBody* cart = sp_world_body(w, 0);
    cpBodySetVelocity(cart, cpv(3.0, 0.0));
    return cart;
}

/* The pivot leaves the pole free to spin. */
static cpBody* spinning_pole(sp_world* w) {
    cpBody* pole = sp_world_body(w, 1);
    cpBodySetAngularVelocity(pole, 20.0);
    return pole;
}

static cpBody* brisk(sp_world* w) {
    cpBody* cart = sp_world_body(w, 0);
    cpBodySetVelocity(cart, cpv(100.0, 0.0));
    return cart;
}

static void physics_sanity_terminates_runaway_worlds_with_zero_observations(void) {
    /* Limits low enough for a corrupted, but physical, state to pass them. */
    sp_guard_def d = sp_default_guard_def(NULL);
    d.max_speed = 0.5;
    diverged(fast_cart, &d, 0, 0.5f);
    d = sp_default_guard_def(NULL);
    d.max_angular_speed = 1.0;
    diverged(spinning_pole, &d, 1, 1.0f);
    /* A cart at 100 m/s holds about 5 kJ: under a 1 kJ limit that is a runaway of energy. */
    d = sp_default_guard_def(NULL);
    d.max_kinetic_energy = 1000.0;
    diverged(brisk, &d, -1, 1000.0f);
}

/* A release build of Chipmunk lets a NaN through a step silently; Debian's debug build aborts
 * inside cpSpaceStep (cpBodySanityCheck) before any layer could see it, and its setters refuse
 * NaN. So the NaN is written straight into the body, after the physics, by a layer that runs
 * before the guard: what a release Chipmunk would hand the guard. */
static int poison_at_step;
static void poison_observation(void* self, sp_episode* ep, float* obs) {
    if (sp_episode_step_count(ep) != poison_at_step) return;
    struct cpBody* pole = sp_world_body(sp_episode_world(ep), 1);
    pole->v.x = NAN;
}

static void physics_sanity_terminates_non_finite_worlds_with_zero_observations(void) {
    sp_episode* ep = make(CONT);
    sp_layer poison = {.name = "poison", .on_observation = poison_observation};
    ENSURE(ep && sp_episode_add_layer(ep, &poison) == 0);
    sp_guard_def d = sp_default_guard_def(NULL);
    char err[128];
    sp_guard* g = sp_guard_create(&d, sp_episode_spec(ep), err, sizeof err);
    ENSURE(g && sp_guard_attach(g, ep) == 0);
    uint64_t seed = 14;
    poison_at_step = 1; /* the step count before the runtime counts the step in progress */
    sp_episode_reset(ep, &seed);
    sp_step_result r;
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0 && !r.terminated);
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0);
    ENSURE_MSG(r.terminated && !r.truncated && !strcmp(reason_of(&r), "physics_diverged"), "%s",
               reason_of(&r));
    ENSURE(r.reward == 0.0 && r.step == 2);
    for (int i = 0; i < 4; i++)
        ENSURE(sp_episode_obs(ep)[i] == 0.0f);
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_PHYSICS_DIVERGED);
    ENSURE(ev && ev->channel == 1 && isnan(ev->value) && ev->limit == 0.0f);
    ENSURE(ev->flags == SP_GUARD_POLICY_TERMINATE);
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == SP_E_NEEDS_RESET);
    /* A reset builds a fresh world: the episode goes on as usual. */
    poison_at_step = -1;
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0 && !r.terminated);
    destroy(ep, g);
}

/* ---- resources: machine events ---------------------------------------------------------- */

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static void wall_clock_truncates_as_a_machine_event(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.wall_clock_s = 1e-9;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 15);
    ENSURE(ep);
    sp_step_result r;
    char err[64];
    /* The wall clock is read every SP_GUARD_WALL_SAMPLE_STEPS steps. */
    for (int k = 1; k < SP_GUARD_WALL_SAMPLE_STEPS; k++) {
        ENSURE(step(ep, act1(0.0f), &r, err, sizeof err) == 0);
        ENSURE(!r.truncated && sp_episode_event_count(ep) == 0);
    }
    /* The trip comes before the action: the step counts but is not simulated. */
    uint64_t before = world_hash(ep);
    float obs0 = sp_episode_obs(ep)[0];
    ENSURE(step(ep, act1(9.0f), &r, err, sizeof err) == 0);
    ENSURE(r.truncated && !r.terminated && !strcmp(reason_of(&r), "wall_clock"));
    ENSURE(r.step == SP_GUARD_WALL_SAMPLE_STEPS && r.reward == 0.0);
    ENSURE(world_hash(ep) == before && sp_episode_obs(ep)[0] == obs0);
    ENSURE(event_of(ep, SP_EVENT_GUARD, SP_GUARD_WALL_CLOCK) == NULL);
    const sp_event* ev = event_of(ep, SP_EVENT_MACHINE, SP_GUARD_WALL_CLOCK);
    ENSURE(ev && ev->channel == -1 && ev->flags == SP_GUARD_POLICY_TRUNCATE);
    ENSURE(ev->value > ev->limit && ev->limit == 1e-9f);
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_WALL_CLOCK) == 1);
    ENSURE(sp_guard_trips(g, SP_GUARD_WALL_CLOCK) == 1);
    destroy(ep, g);
}

static void cpu_time_truncates_as_a_machine_event(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.cpu_s = 1e-9;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 16);
    ENSURE(ep);
    sp_step_result r;
    char err[64];
    /* The first step of an episode is a CPU sample. */
    ENSURE(step(ep, act1(0.0f), &r, err, sizeof err) == 0);
    ENSURE(r.truncated && !strcmp(reason_of(&r), "cpu_time") && r.step == 1);
    const sp_event* ev = event_of(ep, SP_EVENT_MACHINE, SP_GUARD_CPU_TIME);
    ENSURE(ev && ev->flags == SP_GUARD_POLICY_TRUNCATE && ev->value > 0.0f);
    destroy(ep, g);
}

static void step_compute_counts_or_truncates(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.step_compute_s = 1e-12; /* every step is over it */
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 17);
    ENSURE(ep);
    sp_step_result r;
    char err[64];
    for (int k = 0; k < 3; k++) {
        ENSURE(step(ep, act1(0.0f), &r, err, sizeof err) == 0);
        ENSURE(!r.truncated && !r.terminated);
        const sp_event* ev = event_of(ep, SP_EVENT_MACHINE, SP_GUARD_STEP_COMPUTE);
        ENSURE(ev && ev->flags == SP_GUARD_POLICY_COUNT && ev->value > 0.0f);
    }
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_STEP_COMPUTE) == 3);
    destroy(ep, g);

    d.step_compute = SP_GUARD_POLICY_TRUNCATE;
    ep = make_guarded(CONT, &d, &g, 17);
    ENSURE(ep);
    ENSURE(step(ep, act1(0.0f), &r, err, sizeof err) == 0);
    ENSURE(r.truncated && !strcmp(reason_of(&r), "step_compute"));
    ENSURE(event_of(ep, SP_EVENT_MACHINE, SP_GUARD_STEP_COMPUTE)->flags ==
           SP_GUARD_POLICY_TRUNCATE);
    destroy(ep, g);
}

/* Machine events tripped during recording are re-applied in replay, which measures nothing: the
 * replay ends at the same step, with the same results and the same full hashes. */
#define REPLAY_STEPS 40

typedef struct recorded_step {
    float action;
    sp_step_result r;
    sp_event machine[SP_GUARD_MAX_INJECT];
    int machine_count;
} recorded_step;

static void replay_with_injected_events_reproduces_machine_trips(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.wall_clock_s = 0.05;
    d.step_compute_s = 0.02; /* count: only the slow step below passes it */
    d.actuators[0].max_delta = 3.0;
    static recorded_step rec[REPLAY_STEPS];
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 18);
    ENSURE(ep);
    sp_rng policy;
    sp_rng_seed(&policy, 3, "test_policy");
    char err[128];
    int n = 0;
    while (n < REPLAY_STEPS && !sp_episode_done(ep)) {
        recorded_step* s = &rec[n];
        s->action = (float)sp_rng_range(&policy, -12.0, 12.0); /* some clipped, some rated */
        if (n == 4) sleep_s(0.12); /* the client goes quiet: the wall clock runs on */
        ENSURE(step(ep, act1(s->action), &s->r, err, sizeof err) == 0);
        s->machine_count = 0;
        for (int i = 0; i < sp_episode_event_count(ep); i++)
            if (sp_episode_events(ep)[i].source == SP_EVENT_MACHINE)
                s->machine[s->machine_count++] = sp_episode_events(ep)[i];
        n++;
    }
    ENSURE(n == SP_GUARD_WALL_SAMPLE_STEPS);
    ENSURE(rec[n - 1].r.truncated && !strcmp(reason_of(&rec[n - 1].r), "wall_clock"));
    destroy(ep, g);

    /* Replay: a fresh guard in replay mode, the recorded machine events injected. */
    ep = make_replaying(CONT, &d, &g, 18);
    ENSURE(ep);
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < rec[k].machine_count; i++)
            ENSURE(sp_guard_inject(g, &rec[k].machine[i]) == 0);
        if (k == 4) sleep_s(0.12); /* nothing is measured, so this changes nothing */
        sp_step_result r;
        ENSURE(step(ep, act1(rec[k].action), &r, err, sizeof err) == 0);
        ENSURE_MSG(r.hash == rec[k].r.hash, "step %d", k + 1);
        ENSURE(r.reward == rec[k].r.reward && r.terminated == rec[k].r.terminated);
        ENSURE(r.truncated == rec[k].r.truncated);
        ENSURE(!strcmp(reason_of(&r), reason_of(&rec[k].r)));
        int machine = 0;
        for (int i = 0; i < sp_episode_event_count(ep); i++) {
            const sp_event* e = &sp_episode_events(ep)[i];
            if (e->source != SP_EVENT_MACHINE) continue;
            ENSURE(machine < rec[k].machine_count);
            ENSURE(memcmp(e, &rec[k].machine[machine], sizeof *e) == 0);
            machine++;
        }
        ENSURE(machine == rec[k].machine_count);
    }
    ENSURE(sp_episode_done(ep));
    destroy(ep, g);

    /* Without the injection the replay runs past the recorded trip: the trip came from the
     * record, not from a clock. */
    ep = make_replaying(CONT, &d, &g, 18);
    ENSURE(ep);
    for (int k = 0; k < n; k++) {
        sp_step_result r;
        if (k == 4) sleep_s(0.12);
        ENSURE(step(ep, act1(rec[k].action), &r, err, sizeof err) == 0);
        ENSURE(!r.truncated && sp_episode_event_count(ep) >= 0);
        /* The hash holds no clock trip: up to the recorded one the steps are the same; that
         * step itself was not simulated in the record (time ran out before the action), so
         * the world differs only there. */
        if (k < n - 1) ENSURE_MSG(r.hash == rec[k].r.hash, "step %d", k + 1);
        if (k == n - 1) ENSURE(r.hash != rec[k].r.hash);
    }
    destroy(ep, g);
}

/* Clock-based trips are recorded events, not state: an episode whose steps trip step_compute
 * (count) or cpu_time (truncate) has, step by step, the hashes of the same episode without the
 * trips. Only what the record carries (the end of the episode) differs. */
static void clock_trips_stay_out_of_the_hash(void) {
    sp_guard_def plain = sp_default_guard_def(NULL);
    plain.actuators[0].max_delta = 3.0; /* some guard state that is hashed */
    sp_guard_def timed = plain;
    timed.step_compute_s = 1e-12; /* every step trips, count */
    sp_guard *ga, *gb;
    sp_episode* a = make_guarded(CONT, &plain, &ga, 31);
    sp_episode* b = make_guarded(CONT, &timed, &gb, 31);
    ENSURE(a && b);
    ENSURE(sp_episode_hash(a) == sp_episode_hash(b));
    char err[128];
    for (int k = 0; k < 40 && !sp_episode_done(a); k++) {
        sp_step_result ra, rb;
        float v = (float)((k * 7) % 11) - 5.0f;
        ENSURE(step(a, act1(v), &ra, err, sizeof err) == 0);
        ENSURE(step(b, act1(v), &rb, err, sizeof err) == 0);
        ENSURE(event_of(b, SP_EVENT_MACHINE, SP_GUARD_STEP_COMPUTE) != NULL);
        ENSURE_MSG(ra.hash == rb.hash, "step %d", k + 1);
    }
    ENSURE(sp_guard_episode_trips(gb, SP_GUARD_STEP_COMPUTE) > 0);
    destroy(a, ga);
    destroy(b, gb);

    timed = plain;
    timed.cpu_s = 1e-9; /* step 1 is a CPU sample: it truncates there */
    a = make_guarded(CONT, &plain, &ga, 32);
    b = make_guarded(CONT, &timed, &gb, 32);
    ENSURE(a && b);
    sp_step_result ra, rb;
    ENSURE(step(a, act1(2.0f), &ra, err, sizeof err) == 0);
    ENSURE(step(b, act1(2.0f), &rb, err, sizeof err) == 0);
    ENSURE(!ra.truncated && rb.truncated && !strcmp(reason_of(&rb), "cpu_time"));
    ENSURE(ra.hash == rb.hash);
    destroy(a, ga);
    destroy(b, gb);
}

/* An agent that goes quiet: sp_guard_expire takes the step it did not send once the wall clock
 * has run out (never before), and that step replays from its recorded event. */
static void expire_ends_a_quiet_episode_and_replays(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.wall_clock_s = 0.05;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 33);
    ENSURE(ep);
    char err[128];
    sp_step_result r, live[3];
    ENSURE(sp_guard_expire(g, &r) == 0); /* the clock has not run out */
    ENSURE(step(ep, act1(1.0f), &live[0], err, sizeof err) == 0);
    ENSURE(step(ep, act1(-1.0f), &live[1], err, sizeof err) == 0);
    double deadline = sp_guard_wall_deadline(g);
    ENSURE(isfinite(deadline));
    struct timespec ts;
    do { /* wait for the deadline the guard named */
        clock_gettime(CLOCK_MONOTONIC, &ts);
    } while ((double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec <= deadline);
    uint64_t before = world_hash(ep);
    ENSURE(sp_guard_expire(g, &live[2]) == 1);
    ENSURE(live[2].truncated && !live[2].terminated && live[2].step == 3);
    ENSURE(!strcmp(reason_of(&live[2]), "wall_clock") && live[2].reward == 0.0);
    ENSURE(world_hash(ep) == before && sp_episode_done(ep));
    const sp_event* ev = event_of(ep, SP_EVENT_MACHINE, SP_GUARD_WALL_CLOCK);
    ENSURE(ev && ev->flags == SP_GUARD_POLICY_TRUNCATE && ev->value > ev->limit);
    sp_event recorded = *ev;
    ENSURE(sp_guard_wall_deadline(g) == INFINITY); /* nothing left to end */
    ENSURE(sp_guard_expire(g, &r) == 0);
    ENSURE(step(ep, act1(0.0f), &r, err, sizeof err) == SP_E_NEEDS_RESET);
    destroy(ep, g);

    /* The replay: the two steps as sent, then the expiry's zero action with its event. */
    ep = make_replaying(CONT, &d, &g, 33);
    ENSURE(ep);
    ENSURE(sp_guard_wall_deadline(g) == INFINITY && sp_guard_expire(g, &r) == 0);
    float sent[3] = {1.0f, -1.0f, 0.0f};
    for (int k = 0; k < 3; k++) {
        if (k == 2) ENSURE(sp_guard_inject(g, &recorded) == 0);
        ENSURE(step(ep, act1(sent[k]), &r, err, sizeof err) == 0);
        ENSURE_MSG(r.hash == live[k].hash, "step %d", k + 1);
        ENSURE(r.truncated == live[k].truncated && r.reward == live[k].reward);
    }
    ENSURE(memcmp(event_of(ep, SP_EVENT_MACHINE, SP_GUARD_WALL_CLOCK), &recorded,
                  sizeof recorded) == 0);
    destroy(ep, g);
}

static void replay_mode_measures_nothing(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.wall_clock_s = 1e-9;
    d.cpu_s = 1e-9;
    d.step_compute_s = 1e-12;
    d.step_compute = SP_GUARD_POLICY_TRUNCATE;
    sp_guard* g;
    sp_episode* ep = make(CONT);
    char err[128];
    g = sp_guard_create(&d, sp_episode_spec(ep), err, sizeof err);
    ENSURE(g && sp_guard_attach(g, ep) == 0);
    sp_guard_set_replay(g, true);
    uint64_t seed = 19;
    sp_episode_reset(ep, &seed);
    sp_step_result r;
    for (int k = 0; k < 3 * SP_GUARD_CPU_SAMPLE_STEPS; k++) {
        if (sp_episode_done(ep)) sp_episode_reset(ep, NULL);
        ENSURE(step(ep, act1(k % 2 ? 2.0f : -2.0f), &r, err, sizeof err) == 0);
        ENSURE(!r.truncated && sp_episode_event_count(ep) == 0);
    }
    /* Leaving replay mode measures again, from fresh starting points. */
    if (sp_episode_done(ep)) sp_episode_reset(ep, NULL);
    sp_guard_set_replay(g, false);
    ENSURE(step(ep, act1(0.0f), &r, err, sizeof err) == 0);
    ENSURE(r.truncated && !strcmp(reason_of(&r), "step_compute"));
    destroy(ep, g);
}

static void inject_accepts_only_machine_events(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 20);
    ENSURE(ep);
    sp_event e = {.source = SP_EVENT_MACHINE,
                  .code = SP_GUARD_WALL_CLOCK,
                  .channel = -1,
                  .flags = SP_GUARD_POLICY_TRUNCATE,
                  .value = 5.0f,
                  .limit = 4.0f};
    sp_event bad = e;
    bad.source = SP_EVENT_GUARD;
    ENSURE(sp_guard_inject(g, &bad) == SP_E_BAD_ARGUMENT);
    bad = e;
    bad.code = SP_GUARD_ACTION_NAN;
    ENSURE(sp_guard_inject(g, &bad) == SP_E_BAD_ARGUMENT);
    bad = e;
    bad.code = 99;
    ENSURE(sp_guard_inject(g, &bad) == SP_E_BAD_ARGUMENT);
    bad = e;
    bad.flags = SP_GUARD_POLICY_COUNT; /* wall clock only truncates */
    ENSURE(sp_guard_inject(g, &bad) == SP_E_BAD_ARGUMENT);
    ENSURE(sp_guard_inject(g, NULL) == SP_E_BAD_ARGUMENT);
    sp_event compute = e;
    compute.code = SP_GUARD_STEP_COMPUTE;
    compute.flags = SP_GUARD_POLICY_COUNT;
    for (int i = 0; i < SP_GUARD_MAX_INJECT; i++)
        ENSURE(sp_guard_inject(g, &compute) == 0);
    ENSURE(sp_guard_inject(g, &compute) == SP_E_LIMIT);
    /* A reset drops the queue. */
    uint64_t seed = 20;
    sp_episode_reset(ep, &seed);
    sp_step_result r;
    char err[64];
    ENSURE(step(ep, act1(0.0f), &r, err, sizeof err) == 0 && sp_episode_event_count(ep) == 0);
    /* Injected counts are applied in order; a wall-clock injection truncates. */
    ENSURE(sp_guard_inject(g, &compute) == 0 && sp_guard_inject(g, &e) == 0);
    ENSURE(step(ep, act1(0.0f), &r, err, sizeof err) == 0);
    ENSURE(r.truncated && !strcmp(reason_of(&r), "wall_clock"));
    ENSURE(sp_episode_event_count(ep) == 2);
    ENSURE(sp_episode_events(ep)[0].code == SP_GUARD_STEP_COMPUTE);
    ENSURE(memcmp(&sp_episode_events(ep)[1], &e, sizeof e) == 0);
    ENSURE(sp_guard_episode_trips(g, SP_GUARD_STEP_COMPUTE) == 1);
    destroy(ep, g);
}

/* ---- constraint cost -------------------------------------------------------------------- */

static double half_per_step(void* user, sp_episode* ep, const sp_action* a) {
    (*(int*)user)++;
    return 0.5;
}

static void constraint_cost_counts_or_terminates(void) {
    int calls = 0;
    sp_guard_def d = sp_default_guard_def(NULL);
    d.constraint_cost = half_per_step;
    d.constraint_user = &calls;
    d.constraint_limit = 1.2;
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 22);
    ENSURE(ep);
    sp_step_result r;
    char err[64];
    for (int k = 0; k < 4; k++) {
        ENSURE(step(ep, act1(k % 2 ? 1.0f : -1.0f), &r, err, sizeof err) == 0);
        ENSURE(!r.terminated && sp_guard_step_cost(g) == 0.5);
        const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_CONSTRAINT);
        ENSURE(ev && ev->value == 0.5f && ev->flags == SP_GUARD_POLICY_COUNT);
    }
    ENSURE(calls == 4 && sp_guard_episode_cost(g) == 2.0);
    destroy(ep, g);

    d.constraint = SP_GUARD_POLICY_TERMINATE;
    ep = make_guarded(CONT, &d, &g, 22);
    ENSURE(ep);
    ENSURE(step(ep, act1(-1.0f), &r, err, sizeof err) == 0 && !r.terminated);
    ENSURE(step(ep, act1(1.0f), &r, err, sizeof err) == 0 && !r.terminated);
    uint64_t before = world_hash(ep);
    ENSURE(step(ep, act1(-1.0f), &r, err, sizeof err) == 0);
    ENSURE(r.terminated && !strcmp(reason_of(&r), "constraint") && r.step == 3);
    ENSURE(world_hash(ep) != before); /* a state condition: the step itself was simulated */
    const sp_event* ev = event_of(ep, SP_EVENT_GUARD, SP_GUARD_CONSTRAINT);
    ENSURE(ev && ev->flags == SP_GUARD_POLICY_TERMINATE && ev->limit == 1.2f);
    destroy(ep, g);
}

/* ---- what never trips changes nothing --------------------------------------------------- */

static double no_cost(void* user, sp_episode* ep, const sp_action* a) {
    return 0.0;
}

/* Every guardrail on, none able to trip in these episodes. */
static sp_guard_def everything_on(const sp_env_spec* spec) {
    sp_guard_def d = sp_default_guard_def(spec);
    for (int c = 0; c < SP_MAX_ACTUATORS; c++) {
        d.actuators[c].max_delta = 1e30;
        d.actuators[c].bounds = SP_GUARD_POLICY_REJECT;
        d.actuators[c].rate = SP_GUARD_POLICY_TERMINATE;
    }
    d.budget =
        spec->action_kind == SP_ACTION_DISCRETE ? SP_GUARD_BUDGET_ACTIONS : SP_GUARD_BUDGET_SQUARE;
    d.budget_limit = 1e30;
    d.wall_clock_s = 1e6;
    d.cpu_s = 1e6;
    d.step_compute_s = 1e3;
    d.constraint_cost = no_cost;
    d.constraint = SP_GUARD_POLICY_TERMINATE;
    d.constraint_limit = 0.0;
    return d;
}

static void never_tripping_guardrails_leave_trajectories_unchanged(void) {
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_spec* spec = sp_env_at(e)->spec;
        for (int variant = 0; variant < 2; variant++) {
            sp_guard_def d = variant ? everything_on(spec) : sp_default_guard_def(spec);
            sp_guard* g;
            sp_episode* guarded = make_guarded(spec->id, &d, &g, 0);
            sp_episode* plain = make_plain(spec->id, 0);
            ENSURE(guarded && plain);
            sp_rng policy;
            sp_rng_seed(&policy, 17, "test_policy");
            char err[160];
            int n = spec->sensor_count;
            for (uint64_t seed = 30; seed < 33; seed++) {
                sp_episode_reset(guarded, &seed);
                sp_episode_reset(plain, &seed);
                ENSURE(memcmp(sp_episode_obs(guarded), sp_episode_obs(plain),
                              sizeof(float) * (size_t)n) == 0);
                while (!sp_episode_done(plain)) {
                    sp_action a;
                    sp_action_sample(spec, &policy, &a);
                    sp_step_result rg, rp;
                    ENSURE(sp_episode_step(plain, &a, &rp, err, sizeof err) == 0);
                    ENSURE_MSG(sp_episode_step(guarded, &a, &rg, err, sizeof err) == 0, "%s: %s",
                               spec->id, err);
                    ENSURE_MSG(memcmp(sp_episode_obs(guarded), sp_episode_obs(plain),
                                      sizeof(float) * (size_t)n) == 0,
                               "%s step %d", spec->id, rp.step);
                    ENSURE(rg.reward == rp.reward && rg.step == rp.step);
                    ENSURE(rg.terminated == rp.terminated && rg.truncated == rp.truncated);
                    ENSURE(!strcmp(reason_of(&rg), reason_of(&rp)));
                    ENSURE(rg.episode_return == rp.episode_return);
                    ENSURE(world_hash(guarded) == world_hash(plain));
                    ENSURE(sp_episode_event_count(guarded) == 0);
                }
                ENSURE(sp_episode_done(guarded));
            }
            for (int r = 1; r <= SP_GUARD_REASON_COUNT; r++)
                ENSURE(sp_guard_trips(g, r) == 0);
            destroy(guarded, g);
            sp_episode_destroy(plain);
        }
    }
}

/* The guard's state is part of the state hash, and it is deterministic. */
static void guard_state_is_hashed_and_reproducible(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    d.budget = SP_GUARD_BUDGET_ABS;
    d.budget_limit = 1e9;
    d.actuators[0].max_delta = 50.0;
    sp_guard *g1, *g2;
    sp_episode* a = make_guarded(CONT, &d, &g1, 23);
    sp_episode* b = make_guarded(CONT, &d, &g2, 23);
    sp_episode* plain = make_plain(CONT, 23);
    ENSURE(a && b && plain);
    ENSURE(sp_episode_hash(a) == sp_episode_hash(b));
    ENSURE(sp_episode_hash(a) != sp_episode_hash(plain));
    sp_step_result ra, rb;
    char err[64];
    for (int k = 0; k < 10; k++) {
        float v = (float)(k * 7 % 25) - 12.0f; /* some out of bounds: clip trips */
        ENSURE(step(a, act1(v), &ra, err, sizeof err) == 0);
        ENSURE(step(b, act1(v), &rb, err, sizeof err) == 0);
        ENSURE(ra.hash == rb.hash);
    }
    destroy(b, g2);
    /* The same world with a different budget spent is a different state. */
    d.actuators[0].budget_weight = 2.0;
    b = make_guarded(CONT, &d, &g2, 23);
    uint64_t seed = 23;
    sp_episode_reset(a, &seed);
    ENSURE(step(a, act1(1.0f), &ra, err, sizeof err) == 0);
    ENSURE(step(b, act1(1.0f), &rb, err, sizeof err) == 0);
    ENSURE(world_hash(a) == world_hash(b));
    ENSURE(sp_guard_budget_used(g2) == 2.0 * sp_guard_budget_used(g1));
    ENSURE(ra.hash != rb.hash);
    destroy(a, g1);
    destroy(b, g2);
    sp_episode_destroy(plain);
}

/* The guard sees the agent's action first; a layer after it sees the guarded action. */
static float seen_by_next_layer;
static int next_layer_action(void* self, sp_episode* ep, sp_action* a, char* err, size_t n) {
    seen_by_next_layer = a->value[0];
    return 0;
}

static void layers_after_the_guard_see_the_guarded_action(void) {
    sp_guard_def d = sp_default_guard_def(NULL);
    sp_guard* g;
    sp_episode* ep = make_guarded(CONT, &d, &g, 24);
    ENSURE(ep);
    sp_layer next = {.name = "next", .on_action = next_layer_action};
    ENSURE(sp_episode_add_layer(ep, &next) == 0);
    sp_step_result r;
    char err[64];
    ENSURE(step(ep, act1(55.0f), &r, err, sizeof err) == 0);
    ENSURE(seen_by_next_layer == 10.0f);
    destroy(ep, g);

    /* Discrete indices out of range are still the runtime's: refused before any layer. */
    ep = make_guarded("CartPole-v0", &d, &g, 24);
    ENSURE(ep);
    ENSURE(step(ep, act_index(2), &r, err, sizeof err) == SP_E_BAD_ACTION);
    ENSURE(sp_episode_event_count(ep) == 0 && sp_episode_step_count(ep) == 0);
    destroy(ep, g);
}

static const sp_test_case cases[] = {
    {"reasons_and_policies_are_listed_once", reasons_and_policies_are_listed_once},
    {"docs_name_every_reason_policy_and_budget", docs_name_every_reason_policy_and_budget},
    {"defaults_are_generous_and_valid_for_every_env",
     defaults_are_generous_and_valid_for_every_env},
    {"bad_defs_are_refused_with_a_message", bad_defs_are_refused_with_a_message},
    {"set_def_applies_from_the_next_reset", set_def_applies_from_the_next_reset},
    {"bounds_clip_holds_the_value_at_the_bound", bounds_clip_holds_the_value_at_the_bound},
    {"bounds_reject_refuses_and_leaves_the_episode_untouched",
     bounds_reject_refuses_and_leaves_the_episode_untouched},
    {"bounds_terminate_ends_the_episode_without_applying_the_action",
     bounds_terminate_ends_the_episode_without_applying_the_action},
    {"nan_reject_refuses_nan_and_inf", nan_reject_refuses_nan_and_inf},
    {"nan_terminate_ends_the_episode", nan_terminate_ends_the_episode},
    {"rate_clip_limits_the_change_per_step_from_rest",
     rate_clip_limits_the_change_per_step_from_rest},
    {"rate_reject_and_terminate", rate_reject_and_terminate},
    {"budget_abs_terminate_ends_at_the_step_that_would_overdraw",
     budget_abs_terminate_ends_at_the_step_that_would_overdraw},
    {"budget_square_zero_cuts_the_actuator_off", budget_square_zero_cuts_the_actuator_off},
    {"budget_counts_discrete_actions", budget_counts_discrete_actions},
    {"physics_sanity_terminates_runaway_worlds_with_zero_observations",
     physics_sanity_terminates_runaway_worlds_with_zero_observations},
    {"physics_sanity_terminates_non_finite_worlds_with_zero_observations",
     physics_sanity_terminates_non_finite_worlds_with_zero_observations},
    {"wall_clock_truncates_as_a_machine_event", wall_clock_truncates_as_a_machine_event},
    {"cpu_time_truncates_as_a_machine_event", cpu_time_truncates_as_a_machine_event},
    {"step_compute_counts_or_truncates", step_compute_counts_or_truncates},
    {"replay_with_injected_events_reproduces_machine_trips",
     replay_with_injected_events_reproduces_machine_trips},
    {"replay_mode_measures_nothing", replay_mode_measures_nothing},
    {"clock_trips_stay_out_of_the_hash", clock_trips_stay_out_of_the_hash},
    {"expire_ends_a_quiet_episode_and_replays", expire_ends_a_quiet_episode_and_replays},
    {"inject_accepts_only_machine_events", inject_accepts_only_machine_events},
    {"constraint_cost_counts_or_terminates", constraint_cost_counts_or_terminates},
    {"never_tripping_guardrails_leave_trajectories_unchanged",
     never_tripping_guardrails_leave_trajectories_unchanged},
    {"guard_state_is_hashed_and_reproducible", guard_state_is_hashed_and_reproducible},
    {"layers_after_the_guard_see_the_guarded_action",
     layers_after_the_guard_see_the_guarded_action},
};
SP_TEST_MAIN(cases)
