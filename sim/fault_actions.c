/* Action faults (and motor strength): rewrite the action between the agent and the env, per
 * actuator channel, in list order. A discrete env's index travels as vals[0] and its "no
 * action" is the fault's `noop`; a continuous actuator's is 0 held within its bounds. */

#include "fault_internal.h"

static float zero_of(const sp_faults* fs, const fault* f, int a) {
    return fs->spec->action_kind == SP_ACTION_DISCRETE ? (float)f->def.noop : fs->zero[a];
}

/* Envs are promised in-bound actions, so a fault that moves a value clips it again. */
static float clip(const sp_faults* fs, int a, double v) {
    const sp_channel* c = &fs->spec->actuators[a];
    if (v < c->low) v = c->low;
    if (v > c->high) v = c->high;
    return (float)v;
}

void sp_fault_action_apply(sp_faults* fs, fault* f, float* vals, int t) {
    fault_state* s = FAULT_NEXT(f);
    const sp_fault_def* d = &f->def;
    const int n = f->nch;
    const uint8_t* ch = f->ch;
    switch (d->kind) {
    case SP_FAULT_ACTION_DELAY: {
        int slot = s->slot; /* t % (k + 1) */
        float* w = f->buf + (size_t)slot * (size_t)n;
        for (int c = 0; c < n; c++)
            sp_fault_hold(fs, &w[c], vals[ch[c]]);
        if (!s->active) return;
        int src = slot - d->steps; /* entry t - k; actions exist from step 1 */
        if (src < 0) src += f->slots;
        const float* r = t - d->steps >= 1 ? f->buf + (size_t)src * (size_t)n : NULL;
        for (int c = 0; c < n; c++)
            vals[ch[c]] = r ? r[c] : zero_of(fs, f, ch[c]);
        return;
    }
    case SP_FAULT_ACTION_DROP: {
        const float* prev = f->buf + (size_t)((t - 1) & 1) * (size_t)n;
        float* out = f->buf + (size_t)(t & 1) * (size_t)n;
        if (s->active) {
            for (int c = 0; c < n; c++) {
                int a = ch[c];
                float fill = d->fill == SP_DROP_PREVIOUS && t > 1 ? prev[c] : zero_of(fs, f, a);
                sp_fault_emit(fs, f, SP_FAULT_EVENT_DROP, a, vals[a], fill);
                vals[a] = fill;
                s->drops++;
            }
        }
        for (int c = 0; c < n; c++)
            sp_fault_hold(fs, &out[c], vals[ch[c]]);
        return;
    }
    case SP_FAULT_ACTION_REPEAT: {
        if (!s->active) return;
        const float* prev = f->buf + (size_t)((t - 1) & 1) * (size_t)n;
        float* held = f->buf + (size_t)(t & 1) * (size_t)n;
        if (s->hold_left > 0) {
            for (int c = 0; c < n; c++) {
                vals[ch[c]] = prev[c];
                sp_fault_hold(fs, &held[c], prev[c]);
            }
            s->hold_left--;
        } else {
            for (int c = 0; c < n; c++)
                sp_fault_hold(fs, &held[c], vals[ch[c]]);
            s->hold_left = d->steps;
        }
        return;
    }
    case SP_FAULT_ACTION_NOISE:
        if (!s->active) return;
        for (int c = 0; c < n; c++)
            vals[ch[c]] =
                clip(fs, ch[c], (double)vals[ch[c]] + d->sigma * sp_fault_normal_ready(&s->rng));
        return;
    case SP_FAULT_MOTOR:
        if (!s->active) return;
        for (int c = 0; c < n; c++)
            vals[ch[c]] = clip(fs, ch[c], (double)vals[ch[c]] * s->factor + d->offset);
        return;
    default:
        return;
    }
}
