/* Validation of one fault def against an env spec: every message names the fault's index and
 * field the way the wire dict spells it ("faults[2].schedule.end: ..."), because the person
 * reading it wrote a Python dict, not C. */

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fault_internal.h"
#include "sandpit/error.h"

/* Physics factors and offsets beyond this are typos, and keep drift x steps finite. */
#define PHYSICS_LIMIT 1e6

static const char* const gravity_names[] = {"x", "y"};
static const char* const discrete_names[] = {"action"};

static int fail(char* err, size_t err_sz, int index, const char* field, const char* fmt, ...) {
    if (err && err_sz) {
        int n = snprintf(err, err_sz, "faults[%d].%s: ", index, field);
        if (n >= 0 && (size_t)n < err_sz) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, err_sz - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return SP_E_BAD_ARGUMENT;
}

/* The channels a kind may target, their count, and what to call them in a message. */
static int channels(const sp_env_spec* spec, sp_fault_kind kind, const char** names,
                    const char** what) {
    sp_fault_domain domain = sp_fault_kind_domain(kind);
    if (domain == SP_FAULT_SENSOR) {
        *what = "sensor";
        for (int i = 0; i < spec->sensor_count; i++)
            names[i] = spec->sensors[i].name;
        return spec->sensor_count;
    }
    if (domain == SP_FAULT_ACTION || kind == SP_FAULT_MOTOR) {
        *what = "actuator";
        if (spec->action_kind == SP_ACTION_DISCRETE) {
            names[0] = discrete_names[0];
            return 1;
        }
        for (int i = 0; i < spec->actuator_count; i++)
            names[i] = spec->actuators[i].name;
        return spec->actuator_count;
    }
    if (kind == SP_FAULT_GRAVITY) {
        *what = "gravity component";
        names[0] = gravity_names[0];
        names[1] = gravity_names[1];
        return 2;
    }
    *what = "channel";
    return 0;
}

static int check_target(const sp_fault_def* d, int index, const sp_env_spec* spec, uint8_t* ch,
                        int* nch, char* err, size_t err_sz) {
    const char* target = d->target ? d->target : "*";
    size_t len = strlen(target);
    if (len == 0 || len > SP_FAULT_MAX_TARGET)
        return fail(err, err_sz, index, "target", "must be a glob of 1 to %d characters",
                    SP_FAULT_MAX_TARGET);
    const char* names[SP_MAX_SENSORS];
    const char* what;
    int n = channels(spec, d->kind, names, &what);
    *nch = 0;
    if (n == 0) {
        if (strcmp(target, "*"))
            return fail(err, err_sz, index, "target",
                        "%s acts on the whole %s and takes no target (got \"%s\"); leave it "
                        "out or use \"*\"",
                        sp_fault_kind_name(d->kind),
                        d->kind == SP_FAULT_REWARD_DELAY                   ? "reward"
                        : sp_fault_kind_domain(d->kind) == SP_FAULT_PIXELS ? "frame"
                                                                           : "world",
                        target);
        return SP_OK;
    }
    for (int i = 0; i < n; i++)
        if (fnmatch(target, names[i], 0) == 0) ch[(*nch)++] = (uint8_t)i;
    if (*nch == 0) {
        char list[256];
        size_t used = 0;
        list[0] = '\0';
        for (int i = 0; i < n && used + 1 < sizeof list; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
            if (w < 0) break;
            used += (size_t)w;
        }
        return fail(err, err_sz, index, "target", "\"%s\" matches no %s of %s (%s)", target, what,
                    spec->id, list);
    }
    return SP_OK;
}

static bool choice_ok(const sp_fault_field* f, double v) {
    int n = 0;
    while (f->choices[n])
        n++;
    return v >= 0.0 && v < (double)n;
}

/* Checks every param the kind takes: given when required, finite, a known choice. */
static int check_fields(const sp_fault_def* d, int index, char* err, size_t err_sz) {
    int count;
    const sp_fault_field* table = sp_fault_params(&count);
    const char* kind = sp_fault_kind_name(d->kind);
    for (int i = 0; i < count; i++) {
        const sp_fault_field* f = &table[i];
        if (!(f->applies & SP_FAULT_BIT(d->kind))) continue;
        double v = sp_fault_field_get(f, d);
        bool unset = f->type == SP_FAULT_REAL ? isnan(v) : v == (double)SP_FAULT_UNSET_INT;
        if (unset && (f->required & SP_FAULT_BIT(d->kind)))
            return fail(err, err_sz, index, f->name, "%s needs it", kind);
        if (f->type == SP_FAULT_REAL && !isfinite(v))
            return fail(err, err_sz, index, f->name, "must be a finite number (got %g)", v);
        if (f->type == SP_FAULT_CHOICE && !choice_ok(f, v)) {
            char names[128];
            size_t used = 0;
            names[0] = '\0';
            for (int c = 0; f->choices[c] && used + 1 < sizeof names; c++) {
                int w = snprintf(names + used, sizeof names - used, "%s%s", c ? ", " : "",
                                 f->choices[c]);
                if (w < 0) break;
                used += (size_t)w;
            }
            return fail(err, err_sz, index, f->name, "must be one of %s (got %g)", names, v);
        }
    }
    return SP_OK;
}

static int check_kind_params(const sp_fault_def* d, int index, const sp_env_spec* spec, char* err,
                             size_t err_sz) {
    const char* kind = sp_fault_kind_name(d->kind);
    bool discrete = spec->action_kind == SP_ACTION_DISCRETE;
    if (SP_FAULT_BIT(d->kind) & SP_FAULT_STEP_KINDS) {
        int lo = d->kind == SP_FAULT_ACTION_REPEAT ? 1 : 0;
        int hi = d->kind == SP_FAULT_FRAME_DELAY ? SP_FAULT_MAX_FRAME_DELAY : SP_FAULT_MAX_STEPS;
        if (d->steps < lo || d->steps > hi)
            return fail(err, err_sz, index, "steps", "must be within [%d, %d] (got %d)", lo, hi,
                        d->steps);
    }
    switch (d->kind) {
    case SP_FAULT_OCCLUSION:
        if (!(d->size > 0.0 && d->size <= 1.0))
            return fail(err, err_sz, index, "size", "must be within (0, 1] (got %g)", d->size);
        break;
    case SP_FAULT_NOISE:
    case SP_FAULT_PIXEL_NOISE:
    case SP_FAULT_ACTION_NOISE:
        if (d->sigma < 0.0)
            return fail(err, err_sz, index, "sigma", "must be >= 0 (got %g)", d->sigma);
        break;
    case SP_FAULT_SPIKES:
        if (!(d->probability >= 0.0 && d->probability <= 1.0))
            return fail(err, err_sz, index, "probability", "must be within [0, 1] (got %g)",
                        d->probability);
        if (d->magnitude < 0.0)
            return fail(err, err_sz, index, "magnitude", "must be >= 0 (got %g)", d->magnitude);
        break;
    default:
        break;
    }
    if (d->kind == SP_FAULT_ACTION_DELAY || d->kind == SP_FAULT_ACTION_DROP) {
        if (discrete && (d->noop < 0 || d->noop >= spec->action_count))
            return fail(err, err_sz, index, "noop", "must be an action of %s, 0..%d (got %d)",
                        spec->id, spec->action_count - 1, d->noop);
    }
    if ((d->kind == SP_FAULT_ACTION_NOISE || d->kind == SP_FAULT_MOTOR) && discrete)
        return fail(err, err_sz, index, "kind",
                    "%s needs continuous actuators; %s's action is a discrete index", kind,
                    spec->id);
    if (SP_FAULT_BIT(d->kind) & SP_FAULT_PHYSICS_KINDS) {
        const struct {
            const char* name;
            double v;
        } vals[] = {
            {"scale", d->scale}, {"offset", d->offset}, {"drift", d->drift}, {"walk", d->walk}};
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
            if (fabs(vals[i].v) > PHYSICS_LIMIT)
                return fail(err, err_sz, index, vals[i].name, "must be within +-%g (got %g)",
                            PHYSICS_LIMIT, vals[i].v);
        if (d->walk < 0.0)
            return fail(err, err_sz, index, "walk", "must be >= 0 (got %g)", d->walk);
        if (d->update == SP_UPDATE_EPISODE && d->drift != 0.0)
            return fail(err, err_sz, index, "drift",
                        "must be 0 with update \"episode\": the factor is drawn once per window");
    }
    return SP_OK;
}

int sp_fault_check(const sp_fault_def* d, int index, const sp_env_spec* spec, uint8_t* ch, int* nch,
                   char* err, size_t err_sz) {
    if (!sp_fault_kind_name((int)d->kind))
        return fail(err, err_sz, index, "kind", "unknown kind %d", (int)d->kind);
    int rc;
    if ((rc = check_target(d, index, spec, ch, nch, err, err_sz)) != 0) return rc;
    if ((rc = check_fields(d, index, err, err_sz)) != 0) return rc;
    if ((rc = check_kind_params(d, index, spec, err, err_sz)) != 0) return rc;
    return sp_fault_schedule_check(&d->schedule, index, err, err_sz);
}
