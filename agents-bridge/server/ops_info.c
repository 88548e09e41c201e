/* ping, hello and stats: the ops that touch no session. */

#include <inttypes.h>
#include <stdio.h>

#include "catalogue.h"
#include "log.h"
#include "ops.h"
#include "sandpit/version.h"

int sp_op_ping(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_door door;
    sp_decode_bare(req, &door, err, err_sz);
    if (door.rc != SP_OK) return door.rc;
    sp_pack_ok(&svc->pk, req, 0);
    return SP_OK;
}

/* The limits a hello reports, in the order written: X(field of the service def, kind). */
#define HELLO_LIMITS(X)                                                                            \
    X(max_message_bytes, U64)                                                                      \
    X(max_sessions, INT)                                                                           \
    X(max_envs_per_session, INT)                                                                   \
    X(max_total_envs, INT)                                                                         \
    X(idle_timeout_s, F64)                                                                         \
    X(max_memory_bytes, U64)                                                                       \
    X(max_step_rate, F64)

/* The service's uint64 counters that stats reports, before and after "errors_by_code". */
#define STATS_COUNTERS(X) X(requests) X(steps) X(errors)
#define STATS_LATER_COUNTERS(X)                                                                    \
    X(sessions_reaped)                                                                             \
    X(duplicates)                                                                                  \
    X(replies_delayed)                                                                             \
    X(replies_dropped)                                                                             \
    X(episodes_expired)                                                                            \
    X(record_errors)

#define COUNT_ONE(...) +1
#define PACK_U64(pk, v) msgpack_pack_uint64(pk, v)
#define PACK_INT(pk, v) msgpack_pack_int(pk, v)
#define PACK_F64(pk, v) msgpack_pack_double(pk, v)

int sp_op_hello(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_hello_request r;
    sp_decode_hello(req, &r, err, err_sz);
    if (r.door.rc != SP_OK) return r.door.rc;
    const sp_mp_value* client = r.client;
    if (client && svc->def.log_level >= SP_LOG_INFO) {
        char q[80];
        sp_quote(q, sizeof q, client->ptr, client->len);
        sp_log_write(SP_LOG_INFO, "hello from %s", q);
    }

    msgpack_packer* pk = &svc->pk;
    sp_pack_ok(pk, req, 4);
    sp_pack_cstr(pk, "protocol");
    msgpack_pack_int(pk, SP_PROTOCOL_VERSION);
    sp_pack_cstr(pk, "server");
    sp_pack_cstr(pk, "sandpit " SP_VERSION_STRING);
    sp_pack_cstr(pk, "limits");
    msgpack_pack_map(pk, 0 HELLO_LIMITS(COUNT_ONE));
#define PACK_LIMIT(field, kind)                                                                    \
    sp_pack_cstr(pk, #field);                                                                      \
    PACK_##kind(pk, svc->def.field);
    HELLO_LIMITS(PACK_LIMIT)
#undef PACK_LIMIT
    sp_pack_cstr(pk, "envs");
    sp_pack_catalogue(pk);
    return SP_OK;
}

static void count_layers(sp_session* s, void* ctx) {
    sp_session_cfg_count(s->cfg, ctx);
}

/* Guardrail trips by reason and fault windows opened by kind, over every session the server
 * has had (closed ones' counters are kept in the service). Every name is a key, zeros too. */
static void pack_layer_stats(sp_service* svc, msgpack_packer* pk) {
    sp_layer_totals t = svc->layer_totals;
    sp_sessions_each(svc->sessions, count_layers, &t);
    sp_pack_cstr(pk, "guardrail_trips");
    msgpack_pack_map(pk, SP_GUARD_REASON_COUNT);
    for (int r = 1; r <= SP_GUARD_REASON_COUNT; r++) {
        sp_pack_cstr(pk, sp_guard_reason_name(r));
        msgpack_pack_uint64(pk, t.guard_trips[r]);
    }
    sp_pack_cstr(pk, "fault_windows");
    msgpack_pack_map(pk, SP_FAULT_KIND_SLOTS - 1);
    for (int k = 1; k < SP_FAULT_KIND_SLOTS; k++) {
        sp_pack_cstr(pk, sp_fault_kind_name(k));
        msgpack_pack_uint64(pk, t.fault_windows[k]);
    }
}

int sp_op_stats(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_door door;
    sp_decode_bare(req, &door, err, err_sz);
    if (door.rc != SP_OK) return door.rc;
    msgpack_packer* pk = &svc->pk;
    /* guardrail_trips, fault_windows, sessions, envs, errors_by_code, instance; counters. */
    sp_pack_ok(pk, req, 6 + STATS_COUNTERS(COUNT_ONE) + STATS_LATER_COUNTERS(COUNT_ONE));
    pack_layer_stats(svc, pk);
    sp_pack_cstr(pk, "sessions");
    msgpack_pack_int(pk, sp_sessions_open_count(svc->sessions));
    sp_pack_cstr(pk, "envs");
    msgpack_pack_int(pk, sp_sessions_total_envs(svc->sessions));
#define PACK_COUNTER(field)                                                                        \
    sp_pack_cstr(pk, #field);                                                                      \
    msgpack_pack_uint64(pk, svc->field);
    STATS_COUNTERS(PACK_COUNTER)
    /* Every code but "ok", from error.h's list: a client sees the same keys every time. */
    sp_pack_cstr(pk, "errors_by_code");
    msgpack_pack_map(pk, SP_ERROR_KINDS - 1);
#define SP_PACK_ERROR_COUNT(sym, num, name)                                                        \
    if (num != SP_OK) {                                                                            \
        sp_pack_cstr(pk, name);                                                                    \
        msgpack_pack_uint64(pk, svc->errors_by_code[-(num)]);                                      \
    }
    SP_ERROR_LIST(SP_PACK_ERROR_COUNT)
#undef SP_PACK_ERROR_COUNT
    STATS_LATER_COUNTERS(PACK_COUNTER)
#undef PACK_COUNTER
    sp_pack_cstr(pk, "instance");
    sp_pack_cstr(pk, svc->instance);
    return SP_OK;
}
