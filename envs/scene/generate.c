/* Seeded procedural generators: terrain (rough, stumps, pits, stairs), grid mazes, scattered
 * obstacles and targets. Each generator draws from its own stream, named by the generator and
 * derived from the episode's env stream without advancing it, so adding a generator never
 * shifts the env's other draws. Everything generated is static and attached to the world's
 * static body. */

#include <stdlib.h>

#include "gen_track.h"
#include "run.h"
#include "sandpit/error.h"

static int add_static(sp_world* world, const sc_generator* g, cpShape* shape) {
    if (!shape || !(shape = sp_world_add_shape(world, shape))) return SP_E_NO_MEMORY;
    cpShapeSetFriction(shape, g->friction);
    cpShapeSetFilter(shape, cpShapeFilterNew(CP_NO_GROUP, g->categories, CP_ALL_CATEGORIES));
    sc_tag_shape(shape, g->role);
    return 0;
}

/* A polyline of `n` points as segments with neighbours, so feet slide across the joints. */
int sc_gen_chain(sp_world* world, const sc_generator* g, const cpVect* p, int n) {
    cpBody* ground = sp_world_static_body(world);
    for (int j = 0; j + 1 < n; j++) {
        cpShape* seg = cpSegmentShapeNew(ground, p[j], p[j + 1], 0.0);
        int rc = add_static(world, g, seg);
        if (rc) return rc;
        cpSegmentShapeSetNeighbors(seg, p[j > 0 ? j - 1 : j], p[j + 2 < n ? j + 2 : j + 1]);
    }
    return 0;
}

/* "smooth": a height per point drawn in [lo, hi], the flat span set, a three-point average,
 * then the span's interior set again so it is level to the bit (Gymnasium's LunarLander
 * terrain). Writes the n + 1 points and returns their count. */
static int smooth(const sc_generator* g, sp_rng* rng, cpVect* p, double* raw) {
    int n = g->segments;
    double w = (g->x1 - g->x0) / n;
    for (int i = 0; i <= n; i++)
        raw[i] = sp_rng_range(rng, g->height_lo, g->height_hi);
    for (int i = g->flat_from; i >= 0 && i <= g->flat_to; i++)
        raw[i] = g->flat_y;
    for (int i = 0; i <= n; i++) {
        double prev = raw[i > 0 ? i - 1 : i], next = raw[i < n ? i + 1 : i];
        p[i] = cpv(g->x0 + w * i, (prev + raw[i] + next) / 3.0);
    }
    for (int i = g->flat_from + 1; g->flat_from >= 0 && i < g->flat_to; i++)
        p[i].y = g->flat_y;
    return n + 1;
}

/* Every style draws the same number of numbers per piece, so a piece's draws never depend on
 * the pieces before it. A shoulder extends both ends flat, so a walker hanging over an edge
 * stands on something until it is out of bounds. */
static int terrain(const sc_generator* g, sp_world* world, sp_rng* rng) {
    if (g->style == SC_COURSE) return sc_gen_course(g, world, rng);
    int n = g->segments;
    cpVect* p = malloc(((size_t)3 * (size_t)n + 3) * sizeof *p);
    double* raw = g->style == SC_SMOOTH ? malloc(((size_t)n + 1) * sizeof *raw) : NULL;
    if (!p || (g->style == SC_SMOOTH && !raw)) {
        free(p);
        free(raw);
        return SP_E_NO_MEMORY;
    }
    if (g->style == SC_SMOOTH) {
        int k = smooth(g, rng, p + 1, raw);
        free(raw);
        p[0] = cpv(p[1].x - g->shoulder, p[1].y);
        p[k + 1] = cpv(p[k].x + g->shoulder, p[k].y);
        bool sh = g->shoulder > 0.0;
        int rc = sc_gen_chain(world, g, sh ? p : p + 1, sh ? k + 2 : k);
        free(p);
        return rc;
    }
    double w = (g->x1 - g->x0) / n, y = g->y;
    int k = 0;
    p[k++] = cpv(g->x0, y);
    for (int i = 0; i < n; i++) {
        double xa = g->x0 + w * i, xb = i + 1 == n ? g->x1 : g->x0 + w * (i + 1);
        double u = sp_rng_uniform(rng), v = sp_rng_uniform(rng);
        switch (g->style) {
        case SC_ROUGH:
            p[k++] = cpv(xb, g->y + g->amplitude * (2.0 * u - 1.0));
            break;
        case SC_STUMPS:
        case SC_PITS:
            /* Every third piece or so, a stump up (or a pit down), never on the first piece, so
             * a walker starting there stands on flat ground. */
            if (i > 0 && u < 0.3) {
                double h = g->amplitude * (0.5 + 0.5 * v) * (g->style == SC_PITS ? -1.0 : 1.0);
                p[k++] = cpv(xa, y + h);
                p[k++] = cpv(xb, y + h);
            }
            p[k++] = cpv(xb, y);
            break;
        case SC_STAIRS:
            if (i > 0) {
                y += g->amplitude * (0.5 + 0.5 * v) * (u < 0.5 ? -1.0 : 1.0);
                p[k++] = cpv(xa, y);
            }
            p[k++] = cpv(xb, y);
            break;
        default:
            break;
        }
    }
    int rc = sc_gen_chain(world, g, p, k);
    free(p);
    return rc;
}

/* A perfect maze by randomized depth-first search (an explicit stack: no recursion on client
 * sizes), then a static box for every wall left standing. */
static int maze(const sc_generator* g, sp_world* world, sp_rng* rng) {
    int cols = g->segments, rows = g->rows, cells = cols * rows;
    /* Bit 0: wall to the east still standing; bit 1: to the north; bit 2: visited. */
    unsigned char* cell = calloc((size_t)cells, 1);
    int* stack = malloc((size_t)cells * sizeof *stack);
    if (!cell || !stack) {
        free(cell);
        free(stack);
        return SP_E_NO_MEMORY;
    }
    for (int i = 0; i < cells; i++)
        cell[i] = 3;
    int top = 0;
    stack[top++] = 0;
    cell[0] |= 4;
    while (top > 0) {
        int c = stack[top - 1], cx = c % cols, cy = c / cols;
        int next[4], dirs[4], n = 0;
        static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int d = 0; d < 4; d++) {
            int nx = cx + dx[d], ny = cy + dy[d];
            if (nx < 0 || ny < 0 || nx >= cols || ny >= rows || (cell[ny * cols + nx] & 4))
                continue;
            next[n] = ny * cols + nx;
            dirs[n++] = d;
        }
        if (n == 0) {
            top--;
            continue;
        }
        int pick = (int)sp_rng_below(rng, (uint32_t)n), to = next[pick];
        switch (dirs[pick]) {
        case 0:
            cell[c] &= (unsigned char)~1u;
            break;
        case 1:
            cell[to] &= (unsigned char)~1u;
            break;
        case 2:
            cell[c] &= (unsigned char)~2u;
            break;
        default:
            cell[to] &= (unsigned char)~2u;
            break;
        }
        cell[to] |= 4;
        stack[top++] = to;
    }
    cpBody* ground = sp_world_static_body(world);
    double s = g->cell, t = 0.5 * g->amplitude, x0 = g->origin.x, y0 = g->origin.y;
    int rc = 0;
    /* The south and west borders, then each cell's east and north walls. */
    for (int x = 0; x < cols && !rc; x++)
        rc = add_static(
            world, g,
            cpBoxShapeNew2(ground, cpBBNew(x0 + s * x - t, y0 - t, x0 + s * (x + 1) + t, y0 + t),
                           0.0));
    for (int y = 0; y < rows && !rc; y++)
        rc = add_static(
            world, g,
            cpBoxShapeNew2(ground, cpBBNew(x0 - t, y0 + s * y - t, x0 + t, y0 + s * (y + 1) + t),
                           0.0));
    for (int c = 0; c < cells && !rc; c++) {
        double cx = x0 + s * (c % cols), cy = y0 + s * (c / cols);
        if (cell[c] & 1)
            rc = add_static(
                world, g,
                cpBoxShapeNew2(ground, cpBBNew(cx + s - t, cy - t, cx + s + t, cy + s + t), 0.0));
        if (!rc && (cell[c] & 2))
            rc = add_static(
                world, g,
                cpBoxShapeNew2(ground, cpBBNew(cx - t, cy + s - t, cx + s + t, cy + s + t), 0.0));
    }
    free(cell);
    free(stack);
    return rc;
}

static int scatter(const sc_generator* g, sp_world* world, sp_rng* rng) {
    cpBody* ground = sp_world_static_body(world);
    double h = 0.5 * g->cell;
    for (int i = 0; i < g->segments; i++) {
        /* x before y, in two statements: the order of a call's arguments is the compiler's */
        double x = g->origin.x + g->extent.x * sp_rng_uniform(rng);
        double y = g->origin.y + g->extent.y * sp_rng_uniform(rng);
        cpVect c = cpv(x, y);
        cpShape* shape = g->style == 0 ? cpCircleShapeNew(ground, h, c)
                                       : cpBoxShapeNew2(ground, cpBBNewForExtents(c, h, h), 0.0);
        int rc = add_static(world, g, shape);
        if (rc) return rc;
    }
    return 0;
}

uint64_t sc_generator_seed(const sp_rng* env_rng) {
    /* The env stream at build time is a function of the episode seed alone. */
    return sp_mix64(env_rng->s[0] ^ sp_mix64(env_rng->s[1]));
}

int sc_generate(sc_state* s, sp_world* world, sp_rng* env_rng) {
    const sc_model* m = s->m;
    uint64_t seed = sc_generator_seed(env_rng);
    for (int i = 0; i < m->generator_count; i++) {
        const sc_generator* g = &m->generators[i];
        if (g->kind == SC_G_LEVEL) continue; /* after the bodies: sc_level_build */
        sp_rng own;
        sp_rng_seed(&own, seed, g->name);
        sp_rng* rng = g->env_stream ? env_rng : &own;
        int rc = g->kind == SC_G_TERRAIN ? terrain(g, world, rng)
                 : g->kind == SC_G_MAZE  ? maze(g, world, rng)
                 : g->kind == SC_G_TRACK ? sc_track_generate(s, g, world, rng)
                                         : scatter(g, world, rng);
        if (rc) return rc;
    }
    return 0;
}
