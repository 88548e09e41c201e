/* Playback: re-simulate a replay once at load and keep the trajectory (see playback.h). */

#include "sandpit/playback.h"

#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (!info || !marks || !poses || !contacts || !counts) return SP_E_NO_MEMORY;
    pb->capacity = cap;
    return 0;
}

typedef struct contact_walk {
    const sp_world* world;
    int self;
    sp_draw_point* out;
    int count;
} contact_walk;

static int registry_index(const sp_world* world, const cpBody* body) {
    for (int i = 0; i < sp_world_body_count(world); i++)
        if (sp_world_body(world, i) == body) return i;
    return -1; /* the space's static body, or a body outside the registry */
}

static void collect_contact(cpBody* body, cpArbiter* arb, void* data) {
    contact_walk* w = data;
    cpBody *a, *b;
    cpArbiterGetBodies(arb, &a, &b);
    /* Each arbiter between two registered bodies is seen from both: keep it once. */
    int other = registry_index(w->world, b);
    if (other >= 0 && other < w->self) return;
    cpContactPointSet set = cpArbiterGetContactPointSet(arb);
    for (int i = 0; i < set.count && w->count < SP_PLAYBACK_MAX_CONTACTS; i++) {
        w->out[w->count].x = set.points[i].pointA.x;
        w->out[w->count].y = set.points[i].pointA.y;
        w->count++;
    }
}

/* Stores the world's state as step `step` (grow() has made room). */
static void capture(sp_playback* pb, int step) {
    sp_world* world = sp_episode_world(pb->ep);
    pose* p = pb->poses + (size_t)step * (size_t)pb->body_count;
    for (int i = 0; i < pb->body_count; i++) {
        cpBody* body = sp_world_body(world, i);
        cpVect pos = cpBodyGetPosition(body);
        p[i].x = pos.x;
        p[i].y = pos.y;
        p[i].angle = cpBodyGetAngle(body);
    }
    contact_walk w = {world, 0, pb->contacts + (size_t)step * SP_PLAYBACK_MAX_CONTACTS, 0};
    for (int i = 0; i < sp_world_body_count(world); i++) {
        w.self = i;
        cpBodyEachArbiter(sp_world_body(world, i), collect_contact, &w);
    }
    pb->contact_counts[step] = (uint8_t)w.count;
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
        capture(pb, 0);
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
    s->hash = rec->hash;
    s->replayed_hash = r.hash;
    s->marks = pb->marks[k] = marks_of(rec);
    capture(pb, k);
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

sp_playback* sp_playback_load(const char* path, const sp_verify_def* layers, char* err,
                              size_t err_sz) {
    sp_replay_problem problem;
    sp_replay* r = sp_replay_open(path, &problem);
    if (!r) {
        snprintf(err, err_sz, "%s: %s: %s", path, sp_replay_status_name(problem.status),
                 problem.message);
        return NULL;
    }
    sp_playback* pb = calloc(1, sizeof *pb);
    sp_replay_record* rec = malloc(sizeof *rec);
    if (!pb || !rec) {
        snprintf(err, err_sz, "%s: out of memory", path);
        goto fail;
    }
    pb->header = *sp_replay_get_header(r);
    if (check_env(pb, path, err, err_sz) != 0) goto fail;
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

void sp_playback_destroy(sp_playback* pb) {
    if (!pb) return;
    sp_episode_destroy(pb->ep);
    sp_scene_destroy(pb->scene);
    free(pb->info);
    free(pb->marks);
    free(pb->poses);
    free(pb->contacts);
    free(pb->contact_counts);
    free(pb);
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

/* Sets a body's transform as cpBodySetPosition and cpBodySetAngle would, without their sanity
 * assertions: Debian's Chipmunk aborts on a NaN position or velocity, and an episode that ended
 * with "physics_diverged" recorded exactly such a state. A non-finite pose is simply not drawn
 * (sp_camera_project refuses it). The world is never stepped again, so nothing else needs to
 * agree with the transform. */
static void pose_body(cpBody* body, const pose* p) {
    cpVect rot = cpvforangle(p->angle);
    body->transform = cpTransformNewTranspose(rot.x, -rot.y, p->x, rot.y, rot.x, p->y);
    body->p = cpTransformPoint(body->transform, body->cog);
    body->a = p->angle;
}

sp_world* sp_playback_pose(sp_playback* pb, int step) {
    step = clamp_step(pb, step);
    sp_world* world = sp_episode_world(pb->ep);
    const pose* p = pb->poses + (size_t)step * (size_t)pb->body_count;
    for (int i = 0; i < pb->body_count; i++)
        pose_body(sp_world_body(world, i), &p[i]);
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
