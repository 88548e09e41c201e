#ifndef SANDPIT_DRAW_COLUMNS_H
#define SANDPIT_DRAW_COLUMNS_H

/* The pixel columns of a step on a bar `width` pixels wide holding steps 0..step_count: shared
 * by the timeline and the charts, so a click at the same x seeks to the same step on both. */

/* Pixel columns [x0, x1) of step s; at least one pixel wide so every mark is visible. */
static inline void sp_step_columns(int s, int width, int step_count, int* x0, int* x1) {
    long n = (long)step_count + 1;
    *x0 = (int)((long)s * width / n);
    *x1 = (int)((long)(s + 1) * width / n);
    if (*x1 <= *x0) *x1 = *x0 + 1;
}

#endif
