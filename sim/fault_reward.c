/* Reward delay. The reward of step t is paid at step t + k while the fault is active; when
 * its window closes everything owed is paid at once, and the episode's last step pays all
 * that is still owed, so a delay moves reward in time but never loses or invents any: the
 * episode return is the clean one. */

#include "fault_internal.h"

double sp_fault_reward_apply(sp_faults* fs, fault* f, fault_state* s, double reward, int t,
                             bool last) {
    sp_fault_hold_f64(fs, &f->dbuf[t % f->slots], reward);
    int upto = s->active && !last ? t - f->def.steps : t;
    double paid = 0.0;
    for (int k = s->owed_from; k <= upto; k++)
        paid += f->dbuf[k % f->slots];
    if (upto >= s->owed_from) s->owed_from = upto + 1;
    return paid;
}
