#ifndef SANDPIT_SERVER_PARKED_H
#define SANDPIT_SERVER_PARKED_H

/* recv requests the loop holds until their session's envs have finished (ops_async.c): each
 * keeps a copy of its envelope, to send the answer behind when it is ready. At most one per
 * session (a second recv is refused), so the list is bounded by the session limit. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "service.h"

typedef struct sp_parked sp_parked;

/* An empty list; NULL when out of memory. */
sp_parked* sp_parked_create(void);

/* Drops every held request unanswered. NULL allowed. */
void sp_parked_destroy(sp_parked* p);

/* Holds the recv just handled (svc->wait_session) behind a copy of `envelope[0..count)`.
 * False when out of memory: the caller answers it with an error instead. */
bool sp_parked_add(sp_parked* p, const sp_service* svc, zmq_msg_t* envelope, int count);

/* Answers, on `router`, every held recv whose envs have finished or whose session is gone. */
void sp_parked_answer(sp_parked* p, sp_service* svc, void* router);

int sp_parked_count(const sp_parked* p);

#endif
