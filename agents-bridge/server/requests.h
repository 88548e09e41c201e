#ifndef SANDPIT_SERVER_REQUESTS_H
#define SANDPIT_SERVER_REQUESTS_H

/* Each op's request, decoded once at the door into a typed struct: one pass over the request's
 * keys (unknown ones refused), every field's type and every range that does not depend on a
 * session checked, arrays decoded into views. Nothing is copied or allocated: the structs hold
 * fixed-size fields and views into the message, valid while it is.
 *
 * The order of checks is part of the protocol (docs/PROTOCOL.md "Errors"): a request with two
 * faults is told the first in its op's order, and some checks in that order need the session
 * (does it exist, is an array N long). So a decoder does not return its fault: it stops at the
 * first one, writes its message into `err` and notes in `door` where in the op's order it
 * stands. The op then runs its session checks in order and, before each, returns the door's
 * fault if that comes first (sp_door_first). A resent step's seq is checked before its
 * actions, so a kept reply still answers it whatever the actions hold. */

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "sandpit/error.h"
#include "sessions.h"

/* Where a decoder stopped: SP_OK, or the first fault's code and its stage (a value of the op's
 * SP_<OP>_AT_* list); its message is in the decoder's `err`. */
typedef struct sp_door {
    int rc;
    int stage;
} sp_door;

/* True when the door found a fault at `stage` or before it: the op returns door->rc before
 * it runs the session check that follows `stage`. */
static inline bool sp_door_first(const sp_door* door, int stage) {
    return door->rc != SP_OK && door->stage <= stage;
}

/* A nested config's whole msgpack bytes (for the episode-config codec); p NULL when absent
 * or nil. */
typedef struct sp_raw {
    const uint8_t* p;
    size_t len;
} sp_raw;

/* ping and stats take no fields. */
void sp_decode_bare(const sp_request* req, sp_door* door, char* err, size_t err_sz);

typedef struct sp_hello_request {
    sp_door door;              /* SP_E_VERSION or SP_E_BAD_REQUEST */
    const sp_mp_value* client; /* NULL when absent */
} sp_hello_request;
void sp_decode_hello(const sp_request* req, sp_hello_request* out, char* err, size_t err_sz);

/* make: a catalogue env is looked up at the door; an inline scene is loaded (it allocates) by
 * the op, between the source and the other fields. */
enum { SP_MAKE_AT_KEYS, SP_MAKE_AT_SOURCE, SP_MAKE_AT_FIELDS };
typedef struct sp_make_request {
    sp_door door;
    const sp_mp_value* scene; /* the JSON text, or NULL for a catalogue env */
    const sp_env_class* env;  /* the catalogue env when scene is NULL */
    int num_envs;
    uint64_t seed;
    int max_steps;
    sp_autoreset autoreset;
    bool hashes, resume;
    sp_pixels_def pixels;
    sp_raw guardrails, faults, info, record;
} sp_make_request;
void sp_decode_make(const sp_request* req, sp_make_request* out, char* err, size_t err_sz);

/* The ops on a session: the door checks keys and "session", then what each op lists. */
enum { SP_AT_KEYS, SP_AT_SESSION };

typedef struct sp_close_request {
    sp_door door;
    uint64_t session;
} sp_close_request;
void sp_decode_close(const sp_request* req, sp_close_request* out, char* err, size_t err_sz);

/* reset. restore and seed are views: their length is the session's N. */
enum {
    SP_RESET_AT_RESTORE = SP_AT_SESSION + 1, /* seed and restore together */
    SP_RESET_AT_RESTORE_ENTRIES,             /* after its length: N entries */
    SP_RESET_AT_SEED_ENTRIES,                /* after its type and length */
    SP_RESET_AT_MASK,                        /* a malformed array */
    SP_RESET_AT_MASK_VALUES,                 /* after its shape: [N] of 0 or 1 */
};
typedef struct sp_reset_request {
    sp_door door;
    uint64_t session;
    const sp_mp_value* restore; /* an array of [seed, 4 stream words] entries; NULL: none */
    const sp_mp_value* seed;    /* NULL: none */
    bool has_mask;
    sp_array_view mask;
    sp_raw options;
    const uint8_t* end; /* the message's end, for reading restore and seed */
} sp_reset_request;
void sp_decode_reset(const sp_request* req, sp_reset_request* out, char* err, size_t err_sz);

/* step. */
enum {
    SP_STEP_AT_SEQ = SP_AT_SESSION + 1, /* then: stale or resent against the session */
    SP_STEP_AT_ACTIONS,                 /* then: dtype, shape and values against the env */
    SP_STEP_AT_ACTIVE,                  /* then: shape [N] */
    SP_STEP_AT_ACTIVE_VALUES,
};
typedef struct sp_step_request {
    sp_door door;
    uint64_t session;
    bool has_seq;
    uint64_t seq;
    sp_array_view actions;
    bool has_active; /* "active" given: a uint8 array of 0 and 1 when its shape fits */
    sp_array_view active;
} sp_step_request;
void sp_decode_step(const sp_request* req, sp_step_request* out, char* err, size_t err_sz);

/* Reads entry i of a reset's "restore" from `r`: [seed, stream0..3], a stream not all zeros. */
int sp_restore_entry(sp_mp_reader* r, int i, uint64_t* seed, uint64_t* stream, char* err,
                     size_t err_sz);

/* render. An env index is checked against the session's N (UINT64_MAX: not an index). */
/* Upper bounds a client can ask for: one frame side, frames per request. */
#define SP_RENDER_MAX_SIDE 4096
#define SP_RENDER_MAX_FRAMES 64
enum {
    SP_RENDER_AT_ENVS = SP_AT_SESSION + 1, /* then: each index against N */
    SP_RENDER_AT_SIZE,
};
typedef struct sp_render_request {
    sp_door door;
    uint64_t session;
    int count;
    uint64_t envs[SP_RENDER_MAX_FRAMES];
    int width, height;
} sp_render_request;
void sp_decode_render(const sp_request* req, sp_render_request* out, char* err, size_t err_sz);

/* send and recv. batch_size is a view: its range is [1, N]. */
enum {
    SP_SEND_AT_ENV_IDS = SP_AT_SESSION + 1, /* then: each id against N and the in-flight set */
    SP_SEND_AT_ACTIONS,                     /* then: against the env, readiness, batch_size */
};
typedef struct sp_send_request {
    sp_door door;
    uint64_t session;
    sp_array_view env_ids;
    sp_array_view actions;
    const sp_mp_value* batch_size; /* NULL when absent or nil */
} sp_send_request;
void sp_decode_send(const sp_request* req, sp_send_request* out, char* err, size_t err_sz);

typedef struct sp_recv_request {
    sp_door door;
    uint64_t session;
    const sp_mp_value* batch_size; /* NULL when absent or nil */
} sp_recv_request;
void sp_decode_recv(const sp_request* req, sp_recv_request* out, char* err, size_t err_sz);

#endif
