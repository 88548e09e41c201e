#ifndef SANDPIT_REPLAY_H
#define SANDPIT_REPLAY_H

/* Replay files: record every episode, read it back, prove it reproduces bit for bit.
 *
 * One .sprp file per episode (docs/REPLAY_FORMAT.md is the format's contract):
 *
 *   sp_recorder  a layer on an episode that writes one file per episode it sees
 *   sp_replay    a streaming reader: header, then one record at a time
 *   sp_replay_verify  re-simulates a file from its seed and actions and compares hashes
 *
 * The recorder allocates nothing, formats no text and makes no system call per step (a
 * background thread writes finished files and full chunks of long episodes); everything else
 * here runs off the stepping path. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sandpit/episode.h"

#define SP_REPLAY_FORMAT_MAJOR 1
#define SP_REPLAY_FORMAT_MINOR 1
#define SP_REPLAY_EXTENSION ".sprp"

/* ---- Recording -------------------------------------------------------------------------- */

typedef struct sp_recorder sp_recorder;

typedef struct sp_recorder_def {
    const char* directory; /* created, parents included, when missing */
    const char* prefix;    /* files are <directory>/<prefix>-<counter, 6+ digits>.sprp */
    bool observations;     /* also record the observation after the reset and every step */
    const void* config;    /* the episode's config: one msgpack map, stored verbatim in every
                              header (guardrails, faults); NULL for an empty map */
    size_t config_size;
    uint64_t first_episode; /* the counter's first value */
    bool overwrite;         /* replace an existing file instead of failing */
    bool name_seed; /* names are <directory>/<env id>-<prefix>-<counter>-s<episode seed>.sprp
                       (still sorting in episode order), for a recorder that sees many seeds */
} sp_recorder_def;

/* What a recorder holds while an episode runs, whatever its length: its buffer is handed to
 * the background writer (appended to the episode's file) each time it fills
 * SP_RECORDER_CHUNK_BYTES, so memory stays bounded while the file grows. A header larger than
 * a chunk (a large config) is held whole once per episode. A server counts
 * SP_RECORDER_HOLD_BYTES per recording env against its memory ceiling. */
#define SP_RECORDER_CHUNK_BYTES ((size_t)32 << 10)
#define SP_RECORDER_HOLD_BYTES (2 * SP_RECORDER_CHUNK_BYTES)

/* Directory ".", prefix "episode", no observations, empty config, counter from 0, never
 * overwrite. */
sp_recorder_def sp_default_recorder_def(void);

/* Creates a recorder (no file yet: the first one opens at the next reset). Strings and the
 * config are copied; the def is not kept. Returns NULL and writes a message into `err` when
 * the directory cannot be made, the config is not one msgpack map, or memory runs out. The
 * caller owns the result: sp_recorder_destroy. */
sp_recorder* sp_recorder_create(const sp_recorder_def* def, char* err, size_t err_sz);

/* Adds the recorder to `ep` as a layer. Attach it last, after guardrails and faults, so it
 * sees the final result and every event. A recorder serves one episode object at a time.
 * Returns 0, SP_E_LIMIT when the episode has no room for a layer, or SP_E_BAD_ARGUMENT when
 * the recorder is already attached. */
int sp_recorder_attach(sp_recorder* rec, sp_episode* ep);

/* Create and attach in one call: what a server does per env ("s<session>-e<env>" prefix).
 * NULL with a message on failure (nothing to free then). */
sp_recorder* sp_recorder_attach_new(sp_episode* ep, const sp_recorder_def* def, char* err,
                                    size_t err_sz);

/* Replaces the config stored in the headers of the files started from now on (a reset with
 * other guardrails or faults). Copied. Returns 0, SP_E_BAD_ARGUMENT (not one map, too large)
 * or SP_E_NO_MEMORY; the old config stays on error. */
int sp_recorder_set_config(sp_recorder* rec, const void* config, size_t size, char* err,
                           size_t err_sz);

/* Waits until the files this recorder finished are written by the background writer, then
 * writes the running episode's records so far to its file (created now if need be; fflush,
 * no fsync). A process that dies after this leaves a file that verifies up to here. Returns
 * 0 or SP_E_IO. */
int sp_recorder_flush(sp_recorder* rec);

/* Finishes the running episode's file (its footer says "closed") and waits until every file
 * of this recorder is written: SP_OK, or SP_E_IO when recording stopped (sp_recorder_error
 * says why). Recording resumes at the next reset. */
int sp_recorder_finish(sp_recorder* rec);

/* Why recording stopped, or NULL while it works. Waits until the files this recorder finished
 * are written, so it reports the writer thread's failures too (call it per episode, not per
 * step). A recorder that failed (a file could not be created or written) records nothing
 * more; the episode itself is never disturbed. */
const char* sp_recorder_error(const sp_recorder* rec);

/* Path of the current episode's file, or of the last one finished; "" before the first
 * reset. The file may not be on disk yet: see sp_recorder_flush. */
const char* sp_recorder_path(const sp_recorder* rec);

/* Files started so far. */
uint64_t sp_recorder_files(const sp_recorder* rec);

/* Finishes the current file (a footer with ended = "closed" if the episode is still running),
 * waits until all of this recorder's files are written, and frees the recorder. Stepping the
 * episode afterwards is a use after free: destroy the recorder after the episode's last step, or
 * destroy the episode first. NULL is allowed. */
void sp_recorder_destroy(sp_recorder* rec);

/* ---- Reading ---------------------------------------------------------------------------- */

/* The header record, decoded. */
typedef struct sp_replay_header {
    int format_major;
    int format_minor;
    char sandpit_version[32];
    char env_id[64];
    int env_version;
    double dt;
    int iterations;
    int frame_skip;
    int max_steps;
    uint64_t seed;
    sp_rng seed_stream; /* the episode-seed stream right after the reset */
    uint64_t episode;   /* the recorder's counter: the number in the file name */
    int sensor_count;
    sp_action_kind action_kind;
    int action_count;   /* discrete: number of actions */
    int actuator_count; /* continuous: float32 channels */
    bool observations;
    const uint8_t* config; /* one msgpack map, config_size bytes; owned by the reader */
    size_t config_size;
    /* A scene env's scene in canonical JSON (docs/SCENES.md), scene_len bytes, not
     * NUL-terminated; owned by the reader. NULL for a C env. */
    const char* scene;
    size_t scene_len;
    /* What recorded it (format 1.1; "" in older files): SP_BUILD_ARCH, SP_BUILD_COMPILER and
     * SP_MATH_ID of the recording program. */
    char arch[32];
    char compiler[128]; /* writers cut it to 127 bytes */
    char math[32];
} sp_replay_header;

/* How the episode's file was finished. */
typedef struct sp_replay_footer {
    int steps;
    double episode_return;
    bool terminated;
    bool truncated;
    char reason[64]; /* "" when it did not end */
    char ended[16];  /* "done", "reset" (reset before it ended) or "closed" */
    uint64_t events_dropped;
} sp_replay_footer;

typedef enum sp_replay_kind {
    SP_REPLAY_RESET = 'R',
    SP_REPLAY_STEP = 'S',
    SP_REPLAY_FOOTER = 'F',
} sp_replay_kind;

/* One record after the header. Fields a kind does not have are zero, except `events` past
 * `event_count` and `footer` in other kinds, which are left as they were. */
typedef struct sp_replay_record {
    sp_replay_kind kind;
    int64_t index;  /* record number: 0 the header, 1 the reset, k + 1 step k */
    int64_t offset; /* byte offset of the record in the file */
    int step;       /* 0 for the reset, k for step k */
    uint64_t hash;  /* state hash after the reset or step */
    double reward;
    bool terminated;
    bool truncated;
    sp_action action;  /* as the layers received it: what a replay feeds back */
    sp_action applied; /* as the env received it (equal to action unless a layer rewrote it) */
    int event_count;
    sp_event events[SP_MAX_STEP_EVENTS];
    const float* obs; /* float32[sensor_count], or NULL when not recorded; valid until the next
                         sp_replay_next */
    sp_replay_footer footer; /* SP_REPLAY_FOOTER */
} sp_replay_record;

/* Reader outcomes, listed once; `name` is what tools print and tests match. */
#define SP_REPLAY_STATUS_LIST(X)                                                                   \
    X(SP_REPLAY_OK, 0, "ok")                 /* a record was read */                               \
    X(SP_REPLAY_END, 1, "end")               /* the footer was read: the file is complete */       \
    X(SP_REPLAY_TRUNCATED, 2, "truncated")   /* cut short: every record before it is whole */      \
    X(SP_REPLAY_CORRUPT, 3, "corrupt")       /* a checksum, framing or order failure */            \
    X(SP_REPLAY_UNREADABLE, 4, "unreadable") /* not a replay, bad header, I/O error */

typedef enum sp_replay_status {
#define SP_REPLAY_STATUS_ENUM(sym, num, name) sym = num,
    SP_REPLAY_STATUS_LIST(SP_REPLAY_STATUS_ENUM)
#undef SP_REPLAY_STATUS_ENUM
} sp_replay_status;

const char* sp_replay_status_name(int status);

/* Where and why reading stopped. */
typedef struct sp_replay_problem {
    sp_replay_status status;
    int64_t record; /* the record it concerns: 0 header, 1 reset, k + 1 step k; -1: preamble */
    int64_t offset; /* that record's byte offset */
    int step;       /* the step that record holds, -1 for the header, footer or preamble */
    char message[192];
} sp_replay_problem;

typedef struct sp_replay sp_replay;

/* Opens a file and reads its preamble and header. Returns NULL and fills `problem` (status
 * unreadable, or corrupt for a damaged header) when it cannot. The caller owns the result:
 * sp_replay_close. */
sp_replay* sp_replay_open(const char* path, sp_replay_problem* problem);

const sp_replay_header* sp_replay_get_header(const sp_replay* r);

/* Reads the next record into `rec`. Returns SP_REPLAY_OK, or, when no record was read,
 * SP_REPLAY_END after the footer, SP_REPLAY_TRUNCATED, SP_REPLAY_CORRUPT or
 * SP_REPLAY_UNREADABLE (I/O error); sp_replay_get_problem then says where. Once it returned
 * anything but OK it keeps returning that. */
sp_replay_status sp_replay_next(sp_replay* r, sp_replay_record* rec);

/* Why the last sp_replay_next stopped (status SP_REPLAY_OK while none did). */
const sp_replay_problem* sp_replay_get_problem(const sp_replay* r);

/* Bytes read so far: the end of the last whole record. */
int64_t sp_replay_position(const sp_replay* r);

void sp_replay_close(sp_replay* r);

/* ---- Verifying -------------------------------------------------------------------------- */

#define SP_VERDICT_LIST(X)                                                                         \
    X(SP_VERIFY_OK, 0, "ok")                                                                       \
    X(SP_VERIFY_DIVERGED, 1, "diverged")                                                           \
    X(SP_VERIFY_CORRUPT, 2, "corrupt")                                                             \
    X(SP_VERIFY_UNREADABLE, 3, "unreadable")                                                       \
    X(SP_VERIFY_ENV_MISMATCH, 4, "env_mismatch")

typedef enum sp_verdict {
#define SP_VERDICT_ENUM(sym, num, name) sym = num,
    SP_VERDICT_LIST(SP_VERDICT_ENUM)
#undef SP_VERDICT_ENUM
} sp_verdict;

const char* sp_verdict_name(int verdict);

typedef struct sp_verify_report {
    sp_verdict verdict;
    int steps;      /* steps verified: every step of a whole file when ok */
    bool truncated; /* ok: the file was cut short and `steps` whole steps verified */
    /* diverged: the first step whose result differs (0: the reset), what differs ("hash",
     * "reward", "flags", "events", "observation", "action": a static string) and both hashes */
    int step;
    const char* what;
    uint64_t recorded_hash;
    uint64_t replayed_hash;
    int64_t record; /* corrupt, unreadable: the record concerned (see sp_replay_problem) */
    int64_t offset;
    char env_id[64]; /* from the header, when it could be read */
    int env_version;
    uint64_t seed;
    char message[512]; /* one line for humans, without the file name */
} sp_verify_report;

/* Hooks that let layers take part in a replay. Guardrails and faults are layers configured by
 * the recorded config; machine-dependent events (source SP_EVENT_MACHINE: wall-clock or CPU
 * limits) must be re-applied from the record, never measured again. */
typedef struct sp_verify_def {
    void* user;
    /* Called once, after the episode is created and before its reset: adds the layers that
     * `header->config` describes, in the order the recording had them. NULL: none. Returns 0,
     * or an sp_error with a message (verdict env_mismatch). */
    int (*add_layers)(void* user, sp_episode* ep, const sp_replay_header* header, char* err,
                      size_t err_sz);
    /* Called before the reset (step 0) and before every step with that record's machine
     * events in recorded order (count may be 0), for the layers to re-apply. NULL: none. */
    void (*machine_events)(void* user, sp_episode* ep, int step, const sp_event* events, int count);
} sp_verify_def;

/* No layers, no machine events. */
sp_verify_def sp_default_verify_def(void);

/* Verifies the file at `path`; fills `report` and returns its verdict. */
sp_verdict sp_replay_verify(const char* path, sp_verify_report* report);
sp_verdict sp_replay_verify_with(const char* path, const sp_verify_def* def,
                                 sp_verify_report* report);

/* A verifier for many files (`sandpit replay verify` over a directory): it keeps one episode while
 * consecutive files share env, max steps and config, instead of building and freeing a world
 * per file. `def` is copied (NULL: the default). NULL when out of memory. The caller owns the
 * result: sp_verifier_destroy. */
typedef struct sp_verifier sp_verifier;
sp_verifier* sp_verifier_create(const sp_verify_def* def);

/* Verifies one file, like sp_replay_verify_with. */
sp_verdict sp_verifier_run(sp_verifier* v, const char* path, sp_verify_report* report);

void sp_verifier_destroy(sp_verifier* v);

/* ---- Tools ------------------------------------------------------------------------------ */

/* Writes one msgpack value (a header's config) as JSON: non-string map keys become strings,
 * bin becomes a hex string, ext and non-finite floats null. Returns false, having written
 * nothing, when `data` is not exactly one valid value. */
bool sp_replay_msgpack_to_json(FILE* out, const uint8_t* data, size_t n);

#endif
