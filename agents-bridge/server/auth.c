#include "auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
/* A ZAP request has 6 frames plus the mechanism's credentials (CURVE: one). */
#define ZAP_MAX_FRAMES 8
/* Refusal lines: a burst of this many, then one a second; the rest are counted, so that a
 * client retrying its handshake every 100 ms cannot flood the log. */
#define LOG_BURST 5.0

typedef struct curve_key {
    uint8_t bin[32];
} curve_key;

struct sp_auth {
    void* ctx;
    void* zap;
    void* monitor;
    sp_log_level level;
    curve_key* keys;
    int key_count;
    char monitor_endpoint[64];
    double log_tokens;
    double log_at;
    unsigned long suppressed;
};

sp_auth* sp_auth_create(void* ctx, const char* const* keys, int key_count, sp_log_level level,
                        char* err, size_t err_sz) {
    sp_auth* a = calloc(1, sizeof *a);
    if (!a || !(a->keys = calloc(key_count > 0 ? (size_t)key_count : 1, sizeof *a->keys))) {
        free(a);
        snprintf(err, err_sz, "out of memory");
        return NULL;
    }
    a->ctx = ctx;
    a->level = level;
    a->log_tokens = LOG_BURST;
    for (int i = 0; i < key_count; i++) {
        if (!keys[i] || strlen(keys[i]) != SP_Z85_KEY_LEN ||
            !zmq_z85_decode(a->keys[i].bin, keys[i])) {
            snprintf(err, err_sz, "authorized key %d is not a Z85 CURVE key (40 characters)", i);
            sp_auth_destroy(a);
            return NULL;
        }
    }
    a->key_count = key_count;
    int linger = 0;
    if (!(a->zap = zmq_socket(ctx, ZMQ_REP)) ||
        zmq_setsockopt(a->zap, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(a->zap, ZAP_ENDPOINT) != 0) {
        snprintf(err, err_sz, "cannot bind the ZAP handler %s: %s", ZAP_ENDPOINT,
                 zmq_strerror(zmq_errno()));
        sp_auth_destroy(a);
        return NULL;
    }
    return a;
}

int sp_auth_watch(sp_auth* a, void* router, char* err, size_t err_sz) {
    snprintf(a->monitor_endpoint, sizeof a->monitor_endpoint, "inproc://sandpit.monitor.%p",
             (void*)a);
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    int linger = 0;
    if (zmq_socket_monitor(router, a->monitor_endpoint, events) != 0 ||
        !(a->monitor = zmq_socket(a->ctx, ZMQ_PAIR)) ||
        zmq_setsockopt(a->monitor, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(a->monitor, a->monitor_endpoint) != 0) {
        snprintf(err, err_sz, "cannot monitor the server socket: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

void* sp_auth_zap_socket(const sp_auth* a) {
    return a->zap;
}

void* sp_auth_monitor_socket(const sp_auth* a) {
    return a->monitor;
}

/* Whether a refusal line may be written now (a token bucket of LOG_BURST, one a second). */
static bool may_log(sp_auth* a, double now) {
    if (now > a->log_at) {
        a->log_tokens += now - a->log_at;
        if (a->log_tokens > LOG_BURST) a->log_tokens = LOG_BURST;
    }
    a->log_at = now;
    if (a->log_tokens >= 1.0) {
        a->log_tokens -= 1.0;
        return true;
    }
    a->suppressed++;
    return false;
}

static void log_refusal(sp_auth* a, double now, const char* what, const char* address) {
    if (a->level < SP_LOG_WARN || !may_log(a, now)) return;
    char more[64] = "";
    if (a->suppressed) {
        snprintf(more, sizeof more, " (%lu more refusals not logged)", a->suppressed);
        a->suppressed = 0;
    }
    if (address)
        sp_log_write(SP_LOG_WARN, "refused %s from %s%s", what,
                     address[0] ? address : "an unknown address", more);
    else
        sp_log_write(SP_LOG_WARN, "refused %s%s", what, more);
}

static bool authorized(const sp_auth* a, const uint8_t* key) {
    for (int i = 0; i < a->key_count; i++)
        if (memcmp(a->keys[i].bin, key, 32) == 0) return true;
    return false;
}

/* Copies a frame into a NUL-terminated string, cut to fit and made printable. */
static void frame_text(zmq_msg_t* f, char* out, size_t out_sz) {
    size_t n = zmq_msg_size(f);
    if (n >= out_sz) n = out_sz - 1;
    const char* p = zmq_msg_data(f);
    for (size_t i = 0; i < n; i++)
        out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
    out[n] = '\0';
}

static void send_frame(void* sock, const char* data, size_t len, bool more) {
    zmq_send(sock, data, len, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT);
}

/* Answers one ZAP request (RFC 27): 200 with the key in Z85 as the user id, else 400. */
static void answer_zap(sp_auth* a, zmq_msg_t* frames, int count, double now) {
    char version[8] = "", mechanism[16] = "", address[64] = "", user[SP_Z85_KEY_LEN + 1] = "";
    if (count >= 6) {
        frame_text(&frames[0], version, sizeof version);
        frame_text(&frames[3], address, sizeof address);
        frame_text(&frames[5], mechanism, sizeof mechanism);
    }
    bool ok = false;
    const char* why = "a malformed ZAP request";
    char what[128];
    if (count == 7 && !strcmp(version, "1.0") && !strcmp(mechanism, "CURVE") &&
        zmq_msg_size(&frames[6]) == 32) {
        const uint8_t* key = zmq_msg_data(&frames[6]);
        zmq_z85_encode(user, key, 32);
        ok = authorized(a, key);
        snprintf(what, sizeof what, "CURVE client key %s (not in the authorized keys)", user);
        why = what;
    } else if (count >= 6 && strcmp(mechanism, "CURVE") != 0) {
        snprintf(what, sizeof what, "a client using mechanism %s", mechanism);
        why = what;
    }
    if (!ok) {
        log_refusal(a, now, why, address[0] ? address : "");
        user[0] = '\0';
    } else {
        SP_LOG(a->level, SP_LOG_INFO, "admitted CURVE client key %s from %s", user, address);
    }
    /* The reply echoes the version and request id; with a malformed request there may be
     * none, and libzmq then drops the connection, which is the answer we want anyway. */
    send_frame(a->zap, "1.0", 3, true);
    if (count >= 2)
        send_frame(a->zap, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), true);
    else
        send_frame(a->zap, "", 0, true);
    send_frame(a->zap, ok ? "200" : "400", 3, true);
    send_frame(a->zap, ok ? "OK" : "not authorized", ok ? 2 : 14, true);
    send_frame(a->zap, user, strlen(user), true);
    send_frame(a->zap, "", 0, false);
}

static void serve_zap(sp_auth* a, double now) {
    for (;;) {
        zmq_msg_t frames[ZAP_MAX_FRAMES];
        int count = 0;
        bool more = true;
        while (more) {
            zmq_msg_t scratch;
            zmq_msg_t* f = count < ZAP_MAX_FRAMES ? &frames[count] : &scratch;
            zmq_msg_init(f);
            if (zmq_msg_recv(f, a->zap, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(f);
                for (int i = 0; i < count && i < ZAP_MAX_FRAMES; i++)
                    zmq_msg_close(&frames[i]);
                return; /* nothing queued (a REP hands out whole messages) */
            }
            more = zmq_msg_more(f);
            if (f == &scratch)
                zmq_msg_close(f);
            else
                count++;
        }
        answer_zap(a, frames, count, now);
        for (int i = 0; i < count; i++)
            zmq_msg_close(&frames[i]);
    }
}

static void serve_monitor(sp_auth* a, double now) {
    for (;;) {
        zmq_msg_t head, where;
        zmq_msg_init(&head);
        if (zmq_msg_recv(&head, a->monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&head);
            return;
        }
        char endpoint[128] = "";
        zmq_msg_init(&where);
        if (zmq_msg_more(&head) && zmq_msg_recv(&where, a->monitor, ZMQ_DONTWAIT) >= 0)
            frame_text(&where, endpoint, sizeof endpoint);
        zmq_msg_close(&where);
        if (zmq_msg_size(&head) == 6) {
            const uint8_t* d = zmq_msg_data(&head);
            uint16_t event;
            uint32_t value;
            memcpy(&event, d, 2);
            memcpy(&value, d + 2, 4);
            char what[160];
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
                snprintf(what, sizeof what, "a client without CURVE (mechanism mismatch) on %s",
                         endpoint);
            else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                     value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
                snprintf(what, sizeof what,
                         "a CURVE handshake that did not decrypt (wrong server key?) on %s",
                         endpoint);
            else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
                /* Typically a plain client that saw the mismatch first and hung up. */
                snprintf(what, sizeof what,
                         "a client whose handshake failed (%s: a client without CURVE?) on %s",
                         zmq_strerror((int)value), endpoint);
            else
                snprintf(what, sizeof what, "a failed handshake (protocol error 0x%x) on %s",
                         (unsigned)value, endpoint);
            /* libzmq reports no peer address for a connection it accepted. */
            log_refusal(a, now, what, NULL);
        }
        zmq_msg_close(&head);
    }
}

void sp_auth_serve(sp_auth* a, double now) {
    serve_zap(a, now);
    if (a->monitor) serve_monitor(a, now);
}

void sp_auth_destroy(sp_auth* a) {
    if (!a) return;
    if (a->monitor) zmq_close(a->monitor);
    if (a->zap) zmq_close(a->zap);
    free(a->keys);
    free(a);
}
