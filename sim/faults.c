/* The fault set and its layer hooks: schedules stepped once per step, windows opened and
 * closed with events, each domain's faults applied at its seam, the step committed in
 * on_result. See fault_internal.h for why state is staged in `next`. */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_internal.h"
#include "sandpit/error.h"

static void set_error(char* err, size_t err_sz, const char* message) {
    if (err && err_sz) snprintf(err, err_sz, "%s", message);
}

static bool is_physics(const fault* f) {
    return (SP_FAULT_BIT(f->def.kind) & SP_FAULT_PHYSICS_KINDS) != 0;
}

/* Floats a fault keeps between steps, per targeted channel and slot. */
static size_t floats_needed(const fault* f) {
    switch (f->def.kind) {
    case SP_FAULT_DELAY:
    case SP_FAULT_ACTION_DELAY:
        return (size_t)f->slots * (size_t)f->nch;
    case SP_FAULT_OUTAGE:
    case SP_FAULT_STUCK:
        return (size_t)f->nch;
    case SP_FAULT_ACTION_DROP:
    case SP_FAULT_ACTION_REPEAT:
        return 2 * (size_t)f->nch; /* two slots by step parity: a retried step keeps the last */
    default:
        return 0;
    }
}

size_t sp_faults_cost(const sp_fault_def* list, int count, const sp_env_spec* spec) {
    size_t floats = 0, doubles = 0;
    for (int i = 0; i < count; i++) {
        fault f = {.def = list[i]};
        if (sp_fault_check(&list[i], i, spec, f.ch, &f.nch, NULL, 0) != 0) continue;
        f.slots = (SP_FAULT_BIT(f.def.kind) & SP_FAULT_STEP_KINDS) ? f.def.steps + 1 : 0;
        floats += floats_needed(&f);
        if (f.def.kind == SP_FAULT_REWARD_DELAY) doubles += (size_t)f.slots;
    }
    return sizeof(sp_faults) + (size_t)(count > 0 ? count : 0) * sizeof(fault) +
           (floats + 1) * sizeof(float) + doubles * sizeof(double) + (size_t)spec->sensor_count;
}

static bool draws(const sp_fault_def* d) {
    switch (d->kind) {
    case SP_FAULT_NOISE:
    case SP_FAULT_SPIKES:
    case SP_FAULT_ACTION_NOISE:
    case SP_FAULT_PIXEL_NOISE:
    case SP_FAULT_OCCLUSION:
        return true;
    default:
        return (SP_FAULT_BIT(d->kind) & SP_FAULT_PHYSICS_KINDS) && d->walk > 0.0;
    }
}

static unsigned hashed_state(const fault* f) {
    unsigned what = 0;
    int kind = f->def.kind;
    if (f->def.schedule.type == SP_SCHEDULE_PROBABILITY) what |= HASH_SCHEDULE;
    if (kind == SP_FAULT_DRIFT || is_physics(f)) what |= HASH_OPENED;
    if (kind == SP_FAULT_ACTION_REPEAT) what |= HASH_HOLD;
    if (kind == SP_FAULT_REWARD_DELAY) what |= HASH_OWED;
    if (f->uses_rng) what |= HASH_RNG;
    if (is_physics(f)) what |= HASH_FACTOR;
    return what;
}

int sp_faults_validate(const sp_fault_def* list, int count, const sp_env_spec* spec, char* err,
                       size_t err_sz) {
    if (!spec) {
        set_error(err, err_sz, "faults: no env spec");
        return SP_E_BAD_ARGUMENT;
    }
    if (count < 0 || count > SP_MAX_FAULTS || (count > 0 && !list)) {
        if (err && err_sz)
            snprintf(err, err_sz, "faults: a list of 0 to %d faults, got %d", SP_MAX_FAULTS, count);
        return SP_E_BAD_ARGUMENT;
    }
    uint8_t ch[SP_MAX_SENSORS];
    int nch, rc;
    for (int i = 0; i < count; i++)
        if ((rc = sp_fault_check(&list[i], i, spec, ch, &nch, err, err_sz)) != 0) return rc;
    return SP_OK;
}

sp_faults* sp_faults_create(const sp_fault_def* list, int count, const sp_env_spec* spec, char* err,
                            size_t err_sz) {
    if (sp_faults_validate(list, count, spec, err, err_sz) != 0) return NULL;
    sp_fault_normal_init(); /* once per process, so the step path never checks */
    sp_faults* fs = calloc(1, sizeof *fs);
    if (!fs) goto oom;
    fs->spec = spec;
    fs->pending_t = -1;
    fs->valid = malloc((size_t)(spec->sensor_count > 0 ? spec->sensor_count : 1));
    if (!fs->valid) goto oom;
    memset(fs->valid, 1, (size_t)spec->sensor_count);
    if (spec->action_kind == SP_ACTION_CONTINUOUS) {
        for (int a = 0; a < spec->actuator_count; a++) {
            const sp_channel* c = &spec->actuators[a];
            fs->zero[a] = (float)(0.0 < c->low ? c->low : 0.0 > c->high ? c->high : 0.0);
        }
    }
    if (sp_faults_set(fs, list, count, err, err_sz) != 0) {
        sp_faults_destroy(fs);
        return NULL;
    }
    return fs;
oom:
    sp_faults_destroy(fs);
    set_error(err, err_sz, "faults: out of memory");
    return NULL;
}

/* Moves the counters of the current list into `retired`, so replacing a list keeps them. */
static void fold_stats(sp_faults* fs) {
    for (int i = 0; i < fs->count; i++) {
        fault* f = &fs->faults[i];
        fs->retired.windows[f->def.kind] += f->windows;
        fs->retired.active_steps[f->def.kind] += f->active_steps;
        fs->retired.events[f->def.kind] += f->events;
        f->windows = f->active_steps = f->events = 0;
    }
}

int sp_faults_set(sp_faults* fs, const sp_fault_def* list, int count, char* err, size_t err_sz) {
    int rc = sp_faults_validate(list, count, fs->spec, err, err_sz);
    if (rc != 0) return rc;
    fault* faults = count ? calloc((size_t)count, sizeof *faults) : NULL;
    if (count && !faults) goto oom;
    size_t nf = 0, nd = 0;
    for (int i = 0; i < count; i++) {
        fault* f = &faults[i];
        f->def = list[i];
        f->index = i;
        sp_fault_check(&list[i], i, fs->spec, f->ch, &f->nch, NULL, 0);
        snprintf(f->target, sizeof f->target, "%s", list[i].target ? list[i].target : "*");
        f->def.target = f->target;
        /* Stream names are formatted here, once, so a reset only hashes them. */
        const char* kind = sp_fault_kind_name(f->def.kind);
        snprintf(f->stream, sizeof f->stream, "fault/%d/%s", i, kind);
        snprintf(f->sched_stream, sizeof f->sched_stream, "fault/%d/%s/schedule", i, kind);
        f->slots = (SP_FAULT_BIT(f->def.kind) & SP_FAULT_STEP_KINDS) ? f->def.steps + 1 : 0;
        f->duty = sp_fault_schedule_duty(&f->def.schedule);
        const sp_fault_schedule* sc = &f->def.schedule;
        f->always = (sc->type == SP_SCHEDULE_ALWAYS || sc->type == SP_SCHEDULE_WINDOW) &&
                    sc->start == 0 && sc->end == INT_MAX;
        f->uses_rng = draws(&f->def);
        f->hashed = (uint8_t)hashed_state(f);
        nf += floats_needed(f);
        if (f->def.kind == SP_FAULT_REWARD_DELAY) nd += (size_t)f->slots;
    }
    float* block = nf ? calloc(nf, sizeof *block) : NULL;
    double* dblock = nd ? calloc(nd, sizeof *dblock) : NULL;
    if ((nf && !block) || (nd && !dblock)) {
        free(block);
        free(dblock);
        goto oom;
    }

    fold_stats(fs);
    free(fs->faults);
    free(fs->block);
    free(fs->dblock);
    fs->faults = faults;
    fs->count = count;
    fs->block = block;
    fs->block_len = nf;
    fs->dblock = dblock;
    fs->dblock_len = nd;
    fs->held = 0;
    fs->nsensor = fs->naction = fs->nphysics = fs->nreward = fs->nstaged = fs->npixels = 0;
    fs->staged_mask = 0;
    fs->has_outage = fs->needs_bodies = fs->needs_shapes = false;
    size_t fo = 0, dofs = 0;
    for (int i = 0; i < count; i++) {
        fault* f = &faults[i];
        f->buf = floats_needed(f) ? block + fo : NULL;
        fo += floats_needed(f);
        if (f->def.kind == SP_FAULT_REWARD_DELAY) {
            f->dbuf = dblock + dofs;
            dofs += (size_t)f->slots;
        }
        switch (sp_fault_kind_domain(f->def.kind)) {
        case SP_FAULT_SENSOR:
            fs->sensor[fs->nsensor++] = i;
            break;
        case SP_FAULT_ACTION:
            fs->action[fs->naction++] = i;
            break;
        case SP_FAULT_REWARD:
            fs->reward[fs->nreward++] = i;
            break;
        case SP_FAULT_PIXELS:
            fs->pixels[fs->npixels++] = i;
            break;
        case SP_FAULT_PHYSICS:
            if (f->def.kind == SP_FAULT_MOTOR)
                fs->action[fs->naction++] = i;
            else
                fs->physics[fs->nphysics++] = i;
            break;
        }
        f->staged = !(SP_FAULT_BIT(f->def.kind) & SP_FAULT_SENSOR_KINDS);
        if (f->staged) {
            fs->staged[fs->nstaged++] = i;
            fs->staged_mask |= 1ull << i;
        }
        fs->has_outage |= f->def.kind == SP_FAULT_OUTAGE;
        fs->needs_bodies |= f->def.kind == SP_FAULT_MASS;
        fs->needs_shapes |= f->def.kind == SP_FAULT_FRICTION;
    }
    /* Idle until the next reset: the episode in progress was not made with this list. */
    fs->live = false;
    fs->pending_t = -1;
    fs->active = 0;
    memset(fs->valid, 1, (size_t)fs->spec->sensor_count);
    return SP_OK;
oom:
    free(faults);
    set_error(err, err_sz, "faults: out of memory");
    return SP_E_NO_MEMORY;
}

void sp_faults_destroy(sp_faults* fs) {
    if (!fs) return;
    free(fs->faults);
    free(fs->block);
    free(fs->dblock);
    free(fs->valid);
    free(fs->friction);
    free(fs->mass);
    free(fs->moment);
    free(fs->frames);
    free(fs);
}

/* Steps state `s` of fault `f` to step t: its schedule, its window opening or closing (with
 * an event), and a physics fault's factor. */
static void step_schedule(sp_faults* fs, fault* f, fault_state* s, int t) {
    bool was = s->active != 0;
    bool act =
        sp_fault_schedule_step(&f->def.schedule, f->duty, t, &s->sched, &s->occ_left, &s->phase);
    s->active = act;
    if (f->slots) sp_fault_next_slot(f->slots, &s->slot, t);
    bool physics = is_physics(f);
    if (act && !was) {
        s->opened = t;
        s->hold_left = 0;
        if (physics) {
            s->walk = 0.0;
            s->base = f->def.scale;
            if (f->def.update == SP_UPDATE_EPISODE && f->def.walk > 0.0)
                s->base += f->def.walk * sp_fault_normal_ready(&s->rng);
        }
        if (f->def.kind == SP_FAULT_OCCLUSION) {
            s->box_x = sp_rng_uniform(&s->rng);
            s->box_y = sp_rng_uniform(&s->rng);
        }
    } else if (!act && was) {
        s->hold_left = 0;
    }
    /* Drawn whether or not a frame is drawn: the stream never depends on rendering. */
    if (act && f->def.kind == SP_FAULT_PIXEL_NOISE) s->draw = sp_rng_next(&s->rng);
    if (act && physics) {
        if (f->def.update == SP_UPDATE_STEP && f->def.walk > 0.0 && t > s->opened)
            s->walk += f->def.walk * sp_fault_normal_ready(&s->rng);
        /* Derived from the window's start each step, never accumulated, so a long drift
         * carries no rounding from step to step. */
        s->factor = s->base + f->def.drift * (double)(t - s->opened) + s->walk;
    }
    if (act != was)
        sp_fault_emit(fs, f, act ? SP_FAULT_EVENT_OPEN : SP_FAULT_EVENT_CLOSE,
                      f->nch ? f->ch[0] : -1, physics ? (float)s->factor : 0.0f, 0.0f);
}

/* Stages a fault's step t: its committed state copied, then stepped. */
static void advance(sp_faults* fs, fault* f, int t) {
    fault_state* n = FAULT_NEXT(f);
    const fault_state* now = FAULT_NOW(f);
    memcpy(n, now, offsetof(fault_state, rng));
    if (f->uses_rng) n->rng = now->rng;
    if (f->def.schedule.type == SP_SCHEDULE_PROBABILITY) n->sched = now->sched;
    n->drops = 0;
    step_schedule(fs, f, n, t);
}

/* Counts a fault's step t in its stats and returns its active bit. */
static uint64_t count(fault* f, const fault_state* s, int t) {
    f->events += (uint64_t)s->drops;
    if (!s->active) return 0;
    f->active_steps++;
    f->windows += s->opened == t;
    return 1ull << f->index;
}

/* Commits the staged faults' step t. */
static void commit(sp_faults* fs, int t) {
    uint64_t active = 0;
    for (int k = 0; k < fs->nstaged; k++) {
        fault* f = &fs->faults[fs->staged[k]];
        active |= count(f, FAULT_NEXT(f), t);
        f->cur ^= 1;
    }
    fs->active = (fs->active & ~fs->staged_mask) | active;
    fs->pending_t = -1;
}

static int faults_on_begin(void* self, sp_episode* ep) {
    sp_faults* fs = self;
    fs->live = true;
    fs->active = 0;
    memset(fs->valid, 1, (size_t)fs->spec->sensor_count);
    if (fs->count == 0) return SP_OK;
    if (fs->block) memset(fs->block, 0, fs->block_len * sizeof *fs->block);
    if (fs->dblock) memset(fs->dblock, 0, fs->dblock_len * sizeof *fs->dblock);
    fs->held = 0;
    sp_world* world = sp_episode_world(ep);
    if ((fs->nphysics && sp_fault_physics_capture(fs, world) != 0) ||
        sp_fault_pixels_begin(fs, sp_episode_frame(ep)) != SP_OK) {
        fs->live = false;
        return SP_E_NO_MEMORY;
    }
    uint64_t seed = sp_episode_seed(ep);
    for (int i = 0; i < fs->count; i++) {
        fault* f = &fs->faults[i];
        fault_state* now = FAULT_NOW(f);
        memset(now, 0, sizeof *now);
        /* Only the streams a fault draws from are seeded (and hashed): resets are frequent. */
        if (f->uses_rng) sp_rng_seed(&now->rng, seed, f->stream);
        if (f->def.schedule.type == SP_SCHEDULE_PROBABILITY)
            sp_rng_seed(&now->sched, seed, f->sched_stream);
        now->opened = -1;
        now->owed_from = 1; /* rewards are earned from step 1 */
    }
    /* Step 0 is the reset: staged faults step here, sensor faults in on_observation. */
    for (int k = 0; k < fs->nstaged; k++)
        advance(fs, &fs->faults[fs->staged[k]], 0);
    if (fs->nphysics) sp_fault_physics_apply(fs, world);
    fs->pending_t = 0;
    return SP_OK;
}

static int faults_on_reset(void* self, sp_episode* ep) {
    sp_faults* fs = self;
    if (fs->live && fs->count && fs->pending_t == 0) commit(fs, 0);
    return SP_OK;
}

static int faults_on_action(void* self, sp_episode* ep, sp_action* action, char* err,
                            size_t err_sz) {
    sp_faults* fs = self;
    if (!fs->live || fs->count == 0) return SP_OK;
    int t = sp_episode_step_count(ep) + 1;
    fs->pending_t = t;
    if (fs->nstaged == 0) return SP_OK;
    if (fs->naction) {
        /* The values enter this layer's buffers and may be applied steps later, so they are
         * held to what the runtime itself accepts first: a NaN is refused now, the same way
         * the runtime's final check would refuse it, rather than k steps later. */
        int rc = sp_action_check(fs->spec, action, err, err_sz);
        if (rc != 0) return rc;
    }
    for (int k = 0; k < fs->nstaged; k++)
        advance(fs, &fs->faults[fs->staged[k]], t);
    if (fs->naction) {
        float vals[SP_MAX_ACTUATORS];
        bool discrete = fs->spec->action_kind == SP_ACTION_DISCRETE;
        if (discrete)
            vals[0] = (float)action->index;
        else
            memcpy(vals, action->value, sizeof vals);
        for (int k = 0; k < fs->naction; k++)
            sp_fault_action_apply(fs, &fs->faults[fs->action[k]], vals, t);
        if (discrete)
            action->index = (int32_t)vals[0];
        else
            memcpy(action->value, vals, sizeof vals);
    }
    if (fs->nphysics) sp_fault_physics_apply(fs, sp_episode_world(ep));
    return SP_OK;
}

static void faults_on_observation(void* self, sp_episode* ep, float* obs) {
    sp_faults* fs = self;
    int t = fs->pending_t;
    if (!fs->live || fs->nsensor == 0 || t < 0) return;
    if (fs->has_outage) memset(fs->valid, 1, (size_t)fs->spec->sensor_count);
    uint64_t active = 0;
    for (int k = 0; k < fs->nsensor; k++) {
        fault* f = &fs->faults[fs->sensor[k]];
        fault_state* s = FAULT_NOW(f);
        /* step_schedule, less what only staged kinds need: this runs for every sensor
         * fault at every step. */
        bool was = s->active != 0;
        bool act = f->always || sp_fault_schedule_step(&f->def.schedule, f->duty, t, &s->sched,
                                                       &s->occ_left, &s->phase);
        s->active = act;
        if (f->slots) sp_fault_next_slot(f->slots, &s->slot, t);
        if (act != was) {
            if (act) s->opened = t;
            sp_fault_emit(fs, f, act ? SP_FAULT_EVENT_OPEN : SP_FAULT_EVENT_CLOSE, f->ch[0], 0.0f,
                          0.0f);
        }
        active |= count(f, s, t);
        sp_fault_sensor_apply(fs, f, obs, t);
    }
    fs->active = (fs->active & fs->staged_mask) | active;
}

static void faults_on_pixels(void* self, sp_episode* ep, sp_frame* frame) {
    sp_faults* fs = self;
    int t = fs->pending_t;
    (void)ep;
    if (!fs->live || fs->npixels == 0 || t < 0) return;
    for (int k = 0; k < fs->npixels; k++)
        sp_fault_pixels_apply(fs, &fs->faults[fs->pixels[k]], frame, t);
}

static void faults_on_result(void* self, sp_episode* ep, const sp_action* action,
                             sp_step_result* r) {
    sp_faults* fs = self;
    if (!fs->live || fs->nstaged == 0) {
        fs->pending_t = -1;
        return;
    }
    int t = sp_episode_step_count(ep);
    bool last = r->terminated || r->truncated;
    if (fs->pending_t != t) {
        /* A layer before this one ended the episode in its on_action: nothing was applied
         * or sensed, and schedules stay where they were; rewards owed are still paid. */
        for (int k = 0; k < fs->nstaged; k++) {
            fault* f = &fs->faults[fs->staged[k]];
            *FAULT_NEXT(f) = *FAULT_NOW(f);
            FAULT_NEXT(f)->drops = 0;
        }
    }
    for (int k = 0; k < fs->nreward; k++) {
        fault* f = &fs->faults[fs->reward[k]];
        r->reward = sp_fault_reward_apply(fs, f, FAULT_NEXT(f), r->reward, t, last);
    }
    commit(fs, t);
}

/* The layer's state is folded into one digest, then into the state hash as one word. The
 * state hash absorbs words one after another, each waiting on the last (a chain of
 * multiplies); the digest spreads words over four independent XXH64 accumulators, so
 * consecutive words do not wait on each other. */
#define DG_P1 0x9E3779B185EBCA87ull
#define DG_P2 0xC2B2AE3D27D4EB4Full

typedef struct digest {
    uint64_t acc[4];
    unsigned n;
} digest;

static inline uint64_t dg_rotl(uint64_t x, int r) {
    return (x << r) | (x >> (64 - r));
}

static inline void dg_add(digest* d, uint64_t w) {
    uint64_t* a = &d->acc[d->n++ & 3u];
    *a = dg_rotl(*a + w * DG_P2, 31) * DG_P1;
}

static inline void dg_rng(digest* d, const sp_rng* rng) {
    for (int i = 0; i < 4; i++)
        dg_add(d, rng->s[i]);
}

static inline void dg_f64(digest* d, double v) {
    uint64_t w;
    memcpy(&w, &v, sizeof w);
    dg_add(d, w);
}

static void faults_hash(const void* self, sp_hash* h) {
    const sp_faults* fs = self;
    if (!fs->live || fs->count == 0) return; /* an empty list leaves every hash as it was */
    digest d = {{DG_P1 + DG_P2, DG_P2, 0, 0 - DG_P1}, 0};
    /* Each fault feeds only the state its kind and schedule carry; one word holds every
     * fault's active flag. */
    dg_add(&d, fs->active);
    for (int i = 0; i < fs->count; i++) {
        const fault* f = &fs->faults[i];
        unsigned what = f->hashed;
        if (!what) continue;
        const fault_state* s = FAULT_NOW(f);
        if (what & HASH_SCHEDULE) {
            dg_add(&d, (uint64_t)(uint32_t)s->occ_left);
            dg_rng(&d, &s->sched);
        }
        if (what & HASH_OPENED) dg_add(&d, (uint64_t)(uint32_t)s->opened);
        if (what & HASH_HOLD) dg_add(&d, (uint64_t)(uint32_t)s->hold_left);
        if (what & HASH_OWED) dg_add(&d, (uint64_t)(uint32_t)s->owed_from);
        if (what & HASH_RNG) dg_rng(&d, &s->rng);
        if (what & HASH_FACTOR) {
            dg_f64(&d, s->base);
            dg_f64(&d, s->walk);
            dg_f64(&d, s->factor);
        }
    }
    /* Buffers: their digest, kept as values enter and leave (fault_internal.h). */
    if (fs->block_len || fs->dblock_len) dg_add(&d, fs->held);
    uint64_t merged =
        dg_rotl(d.acc[0], 1) + dg_rotl(d.acc[1], 7) + dg_rotl(d.acc[2], 12) + dg_rotl(d.acc[3], 18);
    sp_hash_u64(h, merged ^ d.n);
}

int sp_faults_attach(sp_faults* fs, sp_episode* ep) {
    if (!fs || !ep || fs->ep || sp_episode_spec(ep) != fs->spec) return SP_E_BAD_ARGUMENT;
    sp_layer layer = {
        .name = "faults",
        .self = fs,
        .on_begin = faults_on_begin,
        .on_reset = faults_on_reset,
        .on_action = faults_on_action,
        .on_observation = faults_on_observation,
        .on_pixels = faults_on_pixels,
        .on_result = faults_on_result,
        .hash = faults_hash,
    };
    int rc = sp_episode_add_layer(ep, &layer);
    if (rc != 0) return rc;
    fs->ep = ep;
    return SP_OK;
}

int sp_faults_count(const sp_faults* fs) {
    return fs->count;
}

const sp_fault_def* sp_faults_def(const sp_faults* fs, int index) {
    return (index >= 0 && index < fs->count) ? &fs->faults[index].def : NULL;
}

uint64_t sp_faults_active(const sp_faults* fs) {
    return fs->active;
}

const uint8_t* sp_faults_sensor_valid(const sp_faults* fs) {
    return fs->valid;
}

void sp_faults_stats(const sp_faults* fs, sp_fault_stats* out) {
    /* Counted per fault, where the step already has the fault in hand, and summed here. */
    *out = fs->retired;
    for (int i = 0; i < fs->count; i++) {
        const fault* f = &fs->faults[i];
        out->windows[f->def.kind] += f->windows;
        out->active_steps[f->def.kind] += f->active_steps;
        out->events[f->def.kind] += f->events;
    }
}

void sp_faults_clear_stats(sp_faults* fs) {
    fold_stats(fs);
    memset(&fs->retired, 0, sizeof fs->retired);
}
