/* Fault schedules: when a fault is active. Step t is 0 at reset and n after the n-th step. */

#include <math.h>
#include <stdio.h>

#include "fault_internal.h"
#include "sandpit/error.h"

static int fail(char* err, size_t err_sz, int index, const char* field, const char* what) {
    if (err && err_sz) snprintf(err, err_sz, "faults[%d].schedule.%s: %s", index, field, what);
    return SP_E_BAD_ARGUMENT;
}

int sp_fault_schedule_duty(const sp_fault_schedule* s) {
    if (s->type != SP_SCHEDULE_PERIODIC) return 0;
    if (s->duty != SP_FAULT_UNSET_INT) return s->duty;
    /* Rounded half up, so a fraction of a period means the same on every platform. */
    return (int)floor(s->duty_fraction * (double)s->period + 0.5);
}

int sp_fault_schedule_check(const sp_fault_schedule* s, int index, char* err, size_t err_sz) {
    char what[160];
    if (!sp_fault_schedule_type_name((int)s->type)) {
        snprintf(what, sizeof what, "unknown schedule type %d", (int)s->type);
        return fail(err, err_sz, index, "type", what);
    }
    if (s->start == SP_FAULT_UNSET_INT || s->start < 0) {
        snprintf(what, sizeof what, "must be a step >= 0 (got %d)", s->start);
        return fail(err, err_sz, index, "start", what);
    }
    if (s->end == SP_FAULT_UNSET_INT || s->end <= s->start) {
        snprintf(what, sizeof what, "must be greater than start: the window [%d, %d) is empty",
                 s->start, s->end);
        return fail(err, err_sz, index, "end", what);
    }
    if (s->type == SP_SCHEDULE_PROBABILITY) {
        if (sp_fault_real_unset(s->probability))
            return fail(err, err_sz, index, "probability", "a probability schedule needs it");
        if (!(s->probability >= 0.0 && s->probability <= 1.0)) {
            snprintf(what, sizeof what, "must be within [0, 1] (got %g)", s->probability);
            return fail(err, err_sz, index, "probability", what);
        }
        if (s->duration < 1) {
            snprintf(what, sizeof what, "must be a number of steps >= 1 (got %d)", s->duration);
            return fail(err, err_sz, index, "duration", what);
        }
    }
    if (s->type == SP_SCHEDULE_PERIODIC) {
        if (s->period == SP_FAULT_UNSET_INT)
            return fail(err, err_sz, index, "period", "a periodic schedule needs it");
        if (s->period < 1) {
            snprintf(what, sizeof what, "must be a number of steps >= 1 (got %d)", s->period);
            return fail(err, err_sz, index, "period", what);
        }
        bool steps = s->duty != SP_FAULT_UNSET_INT,
             fraction = !sp_fault_real_unset(s->duty_fraction);
        if (steps == fraction)
            return fail(err, err_sz, index, steps ? "duty_fraction" : "duty",
                        "a periodic schedule takes exactly one of duty (steps) and duty_fraction");
        if (steps && (s->duty < 1 || s->duty > s->period)) {
            snprintf(what, sizeof what, "must be within [1, period = %d] (got %d)", s->period,
                     s->duty);
            return fail(err, err_sz, index, "duty", what);
        }
        if (fraction && !(s->duty_fraction > 0.0 && s->duty_fraction <= 1.0)) {
            snprintf(what, sizeof what, "must be within (0, 1] (got %g)", s->duty_fraction);
            return fail(err, err_sz, index, "duty_fraction", what);
        }
        if (fraction && sp_fault_schedule_duty(s) < 1) {
            snprintf(what, sizeof what, "%g of %d steps rounds to no step at all", s->duty_fraction,
                     s->period);
            return fail(err, err_sz, index, "duty_fraction", what);
        }
    }
    return SP_OK;
}
