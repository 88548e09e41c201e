/* The scene decoder's top level: the document, the world, bodies and shapes, joints. The other
 * parts are in decode_parts.c. JSON is parsed by jansson (duplicate keys refused), never by
 * hand; every value is checked here, once, so the step path trusts the model. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "run.h"
#include "sandpit/envs.h"

struct sp_scene {
    sc_model m;
    char** strings;
    int string_count;
};

sp_scene_limits sp_default_scene_limits(void) {
    sp_scene_limits l = {
        .max_bytes = (size_t)1 << 20,
        .max_bodies = 256,
        .max_shapes = 1024,
        .max_joints = 256,
        .max_vertices = 64,
        .max_total_vertices = 4096,
        .max_rays = 256,
        .max_generated = 4096,
        .max_actions = 64,
        .max_terms = 128,
        .max_abs = 1e6,
    };
    return l;
}

/* ---- world ---- */

static bool decode_world(sc_dec* d, json_t* root) {
    static const char* const keys[] = {"gravity",   "dt",      "iterations", "frame_skip",
                                       "max_steps", "damping", "bounds",     "collision_slop",
                                       "fuel",      NULL};
    sc_model* m = d->m;
    json_t* w = json_object_get(root, "world");
    if (!w || !json_is_object(w)) return sc_fail_at(d, "world", "is required (an object)");
    size_t p = sc_push_key(d, "world");
    cpVect g = cpv(0.0, -9.81);
    m->spec.dt = 1.0 / 60.0;
    m->spec.iterations = 10;
    m->spec.frame_skip = 1;
    m->spec.max_steps = 1000;
    m->damping = 1.0;
    m->collision_slop = 0.1;
    bool ok = sc_only(d, w, keys) && sc_vec(d, w, "gravity", false, &g) &&
              sc_num(d, w, "dt", false, 1e-4, 0.1, &m->spec.dt) &&
              sc_int(d, w, "iterations", false, 1, 100, &m->spec.iterations) &&
              sc_int(d, w, "frame_skip", false, 1, 100, &m->spec.frame_skip) &&
              sc_int(d, w, "max_steps", false, 1, 1000000, &m->spec.max_steps) &&
              sc_num(d, w, "damping", false, 0.0, 1.0, &m->damping) &&
              sc_num(d, w, "collision_slop", false, 0.0, 1.0, &m->collision_slop) &&
              sc_num(d, w, "fuel", false, 0.0, d->lim->max_abs, &m->fuel_capacity);
    m->has_fuel = json_object_get(w, "fuel") != NULL;
    if (ok && m->has_fuel && !(m->fuel_capacity > 0.0))
        ok = sc_fail_at(d, "fuel", "must be > 0 (N s of impulse in the tank)");
    m->gravity_x = g.x;
    m->gravity_y = g.y;
    json_t* b = json_object_get(w, "bounds");
    if (ok && b) {
        size_t q = sc_push_key(d, "bounds");
        if (!json_is_array(b) || json_array_size(b) != 4) {
            ok = sc_fail(d, "must be [xmin, ymin, xmax, ymax]");
        } else {
            for (size_t i = 0; i < 4 && ok; i++) {
                json_t* v = json_array_get(b, i);
                if (!json_is_number(v) || fabs(json_number_value(v)) > d->lim->max_abs)
                    ok = sc_fail(d, "must be [xmin, ymin, xmax, ymax] of numbers");
                else
                    m->bounds[i] = json_number_value(v);
            }
            if (ok && (m->bounds[0] >= m->bounds[2] || m->bounds[1] >= m->bounds[3]))
                ok = sc_fail(d, "must have xmin < xmax and ymin < ymax");
        }
        m->has_bounds = ok;
        sc_pop(d, q);
    }
    sc_pop(d, p);
    return ok;
}

/* ---- bodies and shapes ---- */

static const char* const shape_types[] = {"circle", "box", "polygon", "segment", "polyline"};
static const char* const body_types[] = {"dynamic", "static", "kinematic"};

static bool decode_points(sc_dec* d, json_t* s, const char* key, int min, sc_shape* sh) {
    json_t* arr;
    int n;
    if (!sc_array(d, s, key, true, d->lim->max_vertices, &arr, &n)) return false;
    if (n < min) return sc_fail_at(d, key, "needs at least %d points", min);
    if (d->m->vert_count + n > d->lim->max_total_vertices)
        return sc_fail_at(d, key, "the scene's vertices pass the limit of %d",
                          d->lim->max_total_vertices);
    size_t p = sc_push_key(d, key);
    sh->vert_first = d->m->vert_count;
    sh->vert_count = n;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        size_t q = sc_push_index(d, (size_t)i);
        ok = sc_vec_value(d, json_array_get(arr, (size_t)i), &d->m->verts[d->m->vert_count + i]);
        sc_pop(d, q);
    }
    sc_pop(d, p);
    if (ok) d->m->vert_count += n;
    return ok;
}

/* Chipmunk's polygons must be convex and counter-clockwise; it would silently take the hull. */
static bool check_convex(sc_dec* d, const cpVect* v, int n) {
    double area = 0.0;
    for (int i = 0; i < n; i++) {
        cpVect a = v[i], b = v[(i + 1) % n], c = v[(i + 2) % n];
        if (cpvcross(cpvsub(b, a), cpvsub(c, b)) <= 0.0)
            return sc_fail_at(d, "points", "must be convex and counter-clockwise");
        area += cpvcross(a, b);
    }
    return area > 0.0 || sc_fail_at(d, "points", "must enclose an area");
}

static bool decode_shape(sc_dec* d, json_t* s, int body, sc_shape* sh) {
    static const char* const keys[] = {"type",       "radius",     "size", "offset",  "angle",
                                       "points",     "a",          "b",    "density", "friction",
                                       "elasticity", "categories", "mask", "group",   "collide",
                                       "role",       NULL};
    if (!json_is_object(s)) return sc_fail(d, "must be an object");
    int type = 0;
    sh->body = body;
    sh->density = 1.0;
    sh->friction = 0.7;
    sh->categories = 1;
    sh->mask = 0xffffffffu;
    sh->collide = true;
    sh->role = SP_ROLE_NONE;
    double max = d->lim->max_abs;
    if (!sc_only(d, s, keys) || !sc_enum(d, s, "type", true, shape_types, 5, &type) ||
        !sc_num(d, s, "density", false, 0.0, max, &sh->density) ||
        !sc_num(d, s, "friction", false, 0.0, 100.0, &sh->friction) ||
        !sc_num(d, s, "elasticity", false, 0.0, 1.0, &sh->elasticity) ||
        !sc_u32(d, s, "categories", &sh->categories) || !sc_u32(d, s, "mask", &sh->mask) ||
        !sc_u32(d, s, "group", &sh->group) || !sc_bool(d, s, "collide", &sh->collide) ||
        !sc_role(d, s, "role", &sh->role) || !sc_vec(d, s, "offset", false, &sh->offset) ||
        !sc_num(d, s, "angle", false, -max, max, &sh->angle))
        return false;
    sh->kind = (sc_shape_kind)type;
    switch (sh->kind) {
    case SC_CIRCLE:
        if (!sc_num(d, s, "radius", true, 0.0, max, &sh->radius)) return false;
        if (!(sh->radius > 0.0)) return sc_fail_at(d, "radius", "must be > 0");
        return true;
    case SC_BOX: {
        cpVect size;
        if (!sc_vec(d, s, "size", true, &size) ||
            !sc_num(d, s, "radius", false, 0.0, max, &sh->radius))
            return false;
        if (!(size.x > 0.0 && size.y > 0.0)) return sc_fail_at(d, "size", "must be > 0");
        if (2.0 * sh->radius >= size.x || 2.0 * sh->radius >= size.y)
            return sc_fail_at(d, "radius", "must be less than half the box's width and height");
        sh->w = size.x;
        sh->h = size.y;
        return true;
    }
    case SC_POLYGON:
        return sc_num(d, s, "radius", false, 0.0, max, &sh->radius) &&
               decode_points(d, s, "points", 3, sh) &&
               check_convex(d, d->m->verts + sh->vert_first, sh->vert_count);
    case SC_SEGMENT:
        if (!sc_vec(d, s, "a", true, &sh->a) || !sc_vec(d, s, "b", true, &sh->b) ||
            !sc_num(d, s, "radius", false, 0.0, max, &sh->radius))
            return false;
        if (cpveql(sh->a, sh->b)) return sc_fail_at(d, "b", "must differ from a");
        return true;
    case SC_POLYLINE:
        if (!sc_num(d, s, "radius", false, 0.0, max, &sh->radius) ||
            !decode_points(d, s, "points", 2, sh))
            return false;
        if (d->m->bodies[body].kind == SC_DYNAMIC)
            return sc_fail_at(d, "type", "polyline is for static or kinematic bodies (terrain)");
        return true;
    }
    return false;
}

/* Area and moment (about the body origin, for mass 1) of a shape. Boxes use their full outline
 * (the rounding is inside it); segments are thin rods: their radius rounds the collision outline
 * only, as the C envs' poles do. */
static double shape_area(const sc_model* m, const sc_shape* s) {
    switch (s->kind) {
    case SC_CIRCLE:
        return cpAreaForCircle(0.0, s->radius);
    case SC_BOX:
        return s->w * s->h;
    case SC_POLYGON:
        return cpAreaForPoly(s->vert_count, m->verts + s->vert_first, s->radius);
    default:
        return 0.0;
    }
}

static cpVect shape_centroid(const sc_model* m, const sc_shape* s) {
    switch (s->kind) {
    case SC_CIRCLE:
    case SC_BOX:
        return s->offset;
    case SC_POLYGON:
        return cpCentroidForPoly(s->vert_count, m->verts + s->vert_first);
    case SC_SEGMENT:
        return cpvlerp(s->a, s->b, 0.5);
    default:
        return cpvzero;
    }
}

static double shape_moment(const sc_model* m, const sc_shape* s, double mass, cpVect cog) {
    cpVect off = cpvsub(shape_centroid(m, s), cog);
    switch (s->kind) {
    case SC_CIRCLE:
        return cpMomentForCircle(mass, 0.0, s->radius, off);
    case SC_BOX: {
        double i = cpMomentForBox(mass, s->w, s->h);
        return cpveql(off, cpvzero) ? i : i + mass * cpvlengthsq(off);
    }
    case SC_POLYGON:
        return cpMomentForPoly(mass, s->vert_count, m->verts + s->vert_first, cpvneg(cog), 0.0);
    case SC_SEGMENT:
        return cpMomentForSegment(mass, cpvsub(s->a, cog), cpvsub(s->b, cog), 0.0);
    default:
        return 0.0;
    }
}

/* Mass, centre of gravity and moment from the shapes: by density, or a given total mass shared
 * by area (one shape takes all of it exactly). */
static bool mass_properties(sc_dec* d, sc_body* b, bool has_mass, double mass) {
    const sc_model* m = d->m;
    const sc_shape* sh = m->shapes + b->shape_first;
    int n = b->shape_count;
    double area = 0.0;
    for (int i = 0; i < n; i++)
        area += shape_area(m, &sh[i]);
    double shares[64];
    double total = 0.0;
    cpVect cog = cpvzero;
    bool single = n == 1;
    for (int i = 0; i < n; i++) {
        double a = shape_area(m, &sh[i]);
        double mi = has_mass ? (single ? mass : (area > 0.0 ? mass * a / area : mass / n))
                             : sh[i].density * a;
        if (i < 64) shares[i] = mi;
        total += mi;
        cog = cpvadd(cog, cpvmult(shape_centroid(m, &sh[i]), mi));
    }
    if (n > 64) return sc_fail_at(d, "shapes", "a dynamic body has at most 64 shapes");
    if (!(total > 0.0))
        return sc_fail_at(
            d, has_mass ? "mass" : "shapes",
            "a dynamic body needs mass > 0 (a mass, or shapes with area and density)");
    b->mass = has_mass ? mass : total;
    b->cog = single ? shape_centroid(m, &sh[0]) : cpvmult(cog, 1.0 / total);
    double moment = 0.0;
    for (int i = 0; i < n; i++)
        moment += shape_moment(m, &sh[i], shares[i], b->cog);
    if (b->fixed_rotation) moment = INFINITY;
    if (!(moment > 0.0)) return sc_fail_at(d, "shapes", "the body's moment of inertia is 0");
    b->moment = moment;
    return true;
}

/* "attach": {"to": an earlier body, "at": its point, "anchor": this body's point}. */
static bool decode_attach(sc_dec* d, json_t* o, sc_body* b) {
    static const char* const keys[] = {"to", "at", "anchor", NULL};
    json_t* a = json_object_get(o, "attach");
    if (!a) return true;
    size_t p = sc_push_key(d, "attach");
    bool ok = json_is_object(a)
                  ? sc_only(d, a, keys) && sc_body_ref(d, a, "to", false, &b->attach_to) &&
                        sc_vec(d, a, "at", false, &b->attach_at) &&
                        sc_vec(d, a, "anchor", false, &b->attach_anchor)
                  : sc_fail(d, "must be {\"to\", \"at\", \"anchor\"}");
    sc_pop(d, p);
    b->has_attach = ok;
    return ok;
}

static bool decode_body(sc_dec* d, json_t* o, int index) {
    static const char* const keys[] = {
        "name", "type",           "position", "angle",  "velocity", "angular_velocity",
        "mass", "fixed_rotation", "shapes",   "origin", "attach",   "armature",
        NULL};
    static const char* const origins[] = {"declared", "centroid"};
    sc_model* m = d->m;
    sc_body* b = &m->bodies[index];
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    int type = SC_DYNAMIC;
    double mass = 0.0, max = d->lim->max_abs;
    if (!sc_only(d, o, keys) || !sc_str(d, o, "name", true, &b->name) ||
        !sc_enum(d, o, "type", false, body_types, 3, &type) ||
        !sc_vec(d, o, "position", false, &b->position) ||
        !sc_num(d, o, "angle", false, -max, max, &b->angle) ||
        !sc_vec(d, o, "velocity", false, &b->velocity) ||
        !sc_num(d, o, "angular_velocity", false, -max, max, &b->angular_velocity) ||
        !sc_num(d, o, "mass", false, 0.0, max, &mass) ||
        !sc_bool(d, o, "fixed_rotation", &b->fixed_rotation))
        return false;
    b->kind = (sc_body_kind)type;
    for (int i = 0; i < index; i++)
        if (!strcmp(m->bodies[i].name, b->name))
            return sc_fail_at(d, "name", "'%s' is taken by bodies[%d]", b->name, i);
    int origin = 0;
    if (!sc_enum(d, o, "origin", false, origins, 2, &origin) || !decode_attach(d, o, b))
        return false;
    bool has_mass = json_object_get(o, "mass") != NULL;
    if (has_mass && !(mass > 0.0)) return sc_fail_at(d, "mass", "must be > 0");
    json_t* arr;
    int n;
    if (!sc_array(d, o, "shapes", false, d->lim->max_shapes, &arr, &n)) return false;
    if (m->shape_count + n > d->lim->max_shapes)
        return sc_fail_at(d, "shapes", "the scene's shapes pass the limit of %d",
                          d->lim->max_shapes);
    b->shape_first = m->shape_count;
    b->shape_count = n;
    size_t p = sc_push_key(d, "shapes");
    for (int i = 0; i < n; i++) {
        size_t q = sc_push_index(d, (size_t)i);
        bool ok =
            decode_shape(d, json_array_get(arr, (size_t)i), index, &m->shapes[m->shape_count]);
        sc_pop(d, q);
        if (!ok) return false;
        m->shape_count++;
    }
    sc_pop(d, p);
    if (b->kind != SC_DYNAMIC) {
        if (origin) return sc_fail_at(d, "origin", "\"centroid\" applies to dynamic bodies");
        if (json_object_get(o, "armature"))
            return sc_fail_at(d, "armature", "applies to dynamic bodies");
        return true;
    }
    if (!mass_properties(d, b, has_mass, mass)) return false;
    /* MuJoCo's joint armature (rotor inertia), lumped onto the body the joint turns: a moment
     * added to the shapes', which makes light links driven by strong motors controllable. */
    double armature = 0.0;
    if (!sc_num(d, o, "armature", false, 0.0, max, &armature)) return false;
    b->moment += armature;
    if (origin) {
        /* The centroid becomes the body's origin: shapes and local points shift onto it. */
        b->shift = cpvneg(b->cog);
        b->cog = cpvzero;
    }
    return true;
}

/* Bodies refer only to those before them: the count grows as they decode. */
static bool body_item(sc_dec* d, json_t* o, int i, void* ctx) {
    d->m->body_count = i;
    return decode_body(d, o, i);
}

/* Upper bounds of the shapes and points the bodies declare (each capped by its limit; the
 * decoder reports what passes a limit), so the model holds what the scene needs. */
static void count_shapes(json_t* bodies, size_t* shapes, size_t* points) {
    *shapes = *points = 0;
    size_t i, j;
    json_t *b, *sh;
    json_array_foreach(bodies, i, b) {
        json_t* list = json_object_get(b, "shapes");
        if (!json_is_array(list)) continue;
        *shapes += json_array_size(list);
        json_array_foreach(list, j, sh) {
            json_t* pts = json_object_get(sh, "points");
            if (json_is_array(pts)) *points += json_array_size(pts);
        }
    }
}

bool sc_decode_bodies(sc_dec* d, json_t* root) {
    json_t* arr;
    int n;
    sc_model* m = d->m;
    if (!sc_array(d, root, "bodies", true, d->lim->max_bodies, &arr, &n)) return false;
    size_t shapes, points;
    count_shapes(arr, &shapes, &points);
    if (shapes > (size_t)d->lim->max_shapes) shapes = (size_t)d->lim->max_shapes;
    if (points > (size_t)d->lim->max_total_vertices) points = (size_t)d->lim->max_total_vertices;
    if (!(m->bodies = sc_alloc(d, (size_t)n, sizeof *m->bodies)) ||
        !(m->shapes = sc_alloc(d, shapes, sizeof *m->shapes)) ||
        !(m->verts = sc_alloc(d, points, sizeof *m->verts)))
        return false;
    if (!sc_each(d, "bodies", arr, n, body_item, NULL)) return false;
    m->body_count = n;
    return true;
}

/* ---- joints ---- */

static const char* const joint_types[] = {"pivot",  "groove",        "slider",       "weld",
                                          "spring", "rotary_spring", "rotary_limit", "friction"};

static bool decode_joint(sc_dec* d, json_t* o, sc_joint* j, int index) {
    static const char* const keys[] = {
        "name",    "type",         "a",     "b",         "anchor_a", "anchor_b",
        "groove",  "limits",       "rest",  "stiffness", "damping",  "motor",
        "collide", "world_anchor", "force", "torque",    NULL};
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    int type = 0;
    double max = d->lim->max_abs;
    if (!sc_only(d, o, keys) || !sc_str(d, o, "name", false, &j->name) ||
        !sc_enum(d, o, "type", true, joint_types, 8, &type) ||
        !sc_body_ref(d, o, "a", true, &j->a) || !sc_body_ref(d, o, "b", false, &j->b) ||
        !sc_vec(d, o, "anchor_a", false, &j->anchor_a) ||
        !sc_vec(d, o, "anchor_b", false, &j->anchor_b) ||
        !sc_num(d, o, "rest", false, -max, max, &j->rest) ||
        !sc_num(d, o, "stiffness", false, 0.0, max, &j->stiffness) ||
        !sc_num(d, o, "damping", false, 0.0, max, &j->damping) ||
        !sc_bool(d, o, "collide", &j->collide) || !sc_bool(d, o, "world_anchor", &j->world_anchor))
        return false;
    j->kind = (sc_joint_kind)type;
    if (j->world_anchor && j->kind != SC_PIVOT)
        return sc_fail_at(d, "world_anchor", "applies to pivot joints");
    if (j->a == j->b) return sc_fail_at(d, "b", "must differ from a");
    if (j->name)
        for (int i = 0; i < index; i++)
            if (d->m->joints[i].name && !strcmp(d->m->joints[i].name, j->name))
                return sc_fail_at(d, "name", "'%s' is taken by joints[%d]", j->name, i);
    if (json_object_get(o, "limits")) {
        if (j->kind != SC_PIVOT && j->kind != SC_SLIDER && j->kind != SC_ROTARY_LIMIT)
            return sc_fail_at(d, "limits",
                              "applies to pivot and rotary_limit (angles) and slider (distances)");
        if (!sc_range(d, o, "limits", true, &j->min, &j->max)) return false;
        j->has_limit = true;
    }
    if ((j->kind == SC_SLIDER || j->kind == SC_ROTARY_LIMIT) && !j->has_limit)
        return sc_fail_at(d, "limits", "is required for a %s", joint_types[type]);
    if (j->kind == SC_GROOVE) {
        json_t* g = json_object_get(o, "groove");
        size_t p = sc_push_key(d, "groove");
        bool ok = g && json_is_array(g) && json_array_size(g) == 2;
        if (!ok) {
            sc_fail(d, "must be [[x, y], [x, y]] on body a");
        } else {
            size_t q = sc_push_index(d, 0);
            ok = sc_vec_value(d, json_array_get(g, 0), &j->groove_a);
            sc_pop(d, q);
            q = sc_push_index(d, 1);
            ok = ok && sc_vec_value(d, json_array_get(g, 1), &j->groove_b);
            sc_pop(d, q);
            if (ok && cpveql(j->groove_a, j->groove_b)) ok = sc_fail(d, "must have two ends");
        }
        sc_pop(d, p);
        if (!ok) return false;
    } else if (json_object_get(o, "groove")) {
        return sc_fail_at(d, "groove", "applies to groove joints only");
    }
    if (j->kind == SC_FRICTION) {
        if (!sc_num(d, o, "force", true, 0.0, max, &j->max_force) ||
            !sc_num(d, o, "torque", false, 0.0, max, &j->max_torque))
            return false;
    } else if (json_object_get(o, "force") || json_object_get(o, "torque")) {
        return sc_fail(d, "force and torque apply to friction joints");
    }
    if ((j->kind == SC_SPRING || j->kind == SC_ROTARY_SPRING) && !(j->stiffness > 0.0))
        return sc_fail_at(d, "stiffness", "must be > 0 for a spring");
    json_t* motor = json_object_get(o, "motor");
    if (motor) {
        static const char* const mkeys[] = {"max_torque", NULL};
        size_t p = sc_push_key(d, "motor");
        bool ok = json_is_object(motor)
                      ? sc_only(d, motor, mkeys) &&
                            sc_num(d, motor, "max_torque", true, 0.0, max, &j->max_torque)
                      : sc_fail(d, "must be {\"max_torque\": N m}");
        sc_pop(d, p);
        if (!ok) return false;
        if (j->kind != SC_PIVOT && j->kind != SC_ROTARY_SPRING)
            return sc_fail_at(d, "motor", "applies to pivot and rotary_spring joints");
        j->has_motor = true;
    }
    return true;
}

static bool joint_item(sc_dec* d, json_t* o, int i, void* ctx) {
    d->m->joint_count = i;
    return decode_joint(d, o, &d->m->joints[i], i);
}

bool sc_decode_joints(sc_dec* d, json_t* root) {
    json_t* arr;
    int n;
    sc_model* m = d->m;
    if (!sc_array(d, root, "joints", false, d->lim->max_joints, &arr, &n)) return false;
    if (!(m->joints = sc_alloc(d, (size_t)n, sizeof *m->joints))) return false;
    if (!sc_each(d, "joints", arr, n, joint_item, NULL)) return false;
    m->joint_count = n;
    return true;
}

/* ---- the document ---- */

static void model_free(sc_model* m) {
    free(m->bodies);
    free(m->shapes);
    free(m->verts);
    free(m->joints);
    free(m->actuators);
    free(m->action_names);
    free(m->table);
    free(m->channels);
    free(m->observed);
    free(m->spec_actuators);
    free((void*)m->spec.rays);
    free(m->terms);
    free(m->components);
    free(m->checks);
    free(m->conditions);
    free(m->constraints);
    free(m->randoms);
    free(m->generators);
    free(m->canonical);
}

void sp_scene_destroy(sp_scene* scene) {
    if (!scene) return;
    model_free(&scene->m);
    for (int i = 0; i < scene->string_count; i++)
        free(scene->strings[i]);
    free(scene->strings);
    free(scene);
}

static bool decode_document(sc_dec* d, json_t* root) {
    static const char* const keys[] = {
        "format",   "id",          "version",   "summary",    "world",  "bodies",
        "joints",   "actuators",   "actions",   "sensors",    "reward", "terminate",
        "truncate", "constraints", "randomize", "generators", NULL};
    sc_model* m = d->m;
    int format = 0;
    m->spec.summary = "a scene";
    if (!json_is_object(root)) return sc_fail(d, "must be a JSON object");
    if (!sc_only(d, root, keys) || !sc_int(d, root, "format", true, 0, 1000, &format)) return false;
    if (format != SP_SCENE_FORMAT)
        return sc_fail_at(d, "format", "is %d; this sandpit reads format %d", format,
                          SP_SCENE_FORMAT);
    return sc_str(d, root, "id", true, &m->spec.id) &&
           sc_int(d, root, "version", false, 0, 1000000, &m->spec.version) &&
           sc_str(d, root, "summary", false, &m->spec.summary) && decode_world(d, root) &&
           sc_decode_bodies(d, root) && sc_decode_joints(d, root) &&
           /* generators before sensors: a track sensor names its generator */
           sc_decode_generators(d, root) && sc_decode_actuators(d, root) &&
           sc_decode_sensors(d, root) && sc_decode_outcomes(d, root) &&
           sc_decode_randomize(d, root);
}

sp_scene* sp_scene_load(const char* json, size_t len, const sp_scene_limits* limits, char* err,
                        size_t err_sz) {
    sp_scene_limits def = sp_default_scene_limits();
    if (!limits) limits = &def;
    if (err && err_sz) err[0] = '\0';
    if (len > limits->max_bytes) {
        if (err)
            snprintf(err, err_sz, "scene: %zu bytes; the limit is %zu", len, limits->max_bytes);
        return NULL;
    }
    json_error_t jerr;
    json_t* root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (err)
            snprintf(err, err_sz, "scene: not valid JSON at line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
        return NULL;
    }
    sp_scene* sc = calloc(1, sizeof *sc);
    if (!sc) {
        json_decref(root);
        if (err) snprintf(err, err_sz, "scene: out of memory");
        return NULL;
    }
    sc_dec d = {.lim = limits, .m = &sc->m, .err = err, .err_sz = err_sz};
    sc->m.bytes = sizeof *sc;
    bool ok = decode_document(&d, root);
    if (ok) {
        sc->m.canonical = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        if (!sc->m.canonical)
            ok = sc_fail(&d, "out of memory");
        else
            sc->m.canonical_len = strlen(sc->m.canonical);
        sc->m.bytes += sc->m.canonical_len + 1;
    }
    json_decref(root);
    sc->strings = d.strings;
    sc->string_count = d.string_count;
    if (ok) ok = sc_finish(&d);
    if (!ok) {
        sp_scene_destroy(sc);
        return NULL;
    }
    return sc;
}

sp_scene* sp_scene_load_file(const char* path, const sp_scene_limits* limits, char* err,
                             size_t err_sz) {
    sp_scene_limits def = sp_default_scene_limits();
    if (!limits) limits = &def;
    FILE* f = fopen(path, "rb");
    if (!f) {
        if (err) snprintf(err, err_sz, "%s: cannot open", path);
        return NULL;
    }
    char* buf = malloc(limits->max_bytes + 1);
    size_t n = buf ? fread(buf, 1, limits->max_bytes + 1, f) : 0;
    fclose(f);
    if (!buf) {
        if (err) snprintf(err, err_sz, "%s: out of memory", path);
        return NULL;
    }
    char inner[384];
    sp_scene* sc = sp_scene_load(buf, n, limits, inner, sizeof inner);
    free(buf);
    if (!sc && err) snprintf(err, err_sz, "%s: %s", path, inner);
    return sc;
}

const sp_env_class* sp_scene_env(const sp_scene* scene) {
    return &scene->m.cls;
}

const char* sp_scene_canonical(const sp_scene* scene, size_t* len) {
    if (len) *len = scene->m.canonical_len;
    return scene->m.canonical;
}

size_t sp_scene_memory(const sp_scene* scene) {
    return scene->m.bytes;
}

const sp_scene* sp_scene_of_env(const sp_env_class* env) {
    if (!env || env->model == NULL || env->build != sc_build) return NULL;
    /* The class is the model's member, the model the scene's first member. */
    const sc_model* m = env->model;
    return (const sp_scene*)(const void*)m;
}

size_t sp_scene_episode_memory(const sp_scene* scene) {
    /* Measured orders of magnitude for Chipmunk 7: a body with its arbiter lists ~0.5 KiB, a
     * shape with its broad-phase leaves and contact caches ~1 KiB, a constraint ~0.25 KiB;
     * rounded up. SP_ENV_COST_BYTES already covers the space itself. */
    const sc_model* m = &scene->m;
    size_t shapes = (size_t)m->shape_count + (size_t)m->vert_count + (size_t)m->generated_shapes;
    return m->cls.state_size + (size_t)m->body_count * 1024 + shapes * 2048 +
           (size_t)m->joint_count * 2 * 512;
}
