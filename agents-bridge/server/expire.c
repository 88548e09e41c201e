/* Ending quiet episodes on time (expire.h). The scan runs when the earliest deadline it last
 * saw has come, or an op started episodes that may end sooner; it reads one deadline per
 * guarded env, so a server with no short wall clock pays for it about once an hour. */

#include "expire.h"

#include <math.h>

#include "layers.h"
#include "log.h"

typedef struct scan {
    sp_service* svc;
    double now;
    double next;
} scan;

static void expire_session(sp_session* s, void* ctx) {
    scan* sc = ctx;
    sp_session_cfg* c = s->cfg;
    /* Envs in flight are a runner thread's until received (async.h). */
    if (!s->started || !c || !c->has_guard || sp_async_pending(s->async) > 0) return;
    for (int i = 0; i < c->num_envs; i++) {
        sp_guard* g = c->layers[i].guard;
        if (c->expired[i] || !g) continue;
        double deadline = sp_guard_wall_deadline(g);
        if (deadline > sc->now) {
            if (deadline < sc->next) sc->next = deadline;
            continue;
        }
        int rc = sp_guard_expire(g, &c->expiry[i]);
        if (rc == 1) {
            c->expired[i] = 1;
            sc->svc->episodes_expired++;
            SP_LOG(sc->svc->def.log_level, SP_LOG_INFO,
                   "session %llu: env %d's wall clock ran out after step %d while its agent was "
                   "quiet: episode ended",
                   (unsigned long long)s->id, i, c->expiry[i].step - 1);
        } else if (rc == 0) {
            /* Not yet by the guard's own reading: look again soon. */
            if (deadline < sc->next) sc->next = deadline;
        } else {
            SP_LOG(sc->svc->def.log_level, SP_LOG_WARN, "session %llu: env %d: expiry failed: %s",
                   (unsigned long long)s->id, i, sp_error_name(rc));
        }
    }
}

double sp_service_expire(sp_service* svc, double now) {
    scan sc = {svc, now, INFINITY};
    sp_sessions_each(svc->sessions, expire_session, &sc);
    /* A deadline the guard judged not yet passed is looked at again no sooner than 1 ms on. */
    if (sc.next <= now) sc.next = now + 1e-3;
    svc->next_expiry = sc.next;
    return sc.next;
}

double sp_service_next_expiry(const sp_service* svc) {
    return svc->next_expiry;
}

void sp_service_note_episodes(sp_service* svc, const sp_session* s) {
    const sp_session_cfg* c = s->cfg;
    if (!c || !c->has_guard) return;
    double w = c->make->has_guard ? c->make->guard.wall_clock_s : 0.0;
    if (c->overridden_count > 0 && c->over && c->over->has_guard &&
        c->over->guard.wall_clock_s > 0.0 && (!(w > 0.0) || c->over->guard.wall_clock_s < w))
        w = c->over->guard.wall_clock_s;
    if (w > 0.0 && svc->now + w < svc->next_expiry) svc->next_expiry = svc->now + w;
}
