/* The recorder: a layer that writes one .sprp file per episode.
 *
 * Per step it encodes one record straight into its own buffer (no allocation, no text) and
 * hands the buffer to the FILE only when it fills or the episode ends, so the cost per step
 * is a few dozen stores and a CRC over ~24 bytes. Files are opened at reset and finished
 * (footer, fclose) as soon as the episode ends. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format.h"
#include "header.h"
#include "sandpit/error.h"
#include "sandpit/replay.h"

/* Big enough that a CartPole episode (500 steps x 28 bytes) goes out in one write. */
#define BUFFER_SIZE (64 * 1024)

struct sp_recorder {
    char* directory;
    char* prefix;
    bool observations;
    uint8_t* config;
    size_t config_size;
    bool overwrite;
    uint64_t counter; /* the next file's number */
    uint64_t files;

    sp_episode* ep;
    const sp_env_spec* spec;
    size_t action_size;

    FILE* file; /* the episode's file, NULL between episodes or after a failure */
    char* path;
    size_t path_size;
    uint8_t* buf;
    size_t used;
    rp_buf meta; /* header and footer packing, reused */

    /* The running episode, for the footer. */
    int steps;
    double episode_return;
    bool terminated;
    bool truncated;
    const char* reason;
    uint64_t dropped_mark; /* the episode's drop counter when this file started */
    uint64_t dropped_seen;

    char error[256]; /* non-empty once recording failed */
};

sp_recorder_def sp_default_recorder_def(void) {
    sp_recorder_def def = {
        .directory = ".",
        .prefix = "episode",
        .observations = false,
        .config = NULL,
        .config_size = 0,
        .first_episode = 0,
        .overwrite = false,
    };
    return def;
}

static void set_error(char* err, size_t err_sz, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(char* err, size_t err_sz, const char* fmt, ...) {
    if (!err || !err_sz) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_sz, fmt, ap);
    va_end(ap);
}

/* mkdir -p: each missing component in turn. */
static int make_directory(const char* dir, char* err, size_t err_sz) {
    size_t n = strlen(dir);
    char* path = malloc(n + 1);
    if (!path) return SP_E_NO_MEMORY;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            set_error(err, err_sz, "cannot create directory %s: %s", path, strerror(errno));
            free(path);
            return SP_E_IO;
        }
        path[i] = c;
    }
    free(path);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        set_error(err, err_sz, "%s is not a directory", dir);
        return SP_E_IO;
    }
    return SP_OK;
}

static char* copy_string(const char* s) {
    size_t n = strlen(s) + 1;
    char* c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

sp_recorder* sp_recorder_create(const sp_recorder_def* def, char* err, size_t err_sz) {
    if (!def || !def->directory || !def->directory[0] || !def->prefix || !def->prefix[0] ||
        strchr(def->prefix, '/')) {
        set_error(err, err_sz, "a recorder needs a directory and a prefix without '/'");
        return NULL;
    }
    if (def->config && def->config_size && !rp_is_one_map(def->config, def->config_size)) {
        set_error(err, err_sz, "the recorder's config must be one msgpack map");
        return NULL;
    }
    if (def->config_size > RP_MAX_HEADER_PAYLOAD / 2) {
        set_error(err, err_sz, "the recorder's config is too large (512 KiB at most)");
        return NULL;
    }
    int rc = make_directory(def->directory, err, err_sz);
    if (rc == SP_E_NO_MEMORY) goto oom;
    if (rc != SP_OK) return NULL;

    sp_recorder* rec = calloc(1, sizeof *rec);
    if (!rec) goto oom;
    rec->directory = copy_string(def->directory);
    rec->prefix = copy_string(def->prefix);
    rec->observations = def->observations;
    rec->overwrite = def->overwrite;
    rec->counter = def->first_episode;
    /* directory / prefix - 20 digits .sprp NUL */
    rec->path_size = strlen(def->directory) + strlen(def->prefix) + 32;
    rec->path = calloc(1, rec->path_size);
    rec->buf = malloc(BUFFER_SIZE);
    if (def->config && def->config_size) {
        rec->config = malloc(def->config_size);
        if (rec->config) memcpy(rec->config, def->config, def->config_size);
        rec->config_size = def->config_size;
    }
    if (!rec->directory || !rec->prefix || !rec->path || !rec->buf ||
        (def->config_size && def->config && !rec->config)) {
        sp_recorder_destroy(rec);
        goto oom;
    }
    return rec;
oom:
    set_error(err, err_sz, "out of memory");
    return NULL;
}

int sp_recorder_set_config(sp_recorder* rec, const void* config, size_t size, char* err,
                           size_t err_sz) {
    if (config && size && !rp_is_one_map(config, size)) {
        set_error(err, err_sz, "the recorder's config must be one msgpack map");
        return SP_E_BAD_ARGUMENT;
    }
    if (size > RP_MAX_HEADER_PAYLOAD / 2) {
        set_error(err, err_sz, "the recorder's config is too large (512 KiB at most)");
        return SP_E_BAD_ARGUMENT;
    }
    if (!config) size = 0;
    if (size == rec->config_size && (size == 0 || !memcmp(rec->config, config, size)))
        return SP_OK;
    uint8_t* copy = NULL;
    if (size) {
        if (!(copy = malloc(size))) {
            set_error(err, err_sz, "out of memory");
            return SP_E_NO_MEMORY;
        }
        memcpy(copy, config, size);
    }
    free(rec->config);
    rec->config = copy;
    rec->config_size = size;
    return SP_OK;
}

/* Stops recording for good: the message says why. The half-written file stays on disk and
 * reads up to its last whole record, like a file cut by a crash. */
static void fail(sp_recorder* rec, const char* what) {
    if (!rec->error[0])
        snprintf(rec->error, sizeof rec->error, "%s %s: %s", what, rec->path, strerror(errno));
    if (rec->file) fclose(rec->file);
    rec->file = NULL;
    rec->used = 0;
}

static bool flush_buffer(sp_recorder* rec) {
    if (rec->used && fwrite(rec->buf, 1, rec->used, rec->file) != rec->used) {
        fail(rec, "cannot write");
        return false;
    }
    rec->used = 0;
    return true;
}

/* Appends a whole record: frame head, payload, CRC (seeded with `crc`, which covers the
 * preamble for the header). Used for the header and the footer, whose payloads may be large. */
static bool put_record(sp_recorder* rec, uint8_t kind, const uint8_t* payload, size_t n,
                       uint32_t crc) {
    uint8_t head[RP_FRAME_HEAD_MAX], tail[RP_CRC_SIZE];
    size_t h = rp_frame_head(head, kind, (uint32_t)n);
    crc = rp_crc32_update(crc, head, h);
    crc = rp_crc32_update(crc, payload, n);
    rp_put_u32(tail, rp_crc32_final(crc));
    const uint8_t* parts[3] = {head, payload, tail};
    size_t sizes[3] = {h, n, RP_CRC_SIZE};
    for (int i = 0; i < 3; i++) {
        if (rec->used + sizes[i] > BUFFER_SIZE && !flush_buffer(rec)) return false;
        if (sizes[i] > BUFFER_SIZE) {
            if (fwrite(parts[i], 1, sizes[i], rec->file) != sizes[i]) {
                fail(rec, "cannot write");
                return false;
            }
            continue;
        }
        memcpy(rec->buf + rec->used, parts[i], sizes[i]);
        rec->used += sizes[i];
    }
    return true;
}

/* Encodes a reset (`given` NULL) or step record into the buffer. */
static void put_step(sp_recorder* rec, const sp_action* given, const sp_action* applied,
                     const sp_step_result* r, uint64_t hash) {
    const sp_episode* ep = rec->ep;
    int events = sp_episode_event_count(ep);
    bool discrete = rec->spec->action_kind == SP_ACTION_DISCRETE;
    unsigned flags = 0;
    if (r && r->terminated) flags |= RP_FLAG_TERMINATED;
    if (r && r->truncated) flags |= RP_FLAG_TRUNCATED;
    if (events) flags |= RP_FLAG_EVENTS;
    if (rec->observations) flags |= RP_FLAG_OBS;
    if (given) {
        bool same = discrete ? given->index == applied->index
                             : memcmp(given->value, applied->value, rec->action_size) == 0;
        if (!same) flags |= RP_FLAG_APPLIED;
    }
    size_t n = rp_step_payload_size(given != NULL, flags, events, rec->action_size,
                                    rec->spec->sensor_count);
    if (rec->used + RP_MAX_STEP_RECORD > BUFFER_SIZE && !flush_buffer(rec)) return;

    uint8_t* start = rec->buf + rec->used;
    uint8_t* p = start + rp_frame_head(start, given ? RP_KIND_STEP : RP_KIND_RESET, (uint32_t)n);
    *p++ = (uint8_t)flags;
    rp_put_u64(p, hash);
    p += 8;
    if (given) {
        rp_put_f64(p, r->reward);
        p += 8;
        for (int pass = 0; pass < ((flags & RP_FLAG_APPLIED) ? 2 : 1); pass++) {
            const sp_action* a = pass ? applied : given;
            if (discrete) {
                rp_put_u32(p, (uint32_t)a->index);
                p += 4;
            } else {
                for (int i = 0; i < rec->spec->actuator_count; i++, p += 4)
                    rp_put_f32(p, a->value[i]);
            }
        }
    }
    if (events) {
        const sp_event* e = sp_episode_events(ep);
        *p++ = (uint8_t)events;
        for (int i = 0; i < events; i++, p += RP_EVENT_SIZE)
            rp_put_event(p, &e[i]);
    }
    if (rec->observations) {
        const float* obs = sp_episode_obs(ep);
        for (int i = 0; i < rec->spec->sensor_count; i++, p += 4)
            rp_put_f32(p, obs[i]);
    }
    uint32_t crc = rp_crc32_final(rp_crc32_update(RP_CRC32_INIT, start, (size_t)(p - start)));
    rp_put_u32(p, crc);
    p += RP_CRC_SIZE;
    rec->used += (size_t)(p - start);
}

/* Writes the footer and closes the file. */
static void finish(sp_recorder* rec, const char* ended) {
    if (!rec->file) return;
    sp_replay_footer f = {
        .steps = rec->steps,
        .episode_return = rec->episode_return,
        .terminated = rec->terminated,
        .truncated = rec->truncated,
        .events_dropped = rec->dropped_seen - rec->dropped_mark,
    };
    if (rec->reason) snprintf(f.reason, sizeof f.reason, "%s", rec->reason);
    snprintf(f.ended, sizeof f.ended, "%s", ended);
    if (!rp_pack_footer(&rec->meta, &f)) {
        errno = ENOMEM;
        fail(rec, "out of memory finishing");
        return;
    }
    if (!put_record(rec, RP_KIND_FOOTER, rec->meta.data, rec->meta.len, RP_CRC32_INIT)) return;
    if (!flush_buffer(rec)) return;
    FILE* file = rec->file;
    rec->file = NULL;
    if (fclose(file) != 0) fail(rec, "cannot close");
}

static void start_file(sp_recorder* rec, sp_episode* ep) {
    snprintf(rec->path, rec->path_size, "%s/%s-%06llu%s", rec->directory, rec->prefix,
             (unsigned long long)rec->counter, SP_REPLAY_EXTENSION);
    /* "x": never clobber a replay someone kept, unless told to. */
    rec->file = fopen(rec->path, rec->overwrite ? "wb" : "wbx");
    if (!rec->file) {
        fail(rec, errno == EEXIST ? "refusing to overwrite" : "cannot create");
        return;
    }
    /* Our own buffer does the batching; a second copy through stdio's would only cost. */
    setvbuf(rec->file, NULL, _IONBF, 0);
    rec->counter++;
    rec->files++;
    rec->used = 0;

    rp_header_in in = {
        .spec = rec->spec,
        .max_steps = sp_episode_max_steps(ep),
        .seed = sp_episode_seed(ep),
        .seed_stream = sp_episode_seed_stream(ep),
        .episode = rec->counter - 1,
        .observations = rec->observations,
        .config = rec->config,
        .config_size = rec->config_size,
    };
    if (!rp_pack_header(&rec->meta, &in)) {
        errno = ENOMEM;
        fail(rec, "out of memory writing");
        return;
    }
    uint8_t preamble[RP_PREAMBLE_SIZE];
    memcpy(preamble, RP_MAGIC, 4);
    rp_put_u16(preamble + 4, SP_REPLAY_FORMAT_MAJOR);
    rp_put_u16(preamble + 6, SP_REPLAY_FORMAT_MINOR);
    memcpy(rec->buf, preamble, RP_PREAMBLE_SIZE);
    rec->used = RP_PREAMBLE_SIZE;
    uint32_t crc = rp_crc32_update(RP_CRC32_INIT, preamble, RP_PREAMBLE_SIZE);
    put_record(rec, RP_KIND_HEADER, rec->meta.data, rec->meta.len, crc);
}

static void on_reset(void* self, sp_episode* ep) {
    sp_recorder* rec = self;
    finish(rec, "reset");
    if (rec->error[0]) return;
    rec->steps = 0;
    rec->episode_return = 0.0;
    rec->terminated = rec->truncated = false;
    rec->reason = NULL;
    rec->dropped_mark = rec->dropped_seen;
    rec->dropped_seen = sp_episode_events_dropped(ep);
    start_file(rec, ep);
    if (rec->file) put_step(rec, NULL, NULL, NULL, sp_episode_hash(ep));
}

static void on_step_end(void* self, sp_episode* ep, const sp_action* given,
                        const sp_action* applied, const sp_step_result* r) {
    sp_recorder* rec = self;
    if (!rec->file) return;
    put_step(rec, given, applied, r, r->hash);
    rec->steps = r->step;
    rec->episode_return = r->episode_return;
    rec->terminated = r->terminated;
    rec->truncated = r->truncated;
    rec->reason = r->reason;
    rec->dropped_seen = sp_episode_events_dropped(ep);
    if (r->terminated || r->truncated) finish(rec, "done");
}

int sp_recorder_attach(sp_recorder* rec, sp_episode* ep) {
    if (rec->ep) return SP_E_BAD_ARGUMENT;
    sp_layer layer = {
        .name = "recorder", .self = rec, .on_reset = on_reset, .on_step_end = on_step_end,
        /* No hash hook: recording must not change the state hash, or a replay verified
         * without a recorder would differ from the recorded run. */
    };
    int rc = sp_episode_add_layer(ep, &layer);
    if (rc != SP_OK) return rc;
    rec->ep = ep;
    rec->spec = sp_episode_spec(ep);
    rec->action_size =
        rp_action_size(rec->spec->action_kind == SP_ACTION_DISCRETE, rec->spec->actuator_count);
    rec->dropped_seen = sp_episode_events_dropped(ep);
    return SP_OK;
}

sp_recorder* sp_recorder_attach_new(sp_episode* ep, const sp_recorder_def* def, char* err,
                                    size_t err_sz) {
    sp_recorder* rec = sp_recorder_create(def, err, err_sz);
    if (!rec) return NULL;
    int rc = sp_recorder_attach(rec, ep);
    if (rc != SP_OK) {
        set_error(err, err_sz, "cannot attach the recorder: %s", sp_error_name(rc));
        sp_recorder_destroy(rec);
        return NULL;
    }
    return rec;
}

int sp_recorder_flush(sp_recorder* rec) {
    if (!rec->file) return rec->error[0] ? SP_E_IO : SP_OK;
    if (!flush_buffer(rec)) return SP_E_IO;
    if (fflush(rec->file) != 0) {
        fail(rec, "cannot write");
        return SP_E_IO;
    }
    return SP_OK;
}

const char* sp_recorder_error(const sp_recorder* rec) {
    return rec->error[0] ? rec->error : NULL;
}

const char* sp_recorder_path(const sp_recorder* rec) {
    return rec->path;
}

uint64_t sp_recorder_files(const sp_recorder* rec) {
    return rec->files;
}

void sp_recorder_destroy(sp_recorder* rec) {
    if (!rec) return;
    finish(rec, "closed");
    free(rec->directory);
    free(rec->prefix);
    free(rec->config);
    free(rec->path);
    free(rec->buf);
    rp_buf_free(&rec->meta);
    free(rec);
}
