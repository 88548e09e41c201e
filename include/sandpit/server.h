#ifndef SANDPIT_SERVER_H
#define SANDPIT_SERVER_H

/* The sandpit server: one ZeroMQ ROUTER socket speaking docs/PROTOCOL.md, a table of sessions
 * (each a batch of episodes of one env), and a pool of threads that steps large batches.
 *
 *   sp_server_def def = sp_default_server_def();
 *   def.max_sessions = 64;
 *   sp_server* srv = sp_server_create(&def, err, sizeof err);
 *   sp_server_run(srv);       // until sp_server_stop, e.g. from a signal handler
 *   sp_server_destroy(srv);
 *
 * The server trusts no client: every request is checked (size, types, shapes, ranges) and a
 * bad one gets an error reply while everyone else keeps being served. */

#include <stddef.h>

/* Log levels: each includes the ones before it. */
typedef enum sp_log_level { SP_LOG_ERROR = 0, SP_LOG_WARN = 1, SP_LOG_INFO = 2 } sp_log_level;

/* The wire protocol version this server speaks (docs/PROTOCOL.md). */
#define SP_PROTOCOL_VERSION 1

#define SP_SERVER_MAX_BINDS 16
#define SP_SERVER_MAX_THREADS 64
/* Bounds of max_memory_bytes. */
#define SP_SERVER_MIN_MEMORY ((size_t)16 << 20)
#define SP_SERVER_MAX_MEMORY ((size_t)1 << 44)
#define SP_SERVER_MAX_STEP_RATE 1e9

typedef struct sp_server_def {
    /* ZeroMQ endpoints to bind: "tcp://127.0.0.1:5555", "tcp://127.0.0.1:*" (a free port,
     * see sp_server_endpoint), "ipc:///tmp/sandpit.sock". The strings are copied. */
    const char* const* binds;
    int bind_count;
    size_t max_message_bytes; /* larger requests get `too_large`; twice this drops the peer */
    int max_sessions;         /* open sessions at once */
    int max_envs_per_session; /* num_envs of one `make` */
    int max_total_envs;       /* envs over all open sessions */
    double idle_timeout_s;    /* sessions idle this long are closed; 0 never */
    int threads;              /* stepping threads, the loop's own included */
    sp_log_level log_level;
    /* Memory ceiling: `make` is refused (limit_exceeded) when the estimated cost of all
     * sessions, or the resident size plus a new session's estimate, would pass it. */
    size_t max_memory_bytes;
    /* `step` and `reset` requests per second per session (a token bucket holding one second's
     * worth); over it a request gets `rate_limited`. 0: no limit. */
    double max_step_rate;
    /* CurveZMQ: the server's secret key in Z85 (40 characters), or NULL for no encryption and
     * no authentication. With it, only clients whose public key (Z85) is one of
     * `authorized_keys` are served, and a session answers only the key that made it. The
     * strings are copied. */
    const char* curve_secret_key;
    const char* const* authorized_keys;
    int authorized_key_count;
    /* The only directory below which clients may have replays recorded (`make`'s
     * `record.dir` is resolved against it; `..` and absolute paths outside it are refused).
     * NULL: recording over the wire is refused. Not copied: it must outlive the server. */
    const char* record_root;
    /* The read end of a pipe whose write end only the server's parent holds, or -1 (the
     * default): none. The server stops, as on sp_server_stop, once it reads end-of-file there,
     * i.e. when every holder of the write end is gone: a private server dies with its parent
     * however the parent ends (kill -9 included). Not closed by the server. */
    int parent_fd;
} sp_server_def;

/* tcp://127.0.0.1:5555, 8 MiB messages, 256 sessions, 4096 envs per session, 16384 envs in
 * all, 600 s idle timeout, one thread per online CPU (at most SP_SERVER_MAX_THREADS),
 * log level warn, a memory ceiling of half the physical memory but at most 4 GiB, no step
 * rate limit, no CURVE, no parent pipe. */
sp_server_def sp_default_server_def(void);

typedef struct sp_server sp_server;

/* Validates the def, binds every endpoint and starts the worker threads. Returns NULL and a
 * message in `err` on a bad def or a failed bind. The caller owns the result:
 * sp_server_destroy. */
sp_server* sp_server_create(const sp_server_def* def, char* err, size_t err_sz);

/* The endpoints actually bound, in --bind order, with wildcards resolved
 * ("tcp://127.0.0.1:41873"). Owned by the server. */
int sp_server_endpoint_count(const sp_server* srv);
const char* sp_server_endpoint(const sp_server* srv, int index);

/* Serves requests until sp_server_stop. Returns 0, or -1 when the socket failed. */
int sp_server_run(sp_server* srv);

/* Asks sp_server_run to return. Async-signal-safe: a flag and one write to a pipe. */
void sp_server_stop(sp_server* srv);

/* Closes every session, stops the threads, closes the socket. NULL is allowed. */
void sp_server_destroy(sp_server* srv);

#endif
