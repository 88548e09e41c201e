#include "service.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ops.h"

/* Every op, listed once: dispatch, the unknown_op message and the docs follow this table. */
/* `metered` ops take a token of their session's step-rate bucket (--max-step-rate). */
static const struct {
    const char* name;
    sp_op_fn run;
    bool metered;
} ops[] = {
    {"ping", sp_op_ping, false},   {"hello", sp_op_hello, false},  {"make", sp_op_make, false},
    {"reset", sp_op_reset, true},  {"step", sp_op_step, true},     {"close", sp_op_close, false},
    {"stats", sp_op_stats, false}, {"render", sp_op_render, true}, {"send", sp_op_send, true},
    {"recv", sp_op_recv, false},
};

#define OP_COUNT ((int)(sizeof ops / sizeof ops[0]))

/* Batches below this many envs step inline: waking workers costs more than it saves. */
#define MIN_BATCH_FOR_THREADS 32
/* Each range has at least this many envs. */
#define MIN_ENVS_PER_CHUNK 16
/* A batch is cut into up to this many ranges per thread, claimed one at a time: on a shared
 * machine a thread that wakes late (or is preempted) leaves its ranges to the others instead
 * of making the whole batch wait for its half. */
#define CHUNKS_PER_THREAD 4

/* msgpack-c's sbuffer writer, noting a failed growth instead of making every pack call check. */
static int write_reply(void* data, const char* buf, size_t len) {
    sp_service* svc = data;
    if (msgpack_sbuffer_write(&svc->reply, buf, len) != 0) {
        svc->pack_failed = true;
        return -1;
    }
    return 0;
}

sp_service* sp_service_create(const sp_server_def* def, char* err, size_t err_sz) {
    sp_service* svc = calloc(1, sizeof *svc);
    if (!svc) goto oom;
    svc->def = *def;
    svc->def.binds = NULL;
    svc->def.curve_secret_key = NULL;
    svc->def.authorized_keys = NULL;
    svc->peer = "";
    svc->next_expiry = INFINITY;
    uint32_t life;
    if (getrandom(&life, sizeof life, GRND_NONBLOCK) != (ssize_t)sizeof life)
        life = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16); /* no entropy yet: still new */
    snprintf(svc->instance, sizeof svc->instance, "%08x", (unsigned)life);
    msgpack_sbuffer_init(&svc->reply);
    msgpack_packer_init(&svc->pk, svc, write_reply);
    sp_session_limits limits = {def->max_sessions, def->max_envs_per_session, def->max_total_envs,
                                def->max_memory_bytes};
    svc->sessions = sp_sessions_create(&limits);
    svc->chunk_errors = calloc((size_t)def->threads * CHUNKS_PER_THREAD, sizeof *svc->chunk_errors);
    if (!svc->sessions || !svc->chunk_errors) goto oom;
    if (!(svc->pool = sp_pool_create(def->threads)) ||
        !(svc->async = sp_async_create(def->threads, def->max_total_envs, sp_step_env))) {
        snprintf(err, err_sz, "cannot start %d stepping threads", def->threads);
        sp_service_destroy(svc);
        return NULL;
    }
    return svc;
oom:
    sp_service_destroy(svc);
    snprintf(err, err_sz, "out of memory");
    return NULL;
}

void sp_service_destroy(sp_service* svc) {
    if (!svc) return;
    sp_sessions_destroy(svc->sessions); /* detaches them from the async runner first */
    sp_pool_destroy(svc->pool);
    sp_async_destroy(svc->async);
    free(svc->chunk_errors);
    msgpack_sbuffer_destroy(&svc->reply);
    free(svc);
}

static void count_error(sp_service* svc, int code) {
    int slot = -code;
    if (slot <= 0 || slot >= SP_ERROR_KINDS) slot = -SP_E_INTERNAL;
    svc->errors++;
    svc->errors_by_code[slot]++;
}

static void begin_reply(sp_service* svc) {
    msgpack_sbuffer_clear(&svc->reply);
    svc->pack_failed = false;
}

/* Replaces whatever was packed with an error reply. */
static void pack_error_reply(sp_service* svc, bool has_id, uint64_t id, int code,
                             const char* message) {
    begin_reply(svc);
    count_error(svc, code);
    SP_LOG(svc->def.log_level, SP_LOG_INFO, "error reply %s: %s", sp_error_name(code), message);
    sp_pack_error(&svc->pk, has_id, id, code, message);
}

/* The reply bytes, or a fixed no_memory reply when the buffer could not grow. */
static void finish_reply(sp_service* svc, const sp_request* req, const void** reply,
                         size_t* reply_len) {
    if (svc->pack_failed) {
        pack_error_reply(svc, req->has_id, req->id, SP_E_NO_MEMORY,
                         "out of memory writing the reply");
        if (svc->pack_failed) {
            /* {"ok": false, "error": {"code": "no_memory", "message": "out of memory"}} */
            static const char fallback[] =
                "\x82\xa2ok\xc2\xa5\x65rror\x82\xa4\x63ode\xa9no_memory\xa7message\xad"
                "out of memory";
            *reply = fallback;
            *reply_len = sizeof fallback - 1;
            return;
        }
    }
    *reply = svc->reply.data;
    *reply_len = svc->reply.size;
}

static int dispatch(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    if (!req->op) {
        snprintf(err, err_sz, "the request has no 'op'");
        return SP_E_BAD_REQUEST;
    }
    if (req->op->type != SP_MP_STR) {
        snprintf(err, err_sz, "field 'op' must be a string, got %s", sp_mp_type_name(req->op));
        return SP_E_BAD_REQUEST;
    }
    for (int i = 0; i < OP_COUNT; i++) {
        if (sp_mp_str_eq(req->op, ops[i].name)) {
            svc->metered = ops[i].metered;
            return ops[i].run(svc, req, err, err_sz);
        }
    }
    char q[48];
    size_t used = 0;
    sp_quote(q, sizeof q, req->op->ptr, req->op->len);
    used = (size_t)snprintf(err, err_sz, "unknown op '%s' (ops:", q);
    for (int i = 0; i < OP_COUNT && used < err_sz; i++)
        used += (size_t)snprintf(err + used, err_sz - used, " %s", ops[i].name);
    if (used < err_sz) snprintf(err + used, err_sz - used, ")");
    return SP_E_UNKNOWN_OP;
}

void sp_service_handle(sp_service* svc, const void* data, size_t len, double now,
                       const void** reply, size_t* reply_len) {
    sp_service_handle_as(svc, "", data, len, now, reply, reply_len);
}

void sp_service_handle_as(sp_service* svc, const char* peer, const void* data, size_t len,
                          double now, const void** reply, size_t* reply_len) {
    char err[SP_ERR_MAX];
    sp_request req;
    svc->requests++;
    svc->now = now;
    svc->peer = peer ? peer : "";
    svc->metered = false;
    svc->async_op = false;
    svc->wait_session = 0;
    svc->reply_delay_s = 0.0;
    svc->reply_drop = false;
    sp_sessions_set_requester(svc->sessions, svc->peer);
    begin_reply(svc);
    int rc = sp_request_parse(data, len, &req, err, sizeof err);
    if (len > svc->def.max_message_bytes) {
        snprintf(err, sizeof err, "the request is %zu bytes; this server takes at most %zu", len,
                 svc->def.max_message_bytes);
        rc = SP_E_TOO_LARGE;
    } else if (rc == SP_OK) {
        rc = dispatch(svc, &req, err, sizeof err);
    }
    if (rc != SP_OK) pack_error_reply(svc, req.has_id, req.id, rc, err);
    finish_reply(svc, &req, reply, reply_len);
}

void sp_service_refuse(sp_service* svc, const void* data, size_t len, int code, const char* message,
                       const void** reply, size_t* reply_len) {
    char err[SP_ERR_MAX];
    sp_request req;
    svc->requests++;
    svc->reply_delay_s = 0.0;
    svc->reply_drop = false;
    svc->wait_session = 0; /* not a recv to hold, whatever the last request was */
    sp_request_parse(data, len, &req, err, sizeof err);
    pack_error_reply(svc, req.has_id, req.id, code, message);
    finish_reply(svc, &req, reply, reply_len);
}

bool sp_service_answer_recv(sp_service* svc, uint64_t session, bool has_id, uint64_t id,
                            const void** reply, size_t* reply_len) {
    char err[SP_ERR_MAX];
    sp_request req = {.has_id = has_id, .id = id};
    bool answered;
    begin_reply(svc);
    int rc = sp_async_answer(svc, session, has_id, id, &answered, err, sizeof err);
    if (!answered) return false;
    if (rc != SP_OK) pack_error_reply(svc, has_id, id, rc, err);
    finish_reply(svc, &req, reply, reply_len);
    return true;
}

int sp_service_reap(sp_service* svc, double now) {
    if (svc->def.idle_timeout_s <= 0) return 0;
    int n = sp_sessions_reap(svc->sessions, now, svc->def.idle_timeout_s);
    svc->sessions_reaped += (uint64_t)n;
    if (n)
        SP_LOG(svc->def.log_level, SP_LOG_INFO, "reaped %d session%s idle for %g s", n,
               n == 1 ? "" : "s", svc->def.idle_timeout_s);
    return n;
}

int sp_service_chunks(const sp_service* svc, int n) {
    if (n < MIN_BATCH_FOR_THREADS) return 1;
    int chunks = n / MIN_ENVS_PER_CHUNK;
    int threads = sp_pool_threads(svc->pool);
    if (threads == 1) return 1;
    int most = threads * CHUNKS_PER_THREAD;
    return chunks < most ? chunks : most;
}

void sp_service_clear_chunk_errors(sp_service* svc, int chunks) {
    for (int c = 0; c < chunks; c++) {
        svc->chunk_errors[c].index = -1;
        svc->chunk_errors[c].code = SP_OK;
        svc->chunk_errors[c].message[0] = '\0';
    }
}

const sp_chunk_error* sp_service_first_chunk_error(const sp_service* svc, int chunks) {
    /* Ranges are contiguous and in order, so the first range with a failure has the lowest
     * failing index: the same error whatever the number of threads. */
    for (int c = 0; c < chunks; c++)
        if (svc->chunk_errors[c].index >= 0) return &svc->chunk_errors[c];
    return NULL;
}

/* The session's step-rate bucket: it holds at most one second's worth of requests (at least
 * one) and refills continuously on the monotonic clock. Over the rate the request is refused
 * at once; the loop never sleeps on a client's behalf. */
static int take_token(sp_service* svc, sp_session* s, char* err, size_t err_sz) {
    double rate = svc->def.max_step_rate;
    double cap = rate < 1.0 ? 1.0 : rate;
    if (s->tokens_at <= 0.0) {
        s->tokens = cap;
    } else if (svc->now > s->tokens_at) {
        s->tokens += (svc->now - s->tokens_at) * rate;
        if (s->tokens > cap) s->tokens = cap;
    }
    s->tokens_at = svc->now;
    if (s->tokens >= 1.0) {
        s->tokens -= 1.0;
        return SP_OK;
    }
    snprintf(err, err_sz,
             "session %" PRIu64 " is over this server's rate of %g step and reset requests per "
             "second (--max-step-rate); retry in %.0f ms",
             s->id, rate, 1000.0 * (1.0 - s->tokens) / rate);
    return SP_E_RATE_LIMITED;
}

int sp_service_session(sp_service* svc, const sp_request* req, uint64_t id, sp_session** out,
                       char* err, size_t err_sz) {
    int rc;
    sp_session* s = sp_sessions_find(svc->sessions, id);
    /* Another key's session answers as if it did not exist: ids are not capabilities. */
    if (s && strcmp(s->owner, svc->peer) != 0) s = NULL;
    if (!s) {
        snprintf(err, err_sz,
                 "no session %" PRIu64 ": it was never made, was closed, or was reaped after "
                 "%g s idle",
                 id, svc->def.idle_timeout_s);
        return SP_E_UNKNOWN_SESSION;
    }
    s->last_used = svc->now;
    if (!svc->async_op && sp_async_pending(s->async) > 0 && !sp_mp_str_eq(req->op, "close")) {
        snprintf(err, err_sz,
                 "session %" PRIu64 " has %d env%s in flight: recv them first (only send, recv "
                 "and close take it meanwhile)",
                 id, sp_async_pending(s->async), sp_async_pending(s->async) == 1 ? "" : "s");
        return SP_E_IN_FLIGHT;
    }
    if (svc->metered && svc->def.max_step_rate > 0) {
        rc = take_token(svc, s, err, err_sz);
        if (rc != SP_OK) return rc;
    }
    *out = s;
    return SP_OK;
}
