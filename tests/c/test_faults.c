/* The fault layer: every kind exactly, schedules, events, determinism and validation.
 *
 * Most checks run a clean and a faulted episode side by side with the same seed and actions:
 * sensor faults never touch the world, so the clean episode shows what the sensors really
 * read; action faults are checked by feeding the clean episode the action the fault should
 * have applied and comparing the worlds bit for bit. */

#include <math.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "sandpit/faults.h"
#include "world_chipmunk.h"

#define MAXT 1000

static sp_episode* make(const char* id) {
    const sp_env_class* env = sp_env_find(id);
    if (!env) return NULL;
    char err[128];
    sp_episode_def def = sp_default_episode_def(env);
    return sp_episode_create(&def, err, sizeof err);
}

/* Builds a fault set for `ep` and attaches it; NULL (with the reason printed) on error. */
static sp_faults* attach(sp_episode* ep, const sp_fault_def* list, int n) {
    char err[256];
    sp_faults* fs = sp_faults_create(list, n, sp_episode_spec(ep), err, sizeof err);
    if (!fs) {
        fprintf(stderr, "sp_faults_create: %s\n", err);
        return NULL;
    }
    if (sp_faults_attach(fs, ep) != 0) {
        sp_faults_destroy(fs);
        return NULL;
    }
    return fs;
}

/* The world and the env's private state: what the env's randomness and the actions decide. */
static uint64_t world_hash(sp_episode* ep) {
    sp_hash h = sp_hash_begin();
    sp_world_hash(sp_episode_world(ep), &h);
    const sp_env_class* env = sp_episode_env(ep);
    if (env->hash) env->hash(sp_episode_env_state(ep), &h);
    return h.h;
}

/* A fixed policy: discrete alternates (keeps CartPole up a while), continuous sweeps. */
static sp_action policy(const sp_env_spec* spec, int t) {
    sp_action a;
    memset(&a, 0, sizeof a);
    if (spec->action_kind == SP_ACTION_DISCRETE) {
        a.index = (int32_t)((t / 2) % spec->action_count);
    } else {
        for (int c = 0; c < spec->actuator_count; c++) {
            double lo = spec->actuators[c].low, hi = spec->actuators[c].high;
            a.value[c] = (float)(0.5 * (lo + hi) + 0.55 * (hi - lo) * sin(0.37 * t + c));
        }
    }
    return a;
}

/* One episode's trace: observation, reward and world hash at every step (index 0: reset). */
typedef struct trace {
    int steps;
    float obs[MAXT + 1][SP_MAX_SENSORS];
    double reward[MAXT + 1];
    uint64_t world[MAXT + 1];
    uint64_t hash[MAXT + 1];
    uint8_t valid[MAXT + 1][SP_MAX_SENSORS];
} trace;

static trace clean_trace, fault_trace;

/* Runs `ep` from `seed` with the fixed policy for at most `max` steps. */
static int run(sp_episode* ep, sp_faults* fs, uint64_t seed, int max, trace* tr) {
    const sp_env_spec* spec = sp_episode_spec(ep);
    size_t n = (size_t)spec->sensor_count;
    if (sp_episode_reset(ep, &seed) != 0) return -1;
    memcpy(tr->obs[0], sp_episode_obs(ep), n * sizeof(float));
    tr->world[0] = world_hash(ep);
    tr->hash[0] = sp_episode_hash(ep);
    tr->reward[0] = 0.0;
    if (fs) memcpy(tr->valid[0], sp_faults_sensor_valid(fs), n);
    int t = 0;
    char err[128];
    while (!sp_episode_done(ep) && t < max && t < MAXT) {
        sp_action a = policy(spec, t + 1);
        sp_step_result r;
        if (sp_episode_step(ep, &a, &r, err, sizeof err) != 0) return -1;
        t++;
        memcpy(tr->obs[t], sp_episode_obs(ep), n * sizeof(float));
        tr->world[t] = world_hash(ep);
        tr->hash[t] = r.hash;
        tr->reward[t] = r.reward;
        if (fs) memcpy(tr->valid[t], sp_faults_sensor_valid(fs), n);
    }
    tr->steps = t;
    return 0;
}

/* Runs the clean and the faulted episode of `id` from `seed`; returns the faulted set (the
 * caller destroys it with the episode via finish()). */
static sp_faults* run_pair(const char* id, const sp_fault_def* list, int n, uint64_t seed, int max,
                           sp_episode** faulted) {
    sp_episode* clean = make(id);
    sp_episode* ep = make(id);
    sp_faults* fs = ep ? attach(ep, list, n) : NULL;
    if (!clean || !fs || run(clean, NULL, seed, max, &clean_trace) != 0 ||
        run(ep, fs, seed, max, &fault_trace) != 0) {
        sp_episode_destroy(clean);
        sp_episode_destroy(ep);
        sp_faults_destroy(fs);
        return NULL;
    }
    sp_episode_destroy(clean);
    *faulted = ep;
    return fs;
}

static void finish(sp_episode* ep, sp_faults* fs) {
    sp_episode_destroy(ep);
    sp_faults_destroy(fs);
}

static sp_fault_def fault(sp_fault_kind kind, const char* target) {
    sp_fault_def d = sp_default_fault_def(kind);
    d.target = target;
    return d;
}

static sp_fault_schedule window(int start, int end) {
    sp_fault_schedule s = sp_default_fault_schedule();
    s.type = SP_SCHEDULE_WINDOW;
    s.start = start;
    s.end = end;
    return s;
}

static bool same_float(float a, float b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- tables ---- */

static char* read_file(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char* s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static bool doc_mentions(const char* doc, const char* name) {
    char quoted[96];
    snprintf(quoted, sizeof quoted, "`%s`", name);
    return strstr(doc, quoted) != NULL;
}

static void tables_names_and_docs_agree(void) {
    for (int k = 1; k < SP_FAULT_KIND_SLOTS; k++) {
        const char* name = sp_fault_kind_name(k);
        ENSURE(name != NULL);
        ENSURE(sp_fault_kind_from_name(name) == k);
    }
    ENSURE(sp_fault_kind_name(0) == NULL && sp_fault_kind_name(SP_FAULT_KIND_SLOTS) == NULL);
    ENSURE(sp_fault_kind_from_name("delayy") == 0);
    ENSURE(sp_fault_kind_domain(SP_FAULT_ACTION_DROP) == SP_FAULT_ACTION);
    ENSURE(sp_fault_schedule_type_from_name("periodic") == SP_SCHEDULE_PERIODIC);
    ENSURE(sp_fault_schedule_type_from_name("sometimes") == -1);

    int np, ns;
    const sp_fault_field* params = sp_fault_params(&np);
    const sp_fault_field* sched = sp_fault_schedule_fields(&ns);
    ENSURE(np > 0 && ns > 0);
    for (int i = 0; i < np; i++)
        ENSURE(sp_fault_param_find(params[i].name) == &params[i]);
    for (int i = 0; i < ns; i++)
        ENSURE(sp_fault_schedule_field_find(sched[i].name) == &sched[i]);
    ENSURE(sp_fault_param_find("sigmaa") == NULL);

    /* Generic access is what the wire decoder uses. */
    sp_fault_def d = sp_default_fault_def(SP_FAULT_OUTAGE);
    const sp_fault_field* mode = sp_fault_param_find("mode");
    ENSURE(sp_fault_choice_value(mode, "nan") == SP_OUTAGE_NAN);
    ENSURE(sp_fault_choice_value(mode, "maybe") == -1);
    ENSURE(sp_fault_field_set(mode, &d, SP_OUTAGE_HOLD) == 0 && d.mode == SP_OUTAGE_HOLD);
    ENSURE(sp_fault_field_set(mode, &d, 3) == SP_E_BAD_ARGUMENT);
    const sp_fault_field* steps = sp_fault_param_find("steps");
    ENSURE(sp_fault_field_set(steps, &d, 1.5) == SP_E_BAD_ARGUMENT);
    ENSURE(sp_fault_field_set(steps, &d, 4) == 0 && d.steps == 4);
    ENSURE(sp_fault_field_get(steps, &d) == 4.0);
    const sp_fault_field* sigma = sp_fault_param_find("sigma");
    ENSURE(sp_fault_field_set(sigma, &d, 0.25) == 0 && d.sigma == 0.25);
    sp_fault_schedule s = sp_default_fault_schedule();
    ENSURE(sp_fault_field_set(sp_fault_schedule_field_find("end"), &s, 50) == 0 && s.end == 50);

    /* Defaults: required fields start unset, the rest take the table's value. */
    sp_fault_def noise = sp_default_fault_def(SP_FAULT_NOISE);
    ENSURE(isnan(noise.sigma));
    sp_fault_def delay = sp_default_fault_def(SP_FAULT_DELAY);
    ENSURE(delay.steps == SP_FAULT_UNSET_INT);
    sp_fault_def mass = sp_default_fault_def(SP_FAULT_MASS);
    ENSURE(mass.scale == 1.0 && mass.offset == 0.0 && mass.update == SP_UPDATE_STEP);
    sp_fault_schedule always = sp_default_fault_schedule();
    ENSURE(always.type == SP_SCHEDULE_ALWAYS && always.start == 0 && always.end == INT_MAX);

    /* docs/FAULTS.md documents every name the tables hold. */
    char* doc = read_file(SP_SOURCE_DIR "/docs/FAULTS.md");
    ENSURE_MSG(doc != NULL, "cannot read docs/FAULTS.md");
    for (int k = 1; k < SP_FAULT_KIND_SLOTS; k++)
        ENSURE_MSG(doc_mentions(doc, sp_fault_kind_name(k)), "kind %s", sp_fault_kind_name(k));
    for (int i = 0; i < np; i++) {
        ENSURE_MSG(doc_mentions(doc, params[i].name), "param %s", params[i].name);
        for (int c = 0; params[i].choices[c]; c++)
            ENSURE_MSG(doc_mentions(doc, params[i].choices[c]), "choice %s", params[i].choices[c]);
    }
    for (int i = 0; i < ns; i++)
        ENSURE_MSG(doc_mentions(doc, sched[i].name), "schedule field %s", sched[i].name);
    for (int i = 0; sp_fault_schedule_type_name(i); i++)
        ENSURE_MSG(doc_mentions(doc, sp_fault_schedule_type_name(i)), "schedule %s",
                   sp_fault_schedule_type_name(i));
    free(doc);
}

/* ---- validation ---- */

static int expect_error(const sp_env_spec* spec, const sp_fault_def* list, int n,
                        const char* needle) {
    char err[512] = "";
    int rc = sp_faults_validate(list, n, spec, err, sizeof err);
    sp_faults* fs = sp_faults_create(list, n, spec, err, sizeof err);
    if (rc != SP_E_BAD_ARGUMENT || fs != NULL || !strstr(err, needle)) {
        fprintf(stderr, "  expected an error with \"%s\", got rc %d: \"%s\"\n", needle, rc, err);
        sp_faults_destroy(fs);
        return 0;
    }
    return 1;
}

static void validation_errors_name_the_fault_and_field(void) {
    const sp_env_spec* disc = sp_env_find("CartPole-v0")->spec;
    const sp_env_spec* cont = sp_env_find("CartPoleContinuous-v0")->spec;
    sp_fault_def d;

    d = fault(SP_FAULT_DELAY, "pole.*");
    d.kind = (sp_fault_kind)99;
    ENSURE(expect_error(disc, &d, 1, "faults[0].kind: unknown kind 99"));
    d = fault(SP_FAULT_NOISE, "lidar.*");
    d.sigma = 0.1;
    ENSURE(expect_error(disc, &d, 1, "faults[0].target: \"lidar.*\" matches no sensor"));
    d = fault(SP_FAULT_NOISE, "pole.*");
    ENSURE(expect_error(disc, &d, 1, "faults[0].sigma: noise needs it"));
    d.sigma = -1.0;
    ENSURE(expect_error(disc, &d, 1, "faults[0].sigma: must be >= 0"));
    d.sigma = INFINITY;
    ENSURE(expect_error(disc, &d, 1, "faults[0].sigma: must be a finite number"));
    d = fault(SP_FAULT_DELAY, "*");
    ENSURE(expect_error(disc, &d, 1, "faults[0].steps: delay needs it"));
    d.steps = -2;
    ENSURE(expect_error(disc, &d, 1, "faults[0].steps: must be within [0, 1000]"));
    d.steps = SP_FAULT_MAX_STEPS + 1;
    ENSURE(expect_error(disc, &d, 1, "faults[0].steps"));
    d = fault(SP_FAULT_ACTION_REPEAT, "*");
    d.steps = 0;
    ENSURE(expect_error(disc, &d, 1, "faults[0].steps: must be within [1, 1000]"));
    d = fault(SP_FAULT_SPIKES, "*");
    d.probability = 1.5;
    d.magnitude = 3.0;
    ENSURE(expect_error(disc, &d, 1, "faults[0].probability: must be within [0, 1]"));
    d.probability = 0.5;
    d.magnitude = -3.0;
    ENSURE(expect_error(disc, &d, 1, "faults[0].magnitude"));
    d = fault(SP_FAULT_OUTAGE, "*");
    d.mode = 7;
    ENSURE(expect_error(disc, &d, 1, "faults[0].mode: must be one of zero, hold, nan"));
    d = fault(SP_FAULT_BIAS, "*");
    ENSURE(expect_error(disc, &d, 1, "faults[0].offset: bias needs it"));

    /* Actions: the discrete pseudo-channel, noop range, continuous-only kinds. */
    d = fault(SP_FAULT_ACTION_DROP, "cart.force");
    ENSURE(expect_error(disc, &d, 1, "faults[0].target: \"cart.force\" matches no actuator"));
    ENSURE(expect_error(disc, &d, 1, "(action)"));
    d = fault(SP_FAULT_ACTION_DELAY, "action");
    d.steps = 2;
    d.noop = 2;
    ENSURE(expect_error(disc, &d, 1, "faults[0].noop: must be an action of CartPole-v0"));
    d = fault(SP_FAULT_ACTION_NOISE, "*");
    d.sigma = 1.0;
    ENSURE(expect_error(disc, &d, 1, "faults[0].kind: action_noise needs continuous"));
    d = fault(SP_FAULT_MOTOR, "*");
    ENSURE(expect_error(disc, &d, 1, "faults[0].kind: motor needs continuous"));
    d = fault(SP_FAULT_REWARD_DELAY, "reward");
    d.steps = 3;
    ENSURE(expect_error(disc, &d, 1, "faults[0].target: reward_delay acts on the whole reward"));
    d = fault(SP_FAULT_GRAVITY, "z");
    ENSURE(expect_error(cont, &d, 1, "faults[0].target: \"z\" matches no gravity component"));
    d = fault(SP_FAULT_MASS, "*");
    d.update = SP_UPDATE_EPISODE;
    d.drift = 0.1;
    ENSURE(expect_error(cont, &d, 1, "faults[0].drift: must be 0 with update \"episode\""));
    d.drift = 0.0;
    d.walk = -1.0;
    ENSURE(expect_error(cont, &d, 1, "faults[0].walk: must be >= 0"));
    d.walk = 0.0;
    d.scale = 1e9;
    ENSURE(expect_error(cont, &d, 1, "faults[0].scale"));

    /* Schedules. */
    d = fault(SP_FAULT_STUCK, "*");
    d.schedule = window(10, 10);
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.end: must be greater than start"));
    d.schedule = window(-1, 10);
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.start"));
    d.schedule = sp_default_fault_schedule();
    d.schedule.type = SP_SCHEDULE_PROBABILITY;
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.probability: a probability schedule"));
    d.schedule.probability = -0.1;
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.probability: must be within [0, 1]"));
    d.schedule.probability = 0.1;
    d.schedule.duration = 0;
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.duration"));
    d.schedule = sp_default_fault_schedule();
    d.schedule.type = SP_SCHEDULE_PERIODIC;
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.period: a periodic schedule needs it"));
    d.schedule.period = 10;
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.duty: a periodic schedule takes"));
    d.schedule.duty = 3;
    d.schedule.duty_fraction = 0.5;
    ENSURE(expect_error(disc, &d, 1, "exactly one of duty"));
    d.schedule.duty_fraction = NAN;
    d.schedule.duty = 11;
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.duty: must be within [1, period"));
    d.schedule.duty = SP_FAULT_UNSET_INT;
    d.schedule.duty_fraction = 0.01;
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.duty_fraction: 0.01 of 10 steps"));
    d.schedule.type = (sp_fault_schedule_type)9;
    ENSURE(expect_error(disc, &d, 1, "faults[0].schedule.type"));

    /* The index is the failing fault's; the list's size is bounded. */
    sp_fault_def two[2] = {fault(SP_FAULT_STUCK, "*"), fault(SP_FAULT_NOISE, "cart.x")};
    ENSURE(expect_error(disc, two, 2, "faults[1].sigma"));
    ENSURE(expect_error(disc, two, SP_MAX_FAULTS + 1, "a list of 0 to 64 faults"));
    ENSURE(expect_error(NULL, two, 1, "no env spec"));

    /* Valid lists pass, and a refused replacement keeps the old list. */
    char err[256];
    two[1].sigma = 0.1;
    ENSURE(sp_faults_validate(two, 2, disc, err, sizeof err) == 0);
    ENSURE(sp_faults_validate(NULL, 0, disc, err, sizeof err) == 0);
    sp_faults* fs = sp_faults_create(two, 2, disc, err, sizeof err);
    ENSURE(fs != NULL);
    two[1].sigma = -1.0;
    ENSURE(sp_faults_set(fs, two, 2, err, sizeof err) == SP_E_BAD_ARGUMENT);
    ENSURE(sp_faults_count(fs) == 2 && sp_faults_def(fs, 1)->sigma == 0.1);
    ENSURE(!strcmp(sp_faults_def(fs, 1)->target, "cart.x"));
    ENSURE(sp_faults_def(fs, 2) == NULL);
    sp_faults_destroy(fs);
}

static void the_normal_draw_is_standard_normal(void) {
    /* The ziggurat's moments and tails, its rare paths (wedges, the tail past 3.44) included. */
    sp_rng rng;
    sp_rng_seed(&rng, 12345, "test_normal");
    enum { N = 1000000 };
    double sum = 0.0, sum2 = 0.0, biggest = 0.0;
    long beyond[4] = {0}; /* |x| > 1, 2, 3, 3.5 */
    const double cut[4] = {1.0, 2.0, 3.0, 3.5};
    const double p[4] = {0.31731050786291, 0.04550026389635, 0.00269979606326, 0.00046525815};
    for (int i = 0; i < N; i++) {
        double x = sp_fault_normal(&rng);
        sum += x;
        sum2 += x * x;
        if (fabs(x) > biggest) biggest = fabs(x);
        for (int k = 0; k < 4; k++)
            beyond[k] += fabs(x) > cut[k];
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    ENSURE_MSG(fabs(mean) < 5.0 / sqrt((double)N), "mean %g", mean);
    ENSURE_MSG(fabs(var - 1.0) < 0.01, "variance %g", var);
    for (int k = 0; k < 4; k++) {
        double sd = sqrt(p[k] * (1.0 - p[k]) / N);
        ENSURE_MSG(fabs((double)beyond[k] / N - p[k]) < 5.0 * sd, "P(|x| > %g) = %g, not %g",
                   cut[k], (double)beyond[k] / N, p[k]);
    }
    ENSURE(biggest > 4.0 && biggest < 7.0);
}

static void the_state_hash_covers_fault_buffers(void) {
    /* Two sets whose streams, flags and world agree at every step, and whose delay rings do
     * not (the noise before the delay adds nothing in one of them): the hashes must differ. */
    sp_fault_def a[2] = {fault(SP_FAULT_NOISE, "*"), fault(SP_FAULT_DELAY, "*")};
    a[0].sigma = 0.0;
    a[1].steps = 5;
    a[1].schedule = window(1000, 1001); /* never active here: only the ring differs */
    sp_fault_def b[2] = {a[0], a[1]};
    b[0].sigma = 0.5;
    sp_episode* ea;
    sp_faults* fa = run_pair("CartPole-v0", a, 2, 17, 10, &ea);
    ENSURE(fa != NULL);
    static trace first;
    first = fault_trace;
    sp_episode* eb;
    sp_faults* fb = run_pair("CartPole-v0", b, 2, 17, 10, &eb);
    ENSURE(fb != NULL);
    for (int t = 0; t <= first.steps; t++) {
        ENSURE(first.world[t] == fault_trace.world[t]);
        ENSURE_MSG(first.hash[t] != fault_trace.hash[t], "t %d", t);
    }
    finish(ea, fa);
    finish(eb, fb);
}

/* ---- sensor kinds ---- */

static void sensor_delay_equals_the_clean_reading_k_steps_before(void) {
    sp_episode* ep;
    sp_fault_def d = fault(SP_FAULT_DELAY, "pole.*");
    d.steps = 3;
    sp_faults* fs = run_pair("CartPole-v0", &d, 1, 7, MAXT, &ep);
    ENSURE(fs != NULL);
    ENSURE(fault_trace.steps == clean_trace.steps && clean_trace.steps > 10);
    for (int t = 0; t <= clean_trace.steps; t++) {
        int src = t - 3 > 0 ? t - 3 : 0; /* before step t - k existed, the first reading */
        for (int c = 0; c < 4; c++) {
            float want = c >= 2 ? clean_trace.obs[src][c] : clean_trace.obs[t][c];
            ENSURE_MSG(same_float(fault_trace.obs[t][c], want), "t %d channel %d", t, c);
        }
    }
    finish(ep, fs);

    /* In a window [5, 12): only there is the reading late, and by exactly k. */
    d = fault(SP_FAULT_DELAY, "cart.x");
    d.steps = 2;
    d.schedule = window(5, 12);
    fs = run_pair("CartPole-v0", &d, 1, 7, MAXT, &ep);
    ENSURE(fs != NULL && clean_trace.steps > 15);
    for (int t = 0; t <= clean_trace.steps; t++) {
        int src = t >= 5 && t < 12 ? t - 2 : t;
        ENSURE_MSG(same_float(fault_trace.obs[t][0], clean_trace.obs[src][0]), "t %d", t);
        ENSURE(same_float(fault_trace.obs[t][1], clean_trace.obs[t][1]));
    }
    finish(ep, fs);
}

static void outage_windows_start_and_end_where_scheduled(void) {
    const int modes[] = {SP_OUTAGE_ZERO, SP_OUTAGE_HOLD, SP_OUTAGE_NAN};
    for (int m = 0; m < 3; m++) {
        sp_episode* ep;
        sp_fault_def d = fault(SP_FAULT_OUTAGE, "cart.velocity");
        d.mode = modes[m];
        d.schedule = window(3, 8);
        sp_faults* fs = run_pair("CartPole-v0", &d, 1, 11, MAXT, &ep);
        ENSURE(fs != NULL && clean_trace.steps > 10);
        for (int t = 0; t <= clean_trace.steps; t++) {
            bool out = t >= 3 && t < 8;
            float got = fault_trace.obs[t][1];
            ENSURE_MSG(fault_trace.valid[t][1] == (out ? 0 : 1), "t %d", t);
            ENSURE(fault_trace.valid[t][0] == 1 && fault_trace.valid[t][2] == 1);
            ENSURE(same_float(fault_trace.obs[t][0], clean_trace.obs[t][0]));
            if (!out)
                ENSURE_MSG(same_float(got, clean_trace.obs[t][1]), "t %d", t);
            else if (modes[m] == SP_OUTAGE_ZERO)
                ENSURE(got == 0.0f);
            else if (modes[m] == SP_OUTAGE_HOLD)
                ENSURE_MSG(same_float(got, clean_trace.obs[2][1]), "t %d", t); /* last good */
            else
                ENSURE(isnan(got));
        }
        finish(ep, fs);
    }

    /* Out from the reset on: hold has no good value yet and reads 0. */
    sp_episode* ep;
    sp_fault_def d = fault(SP_FAULT_OUTAGE, "pole.angle");
    d.mode = SP_OUTAGE_HOLD;
    d.schedule = window(0, 2);
    sp_faults* fs = run_pair("CartPole-v0", &d, 1, 11, 5, &ep);
    ENSURE(fs != NULL);
    ENSURE(fault_trace.obs[0][2] == 0.0f && fault_trace.obs[1][2] == 0.0f);
    ENSURE(same_float(fault_trace.obs[2][2], clean_trace.obs[2][2]));
    finish(ep, fs);
}

static void noise_has_the_given_sigma(void) {
    const double sigma = 0.05;
    sp_fault_def d = fault(SP_FAULT_NOISE, "*");
    d.sigma = sigma;
    double sum = 0.0, sum2 = 0.0;
    long n = 0;
    for (uint64_t seed = 100; n < 40000; seed++) {
        sp_episode* ep;
        sp_faults* fs = run_pair("CartPole-v0", &d, 1, seed, MAXT, &ep);
        ENSURE(fs != NULL);
        for (int t = 0; t <= clean_trace.steps; t++)
            for (int c = 0; c < 4; c++) {
                double e = (double)fault_trace.obs[t][c] - (double)clean_trace.obs[t][c];
                sum += e;
                sum2 += e * e;
                n++;
            }
        finish(ep, fs);
    }
    double mean = sum / (double)n;
    double sd = sqrt(sum2 / (double)n - mean * mean);
    ENSURE_MSG(fabs(mean) < 4.0 * sigma / sqrt((double)n), "mean %g over %ld", mean, n);
    ENSURE_MSG(fabs(sd / sigma - 1.0) < 0.03, "sd %g, sigma %g", sd, sigma);
}

static void stuck_holds_the_value_the_window_opened_with(void) {
    sp_episode* ep;
    sp_fault_def d = fault(SP_FAULT_STUCK, "pole.angle");
    d.schedule = window(4, 10);
    sp_faults* fs = run_pair("CartPole-v0", &d, 1, 3, MAXT, &ep);
    ENSURE(fs != NULL && clean_trace.steps > 12);
    for (int t = 0; t <= clean_trace.steps; t++) {
        float want = t >= 4 && t < 10 ? clean_trace.obs[4][2] : clean_trace.obs[t][2];
        ENSURE_MSG(same_float(fault_trace.obs[t][2], want), "t %d", t);
    }
    finish(ep, fs);
}

static void bias_and_drift_are_exact(void) {
    sp_episode* ep;
    sp_fault_def list[2] = {fault(SP_FAULT_BIAS, "cart.x"), fault(SP_FAULT_DRIFT, "pole.angle")};
    list[0].offset = 0.25;
    list[1].rate = 0.001;
    list[1].schedule = window(3, 20);
    sp_faults* fs = run_pair("CartPole-v0", list, 2, 5, MAXT, &ep);
    ENSURE(fs != NULL && clean_trace.steps > 22);
    for (int t = 0; t <= clean_trace.steps; t++) {
        float bias = (float)((double)clean_trace.obs[t][0] + 0.25);
        ENSURE_MSG(same_float(fault_trace.obs[t][0], bias), "t %d", t);
        /* The offset is rate x steps since the window opened: 0 at its first step. */
        float drift = t >= 3 && t < 20 ? (float)((double)clean_trace.obs[t][2] + 0.001 * (t - 3))
                                       : clean_trace.obs[t][2];
        ENSURE_MSG(same_float(fault_trace.obs[t][2], drift), "t %d", t);
        ENSURE(same_float(fault_trace.obs[t][1], clean_trace.obs[t][1]));
    }
    finish(ep, fs);
}

static void spikes_occur_at_the_configured_rate(void) {
    const double p = 0.1, mag = 5.0;
    sp_fault_def d = fault(SP_FAULT_SPIKES, "*");
    d.probability = p;
    d.magnitude = mag;
    long samples = 0, spikes = 0, events = 0;
    for (uint64_t seed = 1; samples < 20000; seed++) {
        sp_episode* ep = make("CartPole-v0");
        sp_episode* clean = make("CartPole-v0");
        sp_faults* fs = attach(ep, &d, 1);
        ENSURE(fs != NULL);
        ENSURE(sp_episode_reset(ep, &seed) == 0 && sp_episode_reset(clean, &seed) == 0);
        char err[64];
        long episode_spikes = 0;
        for (int t = 0;; t++) {
            const float* f = sp_episode_obs(ep);
            const float* c = sp_episode_obs(clean);
            for (int i = 0; i < 4; i++) {
                double e = (double)f[i] - (double)c[i];
                samples++;
                if (e == 0.0) continue;
                /* Every outlier is +-magnitude, up to float rounding of the reading. */
                ENSURE_MSG(fabs(fabs(e) - mag) < 1e-5, "residual %g", e);
                spikes++;
                episode_spikes++;
            }
            for (int k = 0; k < sp_episode_event_count(ep); k++) {
                const sp_event* e = &sp_episode_events(ep)[k];
                if (e->source == SP_EVENT_FAULT &&
                    SP_FAULT_EVENT_TYPE(e->flags) == SP_FAULT_EVENT_SPIKE) {
                    ENSURE(e->code == SP_FAULT_SPIKES && same_float(e->value, f[e->channel]));
                    events++;
                }
            }
            if (sp_episode_done(ep)) break;
            sp_action a = policy(sp_episode_spec(ep), t + 1);
            sp_step_result r;
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
            ENSURE(sp_episode_step(clean, &a, &r, err, sizeof err) == 0);
        }
        sp_fault_stats st;
        sp_faults_stats(fs, &st);
        ENSURE(st.events[SP_FAULT_SPIKES] == (uint64_t)episode_spikes);
        finish(ep, fs);
        sp_episode_destroy(clean);
    }
    double rate = (double)spikes / (double)samples;
    double sd = sqrt(p * (1.0 - p) / (double)samples);
    ENSURE_MSG(fabs(rate - p) < 5.0 * sd, "rate %g over %ld samples", rate, samples);
    ENSURE(events == spikes);
}

/* ---- action kinds: the faulted world equals a clean one fed the expected action ---- */

/* Steps `ep` with `a` and `clean` with `want`; the worlds must agree bit for bit. */
static int step_both(sp_episode* ep, sp_episode* clean, const sp_action* a, const sp_action* want) {
    sp_step_result r;
    char err[128];
    if (sp_episode_step(ep, a, &r, err, sizeof err) != 0) return 0;
    if (sp_episode_step(clean, want, &r, err, sizeof err) != 0) return 0;
    return world_hash(ep) == world_hash(clean);
}

static void action_delay_applies_the_action_of_k_steps_ago(void) {
    /* Continuous: zero before any action of step t - k exists. */
    sp_episode* ep = make("CartPoleContinuous-v0");
    sp_episode* clean = make("CartPoleContinuous-v0");
    sp_fault_def d = fault(SP_FAULT_ACTION_DELAY, "*");
    d.steps = 2;
    sp_faults* fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    uint64_t seed = 21;
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    const sp_env_spec* spec = sp_episode_spec(ep);
    for (int t = 1; t <= 40 && !sp_episode_done(ep); t++) {
        sp_action a = policy(spec, t), want;
        memset(&want, 0, sizeof want);
        if (t > 2) want = policy(spec, t - 2);
        ENSURE_MSG(step_both(ep, clean, &a, &want), "t %d", t);
    }
    finish(ep, fs);
    sp_episode_destroy(clean);

    /* Discrete: the noop index stands in for the missing action. */
    ep = make("CartPole-v0");
    clean = make("CartPole-v0");
    d.steps = 3;
    d.noop = 1;
    fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    spec = sp_episode_spec(ep);
    for (int t = 1; t <= 40 && !sp_episode_done(ep); t++) {
        sp_action a = policy(spec, t), want = {.index = 1};
        if (t > 3) want = policy(spec, t - 3);
        ENSURE_MSG(step_both(ep, clean, &a, &want), "t %d", t);
    }
    finish(ep, fs);
    sp_episode_destroy(clean);
}

static void action_drop_applies_the_previous_action_or_zero(void) {
    const int fills[] = {SP_DROP_PREVIOUS, SP_DROP_ZERO};
    for (int fi = 0; fi < 2; fi++) {
        sp_episode* ep = make("CartPoleContinuous-v0");
        sp_episode* clean = make("CartPoleContinuous-v0");
        sp_fault_def d = fault(SP_FAULT_ACTION_DROP, "cart.force");
        d.fill = fills[fi];
        d.schedule.type = SP_SCHEDULE_PROBABILITY;
        d.schedule.probability = 0.3;
        d.schedule.duration = 1;
        sp_faults* fs = attach(ep, &d, 1);
        ENSURE(fs != NULL);
        uint64_t seed = 33;
        sp_episode_reset(ep, &seed);
        sp_episode_reset(clean, &seed);
        const sp_env_spec* spec = sp_episode_spec(ep);
        float applied = 0.0f;
        int drops = 0, steps = 0;
        for (int t = 1; t <= 60 && !sp_episode_done(ep); t++, steps++) {
            sp_action a = policy(spec, t);
            a.value[0] = a.value[0] > 10.0f ? 10.0f : a.value[0] < -10.0f ? -10.0f : a.value[0];
            /* Which steps drop is the schedule's business: read it from the events, then
             * check the value applied is exactly the fill. */
            sp_step_result r;
            char err[64];
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
            bool dropped = false;
            for (int k = 0; k < sp_episode_event_count(ep); k++) {
                const sp_event* e = &sp_episode_events(ep)[k];
                if (SP_FAULT_EVENT_TYPE(e->flags) != SP_FAULT_EVENT_DROP) continue;
                dropped = true;
                ENSURE(e->code == SP_FAULT_ACTION_DROP && e->channel == 0);
                ENSURE(same_float(e->value, a.value[0]));
            }
            ENSURE(dropped == ((sp_faults_active(fs) & 1u) != 0));
            sp_action want = a;
            if (dropped) {
                want.value[0] = fills[fi] == SP_DROP_PREVIOUS && t > 1 ? applied : 0.0f;
                drops++;
            }
            applied = want.value[0];
            ENSURE(sp_episode_step(clean, &want, &r, err, sizeof err) == 0);
            ENSURE_MSG(world_hash(ep) == world_hash(clean), "t %d", t);
        }
        ENSURE_MSG(drops > steps / 10 && drops < steps / 2, "%d drops in %d steps", drops, steps);
        sp_fault_stats st;
        sp_faults_stats(fs, &st);
        ENSURE(st.events[SP_FAULT_ACTION_DROP] == (uint64_t)drops);
        finish(ep, fs);
        sp_episode_destroy(clean);
    }

    /* Discrete, dropped from step 1: no previous action exists yet, so the noop stands in,
     * and then holds. */
    sp_episode* ep = make("CartPole-v0");
    sp_episode* clean = make("CartPole-v0");
    sp_fault_def d = fault(SP_FAULT_ACTION_DROP, "action");
    d.noop = 1;
    d.schedule = window(1, 3);
    sp_faults* fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    uint64_t seed = 5;
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    for (int t = 1; t <= 5; t++) {
        sp_action a = {.index = 0}, want = {.index = t < 3 ? 1 : 0};
        ENSURE_MSG(step_both(ep, clean, &a, &want), "t %d", t);
    }
    finish(ep, fs);
    sp_episode_destroy(clean);
}

static void action_repeat_holds_each_action_for_n_more_steps(void) {
    sp_episode* ep = make("CartPoleContinuous-v0");
    sp_episode* clean = make("CartPoleContinuous-v0");
    sp_fault_def d = fault(SP_FAULT_ACTION_REPEAT, "*");
    d.steps = 2;
    d.schedule = window(3, 12);
    sp_faults* fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    uint64_t seed = 8;
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    const sp_env_spec* spec = sp_episode_spec(ep);
    for (int t = 1; t <= 20 && !sp_episode_done(ep); t++) {
        sp_action a = policy(spec, t);
        /* In the window the agent is heard at steps 3, 6, 9, each action held 2 more. */
        int heard = t >= 3 && t < 12 ? 3 + 3 * ((t - 3) / 3) : t;
        sp_action want = policy(spec, heard);
        ENSURE_MSG(step_both(ep, clean, &a, &want), "t %d", t);
    }
    finish(ep, fs);
    sp_episode_destroy(clean);
}

static void action_noise_is_gaussian_then_clipped(void) {
    sp_episode* ep = make("CartPoleContinuous-v0");
    sp_episode* clean = make("CartPoleContinuous-v0");
    sp_fault_def d = fault(SP_FAULT_ACTION_NOISE, "cart.force");
    d.sigma = 4.0;
    sp_faults* fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    uint64_t seed = 19;
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    /* The documented stream: (episode seed, "fault/<index>/<kind>"), one normal per channel
     * and active step. */
    sp_rng rng;
    sp_rng_seed(&rng, seed, "fault/0/action_noise");
    const sp_env_spec* spec = sp_episode_spec(ep);
    int clipped = 0;
    for (int t = 1; t <= 60 && !sp_episode_done(ep); t++) {
        sp_action a = policy(spec, t), want = a;
        if (a.value[0] > 10.0f) a.value[0] = 10.0f; /* the policy overshoots; both clip */
        if (a.value[0] < -10.0f) a.value[0] = -10.0f;
        double v = (double)a.value[0] + 4.0 * sp_fault_normal(&rng);
        if (fabs(v) > 10.0) clipped++;
        want.value[0] = (float)(v < -10.0 ? -10.0 : v > 10.0 ? 10.0 : v);
        ENSURE_MSG(step_both(ep, clean, &a, &want), "t %d", t);
    }
    ENSURE(clipped > 0);
    finish(ep, fs);
    sp_episode_destroy(clean);
}

/* ---- reward ---- */

static void reward_delay_pays_k_steps_late_and_everything_at_the_end(void) {
    /* Pendulum's rewards differ at every step, so the order is visible. */
    const char* id = sp_env_find("Pendulum-v0") ? "Pendulum-v0" : "CartPole-v0";
    sp_episode* ep;
    sp_fault_def d = fault(SP_FAULT_REWARD_DELAY, NULL);
    d.steps = 3;
    sp_faults* fs = run_pair(id, &d, 1, 4, MAXT, &ep);
    ENSURE(fs != NULL);
    int T = clean_trace.steps;
    ENSURE(T > 10 && fault_trace.steps == T);
    double owed = 0.0, ret_clean = 0.0, ret_fault = 0.0;
    for (int t = 1; t <= T; t++) {
        ret_clean += clean_trace.reward[t];
        ret_fault += fault_trace.reward[t];
        if (t < T) {
            double want = t > 3 ? clean_trace.reward[t - 3] : 0.0;
            ENSURE_MSG(fault_trace.reward[t] == want, "t %d", t);
        }
    }
    for (int t = T - 3; t <= T; t++)
        owed += clean_trace.reward[t];
    ENSURE_MSG(fault_trace.reward[T] == owed, "last %g owed %g", fault_trace.reward[T], owed);
    ENSURE(fabs(ret_clean - ret_fault) < 1e-9 * (1.0 + fabs(ret_clean)));
    ENSURE(fabs(sp_episode_return(ep) - ret_clean) < 1e-9 * (1.0 + fabs(ret_clean)));
    finish(ep, fs);

    /* In a window [5, 10): rewards of 5.. wait 3 steps; the close pays what is owed. */
    d.schedule = window(5, 10);
    fs = run_pair(id, &d, 1, 4, MAXT, &ep);
    ENSURE(fs != NULL);
    const double* c = clean_trace.reward;
    const double want[] = {
        0, c[1], c[2], c[3], c[4], 0, 0, 0, c[5], c[6], c[7] + c[8] + c[9] + c[10], c[11]};
    for (int t = 1; t < 12; t++)
        ENSURE_MSG(fault_trace.reward[t] == want[t], "t %d", t);
    finish(ep, fs);
}

/* A layer before the faults that ends the episode at step 5 without applying the action. */
static int halt_at_5(void* self, sp_episode* ep, sp_action* a, char* err, size_t n) {
    if (sp_episode_step_count(ep) == 4) sp_episode_halt(ep, "test_halt");
    return 0;
}

static void a_halted_step_still_pays_owed_rewards(void) {
    sp_episode* ep = make("CartPole-v0");
    sp_layer halt = {.name = "halt", .on_action = halt_at_5};
    ENSURE(sp_episode_add_layer(ep, &halt) == 0);
    sp_fault_def d = fault(SP_FAULT_REWARD_DELAY, "*");
    d.steps = 3;
    sp_faults* fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    uint64_t seed = 2;
    sp_episode_reset(ep, &seed);
    sp_step_result r;
    char err[64];
    double paid[6] = {0};
    for (int t = 1; t <= 5; t++) {
        sp_action a = {.index = t % 2};
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
        paid[t] = r.reward;
    }
    ENSURE(r.terminated && !strcmp(r.reason, "test_halt"));
    /* CartPole pays 1 per step: steps 1..4 earned 4, the halted step 0; step 4 pays step 1's. */
    ENSURE(paid[1] == 0 && paid[2] == 0 && paid[3] == 0 && paid[4] == 1.0 && paid[5] == 3.0);
    ENSURE(sp_episode_return(ep) == 4.0);
    finish(ep, fs);
}

/* ---- physics ---- */

static void gravity_follows_its_window_and_returns_exactly(void) {
    sp_episode* ep = make("CartPoleContinuous-v0");
    sp_fault_def d = fault(SP_FAULT_GRAVITY, "y");
    d.scale = 2.0;
    d.offset = -0.5;
    d.schedule = window(2, 4);
    sp_faults* fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    uint64_t seed = 1;
    sp_episode_reset(ep, &seed);
    cpSpace* space = sp_world_space(sp_episode_world(ep));
    cpVect g0 = cpSpaceGetGravity(space);
    ENSURE(g0.y == -9.81 && g0.x == 0.0);
    for (int t = 1; t <= 6; t++) {
        sp_action a = policy(sp_episode_spec(ep), t);
        sp_step_result r;
        char err[64];
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
        cpVect g = cpSpaceGetGravity(space);
        double want = t >= 2 && t < 4 ? -9.81 * 2.0 - 0.5 : -9.81;
        ENSURE_MSG(g.y == want && g.x == 0.0, "t %d: %g", t, g.y);
        ENSURE((sp_faults_active(fs) != 0) == (t >= 2 && t < 4));
    }
    finish(ep, fs);

    /* A heavier world falls differently: the perturbation reaches the physics. */
    ep = make("CartPoleContinuous-v0");
    sp_episode* clean = make("CartPoleContinuous-v0");
    d = fault(SP_FAULT_GRAVITY, "*");
    d.scale = 3.0;
    fs = attach(ep, &d, 1);
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    ENSURE(world_hash(ep) == world_hash(clean));
    sp_action zero = {0};
    ENSURE(!step_both(ep, clean, &zero, &zero));
    finish(ep, fs);
    sp_episode_destroy(clean);
}

static void mass_and_friction_scale_from_their_nominal_values(void) {
    sp_episode* ep = make("CartPoleContinuous-v0");
    sp_fault_def list[2] = {fault(SP_FAULT_MASS, "*"), fault(SP_FAULT_FRICTION, "*")};
    list[0].scale = 1.0;
    list[0].drift = 0.01;
    list[1].offset = 0.5; /* CartPole's shapes have no friction: a scale alone would do nothing */
    sp_faults* fs = attach(ep, list, 2);
    ENSURE(fs != NULL);
    sp_episode* clean = make("CartPoleContinuous-v0");
    uint64_t seed = 6;
    sp_episode_reset(clean, &seed);
    sp_world* cw = sp_episode_world(clean);
    int nb = sp_world_body_count(cw);
    ENSURE(nb == 2);
    double m0[2], i0[2];
    for (int b = 0; b < nb; b++) {
        m0[b] = cpBodyGetMass(sp_world_body(cw, b));
        i0[b] = cpBodyGetMoment(sp_world_body(cw, b));
    }
    sp_episode_reset(ep, &seed);
    sp_world* w = sp_episode_world(ep);
    for (int t = 0; t <= 30 && !sp_episode_done(ep); t++) {
        if (t > 0) {
            sp_action a = policy(sp_episode_spec(ep), t);
            sp_step_result r;
            char err[64];
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
        }
        double factor = 1.0 + 0.01 * (double)t + 0.0; /* drift x steps since the window opened */
        for (int b = 0; b < nb; b++) {
            cpBody* body = sp_world_body(w, b);
            double m = m0[b] * factor + 0.0;
            ENSURE_MSG(cpBodyGetMass(body) == m, "t %d body %d", t, b);
            ENSURE(cpBodyGetMoment(body) == i0[b] * (m / m0[b])); /* infinite stays infinite */
        }
        for (int s = 0; s < sp_world_shape_count(w); s++)
            ENSURE(cpShapeGetFriction(sp_world_shape(w, s)) == 0.5);
    }
    ENSURE(isinf(cpBodyGetMoment(sp_world_body(w, 0))));
    finish(ep, fs);
    sp_episode_destroy(clean);

    /* Where shapes have friction (Lander), a scale multiplies each shape's own value. */
    if (sp_env_find("Lander-v0")) {
        ep = make("Lander-v0");
        clean = make("Lander-v0");
        sp_fault_def f = fault(SP_FAULT_FRICTION, NULL);
        f.scale = 0.25;
        fs = attach(ep, &f, 1);
        ENSURE(fs != NULL);
        sp_episode_reset(ep, &seed);
        sp_episode_reset(clean, &seed);
        int ns = sp_world_shape_count(sp_episode_world(ep));
        ENSURE(ns == sp_world_shape_count(sp_episode_world(clean)) && ns > 0);
        for (int s = 0; s < ns; s++) {
            double u0 = cpShapeGetFriction(sp_world_shape(sp_episode_world(clean), s));
            ENSURE(cpShapeGetFriction(sp_world_shape(sp_episode_world(ep), s)) == u0 * 0.25);
        }
        finish(ep, fs);
        sp_episode_destroy(clean);
    }
}

static void random_walks_follow_the_fault_stream(void) {
    const int updates[] = {SP_UPDATE_STEP, SP_UPDATE_EPISODE};
    for (int u = 0; u < 2; u++) {
        sp_episode* ep = make("CartPoleContinuous-v0");
        sp_fault_def d = fault(SP_FAULT_MASS, NULL);
        d.walk = 0.02;
        d.update = updates[u];
        sp_faults* fs = attach(ep, &d, 1);
        ENSURE(fs != NULL);
        uint64_t seed = 77;
        sp_episode_reset(ep, &seed);
        cpBody* pole = sp_world_body(sp_episode_world(ep), 1);
        sp_episode* clean = make("CartPoleContinuous-v0");
        sp_episode_reset(clean, &seed);
        double m0 = cpBodyGetMass(sp_world_body(sp_episode_world(clean), 1));
        sp_episode_destroy(clean);
        sp_rng rng;
        sp_rng_seed(&rng, seed, "fault/0/mass");
        /* Step updates: a walk from the factor 1, one normal per step after the first. Episode
         * updates: one normal when the window opens, held all episode. */
        double base = 1.0, walk = 0.0;
        if (updates[u] == SP_UPDATE_EPISODE) base += 0.02 * sp_fault_normal(&rng);
        for (int t = 0; t <= 25 && !sp_episode_done(ep); t++) {
            if (t > 0) {
                sp_action a = policy(sp_episode_spec(ep), t);
                sp_step_result r;
                char err[64];
                ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
                if (updates[u] == SP_UPDATE_STEP) walk += 0.02 * sp_fault_normal(&rng);
            }
            double factor = base + 0.0 * (double)t + walk;
            ENSURE_MSG(cpBodyGetMass(pole) == m0 * factor + 0.0, "update %d t %d", u, t);
        }
        finish(ep, fs);
    }
}

static void motor_scales_continuous_actuators_then_clips(void) {
    sp_episode* ep = make("CartPoleContinuous-v0");
    sp_episode* clean = make("CartPoleContinuous-v0");
    sp_fault_def d = fault(SP_FAULT_MOTOR, "cart.*");
    d.scale = 1.5;
    sp_faults* fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    uint64_t seed = 12;
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    const float commands[] = {2.0f, -4.0f, 8.0f, -9.0f, 0.5f};
    for (int t = 0; t < 5; t++) {
        sp_action a = {0}, want = {0};
        a.value[0] = commands[t];
        double v = (double)commands[t] * 1.5;
        want.value[0] = (float)(v > 10.0 ? 10.0 : v < -10.0 ? -10.0 : v);
        ENSURE_MSG(step_both(ep, clean, &a, &want), "t %d", t);
    }
    finish(ep, fs);
    sp_episode_destroy(clean);
}

/* ---- events, schedules, accessors ---- */

static void events_mark_windows_opening_and_closing(void) {
    sp_episode* ep = make("CartPole-v0");
    sp_fault_def list[2] = {fault(SP_FAULT_STUCK, "pole.*"), fault(SP_FAULT_BIAS, "cart.x")};
    list[0].schedule = window(2, 5);
    list[1].offset = 1.0;
    list[1].schedule = window(0, 3);
    sp_faults* fs = attach(ep, list, 2);
    ENSURE(fs != NULL);
    for (int round = 0; round < 2; round++) { /* stats add up over episodes */
        uint64_t seed = 4;
        sp_episode_reset(ep, &seed);
        /* Step 0 (the reset): fault 1 opens. */
        ENSURE(sp_episode_event_count(ep) == 1);
        const sp_event* e = sp_episode_events(ep);
        ENSURE(e->source == SP_EVENT_FAULT && e->code == SP_FAULT_BIAS && e->channel == 0);
        ENSURE(SP_FAULT_EVENT_TYPE(e->flags) == SP_FAULT_EVENT_OPEN);
        ENSURE(SP_FAULT_EVENT_INDEX(e->flags) == 1);
        ENSURE(sp_faults_active(fs) == 2u);
        for (int t = 1; t <= 6; t++) {
            sp_action a = {.index = t % 2};
            sp_step_result r;
            char err[64];
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
            int n = sp_episode_event_count(ep);
            e = sp_episode_events(ep);
            uint64_t want = (t >= 2 && t < 5 ? 1u : 0u) | (t < 3 ? 2u : 0u);
            ENSURE_MSG(sp_faults_active(fs) == want, "t %d", t);
            if (t == 2) {
                ENSURE(n == 1 && SP_FAULT_EVENT_TYPE(e[0].flags) == SP_FAULT_EVENT_OPEN);
                ENSURE(SP_FAULT_EVENT_INDEX(e[0].flags) == 0 && e[0].code == SP_FAULT_STUCK);
                ENSURE(e[0].channel == 2); /* its first channel: pole.angle */
            } else if (t == 3) {
                ENSURE(n == 1 && SP_FAULT_EVENT_TYPE(e[0].flags) == SP_FAULT_EVENT_CLOSE);
                ENSURE(SP_FAULT_EVENT_INDEX(e[0].flags) == 1);
            } else if (t == 5) {
                ENSURE(n == 1 && SP_FAULT_EVENT_TYPE(e[0].flags) == SP_FAULT_EVENT_CLOSE);
                ENSURE(SP_FAULT_EVENT_INDEX(e[0].flags) == 0);
            } else {
                ENSURE_MSG(n == 0, "t %d: %d events", t, n);
            }
        }
        sp_fault_stats st;
        sp_faults_stats(fs, &st);
        ENSURE(st.windows[SP_FAULT_STUCK] == (uint64_t)(round + 1));
        ENSURE(st.windows[SP_FAULT_BIAS] == (uint64_t)(round + 1));
        ENSURE(st.active_steps[SP_FAULT_STUCK] == (uint64_t)(3 * (round + 1)));
        ENSURE(st.active_steps[SP_FAULT_BIAS] == (uint64_t)(3 * (round + 1)));
    }
    /* Replacing the list keeps the counts; clearing drops them. */
    ENSURE(sp_faults_set(fs, list, 1, NULL, 0) == 0);
    sp_fault_stats st;
    sp_faults_stats(fs, &st);
    ENSURE(st.windows[SP_FAULT_BIAS] == 2 && st.windows[SP_FAULT_STUCK] == 2);
    sp_faults_clear_stats(fs);
    sp_faults_stats(fs, &st);
    ENSURE(st.windows[SP_FAULT_BIAS] == 0 && st.active_steps[SP_FAULT_STUCK] == 0);
    finish(ep, fs);
}

/* Fault 0's activity over n steps, from the active mask, with each step's number within its
 * episode (CartPole episodes may end; a schedule starts over with every episode). */
static int activity(const sp_fault_def* d, uint64_t seed, int n, bool* active, int* local) {
    sp_episode* ep = make("CartPoleContinuous-v0");
    sp_faults* fs = attach(ep, d, 1);
    if (!fs) return 0;
    sp_episode_reset(ep, &seed);
    char err[64];
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            sp_action a = {0};
            sp_step_result r;
            if (sp_episode_done(ep))
                sp_episode_reset(ep, NULL);
            else if (sp_episode_step(ep, &a, &r, err, sizeof err) != 0)
                break;
        }
        active[i] = sp_faults_active(fs) & 1u;
        local[i] = sp_episode_step_count(ep);
    }
    finish(ep, fs);
    return 1;
}

static void schedules_periodic_and_probability(void) {
    enum { N = 4000 };
    static bool act[N];
    static int tl[N];
    sp_fault_def d = fault(SP_FAULT_BIAS, "*");
    d.offset = 1.0;
    d.schedule.type = SP_SCHEDULE_PERIODIC;
    d.schedule.start = 3;
    d.schedule.period = 5;
    d.schedule.duty = 2;
    ENSURE(activity(&d, 1, 100, act, tl));
    for (int i = 0; i < 100; i++)
        ENSURE_MSG(act[i] == (tl[i] >= 3 && (tl[i] - 3) % 5 < 2), "t %d", tl[i]);
    d.schedule.duty = SP_FAULT_UNSET_INT;
    d.schedule.duty_fraction = 0.5; /* 2.5 steps round half up to 3 */
    d.schedule.end = 20;
    ENSURE(activity(&d, 1, 100, act, tl));
    for (int i = 0; i < 100; i++)
        ENSURE_MSG(act[i] == (tl[i] >= 3 && tl[i] < 20 && (tl[i] - 3) % 5 < 3), "t %d", tl[i]);

    /* Probability: an occurrence lasts exactly `duration` steps (runs are multiples of it when
     * occurrences follow back to back), and one starts at about the rate per idle step. */
    d.schedule = sp_default_fault_schedule();
    d.schedule.type = SP_SCHEDULE_PROBABILITY;
    d.schedule.probability = 0.05;
    d.schedule.duration = 4;
    ENSURE(activity(&d, 3, N, act, tl));
    int starts = 0, idle = 0, run_len = 0;
    for (int i = 0; i < N; i++) {
        if (act[i]) {
            if (run_len == 0) starts++;
            run_len++;
        } else {
            idle++;
            if (run_len) ENSURE_MSG(run_len % 4 == 0, "a run of %d", run_len);
            run_len = 0;
        }
        if (i + 1 == N || tl[i + 1] == 0) run_len = 0; /* a run cut by the episode's end */
    }
    double rate = (double)starts / (double)(idle + starts); /* steps where one could start */
    ENSURE_MSG(rate > 0.03 && rate < 0.075, "start rate %g (%d starts)", rate, starts);
}

/* ---- determinism ---- */

static void faults_never_touch_the_env_randomness(void) {
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_class* env = sp_env_at(e);
        const char* id = env->spec->id;
        sp_fault_def list[3] = {fault(SP_FAULT_NOISE, "*"), fault(SP_FAULT_SPIKES, "*"),
                                fault(SP_FAULT_DELAY, "*")};
        list[0].sigma = 0.3;
        list[1].probability = 0.2;
        list[1].magnitude = 2.0;
        list[2].steps = 2;
        sp_episode* ep;
        sp_faults* fs = run_pair(id, list, 3, 1234, 200, &ep);
        ENSURE_MSG(fs != NULL, "%s", id);
        ENSURE(fault_trace.steps == clean_trace.steps);
        /* Sensor faults: the world (and the env's own draws, such as engine dispersion)
         * follow exactly the clean episode's, step after step. */
        for (int t = 0; t <= clean_trace.steps; t++)
            ENSURE_MSG(fault_trace.world[t] == clean_trace.world[t], "%s t %d", id, t);
        ENSURE(fault_trace.hash[0] != clean_trace.hash[0]); /* but the layer's state is hashed */
        finish(ep, fs);

        /* Action, reward and physics faults leave the initial state as it was. */
        sp_fault_def other[3] = {fault(SP_FAULT_ACTION_DROP, "*"), fault(SP_FAULT_MASS, NULL),
                                 fault(SP_FAULT_REWARD_DELAY, NULL)};
        other[1].walk = 0.1;
        other[2].steps = 4;
        fs = run_pair(id, other, 3, 99, 1, &ep);
        ENSURE_MSG(fs != NULL, "%s", id);
        ENSURE(fault_trace.world[0] == clean_trace.world[0]);
        ENSURE(!memcmp(fault_trace.obs[0], clean_trace.obs[0],
                       sizeof(float) * (size_t)env->spec->sensor_count));
        finish(ep, fs);
    }
}

static void a_fault_draws_the_same_whoever_else_is_there(void) {
    sp_fault_def a = fault(SP_FAULT_NOISE, "pole.angle");
    a.sigma = 0.1;
    a.schedule.type = SP_SCHEDULE_PROBABILITY;
    a.schedule.probability = 0.5;
    a.schedule.duration = 2;
    sp_fault_def alone[1] = {a};
    sp_fault_def crowd[3] = {a, fault(SP_FAULT_NOISE, "cart.*"), fault(SP_FAULT_SPIKES, "cart.x")};
    crowd[1].sigma = 0.2;
    crowd[1].schedule = a.schedule;
    crowd[2].probability = 0.3;
    crowd[2].magnitude = 1.0;
    sp_episode* ep;
    sp_faults* fs = run_pair("CartPole-v0", alone, 1, 31, MAXT, &ep);
    ENSURE(fs != NULL);
    static float first[MAXT + 1];
    int T = fault_trace.steps;
    for (int t = 0; t <= T; t++)
        first[t] = fault_trace.obs[t][2];
    finish(ep, fs);
    fs = run_pair("CartPole-v0", crowd, 3, 31, MAXT, &ep);
    ENSURE(fs != NULL && fault_trace.steps == T);
    int differ = 0;
    for (int t = 0; t <= T; t++) {
        ENSURE_MSG(same_float(fault_trace.obs[t][2], first[t]), "t %d", t);
        differ += !same_float(fault_trace.obs[t][0], clean_trace.obs[t][0]);
    }
    ENSURE(differ > 0);
    finish(ep, fs);
}

static sp_fault_def* add(sp_fault_def* list, int* n, sp_fault_kind kind, const char* target) {
    list[*n] = fault(kind, target);
    return &list[(*n)++];
}

/* One list with every kind that applies to `spec`, under a mix of schedules. */
static int every_kind(const sp_env_spec* spec, sp_fault_def* list) {
    int n = 0;
    bool cont = spec->action_kind == SP_ACTION_CONTINUOUS;
    sp_fault_def* f;
    f = add(list, &n, SP_FAULT_DELAY, "*");
    f->steps = 2;
    f = add(list, &n, SP_FAULT_OUTAGE, "*");
    f->mode = SP_OUTAGE_HOLD;
    f->schedule.type = SP_SCHEDULE_PERIODIC;
    f->schedule.period = 7;
    f->schedule.duty = 2;
    f = add(list, &n, SP_FAULT_NOISE, "*");
    f->sigma = 0.01;
    f = add(list, &n, SP_FAULT_STUCK, "*");
    f->schedule = window(9, 13);
    f = add(list, &n, SP_FAULT_BIAS, "*");
    f->offset = 0.01;
    f = add(list, &n, SP_FAULT_DRIFT, "*");
    f->rate = 0.001;
    f = add(list, &n, SP_FAULT_SPIKES, "*");
    f->probability = 0.05;
    f->magnitude = 1.0;
    f = add(list, &n, SP_FAULT_ACTION_DELAY, "*");
    f->steps = 1;
    f = add(list, &n, SP_FAULT_ACTION_DROP, "*");
    f->schedule.type = SP_SCHEDULE_PROBABILITY;
    f->schedule.probability = 0.2;
    f = add(list, &n, SP_FAULT_ACTION_REPEAT, "*");
    f->steps = 1;
    f->schedule = window(20, 30);
    if (cont) {
        f = add(list, &n, SP_FAULT_ACTION_NOISE, "*");
        f->sigma = 0.05;
        f = add(list, &n, SP_FAULT_MOTOR, "*");
        f->scale = 0.8;
    }
    f = add(list, &n, SP_FAULT_REWARD_DELAY, NULL);
    f->steps = 2;
    f = add(list, &n, SP_FAULT_GRAVITY, "y");
    f->drift = 0.001;
    f = add(list, &n, SP_FAULT_FRICTION, NULL);
    f->walk = 0.01;
    f = add(list, &n, SP_FAULT_MASS, NULL);
    f->walk = 0.05;
    f->update = SP_UPDATE_EPISODE;
    return n;
}

static void same_seed_same_faults_on_every_env(void) {
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_spec* spec = sp_env_at(e)->spec;
        sp_fault_def list[20];
        int n = every_kind(spec, list);
        sp_episode* a = make(spec->id);
        sp_episode* b = make(spec->id);
        sp_faults* fa = attach(a, list, n);
        sp_faults* fb = attach(b, list, n);
        ENSURE_MSG(fa && fb, "%s", spec->id);
        static trace first;
        ENSURE(run(a, fa, 2024, 300, &first) == 0);
        ENSURE(run(b, fb, 2024, 300, &fault_trace) == 0);
        ENSURE(first.steps == fault_trace.steps);
        for (int t = 0; t <= first.steps; t++) {
            ENSURE_MSG(first.hash[t] == fault_trace.hash[t], "%s t %d", spec->id, t);
            ENSURE(!memcmp(first.obs[t], fault_trace.obs[t],
                           sizeof(float) * (size_t)spec->sensor_count));
            ENSURE(first.reward[t] == fault_trace.reward[t]);
        }
        /* The same object reset with the same seed starts over exactly. */
        ENSURE(run(a, fa, 2024, 300, &fault_trace) == 0);
        for (int t = 0; t <= first.steps; t++)
            ENSURE(first.hash[t] == fault_trace.hash[t]);
        /* Another seed, other faults. */
        ENSURE(run(b, fb, 2025, 300, &fault_trace) == 0);
        ENSURE_MSG(fault_trace.hash[0] != first.hash[0], "%s", spec->id);
        finish(a, fa);
        finish(b, fb);
    }
}

static void an_empty_list_changes_nothing(void) {
    sp_episode* ep;
    sp_faults* fs = run_pair("CartPole-v0", NULL, 0, 9, MAXT, &ep);
    ENSURE(fs != NULL && fault_trace.steps == clean_trace.steps);
    for (int t = 0; t <= clean_trace.steps; t++)
        ENSURE(fault_trace.hash[t] == clean_trace.hash[t]);
    finish(ep, fs);
}

/* A layer after the faults that refuses every first attempt at a step. */
typedef struct refuser {
    int last_refused;
} refuser;

static int refuse_first(void* self, sp_episode* ep, sp_action* a, char* err, size_t n) {
    refuser* r = self;
    int t = sp_episode_step_count(ep) + 1;
    if (r->last_refused == t) return 0;
    r->last_refused = t;
    snprintf(err, n, "try again");
    return SP_E_BAD_ACTION;
}

static void refused_steps_leave_the_faults_untouched(void) {
    const sp_env_spec* spec = sp_env_find("CartPoleContinuous-v0")->spec;
    sp_fault_def list[20];
    int n = every_kind(spec, list);
    sp_episode* a = make(spec->id);
    sp_episode* b = make(spec->id);
    sp_faults* fa = attach(a, list, n);
    sp_faults* fb = attach(b, list, n);
    ENSURE(fa && fb);
    refuser rf = {0};
    sp_layer l = {.name = "refuser", .self = &rf, .on_action = refuse_first};
    ENSURE(sp_episode_add_layer(b, &l) == 0);
    uint64_t seed = 55;
    sp_episode_reset(a, &seed);
    sp_episode_reset(b, &seed);
    char err[128];
    for (int t = 1; t <= 60 && !sp_episode_done(a); t++) {
        sp_action act = policy(spec, t), junk = policy(spec, t + 17);
        sp_step_result ra, rb;
        ENSURE(sp_episode_step(a, &act, &ra, err, sizeof err) == 0);
        ENSURE(sp_episode_step(b, &junk, &rb, err, sizeof err) == SP_E_BAD_ACTION);
        ENSURE(sp_episode_step(b, &act, &rb, err, sizeof err) == 0);
        ENSURE_MSG(ra.hash == rb.hash, "t %d", t);
        ENSURE(ra.reward == rb.reward);
        ENSURE(!memcmp(sp_episode_obs(a), sp_episode_obs(b), sizeof(float) * 4));
    }
    /* A NaN is refused by the fault layer itself, before it can enter a delay buffer. */
    if (!sp_episode_done(a)) {
        uint64_t h = sp_episode_hash(a);
        sp_action bad = {0};
        bad.value[0] = NAN;
        sp_step_result r;
        ENSURE(sp_episode_step(a, &bad, &r, err, sizeof err) == SP_E_BAD_ACTION);
        ENSURE(sp_episode_hash(a) == h);
    }
    finish(a, fa);
    finish(b, fb);
}

static void a_new_list_takes_effect_at_the_next_reset(void) {
    sp_episode* ep = make("CartPole-v0");
    sp_fault_def d = fault(SP_FAULT_BIAS, "cart.x");
    d.offset = 1.0;
    sp_faults* fs = attach(ep, &d, 1);
    ENSURE(fs != NULL);
    ENSURE(sp_faults_attach(fs, ep) == SP_E_BAD_ARGUMENT); /* one episode per set */
    sp_episode* other = make("CartPoleContinuous-v0");
    char err[128];
    sp_faults* fs2 = sp_faults_create(&d, 1, sp_env_find("CartPole-v0")->spec, err, sizeof err);
    ENSURE(sp_faults_attach(fs2, other) == SP_E_BAD_ARGUMENT); /* made for another env */
    sp_faults_destroy(fs2);
    sp_episode_destroy(other);

    sp_episode* clean = make("CartPole-v0");
    uint64_t seed = 10;
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    ENSURE(sp_episode_obs(ep)[0] == (float)((double)sp_episode_obs(clean)[0] + 1.0));
    d.offset = -2.0;
    ENSURE(sp_faults_set(fs, &d, 1, err, sizeof err) == 0);
    sp_action a = {.index = 1};
    sp_step_result r;
    ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0); /* idle until the reset */
    ENSURE(sp_episode_step(clean, &a, &r, err, sizeof err) == 0);
    ENSURE(same_float(sp_episode_obs(ep)[0], sp_episode_obs(clean)[0]));
    sp_episode_reset(ep, &seed);
    sp_episode_reset(clean, &seed);
    ENSURE(sp_episode_obs(ep)[0] == (float)((double)sp_episode_obs(clean)[0] - 2.0));
    finish(ep, fs);
    sp_episode_destroy(clean);
}

static const sp_test_case cases[] = {
    {"tables_names_and_docs_agree", tables_names_and_docs_agree},
    {"validation_errors_name_the_fault_and_field", validation_errors_name_the_fault_and_field},
    {"the_normal_draw_is_standard_normal", the_normal_draw_is_standard_normal},
    {"the_state_hash_covers_fault_buffers", the_state_hash_covers_fault_buffers},
    {"sensor_delay_equals_the_clean_reading_k_steps_before",
     sensor_delay_equals_the_clean_reading_k_steps_before},
    {"outage_windows_start_and_end_where_scheduled", outage_windows_start_and_end_where_scheduled},
    {"noise_has_the_given_sigma", noise_has_the_given_sigma},
    {"stuck_holds_the_value_the_window_opened_with", stuck_holds_the_value_the_window_opened_with},
    {"bias_and_drift_are_exact", bias_and_drift_are_exact},
    {"spikes_occur_at_the_configured_rate", spikes_occur_at_the_configured_rate},
    {"action_delay_applies_the_action_of_k_steps_ago",
     action_delay_applies_the_action_of_k_steps_ago},
    {"action_drop_applies_the_previous_action_or_zero",
     action_drop_applies_the_previous_action_or_zero},
    {"action_repeat_holds_each_action_for_n_more_steps",
     action_repeat_holds_each_action_for_n_more_steps},
    {"action_noise_is_gaussian_then_clipped", action_noise_is_gaussian_then_clipped},
    {"reward_delay_pays_k_steps_late_and_everything_at_the_end",
     reward_delay_pays_k_steps_late_and_everything_at_the_end},
    {"a_halted_step_still_pays_owed_rewards", a_halted_step_still_pays_owed_rewards},
    {"gravity_follows_its_window_and_returns_exactly",
     gravity_follows_its_window_and_returns_exactly},
    {"mass_and_friction_scale_from_their_nominal_values",
     mass_and_friction_scale_from_their_nominal_values},
    {"random_walks_follow_the_fault_stream", random_walks_follow_the_fault_stream},
    {"motor_scales_continuous_actuators_then_clips", motor_scales_continuous_actuators_then_clips},
    {"events_mark_windows_opening_and_closing", events_mark_windows_opening_and_closing},
    {"schedules_periodic_and_probability", schedules_periodic_and_probability},
    {"faults_never_touch_the_env_randomness", faults_never_touch_the_env_randomness},
    {"a_fault_draws_the_same_whoever_else_is_there", a_fault_draws_the_same_whoever_else_is_there},
    {"same_seed_same_faults_on_every_env", same_seed_same_faults_on_every_env},
    {"an_empty_list_changes_nothing", an_empty_list_changes_nothing},
    {"refused_steps_leave_the_faults_untouched", refused_steps_leave_the_faults_untouched},
    {"a_new_list_takes_effect_at_the_next_reset", a_new_list_takes_effect_at_the_next_reset},
};
SP_TEST_MAIN(cases)
