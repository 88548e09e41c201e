/* Properties every registered env must have. New envs are covered by being registered. */

#include <math.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"

#define SEEDS 20

static sp_episode* make(const sp_env_class* env) {
    char err[128];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    return ep;
}

static int obs_in_bounds(const sp_env_spec* spec, const float* obs, char* why, size_t why_sz) {
    for (int i = 0; i < spec->sensor_count; i++) {
        const sp_channel* ch = &spec->sensors[i];
        if (!isfinite(obs[i]) || obs[i] < (float)ch->low || obs[i] > (float)ch->high) {
            snprintf(why, why_sz, "%s %s = %g outside [%g, %g]", spec->id, ch->name, obs[i],
                     ch->low, ch->high);
            return 0;
        }
    }
    return 1;
}

static void specs_are_consistent(void) {
    ENSURE(sp_env_count() >= 1);
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_class* env = sp_env_at(e);
        const sp_env_spec* s = env->spec;
        ENSURE(sp_env_find(s->id) == env);
        ENSURE_MSG(s->dt > 0 && s->iterations > 0 && s->frame_skip > 0 && s->max_steps > 0, "%s",
                   s->id);
        ENSURE(s->sensor_count > 0 && s->sensor_count <= SP_MAX_SENSORS);
        ENSURE(env->build && env->act && env->apply && env->sense && env->evaluate);
        for (int i = 0; i < s->sensor_count; i++) {
            ENSURE_MSG(s->sensors[i].low <= s->sensors[i].high, "%s", s->sensors[i].name);
            ENSURE(s->sensors[i].name && s->sensors[i].unit && s->sensors[i].doc);
            for (int j = 0; j < i; j++)
                ENSURE(strcmp(s->sensors[i].name, s->sensors[j].name));
        }
        for (int i = 0; i < s->constraint_count; i++) {
            const sp_constraint* k = &s->constraints[i];
            ENSURE_MSG(k->name && k->doc && k->sensor >= 0 && k->sensor < s->sensor_count &&
                           k->low <= k->high,
                       "%s constraint %d", s->id, i);
        }
        if (s->action_kind == SP_ACTION_DISCRETE) {
            ENSURE(s->action_count >= 2 && s->action_names);
            ENSURE(s->actuator_count == 0);
        } else {
            ENSURE(s->actuator_count >= 1 && s->actuator_count <= SP_MAX_ACTUATORS);
            for (int i = 0; i < s->actuator_count; i++)
                ENSURE(isfinite(s->actuators[i].low) && s->actuators[i].low < s->actuators[i].high);
        }
    }
}

static void observations_stay_in_bounds_and_episodes_end(void) {
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_class* env = sp_env_at(e);
        const sp_env_spec* spec = env->spec;
        sp_episode* ep = make(env);
        sp_rng policy;
        sp_rng_seed(&policy, 99, "test_policy");
        char why[256], err[128];
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
            ENSURE(sp_episode_reset(ep, &seed) == 0);
            ENSURE_MSG(obs_in_bounds(spec, sp_episode_obs(ep), why, sizeof why), "reset: %s", why);
            sp_step_result r = {0};
            int steps = 0;
            while (!sp_episode_done(ep)) {
                sp_action a;
                sp_action_sample(spec, &policy, &a);
                ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
                steps++;
                ENSURE_MSG(obs_in_bounds(spec, sp_episode_obs(ep), why, sizeof why), "step %d: %s",
                           steps, why);
                ENSURE(isfinite(r.reward));
                ENSURE(steps <= spec->max_steps);
            }
            ENSURE(r.step == steps);
            ENSURE(r.terminated != r.truncated);
            ENSURE(r.reason != NULL);
            ENSURE(r.truncated == (steps == spec->max_steps && !strcmp(r.reason, "max_steps")));
            sp_action a;
            sp_action_sample(spec, &policy, &a);
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == SP_E_NEEDS_RESET);
        }
        sp_episode_destroy(ep);
    }
}

/* Runs one episode with a fixed action sequence, folding every step's hash together. */
static uint64_t trajectory_hash(sp_episode* ep, uint64_t seed, const float** first_obs) {
    sp_rng policy;
    sp_rng_seed(&policy, 5, "test_policy");
    sp_episode_reset(ep, &seed);
    if (first_obs) *first_obs = sp_episode_obs(ep);
    sp_hash h = sp_hash_begin();
    sp_hash_u64(&h, sp_episode_hash(ep));
    sp_step_result r;
    char err[128];
    while (!sp_episode_done(ep)) {
        sp_action a;
        sp_action_sample(sp_episode_spec(ep), &policy, &a);
        if (sp_episode_step(ep, &a, &r, err, sizeof err) != 0) return 0;
        sp_hash_u64(&h, r.hash);
        sp_hash_bytes(&h, sp_episode_obs(ep),
                      sizeof(float) * (size_t)sp_episode_spec(ep)->sensor_count);
    }
    return h.h;
}

static void same_seed_same_episode_different_seed_differs(void) {
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_class* env = sp_env_at(e);
        int n = env->spec->sensor_count;
        sp_episode* a = make(env);
        sp_episode* b = make(env);
        float obs_a[SP_MAX_SENSORS];
        const float* o;
        uint64_t seed = 1234;
        sp_episode_reset(a, &seed);
        memcpy(obs_a, sp_episode_obs(a), sizeof(float) * (size_t)n);
        uint64_t ha = sp_episode_hash(a);
        sp_episode_reset(a, &seed); /* the same episode object, reset twice */
        ENSURE(memcmp(obs_a, sp_episode_obs(a), sizeof(float) * (size_t)n) == 0);
        ENSURE(sp_episode_hash(a) == ha);
        sp_episode_reset(b, &seed); /* and a separate one */
        ENSURE(memcmp(obs_a, sp_episode_obs(b), sizeof(float) * (size_t)n) == 0);
        ENSURE(sp_episode_hash(b) == ha);

        uint64_t t1 = trajectory_hash(a, 77, &o);
        uint64_t t2 = trajectory_hash(b, 77, &o);
        uint64_t t3 = trajectory_hash(a, 78, &o);
        ENSURE_MSG(t1 != 0 && t1 == t2, "%s", env->spec->id);
        ENSURE_MSG(t1 != t3, "%s: seeds 77 and 78 gave the same episode", env->spec->id);
        seed = 79;
        sp_episode_reset(b, &seed);
        ENSURE_MSG(sp_episode_hash(b) != ha, "%s", env->spec->id);
        sp_episode_destroy(a);
        sp_episode_destroy(b);
    }
}

static void unseeded_resets_continue_the_stream(void) {
    for (int e = 0; e < sp_env_count(); e++) {
        sp_episode* a = make(sp_env_at(e));
        sp_episode* b = make(sp_env_at(e));
        uint64_t seed = 5;
        sp_episode_reset(a, &seed);
        sp_episode_reset(b, &seed);
        uint64_t prev = sp_episode_hash(a);
        for (int k = 0; k < 5; k++) {
            sp_episode_reset(a, NULL);
            sp_episode_reset(b, NULL);
            ENSURE(sp_episode_seed(a) == sp_episode_seed(b));
            ENSURE(sp_episode_hash(a) == sp_episode_hash(b));
            ENSURE(sp_episode_hash(a) != prev);
            prev = sp_episode_hash(a);
        }
        sp_episode_destroy(a);
        sp_episode_destroy(b);
    }
}

static void bad_actions_are_refused_and_leave_the_episode_untouched(void) {
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_spec* spec = sp_env_at(e)->spec;
        sp_episode* ep = make(sp_env_at(e));
        char err[128];
        sp_action a;
        memset(&a, 0, sizeof a);
        sp_step_result r;
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == SP_E_NEEDS_RESET);
        uint64_t seed = 3;
        sp_episode_reset(ep, &seed);
        uint64_t h = sp_episode_hash(ep);
        if (spec->action_kind == SP_ACTION_DISCRETE) {
            a.index = spec->action_count;
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == SP_E_BAD_ACTION);
            a.index = -1;
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == SP_E_BAD_ACTION);
        } else {
            a.value[0] = NAN;
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == SP_E_BAD_ACTION);
            ENSURE(strstr(err, "NaN") != NULL);
            a.value[0] = INFINITY;
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == SP_E_BAD_ACTION);
        }
        ENSURE(sp_episode_hash(ep) == h);
        ENSURE(sp_episode_step_count(ep) == 0);
        sp_episode_destroy(ep);
    }
}

static void out_of_bounds_continuous_actions_are_clipped(void) {
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_spec* spec = sp_env_at(e)->spec;
        if (spec->action_kind != SP_ACTION_CONTINUOUS) continue;
        sp_episode* a = make(sp_env_at(e));
        sp_episode* b = make(sp_env_at(e));
        uint64_t seed = 11;
        sp_episode_reset(a, &seed);
        sp_episode_reset(b, &seed);
        sp_action big, edge;
        memset(&big, 0, sizeof big);
        memset(&edge, 0, sizeof edge);
        for (int i = 0; i < spec->actuator_count; i++) {
            big.value[i] = (float)(spec->actuators[i].high * 100.0);
            edge.value[i] = (float)spec->actuators[i].high;
        }
        sp_step_result ra, rb;
        char err[128];
        ENSURE(sp_episode_step(a, &big, &ra, err, sizeof err) == 0);
        ENSURE(sp_episode_step(b, &edge, &rb, err, sizeof err) == 0);
        ENSURE_MSG(ra.hash == rb.hash, "%s", spec->id);
        sp_episode_destroy(a);
        sp_episode_destroy(b);
    }
}

/* A layer that negates observation 0 and counts its calls: proves the runtime's seams. */
typedef struct probe_layer {
    int resets, actions, observations, results;
} probe_layer;

static int probe_reset(void* self, sp_episode* ep) {
    ((probe_layer*)self)->resets++;
    return SP_OK;
}
static int probe_action(void* self, sp_episode* ep, sp_action* a, char* err, size_t n) {
    probe_layer* p = self;
    p->actions++;
    if (a->index == 1 && p->actions == 3) {
        snprintf(err, n, "refused by probe");
        return SP_E_BAD_ACTION;
    }
    return 0;
}
static void probe_obs(void* self, sp_episode* ep, float* obs) {
    ((probe_layer*)self)->observations++;
    obs[0] = -obs[0];
}
static void probe_result(void* self, sp_episode* ep, const sp_action* a, sp_step_result* r) {
    ((probe_layer*)self)->results++;
    r->reward += 1.0;
    sp_event e = {.source = SP_EVENT_GUARD, .code = 7, .channel = -1, .value = 1.5f};
    for (int i = 0; i < SP_MAX_STEP_EVENTS + 2; i++)
        sp_episode_emit(ep, &e);
}
static void probe_hash(const void* self, sp_hash* h) {
    sp_hash_u64(h, (uint64_t)((const probe_layer*)self)->results);
}

static void layers_see_every_stage(void) {
    const sp_env_class* env = sp_env_find("CartPole-v0");
    sp_episode* plain = make(env);
    sp_episode* layered = make(env);
    probe_layer p = {0};
    sp_layer l = {.name = "probe",
                  .self = &p,
                  .on_reset = probe_reset,
                  .on_action = probe_action,
                  .on_observation = probe_obs,
                  .on_result = probe_result,
                  .hash = probe_hash};
    ENSURE(sp_episode_add_layer(layered, &l) == 0);
    uint64_t seed = 8;
    sp_episode_reset(plain, &seed);
    sp_episode_reset(layered, &seed);
    ENSURE(p.resets == 1 && p.observations == 1);
    ENSURE(sp_episode_obs(layered)[0] == -sp_episode_obs(plain)[0]);
    ENSURE(sp_episode_hash(layered) != sp_episode_hash(plain)); /* layer state is hashed */
    sp_action a = {.index = 1};
    sp_step_result rp, rl;
    char err[64];
    ENSURE(sp_episode_step(plain, &a, &rp, err, sizeof err) == 0);
    ENSURE(sp_episode_step(layered, &a, &rl, err, sizeof err) == 0);
    ENSURE(rl.reward == rp.reward + 1.0);
    ENSURE(sp_episode_event_count(layered) == SP_MAX_STEP_EVENTS);
    ENSURE(sp_episode_events(layered)[0].code == 7 && sp_episode_events(layered)[0].value == 1.5f);
    ENSURE(sp_episode_events_dropped(layered) == 2);
    ENSURE(sp_episode_event_count(plain) == 0);
    ENSURE(sp_episode_step(layered, &a, &rl, err, sizeof err) == 0);
    ENSURE(sp_episode_step(layered, &a, &rl, err, sizeof err) == SP_E_BAD_ACTION);
    ENSURE(!strcmp(err, "refused by probe"));
    ENSURE(sp_episode_event_count(layered) == 0); /* a refused step records nothing */
    ENSURE(sp_episode_step_count(layered) == 2);
    ENSURE(p.actions == 3 && p.results == 2 && p.observations == 3);
    sp_episode_destroy(plain);
    sp_episode_destroy(layered);
}

static int hash_seen(void* self, sp_episode* ep, const sp_action* given, const sp_action* applied,
                     const sp_step_result* r) {
    *(uint64_t*)self = r->hash;
    return 0;
}

/* With the step hash off a step reports hash 0 and simulates the same episode; a layer
 * with on_step_end (what a recorder is) still sees the real hash. */
static void step_hash_only_when_read(void) {
    const sp_env_class* env = sp_env_find("CartPole-v0");
    sp_episode* on = make(env);
    sp_episode* off = make(env);
    sp_episode* read = make(env);
    sp_episode_set_step_hash(off, false);
    sp_episode_set_step_hash(read, false);
    uint64_t seen = 0;
    sp_layer l = {.name = "reader", .self = &seen, .on_step_end = hash_seen};
    ENSURE(sp_episode_add_layer(read, &l) == 0);
    uint64_t seed = 5;
    sp_episode_reset(on, &seed);
    sp_episode_reset(off, &seed);
    sp_episode_reset(read, &seed);
    sp_action a = {.index = 1};
    sp_step_result r_on, r_off, r_read;
    char err[64];
    for (int k = 0; k < 5; k++) {
        ENSURE(sp_episode_step(on, &a, &r_on, err, sizeof err) == 0);
        ENSURE(sp_episode_step(off, &a, &r_off, err, sizeof err) == 0);
        ENSURE(sp_episode_step(read, &a, &r_read, err, sizeof err) == 0);
        ENSURE(r_on.hash != 0 && r_on.hash == sp_episode_hash(on));
        ENSURE(r_off.hash == 0 && sp_episode_hash(off) == r_on.hash);
        ENSURE(r_read.hash == r_on.hash && seen == r_on.hash);
    }
    sp_episode_destroy(on);
    sp_episode_destroy(off);
    sp_episode_destroy(read);
}

static const sp_test_case cases[] = {
    {"specs_are_consistent", specs_are_consistent},
    {"observations_stay_in_bounds_and_episodes_end", observations_stay_in_bounds_and_episodes_end},
    {"same_seed_same_episode_different_seed_differs",
     same_seed_same_episode_different_seed_differs},
    {"unseeded_resets_continue_the_stream", unseeded_resets_continue_the_stream},
    {"bad_actions_are_refused_and_leave_the_episode_untouched",
     bad_actions_are_refused_and_leave_the_episode_untouched},
    {"out_of_bounds_continuous_actions_are_clipped", out_of_bounds_continuous_actions_are_clipped},
    {"layers_see_every_stage", layers_see_every_stage},
    {"step_hash_only_when_read", step_hash_only_when_read},
};
SP_TEST_MAIN(cases)
