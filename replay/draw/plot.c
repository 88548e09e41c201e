/* Strip charts: one value per step over a whole episode, on the same step columns as the
 * timeline, so the cursor, a click and a mark line up across the bar and every chart.
 *
 * Exact like the rest of sp_draw: lines are capsules of a fixed width, no blending; bands,
 * marks and lines use colours from the 6x6x6 cube, so a GIF or PNG of a chart is lossless. */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "columns.h"
#include "sandpit/draw.h"

static const sp_rgb chart_background = {0, 0, 0};
static const sp_rgb chart_rule = {51, 51, 51};
static const sp_rgb chart_text = {255, 255, 255};
static const sp_rgb chart_scale_text = {153, 153, 153};
static const sp_rgb greyed = {102, 102, 102};
static const sp_rgb guard_line = {255, 51, 51};
static const sp_rgb diverge_line = {255, 0, 255};
static const sp_rgb cursor_line = {255, 255, 255};

/* Fault colours: bright for text and the timeline, and a dark tint of the same hue. */
static const sp_rgb fault_bright[] = {
    {255, 204, 0}, {51, 204, 204}, {153, 255, 102}, {204, 153, 255}, {255, 153, 51},
};
static const sp_rgb fault_dark[] = {
    {51, 51, 0}, {0, 51, 51}, {0, 51, 0}, {51, 0, 102}, {51, 0, 0},
};
#define FAULT_COLORS ((int)(sizeof fault_bright / sizeof fault_bright[0]))

#define LINE_HALF_WIDTH 0.6
#define TITLE_H (SP_FONT_CELL_H + 3)
#define BOTTOM_PAD 2

sp_rgb sp_draw_fault_color(int index) {
    return fault_bright[(index < 0 ? 0 : index) % FAULT_COLORS];
}

sp_rgb sp_draw_fault_band(int index) {
    return fault_dark[(index < 0 ? 0 : index) % FAULT_COLORS];
}

static int step_centre(int s, int width, int step_count) {
    int x0, x1;
    sp_step_columns(s, width, step_count, &x0, &x1);
    return (x0 + x1 - 1) / 2;
}

/* The range of every finite value; widened when flat, so a constant draws mid-height. */
static bool value_range(const sp_chart* c, double* lo, double* hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < c->series_count; i++) {
        const sp_chart_series* s = &c->series[i];
        if (!s->values) continue;
        for (int k = 0; k <= s->count; k++) {
            double v = s->values[k];
            if (!isfinite(v)) continue;
            if (v < *lo) *lo = v;
            if (v > *hi) *hi = v;
        }
    }
    if (!(*lo <= *hi)) return false;
    if (*hi - *lo < 1e-9 * fmax(1.0, fabs(*hi))) {
        double pad = fmax(0.5, fabs(*hi) * 0.1);
        *lo -= pad;
        *hi += pad;
    }
    return true;
}

static double value_y(double v, double lo, double hi, int top, int bottom) {
    return (double)bottom - (v - lo) / (hi - lo) * (double)(bottom - top);
}

static void vertical(sp_image* img, int x, int top, int bottom, sp_rgb c) {
    sp_draw_rect(img, x, top, 1, bottom - top, c);
}

static void draw_series(sp_image* img, const sp_chart* c, const sp_chart_series* s, double lo,
                        double hi, int top, int bottom) {
    if (!s->values) return;
    int w = img->width;
    for (int k = 0; k <= s->count && k <= c->step_count; k++) {
        double v = s->values[k];
        if (!isfinite(v)) continue;
        sp_rgb col = (s->valid && !s->valid[k]) ? greyed : s->color;
        double x = (double)step_centre(k, w, c->step_count) + 0.5;
        double y = value_y(v, lo, hi, top, bottom);
        double prev = k > 0 ? s->values[k - 1] : NAN;
        if (isfinite(prev)) {
            double px = (double)step_centre(k - 1, w, c->step_count) + 0.5;
            sp_draw_capsule(img, px, value_y(prev, lo, hi, top, bottom), x, y, LINE_HALF_WIDTH,
                            col);
        } else {
            sp_draw_disc(img, x, y, 1.0, col);
        }
    }
}

static void format_value(char* buf, size_t n, double v) {
    snprintf(buf, n, "%.4g", v);
}

void sp_draw_chart(sp_image* img, const sp_chart* c) {
    int w = img->width, h = img->height;
    if (w <= 0 || h <= 0) return;
    sp_draw_clear(img, chart_background);
    int top = TITLE_H, bottom = h - BOTTOM_PAD - 1;
    if (bottom <= top) top = 0;
    int x0, x1;
    int marked = c->mark_steps < c->step_count ? c->mark_steps : c->step_count;
    if (c->band)
        for (int k = 0; k <= marked; k++)
            if (c->band[k]) {
                sp_step_columns(k, w, c->step_count, &x0, &x1);
                sp_draw_rect(img, x0, top, x1 - x0, bottom - top + 1,
                             sp_draw_fault_band(c->band[k] - 1));
            }
    double lo, hi;
    bool any = value_range(c, &lo, &hi);
    if (any && lo < 0.0 && hi > 0.0)
        sp_draw_rect(img, 0, (int)floor(value_y(0.0, lo, hi, top, bottom)), w, 1, chart_rule);
    /* Guardrail lines under the series, so a line never hides a value. */
    if (c->marks)
        for (int k = 0; k <= marked; k++)
            if (c->marks[k] & SP_MARK_GUARD)
                vertical(img, step_centre(k, w, c->step_count), top, bottom + 1, guard_line);
    if (any)
        for (int i = 0; i < c->series_count; i++)
            draw_series(img, c, &c->series[i], lo, hi, top, bottom);
    /* Reasons along the top, over the lines, each only where it does not run into the last. */
    int label_end = -1;
    for (int k = 0; c->marks && c->mark_label && top > 0 && k <= marked; k++) {
        if (!(c->marks[k] & SP_MARK_GUARD)) continue;
        int x = step_centre(k, w, c->step_count);
        const char* label = c->mark_label(c->label_user, k);
        int tw = label ? (int)strlen(label) * SP_FONT_CELL_W : 0;
        if (!label || x + 2 <= label_end || x + 3 + tw >= w) continue;
        sp_draw_rect(img, x + 1, top + 1, tw + 2, SP_FONT_CELL_H, chart_background);
        sp_draw_text(img, x + 2, top + 2, label, 1, guard_line);
        label_end = x + 3 + tw + SP_FONT_CELL_W;
    }
    if (c->diverge_step >= 0 && c->diverge_step <= c->step_count)
        vertical(img, step_centre(c->diverge_step, w, c->step_count), 0, h, diverge_line);
    if (c->current >= 0 && c->current <= c->step_count)
        vertical(img, step_centre(c->current, w, c->step_count), 0, h, cursor_line);
    /* Text last: title over the top, the scale at the right edge. */
    if (c->title && top > 0) sp_draw_text(img, 3, 2, c->title, 1, chart_text);
    if (any && top > 0) {
        char buf[32];
        format_value(buf, sizeof buf, hi);
        int tw = (int)strlen(buf) * SP_FONT_CELL_W;
        sp_draw_text(img, w - tw - 2, 2, buf, 1, chart_scale_text);
        format_value(buf, sizeof buf, lo);
        tw = (int)strlen(buf) * SP_FONT_CELL_W;
        if (bottom - SP_FONT_CELL_H > top + SP_FONT_CELL_H)
            sp_draw_text(img, w - tw - 2, bottom - SP_FONT_CELL_H + 2, buf, 1, chart_scale_text);
    }
    sp_draw_rect(img, 0, h - 1, w, 1, chart_rule);
}
