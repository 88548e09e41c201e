/* Playback: re-simulate a replay once at load and keep the trajectory (see playback.h). */

#include "sandpit/playback.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/episode_layers.h"
#include "sandpit/envs.h"
#include "sandpit/scene.h"
#include "sandpit/error.h"

typedef struct pose {
    double x, y, angle;
} pose;

struct sp_playback {
    sp_replay_header header; /* config pointer cleared: the reader that owned it is closed */
    const sp_env_class* env;
    sp_scene* scene; /* the replay's embedded scene, whose env `env` is; NULL for a C env */
    sp_episode* ep;
    int body_count; /* bodies posed per step: those that existed after the reset */
    int steps;      /* steps loaded */
    int capacity;   /* entries allocated in the per-step arrays */
    sp_playback_step* info;
    uint8_t* marks;
    pose* poses;             /* capacity * body_count */
    sp_draw_point* contacts; /* capacity * SP_PLAYBACK_MAX_CONTACTS */
    uint8_t* contact_counts;
    /* Channel values, one row per step while loading: sensors as seen, as true, actions as
     * sent, as applied, reward, return, cost (row_width floats); then transposed once into
     * one series per value so plots read them in order. */
    int sensors, actuators, row_width;
    float* rows;
    uint8_t* valid_rows; /* capacity * sensors */
    float* series;       /* row_width * (steps + 1), series-major */
    uint8_t* valid;      /* sensors * (steps + 1) */
    uint8_t* bands;      /* channel_count * (steps + 1) */
    uint8_t* fault_band; /* steps + 1: 1 + the lowest active fault, or 0 */
    sp_playback_channel* channels;
    int channel_count;
    sp_config_replay* owned_layers; /* sp_playback_load_recorded's, else NULL */
    const sp_episode_layers* layers;
    int divergence;
    char reason[64];
    char note[256];
};

static int grow(sp_playback* pb, int need) {
    if (need <= pb->capacity) return 0;
    int cap = pb->capacity ? pb->capacity : 64;
    while (cap < need)
        cap *= 2;
    size_t n = (size_t)cap;
    sp_playback_step* info = realloc(pb->info, n * sizeof *info);
    if (info) pb->info = info;
    uint8_t* marks = realloc(pb->marks, n);
    if (marks) pb->marks = marks;
    pose* poses =
        realloc(pb->poses, n * (size_t)(pb->body_count ? pb->body_count : 1) * sizeof *poses);
    if (poses) pb->poses = poses;
    sp_draw_point* contacts =
        realloc(pb->contacts, n * SP_PLAYBACK_MAX_CONTACTS * sizeof *contacts);
    if (contacts) pb->contacts = contacts;
    uint8_t* counts = realloc(pb->contact_counts, n);
    if (counts) pb->contact_counts = counts;
    float* rows = realloc(pb->rows, n * (size_t)pb->row_width * sizeof *rows);
    if (rows) pb->rows = rows;
    uint8_t* valid = realloc(pb->valid_rows, n * (size_t)(pb->sensors ? pb->sensors : 1));
    if (valid) pb->valid_rows = valid;
    if (!info || !marks || !poses || !contacts || !counts || !rows || !valid) return SP_E_NO_MEMORY;
    pb->capacity = cap;
    return 0;
}

typedef struct contact_walk {
    sp_draw_point* out;
    int count;
} contact_walk;

static void collect_contact(const sp_contact* c, void* data) {
    contact_walk* w = data;
    /* Each pair of registered bodies is seen from both: keep it once. The ground and bodies
     * outside the registry have index -1. */
    int other = sp_body_index(c->other);
    if (other >= 0 && other < sp_body_index(c->body)) return;
    for (int i = 0; i < c->point_count && w->count < SP_PLAYBACK_MAX_CONTACTS; i++) {
        w->out[w->count].x = c->points[i].x;
        w->out[w->count].y = c->points[i].y;
        w->count++;
    }
}

/* Stores the world's state as step `step` (grow() has made room). */
static void capture(sp_playback* pb, int step) {
    sp_world* world = sp_episode_world(pb->ep);
    pose* p = pb->poses + (size_t)step * (size_t)pb->body_count;
    for (int i = 0; i < pb->body_count; i++) {
        sp_body_id body = sp_world_body_id(world, i);
        sp_vec2 pos = sp_body_position(world, body);
        p[i].x = pos.x;
        p[i].y = pos.y;
        p[i].angle = sp_body_angle(world, body);
    }
    contact_walk w = {pb->contacts + (size_t)step * SP_PLAYBACK_MAX_CONTACTS, 0};
    for (int i = 0; i < sp_world_body_count(world); i++)
        sp_body_each_contact(world, sp_world_body_id(world, i), collect_contact, &w);
    pb->contact_counts[step] = (uint8_t)w.count;
}

static float action_value(const sp_env_spec* spec, const sp_action* a, int j) {
    return spec->action_kind == SP_ACTION_DISCRETE ? (float)a->index : a->value[j];
}

/* Stores step `step`'s channel row, and what the recorded layers did: the observation the agent
 * got next to the env's true reading, both actions, and from the layers the active faults,
 * the channels under an outage and the step's cost. */
static void capture_channels(sp_playback* pb, int step, const sp_action* sent,
                             const sp_action* applied) {
    sp_episode* ep = pb->ep;
    const sp_env_spec* spec = pb->env->spec;
    float* row = pb->rows + (size_t)step * (size_t)pb->row_width;
    int S = pb->sensors, A = pb->actuators;
    memcpy(row, sp_episode_obs(ep), (size_t)S * sizeof *row);
    pb->env->sense(sp_episode_env_state(ep), sp_episode_world(ep), row + S);
    for (int j = 0; j < A; j++) {
        row[2 * S + j] = action_value(spec, sent, j);
        row[2 * S + A + j] = action_value(spec, applied, j);
    }
    sp_playback_step* s = &pb->info[step];
    const sp_episode_layers* l = pb->layers;
    s->cost = l && l->guard && step > 0 ? sp_guard_step_cost(l->guard) : 0.0;
    row[2 * S + 2 * A] = (float)s->reward;
    row[2 * S + 2 * A + 1] = (float)s->episode_return;
    row[2 * S + 2 * A + 2] = (float)s->cost;
    s->faults = l && l->faults ? sp_faults_active(l->faults) : 0;
    if (s->faults) s->marks = pb->marks[step] = (uint8_t)(s->marks | SP_MARK_FAULT);
    uint8_t* valid = pb->valid_rows + (size_t)step * (size_t)S;
    if (l && l->faults)
        memcpy(valid, sp_faults_sensor_valid(l->faults), (size_t)S);
    else
        memset(valid, 1, (size_t)S);
}

static uint32_t guard_reasons_of(const sp_replay_record* rec) {
    uint32_t r = 0;
    for (int i = 0; i < rec->event_count; i++) {
        const sp_event* e = &rec->events[i];
        if ((e->source == SP_EVENT_GUARD || e->source == SP_EVENT_MACHINE) && e->code < 32)
            r |= 1u << e->code;
    }
    return r;
}

static uint8_t marks_of(const sp_replay_record* rec) {
    uint8_t m = 0;
    for (int i = 0; i < rec->event_count; i++) {
        switch (rec->events[i].source) {
        case SP_EVENT_GUARD:
            m |= SP_MARK_GUARD;
            break;
        case SP_EVENT_FAULT:
            m |= SP_MARK_FAULT;
            break;
        case SP_EVENT_MACHINE:
            m |= SP_MARK_MACHINE;
            break;
        default:
            break;
        }
    }
    if (rec->terminated || rec->truncated) m |= SP_MARK_END;
    return m;
}

static void pass_machine_events(const sp_verify_def* layers, sp_episode* ep,
                                const sp_replay_record* rec) {
    if (!layers || !layers->machine_events) return;
    sp_event machine[SP_MAX_STEP_EVENTS];
    int n = 0;
    for (int i = 0; i < rec->event_count; i++)
        if (rec->events[i].source == SP_EVENT_MACHINE) machine[n++] = rec->events[i];
    layers->machine_events(layers->user, ep, rec->step, machine, n);
}

static int check_env(sp_playback* pb, const char* path, char* err, size_t err_sz) {
    const sp_replay_header* h = &pb->header;
    if (h->scene) {
        char why[384];
        sp_scene_limits lim = sp_default_scene_limits();
        if (!(pb->scene = sp_scene_load(h->scene, h->scene_len, &lim, why, sizeof why))) {
            snprintf(err, err_sz, "%s: the embedded scene: %s", path, why);
            return SP_E_BAD_SCENE;
        }
    }
    pb->env = pb->scene ? sp_scene_env(pb->scene) : sp_env_find(h->env_id);
    if (!pb->env) {
        snprintf(err, err_sz, "%s: env '%s' is not in this build", path, h->env_id);
        return SP_E_UNKNOWN_ENV;
    }
    const sp_env_spec* spec = pb->env->spec;
    if (spec->version != h->env_version || spec->dt != h->dt || spec->iterations != h->iterations ||
        spec->frame_skip != h->frame_skip) {
        snprintf(err, err_sz,
                 "%s: recorded with %s version %d (dt %g, %d iterations, frame skip %d); this "
                 "build has version %d (dt %g, %d iterations, frame skip %d)",
                 path, h->env_id, h->env_version, h->dt, h->iterations, h->frame_skip,
                 spec->version, spec->dt, spec->iterations, spec->frame_skip);
        return SP_E_VERSION;
    }
    return 0;
}

/* Handles one record; returns 1 to go on, 0 at a normal stop, negative on error. */
static int apply_record(sp_playback* pb, const sp_verify_def* layers, const sp_replay_record* rec,
                        char* err, size_t err_sz) {
    if (rec->kind == SP_REPLAY_RESET) {
        pass_machine_events(layers, pb->ep, rec);
        int rc = sp_episode_reset_restore(pb->ep, pb->header.seed, &pb->header.seed_stream);
        if (rc != 0) {
            snprintf(err, err_sz, "reset failed: %s", sp_error_name(rc));
            return rc;
        }
        pb->body_count = sp_world_body_count(sp_episode_world(pb->ep));
        if ((rc = grow(pb, 1)) != 0) return rc;
        sp_playback_step* s = &pb->info[0];
        memset(s, 0, sizeof *s);
        s->hash = rec->hash;
        s->replayed_hash = sp_episode_hash(pb->ep);
        s->marks = pb->marks[0] = marks_of(rec);
        s->guard_reasons = guard_reasons_of(rec);
        capture(pb, 0);
        capture_channels(pb, 0, &s->sent, &s->action);
        pb->steps = 0;
        return 1;
    }
    if (rec->kind == SP_REPLAY_FOOTER) {
        snprintf(pb->reason, sizeof pb->reason, "%s", rec->footer.reason);
        return 0;
    }
    int k = pb->steps + 1;
    int rc = grow(pb, k + 1);
    if (rc != 0) return rc;
    pass_machine_events(layers, pb->ep, rec);
    /* With the layers in place, feed what they received and let them rewrite it again; without
     * them, feed what the env received, so the bodies still move as recorded. */
    sp_action a = (layers && layers->add_layers) ? rec->action : rec->applied;
    sp_step_result r;
    char step_err[160];
    rc = sp_episode_step(pb->ep, &a, &r, step_err, sizeof step_err);
    if (rc != 0) {
        snprintf(pb->note, sizeof pb->note, "re-simulation refused step %d: %s", k, step_err);
        return 0;
    }
    sp_playback_step* s = &pb->info[k];
    s->reward = rec->reward;
    s->episode_return = pb->info[k - 1].episode_return + rec->reward;
    s->terminated = rec->terminated;
    s->truncated = rec->truncated;
    s->action = rec->applied;
    s->sent = rec->action;
    s->hash = rec->hash;
    s->replayed_hash = r.hash;
    s->marks = pb->marks[k] = marks_of(rec);
    s->guard_reasons = guard_reasons_of(rec);
    capture(pb, k);
    capture_channels(pb, k, &rec->action, &rec->applied);
    pb->steps = k;
    return 1;
}

static void finish_note(sp_playback* pb, sp_replay_status status, const sp_replay_problem* prob) {
    pb->divergence = -1;
    for (int k = 0; k <= pb->steps; k++)
        if (pb->info[k].hash != pb->info[k].replayed_hash) {
            pb->divergence = k;
            break;
        }
    if (pb->note[0]) return; /* a refused step already explained itself */
    if (status == SP_REPLAY_TRUNCATED)
        snprintf(pb->note, sizeof pb->note, "file truncated after step %d", pb->steps);
    else if (status != SP_REPLAY_END)
        snprintf(pb->note, sizeof pb->note, "%s after step %d: %s", sp_replay_status_name(status),
                 pb->steps, prob->message);
    else if (pb->divergence >= 0)
        snprintf(pb->note, sizeof pb->note, "re-simulation differs from the record from step %d",
                 pb->divergence);
    else
        snprintf(pb->note, sizeof pb->note, "re-simulated %d steps, hashes match", pb->steps);
}

/* Whether fault `f` acts on channel `c`: sensor faults on the sensors their target matches,
 * action faults on the actions, reward faults on reward and return, physics on everything,
 * pixel faults on none. */
static bool fault_acts_on(const sp_fault_def* f, const sp_playback_channel* c) {
    const char* target = f->target ? f->target : "*";
    switch (sp_fault_kind_domain(f->kind)) {
    case SP_FAULT_SENSOR:
        return c->kind == SP_CHANNEL_SENSOR && fnmatch(target, c->name, 0) == 0;
    case SP_FAULT_ACTION:
        return c->kind == SP_CHANNEL_ACTION &&
               (strcmp(c->name, "action") == 0 || fnmatch(target, c->name, 0) == 0);
    case SP_FAULT_REWARD:
        return c->kind == SP_CHANNEL_REWARD || c->kind == SP_CHANNEL_RETURN;
    case SP_FAULT_PIXELS:
        return false; /* frames only: no channel a chart shows */
    default:
        return true;
    }
}

static void fill_band(sp_playback* pb, const sp_playback_channel* c, uint8_t* band) {
    int nf = sp_playback_fault_count(pb);
    for (int k = 0; k <= pb->steps; k++) {
        band[k] = 0;
        uint64_t m = pb->info[k].faults;
        for (int i = 0; i < nf && i < 64 && m; i++)
            if ((m >> i & 1u) && fault_acts_on(sp_playback_fault(pb, i), c)) {
                band[k] = (uint8_t)(i + 1 > 255 ? 255 : i + 1);
                break;
            }
    }
}

/* Turns the per-step rows into one series per value and lists the channels over them. */
static int build_channels(sp_playback* pb) {
    const sp_env_spec* spec = pb->env->spec;
    int S = pb->sensors, A = pb->actuators, W = pb->row_width;
    size_t n = (size_t)pb->steps + 1;
    pb->channel_count = S + A + 3;
    pb->series = malloc((size_t)W * n * sizeof *pb->series);
    pb->valid = malloc((size_t)(S ? S : 1) * n);
    pb->bands = malloc((size_t)pb->channel_count * n);
    pb->channels = calloc((size_t)pb->channel_count, sizeof *pb->channels);
    pb->fault_band = calloc(n, 1);
    if (!pb->series || !pb->valid || !pb->bands || !pb->channels || !pb->fault_band)
        return SP_E_NO_MEMORY;
    for (size_t k = 0; k < n; k++)
        for (int i = 0; i < 64 && i < 255; i++)
            if (pb->info[k].faults >> i & 1u) {
                pb->fault_band[k] = (uint8_t)(i + 1);
                break;
            }
    for (size_t k = 0; k < n; k++) {
        for (int v = 0; v < W; v++)
            pb->series[(size_t)v * n + k] = pb->rows[k * (size_t)W + (size_t)v];
        for (int i = 0; i < S; i++)
            pb->valid[(size_t)i * n + k] = pb->valid_rows[k * (size_t)S + (size_t)i];
    }
    bool discrete = spec->action_kind == SP_ACTION_DISCRETE;
    static const char* const tail_names[] = {"reward", "return", "cost"};
    for (int c = 0; c < pb->channel_count; c++) {
        sp_playback_channel* ch = &pb->channels[c];
        if (c < S) {
            *ch = (sp_playback_channel){spec->sensors[c].name,
                                        spec->sensors[c].unit,
                                        SP_CHANNEL_SENSOR,
                                        c,
                                        pb->series + (size_t)c * n,
                                        pb->series + (size_t)(S + c) * n,
                                        pb->valid + (size_t)c * n,
                                        NULL,
                                        "seen",
                                        "true"};
        } else if (c < S + A) {
            int j = c - S;
            *ch = (sp_playback_channel){discrete ? "action" : spec->actuators[j].name,
                                        discrete ? "index" : spec->actuators[j].unit,
                                        SP_CHANNEL_ACTION,
                                        j,
                                        pb->series + (size_t)(2 * S + j) * n,
                                        pb->series + (size_t)(2 * S + A + j) * n,
                                        NULL,
                                        NULL,
                                        "sent",
                                        "applied"};
        } else {
            int t = c - S - A;
            *ch = (sp_playback_channel){tail_names[t],
                                        "1",
                                        SP_CHANNEL_REWARD + t,
                                        0,
                                        pb->series + (size_t)(2 * S + 2 * A + t) * n,
                                        NULL,
                                        NULL,
                                        NULL,
                                        NULL,
                                        NULL};
        }
        uint8_t* band = pb->bands + (size_t)c * n;
        fill_band(pb, ch, band);
        ch->band = band;
    }
    free(pb->rows);
    free(pb->valid_rows);
    pb->rows = NULL;
    pb->valid_rows = NULL;
    return 0;
}

static sp_playback* load(const char* path, const sp_verify_def* layers, sp_config_replay* owned,
                         char* err, size_t err_sz) {
    sp_replay_problem problem;
    sp_replay* r = sp_replay_open(path, &problem);
    if (!r) {
        snprintf(err, err_sz, "%s: %s: %s", path, sp_replay_status_name(problem.status),
                 problem.message);
        sp_config_replay_destroy(owned);
        return NULL;
    }
    sp_playback* pb = calloc(1, sizeof *pb);
    sp_replay_record* rec = malloc(sizeof *rec);
    if (!pb || !rec) {
        snprintf(err, err_sz, "%s: out of memory", path);
        sp_config_replay_destroy(owned);
        goto fail;
    }
    pb->owned_layers = owned;
    if (owned) pb->layers = sp_config_replay_layers(owned);
    pb->header = *sp_replay_get_header(r);
    if (check_env(pb, path, err, err_sz) != 0) goto fail;
    pb->sensors = pb->env->spec->sensor_count;
    pb->actuators =
        pb->env->spec->action_kind == SP_ACTION_DISCRETE ? 1 : pb->env->spec->actuator_count;
    pb->row_width = 2 * pb->sensors + 2 * pb->actuators + 3;
    sp_episode_def def = sp_default_episode_def(pb->env);
    def.max_steps = pb->header.max_steps;
    def.seed = pb->header.seed;
    char msg[192];
    pb->ep = sp_episode_create(&def, msg, sizeof msg);
    if (!pb->ep) {
        snprintf(err, err_sz, "%s: %s", path, msg);
        goto fail;
    }
    if (layers && layers->add_layers &&
        layers->add_layers(layers->user, pb->ep, &pb->header, msg, sizeof msg) != 0) {
        snprintf(err, err_sz, "%s: cannot set up the recorded layers: %s", path, msg);
        goto fail;
    }
    sp_replay_status status;
    bool reset_seen = false;
    while ((status = sp_replay_next(r, rec)) == SP_REPLAY_OK) {
        int go = apply_record(pb, layers, rec, msg, sizeof msg);
        if (go < 0) {
            snprintf(err, err_sz, "%s: %s", path, go == SP_E_NO_MEMORY ? "out of memory" : msg);
            goto fail;
        }
        if (rec->kind == SP_REPLAY_RESET) reset_seen = true;
        if (rec->kind == SP_REPLAY_FOOTER) status = SP_REPLAY_END;
        if (go == 0) break;
    }
    if (!reset_seen) {
        snprintf(err, err_sz, "%s: no whole reset record: nothing to show", path);
        goto fail;
    }
    finish_note(pb, status, sp_replay_get_problem(r));
    if (build_channels(pb) != 0) {
        snprintf(err, err_sz, "%s: out of memory", path);
        goto fail;
    }
    pb->header.config = NULL; /* owned by the reader, about to be closed */
    pb->header.config_size = 0;
    pb->header.scene = NULL; /* likewise; pb->scene holds it decoded */
    pb->header.scene_len = 0;
    free(rec);
    sp_replay_close(r);
    return pb;
fail:
    free(rec);
    sp_replay_close(r);
    sp_playback_destroy(pb);
    return NULL;
}

sp_playback* sp_playback_load(const char* path, const sp_verify_def* layers, char* err,
                              size_t err_sz) {
    return load(path, layers, NULL, err, err_sz);
}

sp_playback* sp_playback_load_recorded(const char* path, char* err, size_t err_sz) {
    sp_config_replay* owned = sp_config_replay_create();
    if (!owned) {
        snprintf(err, err_sz, "%s: out of memory", path);
        return NULL;
    }
    sp_verify_def def = sp_config_replay_def(owned);
    return load(path, &def, owned, err, err_sz);
}

void sp_playback_destroy(sp_playback* pb) {
    if (!pb) return;
    sp_episode_destroy(pb->ep);
    sp_config_replay_destroy(pb->owned_layers); /* after the episode its layers served */
    sp_scene_destroy(pb->scene);
    free(pb->info);
    free(pb->marks);
    free(pb->poses);
    free(pb->contacts);
    free(pb->contact_counts);
    free(pb->rows);
    free(pb->valid_rows);
    free(pb->series);
    free(pb->valid);
    free(pb->bands);
    free(pb->fault_band);
    free(pb->channels);
    free(pb);
}

int sp_playback_channel_count(const sp_playback* pb) {
    return pb->channel_count;
}

const sp_playback_channel* sp_playback_channel_at(const sp_playback* pb, int index) {
    return index >= 0 && index < pb->channel_count ? &pb->channels[index] : NULL;
}

int sp_playback_channel_find(const sp_playback* pb, const char* name) {
    for (int c = 0; c < pb->channel_count; c++)
        if (strcmp(pb->channels[c].name, name) == 0) return c;
    return -1;
}

int sp_playback_fault_count(const sp_playback* pb) {
    return pb->layers && pb->layers->faults ? sp_faults_count(pb->layers->faults) : 0;
}

const sp_fault_def* sp_playback_fault(const sp_playback* pb, int index) {
    return pb->layers && pb->layers->faults ? sp_faults_def(pb->layers->faults, index) : NULL;
}

const sp_replay_header* sp_playback_header(const sp_playback* pb) {
    return &pb->header;
}

const sp_env_spec* sp_playback_spec(const sp_playback* pb) {
    return pb->env->spec;
}

int sp_playback_step_count(const sp_playback* pb) {
    return pb->steps;
}

static int clamp_step(const sp_playback* pb, int step) {
    return step < 0 ? 0 : (step > pb->steps ? pb->steps : step);
}

const sp_playback_step* sp_playback_step_at(const sp_playback* pb, int step) {
    return &pb->info[clamp_step(pb, step)];
}

const uint8_t* sp_playback_marks(const sp_playback* pb) {
    return pb->marks;
}

const uint8_t* sp_playback_fault_band(const sp_playback* pb) {
    return pb->fault_band;
}

double sp_playback_time(const sp_playback* pb, int step) {
    return (double)clamp_step(pb, step) * pb->header.dt * (double)pb->header.frame_skip;
}

const char* sp_playback_reason(const sp_playback* pb) {
    return pb->reason[0] ? pb->reason : NULL;
}

const char* sp_playback_note(const sp_playback* pb) {
    return pb->note;
}

int sp_playback_divergence(const sp_playback* pb) {
    return pb->divergence;
}

sp_world* sp_playback_pose(sp_playback* pb, int step) {
    step = clamp_step(pb, step);
    sp_world* world = sp_episode_world(pb->ep);
    const pose* p = pb->poses + (size_t)step * (size_t)pb->body_count;
    for (int i = 0; i < pb->body_count; i++)
        sp_body_set_pose(world, sp_world_body_id(world, i), p[i].x, p[i].y, p[i].angle);
    return world;
}

int sp_playback_contacts(const sp_playback* pb, int step, const sp_draw_point** points) {
    step = clamp_step(pb, step);
    *points = pb->contacts + (size_t)step * SP_PLAYBACK_MAX_CONTACTS;
    return pb->contact_counts[step];
}

int sp_playback_first_difference(const sp_playback* a, const sp_playback* b) {
    int common = a->steps < b->steps ? a->steps : b->steps;
    for (int k = 0; k <= common; k++)
        if (a->info[k].hash != b->info[k].hash) return k;
    return a->steps == b->steps ? -1 : common + 1;
}
