/* The recorder: a layer that writes one .sprp file per episode.
 *
 * Per step it encodes one record straight into the episode's memory buffer (no allocation,
 * no text, no system call), so the cost per step is a few dozen stores and a CRC over ~24
 * bytes. When the episode ends, or its buffer fills a chunk (SP_RECORDER_CHUNK_BYTES), the
 * buffer goes to the process's one writer thread, which creates the file with the first chunk
 * (appends the later ones), writes and closes it; the recorder carries on with a recycled
 * buffer, so an episode of any length holds about one chunk. The stepping path makes no file
 * system call, except the first file of each recorder, which is created at its reset so that
 * a name clash or an unwritable directory shows at once. A failure stops the recorder, and
 * its hooks return SP_E_IO from then on (the episode keeps it for the server to tell).
 *
 * The writer (shared by all recorders; started with the first recorder, joined when the
 * last one is destroyed) takes buffers from a bounded queue in order; a producer that finds
 * the queue full waits for room (back pressure, order kept, memory bounded). One mutex
 * guards the queue, the free list (bounded too) and each recorder's `pending` and `werror`
 * (`wfailed` mirrors werror for a lock-free look on the step path); the writer
 * touches nothing else of a recorder and never the episode. A recorder is freed only when
 * its pending count is zero. The writer runs at nice 19: stepping first. */

#define _GNU_SOURCE /* syscall(SYS_gettid): the writer lowers its own priority */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "format.h"
#include "header.h"
#include "sandpit/scene.h"
#include "sandpit/error.h"
#include "sandpit/replay.h"

/* A new buffer's size: a short episode's whole file. Buffers grow by doubling. */
#define BUFFER_START (2 * 1024)
/* The writer's queue: at most this many finished files, holding at most this many bytes of
 * buffer capacity, wait; a burst of short episodes fits, a disk slower than the episodes
 * throttles the recorders. */
#define QUEUE_MAX_FILES 4096
#define QUEUE_MAX_BYTES ((size_t)16 * 1024 * 1024)
/* Recycled buffers kept for reuse, at most this many bytes; the rest are freed. */
#define FREE_MAX_BYTES QUEUE_MAX_BYTES

/* One episode's file in memory: the recorder's while the episode runs, then the writer's. */
typedef struct ep_buf {
    uint8_t* data;
    size_t cap;
    size_t used;
    size_t done; /* bytes already in the file (by sp_recorder_flush) */
    FILE* file;  /* already open (first file of a recorder, or flushed), or NULL */
    char* path;  /* the file's name, copied when handed to the writer */
    size_t path_cap;
    bool overwrite;
    bool append; /* a chunk after the file's first: appended to what the file has */
    bool last;   /* the file's last chunk: the writer closes the file after it */
    struct sp_recorder* owner;
    struct ep_buf* next;
} ep_buf;

struct sp_recorder {
    char* directory;
    char* prefix;
    bool observations;
    uint8_t* config;
    size_t config_size;
    bool overwrite;
    bool name_seed;
    uint64_t counter; /* the next file's number */
    uint64_t files;

    sp_episode* ep;
    const sp_env_spec* spec;
    size_t action_size;

    bool recording; /* an episode's file is being built in `cur` */
    bool created;   /* its file exists on disk: later chunks append to it */
    ep_buf* cur;    /* the running episode's bytes; NULL only after running out of memory */
    char* path;
    size_t path_size;
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

    /* Guarded by w_mu. */
    int pending;         /* chunks handed to the writer and not yet written */
    char werror[256];    /* the writer's first failure on this recorder's files */
    atomic_bool wfailed; /* werror is set: read on the step path without the lock */
    /* The writer's: the running file between its chunks (the stepping thread takes it only
     * when nothing is pending, in sp_recorder_flush). */
    FILE* wfile;
};

/* ---- The writer thread ------------------------------------------------------------------ */

static pthread_mutex_t w_life = PTHREAD_MUTEX_INITIALIZER; /* serializes start and stop */
static int w_users;                                        /* live recorders (under w_life) */
static pthread_t w_thread;

static pthread_mutex_t w_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t w_work = PTHREAD_COND_INITIALIZER; /* queue not empty, or stop */
static pthread_cond_t w_room = PTHREAD_COND_INITIALIZER; /* queue has room */
static pthread_cond_t w_done = PTHREAD_COND_INITIALIZER; /* a file was written */
static ep_buf *w_head, *w_tail;
static int w_files;
static size_t w_bytes;
static ep_buf* w_free; /* recycled buffers */
static size_t w_free_bytes;
static bool w_stop;

static void free_buf(ep_buf* b) {
    if (!b) return;
    if (b->file) fclose(b->file);
    free(b->data);
    free(b->path);
    free(b);
}

static ep_buf* new_buf(void) {
    ep_buf* b = calloc(1, sizeof *b);
    if (!b) return NULL;
    if (!(b->data = malloc(BUFFER_START))) {
        free(b);
        return NULL;
    }
    b->cap = BUFFER_START;
    return b;
}

/* Writes one chunk of a file: the file the chunk carries (opened by the stepping thread), or
 * the one the last chunk left open, or a new one. The last chunk, or a failure, closes it;
 * otherwise it stays open for the next chunk (one open and close per file, not per chunk).
 * Returns NULL or what failed (errno set). */
static const char* write_file(ep_buf* b, sp_recorder* rec) {
    const char* what = NULL;
    FILE* f = b->file;
    b->file = NULL;
    if (!f && b->append) {
        f = rec->wfile;
        rec->wfile = NULL;
    }
    if (!f) {
        /* "x": never clobber a replay someone kept, unless told to. */
        f = fopen(b->path, b->append ? "ab" : b->overwrite ? "wb" : "wbx");
        if (!f) return errno == EEXIST ? "refusing to overwrite" : "cannot create";
        setvbuf(f, NULL, _IONBF, 0); /* one write of the whole buffer */
    }
    size_t n = b->used - b->done;
    if (n && fwrite(b->data + b->done, 1, n, f) != n) what = "cannot write";
    int e = errno;
    if (!b->last && !what) {
        rec->wfile = f;
        return NULL;
    }
    if (fclose(f) != 0 && !what) {
        what = "cannot close";
        e = errno;
    }
    errno = e;
    return what;
}

static void* writer_main(void* arg) {
    (void)arg;
    /* Lowest priority (Linux: nice applies per thread): the stepping threads come first, the
     * writer uses the time they leave; a full queue throttles them if it falls behind. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    pthread_mutex_lock(&w_mu);
    for (;;) {
        while (!w_head && !w_stop)
            pthread_cond_wait(&w_work, &w_mu);
        if (!w_head) break; /* stopping, and nothing left */
        ep_buf* b = w_head;
        if (!(w_head = b->next)) w_tail = NULL;
        w_files--;
        w_bytes -= b->cap;
        pthread_cond_broadcast(&w_room);
        sp_recorder* rec = b->owner;
        bool skip = rec->werror[0] != '\0'; /* that recorder stopped: write nothing more */
        pthread_mutex_unlock(&w_mu);

        const char* what = NULL;
        char msg[256];
        if (skip) {
            if (b->file) fclose(b->file);
            b->file = NULL;
        } else if ((what = write_file(b, rec))) {
            snprintf(msg, sizeof msg, "%s %s: %s", what, b->path, strerror(errno));
        }

        pthread_mutex_lock(&w_mu);
        if (what && !rec->werror[0]) {
            memcpy(rec->werror, msg, sizeof msg);
            atomic_store(&rec->wfailed, true);
        }
        rec->pending--;
        b->owner = NULL;
        if (w_free_bytes + b->cap > FREE_MAX_BYTES) {
            free_buf(b);
        } else {
            b->next = w_free;
            w_free = b;
            w_free_bytes += b->cap;
        }
        pthread_cond_broadcast(&w_done);
    }
    pthread_mutex_unlock(&w_mu);
    return NULL;
}

/* A new recorder uses the writer: started with the first one. */
static bool writer_acquire(void) {
    bool ok = true;
    pthread_mutex_lock(&w_life);
    if (w_users == 0) {
        pthread_mutex_lock(&w_mu);
        w_stop = false;
        pthread_mutex_unlock(&w_mu);
        ok = pthread_create(&w_thread, NULL, writer_main, NULL) == 0;
    }
    if (ok) w_users++;
    pthread_mutex_unlock(&w_life);
    return ok;
}

/* A recorder is gone (its files written): the last one stops the writer and frees the
 * recycled buffers, so an idle process holds no thread and no memory. */
static void writer_release(void) {
    pthread_mutex_lock(&w_life);
    if (--w_users == 0) {
        pthread_mutex_lock(&w_mu);
        w_stop = true;
        pthread_cond_signal(&w_work);
        pthread_mutex_unlock(&w_mu);
        pthread_join(w_thread, NULL);
        pthread_mutex_lock(&w_mu);
        while (w_free) {
            ep_buf* b = w_free;
            w_free = b->next;
            free_buf(b);
        }
        w_free_bytes = 0;
        pthread_mutex_unlock(&w_mu);
    }
    pthread_mutex_unlock(&w_life);
}

/* Takes the writer's first failure on this recorder's files (w_mu held). */
static void take_writer_error(sp_recorder* rec) {
    if (rec->werror[0] && !rec->error[0]) memcpy(rec->error, rec->werror, sizeof rec->error);
}

/* Waits until every file this recorder handed over is written, then takes any failure. */
static void wait_written(sp_recorder* rec) {
    pthread_mutex_lock(&w_mu);
    while (rec->pending)
        pthread_cond_wait(&w_done, &w_mu);
    take_writer_error(rec);
    pthread_mutex_unlock(&w_mu);
}

sp_recorder_def sp_default_recorder_def(void) {
    sp_recorder_def def = {
        .directory = ".",
        .prefix = "episode",
        .observations = false,
        .config = NULL,
        .config_size = 0,
        .first_episode = 0,
        .overwrite = false,
        .name_seed = false,
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

static void free_recorder(sp_recorder* rec) {
    if (rec->wfile) fclose(rec->wfile); /* a file left open by a recorder that failed */
    free(rec->directory);
    free(rec->prefix);
    free(rec->config);
    free(rec->path);
    free_buf(rec->cur);
    rp_buf_free(&rec->meta);
    free(rec);
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
    rec->name_seed = def->name_seed;
    rec->counter = def->first_episode;
    /* directory / prefix - 20 digits .sprp NUL (attach adds room for an env id and seed) */
    rec->path_size = strlen(def->directory) + strlen(def->prefix) + 32;
    rec->path = calloc(1, rec->path_size);
    rec->cur = new_buf();
    if (def->config && def->config_size) {
        rec->config = malloc(def->config_size);
        if (rec->config) memcpy(rec->config, def->config, def->config_size);
        rec->config_size = def->config_size;
    }
    if (!rec->directory || !rec->prefix || !rec->path || !rec->cur ||
        (def->config_size && def->config && !rec->config)) {
        free_recorder(rec);
        goto oom;
    }
    if (!writer_acquire()) {
        free_recorder(rec);
        set_error(err, err_sz, "cannot start the replay writer thread");
        return NULL;
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
    if (size == rec->config_size && (size == 0 || !memcmp(rec->config, config, size))) return SP_OK;
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

/* Stops recording for good: the message says why. A file already begun (by a flush) stays on
 * disk and reads up to its last whole record, like a file cut by a crash. */
static void fail(sp_recorder* rec, const char* what) {
    if (!rec->error[0])
        snprintf(rec->error, sizeof rec->error, "%s %s: %s", what, rec->path, strerror(errno));
    rec->recording = false;
    if (rec->cur) {
        if (rec->cur->file) fclose(rec->cur->file);
        rec->cur->file = NULL;
        rec->cur->used = rec->cur->done = 0;
    }
}

static void submit(sp_recorder* rec, bool last);

/* Room for `n` more bytes in the episode's buffer. A running episode's buffer that would pass
 * a chunk is handed to the writer (appended to the file) and a recycled one taken, so a long
 * episode holds one chunk, not its whole file; otherwise it grows (doubling), up to a chunk
 * plus one record, or for a header larger than that. */
static bool reserve(sp_recorder* rec, size_t n) {
    ep_buf* b = rec->cur;
    if (b->used + n <= b->cap) return true;
    if (rec->recording && b->used > b->done && b->used + n > SP_RECORDER_CHUNK_BYTES) {
        submit(rec, false);
        if (!rec->cur) return false;
        b = rec->cur;
        b->used = b->done = 0;
        b->file = NULL;
        if (n <= b->cap) return true;
    }
    size_t cap = b->cap;
    while (cap < b->used + n)
        cap *= 2;
    uint8_t* data = realloc(b->data, cap);
    if (!data) {
        errno = ENOMEM;
        fail(rec, "out of memory recording");
        return false;
    }
    b->data = data;
    b->cap = cap;
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
    if (!reserve(rec, h + n + RP_CRC_SIZE)) return false;
    ep_buf* b = rec->cur;
    memcpy(b->data + b->used, head, h);
    memcpy(b->data + b->used + h, payload, n);
    memcpy(b->data + b->used + h + n, tail, RP_CRC_SIZE);
    b->used += h + n + RP_CRC_SIZE;
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
    if (!reserve(rec, RP_MAX_STEP_RECORD)) return;

    uint8_t* start = rec->cur->data + rec->cur->used;
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
    rec->cur->used += (size_t)(p - start);
}

/* Hands the episode's buffer (its file's `last` chunk, or one that filled) to the writer and
 * takes a recycled one. Waits when the writer's queue is full. */
static void submit(sp_recorder* rec, bool last) {
    ep_buf* b = rec->cur;
    size_t n = strlen(rec->path) + 1;
    if (n > b->path_cap) {
        char* path = realloc(b->path, n);
        if (!path) {
            errno = ENOMEM;
            fail(rec, "out of memory finishing");
            return;
        }
        b->path = path;
        b->path_cap = n;
    }
    memcpy(b->path, rec->path, n);
    b->overwrite = rec->overwrite;
    b->append = rec->created;
    b->last = last;
    rec->created = true;
    b->owner = rec;
    b->next = NULL;

    pthread_mutex_lock(&w_mu);
    while (w_files >= QUEUE_MAX_FILES || (w_files && w_bytes + b->cap > QUEUE_MAX_BYTES))
        pthread_cond_wait(&w_room, &w_mu);
    if (w_tail)
        w_tail->next = b;
    else
        w_head = b;
    w_tail = b;
    w_files++;
    w_bytes += b->cap;
    rec->pending++;
    pthread_cond_signal(&w_work);
    ep_buf* next = w_free;
    if (next) w_free = next->next;
    if (next) w_free_bytes -= next->cap;
    take_writer_error(rec);
    pthread_mutex_unlock(&w_mu);

    if (!next) next = new_buf(); /* only until the pool covers the queue's depth */
    if (next) next->next = NULL;
    rec->cur = next;
    if (!next && !rec->error[0]) {
        errno = ENOMEM;
        fail(rec, "out of memory finishing");
    }
}

/* Appends the footer and hands the file to the writer. */
static void finish(sp_recorder* rec, const char* ended) {
    if (!rec->recording) return;
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
    rec->recording = false;
    submit(rec, true);
}

/* Opens the current file now (first file of a recorder, or a flush). */
static bool open_now(sp_recorder* rec) {
    /* "x": never clobber a replay someone kept, unless told to. */
    FILE* file = fopen(rec->path, rec->created ? "ab" : rec->overwrite ? "wb" : "wbx");
    if (!file) {
        fail(rec, errno == EEXIST ? "refusing to overwrite" : "cannot create");
        return false;
    }
    rec->created = true;
    /* Our own buffer does the batching; a second copy through stdio's would only cost. */
    setvbuf(file, NULL, _IONBF, 0);
    rec->cur->file = file;
    return true;
}

static void start_file(sp_recorder* rec, sp_episode* ep) {
    if (rec->name_seed)
        snprintf(rec->path, rec->path_size, "%s/%s-%s-%06llu-s%llu%s", rec->directory,
                 rec->spec->id, rec->prefix, (unsigned long long)rec->counter,
                 (unsigned long long)sp_episode_seed(ep), SP_REPLAY_EXTENSION);
    else
        snprintf(rec->path, rec->path_size, "%s/%s-%06llu%s", rec->directory, rec->prefix,
                 (unsigned long long)rec->counter, SP_REPLAY_EXTENSION);
    ep_buf* b = rec->cur;
    b->used = b->done = 0;
    b->file = NULL;
    rec->created = false;
    /* The first file is created here, so a clash or an unwritable directory shows at the
     * first reset; the others are created by the writer. */
    if (rec->files == 0 && !open_now(rec)) return;
    rec->counter++;
    rec->files++;

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
    /* A scene env's replay carries its scene, so it verifies without the file it came from. */
    const sp_scene* scene = sp_scene_of_env(sp_episode_env(ep));
    if (scene) in.scene = sp_scene_canonical(scene, &in.scene_len);
    if (!rp_pack_header(&rec->meta, &in)) {
        errno = ENOMEM;
        fail(rec, "out of memory writing");
        return;
    }
    uint8_t preamble[RP_PREAMBLE_SIZE];
    memcpy(preamble, RP_MAGIC, 4);
    rp_put_u16(preamble + 4, SP_REPLAY_FORMAT_MAJOR);
    rp_put_u16(preamble + 6, SP_REPLAY_FORMAT_MINOR);
    if (!reserve(rec, RP_PREAMBLE_SIZE)) return;
    memcpy(b->data, preamble, RP_PREAMBLE_SIZE);
    b->used = RP_PREAMBLE_SIZE;
    uint32_t crc = rp_crc32_update(RP_CRC32_INIT, preamble, RP_PREAMBLE_SIZE);
    rec->recording = put_record(rec, RP_KIND_HEADER, rec->meta.data, rec->meta.len, crc);
}

/* A stopped recorder's status: what its hooks return, so the episode's owner hears of it. */
static int status(sp_recorder* rec) {
    if (atomic_load_explicit(&rec->wfailed, memory_order_relaxed) && !rec->error[0]) {
        pthread_mutex_lock(&w_mu);
        take_writer_error(rec);
        pthread_mutex_unlock(&w_mu);
        rec->recording = false;
    }
    return rec->error[0] || !rec->cur ? SP_E_IO : SP_OK;
}

static int on_reset(void* self, sp_episode* ep) {
    sp_recorder* rec = self;
    finish(rec, "reset");
    if (status(rec) != SP_OK) return SP_E_IO;
    rec->steps = 0;
    rec->episode_return = 0.0;
    rec->terminated = rec->truncated = false;
    rec->reason = NULL;
    rec->dropped_mark = rec->dropped_seen;
    rec->dropped_seen = sp_episode_events_dropped(ep);
    start_file(rec, ep);
    if (rec->recording) put_step(rec, NULL, NULL, NULL, sp_episode_hash(ep));
    return status(rec);
}

static int on_step_end(void* self, sp_episode* ep, const sp_action* given, const sp_action* applied,
                       const sp_step_result* r) {
    sp_recorder* rec = self;
    if (!rec->recording) return status(rec);
    put_step(rec, given, applied, r, r->hash);
    rec->steps = r->step;
    rec->episode_return = r->episode_return;
    rec->terminated = r->terminated;
    rec->truncated = r->truncated;
    rec->reason = r->reason;
    rec->dropped_seen = sp_episode_events_dropped(ep);
    if (r->terminated || r->truncated) finish(rec, "done");
    return status(rec);
}

int sp_recorder_attach(sp_recorder* rec, sp_episode* ep) {
    if (rec->ep) return SP_E_BAD_ARGUMENT;
    sp_layer layer = {
        .name = "recorder", .self = rec, .on_reset = on_reset, .on_step_end = on_step_end,
        /* No hash hook: recording must not change the state hash, or a replay verified
         * without a recorder would differ from the recorded run. */
    };
    int rc;
    if (rec->name_seed) { /* "<env id>-" before the prefix, "-s<20 digits>" after the counter */
        size_t size = rec->path_size + strlen(sp_episode_spec(ep)->id) + 24;
        char* path = realloc(rec->path, size);
        if (!path) return SP_E_NO_MEMORY;
        rec->path = path;
        rec->path_size = size;
    }
    rc = sp_episode_add_layer(ep, &layer);
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
    wait_written(rec);
    if (rec->error[0]) return SP_E_IO;
    if (!rec->recording) return SP_OK;
    ep_buf* b = rec->cur;
    if (!b->file && rec->wfile) { /* nothing is pending: the writer's open file is free */
        b->file = rec->wfile;
        rec->wfile = NULL;
    }
    if (!b->file && !open_now(rec)) return SP_E_IO;
    size_t n = b->used - b->done;
    if ((n && fwrite(b->data + b->done, 1, n, b->file) != n) || fflush(b->file) != 0) {
        fail(rec, "cannot write");
        return SP_E_IO;
    }
    b->done = b->used;
    return SP_OK;
}

int sp_recorder_finish(sp_recorder* rec) {
    finish(rec, "closed");
    wait_written(rec);
    return rec->error[0] || !rec->cur ? SP_E_IO : SP_OK;
}

const char* sp_recorder_error(const sp_recorder* rec) {
    /* The recorder is never const underneath: waiting takes the writer's failures. */
    wait_written((sp_recorder*)rec);
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
    wait_written(rec);
    free_recorder(rec);
    writer_release();
}
