/* The ZeroMQ loop: one ROUTER socket bound to every endpoint, a self-pipe for sp_server_stop,
 * and a poll timeout that lets idle sessions be reaped. Requests are handled one at a time,
 * in arrival order; a large batch is spread over the pool inside the step op.
 *
 * Envelopes: a ROUTER receives [identity][empty delimiter][payload] from REQ and DEALER
 * clients. Frames up to the first empty one are the envelope and go back unchanged in front
 * of the reply; without a delimiter the identity alone is the envelope. Exactly one payload
 * frame is accepted. */

#include "sandpit/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "auth.h"
#include "expire.h"
#include "log.h"
#include "parked.h"
#include "service.h"
#include "sandpit/world.h"

/* Frames of one message kept for its envelope; more are read and dropped (the request is
 * then refused as having several payload frames). */
#define MAX_FRAMES 16
/* An envelope (docs/PROTOCOL.md "Envelopes"): at most this many frames before the payload,
 * counting ROUTER's identity and the empty delimiter, each a routing id of at most 255 bytes
 * (ZMTP's own limit). Anything larger is refused, and the reply carries no copy of it: so
 * neither a reply nor a held one pins a client's big frames. */
#define MAX_ENVELOPE_FRAMES 8
#define MAX_ROUTING_ID_BYTES 255
/* Messages handled per wake-up before the loop looks at the stop flag and the clock again. */
#define MAX_BATCH 256
#define MIN_MESSAGE_BYTES 64
#define MAX_MESSAGE_BYTES ((size_t)1 << 30)
/* Requests queued per connection before libzmq stops reading it (backpressure): with the
 * frame cap this bounds what one connection can make the server hold. */
#define RECEIVE_HWM 64
/* ZMTP heartbeats: a ping to every client each second; a connection that answers none within
 * 10 s (a client process stopped, its host gone without closing) is dropped, and with it what
 * libzmq queued for it. Sessions are not connections: they stay (idle reaping is separate). */
#define HEARTBEAT_IVL_MS 1000
#define HEARTBEAT_TIMEOUT_MS 10000
#define HEARTBEAT_TTL_MS 10000
/* The default memory ceiling: half the physical memory, at most this. */
#define DEFAULT_MEMORY_CAP ((size_t)4 << 30)

#define MAX_DELAYED_SLOTS 256
struct sp_server {
    sp_server_def def;
    char** binds;           /* copies of def.binds */
    char** endpoints;       /* what each bind resolved to */
    struct stat* ipc_files; /* [bind_count] an ipc:// bind's socket file (st_ino 0: none) */
    void* ctx;
    void* router;
    sp_service* svc;
    sp_auth* auth; /* NULL without CURVE */
    int wake[2];   /* self-pipe: sp_server_stop writes, the loop polls */
    volatile sig_atomic_t stop;
    struct delayed* delayed;      /* [MAX_DELAYED] slots of replies held by reply_delay faults */
    int order[MAX_DELAYED_SLOTS]; /* the held slots, by due time */
    int delayed_count;
    sp_parked* parked; /* recv requests waiting for their envs (parked.h) */
};

/* A reply held back by a reply_delay fault (transport.h): its envelope and bytes, sent by
 * the loop when due, so other clients are served meanwhile. The queue is bounded; a reply
 * that finds it full is sent at once. */
#define MAX_DELAYED MAX_DELAYED_SLOTS
struct delayed {
    double due;
    size_t bytes; /* counted against the memory ceiling while held */
    int envelope;
    zmq_msg_t frames[MAX_FRAMES + 1]; /* the envelope, then the reply */
};

sp_server_def sp_default_server_def(void) {
    static const char* const default_binds[] = {"tcp://127.0.0.1:5555"};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) cpus = 1;
    if (cpus > SP_SERVER_MAX_THREADS) cpus = SP_SERVER_MAX_THREADS;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t memory = (pages > 0 && page > 0) ? (size_t)pages * (size_t)page / 2 : DEFAULT_MEMORY_CAP;
    if (memory > DEFAULT_MEMORY_CAP) memory = DEFAULT_MEMORY_CAP;
    if (memory < SP_SERVER_MIN_MEMORY) memory = SP_SERVER_MIN_MEMORY;
    sp_server_def def = {
        .binds = default_binds,
        .bind_count = 1,
        .max_message_bytes = 8u << 20,
        .max_sessions = 256,
        .max_envs_per_session = 4096,
        .max_total_envs = 16384,
        .idle_timeout_s = 600.0,
        .threads = (int)cpus,
        .log_level = SP_LOG_WARN,
        .max_memory_bytes = memory,
        .max_step_rate = 0.0,
        .parent_fd = -1,
    };
    return def;
}

static int check_def(const sp_server_def* d, char* err, size_t err_sz) {
    const char* why = NULL;
    if (!d->binds || d->bind_count < 1 || d->bind_count > SP_SERVER_MAX_BINDS)
        why = "bind_count must be in [1, 16]";
    else if (d->max_message_bytes < MIN_MESSAGE_BYTES || d->max_message_bytes > MAX_MESSAGE_BYTES)
        why = "max_message_bytes must be in [64, 2^30]";
    else if (d->max_sessions < 1 || d->max_sessions > (1 << 24))
        why = "max_sessions must be in [1, 2^24]";
    else if (d->max_envs_per_session < 1 || d->max_envs_per_session > (1 << 24))
        why = "max_envs_per_session must be in [1, 2^24]";
    else if (d->max_total_envs < 1 || d->max_total_envs > (1 << 26))
        why = "max_total_envs must be in [1, 2^26]";
    else if (!(d->idle_timeout_s >= 0.0 && d->idle_timeout_s <= 1e9))
        why = "idle_timeout_s must be in [0, 1e9]";
    else if (d->threads < 1 || d->threads > SP_SERVER_MAX_THREADS)
        why = "threads must be in [1, 64]";
    else if (d->log_level < SP_LOG_ERROR || d->log_level > SP_LOG_INFO)
        why = "log_level must be error, warn or info";
    else if (d->max_memory_bytes < SP_SERVER_MIN_MEMORY ||
             d->max_memory_bytes > SP_SERVER_MAX_MEMORY)
        why = "max_memory_bytes must be in [16 MiB, 16 TiB]";
    else if (!(d->max_step_rate >= 0.0 && d->max_step_rate <= SP_SERVER_MAX_STEP_RATE))
        why = "max_step_rate must be in [0, 1e9]";
    else if (!d->curve_secret_key && d->authorized_key_count != 0)
        why = "authorized keys need a CURVE secret key";
    else if (d->curve_secret_key && !zmq_has("curve"))
        why = "this libzmq has no CURVE support";
    else if (d->curve_secret_key &&
             (strlen(d->curve_secret_key) != 40 || d->authorized_key_count < 0 ||
              (d->authorized_key_count > 0 && !d->authorized_keys)))
        why = "the CURVE secret key must be 40 Z85 characters, with a list of authorized keys";
    for (int i = 0; !why && i < d->bind_count; i++)
        if (!d->binds[i] || !d->binds[i][0]) why = "a bind endpoint is empty";
    if (why) {
        snprintf(err, err_sz, "%s", why);
        return -1;
    }
    return 0;
}

static bool is_loopback_tcp(const char* ep) {
    static const char* const loopback[] = {"tcp://127.", "tcp://localhost:", "tcp://[::1]:"};
    if (strncmp(ep, "tcp://", 6) != 0) return true; /* ipc, inproc: local by nature */
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++)
        if (strncmp(ep, loopback[i], strlen(loopback[i])) == 0) return true;
    return false;
}

/* The file of an ipc:// endpoint, or NULL (another transport, or Linux's abstract namespace,
 * "ipc://@name", which has no file). */
static const char* ipc_path(const char* ep) {
    if (strncmp(ep, "ipc://", 6) != 0 || ep[6] == '@' || !ep[6]) return NULL;
    return ep + 6;
}

/* Removes the socket files this server's binds made, unless something else replaced them. */
static void remove_ipc_files(sp_server* srv) {
    for (int i = 0; srv->ipc_files && srv->endpoints && i < srv->def.bind_count; i++) {
        const char* path = srv->endpoints[i] ? ipc_path(srv->endpoints[i]) : NULL;
        struct stat now;
        if (!path || !srv->ipc_files[i].st_ino || stat(path, &now) != 0) continue;
        if (now.st_ino == srv->ipc_files[i].st_ino && now.st_dev == srv->ipc_files[i].st_dev)
            unlink(path);
    }
}

static int set_int_option(void* sock, int option, int value) {
    return zmq_setsockopt(sock, option, &value, sizeof value);
}

/* CURVE on the ROUTER, with the ZAP handler bound first: libzmq must find it before the
 * first handshake, or it would admit every key. */
static int enable_curve(sp_server* srv, char* err, size_t err_sz) {
    const sp_server_def* d = &srv->def;
    if (!(srv->auth = sp_auth_create(srv->ctx, d->authorized_keys, d->authorized_key_count,
                                     d->log_level, err, err_sz)))
        return -1;
    static const char domain[] = "sandpit";
    if (set_int_option(srv->router, ZMQ_CURVE_SERVER, 1) != 0 ||
        zmq_setsockopt(srv->router, ZMQ_CURVE_SECRETKEY, d->curve_secret_key, 40) != 0 ||
        zmq_setsockopt(srv->router, ZMQ_ZAP_DOMAIN, domain, sizeof domain - 1) != 0) {
        snprintf(err, err_sz, "cannot enable CURVE (is the secret key valid Z85?): %s",
                 zmq_strerror(zmq_errno()));
        return -1;
    }
    if (sp_auth_watch(srv->auth, srv->router, err, err_sz) != 0) return -1;
    char public_key[41];
    if (zmq_curve_public(public_key, d->curve_secret_key) == 0)
        SP_LOG(d->log_level, SP_LOG_INFO, "CURVE on: server key %s, %d authorized client key%s",
               public_key, d->authorized_key_count, d->authorized_key_count == 1 ? "" : "s");
    if (d->authorized_key_count == 0)
        SP_LOG(d->log_level, SP_LOG_WARN, "no authorized keys: every client will be refused");
    return 0;
}

static int open_socket(sp_server* srv, char* err, size_t err_sz) {
    if (!(srv->ctx = zmq_ctx_new()) || !(srv->router = zmq_socket(srv->ctx, ZMQ_ROUTER))) {
        snprintf(err, err_sz, "cannot create a ZeroMQ socket: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    if (srv->def.curve_secret_key && enable_curve(srv, err, err_sz) != 0) return -1;
    /* libzmq drops a peer that sends a frame over this, without our reading it; requests
     * between max_message_bytes and this get a too_large reply instead. */
    int64_t hard_cap = 2 * (int64_t)srv->def.max_message_bytes;
    /* Sends never wait: ROUTER drops a reply to a vanished or full peer rather than block, and
     * SNDTIMEO 0 makes sure of it. LINGER 0: a stopping server does not wait for slow peers. */
    if (zmq_setsockopt(srv->router, ZMQ_MAXMSGSIZE, &hard_cap, sizeof hard_cap) != 0 ||
        set_int_option(srv->router, ZMQ_SNDTIMEO, 0) != 0 ||
        set_int_option(srv->router, ZMQ_LINGER, 0) != 0 ||
        set_int_option(srv->router, ZMQ_RCVHWM, RECEIVE_HWM) != 0 ||
        set_int_option(srv->router, ZMQ_ROUTER_MANDATORY, 0) != 0 ||
        set_int_option(srv->router, ZMQ_HEARTBEAT_IVL, HEARTBEAT_IVL_MS) != 0 ||
        set_int_option(srv->router, ZMQ_HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS) != 0 ||
        set_int_option(srv->router, ZMQ_HEARTBEAT_TTL, HEARTBEAT_TTL_MS) != 0) {
        snprintf(err, err_sz, "cannot set socket options: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    for (int i = 0; i < srv->def.bind_count; i++) {
        const char* ep = srv->binds[i];
        if (zmq_bind(srv->router, ep) != 0) {
            snprintf(err, err_sz, "cannot bind %s: %s", ep, zmq_strerror(zmq_errno()));
            return -1;
        }
        char actual[1024];
        size_t actual_sz = sizeof actual;
        if (zmq_getsockopt(srv->router, ZMQ_LAST_ENDPOINT, actual, &actual_sz) != 0 ||
            !(srv->endpoints[i] = strdup(actual))) {
            snprintf(err, err_sz, "cannot read the endpoint bound for %s", ep);
            return -1;
        }
        /* libzmq leaves an ipc socket's file behind: the server removes it when it stops,
         * if it is still the one this bind made. */
        const char* path = ipc_path(actual);
        if (path && stat(path, &srv->ipc_files[i]) != 0) srv->ipc_files[i].st_ino = 0;
        if (!is_loopback_tcp(actual) && !srv->auth)
            SP_LOG(srv->def.log_level, SP_LOG_WARN,
                   "%s is reachable from other hosts and has no authentication "
                   "(see --curve-secret and docs/SECURITY.md)",
                   actual);
        else if (!is_loopback_tcp(actual))
            SP_LOG(srv->def.log_level, SP_LOG_INFO,
                   "%s is reachable from other hosts; CURVE admits only the authorized keys",
                   actual);
    }
    return 0;
}

static int open_wake_pipe(sp_server* srv) {
    if (pipe(srv->wake) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        int flags = fcntl(srv->wake[i], F_GETFL);
        if (flags < 0 || fcntl(srv->wake[i], F_SETFL, flags | O_NONBLOCK) != 0) return -1;
        if (fcntl(srv->wake[i], F_SETFD, FD_CLOEXEC) != 0) return -1;
    }
    return 0;
}

sp_server* sp_server_create(const sp_server_def* def, char* err, size_t err_sz) {
    if (check_def(def, err, err_sz) != 0) return NULL;
    sp_server* srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, err_sz, "out of memory");
        return NULL;
    }
    srv->def = *def;
    srv->wake[0] = srv->wake[1] = -1;
    srv->binds = calloc((size_t)def->bind_count, sizeof *srv->binds);
    srv->endpoints = calloc((size_t)def->bind_count, sizeof *srv->endpoints);
    srv->ipc_files = calloc((size_t)def->bind_count, sizeof *srv->ipc_files);
    bool copied = srv->binds && srv->endpoints && srv->ipc_files;
    for (int i = 0; copied && i < def->bind_count; i++)
        copied = (srv->binds[i] = strdup(def->binds[i])) != NULL;
    srv->def.binds = (const char* const*)srv->binds;
    copied = copied && (srv->delayed = calloc(MAX_DELAYED, sizeof *srv->delayed)) != NULL &&
             (srv->parked = sp_parked_create()) != NULL;
    /* The keys are read during create only (sp_auth keeps its own decoded copy). */
    if (!copied) {
        snprintf(err, err_sz, "out of memory");
        goto fail;
    }
    if (open_wake_pipe(srv) != 0) {
        snprintf(err, err_sz, "cannot create the wake-up pipe: %s", strerror(errno));
        goto fail;
    }
    if (!(srv->svc = sp_service_create(&srv->def, err, err_sz))) goto fail;
    if (open_socket(srv, err, err_sz) != 0) goto fail;
    srv->def.curve_secret_key = NULL;
    srv->def.authorized_keys = NULL;
    return srv;
fail:
    sp_server_destroy(srv);
    return NULL;
}

int sp_server_endpoint_count(const sp_server* srv) {
    return srv->def.bind_count;
}

const char* sp_server_endpoint(const sp_server* srv, int index) {
    return (index >= 0 && index < srv->def.bind_count) ? srv->endpoints[index] : NULL;
}

void sp_server_stop(sp_server* srv) {
    srv->stop = 1;
    /* A full pipe already holds a wake-up; errno is saved for the interrupted code. */
    int saved = errno;
    ssize_t w = write(srv->wake[1], "x", 1);
    (void)w;
    errno = saved;
}

void sp_server_destroy(sp_server* srv) {
    if (!srv) return;
    for (int d = 0; d < srv->delayed_count; d++) {
        for (int i = 0; i <= srv->delayed[srv->order[d]].envelope; i++)
            zmq_msg_close(&srv->delayed[srv->order[d]].frames[i]);
        if (srv->svc) sp_sessions_release(srv->svc->sessions, srv->delayed[srv->order[d]].bytes);
    }
    free(srv->delayed);
    sp_parked_destroy(srv->parked);
    if (srv->router) zmq_close(srv->router);
    remove_ipc_files(srv);
    sp_auth_destroy(srv->auth);
    if (srv->ctx) zmq_ctx_term(srv->ctx);
    sp_service_destroy(srv->svc);
    for (int i = 0; i < 2; i++)
        if (srv->wake[i] >= 0) close(srv->wake[i]);
    for (int i = 0; i < srv->def.bind_count; i++) {
        if (srv->binds) free(srv->binds[i]);
        if (srv->endpoints) free(srv->endpoints[i]);
    }
    free(srv->binds);
    free(srv->endpoints);
    free(srv->ipc_files);
    free(srv);
}

/* One received message: its frames (the first MAX_FRAMES), where its envelope ends and how
 * many payload frames it had. */
typedef struct message {
    zmq_msg_t frames[MAX_FRAMES];
    int kept;
    int total;
} message;

static void message_close(message* m) {
    for (int i = 0; i < m->kept; i++)
        zmq_msg_close(&m->frames[i]);
    m->kept = 0;
}

/* Receives one whole multipart message without waiting. Returns 1, 0 when none is queued, or
 * -1 on a socket error. */
static int receive(void* sock, message* m) {
    m->kept = 0;
    m->total = 0;
    for (;;) {
        /* Frames past MAX_FRAMES go to a scratch frame and are dropped. */
        zmq_msg_t scratch;
        zmq_msg_t* frame = m->kept < MAX_FRAMES ? &m->frames[m->kept] : &scratch;
        zmq_msg_init(frame);
        /* The first frame may not be there yet; the rest of a multipart message arrive with
         * it (ZeroMQ delivers messages whole), so DONTWAIT never splits one. */
        if (zmq_msg_recv(frame, sock, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();
            zmq_msg_close(frame);
            message_close(m);
            return (m->total == 0 && (e == EAGAIN || e == EINTR)) ? 0 : -1;
        }
        m->total++;
        bool more = zmq_msg_more(frame);
        if (frame == &scratch)
            zmq_msg_close(frame);
        else
            m->kept++;
        if (!more) return 1;
    }
}

/* Sends the envelope frames back, then the reply. Never waits; a reply that cannot be sent
 * now is dropped (the client times out), so one slow client never stalls the others. */
static void send_reply(sp_server* srv, message* m, int envelope, const void* reply, size_t len) {
    for (int i = 0; i < envelope; i++) {
        if (zmq_msg_send(&m->frames[i], srv->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            SP_LOG(srv->def.log_level, SP_LOG_WARN, "reply dropped: %s", zmq_strerror(zmq_errno()));
            return;
        }
    }
    if (zmq_send(srv->router, reply, len, ZMQ_DONTWAIT) < 0)
        SP_LOG(srv->def.log_level, SP_LOG_WARN, "reply dropped: %s", zmq_strerror(zmq_errno()));
}

/* Queues a copy of the reply (and its envelope) for later; false when the queue is full or
 * out of memory (the reply is then sent now). */
static bool hold_reply(sp_server* srv, message* m, int envelope, const void* reply, size_t len) {
    if (srv->delayed_count == MAX_DELAYED) return false;
    /* A free slot: one not in the order list. Slots never move (zmq_msg_t must not be copied
     * by value); only their indices are kept sorted. */
    bool used[MAX_DELAYED] = {false};
    for (int k = 0; k < srv->delayed_count; k++)
        used[srv->order[k]] = true;
    int slot = 0;
    while (used[slot])
        slot++;
    struct delayed* d = &srv->delayed[slot];
    /* What it holds (the envelope is at most MAX_ENVELOPE_FRAMES routing ids) is counted with
     * the sessions: a hold that would pass the memory ceiling is not made. */
    size_t bytes = len + sizeof *d + (size_t)envelope * MAX_ROUTING_ID_BYTES;
    if (!sp_sessions_hold(srv->svc->sessions, bytes)) return false;
    if (zmq_msg_init_size(&d->frames[envelope], len) != 0) {
        sp_sessions_release(srv->svc->sessions, bytes);
        return false;
    }
    d->bytes = bytes;
    memcpy(zmq_msg_data(&d->frames[envelope]), reply, len);
    for (int i = 0; i < envelope; i++) {
        zmq_msg_init(&d->frames[i]);
        zmq_msg_copy(&d->frames[i], &m->frames[i]);
    }
    d->envelope = envelope;
    d->due = sp_monotonic_seconds() + srv->svc->reply_delay_s;
    int at = srv->delayed_count;
    while (at > 0 && srv->delayed[srv->order[at - 1]].due > d->due)
        at--;
    memmove(srv->order + at + 1, srv->order + at, (size_t)(srv->delayed_count - at) * sizeof(int));
    srv->order[at] = slot;
    srv->delayed_count++;
    srv->svc->replies_delayed++;
    return true;
}

/* Whether the envelope is within MAX_ENVELOPE_FRAMES routing ids of MAX_ROUTING_ID_BYTES; when
 * it is not, it is replaced by the identity and an empty delimiter (what a DEALER or REQ
 * client reads a reply behind), so the refusal pins none of its frames. */
static bool envelope_ok(message* m, int* envelope) {
    bool ok = *envelope <= MAX_ENVELOPE_FRAMES;
    for (int i = 0; ok && i < *envelope; i++)
        ok = zmq_msg_size(&m->frames[i]) <= MAX_ROUTING_ID_BYTES;
    if (ok) return true;
    for (int i = 1; i < m->kept; i++)
        zmq_msg_close(&m->frames[i]);
    zmq_msg_init(&m->frames[1]);
    m->kept = 2;
    *envelope = 2;
    return false;
}

static void handle(sp_server* srv, message* m) {
    /* Frames up to and including the first empty one are the envelope; ROUTER always puts the
     * identity first. Without a delimiter, the identity alone is. */
    int envelope = 1;
    for (int i = 1; i < m->kept; i++) {
        if (zmq_msg_size(&m->frames[i]) == 0) {
            envelope = i + 1;
            break;
        }
    }
    int payloads = m->total - envelope;
    const void* reply;
    size_t reply_len;
    if (!envelope_ok(m, &envelope)) {
        char why[160];
        snprintf(why, sizeof why,
                 "an envelope is at most %d frames (identity and delimiter included) of at most "
                 "%d bytes each",
                 MAX_ENVELOPE_FRAMES, MAX_ROUTING_ID_BYTES);
        sp_service_refuse(srv->svc, NULL, 0, SP_E_BAD_REQUEST, why, &reply, &reply_len);
        send_reply(srv, m, envelope, reply, reply_len);
        return;
    }
    if (payloads == 1) {
        zmq_msg_t* p = &m->frames[envelope];
        /* With CURVE, the ZAP handler named the peer by its key; sessions are bound to it. */
        const char* peer = srv->auth ? zmq_msg_gets(p, "User-Id") : NULL;
        sp_service_handle_as(srv->svc, peer ? peer : "", zmq_msg_data(p), zmq_msg_size(p),
                             sp_monotonic_seconds(), &reply, &reply_len);
    } else {
        char why[128];
        snprintf(why, sizeof why, "a request is one frame after the envelope, got %d frames",
                 payloads);
        const void* first = NULL;
        size_t first_len = 0;
        if (payloads > 1 && envelope < m->kept) {
            first = zmq_msg_data(&m->frames[envelope]);
            first_len = zmq_msg_size(&m->frames[envelope]);
        }
        sp_service_refuse(srv->svc, first, first_len, SP_E_BAD_REQUEST, why, &reply, &reply_len);
    }
    if (srv->svc->wait_session) {
        /* A recv whose envs have not finished: answered by the loop when they have. */
        zmq_msg_t* p = &m->frames[envelope];
        if (sp_parked_add(srv->parked, srv->svc, m->frames, envelope)) return;
        sp_service_refuse(srv->svc, zmq_msg_data(p), zmq_msg_size(p), SP_E_NO_MEMORY,
                          "out of memory holding a recv", &reply, &reply_len);
    }
    if (srv->svc->reply_drop) {
        srv->svc->replies_dropped++; /* kept as the seq copy: the client's resend gets it */
        return;
    }
    if (srv->svc->reply_delay_s > 0 && hold_reply(srv, m, envelope, reply, reply_len)) return;
    send_reply(srv, m, envelope, reply, reply_len);
}

/* Sends every held reply that is due; returns the ms until the next one (-1: none). */
static long send_due(sp_server* srv, double now) {
    int sent = 0;
    while (sent < srv->delayed_count && srv->delayed[srv->order[sent]].due <= now) {
        struct delayed* d = &srv->delayed[srv->order[sent++]];
        sp_sessions_release(srv->svc->sessions, d->bytes);
        for (int i = 0; i <= d->envelope; i++) {
            int more = i < d->envelope ? ZMQ_SNDMORE : 0;
            if (zmq_msg_send(&d->frames[i], srv->router, more | ZMQ_DONTWAIT) < 0) {
                SP_LOG(srv->def.log_level, SP_LOG_WARN, "delayed reply dropped: %s",
                       zmq_strerror(zmq_errno()));
                for (; i <= d->envelope; i++)
                    zmq_msg_close(&d->frames[i]);
                break;
            }
        }
    }
    if (sent) {
        srv->delayed_count -= sent;
        memmove(srv->order, srv->order + sent, (size_t)srv->delayed_count * sizeof(int));
    }
    if (!srv->delayed_count) return -1;
    double ms = (srv->delayed[srv->order[0]].due - now) * 1000.0;
    return ms < 1 ? 1 : (long)ms + 1;
}

static void drain_wake_pipe(sp_server* srv) {
    char buf[64];
    while (read(srv->wake[0], buf, sizeof buf) > 0) {
    }
}

/* The parent pipe is readable: end-of-file (or an error) means every holder of its write end
 * is gone. Bytes written to it mean nothing and are dropped. */
static bool parent_gone(sp_server* srv) {
    char buf[64];
    ssize_t n = read(srv->def.parent_fd, buf, sizeof buf);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

int sp_server_run(sp_server* srv) {
    /* Reaping is checked a few times per idle timeout, and at least once a second. */
    double reap_every = srv->def.idle_timeout_s > 0 ? srv->def.idle_timeout_s / 4 : 1.0;
    if (reap_every > 1.0) reap_every = 1.0;
    if (reap_every < 0.01) reap_every = 0.01;
    long timeout_ms = (long)(reap_every * 1000);
    double next_reap = sp_monotonic_seconds() + reap_every;
    message m;
    int status = 0;
    SP_LOG(srv->def.log_level, SP_LOG_INFO, "serving with %d thread%s", srv->def.threads,
           srv->def.threads == 1 ? "" : "s");
    /* The router, the wake-up pipe, then the parent pipe and the CURVE sockets when used. */
    zmq_pollitem_t items[6] = {
        {srv->router, 0, ZMQ_POLLIN, 0},
        {NULL, srv->wake[0], ZMQ_POLLIN, 0},
        {NULL, sp_async_wake_fd(srv->svc->async), ZMQ_POLLIN, 0},
    };
    int item_count = 3, parent_at = -1, auth_at = -1;
    if (srv->def.parent_fd >= 0) {
        parent_at = item_count;
        items[item_count++] = (zmq_pollitem_t){NULL, srv->def.parent_fd, ZMQ_POLLIN, 0};
    }
    if (srv->auth) {
        auth_at = item_count;
        items[item_count++] = (zmq_pollitem_t){sp_auth_zap_socket(srv->auth), 0, ZMQ_POLLIN, 0};
        items[item_count++] = (zmq_pollitem_t){sp_auth_monitor_socket(srv->auth), 0, ZMQ_POLLIN, 0};
    }
    while (!srv->stop) {
        double now = sp_monotonic_seconds();
        long wait_ms = send_due(srv, now);
        if (wait_ms < 0 || wait_ms > timeout_ms) wait_ms = timeout_ms;
        /* Episodes end on their wall clock even when no request comes. */
        double expiry = sp_service_next_expiry(srv->svc);
        if (expiry <= now) expiry = sp_service_expire(srv->svc, now);
        if ((expiry - now) * 1000.0 < (double)wait_ms)
            wait_ms = (long)((expiry - now) * 1000.0) + 1;
        int rc = zmq_poll(items, item_count, wait_ms);
        if (rc < 0 && zmq_errno() != EINTR) {
            SP_LOG(srv->def.log_level, SP_LOG_ERROR, "poll failed: %s", zmq_strerror(zmq_errno()));
            status = -1;
            break;
        }
        if (rc > 0 && (items[1].revents & ZMQ_POLLIN)) drain_wake_pipe(srv);
        if (rc > 0 && (items[2].revents & ZMQ_POLLIN)) sp_async_drain_wake(srv->svc->async);
        if (rc > 0 && parent_at >= 0 && (items[parent_at].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) &&
            parent_gone(srv)) {
            SP_LOG(srv->def.log_level, SP_LOG_INFO, "the parent process is gone: stopping");
            break;
        }
        if (rc > 0 && auth_at >= 0 &&
            ((items[auth_at].revents | items[auth_at + 1].revents) & ZMQ_POLLIN))
            sp_auth_serve(srv->auth, sp_monotonic_seconds());
        for (int n = 0; rc > 0 && !srv->stop && n < MAX_BATCH; n++) {
            int got = receive(srv->router, &m);
            if (got < 0) {
                SP_LOG(srv->def.log_level, SP_LOG_ERROR, "receive failed: %s",
                       zmq_strerror(zmq_errno()));
                status = -1;
                break;
            }
            if (got == 0) break;
            handle(srv, &m);
            message_close(&m);
        }
        if (status != 0) break;
        /* Held recvs whose envs finished (or whose session a request just closed). */
        if (sp_parked_count(srv->parked) > 0) sp_parked_answer(srv->parked, srv->svc, srv->router);
        now = sp_monotonic_seconds();
        if (now >= next_reap) {
            sp_service_reap(srv->svc, now);
            next_reap = now + reap_every;
        }
    }
    SP_LOG(srv->def.log_level, SP_LOG_INFO, "stopping: %d session%s open",
           sp_sessions_open_count(srv->svc->sessions),
           sp_sessions_open_count(srv->svc->sessions) == 1 ? "" : "s");
    return status;
}
