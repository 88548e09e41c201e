#include "sandpit/episode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/error.h"

struct sp_episode {
    const sp_env_class* env;
    const sp_env_spec* spec;
    sp_world* world;
    void* env_state;
    float* obs;
    int max_steps;

    /* Episode seeds come from `seeds`; the env draws from `env_rng`, seeded per episode. */
    sp_rng seeds;
    sp_rng env_rng;
    uint64_t seed;
    bool seeded;

    int steps;
    double episode_return;
    bool started;
    bool done;

    sp_layer layers[SP_MAX_LAYERS];
    int layer_count;
    bool step_hash;          /* sp_episode_step fills r.hash even when no layer reads it */
    bool layers_read_hash;   /* some layer has on_step_end, which sees r.hash */
    const char* halt_reason; /* set by a layer's on_action through sp_episode_halt */
    bool halt_truncates;     /* sp_episode_halt_truncated: the time ran out, not the agent */

    sp_event events[SP_MAX_STEP_EVENTS];
    int event_count;
    uint64_t events_dropped;
    int layer_status; /* the first non-zero on_reset / on_step_end */

    sp_render_fn render; /* pixel observations: NULL without */
    void* render_user;
    sp_frame frame;
};

sp_episode_def sp_default_episode_def(const sp_env_class* env) {
    sp_episode_def def = {.env = env, .seed = 0, .max_steps = 0};
    return def;
}

static void set_error(char* err, size_t err_sz, const char* message) {
    if (err && err_sz) snprintf(err, err_sz, "%s", message);
}

sp_episode* sp_episode_create(const sp_episode_def* def, char* err, size_t err_sz) {
    if (!def || !def->env || !def->env->spec) {
        set_error(err, err_sz, "episode def has no env");
        return NULL;
    }
    const sp_env_spec* spec = def->env->spec;
    if (def->max_steps < 0) {
        set_error(err, err_sz, "max_steps must be >= 0");
        return NULL;
    }
    sp_episode* ep = calloc(1, sizeof *ep);
    if (!ep) goto oom;
    ep->env = def->env;
    ep->spec = spec;
    ep->max_steps = def->max_steps ? def->max_steps : spec->max_steps;
    ep->seed = def->seed;
    ep->step_hash = true;
    sp_world_def wd = sp_default_world_def();
    wd.dt = spec->dt;
    wd.iterations = spec->iterations;
    ep->world = sp_world_create(&wd);
    ep->env_state = calloc(1, def->env->state_size ? def->env->state_size : 1);
    ep->obs = calloc((size_t)spec->sensor_count, sizeof *ep->obs);
    if (!ep->world || !ep->env_state || !ep->obs) goto oom;
    return ep;
oom:
    sp_episode_destroy(ep);
    set_error(err, err_sz, "out of memory");
    return NULL;
}

void sp_episode_destroy(sp_episode* ep) {
    if (!ep) return;
    sp_world_destroy(ep->world);
    free(ep->env_state);
    free(ep->obs);
    free(ep);
}

void sp_episode_set_step_hash(sp_episode* ep, bool on) {
    ep->step_hash = on;
}

int sp_episode_add_layer(sp_episode* ep, const sp_layer* layer) {
    if (ep->layer_count == SP_MAX_LAYERS) return SP_E_LIMIT;
    ep->layers[ep->layer_count++] = *layer;
    if (layer->on_step_end) ep->layers_read_hash = true;
    return SP_OK;
}

static void observe(sp_episode* ep) {
    ep->env->sense(ep->env_state, ep->world, ep->obs);
    for (int i = 0; i < ep->layer_count; i++) {
        const sp_layer* l = &ep->layers[i];
        if (l->on_observation) l->on_observation(l->self, ep, ep->obs);
    }
    if (!ep->render) return;
    ep->render(ep->render_user, ep, &ep->frame);
    for (int i = 0; i < ep->layer_count; i++) {
        const sp_layer* l = &ep->layers[i];
        if (l->on_pixels) l->on_pixels(l->self, ep, &ep->frame);
    }
}

int sp_episode_set_render(sp_episode* ep, sp_render_fn fn, void* user, const sp_frame* frame) {
    if (fn && (!frame || !frame->pixels || frame->width < 1 || frame->height < 1 ||
               (frame->channels != 1 && frame->channels != 3)))
        return SP_E_BAD_ARGUMENT;
    ep->render = fn;
    ep->render_user = user;
    if (fn)
        ep->frame = *frame;
    else
        memset(&ep->frame, 0, sizeof ep->frame);
    return SP_OK;
}

const sp_frame* sp_episode_frame(const sp_episode* ep) {
    return ep->render ? &ep->frame : NULL;
}

/* The part of a reset that follows choosing the seed. */
static int start(sp_episode* ep) {
    sp_rng_seed(&ep->env_rng, ep->seed, "env");

    if (sp_world_clear(ep->world) != 0) return SP_E_NO_MEMORY;
    memset(ep->env_state, 0, ep->env->state_size);
    if (ep->env->model) memcpy(ep->env_state, &ep->env->model, sizeof ep->env->model);
    int rc = ep->env->build(ep->env_state, ep->world, &ep->env_rng);
    if (rc != 0) return rc;
    ep->steps = 0;
    ep->episode_return = 0.0;
    ep->started = true;
    ep->done = false;
    for (int i = 0; i < ep->layer_count; i++) {
        const sp_layer* l = &ep->layers[i];
        if (l->on_begin && (rc = l->on_begin(l->self, ep)) != 0) {
            ep->started = false; /* half-begun layers: the episode must be reset again */
            return rc;
        }
    }
    observe(ep);
    for (int i = 0; i < ep->layer_count; i++) {
        const sp_layer* l = &ep->layers[i];
        int st = l->on_reset ? l->on_reset(l->self, ep) : SP_OK;
        if (st != SP_OK && ep->layer_status == SP_OK) ep->layer_status = st;
    }
    return SP_OK;
}

int sp_episode_reset(sp_episode* ep, const uint64_t* seed) {
    ep->event_count = 0;
    if (seed) {
        ep->seed = *seed;
        sp_rng_seed(&ep->seeds, *seed, "episode_seeds");
        ep->seeded = true;
    } else if (!ep->seeded) {
        sp_rng_seed(&ep->seeds, ep->seed, "episode_seeds");
        ep->seeded = true;
    } else {
        ep->seed = sp_rng_next(&ep->seeds);
    }
    return start(ep);
}

int sp_episode_reset_restore(sp_episode* ep, uint64_t seed, const sp_rng* stream) {
    ep->event_count = 0;
    ep->seed = seed;
    ep->seeds = *stream;
    ep->seeded = true;
    return start(ep);
}

sp_rng sp_episode_seed_stream(const sp_episode* ep) {
    return ep->seeds;
}

void sp_action_sample(const sp_env_spec* spec, sp_rng* rng, sp_action* action) {
    memset(action, 0, sizeof *action);
    if (spec->action_kind == SP_ACTION_DISCRETE) {
        action->index = (int32_t)sp_rng_below(rng, (uint32_t)spec->action_count);
        return;
    }
    for (int i = 0; i < spec->actuator_count; i++)
        action->value[i] =
            (float)sp_rng_range(rng, spec->actuators[i].low, spec->actuators[i].high);
}

int sp_action_check(const sp_env_spec* spec, sp_action* action, char* err, size_t err_sz) {
    if (spec->action_kind == SP_ACTION_DISCRETE) {
        if (action->index < 0 || action->index >= spec->action_count) {
            if (err && err_sz)
                snprintf(err, err_sz, "action %d is out of range: %s takes 0..%d", action->index,
                         spec->id, spec->action_count - 1);
            return SP_E_BAD_ACTION;
        }
        return SP_OK;
    }
    for (int i = 0; i < spec->actuator_count; i++) {
        float v = action->value[i];
        const sp_channel* ch = &spec->actuators[i];
        if (!isfinite(v)) {
            if (err && err_sz)
                snprintf(err, err_sz, "action channel %s is %s", ch->name,
                         isnan(v) ? "NaN" : "Inf");
            return SP_E_BAD_ACTION;
        }
        if (v < ch->low) action->value[i] = (float)ch->low;
        if (v > ch->high) action->value[i] = (float)ch->high;
    }
    return SP_OK;
}

int sp_episode_step(sp_episode* ep, const sp_action* action, sp_step_result* out, char* err,
                    size_t err_sz) {
    if (!ep->started || ep->done) {
        set_error(err, err_sz,
                  ep->started ? "the episode has ended: reset it first"
                              : "the episode has not been reset yet");
        return SP_E_NEEDS_RESET;
    }
    ep->event_count = 0;
    ep->halt_reason = NULL;
    ep->halt_truncates = false;
    sp_action a = *action;
    int rc;
    /* A discrete index the env lacks means nothing to any layer, so it is refused first.
     * Continuous values reach the layers as the agent sent them, so the guardrail layer can
     * apply its own policy (reject, terminate) to NaN and out-of-bounds values; the check after
     * the last layer is the safety net that keeps the env from ever seeing either. */
    if (ep->spec->action_kind == SP_ACTION_DISCRETE &&
        (rc = sp_action_check(ep->spec, &a, err, err_sz)) != 0)
        return rc;
    const sp_action given = a; /* what a replay feeds back: the layers' input */
    for (int i = 0; i < ep->layer_count && !ep->halt_reason; i++) {
        const sp_layer* l = &ep->layers[i];
        if (l->on_action && (rc = l->on_action(l->self, ep, &a, err, err_sz)) != 0) return rc;
    }

    sp_env_outcome outcome = {0.0, false, NULL, false};
    if (ep->halt_reason) {
        /* A layer ended the episode instead of applying the action: nothing moves and the
         * observation stays the one the agent last saw. */
        outcome.terminated = true;
        outcome.reason = ep->halt_reason;
    } else {
        if ((rc = sp_action_check(ep->spec, &a, err, err_sz)) != 0) return rc;
        ep->env->act(ep->env_state, ep->world, &ep->env_rng, &a);
        for (int k = 0; k < ep->spec->frame_skip; k++) {
            ep->env->apply(ep->env_state, ep->world);
            sp_world_step(ep->world);
        }
        observe(ep);
        ep->env->evaluate(ep->env_state, ep->world, &a, &outcome);
    }
    ep->steps++;
    sp_step_result r = {
        .reward = outcome.reward,
        .terminated = outcome.terminated,
        .truncated = outcome.truncated && !outcome.terminated,
        .reason = outcome.reason,
        .step = ep->steps,
    };
    if (ep->halt_reason && ep->halt_truncates) {
        r.terminated = false;
        r.truncated = true;
    } else if (!r.terminated && !r.truncated && ep->steps >= ep->max_steps) {
        r.truncated = true;
        r.reason = "max_steps";
    }
    for (int i = 0; i < ep->layer_count; i++) {
        const sp_layer* l = &ep->layers[i];
        if (l->on_result) l->on_result(l->self, ep, &a, &r);
    }
    ep->episode_return += r.reward;
    ep->done = r.terminated || r.truncated;
    r.episode_return = ep->episode_return;
    /* Hashing every body costs as much as a fifth of a small env's step: only when read. */
    r.hash = ep->step_hash || ep->layers_read_hash ? sp_episode_hash(ep) : 0;
    for (int i = 0; i < ep->layer_count; i++) {
        const sp_layer* l = &ep->layers[i];
        int st = l->on_step_end ? l->on_step_end(l->self, ep, &given, &a, &r) : SP_OK;
        if (st != SP_OK && ep->layer_status == SP_OK) ep->layer_status = st;
    }
    if (out) *out = r;
    return SP_OK;
}

const float* sp_episode_obs(const sp_episode* ep) {
    return ep->obs;
}

const sp_env_spec* sp_episode_spec(const sp_episode* ep) {
    return ep->spec;
}

const sp_env_class* sp_episode_env(const sp_episode* ep) {
    return ep->env;
}

sp_world* sp_episode_world(sp_episode* ep) {
    return ep->world;
}

const void* sp_episode_env_state(const sp_episode* ep) {
    return ep->env_state;
}

uint64_t sp_episode_seed(const sp_episode* ep) {
    return ep->seed;
}

int sp_episode_step_count(const sp_episode* ep) {
    return ep->steps;
}

int sp_episode_max_steps(const sp_episode* ep) {
    return ep->max_steps;
}

double sp_episode_return(const sp_episode* ep) {
    return ep->episode_return;
}

bool sp_episode_done(const sp_episode* ep) {
    return ep->done;
}

bool sp_episode_running(const sp_episode* ep) {
    return ep->started && !ep->done;
}

void sp_episode_halt(sp_episode* ep, const char* reason) {
    ep->halt_reason = reason;
    ep->halt_truncates = false;
}

void sp_episode_halt_truncated(sp_episode* ep, const char* reason) {
    ep->halt_reason = reason;
    ep->halt_truncates = true;
}

void sp_episode_emit(sp_episode* ep, const sp_event* event) {
    if (ep->event_count == SP_MAX_STEP_EVENTS) {
        ep->events_dropped++;
        return;
    }
    ep->events[ep->event_count++] = *event;
}

int sp_episode_event_count(const sp_episode* ep) {
    return ep->event_count;
}

const sp_event* sp_episode_events(const sp_episode* ep) {
    return ep->events;
}

int sp_episode_layer_status(const sp_episode* ep) {
    return ep->layer_status;
}

uint64_t sp_episode_events_dropped(const sp_episode* ep) {
    return ep->events_dropped;
}

static void hash_rng(sp_hash* h, const sp_rng* rng) {
    for (int i = 0; i < 4; i++)
        sp_hash_u64(h, rng->s[i]);
}

uint64_t sp_episode_hash(const sp_episode* ep) {
    sp_hash h = sp_hash_begin();
    sp_world_hash(ep->world, &h);
    if (ep->env->hash) ep->env->hash(ep->env_state, &h);
    sp_hash_u64(&h, ep->seed);
    sp_hash_u64(&h, (uint64_t)ep->steps);
    sp_hash_f64(&h, ep->episode_return);
    hash_rng(&h, &ep->seeds);
    hash_rng(&h, &ep->env_rng);
    for (int i = 0; i < ep->layer_count; i++) {
        const sp_layer* l = &ep->layers[i];
        if (l->hash) l->hash(l->self, &h);
    }
    return h.h;
}
