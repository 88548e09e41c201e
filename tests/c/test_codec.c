/* The server's request handling, driven in-process through the service (no sockets): every op
 * decodes, and every kind of bad input gets its exact error code, never a crash. The ZeroMQ
 * loop around it is exercised by tests/python/smoke_server.py against a real server. */

#include <math.h>
#include <msgpack.h>
#include <poll.h>
#include <pthread.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/error.h"
#include "ops.h"
#include "service.h"

/* ---- building requests ---- */

typedef struct req {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} req;

/* Starts a request map of `keys` pairs; the caller packs them through r->pk. */
static msgpack_packer* begin(req* r, size_t keys) {
    msgpack_sbuffer_init(&r->sb);
    msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&r->pk, keys);
    return &r->pk;
}

static void str(msgpack_packer* pk, const char* s) {
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void kv_str(msgpack_packer* pk, const char* k, const char* v) {
    str(pk, k);
    str(pk, v);
}

static void kv_u64(msgpack_packer* pk, const char* k, uint64_t v) {
    str(pk, k);
    msgpack_pack_uint64(pk, v);
}

static void kv_i64(msgpack_packer* pk, const char* k, int64_t v) {
    str(pk, k);
    msgpack_pack_int64(pk, v);
}

/* An array map with any dtype string, shape and data, so that bad ones can be built too. */
static void kv_array(msgpack_packer* pk, const char* k, const char* dtype, int ndim,
                     const uint64_t* shape, const void* data, size_t nbytes) {
    str(pk, k);
    msgpack_pack_map(pk, 3);
    kv_str(pk, "dtype", dtype);
    str(pk, "shape");
    msgpack_pack_array(pk, (size_t)ndim);
    for (int d = 0; d < ndim; d++)
        msgpack_pack_uint64(pk, shape[d]);
    str(pk, "data");
    msgpack_pack_bin(pk, nbytes);
    msgpack_pack_bin_body(pk, data, nbytes);
}

/* ---- reading replies ---- */

typedef struct reply {
    char* bytes; /* a copy: the service reuses its buffer */
    size_t len;
    msgpack_zone zone;
    msgpack_object root;
    bool ok;
    char code[32];
    char message[SP_ERR_MAX];
    bool has_id;
    uint64_t id;
} reply;

static const msgpack_object* get(const msgpack_object* map, const char* key) {
    if (map->type != MSGPACK_OBJECT_MAP) return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv* kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key) &&
            !memcmp(kv->key.via.str.ptr, key, strlen(key)))
            return &kv->val;
    }
    return NULL;
}

static void copy_str(char* dst, size_t sz, const msgpack_object* o) {
    dst[0] = '\0';
    if (!o || o->type != MSGPACK_OBJECT_STR) return;
    size_t n = o->via.str.size < sz - 1 ? o->via.str.size : sz - 1;
    memcpy(dst, o->via.str.ptr, n);
    dst[n] = '\0';
}

static void reply_free(reply* rp) {
    if (!rp->bytes) return;
    msgpack_zone_destroy(&rp->zone);
    free(rp->bytes);
    rp->bytes = NULL;
}

static void decode_reply(const void* data, size_t len, reply* rp) {
    memset(rp, 0, sizeof *rp);
    rp->bytes = malloc(len);
    memcpy(rp->bytes, data, len);
    rp->len = len;
    msgpack_zone_init(&rp->zone, 4096);
    size_t off = 0;
    if (msgpack_unpack(rp->bytes, len, &off, &rp->zone, &rp->root) != MSGPACK_UNPACK_SUCCESS) {
        snprintf(rp->code, sizeof rp->code, "<undecodable>");
        return;
    }
    const msgpack_object* ok = get(&rp->root, "ok");
    rp->ok = ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
    const msgpack_object* error = get(&rp->root, "error");
    if (error) {
        copy_str(rp->code, sizeof rp->code, get(error, "code"));
        copy_str(rp->message, sizeof rp->message, get(error, "message"));
    }
    const msgpack_object* id = get(&rp->root, "id");
    if (id && id->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        rp->has_id = true;
        rp->id = id->via.u64;
    }
}

static void call_raw(sp_service* svc, const void* data, size_t len, reply* rp) {
    const void* out;
    size_t out_len;
    sp_service_handle(svc, data, len, sp_monotonic_seconds(), &out, &out_len);
    decode_reply(out, out_len, rp);
}

/* Sends the request built in `r` and frees it. */
static void call(sp_service* svc, req* r, reply* rp) {
    call_raw(svc, r->sb.data, r->sb.size, rp);
    msgpack_sbuffer_destroy(&r->sb);
}

static sp_service* service_with(int threads, size_t max_message_bytes) {
    sp_server_def def = sp_default_server_def();
    def.threads = threads;
    def.max_message_bytes = max_message_bytes;
    def.max_sessions = 4;
    def.max_envs_per_session = 256;
    def.max_total_envs = 300;
    def.idle_timeout_s = 10;
    def.log_level = SP_LOG_ERROR;
    char err[256];
    return sp_service_create(&def, err, sizeof err);
}

static sp_service* service(void) {
    return service_with(1, 1 << 20);
}

/* Array reply fields. */
static const void* array_data(const msgpack_object* a, size_t* nbytes) {
    const msgpack_object* data = a ? get(a, "data") : NULL;
    if (!data || data->type != MSGPACK_OBJECT_BIN) return NULL;
    if (nbytes) *nbytes = data->via.bin.size;
    return data->via.bin.ptr;
}

static uint64_t u64_at(const msgpack_object* a, int i) {
    uint64_t v;
    memcpy(&v, (const char*)array_data(a, NULL) + 8 * i, 8);
    return v;
}

static int32_t i32_at(const msgpack_object* a, int i) {
    int32_t v;
    memcpy(&v, (const char*)array_data(a, NULL) + 4 * i, 4);
    return v;
}

static double f64_at(const msgpack_object* a, int i) {
    double v;
    memcpy(&v, (const char*)array_data(a, NULL) + 8 * i, 8);
    return v;
}

static uint8_t u8_at(const msgpack_object* a, int i) {
    return ((const uint8_t*)array_data(a, NULL))[i];
}

/* ---- op helpers ---- */

static uint64_t make(sp_service* svc, const char* env, int num_envs, uint64_t seed,
                     const char* autoreset, bool hashes) {
    req r;
    msgpack_packer* pk = begin(&r, 6);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", env);
    kv_u64(pk, "num_envs", (uint64_t)num_envs);
    kv_u64(pk, "seed", seed);
    kv_str(pk, "autoreset", autoreset);
    str(pk, "hashes");
    hashes ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    reply rp;
    call(svc, &r, &rp);
    const msgpack_object* s = get(&rp.root, "session");
    uint64_t id = rp.ok && s ? s->via.u64 : 0;
    if (!rp.ok) fprintf(stderr, "make failed: %s %s\n", rp.code, rp.message);
    reply_free(&rp);
    return id;
}

static void reset(sp_service* svc, uint64_t session, reply* rp) {
    req r;
    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "reset");
    kv_u64(pk, "session", session);
    call(svc, &r, rp);
}

static void reset_seeded(sp_service* svc, uint64_t session, uint64_t seed, reply* rp) {
    req r;
    msgpack_packer* pk = begin(&r, 3);
    kv_str(pk, "op", "reset");
    kv_u64(pk, "session", session);
    kv_u64(pk, "seed", seed);
    call(svc, &r, rp);
}

static void step_discrete(sp_service* svc, uint64_t session, const int32_t* actions, int n,
                          reply* rp) {
    req r;
    msgpack_packer* pk = begin(&r, 3);
    kv_str(pk, "op", "step");
    kv_u64(pk, "session", session);
    uint64_t shape[1] = {(uint64_t)n};
    kv_array(pk, "actions", "int32", 1, shape, actions, (size_t)n * 4);
    call(svc, &r, rp);
}

static void step_continuous(sp_service* svc, uint64_t session, const float* actions, int n, int k,
                            reply* rp) {
    req r;
    msgpack_packer* pk = begin(&r, 3);
    kv_str(pk, "op", "step");
    kv_u64(pk, "session", session);
    uint64_t shape[2] = {(uint64_t)n, (uint64_t)k};
    kv_array(pk, "actions", "float32", 2, shape, actions, (size_t)(n * k) * 4);
    call(svc, &r, rp);
}

#define ENSURE_CODE(rp, want)                                                                      \
    ENSURE_MSG(!(rp).ok && !strcmp((rp).code, want), "want %s, got %s: %s", want,                  \
               (rp).ok ? "ok" : (rp).code, (rp).message)

#define ENSURE_OK(rp) ENSURE_MSG((rp).ok, "want ok, got %s: %s", (rp).code, (rp).message)

/* A string literal's bytes and length, without its terminating NUL. */
#define RAW(lit) lit, sizeof lit - 1

/* Sends raw bytes and checks the error code. */
static bool raw_gets(sp_service* svc, const void* data, size_t len, const char* code) {
    reply rp;
    call_raw(svc, data, len, &rp);
    bool good = !rp.ok && !strcmp(rp.code, code);
    if (!good) fprintf(stderr, "  got %s: %s\n", rp.ok ? "ok" : rp.code, rp.message);
    reply_free(&rp);
    return good;
}

/* ---- cases ---- */

static void garbage_is_bad_request(void) {
    sp_service* svc = service();
    ENSURE(raw_gets(svc, RAW(""), "bad_request"));
    ENSURE(raw_gets(svc, RAW("\xc1"), "bad_request"));
    ENSURE(raw_gets(svc, RAW("GET / HTTP/1.1\r\n\r\n"), "bad_request"));
    unsigned char noise[512];
    uint32_t x = 12345;
    for (int trial = 0; trial < 2000; trial++) {
        size_t len = 1 + (x % sizeof noise);
        for (size_t i = 0; i < len; i++) {
            x = x * 1664525u + 1013904223u;
            noise[i] = (unsigned char)(x >> 24);
        }
        reply rp;
        call_raw(svc, noise, len, &rp);
        /* Whatever it is, the reply is well-formed and (almost surely) an error. */
        ENSURE(strcmp(rp.code, "<undecodable>") != 0);
        reply_free(&rp);
    }
    sp_service_destroy(svc);
}

static void non_maps_are_bad_request(void) {
    sp_service* svc = service();
    ENSURE(raw_gets(svc, RAW("\x92\x01\x02"), "bad_request")); /* [1, 2] */
    ENSURE(raw_gets(svc, RAW("\x05"), "bad_request"));
    ENSURE(raw_gets(svc, RAW("\xa4ping"), "bad_request"));
    ENSURE(raw_gets(svc, RAW("\xc0"), "bad_request"));
    sp_service_destroy(svc);
}

static void malformed_msgpack_is_bad_request(void) {
    sp_service* svc = service();
    /* A map claiming two pairs, holding one. */
    ENSURE(raw_gets(svc, RAW("\x82\xa2op\xa4ping"), "bad_request"));
    /* A whole map, then a stray byte. */
    ENSURE(raw_gets(svc, RAW("\x81\xa2op\xa4ping\x00"), "bad_request"));
    /* Containers claiming 2^32 - 1 elements: refused at once, nothing allocated for them. */
    ENSURE(raw_gets(svc, RAW("\xdf\xff\xff\xff\xff"), "bad_request"));
    ENSURE(raw_gets(svc, RAW("\x81\xa1x\xdd\xff\xff\xff\xff"), "bad_request"));
    /* A str claiming 4 GiB. */
    ENSURE(raw_gets(svc, RAW("\x81\xa2op\xdb\xff\xff\xff\xff"), "bad_request"));
    /* Nesting 200 deep. */
    unsigned char deep[210] = {0x81, 0xa1, 'x'};
    for (int i = 0; i < 200; i++)
        deep[3 + i] = 0x91;
    deep[203] = 0x00;
    ENSURE(raw_gets(svc, deep, 204, "bad_request"));
    sp_service_destroy(svc);
}

static void op_must_be_a_known_string(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    kv_u64(begin(&r, 1), "id", 3);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(strstr(rp.message, "'op'") && rp.has_id && rp.id == 3);
    reply_free(&rp);

    kv_u64(begin(&r, 1), "op", 1);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    reply_free(&rp);

    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "teleport");
    kv_u64(pk, "id", 9);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "unknown_op");
    ENSURE(strstr(rp.message, "teleport") && strstr(rp.message, "step"));
    ENSURE(rp.has_id && rp.id == 9);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void keys_must_be_distinct_strings(void) {
    sp_service* svc = service();
    ENSURE(raw_gets(svc, RAW("\x82\xa2op\xa4ping\x01\x02"), "bad_request")); /* key 1 */
    ENSURE(raw_gets(svc, RAW("\x82\xa2op\xa4ping\xa2op\xa4ping"), "bad_request"));
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 20);
    kv_str(pk, "op", "ping");
    for (int i = 0; i < 19; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", i);
        kv_u64(pk, k, 1);
    }
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void id_is_echoed_only_when_valid(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "ping");
    kv_u64(pk, "id", 7);
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    ENSURE(rp.has_id && rp.id == 7);
    reply_free(&rp);

    pk = begin(&r, 2);
    kv_str(pk, "op", "ping");
    kv_u64(pk, "id", (uint64_t)INT64_MAX);
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    ENSURE(rp.has_id && rp.id == (uint64_t)INT64_MAX);
    reply_free(&rp);

    pk = begin(&r, 2);
    kv_str(pk, "op", "ping");
    kv_u64(pk, "id", (uint64_t)INT64_MAX + 1);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(!rp.has_id);
    reply_free(&rp);

    pk = begin(&r, 2);
    kv_str(pk, "op", "ping");
    kv_i64(pk, "id", -1);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(!rp.has_id);
    reply_free(&rp);

    pk = begin(&r, 2);
    kv_str(pk, "op", "ping");
    kv_str(pk, "id", "7");
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(!rp.has_id);
    reply_free(&rp);

    /* A structural error elsewhere in the map still echoes a valid id. */
    static const char dup[] = "\x83\xa2op\xa4ping\xa2id\x05\xa2op\xa4ping";
    call_raw(svc, dup, sizeof dup - 1, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(rp.has_id && rp.id == 5);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void ping_and_stats(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    kv_str(begin(&r, 1), "op", "ping");
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    ENSURE(rp.root.via.map.size == 1);
    reply_free(&rp);

    kv_str(begin(&r, 1), "op", "nope");
    call(svc, &r, &rp);
    reply_free(&rp);
    ENSURE(raw_gets(svc, RAW("\x01"), "bad_request"));

    kv_str(begin(&r, 1), "op", "stats");
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    ENSURE(get(&rp.root, "requests")->via.u64 == 4);
    ENSURE(get(&rp.root, "errors")->via.u64 == 2);
    const msgpack_object* by_code = get(&rp.root, "errors_by_code");
    ENSURE(by_code && by_code->via.map.size == SP_ERROR_KINDS - 1);
    ENSURE(get(by_code, "unknown_op")->via.u64 == 1);
    ENSURE(get(by_code, "bad_request")->via.u64 == 1);
    ENSURE(get(by_code, "too_large")->via.u64 == 0);
    ENSURE(!get(by_code, "ok"));
    ENSURE(get(&rp.root, "sessions")->via.u64 == 0);
    ENSURE(get(&rp.root, "sessions_reaped")->via.u64 == 0);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void hello_lists_the_catalogue(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 3);
    kv_str(pk, "op", "hello");
    kv_u64(pk, "protocol", SP_PROTOCOL_VERSION);
    kv_str(pk, "client", "test_codec");
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    ENSURE(get(&rp.root, "protocol")->via.u64 == SP_PROTOCOL_VERSION);
    const msgpack_object* envs = get(&rp.root, "envs");
    ENSURE(envs && envs->type == MSGPACK_OBJECT_ARRAY);
    ENSURE((int)envs->via.array.size == sp_env_count());
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_spec* spec = sp_env_at(e)->spec;
        const msgpack_object* s = &envs->via.array.ptr[e];
        char id[64];
        copy_str(id, sizeof id, get(s, "id"));
        ENSURE(!strcmp(id, spec->id));
        const msgpack_object* obs = get(s, "observation");
        const msgpack_object* names = get(obs, "names");
        ENSURE((int)names->via.array.size == spec->sensor_count);
        size_t nbytes = 0;
        ENSURE(array_data(get(obs, "low"), &nbytes) && nbytes == 8u * (size_t)spec->sensor_count);
        ENSURE(f64_at(get(obs, "high"), 0) == spec->sensors[0].high);
        const msgpack_object* action = get(s, "action");
        char kind[16];
        copy_str(kind, sizeof kind, get(action, "kind"));
        ENSURE(!strcmp(kind, spec->action_kind == SP_ACTION_DISCRETE ? "discrete" : "continuous"));
    }
    const msgpack_object* limits = get(&rp.root, "limits");
    ENSURE(get(limits, "max_sessions")->via.u64 == 4);
    ENSURE(get(limits, "max_message_bytes")->via.u64 == 1 << 20);
    ENSURE(get(limits, "idle_timeout_s")->via.f64 == 10.0);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void hello_checks_the_protocol(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    kv_str(begin(&r, 1), "op", "hello");
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "version_mismatch");
    reply_free(&rp);

    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "hello");
    kv_u64(pk, "protocol", 2);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "version_mismatch");
    ENSURE(strstr(rp.message, "1") && strstr(rp.message, "2"));
    reply_free(&rp);

    pk = begin(&r, 2);
    kv_str(pk, "op", "hello");
    kv_str(pk, "protocol", "1");
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "version_mismatch");
    reply_free(&rp);

    pk = begin(&r, 3);
    kv_str(pk, "op", "hello");
    kv_u64(pk, "protocol", 1);
    kv_u64(pk, "client", 1);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(strstr(rp.message, "client"));
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void make_returns_a_session_and_spec(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    uint64_t id = get(&rp.root, "session")->via.u64;
    ENSURE(id == ((uint64_t)1 << 32)); /* slot 0, generation 1 */
    ENSURE(get(&rp.root, "num_envs")->via.u64 == 1);
    char spec_id[64];
    copy_str(spec_id, sizeof spec_id, get(get(&rp.root, "spec"), "id"));
    ENSURE(!strcmp(spec_id, "CartPole-v0"));
    reply_free(&rp);

    /* nil is the same as absent for optional fields. */
    pk = begin(&r, 4);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    str(pk, "seed");
    msgpack_pack_nil(pk);
    str(pk, "max_steps");
    msgpack_pack_nil(pk);
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void make_refuses_bad_fields(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPool-v0");
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "unknown_env");
    ENSURE(strstr(rp.message, "CartPool-v0") && strstr(rp.message, "CartPole-v0"));
    reply_free(&rp);

    pk = begin(&r, 2);
    kv_str(pk, "op", "make");
    kv_u64(pk, "env", 3);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    reply_free(&rp);

    kv_str(begin(&r, 1), "op", "make");
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(strstr(rp.message, "env"));
    reply_free(&rp);

    pk = begin(&r, 3);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    kv_u64(pk, "num_env", 4); /* a typo never passes silently */
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(strstr(rp.message, "'num_env'"));
    reply_free(&rp);

    /* Each wrong type or range, one at a time. */
    static const struct {
        const char* key;
        int kind; /* 0 str, 1 i64, 2 f64, 3 bool */
        const char* s;
        int64_t i;
    } bad[] = {
        {"num_envs", 0, "4", 0},   {"num_envs", 2, NULL, 0},
        {"num_envs", 1, NULL, 0},  {"num_envs", 1, NULL, -1},
        {"num_envs", 3, NULL, 0},  {"seed", 1, NULL, -1},
        {"seed", 2, NULL, 0},      {"max_steps", 1, NULL, -1},
        {"max_steps", 0, "10", 0}, {"autoreset", 0, "sometimes", 0},
        {"autoreset", 1, NULL, 1}, {"hashes", 1, NULL, 1},
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        pk = begin(&r, 3);
        kv_str(pk, "op", "make");
        kv_str(pk, "env", "CartPole-v0");
        str(pk, bad[b].key);
        if (bad[b].kind == 0) str(pk, bad[b].s);
        if (bad[b].kind == 1) msgpack_pack_int64(pk, bad[b].i);
        if (bad[b].kind == 2) msgpack_pack_double(pk, 1.5);
        if (bad[b].kind == 3) msgpack_pack_true(pk);
        call(svc, &r, &rp);
        ENSURE_MSG(!rp.ok && !strcmp(rp.code, "bad_request"), "%s case %zu: got %s", bad[b].key, b,
                   rp.ok ? "ok" : rp.code);
        ENSURE_MSG(strstr(rp.message, bad[b].key), "message '%s' names no field", rp.message);
        reply_free(&rp);
    }

    /* seed + num_envs - 1 must fit in 64 bits. */
    pk = begin(&r, 4);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    kv_u64(pk, "num_envs", 2);
    kv_u64(pk, "seed", UINT64_MAX);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    reply_free(&rp);

    pk = begin(&r, 4);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    kv_u64(pk, "num_envs", 1);
    kv_u64(pk, "seed", UINT64_MAX);
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void make_checks_limits_before_allocating(void) {
    sp_service* svc = service(); /* 4 sessions, 256 envs each, 300 in all */
    ENSURE(make(svc, "CartPole-v0", 256, 0, "next_step", false) != 0);
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 3);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    kv_u64(pk, "num_envs", 257);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "limit_exceeded");
    reply_free(&rp);

    pk = begin(&r, 3);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    kv_u64(pk, "num_envs", 45); /* 256 + 45 > 300 */
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "limit_exceeded");
    reply_free(&rp);

    for (int i = 0; i < 3; i++)
        ENSURE(make(svc, "CartPole-v0", 1, 0, "next_step", false));
    pk = begin(&r, 2);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "limit_exceeded");
    ENSURE(strstr(rp.message, "sessions"));
    reply_free(&rp);
    ENSURE(sp_sessions_open_count(svc->sessions) == 4);
    ENSURE(sp_sessions_total_envs(svc->sessions) == 259);
    sp_service_destroy(svc);
}

static void reset_takes_seeds(void) {
    sp_service* svc = service();
    uint64_t s = make(svc, "CartPole-v0", 3, 100, "next_step", true);
    ENSURE(s);
    reply rp;
    /* No seed: env i starts at make's seed + i. */
    reset(svc, s, &rp);
    ENSURE_OK(rp);
    const msgpack_object* seeds = get(&rp.root, "seeds");
    ENSURE(u64_at(seeds, 0) == 100 && u64_at(seeds, 1) == 101 && u64_at(seeds, 2) == 102);
    const msgpack_object* obs = get(&rp.root, "obs");
    const msgpack_object* shape = get(obs, "shape");
    ENSURE(shape->via.array.size == 2 && shape->via.array.ptr[0].via.u64 == 3 &&
           shape->via.array.ptr[1].via.u64 == 4);
    ENSURE(get(&rp.root, "hash"));
    uint64_t h0 = u64_at(get(&rp.root, "hash"), 0);
    reply_free(&rp);

    reset_seeded(svc, s, 100, &rp);
    ENSURE_OK(rp);
    ENSURE(u64_at(get(&rp.root, "hash"), 0) == h0); /* reset(seed=s) == the first reset */
    reply_free(&rp);

    /* A list: nil continues that env's stream. */
    req r;
    msgpack_packer* pk = begin(&r, 3);
    kv_str(pk, "op", "reset");
    kv_u64(pk, "session", s);
    str(pk, "seed");
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint64(pk, 7);
    msgpack_pack_nil(pk);
    msgpack_pack_uint64(pk, 9);
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    seeds = get(&rp.root, "seeds");
    ENSURE(u64_at(seeds, 0) == 7 && u64_at(seeds, 2) == 9);
    ENSURE(u64_at(seeds, 1) != 101);
    reply_free(&rp);

    /* Bad seeds. */
    for (int b = 0; b < 5; b++) {
        pk = begin(&r, 3);
        kv_str(pk, "op", "reset");
        kv_u64(pk, "session", s);
        str(pk, "seed");
        if (b == 0) msgpack_pack_int64(pk, -1);
        if (b == 1) msgpack_pack_double(pk, 1.0);
        if (b == 2) msgpack_pack_uint64(pk, UINT64_MAX - 1); /* + 2 overflows */
        if (b == 3) {
            msgpack_pack_array(pk, 2); /* wrong length */
            msgpack_pack_uint64(pk, 1);
            msgpack_pack_uint64(pk, 2);
        }
        if (b == 4) {
            msgpack_pack_array(pk, 3);
            msgpack_pack_uint64(pk, 1);
            str(pk, "2");
            msgpack_pack_uint64(pk, 3);
        }
        call(svc, &r, &rp);
        ENSURE_MSG(!rp.ok && !strcmp(rp.code, "bad_request"), "case %d: %s", b, rp.code);
        ENSURE(strstr(rp.message, "seed"));
        reply_free(&rp);
    }

    pk = begin(&r, 3);
    kv_str(pk, "op", "reset");
    kv_u64(pk, "session", s);
    kv_u64(pk, "seeds", 1);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(strstr(rp.message, "'seeds'"));
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void session_ids_are_checked_and_never_reused(void) {
    sp_service* svc = service();
    reply rp;
    reset(svc, 12345, &rp);
    ENSURE_CODE(rp, "unknown_session");
    reply_free(&rp);
    reset(svc, UINT64_MAX, &rp);
    ENSURE_CODE(rp, "unknown_session");
    reply_free(&rp);

    req r;
    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "reset");
    kv_str(pk, "session", "1");
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    reply_free(&rp);
    pk = begin(&r, 2);
    kv_str(pk, "op", "close");
    kv_i64(pk, "session", -4);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    reply_free(&rp);
    kv_str(begin(&r, 1), "op", "step");
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "bad_request");
    reply_free(&rp);

    uint64_t a = make(svc, "CartPole-v0", 1, 0, "next_step", false);
    pk = begin(&r, 2);
    kv_str(pk, "op", "close");
    kv_u64(pk, "session", a);
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    pk = begin(&r, 2);
    kv_str(pk, "op", "close");
    kv_u64(pk, "session", a);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "unknown_session");
    reply_free(&rp);

    /* The slot is reused under a new generation: the stale id stays refused. */
    uint64_t b = make(svc, "CartPole-v0", 1, 0, "next_step", false);
    ENSURE(b != a && (b & 0xffffffffu) == (a & 0xffffffffu));
    reset(svc, a, &rp);
    ENSURE_CODE(rp, "unknown_session");
    reply_free(&rp);
    reset(svc, b, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void step_needs_a_reset_first(void) {
    sp_service* svc = service();
    uint64_t s = make(svc, "CartPole-v0", 2, 0, "next_step", false);
    int32_t actions[2] = {0, 1};
    reply rp;
    step_discrete(svc, s, actions, 2, &rp);
    ENSURE_CODE(rp, "needs_reset");
    reply_free(&rp);
    reset(svc, s, &rp);
    reply_free(&rp);
    step_discrete(svc, s, actions, 2, &rp);
    ENSURE_OK(rp);
    const msgpack_object* reward = get(&rp.root, "reward");
    size_t nbytes = 0;
    ENSURE(array_data(reward, &nbytes) && nbytes == 16);
    ENSURE(f64_at(reward, 0) == 1.0);
    ENSURE(!get(&rp.root, "final") && !get(&rp.root, "autoreset") && !get(&rp.root, "hash"));
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void step_refuses_malformed_and_wrong_actions(void) {
    sp_service* svc = service();
    uint64_t s = make(svc, "CartPole-v0", 2, 0, "next_step", false);
    reply rp;
    reset(svc, s, &rp);
    reply_free(&rp);
    static const int32_t two[2] = {0, 1};
    static const float twof[2] = {0, 1};
    static const struct {
        const char* dtype;
        int ndim;
        uint64_t shape[2];
        const void* data;
        size_t nbytes;
        const char* code;
    } cases[] = {
        {"int64", 1, {2}, two, 8, "bad_request"},   /* unknown dtype */
        {"int32", 1, {2}, two, 7, "bad_request"},   /* data length */
        {"int32", 1, {3}, two, 8, "bad_request"},   /* shape vs data */
        {"float32", 1, {2}, twof, 8, "bad_action"}, /* wrong dtype */
        {"int32", 2, {2, 1}, two, 8, "bad_action"}, /* wrong shape */
        {"int32", 2, {1, 2}, two, 8, "bad_action"}, /* wrong shape */
        {"int32", 1, {1}, two, 4, "bad_action"},    /* wrong N */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        req r;
        msgpack_packer* pk = begin(&r, 3);
        kv_str(pk, "op", "step");
        kv_u64(pk, "session", s);
        kv_array(pk, "actions", cases[c].dtype, cases[c].ndim, cases[c].shape, cases[c].data,
                 cases[c].nbytes);
        call(svc, &r, &rp);
        ENSURE_MSG(!rp.ok && !strcmp(rp.code, cases[c].code), "case %zu: want %s, got %s: %s", c,
                   cases[c].code, rp.ok ? "ok" : rp.code, rp.message);
        ENSURE(strstr(rp.message, "actions"));
        reply_free(&rp);
    }

    /* Not an array map at all, an extra key, a list of numbers. */
    for (int b = 0; b < 4; b++) {
        req r;
        msgpack_packer* pk = begin(&r, 3);
        kv_str(pk, "op", "step");
        kv_u64(pk, "session", s);
        str(pk, "actions");
        if (b == 0) {
            msgpack_pack_array(pk, 2);
            msgpack_pack_int(pk, 0);
            msgpack_pack_int(pk, 1);
        } else if (b == 1) {
            msgpack_pack_map(pk, 4);
            kv_str(pk, "dtype", "int32");
            str(pk, "shape");
            msgpack_pack_array(pk, 1);
            msgpack_pack_int(pk, 2);
            str(pk, "data");
            msgpack_pack_bin(pk, 8);
            msgpack_pack_bin_body(pk, two, 8);
            kv_u64(pk, "order", 1);
        } else if (b == 2) {
            msgpack_pack_map(pk, 3);
            kv_str(pk, "dtype", "int32");
            kv_u64(pk, "shape", 2);
            str(pk, "data");
            msgpack_pack_bin(pk, 8);
            msgpack_pack_bin_body(pk, two, 8);
        } else {
            msgpack_pack_map(pk, 3);
            kv_str(pk, "dtype", "int32");
            str(pk, "shape");
            msgpack_pack_array(pk, 1);
            msgpack_pack_int(pk, 2);
            kv_str(pk, "data", "\x01\x02\x03\x04\x05\x06\x07\x08"); /* str, not bin */
        }
        call(svc, &r, &rp);
        ENSURE_MSG(!rp.ok && !strcmp(rp.code, "bad_request"), "case %d: %s", b, rp.code);
        reply_free(&rp);
    }

    /* Out-of-range discrete actions. */
    int32_t out_of_range[2] = {0, 2};
    step_discrete(svc, s, out_of_range, 2, &rp);
    ENSURE_CODE(rp, "bad_action");
    ENSURE(strstr(rp.message, "env 1"));
    reply_free(&rp);
    int32_t negative[2] = {-1, 0};
    step_discrete(svc, s, negative, 2, &rp);
    ENSURE_CODE(rp, "bad_action");
    reply_free(&rp);
    sp_service_destroy(svc);
}

/* NaN/Inf anywhere refuses the request and moves no env: the next good step matches a session
 * that never saw the bad one. */
static void nan_actions_move_nothing(void) {
    sp_service* svc = service();
    uint64_t a = make(svc, "CartPoleContinuous-v0", 3, 5, "next_step", true);
    uint64_t b = make(svc, "CartPoleContinuous-v0", 3, 5, "next_step", true);
    reply rp, rq;
    reset(svc, a, &rp);
    reply_free(&rp);
    reset(svc, b, &rp);
    reply_free(&rp);
    float bad[3] = {1.0f, 2.0f, NAN};
    step_continuous(svc, a, bad, 3, 1, &rp);
    ENSURE_CODE(rp, "bad_action");
    ENSURE(strstr(rp.message, "env 2") && strstr(rp.message, "NaN"));
    reply_free(&rp);
    bad[2] = 0.0f;
    bad[0] = -INFINITY;
    step_continuous(svc, a, bad, 3, 1, &rp);
    ENSURE_CODE(rp, "bad_action");
    reply_free(&rp);

    /* Out of bounds is clipped, not refused: 1e6 acts as the bound. The default guardrails
     * record the clip as a trip, which the state hash covers, so compare what the envs did. */
    float good[3] = {1e6f, 10.0f, -3.0f};
    float clipped[3] = {10.0f, 10.0f, -3.0f};
    step_continuous(svc, a, good, 3, 1, &rp);
    step_continuous(svc, b, clipped, 3, 1, &rq);
    ENSURE_OK(rp);
    ENSURE_OK(rq);
    size_t na = 0, nb = 0;
    const void* oa = array_data(get(&rp.root, "obs"), &na);
    const void* ob = array_data(get(&rq.root, "obs"), &nb);
    ENSURE(na == 3 * 4 * 4 && na == nb && !memcmp(oa, ob, na));
    reply_free(&rp);
    reply_free(&rq);
    sp_service_destroy(svc);
}

/* Pushing right always: every CartPole episode ends within a few dozen steps. */
static void autoreset_next_step_reports_final_then_resets(void) {
    sp_service* svc = service();
    int n = 4;
    uint64_t s = make(svc, "CartPole-v0", n, 11, "next_step", true);
    reply rp;
    reset(svc, s, &rp);
    reply_free(&rp);
    int32_t right[4] = {1, 1, 1, 1};
    int ended_at[4] = {0, 0, 0, 0};
    double returns[4] = {0};
    bool saw_final = false, saw_autoreset = false;
    for (int t = 1; t <= 200 && !saw_autoreset; t++) {
        step_discrete(svc, s, right, n, &rp);
        ENSURE_OK(rp);
        const msgpack_object* fin = get(&rp.root, "final");
        const msgpack_object* ar = get(&rp.root, "autoreset");
        for (int i = 0; i < n; i++)
            if (!ended_at[i]) returns[i] += f64_at(get(&rp.root, "reward"), i);
        if (fin) {
            saw_final = true;
            const msgpack_object* index = get(fin, "index");
            size_t nbytes = 0;
            array_data(index, &nbytes);
            int m = (int)(nbytes / 4);
            ENSURE(get(fin, "reason")->via.array.size == (uint32_t)m);
            for (int j = 0; j < m; j++) {
                int i = i32_at(index, j);
                ENSURE(i >= 0 && i < n && !ended_at[i]);
                ended_at[i] = t;
                ENSURE(u8_at(get(&rp.root, "terminated"), i) == 1);
                ENSURE(i32_at(get(fin, "length"), j) == t);
                ENSURE(f64_at(get(fin, "return"), j) == returns[i]);
                ENSURE(u64_at(get(fin, "seed"), j) == 11 + (uint64_t)i);
                char reason[32];
                copy_str(reason, sizeof reason, &get(fin, "reason")->via.array.ptr[j]);
                ENSURE_MSG(!strcmp(reason, "pole_fell") || !strcmp(reason, "cart_left_track"), "%s",
                           reason);
            }
        }
        if (ar) {
            saw_autoreset = true;
            size_t nbytes = 0;
            array_data(ar, &nbytes);
            for (int j = 0; j < (int)(nbytes / 4); j++) {
                int i = i32_at(ar, j);
                ENSURE(ended_at[i] == t - 1); /* reset exactly one step after it ended */
                ENSURE(f64_at(get(&rp.root, "reward"), i) == 0.0);
                ENSURE(u8_at(get(&rp.root, "terminated"), i) == 0);
                ENSURE(u8_at(get(&rp.root, "truncated"), i) == 0);
            }
        }
        reply_free(&rp);
    }
    ENSURE(saw_final && saw_autoreset);
    sp_service_destroy(svc);
}

static void autoreset_disabled_needs_reset(void) {
    sp_service* svc = service();
    uint64_t s = make(svc, "CartPole-v0", 1, 3, "disabled", false);
    reply rp;
    reset(svc, s, &rp);
    reply_free(&rp);
    int32_t right[1] = {1};
    bool ended = false;
    for (int t = 0; t < 200 && !ended; t++) {
        step_discrete(svc, s, right, 1, &rp);
        ENSURE_OK(rp);
        ended = get(&rp.root, "final") != NULL;
        reply_free(&rp);
    }
    ENSURE(ended);
    step_discrete(svc, s, right, 1, &rp);
    ENSURE_CODE(rp, "needs_reset");
    reply_free(&rp);
    reset(svc, s, &rp);
    reply_free(&rp);
    step_discrete(svc, s, right, 1, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void max_steps_truncates(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 4);
    kv_str(pk, "op", "make");
    kv_str(pk, "env", "CartPole-v0");
    kv_u64(pk, "max_steps", 3);
    kv_u64(pk, "num_envs", 2);
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    uint64_t s = get(&rp.root, "session")->via.u64;
    reply_free(&rp);
    reset(svc, s, &rp);
    reply_free(&rp);
    int32_t alternate[2] = {0, 1};
    for (int t = 1; t <= 3; t++) {
        alternate[0] ^= 1;
        alternate[1] ^= 1;
        step_discrete(svc, s, alternate, 2, &rp);
        ENSURE_OK(rp);
        const msgpack_object* fin = get(&rp.root, "final");
        ENSURE((fin != NULL) == (t == 3));
        if (fin) {
            ENSURE(u8_at(get(&rp.root, "truncated"), 0) == 1);
            char reason[32];
            copy_str(reason, sizeof reason, &get(fin, "reason")->via.array.ptr[0]);
            ENSURE(!strcmp(reason, "max_steps"));
            ENSURE(i32_at(get(fin, "length"), 1) == 3);
        }
        reply_free(&rp);
    }
    sp_service_destroy(svc);
}

static void step_random(sp_service* svc, uint64_t session, const sp_env_spec* spec, int n,
                        sp_rng* rng, reply* rp) {
    int32_t index[64];
    float value[64 * SP_MAX_ACTUATORS];
    int k = spec->actuator_count;
    for (int i = 0; i < n; i++) {
        if (spec->action_kind == SP_ACTION_DISCRETE) {
            index[i] = (int32_t)sp_rng_below(rng, (uint32_t)spec->action_count);
            continue;
        }
        /* A little past the bounds, so that clipping is exercised too. */
        for (int j = 0; j < k; j++) {
            double lo = spec->actuators[j].low, hi = spec->actuators[j].high;
            value[i * k + j] = (float)sp_rng_range(rng, lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo));
        }
    }
    if (spec->action_kind == SP_ACTION_DISCRETE)
        step_discrete(svc, session, index, n, rp);
    else
        step_continuous(svc, session, value, n, k, rp);
}

/* The same requests give the same reply bytes on 1 thread and on 4 (64 envs: 4 ranges), for
 * every registered env. */
static void results_do_not_depend_on_threads(void) {
    int n = 64;
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_spec* spec = sp_env_at(e)->spec;
        sp_service* one = service_with(1, 1 << 20);
        sp_service* four = service_with(4, 1 << 20);
        ENSURE(sp_service_chunks(four, n) == 4 && sp_service_chunks(one, n) == 1);
        uint64_t a = make(one, spec->id, n, 9, "next_step", true);
        uint64_t b = make(four, spec->id, n, 9, "next_step", true);
        ENSURE(a && a == b);
        reply ra, rb;
        reset(one, a, &ra);
        reset(four, b, &rb);
        ENSURE(ra.len == rb.len && !memcmp(ra.bytes, rb.bytes, ra.len));
        reply_free(&ra);
        reply_free(&rb);
        sp_rng rng_a, rng_b;
        sp_rng_seed(&rng_a, 1, "test_actions");
        sp_rng_seed(&rng_b, 1, "test_actions");
        for (int t = 0; t < 150; t++) {
            step_random(one, a, spec, n, &rng_a, &ra);
            step_random(four, b, spec, n, &rng_b, &rb);
            ENSURE_OK(ra);
            ENSURE_MSG(ra.len == rb.len && !memcmp(ra.bytes, rb.bytes, ra.len),
                       "%s: step %d differs", spec->id, t);
            reply_free(&ra);
            reply_free(&rb);
        }
        sp_service_destroy(one);
        sp_service_destroy(four);
    }
}

/* Env i of a batch seeded s is the single env seeded s + i, step for step. */
static void batch_env_equals_single_env(void) {
    sp_service* svc = service();
    uint64_t batch = make(svc, "CartPole-v0", 3, 40, "next_step", true);
    uint64_t single = make(svc, "CartPole-v0", 1, 42, "next_step", true);
    reply rb, rs;
    reset(svc, batch, &rb);
    reset(svc, single, &rs);
    ENSURE(u64_at(get(&rb.root, "hash"), 2) == u64_at(get(&rs.root, "hash"), 0));
    reply_free(&rb);
    reply_free(&rs);
    int32_t three[3] = {0, 1, 0};
    int32_t one[1] = {0};
    for (int t = 0; t < 60; t++) {
        three[2] = one[0] = (t / 3) % 2;
        step_discrete(svc, batch, three, 3, &rb);
        step_discrete(svc, single, one, 1, &rs);
        ENSURE(u64_at(get(&rb.root, "hash"), 2) == u64_at(get(&rs.root, "hash"), 0));
        ENSURE(!memcmp((const char*)array_data(get(&rb.root, "obs"), NULL) + 2 * 16,
                       array_data(get(&rs.root, "obs"), NULL), 16));
        reply_free(&rb);
        reply_free(&rs);
    }
    sp_service_destroy(svc);
}

static void oversize_is_too_large_and_echoes_id(void) {
    sp_service* svc = service_with(1, 256);
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 3);
    kv_str(pk, "op", "ping");
    kv_u64(pk, "id", 77);
    char pad[300];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    kv_str(pk, "pad", pad);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "too_large");
    ENSURE(rp.has_id && rp.id == 77);
    reply_free(&rp);
    /* Garbage over the limit is too_large too: size is judged first. */
    ENSURE(raw_gets(svc, pad, sizeof pad, "too_large"));
    sp_service_destroy(svc);
}

static void idle_sessions_are_reaped(void) {
    sp_service* svc = service(); /* idle timeout 10 s */
    uint64_t s = make(svc, "CartPole-v0", 2, 0, "next_step", false);
    double now = sp_monotonic_seconds();
    ENSURE(sp_service_reap(svc, now) == 0);
    ENSURE(sp_service_reap(svc, now + 11) == 1);
    reply rp;
    reset(svc, s, &rp);
    ENSURE_CODE(rp, "unknown_session");
    reply_free(&rp);
    req r;
    kv_str(begin(&r, 1), "op", "stats");
    call(svc, &r, &rp);
    ENSURE(get(&rp.root, "sessions_reaped")->via.u64 == 1);
    ENSURE(get(&rp.root, "envs")->via.u64 == 0);
    reply_free(&rp);
    sp_service_destroy(svc);
}

static void refused_frames_echo_the_id(void) {
    sp_service* svc = service();
    req r;
    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "ping");
    kv_u64(pk, "id", 31);
    const void* out;
    size_t out_len;
    sp_service_refuse(svc, r.sb.data, r.sb.size, SP_E_BAD_REQUEST, "two frames", &out, &out_len);
    msgpack_sbuffer_destroy(&r.sb);
    reply rp;
    decode_reply(out, out_len, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(rp.has_id && rp.id == 31);
    reply_free(&rp);
    sp_service_refuse(svc, NULL, 0, SP_E_BAD_REQUEST, "no frame", &out, &out_len);
    decode_reply(out, out_len, &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(!rp.has_id);
    reply_free(&rp);
    sp_service_destroy(svc);
}

/* Client strings echoed in messages stay printable ASCII (so valid UTF-8 for any client). */
static void messages_quote_client_bytes_safely(void) {
    sp_service* svc = service();
    req r;
    reply rp;
    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "make");
    str(pk, "env");
    msgpack_pack_str(pk, 4);
    msgpack_pack_str_body(pk, "\xff\x00\n\xc3", 4);
    call(svc, &r, &rp);
    ENSURE_CODE(rp, "unknown_env");
    for (const char* c = rp.message; *c; c++)
        ENSURE(*c >= 0x20 && *c < 0x7f);
    reply_free(&rp);
    sp_service_destroy(svc);
}

/* sp_mp_read_whole over `n` bytes: the status, with the reader left in `r`. */
static sp_mp_status read_all(const void* bytes, size_t n, sp_mp_reader* r) {
    sp_mp_value v;
    *r = sp_mp_reader_make(bytes, n);
    return sp_mp_read_whole(r, &v);
}

/* A map16 of `pairs` uint16 keys 0, 1, ... (key `last` at the end), each with a nil value. */
static size_t map_of_u16_keys(uint8_t* buf, unsigned pairs, unsigned last) {
    size_t n = 0;
    buf[n++] = 0xde;
    buf[n++] = (uint8_t)(pairs >> 8);
    buf[n++] = (uint8_t)pairs;
    for (unsigned k = 0; k < pairs; k++) {
        unsigned key = k + 1 == pairs ? last : k;
        buf[n++] = 0xcd;
        buf[n++] = (uint8_t)(key >> 8);
        buf[n++] = (uint8_t)key;
        buf[n++] = 0xc0;
    }
    return n;
}

static void nested_maps_hold_each_key_once(void) {
    sp_mp_reader r;
    /* {"a": {"k": 1, "k": 2}}: refused, the reader is past it, `repeated` is the second "k". */
    static const char inner[] = "\x81\xa1"
                                "a\x82\xa1k\x01\xa1k\x02";
    ENSURE(read_all(RAW(inner), &r) == SP_MP_REPEATED_KEY);
    ENSURE(r.p == r.end && r.repeated == (const uint8_t*)inner + 7);
    /* The same key in another width is the same key: 1 and uint16 1, fixstr and str8 "k". */
    ENSURE(read_all(RAW("\x91\x82\x01\x00\xcd\x00\x01\x00"), &r) == SP_MP_REPEATED_KEY);
    ENSURE(read_all(RAW("\x82\xa1k\x00\xd9\x01k\x00"), &r) == SP_MP_REPEATED_KEY);
    /* Distinct keys of every kind pass: 1 and -1, "k" and "kk", "k" and bin "k", nil, true. */
    ENSURE(read_all(RAW("\x87\x01\x00\xff\x00\xa1k\x00\xa2kk\x00\xc4\x01k\x00\xc0\x00"
                        "\xc3\x00"),
                    &r) == SP_MP_OK);
    /* A repeat found by sorting, wherever it sits: the last key equals the first. */
    static uint8_t big[3 + 4 * (SP_MP_MAX_MAP_PAIRS + 1)];
    ENSURE(read_all(big, map_of_u16_keys(big, SP_MP_MAX_MAP_PAIRS, 0), &r) == SP_MP_REPEATED_KEY);
    ENSURE(read_all(big, map_of_u16_keys(big, SP_MP_MAX_MAP_PAIRS, 5000), &r) == SP_MP_OK);
    ENSURE(read_all(big, map_of_u16_keys(big, SP_MP_MAX_MAP_PAIRS + 1, 5000), &r) ==
           SP_MP_TOO_MANY_PAIRS);
    /* Through the server: bad_request naming the field and the key, with the id echoed. */
    sp_service* svc = service();
    reply rp;
    call_raw(svc, RAW("\x83\xa2op\xa4ping\xa2id\x07\xa1x\x82\xa1k\x01\xa1k\x02"), &rp);
    ENSURE_CODE(rp, "bad_request");
    ENSURE(rp.has_id && rp.id == 7);
    ENSURE_MSG(strstr(rp.message, "field 'x': key 'k' appears twice"), "%s", rp.message);
    reply_free(&rp);
    sp_service_destroy(svc);
}

/* ---- async stepping: a recv the loop holds until its envs finish ---- */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static void set_gate(bool open) {
    pthread_mutex_lock(&gate_mu);
    gate_open = open;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

/* The runner's step, held until the test opens the gate: envs stay in flight on demand. */
static int gated_step(sp_session* s, int env, char* err, size_t err_sz) {
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    return sp_step_env(s, env, err, err_sz);
}

static void send_envs(sp_service* svc, uint64_t session, const int32_t* ids, int k, reply* rp) {
    req r;
    int32_t actions[8] = {0};
    msgpack_packer* pk = begin(&r, 4);
    kv_str(pk, "op", "send");
    kv_u64(pk, "session", session);
    uint64_t shape[1] = {(uint64_t)k};
    kv_array(pk, "env_ids", "int32", 1, shape, ids, (size_t)k * 4);
    kv_array(pk, "actions", "int32", 1, shape, actions, (size_t)k * 4);
    call(svc, &r, rp);
}

/* A recv of `batch`: true when the service held it (no reply yet). */
static bool recv_held(sp_service* svc, uint64_t session, int batch, reply* rp) {
    req r;
    msgpack_packer* pk = begin(&r, 4);
    kv_str(pk, "op", "recv");
    kv_u64(pk, "session", session);
    kv_u64(pk, "batch_size", (uint64_t)batch);
    kv_u64(pk, "id", 9);
    const void* out;
    size_t out_len;
    sp_service_handle(svc, r.sb.data, r.sb.size, sp_monotonic_seconds(), &out, &out_len);
    msgpack_sbuffer_destroy(&r.sb);
    if (svc->wait_session == session) return true;
    decode_reply(out, out_len, rp);
    return false;
}

/* The held recv's answer, waiting on the runner's wake-up fd for the envs to finish. */
static bool answer_held(sp_service* svc, uint64_t session, reply* rp) {
    const void* out;
    size_t out_len;
    for (int tries = 0; tries < 1000; tries++) {
        if (sp_service_answer_recv(svc, session, true, 9, &out, &out_len)) {
            decode_reply(out, out_len, rp);
            return true;
        }
        struct pollfd p = {sp_async_wake_fd(svc->async), POLLIN, 0};
        poll(&p, 1, 10000);
        sp_async_drain_wake(svc->async);
    }
    return false;
}

static void held_recv_waits_for_its_envs(void) {
    sp_service* svc = service();
    sp_async_destroy(svc->async);
    svc->async = sp_async_create(1, 300, gated_step);
    set_gate(false);
    uint64_t s = make(svc, "CartPole-v0", 4, 1, "next_step", true);
    reply rp;
    reset(svc, s, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    int32_t ids[2] = {2, 0};
    send_envs(svc, s, ids, 2, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    ENSURE(recv_held(svc, s, 2, &rp));
    /* A message the transport refuses next is not taken for a recv to hold. */
    const void* out;
    size_t out_len;
    sp_service_refuse(svc, NULL, 0, SP_E_BAD_REQUEST, "two frames", &out, &out_len);
    ENSURE(svc->wait_session == 0);
    /* One recv per session waits at a time; lockstep ops wait for the envs too. */
    ENSURE(!recv_held(svc, s, 1, &rp));
    ENSURE_CODE(rp, "in_flight");
    ENSURE(strstr(rp.message, "already waiting"));
    reply_free(&rp);
    int32_t acts[4] = {0};
    step_discrete(svc, s, acts, 4, &rp);
    ENSURE_CODE(rp, "in_flight");
    reply_free(&rp);
    ENSURE(!sp_service_answer_recv(svc, s, true, 9, &out, &out_len));

    set_gate(true);
    ENSURE(answer_held(svc, s, &rp));
    ENSURE_OK(rp);
    ENSURE(rp.has_id && rp.id == 9);
    const msgpack_object* got = get(&rp.root, "env_id");
    ENSURE(got && i32_at(got, 0) + i32_at(got, 1) == 2 && i32_at(got, 0) != i32_at(got, 1));
    reply_free(&rp);

    /* A session closed while its recv waits: the held recv gets unknown_session. */
    set_gate(false);
    send_envs(svc, s, ids, 2, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    ENSURE(recv_held(svc, s, 2, &rp));
    set_gate(true); /* close waits for the env a runner thread is stepping */
    req r;
    msgpack_packer* pk = begin(&r, 2);
    kv_str(pk, "op", "close");
    kv_u64(pk, "session", s);
    call(svc, &r, &rp);
    ENSURE_OK(rp);
    reply_free(&rp);
    ENSURE(answer_held(svc, s, &rp));
    ENSURE_CODE(rp, "unknown_session");
    reply_free(&rp);
    sp_service_destroy(svc);
}

static const sp_test_case cases[] = {
    {"garbage_is_bad_request", garbage_is_bad_request},
    {"non_maps_are_bad_request", non_maps_are_bad_request},
    {"malformed_msgpack_is_bad_request", malformed_msgpack_is_bad_request},
    {"op_must_be_a_known_string", op_must_be_a_known_string},
    {"keys_must_be_distinct_strings", keys_must_be_distinct_strings},
    {"id_is_echoed_only_when_valid", id_is_echoed_only_when_valid},
    {"ping_and_stats", ping_and_stats},
    {"hello_lists_the_catalogue", hello_lists_the_catalogue},
    {"hello_checks_the_protocol", hello_checks_the_protocol},
    {"make_returns_a_session_and_spec", make_returns_a_session_and_spec},
    {"make_refuses_bad_fields", make_refuses_bad_fields},
    {"make_checks_limits_before_allocating", make_checks_limits_before_allocating},
    {"reset_takes_seeds", reset_takes_seeds},
    {"session_ids_are_checked_and_never_reused", session_ids_are_checked_and_never_reused},
    {"step_needs_a_reset_first", step_needs_a_reset_first},
    {"step_refuses_malformed_and_wrong_actions", step_refuses_malformed_and_wrong_actions},
    {"nan_actions_move_nothing", nan_actions_move_nothing},
    {"autoreset_next_step_reports_final_then_resets",
     autoreset_next_step_reports_final_then_resets},
    {"autoreset_disabled_needs_reset", autoreset_disabled_needs_reset},
    {"max_steps_truncates", max_steps_truncates},
    {"results_do_not_depend_on_threads", results_do_not_depend_on_threads},
    {"batch_env_equals_single_env", batch_env_equals_single_env},
    {"oversize_is_too_large_and_echoes_id", oversize_is_too_large_and_echoes_id},
    {"idle_sessions_are_reaped", idle_sessions_are_reaped},
    {"refused_frames_echo_the_id", refused_frames_echo_the_id},
    {"messages_quote_client_bytes_safely", messages_quote_client_bytes_safely},
    {"nested_maps_hold_each_key_once", nested_maps_hold_each_key_once},
    {"held_recv_waits_for_its_envs", held_recv_waits_for_its_envs},
};

SP_TEST_MAIN(cases)
