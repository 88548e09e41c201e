/* A closed racing track from seeded control points: `points` of them at even angles around
 * `origin`, each at `radius` times (1 + U(-amplitude, amplitude)), the first and its two
 * neighbours at `radius` exactly so the start is a straight heading up (+y) at
 * (origin.x + radius, origin.y); a closed Catmull-Rom spline through them sampled at
 * `segments` points is the centreline, and a chain of static segments `width / 2` to each
 * side of it are the walls (inner first, then outer). The loop runs counter-clockwise. */

#include <math.h>

#include "gen_track.h"
#include "run.h"
#include "sandpit/error.h"
#include "smath.h"

#define TRACK_MAX_POINTS 64
#define TRACK_WALL_RADIUS 0.05 /* m: walls thick enough that a fast car never tunnels */

bool sc_track_decode(sc_dec* d, json_t* o, sc_generator* g) {
    double max = d->lim->max_abs, width = 3.0;
    g->role = SP_ROLE_OBSTACLE;
    g->rows = 12;
    g->cell = 15.0;
    g->amplitude = 0.3;
    g->segments = 96;
    if (!sc_vec(d, o, "origin", false, &g->origin) ||
        !sc_int(d, o, "points", false, 4, TRACK_MAX_POINTS, &g->rows) ||
        !sc_num(d, o, "radius", false, 1e-3, max, &g->cell) ||
        !sc_num(d, o, "amplitude", false, 0.0, 0.5, &g->amplitude) ||
        !sc_int(d, o, "segments", false, 8, 1024, &g->segments) ||
        !sc_num(d, o, "width", false, 1e-3, max, &width) || !sc_role(d, o, "role", &g->role))
        return false;
    if (!(width < g->cell)) return sc_fail_at(d, "width", "must be less than the radius");
    g->extent = cpv(width, 0.0);
    g->shapes = 2 * g->segments;
    g->track_slot = d->m->track_points;
    d->m->track_points += g->segments + 1;
    return true;
}

/* A point of the uniform Catmull-Rom spline through p1 and p2 at t in [0, 1). */
static cpVect catmull_rom(cpVect p0, cpVect p1, cpVect p2, cpVect p3, double t) {
    double t2 = t * t, t3 = t2 * t;
    double a = -0.5 * t3 + t2 - 0.5 * t, b = 1.5 * t3 - 2.5 * t2 + 1.0;
    double c = -1.5 * t3 + 2.0 * t2 + 0.5 * t, e = 0.5 * t3 - 0.5 * t2;
    return cpv(a * p0.x + b * p1.x + c * p2.x + e * p3.x,
               a * p0.y + b * p1.y + c * p2.y + e * p3.y);
}

/* Point i of the wall `side` (+1 inner, -1 outer) of a closed centreline of n points. */
static cpVect wall_point(const cpVect* c, int n, int i, double side) {
    cpVect left = cpvperp(cpvnormalize(cpvsub(c[i + 1], c[i > 0 ? i - 1 : n - 1])));
    return cpvadd(c[i], cpvmult(left, side));
}

static int add_wall(sp_world* world, const sc_generator* g, const cpVect* c, double side) {
    cpBody* ground = sp_world_static_body(world);
    int n = g->segments;
    for (int j = 0; j < n; j++) {
        cpVect a = wall_point(c, n, j, side), b = wall_point(c, n, (j + 1) % n, side);
        cpShape* seg = cpSegmentShapeNew(ground, a, b, TRACK_WALL_RADIUS);
        if (!seg || !(seg = sp_world_add_shape(world, seg))) return SP_E_NO_MEMORY;
        cpShapeSetFriction(seg, g->friction);
        cpShapeSetFilter(seg, cpShapeFilterNew(CP_NO_GROUP, g->categories, CP_ALL_CATEGORIES));
        sc_tag_shape(seg, g->role);
        cpSegmentShapeSetNeighbors(seg, wall_point(c, n, (j + n - 1) % n, side),
                                   wall_point(c, n, (j + 2) % n, side));
    }
    return 0;
}

int sc_track_generate(sc_state* s, const sc_generator* g, sp_world* world, sp_rng* rng) {
    int k = g->rows, n = g->segments;
    cpVect ctrl[TRACK_MAX_POINTS];
    for (int i = 0; i < k; i++) {
        double u = sp_rng_uniform(rng), a = 2.0 * 3.14159265358979323846 * i / k;
        double r = (i == 0 || i == 1 || i == k - 1)
                       ? g->cell
                       : g->cell * (1.0 + g->amplitude * (2.0 * u - 1.0));
        ctrl[i] = cpv(g->origin.x + r * sc_cos(a), g->origin.y + r * sc_sin(a));
    }
    cpVect* c = s->track + g->track_slot;
    double* len = s->track_len + g->track_slot;
    for (int i = 0; i < n; i++) {
        double t = (double)i * k / n;
        int j = (int)t;
        c[i] = catmull_rom(ctrl[(j + k - 1) % k], ctrl[j], ctrl[(j + 1) % k], ctrl[(j + 2) % k],
                           t - j);
    }
    c[n] = c[0];
    len[0] = 0.0;
    for (int i = 0; i < n; i++)
        len[i + 1] = len[i] + cpvdist(c[i], c[i + 1]);
    double half = 0.5 * g->extent.x;
    int rc = add_wall(world, g, c, half);
    return rc ? rc : add_wall(world, g, c, -half);
}

/* Where a point projects onto a centreline: its arc length, and its signed distance (+ left)
 * and the centreline's direction there. The nearest segment wins; the first on a tie. */
typedef struct projection {
    double along, offset, angle;
} projection;

static projection project(const sc_state* s, const sc_generator* g, cpVect p) {
    const cpVect* c = s->track + g->track_slot;
    const double* len = s->track_len + g->track_slot;
    projection best = {0.0, 0.0, 0.0};
    double best_d2 = INFINITY;
    int best_i = 0;
    for (int i = 0; i < g->segments; i++) {
        cpVect ab = cpvsub(c[i + 1], c[i]), ap = cpvsub(p, c[i]);
        double l2 = cpvdot(ab, ab), t = l2 > 0.0 ? cpvdot(ap, ab) / l2 : 0.0;
        t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
        cpVect q = cpvadd(c[i], cpvmult(ab, t));
        double d2 = cpvdistsq(p, q);
        if (d2 < best_d2) {
            best_d2 = d2;
            best_i = i;
            best.along = len[i] + t * (len[i + 1] - len[i]);
            best.offset = l2 > 0.0 ? cpvcross(ab, ap) / sqrt(l2) : 0.0;
        }
    }
    cpVect ab = cpvsub(c[best_i + 1], c[best_i]);
    best.angle = sc_atan2(ab.y, ab.x);
    return best;
}

/* The arc length unwrapped to the lap nearest the last reading. */
static double unwrapped(const sc_state* s, const sc_probe* p, double along) {
    const sc_generator* g = &s->m->generators[p->track];
    double total = s->track_len[g->track_slot + g->segments];
    double laps = floor((s->track_prev[p->unwrap] - along) / total + 0.5);
    return along + laps * total;
}

static bool unwraps(const sc_probe* p) {
    return p->kind == SC_P_TRACK_PROGRESS || p->kind == SC_P_TRACK_LAPS;
}

static double along(const sc_state* s, const sc_probe* p) {
    return project(s, &s->m->generators[p->track], cpBodyGetPosition(s->bodies[p->body])).along;
}

/* From the start line: the reading nearest 0 (a body just behind the line reads a little
 * below 0, never a lap). */
void sc_track_start(sc_state* s) {
    const sc_model* m = s->m;
    for (int i = 0; i < m->channel_count; i++) {
        const sc_probe* p = &m->channels[i].probe;
        if (!unwraps(p)) continue;
        s->track_prev[p->unwrap] = 0.0;
        s->track_prev[p->unwrap] = unwrapped(s, p, along(s, p));
    }
}

void sc_track_follow(sc_state* s) {
    const sc_model* m = s->m;
    for (int i = 0; i < m->channel_count; i++) {
        const sc_probe* p = &m->channels[i].probe;
        if (unwraps(p)) s->track_prev[p->unwrap] = unwrapped(s, p, along(s, p));
    }
}

double sc_track_read(const sc_state* s, const sc_probe* p) {
    const sc_generator* g = &s->m->generators[p->track];
    cpBody* b = s->bodies[p->body];
    projection at = project(s, g, cpBodyGetPosition(b));
    switch (p->kind) {
    case SC_P_TRACK_PROGRESS:
        return unwrapped(s, p, at.along);
    case SC_P_TRACK_LAPS: {
        double total = s->track_len[g->track_slot + g->segments];
        return unwrapped(s, p, at.along) / total;
    }
    case SC_P_TRACK_OFFSET:
        return at.offset;
    case SC_P_TRACK_HEADING:
        return sc_wrap_angle(cpBodyGetAngle(b) - at.angle);
    default:
        return 0.0;
    }
}
