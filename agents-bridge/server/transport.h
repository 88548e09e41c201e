#ifndef SANDPIT_SERVER_TRANSPORT_H
#define SANDPIT_SERVER_TRANSPORT_H

/* Transport faults: a step's reply delayed by `delay_ms` (reply_delay) or not sent at all
 * (reply_drop), applied by the server loop, never by the episode runtime.
 *
 * They are declared in the session's `faults` list at make like any other kind, with the
 * same schedule fields (kind numbers 64 and 65, see docs/FAULTS.md), but they are split out
 * of the list here, before the episode codec sees it: they are the server's config, not the
 * episode's. The schedule's step t is env 0's episode step after the step (0 at reset, n
 * after its n-th step); a probability schedule draws from a stream of (env 0's episode
 * seed, the fault's index, t). They change nothing in the simulation, so they are in no
 * replay and no hash; they are counted in stats (replies_delayed, replies_dropped). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/faults.h"

#define SP_TRANSPORT_REPLY_DELAY 64
#define SP_TRANSPORT_REPLY_DROP 65
#define SP_TRANSPORT_MAX_FAULTS 8
#define SP_TRANSPORT_MAX_DELAY_MS 60000

typedef struct sp_transport_fault {
    int kind;
    int index; /* in the make's faults list */
    double delay_s;
    sp_fault_schedule schedule;
} sp_transport_fault;

/* Plain data: freed with free(). */
typedef struct sp_transport {
    int count;
    sp_transport_fault faults[SP_TRANSPORT_MAX_FAULTS];
} sp_transport;

/* Whether `name` (NUL-terminated) is a transport fault kind; its number or 0. */
int sp_transport_kind(const char* name);

/* Splits a make's `faults` list (its msgpack bytes): the transport faults are decoded into
 * `*out` (allocated; NULL when there are none), and the others re-packed as a list into
 * `*rest`/`*rest_len` (malloc'ed, the caller frees; NULL when there were no transport faults:
 * the list is then used as it was). SP_E_BAD_REQUEST with a message naming the field. */
int sp_transport_split(const uint8_t* raw, size_t len, sp_transport** out, uint8_t** rest,
                       size_t* rest_len, char* err, size_t err_sz);

struct sp_service;
struct sp_session;
/* After a step: sets the service's reply delay or drop from the session's schedules. */
void sp_transport_apply(struct sp_service* svc, struct sp_session* s);

#endif
