/* Replay files: record then verify, and every documented verdict for damaged, cut, forged and
 * foreign files (docs/REPLAY_FORMAT.md). The CRCs here are computed bit by bit, independently
 * of the library's tables, so forging a file also cross-checks the library's checksums. */

#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "sandpit/json.h"
#include "sandpit/replay.h"

#define SEEDS 12
#define EPISODES_PER_SEED 3
#define MAX_FILES 256

/* ---- helpers ----------------------------------------------------------------------------- */

static uint32_t crc32_bitwise(const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static uint8_t crc8_bitwise(const uint8_t* p, size_t n) {
    uint8_t c = 0;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (uint8_t)((c & 0x80) ? (c << 1) ^ 0x07 : c << 1);
    }
    return c;
}

static void put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

typedef struct bytes {
    uint8_t* data;
    size_t size;
} bytes;

static bytes slurp(const char* path) {
    bytes b = {NULL, 0};
    FILE* f = fopen(path, "rb");
    if (!f) return b;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.data = malloc((size_t)n + 1);
    b.size = fread(b.data, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void spit(const char* path, const uint8_t* data, size_t n) {
    FILE* f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, n, f);
    fclose(f);
}

static char tmpdir[64];

static const char* make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sp_test_replay_XXXXXX");
    return mkdtemp(tmpdir);
}

/* Removes the flat directory made by make_tmpdir and every file in it. */
static void remove_tmpdir(char paths[][256], int n, const char* extra) {
    for (int i = 0; i < n; i++)
        unlink(paths[i]);
    if (extra) unlink(extra);
    rmdir(tmpdir);
}

static void random_action(const sp_env_spec* spec, sp_rng* rng, sp_action* a) {
    memset(a, 0, sizeof *a);
    if (spec->action_kind == SP_ACTION_DISCRETE) {
        a->index = (int32_t)sp_rng_below(rng, (uint32_t)spec->action_count);
    } else {
        /* A little beyond the bounds, so clipping is exercised too. */
        for (int i = 0; i < spec->actuator_count; i++) {
            double lo = spec->actuators[i].low, hi = spec->actuators[i].high, w = hi - lo;
            a->value[i] = (float)sp_rng_range(rng, lo - 0.1 * w, hi + 0.1 * w);
        }
    }
}

/* What the recording process saw of one episode, to check files against. */
typedef struct seen {
    int steps;
    uint64_t reset_hash;
    uint64_t final_hash;
    double episode_return;
} seen;

/* Records `episodes` episodes of `env` from `seed` (the first reset seeded, the rest not) into
 * `dir`; fills paths and what was seen. Returns the number of files, or -1. */
static int record(const sp_env_class* env, uint64_t seed, int episodes, bool observations,
                  const char* dir, const sp_layer* extra, char paths[][256], seen* out) {
    char err[256];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    if (!ep) return -1;
    if (extra) sp_episode_add_layer(ep, extra);
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s-s%" PRIu64, env->spec->id, seed);
    sp_recorder_def rd = sp_default_recorder_def();
    rd.directory = dir;
    rd.prefix = prefix;
    rd.observations = observations;
    sp_recorder* rec = sp_recorder_attach_new(ep, &rd, err, sizeof err);
    if (!rec) {
        fprintf(stderr, "recorder: %s\n", err);
        sp_episode_destroy(ep);
        return -1;
    }
    sp_rng policy;
    sp_rng_seed(&policy, seed, "test_policy");
    int n = 0;
    for (int e = 0; e < episodes; e++) {
        if (sp_episode_reset(ep, e == 0 ? &seed : NULL) != 0) break;
        seen s = {0};
        s.reset_hash = sp_episode_hash(ep);
        sp_step_result r = {0};
        while (!sp_episode_done(ep)) {
            sp_action a;
            random_action(env->spec, &policy, &a);
            if (sp_episode_step(ep, &a, &r, err, sizeof err) != 0) break;
        }
        s.steps = r.step;
        s.final_hash = r.hash;
        s.episode_return = r.episode_return;
        snprintf(paths[n], 256, "%s", sp_recorder_path(rec));
        out[n++] = s;
    }
    if (sp_recorder_error(rec)) {
        fprintf(stderr, "recorder: %s\n", sp_recorder_error(rec));
        n = -1;
    }
    sp_recorder_destroy(rec);
    sp_episode_destroy(ep);
    return n;
}

/* Records one CartPole-v0 episode with seed 5 into the tmpdir; returns its path. */
static const char* record_cartpole(char paths[][256], seen* s) {
    if (!make_tmpdir()) return NULL;
    int n = record(sp_env_find("CartPole-v0"), 5, 1, false, tmpdir, NULL, paths, s);
    return n == 1 ? paths[0] : NULL;
}

/* Offsets and indices of every record of a whole file, via the reader. */
typedef struct layout {
    int64_t offset[4096];
    int count; /* records after the header */
    int64_t header_offset;
    int64_t size;
} layout;

static bool read_layout(const char* path, layout* l) {
    sp_replay_problem p;
    sp_replay* r = sp_replay_open(path, &p);
    if (!r) return false;
    l->header_offset = 8;
    l->count = 0;
    sp_replay_record rec;
    while (sp_replay_next(r, &rec) == SP_REPLAY_OK && l->count < 4096) {
        if (rec.index != l->count + 1) break;
        l->offset[l->count++] = rec.offset;
    }
    bool ok = sp_replay_get_problem(r)->status == SP_REPLAY_END;
    l->size = sp_replay_position(r);
    sp_replay_close(r);
    return ok;
}

/* The record number that holds byte `pos`: 0 the header, -1 the magic and major version. */
static int64_t record_at(const layout* l, int64_t pos) {
    if (pos < 6) return -1;
    int64_t k = 0;
    for (int i = 0; i < l->count; i++)
        if (pos >= l->offset[i]) k = i + 1;
    return k;
}

/* ---- cases -------------------------------------------------------------------------------- */

static void checksums_match_the_documented_algorithms(void) {
    /* The standard check values of CRC-32/ISO-HDLC and CRC-8/SMBUS. */
    const uint8_t* nine = (const uint8_t*)"123456789";
    ENSURE(crc32_bitwise(nine, 9) == 0xCBF43926u);
    ENSURE(crc8_bitwise(nine, 9) == 0xF4);
}

/* Every env, many seeds, unseeded resets in between, with and without observations: every
 * file verifies, and its steps and hashes are what the recording process saw. */
static void record_then_verify_every_env(void) {
    ENSURE(make_tmpdir());
    static char paths[MAX_FILES][256];
    int total = 0;
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_class* env = sp_env_at(e);
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
            seen s[EPISODES_PER_SEED];
            char(*p)[256] = &paths[total];
            int n = record(env, seed, EPISODES_PER_SEED, seed % 2 == 1, tmpdir, NULL, p, s);
            ENSURE_MSG(n == EPISODES_PER_SEED, "%s seed %" PRIu64, env->spec->id, seed);
            for (int i = 0; i < n; i++) {
                sp_verify_report rep;
                sp_verdict v = sp_replay_verify(p[i], &rep);
                ENSURE_MSG(v == SP_VERIFY_OK && !rep.truncated, "%s: %s", p[i], rep.message);
                ENSURE_MSG(rep.steps == s[i].steps, "%s: %d steps verified, %d taken", p[i],
                           rep.steps, s[i].steps);
                ENSURE(!strcmp(rep.env_id, env->spec->id));
                /* The file's own hashes are the ones the recording process saw. */
                sp_replay_problem pr;
                sp_replay* r = sp_replay_open(p[i], &pr);
                ENSURE(r);
                sp_replay_record rec;
                uint64_t last = 0, reset = 0;
                while (sp_replay_next(r, &rec) == SP_REPLAY_OK) {
                    if (rec.kind == SP_REPLAY_RESET) reset = rec.hash;
                    if (rec.kind == SP_REPLAY_STEP) last = rec.hash;
                    if (rec.kind == SP_REPLAY_FOOTER) {
                        ENSURE(rec.footer.steps == s[i].steps);
                        ENSURE(rec.footer.episode_return == s[i].episode_return);
                        ENSURE(!strcmp(rec.footer.ended, "done"));
                    }
                }
                ENSURE(sp_replay_get_problem(r)->status == SP_REPLAY_END);
                ENSURE(reset == s[i].reset_hash && last == s[i].final_hash);
                sp_replay_close(r);
            }
            total += n;
            ENSURE(total + EPISODES_PER_SEED <= MAX_FILES);
        }
    }
    remove_tmpdir(paths, total, NULL);
}

/* One verifier over files of several envs, in an order that makes it rebuild and reuse its
 * episode, and after a divergence: every verdict is what a fresh verify gives. */
static void one_verifier_for_many_files(void) {
    ENSURE(make_tmpdir());
    static char paths[64][256];
    seen s[8];
    int n = 0;
    for (int e = 0; e < sp_env_count() && n + 3 <= 48; e++) {
        int k = record(sp_env_at(e), 40 + (uint64_t)e, 3, e % 2 == 0, tmpdir, NULL, &paths[n], s);
        ENSURE(k == 3);
        n += k;
    }
    /* A forged copy of the first file (an edited reward), to diverge in the middle of the run. */
    bytes b = slurp(paths[0]);
    static layout l;
    ENSURE(read_layout(paths[0], &l));
    uint8_t* rec = b.data + l.offset[2];
    size_t len = rec[1];        /* one LEB128 byte for these records */
    rec[3 + 1 + 8 + 7] ^= 0x40; /* the reward's top byte: the first difference is the reward */
    put_u32(rec + 3 + len, crc32_bitwise(rec, 3 + len));
    snprintf(paths[n], 256, "%s/forged.sprp", tmpdir);
    spit(paths[n], b.data, b.size);
    free(b.data);
    int forged = n++;
    sp_verifier* v = sp_verifier_create(NULL);
    ENSURE(v);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            int f = pass ? n - 1 - i : i;
            sp_verify_report a, b2;
            sp_verdict got = sp_verifier_run(v, paths[f], &a);
            sp_verdict want = sp_replay_verify(paths[f], &b2);
            ENSURE_MSG(got == want && a.steps == b2.steps && !strcmp(a.message, b2.message),
                       "%s: %s vs %s", paths[f], a.message, b2.message);
            ENSURE_MSG(got == (f == forged ? SP_VERIFY_DIVERGED : SP_VERIFY_OK), "%s: %s", paths[f],
                       a.message);
        }
    sp_verify_report rep;
    ENSURE(sp_replay_verify(paths[forged], &rep) == SP_VERIFY_DIVERGED && rep.step == 2);
    ENSURE_MSG(!strcmp(rep.what, "reward") && strstr(rep.message, "reward differs"), "%s",
               rep.message);
    sp_verifier_destroy(v);
    remove_tmpdir(paths, n, NULL);
}

/* Files are named so they sort: <prefix>-NNNNNN.sprp with the recorder's counter. */
static void file_names_sort_in_episode_order(void) {
    static char paths[8][256];
    seen s[8];
    ENSURE(make_tmpdir());
    int n = record(sp_env_find("CartPole-v0"), 3, 3, false, tmpdir, NULL, paths, s);
    ENSURE(n == 3);
    for (int i = 0; i < n; i++) {
        char want[256];
        snprintf(want, sizeof want, "%s/CartPole-v0-s3-%06d.sprp", tmpdir, i);
        ENSURE_MSG(!strcmp(paths[i], want), "%s", paths[i]);
        if (i) ENSURE(strcmp(paths[i - 1], paths[i]) < 0);
    }
    remove_tmpdir(paths, n, NULL);
}

/* The budget: at most 32 bytes per CartPole-v0 step without observations (measured 28). */
static void cartpole_steps_are_compact(void) {
    static char paths[2][256];
    seen s[2];
    for (int obs = 0; obs < 2; obs++) {
        ENSURE(make_tmpdir());
        ENSURE(record(sp_env_find("CartPole-v0"), 11, 1, obs, tmpdir, NULL, paths, s) == 1);
        static layout l;
        ENSURE(read_layout(paths[0], &l));
        ENSURE(l.count >= 4); /* reset, steps, footer */
        for (int i = 1; i + 2 < l.count; i++) {
            int64_t size = l.offset[i + 1] - l.offset[i];
            ENSURE_MSG(size == (obs ? 44 : 28), "step record of %" PRId64 " bytes", size);
        }
        printf("  CartPole-v0 %s observations: %d bytes per step, %" PRId64 " bytes for %d steps\n",
               obs ? "with" : "without", obs ? 44 : 28, l.size, s[0].steps);
        remove_tmpdir(paths, 1, NULL);
    }
}

/* The reader gives back exactly what the episode did: actions, rewards, flags, hashes,
 * observations. */
static void reader_returns_what_was_recorded(void) {
    const sp_env_class* env = sp_env_find("CartPoleContinuous-v0");
    ENSURE(env && make_tmpdir());
    char err[128], prefix[] = "reader";
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    sp_recorder_def rd = sp_default_recorder_def();
    rd.directory = tmpdir;
    rd.prefix = prefix;
    rd.observations = true;
    sp_recorder* rec = sp_recorder_attach_new(ep, &rd, err, sizeof err);
    ENSURE(ep && rec);
    enum { N = 40 };
    static sp_action given[N];
    static sp_step_result results[N];
    static float obs[N + 1][SP_MAX_SENSORS];
    int sensors = env->spec->sensor_count;
    uint64_t seed = 21;
    sp_rng policy;
    sp_rng_seed(&policy, 1, "p");
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    memcpy(obs[0], sp_episode_obs(ep), sizeof(float) * (size_t)sensors);
    int steps = 0;
    while (!sp_episode_done(ep) && steps < N) {
        random_action(env->spec, &policy, &given[steps]);
        ENSURE(sp_episode_step(ep, &given[steps], &results[steps], err, sizeof err) == 0);
        memcpy(obs[steps + 1], sp_episode_obs(ep), sizeof(float) * (size_t)sensors);
        steps++;
    }
    char path[256];
    snprintf(path, sizeof path, "%s", sp_recorder_path(rec));
    const char* ended = sp_episode_done(ep) ? "done" : "closed";
    sp_recorder_destroy(rec); /* mid-episode when N steps did not end it: footer "closed" */
    sp_episode_destroy(ep);

    sp_replay_problem pr;
    sp_replay* r = sp_replay_open(path, &pr);
    ENSURE_MSG(r, "%s", pr.message);
    const sp_replay_header* h = sp_replay_get_header(r);
    ENSURE(h->seed == 21 && h->observations && h->sensor_count == sensors);
    ENSURE(h->action_kind == SP_ACTION_CONTINUOUS &&
           h->actuator_count == env->spec->actuator_count);
    ENSURE(h->config_size == 1 && h->config[0] == 0x80); /* an empty map */
    sp_replay_record x;
    int k = 0;
    bool clipped = false;
    while (sp_replay_next(r, &x) == SP_REPLAY_OK) {
        if (x.kind == SP_REPLAY_FOOTER) {
            ENSURE(x.footer.steps == steps);
            ENSURE(!strcmp(x.footer.ended, ended));
            continue;
        }
        ENSURE(x.step == k && x.obs);
        ENSURE(!memcmp(x.obs, obs[k], sizeof(float) * (size_t)sensors));
        if (x.kind == SP_REPLAY_STEP) {
            const sp_step_result* res = &results[k - 1];
            ENSURE(x.hash == res->hash && x.reward == res->reward);
            ENSURE(x.terminated == res->terminated && x.truncated == res->truncated);
            ENSURE(!memcmp(x.action.value, given[k - 1].value,
                           sizeof(float) * (size_t)h->actuator_count));
            for (int c = 0; c < h->actuator_count; c++) {
                const sp_channel* ch = &env->spec->actuators[c];
                ENSURE(x.applied.value[c] >= ch->low && x.applied.value[c] <= ch->high);
                clipped |= x.applied.value[c] != x.action.value[c];
            }
        }
        k++;
    }
    ENSURE(k == steps + 1);
    ENSURE(clipped); /* the policy overshoots the bounds: the applied action was recorded too */
    ENSURE(sp_replay_get_problem(r)->status == SP_REPLAY_END);
    sp_replay_close(r);
    sp_verify_report rep;
    ENSURE_MSG(sp_replay_verify(path, &rep) == SP_VERIFY_OK, "%s", rep.message);
    ENSURE(rep.steps == steps);
    unlink(path);
    rmdir(tmpdir);
}

/* Any one damaged byte, anywhere, is detected and the verdict names the record holding it. */
static void flipped_bytes_are_detected_and_named(void) {
    static char paths[1][256];
    seen s[1];
    const char* path = record_cartpole(paths, s);
    ENSURE(path);
    static layout l;
    ENSURE(read_layout(path, &l));
    bytes orig = slurp(path);
    ENSURE(orig.data && (int64_t)orig.size == l.size);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/flipped.sprp", tmpdir);
    const uint8_t masks[] = {0xFF, 0x01, 0x80, 0x10};
    int checked = 0;
    for (size_t pos = 0; pos < orig.size; pos++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            orig.data[pos] ^= masks[m];
            spit(bad, orig.data, orig.size);
            orig.data[pos] ^= masks[m];
            sp_verify_report rep;
            sp_verdict v = sp_replay_verify(bad, &rep);
            int64_t want = record_at(&l, (int64_t)pos);
            ENSURE_MSG(v == SP_VERIFY_CORRUPT || v == SP_VERIFY_UNREADABLE,
                       "byte %zu ^ 0x%02x: verdict %s: %s", pos, masks[m], sp_verdict_name(v),
                       rep.message);
            ENSURE_MSG(rep.record == want,
                       "byte %zu ^ 0x%02x: record %" PRId64 " named, %" PRId64 " holds it: %s", pos,
                       masks[m], rep.record, want, rep.message);
            if (want >= 0)
                ENSURE_MSG(rep.offset == (want == 0 ? 8 : l.offset[want - 1]),
                           "byte %zu: offset %" PRId64 ": %s", pos, rep.offset, rep.message);
            checked++;
        }
    }
    /* Spot checks of the messages a user sees. */
    sp_verify_report rep;
    size_t step3 = (size_t)l.offset[3] + 10; /* inside step 3's hash */
    orig.data[step3] ^= 0xFF;
    spit(bad, orig.data, orig.size);
    orig.data[step3] ^= 0xFF;
    ENSURE(sp_replay_verify(bad, &rep) == SP_VERIFY_CORRUPT);
    ENSURE_MSG(strstr(rep.message, "record 4 (step 3)") && strstr(rep.message, "checksum"), "%s",
               rep.message);
    ENSURE(rep.steps == 2);
    orig.data[0] ^= 0xFF;
    spit(bad, orig.data, orig.size);
    orig.data[0] ^= 0xFF;
    ENSURE(sp_replay_verify(bad, &rep) == SP_VERIFY_UNREADABLE);
    ENSURE_MSG(strstr(rep.message, "not a sandpit replay"), "%s", rep.message);
    printf("  %d damaged files, every one named\n", checked);
    free(orig.data);
    remove_tmpdir(paths, 1, bad);
}

/* A file cut anywhere verifies up to its last whole record; cut inside the header it is
 * unreadable. */
static void cut_files_verify_up_to_the_last_whole_record(void) {
    static char paths[1][256];
    seen s[1];
    const char* path = record_cartpole(paths, s);
    ENSURE(path);
    static layout l;
    ENSURE(read_layout(path, &l));
    bytes orig = slurp(path);
    char cut[300];
    snprintf(cut, sizeof cut, "%s/cut.sprp", tmpdir);
    for (size_t n = 0; n <= orig.size; n++) {
        spit(cut, orig.data, n);
        sp_verify_report rep;
        sp_verdict v = sp_replay_verify(cut, &rep);
        if ((int64_t)n < l.offset[0]) {
            ENSURE_MSG(v == SP_VERIFY_UNREADABLE, "cut at %zu: %s", n, rep.message);
            continue;
        }
        /* Whole step records before the cut: records 2..count-1 are steps. */
        int whole = 0;
        for (int i = 1; i < l.count - 1; i++)
            if (l.offset[i + 1] <= (int64_t)n) whole = i;
        ENSURE_MSG(v == SP_VERIFY_OK, "cut at %zu: %s", n, rep.message);
        if (n == orig.size) {
            ENSURE(!rep.truncated && rep.steps == s[0].steps);
        } else {
            ENSURE_MSG(rep.truncated && rep.steps == whole, "cut at %zu: %d steps, want %d: %s", n,
                       rep.steps, whole, rep.message);
            ENSURE(strstr(rep.message, "ok, truncated file: verified"));
        }
    }
    free(orig.data);
    remove_tmpdir(paths, 1, cut);
}

/* Rewrites the header's CRC after an edit of the header payload. */
static void reseal_header(bytes* b) {
    /* Frame head at 8: kind, LEB128 length, check. */
    size_t p = 9;
    uint32_t len = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t c = b->data[p++];
        len |= (uint32_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) break;
    }
    size_t end = p + 1 + len;
    put_u32(b->data + end, crc32_bitwise(b->data, end));
}

static size_t find(const bytes* b, const char* s) {
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= b->size; i++)
        if (!memcmp(b->data + i, s, n)) return i;
    return 0;
}

/* A well-formed file of another env version, or of an env this build lacks: env mismatch. */
static void other_env_versions_are_refused(void) {
    static char paths[1][256];
    seen s[1];
    const char* path = record_cartpole(paths, s);
    ENSURE(path);
    bytes b = slurp(path);
    char forged[300];
    snprintf(forged, sizeof forged, "%s/forged.sprp", tmpdir);
    /* "env_version" then a positive fixint. */
    size_t at = find(&b, "env_version");
    ENSURE(at);
    uint8_t* version = b.data + at + strlen("env_version");
    int was = *version;
    ENSURE(was < 0x7F);
    *version = (uint8_t)(was + 1);
    reseal_header(&b);
    spit(forged, b.data, b.size);
    sp_verify_report rep;
    ENSURE(sp_replay_verify(forged, &rep) == SP_VERIFY_ENV_MISMATCH);
    ENSURE_MSG(strstr(rep.message, "version") && rep.env_version == was + 1, "%s", rep.message);
    *version = (uint8_t)was;

    size_t id = find(&b, "CartPole-v0");
    b.data[id + 10] = '9';
    reseal_header(&b);
    spit(forged, b.data, b.size);
    ENSURE(sp_replay_verify(forged, &rep) == SP_VERIFY_ENV_MISMATCH);
    ENSURE_MSG(strstr(rep.message, "unknown env 'CartPole-v9'"), "%s", rep.message);
    free(b.data);
    remove_tmpdir(paths, 1, forged);
}

/* Rewrites a step record's action and its CRC: well-formed, but not what happened. */
static void forged_actions_diverge_at_that_step(void) {
    static char paths[1][256];
    seen s[1];
    const char* path = record_cartpole(paths, s);
    ENSURE(path);
    static layout l;
    ENSURE(read_layout(path, &l));
    bytes b = slurp(path);
    char forged[300];
    snprintf(forged, sizeof forged, "%s/forged.sprp", tmpdir);
    for (int step = 1; step + 1 < l.count - 1 && step <= 6; step++) {
        bytes f = {malloc(b.size), b.size};
        memcpy(f.data, b.data, b.size);
        uint8_t* rec = f.data + l.offset[step]; /* record step + 1 = step `step` */
        ENSURE(rec[0] == 'S' && rec[1] == 21);
        /* kind, length, check | flags, hash 8, reward 8, action 4 | crc 4 */
        rec[3 + 1 + 8 + 8] ^= 1; /* the other push */
        put_u32(rec + 24, crc32_bitwise(rec, 24));
        spit(forged, f.data, f.size);
        free(f.data);
        sp_verify_report rep;
        ENSURE_MSG(sp_replay_verify(forged, &rep) == SP_VERIFY_DIVERGED, "%s", rep.message);
        ENSURE_MSG(rep.step == step && !strcmp(rep.what, "hash") && rep.steps == step - 1,
                   "step %d: %s", step, rep.message);
        ENSURE(rep.recorded_hash != rep.replayed_hash);
        char want[64];
        snprintf(want, sizeof want, "diverged at step %d: hash recorded %016" PRIx64, step,
                 rep.recorded_hash);
        ENSURE_MSG(strstr(rep.message, want), "%s", rep.message);
    }
    free(b.data);
    remove_tmpdir(paths, 1, forged);
}

/* A layer standing in for a future wall-clock guardrail: it "measures" (here: a flag the test
 * sets) and ends the episode with a machine event. On verify it must not measure again but
 * re-apply the recorded event, through sp_verify_def.machine_events. */
typedef struct clock_guard {
    int trip_at;       /* recording: the step at which the clock runs out; -1 never */
    bool replaying;    /* verify: only re-apply what the record says */
    bool trip_pending; /* verify: the record says this step tripped */
    int steps;
} clock_guard;

static int clock_reset(void* self, sp_episode* ep) {
    ((clock_guard*)self)->steps = 0;
    return SP_OK;
}

static void clock_result(void* self, sp_episode* ep, const sp_action* a, sp_step_result* r) {
    clock_guard* g = self;
    g->steps++;
    bool trip = g->replaying ? g->trip_pending : g->steps == g->trip_at;
    if (!trip) return;
    sp_event e = {
        .source = SP_EVENT_MACHINE, .code = 7, .channel = -1, .value = 1.5f, .limit = 1.0f};
    sp_episode_emit(ep, &e);
    r->terminated = true;
    r->reason = "wall_clock";
}

static void clock_hash(const void* self, sp_hash* h) {
    sp_hash_u64(h, (uint64_t)((const clock_guard*)self)->steps);
}

static sp_layer clock_layer(clock_guard* g) {
    sp_layer l = {.name = "clock",
                  .self = g,
                  .on_reset = clock_reset,
                  .on_result = clock_result,
                  .hash = clock_hash};
    return l;
}

static int add_clock(void* user, sp_episode* ep, const sp_replay_header* h, char* err,
                     size_t err_sz) {
    sp_layer l = clock_layer(user);
    return sp_episode_add_layer(ep, &l);
}

static void feed_clock(void* user, sp_episode* ep, int step, const sp_event* events, int n) {
    clock_guard* g = user;
    g->trip_pending = false;
    for (int i = 0; i < n; i++)
        g->trip_pending |= events[i].code == 7;
}

static void machine_events_are_reapplied_not_measured(void) {
    ENSURE(make_tmpdir());
    static char paths[1][256];
    seen s[1];
    clock_guard rec_guard = {.trip_at = 4};
    sp_layer l = clock_layer(&rec_guard);
    /* Pendulum never terminates on its own: only the clock ends it early. */
    ENSURE(record(sp_env_find("Pendulum-v0"), 8, 1, false, tmpdir, &l, paths, s) == 1);
    ENSURE(s[0].steps == 4);

    sp_replay_problem pr;
    sp_replay* r = sp_replay_open(paths[0], &pr);
    ENSURE(r);
    sp_replay_record x;
    int machine = 0;
    while (sp_replay_next(r, &x) == SP_REPLAY_OK)
        for (int i = 0; i < x.event_count; i++)
            machine += x.events[i].source == SP_EVENT_MACHINE && x.step == 4;
    sp_replay_close(r);
    ENSURE(machine == 1);

    clock_guard verify_guard = {.trip_at = -1, .replaying = true};
    sp_verify_def def = sp_default_verify_def();
    def.user = &verify_guard;
    def.add_layers = add_clock;
    def.machine_events = feed_clock;
    sp_verify_report rep;
    ENSURE_MSG(sp_replay_verify_with(paths[0], &def, &rep) == SP_VERIFY_OK, "%s", rep.message);
    ENSURE(rep.steps == 4);

    /* Measuring again instead (a clock that never trips on this machine) diverges. */
    clock_guard remeasure = {.trip_at = -1};
    def.user = &remeasure;
    def.machine_events = NULL;
    ENSURE(sp_replay_verify_with(paths[0], &def, &rep) == SP_VERIFY_DIVERGED);
    ENSURE_MSG(rep.step == 4, "%s", rep.message);
    remove_tmpdir(paths, 1, NULL);
}

/* The recorder never clobbers a kept file, keeps the episode running when it cannot record,
 * finishes files on destroy and on early reset, and stores the config verbatim. */
static void recorder_edges(void) {
    ENSURE(make_tmpdir());
    const sp_env_class* env = sp_env_find("CartPole-v0");
    char err[256];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    /* {"faults": []} */
    static const uint8_t config[] = {0x81, 0xa6, 'f', 'a', 'u', 'l', 't', 's', 0x90};
    sp_recorder_def rd = sp_default_recorder_def();
    rd.directory = tmpdir;
    rd.prefix = "edge";
    rd.config = config;
    rd.config_size = sizeof config;
    sp_recorder* rec = sp_recorder_attach_new(ep, &rd, err, sizeof err);
    ENSURE_MSG(rec, "%s", err);
    ENSURE(sp_recorder_attach(rec, ep) == SP_E_BAD_ARGUMENT);
    uint64_t seed = 1;
    sp_action a = {0};
    sp_step_result r;
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    for (int i = 0; i < 3; i++)
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
    ENSURE(sp_episode_reset(ep, NULL) == 0); /* abandons episode 0: footer "reset" */
    ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
    ENSURE(sp_recorder_flush(rec) == 0);
    char first[300], second[300];
    snprintf(first, sizeof first, "%s/edge-000000.sprp", tmpdir);
    snprintf(second, sizeof second, "%s", sp_recorder_path(rec));
    ENSURE(sp_recorder_files(rec) == 2);
    /* Flushed but unfinished: it verifies as a cut file. */
    sp_verify_report rep;
    ENSURE(sp_replay_verify(second, &rep) == SP_VERIFY_OK && rep.truncated && rep.steps == 1);
    sp_recorder_destroy(rec); /* mid-episode: footer "closed" */
    sp_episode_destroy(ep);

    const char* want_ended[2] = {"reset", "closed"};
    const char* files[2] = {first, second};
    for (int i = 0; i < 2; i++) {
        ENSURE_MSG(sp_replay_verify(files[i], &rep) == SP_VERIFY_OK && !rep.truncated, "%s",
                   rep.message);
        sp_replay_problem pr;
        sp_replay* rd2 = sp_replay_open(files[i], &pr);
        ENSURE(rd2);
        const sp_replay_header* h = sp_replay_get_header(rd2);
        ENSURE(h->config_size == sizeof config && !memcmp(h->config, config, sizeof config));
        sp_replay_record x;
        while (sp_replay_next(rd2, &x) == SP_REPLAY_OK)
            if (x.kind == SP_REPLAY_FOOTER) ENSURE(!strcmp(x.footer.ended, want_ended[i]));
        ENSURE(sp_replay_get_problem(rd2)->status == SP_REPLAY_END);
        sp_replay_close(rd2);
    }

    /* A second recorder with the same prefix refuses to overwrite; the episode runs on. */
    ep = sp_episode_create(&def, err, sizeof err);
    rec = sp_recorder_attach_new(ep, &rd, err, sizeof err);
    ENSURE(rec);
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    ENSURE(sp_recorder_error(rec) && strstr(sp_recorder_error(rec), "refusing to overwrite"));
    ENSURE(sp_episode_layer_status(ep) == SP_E_IO); /* the hook said so: the owner can tell */
    ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
    sp_recorder_destroy(rec);
    ENSURE(sp_replay_verify(first, &rep) == SP_VERIFY_OK && rep.steps == 3);

    /* A config that is not one map is refused up front. */
    static const uint8_t not_map[] = {0x91, 0x01};
    rd.config = not_map;
    rd.config_size = sizeof not_map;
    ENSURE(!sp_recorder_create(&rd, err, sizeof err) && strstr(err, "msgpack map"));
    rd.config = NULL;
    rd.config_size = 0;
    rd.prefix = "a/b";
    ENSURE(!sp_recorder_create(&rd, err, sizeof err));
    sp_episode_destroy(ep);

    /* The directory is made when missing, parents included. */
    char deep[300];
    snprintf(deep, sizeof deep, "%s/x/y", tmpdir);
    rd.directory = deep;
    rd.prefix = "deep";
    rec = sp_recorder_create(&rd, err, sizeof err);
    ENSURE_MSG(rec, "%s", err);
    sp_recorder_destroy(rec);
    struct stat st;
    ENSURE(stat(deep, &st) == 0 && S_ISDIR(st.st_mode));
    rmdir(deep);
    snprintf(deep, sizeof deep, "%s/x", tmpdir);
    rmdir(deep);
    unlink(first);
    unlink(second);
    rmdir(tmpdir);
}

/* Not a replay at all, or no file: unreadable, never a crash. */
static void garbage_is_unreadable(void) {
    sp_verify_report rep;
    ENSURE(sp_replay_verify("/nonexistent/x.sprp", &rep) == SP_VERIFY_UNREADABLE);
    ENSURE(make_tmpdir());
    char path[300];
    snprintf(path, sizeof path, "%s/garbage.sprp", tmpdir);
    sp_rng rng;
    sp_rng_seed(&rng, 4, "garbage");
    uint8_t junk[512];
    for (int t = 0; t < 200; t++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)sp_rng_next(&rng);
        size_t n = sp_rng_below(&rng, sizeof junk);
        if (t % 2) memcpy(junk, "SPRP\x01\x00\x00\x00H", n < 9 ? n : 9);
        spit(path, junk, n);
        sp_verdict v = sp_replay_verify(path, &rep);
        ENSURE_MSG(v == SP_VERIFY_UNREADABLE || v == SP_VERIFY_CORRUPT, "%s", rep.message);
    }
    unlink(path);
    rmdir(tmpdir);
}

/* An episode of many chunks (SP_RECORDER_CHUNK_BYTES) is appended to its file piece by piece,
 * around a flush too, and the file is the same bytes as one written whole would be: the same
 * episode recorded with and without a flush mid-way gives identical files, which verify. */
static void long_episodes_are_written_in_chunks(void) {
    ENSURE(make_tmpdir());
    const sp_env_class* env = sp_env_find("Pendulum-v0");
    char err[256], paths[2][256];
    for (int run = 0; run < 2; run++) {
        sp_episode_def def = sp_default_episode_def(env);
        def.max_steps = 3000; /* ~115 KiB with observations: several chunks */
        sp_episode* ep = sp_episode_create(&def, err, sizeof err);
        ENSURE_MSG(ep, "%s", err);
        sp_recorder_def rd = sp_default_recorder_def();
        rd.directory = tmpdir;
        rd.prefix = run ? "flushed" : "whole";
        rd.observations = true;
        sp_recorder* rec = sp_recorder_attach_new(ep, &rd, err, sizeof err);
        ENSURE_MSG(rec, "%s", err);
        uint64_t seed = 4;
        sp_action a = {0};
        sp_step_result r;
        ENSURE(sp_episode_reset(ep, &seed) == 0);
        for (int t = 0; !sp_episode_done(ep); t++) {
            a.value[0] = (float)((t % 7) - 3) * 0.5f;
            ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
            if (run && t == 1500) ENSURE(sp_recorder_flush(rec) == 0);
        }
        ENSURE(sp_episode_layer_status(ep) == SP_OK);
        snprintf(paths[run], sizeof paths[run], "%s", sp_recorder_path(rec));
        sp_recorder_destroy(rec);
        sp_episode_destroy(ep);
    }
    bytes w = slurp(paths[0]), f = slurp(paths[1]);
    ENSURE(w.size > 3 * SP_RECORDER_CHUNK_BYTES && w.size == f.size);
    ENSURE(!memcmp(w.data, f.data, w.size));
    free(w.data);
    free(f.data);
    sp_verify_report rep;
    ENSURE_MSG(sp_replay_verify(paths[0], &rep) == SP_VERIFY_OK, "%s", rep.message);
    ENSURE(rep.steps == 3000 && !rep.truncated);
    remove_tmpdir(paths, 2, NULL);
}

/* The one JSON writer: escapes, keeps well-formed UTF-8, and writes U+FFFD for each byte of
 * an ill-formed sequence (overlong, surrogate, cut, above U+10FFFF, stray continuation). */
static void json_strings_are_escaped_and_valid_utf8(void) {
    static const struct {
        const char* in;
        const char* out;
    } cases[] = {
        {"a\"b\\c\n", "\"a\\\"b\\\\c\\u000a\""},
        {"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},            /* overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""}, /* a surrogate */
        {"x\xe2\x82", "\"x\\ufffd\\ufffd\""},          /* cut short */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"\x80z\xff", "\"\\ufffdz\\ufffd\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char* buf = NULL;
        size_t len = 0;
        FILE* f = open_memstream(&buf, &len);
        ENSURE(f);
        sp_json_string(f, cases[i].in);
        fclose(f);
        ENSURE_MSG(strcmp(buf, cases[i].out) == 0, "case %zu: %s", i, buf);
        free(buf);
    }
}

static const sp_test_case cases[] = {
    {"checksums_match_the_documented_algorithms", checksums_match_the_documented_algorithms},
    {"record_then_verify_every_env", record_then_verify_every_env},
    {"one_verifier_for_many_files", one_verifier_for_many_files},
    {"file_names_sort_in_episode_order", file_names_sort_in_episode_order},
    {"cartpole_steps_are_compact", cartpole_steps_are_compact},
    {"reader_returns_what_was_recorded", reader_returns_what_was_recorded},
    {"flipped_bytes_are_detected_and_named", flipped_bytes_are_detected_and_named},
    {"cut_files_verify_up_to_the_last_whole_record", cut_files_verify_up_to_the_last_whole_record},
    {"other_env_versions_are_refused", other_env_versions_are_refused},
    {"forged_actions_diverge_at_that_step", forged_actions_diverge_at_that_step},
    {"machine_events_are_reapplied_not_measured", machine_events_are_reapplied_not_measured},
    {"recorder_edges", recorder_edges},
    {"long_episodes_are_written_in_chunks", long_episodes_are_written_in_chunks},
    {"garbage_is_unreadable", garbage_is_unreadable},
    {"json_strings_are_escaped_and_valid_utf8", json_strings_are_escaped_and_valid_utf8},
};

SP_TEST_MAIN(cases)
