/* Verify: re-simulate a replay from its seed and actions and compare every step.
 *
 * The state hash is the proof; reward bits, flags, the applied action, events and the
 * observation are compared too, so a divergence that the hash happens not to cover (an event
 * a layer forgot to hash) is still caught and named. */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/envs.h"
#include "sandpit/scene.h"
#include "sandpit/error.h"
#include "sandpit/math.h"
#include "sandpit/replay.h"
#include "sandpit/version.h"

static const char* const verdict_names[] = {
#define SP_VERDICT_NAME(sym, num, name) [num] = name,
    SP_VERDICT_LIST(SP_VERDICT_NAME)
#undef SP_VERDICT_NAME
};

const char* sp_verdict_name(int verdict) {
    if (verdict < 0 || verdict >= (int)(sizeof verdict_names / sizeof verdict_names[0]))
        return "unknown";
    return verdict_names[verdict];
}

sp_verify_def sp_default_verify_def(void) {
    sp_verify_def def = {.user = NULL, .add_layers = NULL, .machine_events = NULL};
    return def;
}

static sp_verdict conclude(sp_verify_report* rep, sp_verdict v, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
static sp_verdict conclude(sp_verify_report* rep, sp_verdict v, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->message, sizeof rep->message, fmt, ap);
    va_end(ap);
    rep->verdict = v;
    return v;
}

/* The last layer during a replay: catches the action as the env received it, to compare
 * with the recorded one. Hashes nothing, like the recorder it stands in for. */
typedef struct observer {
    sp_action applied;
} observer;

static int observe_step(void* self, sp_episode* ep, const sp_action* given,
                        const sp_action* applied, const sp_step_result* r) {
    ((observer*)self)->applied = *applied;
    return SP_OK;
}

static void feed_machine_events(const sp_verify_def* def, sp_episode* ep, int step,
                                const sp_replay_record* rec) {
    if (!def->machine_events) return;
    sp_event machine[SP_MAX_STEP_EVENTS];
    int n = 0;
    for (int i = 0; i < rec->event_count; i++)
        if (rec->events[i].source == SP_EVENT_MACHINE) machine[n++] = rec->events[i];
    def->machine_events(def->user, ep, step, machine, n);
}

static bool same_events(const sp_episode* ep, const sp_replay_record* rec) {
    int n = sp_episode_event_count(ep);
    if (n != rec->event_count) return false;
    const sp_event* e = sp_episode_events(ep);
    for (int i = 0; i < n; i++) {
        const sp_event *a = &e[i], *b = &rec->events[i];
        if (a->source != b->source || a->code != b->code || a->channel != b->channel ||
            a->flags != b->flags || memcmp(&a->value, &b->value, sizeof a->value) != 0 ||
            memcmp(&a->limit, &b->limit, sizeof a->limit) != 0)
            return false;
    }
    return true;
}

static bool same_action(const sp_env_spec* spec, const sp_action* a, const sp_action* b) {
    if (spec->action_kind == SP_ACTION_DISCRETE) return a->index == b->index;
    return memcmp(a->value, b->value, sizeof(float) * (size_t)spec->actuator_count) == 0;
}

/* The first thing after the hash that differs between the replayed step and the record, or
 * NULL. Floats are compared by their bits: the promise is bit-exact reproduction. */
static const char* first_difference(sp_episode* ep, const sp_replay_record* rec,
                                    const sp_step_result* res, const observer* obs) {
    const sp_env_spec* spec = sp_episode_spec(ep);
    if (rec->kind == SP_REPLAY_STEP) {
        if (memcmp(&res->reward, &rec->reward, sizeof(double)) != 0) return "reward";
        if (res->terminated != rec->terminated || res->truncated != rec->truncated) return "flags";
        if (!same_action(spec, &obs->applied, &rec->applied)) return "applied action";
    }
    if (!same_events(ep, rec)) return "events";
    if (rec->obs &&
        memcmp(rec->obs, sp_episode_obs(ep), sizeof(float) * (size_t)spec->sensor_count) != 0)
        return "observation";
    return NULL;
}

/* Checks that this build's env is the one recorded; a scene env is the recorded scene. */
static const sp_env_class* find_env(const sp_replay_header* h, const sp_env_class* scene_env,
                                    sp_verify_report* rep) {
    const sp_env_class* env = scene_env ? scene_env : sp_env_find(h->env_id);
    if (!env) {
        char ids[512];
        sp_env_list_ids(ids, sizeof ids);
        conclude(rep, SP_VERIFY_ENV_MISMATCH, "env mismatch: unknown env '%s' (this build has %s)",
                 h->env_id, ids);
        return NULL;
    }
    const sp_env_spec* s = env->spec;
    bool discrete = s->action_kind == SP_ACTION_DISCRETE;
    const char* what = NULL;
    if (s->version != h->env_version) {
        conclude(rep, SP_VERIFY_ENV_MISMATCH,
                 "env mismatch: %s version %d recorded, this build has version %d", h->env_id,
                 h->env_version, s->version);
        return NULL;
    }
    if (s->dt != h->dt || s->iterations != h->iterations || s->frame_skip != h->frame_skip)
        what = "dt, iterations or frame skip";
    else if (s->sensor_count != h->sensor_count)
        what = "sensor count";
    else if (s->action_kind != h->action_kind ||
             (discrete ? s->action_count != h->action_count
                       : s->actuator_count != h->actuator_count))
        what = "action space";
    if (what) {
        conclude(rep, SP_VERIFY_ENV_MISMATCH,
                 "env mismatch: %s version %d: the recording's %s differs from this build's",
                 h->env_id, h->env_version, what);
        return NULL;
    }
    return env;
}

/* Who recorded the file and who replays it, for a divergence message: a divergence between
 * two builds or machines is a bug in sandpit's determinism, and this says which pair. */
static void made_by(const sp_replay_header* h, char* out, size_t n) {
    snprintf(
        out, n,
        "; recorded by sandpit %s on %s (%s, math %s), replayed by sandpit %s on %s (%s, math %s)",
        h->sandpit_version, h->arch[0] ? h->arch : "?", h->compiler[0] ? h->compiler : "?",
        h->math[0] ? h->math : "?", SP_VERSION_STRING, SP_BUILD_ARCH, SP_BUILD_COMPILER,
        SP_MATH_ID);
}

static sp_verdict diverged(sp_verify_report* rep, const sp_replay_header* h, int step,
                           const char* what, uint64_t recorded, uint64_t replayed) {
    rep->step = step;
    rep->what = what;
    rep->recorded_hash = recorded;
    rep->replayed_hash = replayed;
    char context[512]; /* room for every header string at its longest */
    made_by(h, context, sizeof context);
    if (recorded != replayed)
        return conclude(rep, SP_VERIFY_DIVERGED,
                        "diverged at step %d: hash recorded %016" PRIx64 ", replayed %016" PRIx64
                        "%s",
                        step, recorded, replayed, context);
    return conclude(rep, SP_VERIFY_DIVERGED,
                    "diverged at step %d: %s differs (hash %016" PRIx64 " agrees)%s", step, what,
                    recorded, context);
}

/* Replays every record of an open file into `ep`. */
static sp_verdict replay_records(sp_replay* r, sp_episode* ep, const sp_verify_def* def,
                                 const observer* obs, sp_verify_report* rep) {
    const sp_replay_header* h = sp_replay_get_header(r);
    sp_replay_record rec;
    char err[256];
    for (;;) {
        sp_replay_status st = sp_replay_next(r, &rec);
        if (st != SP_REPLAY_OK) {
            const sp_replay_problem* p = sp_replay_get_problem(r);
            rep->record = p->record;
            rep->offset = p->offset;
            switch (st) {
            case SP_REPLAY_END:
                return conclude(rep, SP_VERIFY_OK, "ok, %d steps", rep->steps);
            case SP_REPLAY_TRUNCATED:
                rep->truncated = true;
                return conclude(rep, SP_VERIFY_OK, "ok, truncated file: verified %d whole steps",
                                rep->steps);
            case SP_REPLAY_CORRUPT:
                return conclude(rep, SP_VERIFY_CORRUPT, "corrupt: %s (%d steps verified before)",
                                p->message, rep->steps);
            default:
                return conclude(rep, SP_VERIFY_UNREADABLE, "unreadable: %s", p->message);
            }
        }
        if (rec.kind == SP_REPLAY_FOOTER) continue; /* the reader checked it against the steps */
        sp_step_result res = {0};
        int rc;
        if (rec.kind == SP_REPLAY_RESET) {
            feed_machine_events(def, ep, 0, &rec);
            rc = sp_episode_reset_restore(ep, h->seed, &h->seed_stream);
            if (rc != SP_OK)
                return conclude(rep, SP_VERIFY_DIVERGED, "diverged at step 0: reset failed: %s",
                                sp_error_name(rc));
            res.hash = sp_episode_hash(ep);
        } else {
            feed_machine_events(def, ep, rec.step, &rec);
            rc = sp_episode_step(ep, &rec.action, &res, err, sizeof err);
            if (rc != SP_OK) {
                rep->step = rec.step;
                rep->what = "action";
                return conclude(rep, SP_VERIFY_DIVERGED,
                                "diverged at step %d: the recorded action is refused: %s", rec.step,
                                err);
            }
        }
        if (res.hash != rec.hash) return diverged(rep, h, rec.step, "hash", rec.hash, res.hash);
        const char* what = first_difference(ep, &rec, &res, obs);
        if (what) return diverged(rep, h, rec.step, what, rec.hash, res.hash);
        rep->steps = rec.step;
    }
}

struct sp_verifier {
    sp_verify_def def;
    sp_episode* ep; /* kept while env, max steps and config repeat from file to file */
    const sp_env_class* env;
    int max_steps;
    uint8_t* config;
    size_t config_size;
    observer obs;
    sp_scene* scene; /* the last replay's embedded scene, kept while its episode is */
};

sp_verifier* sp_verifier_create(const sp_verify_def* def) {
    sp_verifier* v = calloc(1, sizeof *v);
    if (v) v->def = def ? *def : sp_default_verify_def();
    return v;
}

static void drop_episode(sp_verifier* v) {
    sp_episode_destroy(v->ep);
    free(v->config);
    v->ep = NULL;
    v->env = NULL;
    v->config = NULL;
    v->config_size = 0;
}

void sp_verifier_destroy(sp_verifier* v) {
    if (!v) return;
    drop_episode(v);
    sp_scene_destroy(v->scene); /* after the episode of its env */
    free(v);
}

/* The episode to replay `h` in: the last one when it was built for the same env, max steps
 * and config (a reset rebuilds everything the hash covers, and the layers reset themselves),
 * else a new one with the config's layers. NULL with the verdict set in `rep`. */
static sp_episode* episode_for(sp_verifier* v, const sp_env_class* env, const sp_replay_header* h,
                               sp_verify_report* rep) {
    if (v->ep && v->env == env && v->max_steps == h->max_steps &&
        v->config_size == h->config_size && !memcmp(v->config, h->config, h->config_size))
        return v->ep;
    drop_episode(v);
    char err[256] = "";
    sp_episode_def edef = sp_default_episode_def(env);
    edef.max_steps = h->max_steps;
    v->ep = sp_episode_create(&edef, err, sizeof err);
    v->config = malloc(h->config_size ? h->config_size : 1);
    if (!v->ep || !v->config) {
        conclude(rep, SP_VERIFY_UNREADABLE, "unreadable: %s", v->ep ? "out of memory" : err);
        drop_episode(v);
        return NULL;
    }
    int rc = SP_OK;
    if (v->def.add_layers && (rc = v->def.add_layers(v->def.user, v->ep, h, err, sizeof err))) {
        conclude(rep, SP_VERIFY_ENV_MISMATCH,
                 "env mismatch: cannot rebuild the recorded layers: %s", err);
        drop_episode(v);
        return NULL;
    }
    sp_layer layer = {.name = "verify", .self = &v->obs, .on_step_end = observe_step};
    if (sp_episode_add_layer(v->ep, &layer) != SP_OK) {
        conclude(rep, SP_VERIFY_ENV_MISMATCH, "env mismatch: the recorded layers leave no room");
        drop_episode(v);
        return NULL;
    }
    v->env = env;
    v->max_steps = h->max_steps;
    memcpy(v->config, h->config, h->config_size);
    v->config_size = h->config_size;
    return v->ep;
}

/* The embedded scene of `h`, decoded into v->scene: the one kept from the last file when the
 * text is the same (its episode is reused too), else a new one. False with the verdict set. */
static bool scene_for(sp_verifier* v, const sp_replay_header* h, sp_verify_report* rep) {
    size_t len = 0;
    const char* text = v->scene ? sp_scene_canonical(v->scene, &len) : NULL;
    if (text && len == h->scene_len && !memcmp(text, h->scene, len)) return true;
    drop_episode(v); /* the episode of the old scene's env goes first */
    sp_scene_destroy(v->scene);
    char err[384];
    sp_scene_limits lim = sp_default_scene_limits();
    if (!(v->scene = sp_scene_load(h->scene, h->scene_len, &lim, err, sizeof err))) {
        conclude(rep, SP_VERIFY_ENV_MISMATCH, "env mismatch: the embedded scene: %s", err);
        return false;
    }
    return true;
}

sp_verdict sp_verifier_run(sp_verifier* v, const char* path, sp_verify_report* rep) {
    memset(rep, 0, sizeof *rep);
    rep->step = -1;
    rep->record = -1;
    sp_replay_problem p;
    sp_replay* r = sp_replay_open(path, &p);
    if (!r) {
        rep->record = p.record;
        rep->offset = p.offset;
        if (p.status == SP_REPLAY_CORRUPT)
            return conclude(rep, SP_VERIFY_CORRUPT, "corrupt: %s", p.message);
        return conclude(rep, SP_VERIFY_UNREADABLE, "unreadable: %s", p.message);
    }
    const sp_replay_header* h = sp_replay_get_header(r);
    snprintf(rep->env_id, sizeof rep->env_id, "%s", h->env_id);
    rep->env_version = h->env_version;
    rep->seed = h->seed;
    const sp_env_class* env = NULL;
    if (h->scene && !scene_for(v, h, rep)) {
        sp_replay_close(r);
        return rep->verdict;
    }
    /* v->scene may be kept from an earlier file: only a header with a scene uses it. */
    env = find_env(h, h->scene ? sp_scene_env(v->scene) : NULL, rep);
    sp_episode* ep = env ? episode_for(v, env, h, rep) : NULL;
    sp_verdict verdict = ep ? replay_records(r, ep, &v->def, &v->obs, rep) : rep->verdict;
    sp_replay_close(r);
    return verdict;
}

sp_verdict sp_replay_verify_with(const char* path, const sp_verify_def* def,
                                 sp_verify_report* rep) {
    sp_verifier* v = sp_verifier_create(def);
    if (!v) {
        memset(rep, 0, sizeof *rep);
        rep->step = -1;
        rep->record = -1;
        return conclude(rep, SP_VERIFY_UNREADABLE, "unreadable: out of memory");
    }
    sp_verdict verdict = sp_verifier_run(v, path, rep);
    sp_verifier_destroy(v);
    return verdict;
}

sp_verdict sp_replay_verify(const char* path, sp_verify_report* rep) {
    return sp_replay_verify_with(path, NULL, rep);
}
