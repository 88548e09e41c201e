#ifndef SANDPIT_SERVER_SESSIONS_H
#define SANDPIT_SERVER_SESSIONS_H

/* The session table: a fixed number of slots, each holding one session of N episodes of one
 * env plus every buffer a reset or step writes, allocated once at make.
 *
 * A session id is (generation << 32) | slot. A slot's generation starts at 1 and grows at
 * every close, so the id of a closed or reaped session is refused, never reused; a slot whose
 * generation would pass 2^31 - 1 is retired, which keeps every id at most 2^63 - 1. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pixels.h"
#include "sandpit/episode.h"

/* A CURVE public key in Z85 (40 characters) and its NUL. */
#define SP_SESSION_OWNER_MAX 41

/* What a step does with an env whose episode ended (Gymnasium 1.x's AutoresetMode). */
typedef enum sp_autoreset {
    SP_AUTORESET_DISABLED = 0, /* stepping it again is refused (needs_reset) */
    SP_AUTORESET_NEXT_STEP,    /* the next step resets it instead of stepping it */
    SP_AUTORESET_SAME_STEP,    /* the ending step resets it at once; its last obs goes in final */
} sp_autoreset;

typedef struct sp_session_def {
    const sp_env_class* env;
    int num_envs;
    uint64_t seed; /* env i starts its seed stream at seed + i; the caller checks overflow */
    int max_steps; /* 0: the env's own */
    sp_autoreset autoreset;
    bool hashes;        /* replies carry per-env state hashes */
    bool resume;        /* replies carry each new episode's seed stream (a client's rebuild) */
    size_t layer_bytes; /* per env: what its layers hold (fault buffers, recorder buffer) */
    /* Bytes the session holds beyond sp_session_cost (an inline scene: its model, and what
     * each episode of it holds beyond a C env's), counted against the ceiling too. */
    size_t extra_bytes;
    sp_pixels_def pixels; /* pixel observations; type SP_OBSERVE_VECTOR: none */
} sp_session_def;

typedef struct sp_session {
    uint64_t id;
    sp_session_def def;
    int obs_size;     /* floats per env's observation */
    double last_used; /* monotonic seconds of the last request that named it */
    bool started;     /* a reset of every env has succeeded since make */
    sp_episode** eps; /* [N] */

    /* Outputs of reset and step, [N] unless said: the step path writes here, never mallocs. */
    sp_action* actions; /* the decoded, checked actions */
    float* obs;         /* [N * obs_size] */
    double* reward;
    uint8_t* terminated;
    uint8_t* truncated;
    uint64_t* hash;
    uint64_t* seeds;     /* the episode seeds of a reset (in: the requested ones) */
    uint8_t* seed_given; /* 1: the reset request gave env i a seed */
    uint64_t* streams;   /* [N * 4] episode-seed streams after a reset (in: a restore's) */
    uint8_t* active;     /* a step's mask: 0 leaves env i as it is */
    uint8_t* reset_now;  /* 1: autoreset instead of stepped at this step */
    uint8_t* ended;      /* 1: the episode ended at this step */
    uint8_t* reset_mask; /* 1: a partial reset resets env i (all 1 for a plain reset) */
    /* The ended episodes, written at each env's index, then compacted in index order. */
    double* final_return;
    int32_t* final_length;
    const char** final_reason;
    uint64_t* final_seed;
    int32_t* final_index;
    float* final_obs; /* [N * obs_size]: the last observations (same_step autoreset only) */
    int32_t* reset_index;

    /* Server limits (sessions.c, service.c). */
    size_t cost_bytes;  /* sp_session_cost: counted against the ceiling, grown by a reset's
                         * options that need more (sp_sessions_grow), never shrunk */
    size_t layer_bytes; /* the per-env layer bytes cost_bytes counts */
    char owner[SP_SESSION_OWNER_MAX]; /* who made it (CURVE key, Z85); "" without CURVE */
    double tokens;                    /* step-rate bucket: requests it may still send now */
    double tokens_at;                 /* monotonic seconds when `tokens` was last refilled */

    /* Guardrails, faults, info and recording (layers.h, ops_session.c); NULL: none asked. */
    struct sp_session_cfg* cfg;

    /* Exactly-once steps (ops_step.c): the seq of the last step that carried one and its
     * reply's body (the bytes after the "ok"/"id" head, with the map's other key count), to
     * answer a resend without stepping. The buffer only grows, up to sp_session_reply_bound
     * (counted in cost_bytes): a larger reply is not kept, and its resend is refused. */
    bool has_seq;
    uint64_t last_seq;
    uint32_t seq_keys;
    uint8_t* seq_reply;
    size_t seq_reply_len;
    size_t seq_reply_cap;

    /* Transport faults (transport.h); NULL: none declared. */
    struct sp_transport* transport;

    /* Pixel observations (pixels.h): [N] frames of the last reset or step, drawn in place by
     * each episode's renderer; the ended episodes' last frames (same_step); the views it
     * draws with; grey frames' RGB scratch. */
    uint8_t* frames;
    uint8_t* final_frames; /* the last frames of ended episodes (same_step autoreset) */
    struct sp_frame_view* views;
    uint8_t* frame_rgb;

    /* Async stepping (async.h): made at the session's first send; NULL before. */
    struct sp_async_state* async;

    /* The scene sent inline with make, whose env def.env is; NULL for a catalogue env. Owned:
     * freed after the session's episodes. */
    struct sp_scene* scene;
} sp_session;

typedef struct sp_session_limits {
    int max_sessions;
    int max_envs_per_session;
    int max_total_envs;
    /* Ceiling on the memory of all sessions: the sum of their sp_session_cost, and the
     * process's resident size plus a new session's cost, must both stay under it. */
    size_t max_memory_bytes;
} sp_session_limits;

/* What a session of `num_envs` envs whose observations have `obs_size` floats, and whose
 * layers hold `layer_bytes` per env, is counted for against the memory ceiling: its buffers
 * exactly, the kept reply of exactly-once steps (sp_session_reply_bound), the layers' bytes,
 * plus SP_ENV_COST_BYTES per env for the episode (measured: a Chipmunk space after reset is
 * 70 to 205 KiB in the current envs). An estimate fixed when it is requested, so the ceiling
 * does not depend on when the allocator returns memory. */
size_t sp_session_cost(int num_envs, int obs_size, size_t layer_bytes);

/* The largest step reply a session keeps for a resend: observations, flags, hashes, info and
 * up to SP_MAX_STEP_EVENTS guardrail events per env, plus the reply's fixed keys. */
size_t sp_session_reply_bound(int num_envs, int obs_size);

#define SP_ENV_COST_BYTES ((size_t)256 << 10)

typedef struct sp_sessions sp_sessions;

/* An empty table. Returns NULL when out of memory. Free it with sp_sessions_destroy. */
sp_sessions* sp_sessions_create(const sp_session_limits* limits);

/* Closes every session and frees the table. NULL is allowed. */
void sp_sessions_destroy(sp_sessions* t);

/* Opens a session owned by the requester (sp_sessions_set_requester). Every limit is checked
 * before anything is allocated: SP_E_LIMIT when one would be exceeded (sessions, envs per
 * session, total envs, memory), SP_E_NO_MEMORY when allocation fails (nothing is left
 * behind), with a message in `err`. The table owns the session. */
int sp_sessions_open(sp_sessions* t, const sp_session_def* def, double now, sp_session** out,
                     char* err, size_t err_sz);

/* Raises session `s`'s per-env layer bytes to `layer_bytes` (a reset's options with a larger
 * fault list) when it is more than what is counted, checking the memory ceiling first:
 * SP_E_LIMIT with a message when it would be passed; nothing changes then. */
int sp_sessions_grow(sp_sessions* t, sp_session* s, size_t layer_bytes, char* err, size_t err_sz);

/* Replies held back by the transport (reply_delay faults) are counted with the sessions:
 * sp_sessions_hold takes `bytes` when they fit under the ceiling with every session's cost
 * (false: hold nothing, send now), sp_sessions_release gives them back when sent. */
bool sp_sessions_hold(sp_sessions* t, size_t bytes);
void sp_sessions_release(sp_sessions* t, size_t bytes);
/* Bytes held that way now. */
size_t sp_sessions_held(const sp_sessions* t);

/* The open session with this id, or NULL (never made, closed, reaped, or a stale id). */
sp_session* sp_sessions_find(sp_sessions* t, uint64_t id);

/* Closes and frees a session; its id is never valid again. */
void sp_sessions_close(sp_sessions* t, sp_session* s);

/* Closes every session unused since `now - idle_s`. Returns how many. */
int sp_sessions_reap(sp_sessions* t, double now, double idle_s);

/* Who sends the requests being handled: sessions opened from now on belong to `owner` (copied;
 * "" without CURVE). The service sets it before each request. */
void sp_sessions_set_requester(sp_sessions* t, const char* owner);

/* Calls `fn` on every open session, in slot order. */
void sp_sessions_each(sp_sessions* t, void (*fn)(sp_session* s, void* ctx), void* ctx);

int sp_sessions_open_count(const sp_sessions* t);
/* The sum of the open sessions' sp_session_cost. */
size_t sp_sessions_memory(const sp_sessions* t);
int sp_sessions_total_envs(const sp_sessions* t);

/* Seconds on CLOCK_MONOTONIC, for idle reaping. The wall clock never reaches simulated state. */
double sp_monotonic_seconds(void);

#endif
