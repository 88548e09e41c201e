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
    msgpack_pack_map(pk, 7);
    sp_pack_cstr(pk, "max_message_bytes");
    msgpack_pack_uint64(pk, svc->def.max_message_bytes);
    sp_pack_cstr(pk, "max_sessions");
    msgpack_pack_int(pk, svc->def.max_sessions);
    sp_pack_cstr(pk, "max_envs_per_session");
    msgpack_pack_int(pk, svc->def.max_envs_per_session);
    sp_pack_cstr(pk, "max_total_envs");
    msgpack_pack_int(pk, svc->def.max_total_envs);
    sp_pack_cstr(pk, "idle_timeout_s");
    msgpack_pack_double(pk, svc->def.idle_timeout_s);
    sp_pack_cstr(pk, "max_memory_bytes");
    msgpack_pack_uint64(pk, svc->def.max_memory_bytes);
    sp_pack_cstr(pk, "max_step_rate");
    msgpack_pack_double(pk, svc->def.max_step_rate);
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
    sp_pack_ok(pk, req, 15);
    pack_layer_stats(svc, pk);
    sp_pack_cstr(pk, "sessions");
    msgpack_pack_int(pk, sp_sessions_open_count(svc->sessions));
    sp_pack_cstr(pk, "envs");
    msgpack_pack_int(pk, sp_sessions_total_envs(svc->sessions));
    sp_pack_cstr(pk, "requests");
    msgpack_pack_uint64(pk, svc->requests);
    sp_pack_cstr(pk, "steps");
    msgpack_pack_uint64(pk, svc->steps);
    sp_pack_cstr(pk, "errors");
    msgpack_pack_uint64(pk, svc->errors);
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
    sp_pack_cstr(pk, "sessions_reaped");
    msgpack_pack_uint64(pk, svc->sessions_reaped);
    sp_pack_cstr(pk, "duplicates");
    msgpack_pack_uint64(pk, svc->duplicates);
    sp_pack_cstr(pk, "replies_delayed");
    msgpack_pack_uint64(pk, svc->replies_delayed);
    sp_pack_cstr(pk, "replies_dropped");
    msgpack_pack_uint64(pk, svc->replies_dropped);
    sp_pack_cstr(pk, "episodes_expired");
    msgpack_pack_uint64(pk, svc->episodes_expired);
    sp_pack_cstr(pk, "record_errors");
    msgpack_pack_uint64(pk, svc->record_errors);
    sp_pack_cstr(pk, "instance");
    sp_pack_cstr(pk, svc->instance);
    return SP_OK;
}
