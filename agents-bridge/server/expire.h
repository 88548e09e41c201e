#ifndef SANDPIT_SERVER_EXPIRE_H
#define SANDPIT_SERVER_EXPIRE_H

/* Episodes end on their wall clock whether or not their agent steps (docs/GUARDRAILS.md): the
 * loop asks the service, between requests, to end those whose clock ran out. Each such episode
 * takes the step its quiet agent did not send (sp_guard_expire: nothing simulated, truncated,
 * recorded and replayable), and its result waits in the session for the client's next step,
 * whose reply reports it for that env instead of stepping it. */

#include "service.h"

/* Ends every running episode whose wall clock ran out by `now` (monotonic seconds). Returns
 * the time of the next deadline to watch (INFINITY: none), which is also kept in the service
 * for sp_service_next_expiry. */
double sp_service_expire(sp_service* svc, double now);

/* When the loop should call sp_service_expire next. */
double sp_service_next_expiry(const sp_service* svc);

/* After a reset or step of `s` at svc->now: its new episodes' deadlines come no sooner than
 * their wall clock from now, so the next check is moved up to that if it was later. O(1). */
void sp_service_note_episodes(sp_service* svc, const sp_session* s);

#endif
