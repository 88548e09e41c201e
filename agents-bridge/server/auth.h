#ifndef SANDPIT_SERVER_AUTH_H
#define SANDPIT_SERVER_AUTH_H

/* CurveZMQ access control (docs/SECURITY.md): a ZAP handler that admits only the authorized
 * client keys, and a socket monitor that reports the handshakes that never reach it (a client
 * without CURVE, or one holding the wrong server key).
 *
 * Both are sockets that the server's loop polls next to its ROUTER. Answering a ZAP request is
 * a lookup in a small table, done at once, so admitting a client never holds up requests, and
 * a handshake in progress never waits on a request either: libzmq runs it in its I/O thread
 * and waits for the ZAP reply asynchronously. */

#include <stdbool.h>

#include "sandpit/server.h"

/* A CURVE key in Z85 is 40 characters; its NUL makes 41. */
#define SP_Z85_KEY_LEN 40

typedef struct sp_auth sp_auth;

/* Binds the ZAP endpoint (inproc://zeromq.zap.01) of `ctx` with the Z85 public keys that may
 * connect. Must run before any CURVE socket of `ctx` binds. Returns NULL and a message on a
 * bad key or a socket error. Free it with sp_auth_destroy, before the context is terminated. */
sp_auth* sp_auth_create(void* ctx, const char* const* keys, int key_count, sp_log_level level,
                        char* err, size_t err_sz);

/* Watches `router` for failed handshakes. Returns 0, or -1 with a message. */
int sp_auth_watch(sp_auth* a, void* router, char* err, size_t err_sz);

/* The sockets to poll for ZMQ_POLLIN (the monitor is NULL until sp_auth_watch). */
void* sp_auth_zap_socket(const sp_auth* a);
void* sp_auth_monitor_socket(const sp_auth* a);

/* Answers every queued ZAP request and logs every queued monitor event; never waits.
 * `now` is monotonic seconds (refusals are logged at most about once a second). */
void sp_auth_serve(sp_auth* a, double now);

/* Closes both sockets. NULL is allowed. */
void sp_auth_destroy(sp_auth* a);

#endif
