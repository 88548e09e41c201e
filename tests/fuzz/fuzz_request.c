/* libFuzzer harness over the request decoder and op dispatch (docs/SECURITY.md).
 *
 * Each input is a short conversation with a fresh, small in-memory server: the same
 * sp_service that `sandpit serve` drives from its ZeroMQ loop, fed the bytes of each request
 * exactly as the loop feeds a payload frame. Sessions are made, reset, stepped, closed, rate
 * limited and reaped by the input itself, so a crash reproduces from its input alone.
 *
 * Input: records of [flags:1][length:2, little-endian][payload: length bytes]; a record cut
 * short takes what is left. Flags: bit 0 picks the peer (two CURVE identities, so sessions
 * bound to one key are tried by the other), bits 1-3 advance the clock by that many 0.25 s
 * (idle reaping and the step-rate bucket), bit 4 sends the payload down the transport's refuse
 * path (several payload frames) instead.
 *
 * Checked beyond the sanitizers: every request gets a reply that is one msgpack map with a
 * boolean "ok", and the session table's counts stay within its limits. */

#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/error.h"
#include "sandpit/replay.h"
#include "service.h"

#define MAX_RECORDS 64
#define MAX_SESSIONS 4
#define MAX_ENVS_PER_SESSION 8
#define MAX_TOTAL_ENVS 12

static void check_reply(const void* data, size_t len) {
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    if (msgpack_unpack_next(&u, data, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len ||
        u.data.type != MSGPACK_OBJECT_MAP) {
        fprintf(stderr, "fuzz: a reply is not one msgpack map (%zu bytes)\n", len);
        abort();
    }
    bool has_ok = false;
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        const msgpack_object_kv* kv = &u.data.via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 2 &&
            !memcmp(kv->key.via.str.ptr, "ok", 2))
            has_ok = kv->val.type == MSGPACK_OBJECT_BOOLEAN;
    }
    if (!has_ok) {
        fprintf(stderr, "fuzz: a reply has no boolean 'ok'\n");
        abort();
    }
    msgpack_unpacked_destroy(&u);
}

/* `make` may ask for recording into a directory the client names; a fuzzer would soon find
 * the key and create files all over the disk. Linked with -Wl,--wrap=sp_recorder_create, so
 * recording is refused here (as a failed recorder, a path the server must handle anyway). */
sp_recorder* __wrap_sp_recorder_create(const sp_recorder_def* def, char* err, size_t err_sz);

sp_recorder* __wrap_sp_recorder_create(const sp_recorder_def* def, char* err, size_t err_sz) {
    (void)def;
    snprintf(err, err_sz, "recording is disabled in the fuzzer");
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const char* const peers[2] = {"", "rq>bJ-lT)9sp1kN}cRzK=CfX+gbxQ/$9$Y!hW6@p"};
    sp_server_def def = sp_default_server_def();
    def.threads = 1;
    def.max_message_bytes = 4096;
    def.max_sessions = MAX_SESSIONS;
    def.max_envs_per_session = MAX_ENVS_PER_SESSION;
    def.max_total_envs = MAX_TOTAL_ENVS;
    def.idle_timeout_s = 1.0;
    def.max_step_rate = 4.0;
    /* The resident size of a fuzzing process says nothing about the server's: only the
     * estimates count here (the ceiling is far above them). */
    def.max_memory_bytes = SP_SERVER_MAX_MEMORY;
    def.log_level = SP_LOG_ERROR;
    char err[256];
    sp_service* svc = sp_service_create(&def, err, sizeof err);
    if (!svc) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    double now = 1000.0;
    size_t at = 0;
    for (int r = 0; r < MAX_RECORDS && at < size; r++) {
        uint8_t flags = data[at++];
        size_t len = 0;
        if (size - at >= 2) {
            len = (size_t)data[at] | (size_t)data[at + 1] << 8;
            at += 2;
        }
        if (len > size - at) len = size - at;
        const uint8_t* payload = data + at;
        at += len;
        now += 0.25 * (double)((flags >> 1) & 7);
        const void* reply;
        size_t reply_len;
        /* A copy of exactly `len` bytes: ASan then catches any read past the payload. */
        uint8_t* copy = malloc(len ? len : 1);
        if (!copy) abort();
        memcpy(copy, payload, len);
        if (flags & 16)
            sp_service_refuse(svc, copy, len, SP_E_BAD_REQUEST, "several payload frames", &reply,
                              &reply_len);
        else
            sp_service_handle_as(svc, peers[flags & 1], copy, len, now, &reply, &reply_len);
        check_reply(reply, reply_len);
        free(copy);
        sp_service_reap(svc, now);
        if (sp_sessions_open_count(svc->sessions) > MAX_SESSIONS ||
            sp_sessions_total_envs(svc->sessions) > MAX_TOTAL_ENVS) {
            fprintf(stderr, "fuzz: a server limit was exceeded\n");
            abort();
        }
    }
    sp_service_destroy(svc);
    return 0;
}
