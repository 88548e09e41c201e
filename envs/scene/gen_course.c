/* The "course" terrain style: Gymnasium's BipedalWalker ground, written as one chain of
 * segments. Grass is a damped random walk of the height (each piece's slope is 0.8 of the last
 * plus a pull back to the base height plus a kick drawn in [-amplitude, amplitude]), flat over
 * the start pad; with obstacles (BipedalWalkerHardcore), every grass stretch of `grass / 2` to
 * `grass` pieces is followed by a stump, a pit or a flight of stairs, picked uniformly among
 * the kinds listed. Sizes are in pieces (w = the span over `segments`), as Gymnasium's are in
 * TERRAIN_STEP: a stump is 1 or 2 pieces wide and as high, a pit 3 or 4 pieces wide and 4
 * deep, stairs 3 or 4 steps of 4 pieces, each one piece up (or down). Draws come from the
 * generator's own stream in build order. */

#include <stdlib.h>

#include "run.h"
#include "sandpit/error.h"

typedef struct course {
    cpVect* p;
    int k;
} course;

static void put(course* c, double x, double y) {
    c->p[c->k++] = cpv(x, y);
}

/* An obstacle starting at piece i (x, y); returns the pieces it spans. The chain gets at most
 * 3 points per piece spanned. */
static int obstacle(const sc_generator* g, sp_rng* rng, course* c, int i, double w, double* y,
                    int left) {
    static const int kinds[] = {SC_STUMPS, SC_PITS, SC_STAIRS};
    int listed[3], n = 0;
    for (int j = 0; j < 3; j++)
        if (g->obstacles & (1u << kinds[j])) listed[n++] = kinds[j];
    int kind = listed[sp_rng_below(rng, (uint32_t)n)];
    double x = g->x0 + w * i;
    if (kind == SC_STUMPS) {
        int size = 1 + (int)sp_rng_below(rng, 2);
        if (size > left) size = left;
        put(c, x, *y + size * w);
        put(c, x + size * w, *y + size * w);
        put(c, x + size * w, *y);
        return size;
    }
    if (kind == SC_PITS) {
        int width = 3 + (int)sp_rng_below(rng, 2);
        if (width > left) width = left;
        put(c, x, *y - 4.0 * w);
        put(c, x + width * w, *y - 4.0 * w);
        put(c, x + width * w, *y);
        return width;
    }
    double rise = sp_rng_uniform(rng) < 0.5 ? -w : w;
    int steps = 3 + (int)sp_rng_below(rng, 2), span = 0;
    for (int s = 0; s < steps && span + 4 <= left; s++, span += 4) {
        *y += rise;
        put(c, x + span * w, *y);
        put(c, x + (span + 4) * w, *y);
    }
    return span;
}

int sc_gen_course(const sc_generator* g, sp_world* world, sp_rng* rng) {
    int n = g->segments;
    course c = {malloc(((size_t)3 * (size_t)n + 3) * sizeof *c.p), 0};
    if (!c.p) return SP_E_NO_MEMORY;
    double w = (g->x1 - g->x0) / n, y = g->y, slope = 0.0;
    int left = g->grass / 2 + (int)sp_rng_below(rng, (uint32_t)(g->grass - g->grass / 2));
    put(&c, g->x0, y);
    for (int i = 0; i < n;) {
        if (i >= g->startpad && left == 0) {
            left = g->grass / 2 + (int)sp_rng_below(rng, (uint32_t)(g->grass - g->grass / 2));
            if (g->obstacles) {
                i += obstacle(g, rng, &c, i, w, &y, n - i);
                continue;
            }
        }
        slope = 0.8 * slope + 0.01 * (g->y > y ? 1.0 : g->y < y ? -1.0 : 0.0);
        if (i >= g->startpad) {
            slope += g->amplitude * (2.0 * sp_rng_uniform(rng) - 1.0);
            left--;
        }
        y += slope;
        put(&c, i + 1 == n ? g->x1 : g->x0 + w * (i + 1), y);
        i++;
    }
    int rc = sc_gen_chain(world, g, c.p, c.k);
    free(c.p);
    return rc;
}
