/* golden_hashes: the final state hash of one episode for every env x policy x layer set x
 * seed 0-9, as the table tests/golden/hashes.tsv pins them (docs/DETERMINISM.md).
 *
 *   golden_hashes                  print the table
 *   golden_hashes --check FILE     compare with FILE; print every row that differs; exit 1
 *   golden_hashes --write FILE     write the table to FILE (cmake --build build --target
 *                                  golden-hashes; review the diff, docs/DETERMINISM.md)
 *   golden_hashes --record DIR     also record every episode into DIR (for replay verify on
 *                                  another architecture)
 *
 * Layer sets: "none" (the bare env), and "all": guardrails set to trip (a rate limit, an
 * action budget, a speed limit, the env's safety constraint) and a fault of every kind that
 * applies to the env, on schedules that switch them on and off. The table also counts the
 * guardrail trips and fault events of each episode, so a layer that stops acting changes it.
 * Only deterministic guardrails are set: clock-based ones depend on the machine. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/episode_layers.h"
#include "sandpit/error.h"
#include "sandpit/faults.h"
#include "sandpit/guard.h"
#include "sandpit/replay.h"
#include "sandpit/scene.h"

#define SEEDS 10
#define ROW_MAX 160

/* One fault per kind: parameters and a schedule that makes it act within an episode. */
typedef struct golden_fault {
    const char* kind;
    const char* params; /* "name=value ..." */
    sp_fault_schedule_type schedule;
} golden_fault;

static const golden_fault golden_faults[] = {
    {"delay", "steps=2", SP_SCHEDULE_ALWAYS},
    {"outage", "mode=1", SP_SCHEDULE_PERIODIC},
    {"noise", "sigma=0.05", SP_SCHEDULE_ALWAYS},
    {"stuck", "", SP_SCHEDULE_PERIODIC},
    {"bias", "offset=0.1", SP_SCHEDULE_PROBABILITY},
    {"drift", "rate=0.001", SP_SCHEDULE_ALWAYS},
    {"spikes", "probability=0.05 magnitude=1.5", SP_SCHEDULE_ALWAYS},
    {"action_delay", "steps=1", SP_SCHEDULE_PERIODIC},
    {"action_drop", "fill=1", SP_SCHEDULE_PROBABILITY},
    {"action_repeat", "steps=2", SP_SCHEDULE_PROBABILITY},
    {"action_noise", "sigma=0.1", SP_SCHEDULE_ALWAYS},
    {"reward_delay", "steps=3", SP_SCHEDULE_ALWAYS},
    {"gravity", "scale=1.05 walk=0.01", SP_SCHEDULE_ALWAYS},
    {"friction", "scale=0.8", SP_SCHEDULE_ALWAYS},
    {"mass", "scale=1.1 drift=0.001", SP_SCHEDULE_ALWAYS},
    {"motor", "scale=0.9 walk=0.02", SP_SCHEDULE_ALWAYS},
};
#define GOLDEN_FAULT_COUNT ((int)(sizeof golden_faults / sizeof golden_faults[0]))

static void die(const char* what, const char* err) {
    fprintf(stderr, "golden_hashes: %s: %s\n", what, err);
    exit(2);
}

static sp_fault_def make_fault(const golden_fault* g) {
    int kind = sp_fault_kind_from_name(g->kind);
    if (kind < 0) die("unknown fault kind", g->kind);
    sp_fault_def d = sp_default_fault_def((sp_fault_kind)kind);
    char params[128];
    snprintf(params, sizeof params, "%s", g->params);
    for (char* tok = strtok(params, " "); tok; tok = strtok(NULL, " ")) {
        char* eq = strchr(tok, '=');
        *eq = '\0';
        const sp_fault_field* f = sp_fault_param_find(tok);
        if (!f || sp_fault_field_set(f, &d, atof(eq + 1)) != 0) die("bad parameter", tok);
    }
    d.schedule.type = g->schedule;
    if (g->schedule == SP_SCHEDULE_PERIODIC) {
        d.schedule.period = 20;
        d.schedule.duty = 5;
    } else if (g->schedule == SP_SCHEDULE_PROBABILITY) {
        d.schedule.probability = 0.1;
        d.schedule.duration = 3;
    }
    return d;
}

/* Every fault kind that applies to `spec` (one validated at a time: a kind with no channel to
 * act on, such as a motor fault on a discrete env, is left out), on all its channels. */
static void add_faults(sp_episode_config* c, const sp_env_spec* spec) {
    char err[256];
    for (int i = 0; i < GOLDEN_FAULT_COUNT; i++) {
        sp_fault_def d = make_fault(&golden_faults[i]);
        d.target = "*";
        if (sp_faults_validate(&d, 1, spec, err, sizeof err) != 0) continue;
        c->faults[c->fault_count] = d;
        snprintf(c->targets[c->fault_count], sizeof c->targets[0], "*");
        c->fault_count++;
    }
    c->has_faults = true;
}

/* Guardrails that trip in ordinary episodes. */
static void add_guardrails(sp_episode_config* c, const sp_env_spec* spec) {
    sp_episode_config_default_guardrails(c, spec);
    sp_guard_def* g = &c->guard;
    for (int i = 0; i < spec->actuator_count; i++) {
        const sp_channel* a = &spec->actuators[i];
        g->actuators[i].max_delta = 0.25 * (a->high - a->low);
        g->actuators[i].rate = SP_GUARD_POLICY_CLIP;
    }
    g->budget =
        spec->action_kind == SP_ACTION_DISCRETE ? SP_GUARD_BUDGET_ACTIONS : SP_GUARD_BUDGET_SQUARE;
    g->budget_limit = spec->action_kind == SP_ACTION_DISCRETE ? 150.0 : 20.0;
    g->budget_policy = SP_GUARD_POLICY_TERMINATE;
    g->wall_clock_s = 0.0; /* machine-dependent: off */
    g->max_speed = 6.0;
    g->max_angular_speed = 8.0;
}

static const char* const reason_names[] = {
#define GOLDEN_REASON_NAME(sym, num, name, source) [num] = name,
    SP_GUARD_REASON_LIST(GOLDEN_REASON_NAME)
#undef GOLDEN_REASON_NAME
};

typedef struct golden_run {
    const char* layers; /* "none" or "all" */
    int policy_zero;
} golden_run;

static int row(char* out, size_t n, const sp_env_class* env, const golden_run* run, uint64_t seed,
               const char* record_dir) {
    const sp_env_spec* spec = env->spec;
    char err[256];
    sp_episode_config* c = sp_episode_config_create();
    if (!c) die("config", "out of memory");
    if (!strcmp(run->layers, "all")) {
        add_guardrails(c, spec);
        add_faults(c, spec);
    }
    sp_episode_def def = sp_default_episode_def(env);
    def.seed = seed;
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    if (!ep) die("episode", err);
    sp_recorder_def rd = sp_default_recorder_def();
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s-%s-%s-s%" PRIu64, spec->id,
             run->policy_zero ? "zero" : "random", run->layers, seed);
    rd.directory = record_dir;
    rd.prefix = prefix;
    rd.overwrite = true;
    sp_episode_layers layers = {0};
    if (sp_episode_layers_attach(&layers, ep, c, record_dir ? &rd : NULL, err, sizeof err) != 0)
        die("layers", err);
    sp_rng policy_rng;
    sp_rng_seed(&policy_rng, seed, "golden_policy");
    if (sp_episode_reset(ep, &seed) != 0) die("reset", spec->id);
    long trips[SP_GUARD_REASON_COUNT + 1] = {0}, fault_events = 0;
    sp_step_result r = {0};
    while (!sp_episode_done(ep)) {
        sp_action a;
        if (run->policy_zero)
            memset(&a, 0, sizeof a);
        else
            sp_action_sample(spec, &policy_rng, &a);
        if (sp_episode_step(ep, &a, &r, err, sizeof err) != 0) die("step", err);
        const sp_event* ev = sp_episode_events(ep);
        for (int i = 0; i < sp_episode_event_count(ep); i++) {
            if (ev[i].source == SP_EVENT_GUARD && ev[i].code <= SP_GUARD_REASON_COUNT)
                trips[ev[i].code]++;
            fault_events += ev[i].source == SP_EVENT_FAULT;
        }
    }
    char tripped[96] = "-";
    for (int k = 1, len = 0; k <= SP_GUARD_REASON_COUNT; k++)
        if (trips[k])
            len += snprintf(tripped + len, sizeof tripped - (size_t)len, "%s%s=%ld", len ? "," : "",
                            reason_names[k], trips[k]);
    snprintf(out, n, "%s\t%d\t%s\t%s\t%" PRIu64 "\t%d\t%s\t%s\t%ld\t%016" PRIx64 "\n", spec->id,
             spec->version, run->policy_zero ? "zero" : "random", run->layers, seed,
             sp_episode_step_count(ep), r.reason ? r.reason : "-", tripped, fault_events,
             sp_episode_hash(ep));
    if (layers.recorder && sp_recorder_flush(layers.recorder) != 0)
        die("record", sp_recorder_error(layers.recorder));
    sp_episode_destroy(ep);
    sp_episode_layers_destroy(&layers);
    sp_episode_config_destroy(c);
    return 0;
}

static const char header[] =
    "# Golden hashes: the final state of one episode per row, the same on every machine,\n"
    "# compiler and optimisation level (docs/DETERMINISM.md). Generated by golden_hashes;\n"
    "# regenerate with `cmake --build build --target golden-hashes` (or ./dev.sh golden),\n"
    "# review the diff; bump the version of every env whose `none` rows changed.\n"
    "# env\tversion\tpolicy\tlayers\tseed\tsteps\treason\tguardrail_trips\tfault_events\thash\n";

/* The whole table, malloc'd. */
static char* table(const char* record_dir) {
    static const golden_run runs[] = {{"none", 0}, {"none", 1}, {"all", 0}, {"all", 1}};
    int env_count = sp_env_count();
    size_t cap = sizeof header + (size_t)env_count * 4 * SEEDS * ROW_MAX;
    char* t = malloc(cap);
    if (!t) die("table", "out of memory");
    size_t len = (size_t)snprintf(t, cap, "%s", header);
    for (int e = 0; e < env_count; e++)
        for (int k = 0; k < 4; k++)
            for (uint64_t seed = 0; seed < SEEDS; seed++) {
                row(t + len, cap - len, sp_env_at(e), &runs[k], seed, record_dir);
                len += strlen(t + len);
            }
    return t;
}

static char* slurp(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char* s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

/* Prints the rows of `want` and `got` that differ, line by line; returns how many. */
static int compare(const char* want, const char* got) {
    int differ = 0;
    while (*want || *got) {
        size_t a = strcspn(want, "\n"), b = strcspn(got, "\n");
        if (a != b || memcmp(want, got, a) != 0) {
            if (differ++ < 20) printf("expected %.*s\n     got %.*s\n", (int)a, want, (int)b, got);
        }
        want += a + (want[a] == '\n');
        got += b + (got[b] == '\n');
    }
    return differ;
}

int main(int argc, char** argv) {
    const char *check = NULL, *write = NULL, *record = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--check"))
            check = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--write"))
            write = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--record"))
            record = argv[++i];
        else
            die("usage", "golden_hashes [--check FILE | --write FILE] [--record DIR]");
    }
    /* The catalogue's scene envs are pinned like the C envs (assets/scenes). */
    char err[512];
    if (sp_scene_catalogue_add_dir(SP_GOLDEN_SCENES_DIR, err, sizeof err) < 0) die("scenes", err);
    if (sp_scene_catalogue_add_dir(SP_GOLDEN_LEVELS_DIR, err, sizeof err) < 0) die("levels", err);
    char* got = table(record);
    int rc = 0;
    if (check) {
        char* want = slurp(check);
        if (!want) die("cannot read", check);
        int differ = compare(want, got);
        if (differ)
            printf("%d rows differ from %s (the sandpit golden hashes; see docs/DETERMINISM.md)\n",
                   differ, check);
        else
            printf("all rows match %s\n", check);
        rc = differ ? 1 : 0;
        free(want);
    } else if (write) {
        FILE* f = fopen(write, "wb");
        if (!f || fputs(got, f) < 0 || fclose(f) != 0) die("cannot write", write);
    } else {
        fputs(got, stdout);
    }
    free(got);
    sp_scene_catalogue_release();
    return rc;
}
