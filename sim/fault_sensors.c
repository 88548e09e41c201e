/* Sensor faults: rewrite the observation the agent sees, channel by channel, in list order
 * (each fault sees the output of the ones before it). Arithmetic is done in double and
 * rounded to float once, so a test can predict every value exactly. */

#include <math.h>

#include "fault_internal.h"

void sp_fault_sensor_apply(sp_faults* fs, fault* f, float* obs, int t) {
    fault_state* s = FAULT_NOW(f);
    const sp_fault_def* d = &f->def;
    const int n = f->nch;
    const uint8_t* ch = f->ch;
    switch (d->kind) {
    case SP_FAULT_DELAY: {
        /* Every reading is kept, active or not, so a window that opens late already has
         * its history; before step t - k existed the first reading stands in. */
        int slot = s->slot; /* entry t lives in slot t % (k + 1) */
        float* w = f->buf + (size_t)slot * (size_t)n;
        for (int c = 0; c < n; c++)
            sp_fault_hold(fs, &w[c], obs[ch[c]]);
        if (!s->active) return;
        int src = t >= d->steps ? slot - d->steps : 0; /* entry max(t - k, 0), no division */
        if (src < 0) src += f->slots;
        const float* r = f->buf + (size_t)src * (size_t)n;
        for (int c = 0; c < n; c++)
            obs[ch[c]] = r[c];
        return;
    }
    case SP_FAULT_OUTAGE:
        if (!s->active) {
            for (int c = 0; c < n; c++)
                sp_fault_hold(fs, &f->buf[c], obs[ch[c]]); /* the last good value */
            return;
        }
        for (int c = 0; c < n; c++) {
            fs->valid[ch[c]] = 0;
            obs[ch[c]] = d->mode == SP_OUTAGE_HOLD  ? f->buf[c]
                         : d->mode == SP_OUTAGE_NAN ? NAN
                                                    : 0.0f;
        }
        return;
    case SP_FAULT_NOISE:
        if (!s->active) return;
        for (int c = 0; c < n; c++)
            obs[ch[c]] = (float)((double)obs[ch[c]] + d->sigma * sp_fault_normal_ready(&s->rng));
        return;
    case SP_FAULT_STUCK:
        if (!s->active) return;
        if (s->opened == t)
            for (int c = 0; c < n; c++)
                sp_fault_hold(fs, &f->buf[c], obs[ch[c]]);
        for (int c = 0; c < n; c++)
            obs[ch[c]] = f->buf[c];
        return;
    case SP_FAULT_BIAS:
        if (!s->active) return;
        for (int c = 0; c < n; c++)
            obs[ch[c]] = (float)((double)obs[ch[c]] + d->offset);
        return;
    case SP_FAULT_DRIFT: {
        if (!s->active) return;
        /* rate x steps, never a running sum: the offset carries no accumulated rounding. */
        double offset = d->rate * (double)(t - s->opened);
        for (int c = 0; c < n; c++)
            obs[ch[c]] = (float)((double)obs[ch[c]] + offset);
        return;
    }
    case SP_FAULT_SPIKES:
        if (!s->active) return;
        for (int c = 0; c < n; c++) {
            /* One draw per channel and step: 53 bits decide whether, the lowest the sign. */
            uint64_t r = sp_rng_next(&s->rng);
            if ((double)(r >> 11) * 0x1.0p-53 >= d->probability) continue;
            float before = obs[ch[c]];
            double spike = (r & 1u) ? -d->magnitude : d->magnitude;
            obs[ch[c]] = (float)((double)before + spike);
            f->events++;
            sp_fault_emit(fs, f, SP_FAULT_EVENT_SPIKE, ch[c], obs[ch[c]], before);
        }
        return;
    default:
        return;
    }
}
