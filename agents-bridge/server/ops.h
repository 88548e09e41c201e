#ifndef SANDPIT_SERVER_OPS_H
#define SANDPIT_SERVER_OPS_H

/* The op handlers. Each validates the whole request first, then does the work and packs a
 * success reply into svc->pk (sp_pack_ok first); or returns an sp_error with a message in
 * `err`, after which the service discards anything packed and sends an error reply instead.
 * The table that names them is in service.c. */

#include "codec.h"
#include "service.h"

typedef int (*sp_op_fn)(sp_service* svc, const sp_request* req, char* err, size_t err_sz);

int sp_op_ping(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_hello(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_stats(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_make(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_reset(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_close(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_step(sp_service* svc, const sp_request* req, char* err, size_t err_sz);
int sp_op_render(sp_service* svc, const sp_request* req, char* err, size_t err_sz);

/* An episode runtime failure as a wire code: the runtime's client-facing codes pass through,
 * anything else is the server's own fault (internal). */
int sp_wire_code(int rc);

#endif
