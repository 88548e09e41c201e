/* One line per fault for the HUD, plot legends and reports, written from the fault tables so a
 * new parameter shows up without touching this file. */

#include <stdarg.h>
#include <stdio.h>

#include "sandpit/playback.h"

static void append(char* buf, size_t buf_sz, size_t* used, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends to buf at *used, never past buf_sz. */
static void append(char* buf, size_t buf_sz, size_t* used, const char* fmt, ...) {
    if (*used >= buf_sz) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, buf_sz - *used, fmt, ap);
    va_end(ap);
    if (n > 0) *used += (size_t)n;
}

void sp_fault_describe(const sp_fault_def* f, char* buf, size_t buf_sz) {
    if (!buf_sz) return;
    buf[0] = '\0';
    if (!f) return;
    size_t used = 0;
    const char* kind = sp_fault_kind_name(f->kind);
    append(buf, buf_sz, &used, "%s", kind ? kind : "?");
    sp_fault_domain domain = sp_fault_kind_domain(f->kind);
    if (domain == SP_FAULT_SENSOR || domain == SP_FAULT_ACTION)
        append(buf, buf_sz, &used, " %s", f->target ? f->target : "*");
    int count;
    const sp_fault_field* params = sp_fault_params(&count);
    for (int i = 0; i < count; i++) {
        const sp_fault_field* p = &params[i];
        if (!(p->applies & SP_FAULT_BIT(f->kind))) continue;
        double v = sp_fault_field_get(p, f);
        if (p->type == SP_FAULT_CHOICE && v >= 0.0)
            append(buf, buf_sz, &used, " %s=%s", p->name, p->choices[(int)v]);
        else
            append(buf, buf_sz, &used, " %s=%g", p->name, v);
    }
    const sp_fault_schedule* s = &f->schedule;
    const char* type = sp_fault_schedule_type_name(s->type);
    if (s->type == SP_SCHEDULE_PROBABILITY)
        append(buf, buf_sz, &used, " p=%g for %d", s->probability, s->duration);
    else if (s->type == SP_SCHEDULE_PERIODIC)
        append(buf, buf_sz, &used, " %d of every %d", sp_fault_schedule_duty(s), s->period);
    else if (s->type != SP_SCHEDULE_WINDOW)
        append(buf, buf_sz, &used, " %s", type ? type : "?");
    if (s->end != INT_MAX)
        append(buf, buf_sz, &used, " steps %d..%d", s->start, s->end - 1);
    else if (s->start > 0)
        append(buf, buf_sz, &used, " from step %d", s->start);
}
