/* Drawing a world: camera, colours, shapes, joints and contact marks.
 *
 * Shapes are read straight from the world through its handles (vertices, radii, body
 * transforms), so whatever an env builds is drawn without the env knowing about drawing. Order is
 * fixed (grid, terrain, shapes in registry order, joints, contacts) so overlaps always resolve the
 * same way. */

#include <math.h>

#include "sandpit/draw.h"
#include "sandpit/math.h"
#include "sandpit/scene.h"

/* Channels are multiples of 51 so every colour is in the GIF's 6x6x6 cube (see draw.h). */
static const sp_rgb shape_palette[] = {
    {255, 153, 51},  /* orange */
    {51, 153, 255},  /* blue */
    {102, 204, 102}, /* green */
    {255, 102, 153}, /* pink */
    {204, 204, 51},  /* olive */
    {153, 102, 255}, /* violet */
    {51, 204, 204},  /* teal */
    {255, 204, 102}, /* sand */
    {204, 51, 51},   /* red */
    {153, 204, 255}, /* sky */
};
#define PALETTE_SIZE ((int)(sizeof shape_palette / sizeof shape_palette[0]))

static const sp_rgb background = {0, 0, 51};
static const sp_rgb grid_color = {0, 51, 102};
static const sp_rgb terrain_color = {153, 153, 153};
static const sp_rgb joint_color = {255, 255, 255};
static const sp_rgb spring_color = {255, 255, 0};
static const sp_rgb contact_color = {255, 0, 0};
static const sp_rgb ray_color = {255, 102, 102};
static const sp_rgb ray_hit_color = {255, 255, 255};
static const sp_rgb ray_dropped_color = {102, 102, 102};
static const sp_rgb ray_true_color = {0, 255, 0};

/* Sizes in pixels, so joints and thin terrain stay visible at any zoom. */
#define MIN_LINE_HALF_WIDTH 0.75
#define JOINT_HALF_WIDTH 1.0
#define JOINT_DOT_RADIUS 2.5
#define CONTACT_ARM 3.0
#define MAX_POLY_VERTS 64

sp_rgb sp_draw_ray_color(void) {
    return ray_color;
}

sp_rgb sp_draw_ray_hit_color(void) {
    return ray_hit_color;
}

sp_rgb sp_draw_ray_dropped_color(void) {
    return ray_dropped_color;
}

sp_rgb sp_draw_background(void) {
    return background;
}

sp_rgb sp_draw_terrain_color(void) {
    return terrain_color;
}

sp_rgb sp_draw_shape_color(int index) {
    if (index < 0) index = -index;
    return shape_palette[index % PALETTE_SIZE];
}

/* A darker shade for marks drawn on a shape (a circle's spoke); stays in the cube. */
static sp_rgb shade(sp_rgb c) {
    sp_rgb d = {(uint8_t)(c.r >= 102 ? c.r - 102 : 0), (uint8_t)(c.g >= 102 ? c.g - 102 : 0),
                (uint8_t)(c.b >= 102 ? c.b - 102 : 0)};
    return d;
}

/* A pixel coordinate as an int, clamped so a far-off point never overflows the conversion. */
static int to_pixel(double v) {
    return v < -1e6 ? -1000000 : (v > 1e6 ? 1000000 : (int)floor(v));
}

static bool is_static(const sp_world* world, sp_body_id body) {
    return sp_body_get_type(world, body) == SP_BODY_STATIC;
}

sp_rgb sp_draw_body_color(const sp_world* world, int index) {
    if (index < 0 || index >= sp_world_body_count(world)) return background;
    sp_body_id body = sp_world_body_id(world, index);
    int n = sp_world_shape_count(world);
    for (int i = 0; i < n; i++) {
        if (sp_shape_body(world, sp_world_shape_id(world, i)).index1 == body.index1)
            return is_static(world, body) ? terrain_color : sp_draw_shape_color(i);
    }
    return background;
}

/* Scene shapes carry a role (sandpit/scene.h); goals, hazards, obstacles and targets get
 * their role's colour, agent parts and untagged shapes the palette, terrain grey. */
sp_rgb sp_draw_role_color(int role) {
    static const sp_rgb role_colors[] = {
        [SP_ROLE_GOAL] = {51, 204, 51},      [SP_ROLE_HAZARD] = {255, 51, 51},
        [SP_ROLE_TERRAIN] = {153, 153, 153}, [SP_ROLE_OBSTACLE] = {153, 102, 51},
        [SP_ROLE_TARGET] = {255, 255, 51},
    };
    if (role <= SP_ROLE_AGENT || role >= SP_ROLE_COUNT) return shape_palette[0];
    return role_colors[role];
}

static sp_rgb shape_color(const sp_world* world, sp_shape_id s, int index, bool terrain) {
    int role = sp_scene_shape_role(world, s);
    if (role > SP_ROLE_AGENT) return sp_draw_role_color(role);
    return terrain ? terrain_color : sp_draw_shape_color(index);
}

sp_scene_opts sp_default_scene_opts(void) {
    sp_scene_opts o = {.grid = true, .joints = true};
    return o;
}

sp_camera sp_camera_frame(const sp_view_hint* hint, const sp_world* world, int width, int height) {
    /* The view spans the image's shorter side, so a tall or narrow panel (two files side by
     * side) still shows the whole scene. */
    double view = hint->view_width > 0.0 ? hint->view_width : 10.0;
    int side = width < height ? width : height;
    sp_camera cam = {hint->center_x, hint->center_y, (double)side / view, width, height};
    if (hint->focus_body >= 0 && hint->focus_body < sp_world_body_count(world)) {
        sp_vec2 p = sp_body_position(world, sp_world_body_id(world, hint->focus_body));
        if (hint->follow_x && isfinite(p.x)) cam.center_x += p.x;
        if (hint->follow_y && isfinite(p.y)) cam.center_y += p.y;
    }
    return cam;
}

bool sp_camera_project(const sp_camera* cam, double x, double y, double* px, double* py) {
    double u = (x - cam->center_x) * cam->scale + 0.5 * (double)cam->width;
    double v = 0.5 * (double)cam->height - (y - cam->center_y) * cam->scale;
    if (!isfinite(u) || !isfinite(v)) return false;
    *px = u;
    *py = v;
    return true;
}

bool sp_draw_body_pixel(const sp_camera* cam, const sp_world* world, int index, int* px, int* py) {
    if (index < 0 || index >= sp_world_body_count(world)) return false;
    sp_vec2 p = sp_body_position(world, sp_world_body_id(world, index));
    double u, v;
    if (!sp_camera_project(cam, p.x, p.y, &u, &v)) return false;
    if (u < 0.0 || v < 0.0 || u >= (double)cam->width || v >= (double)cam->height) return false;
    *px = to_pixel(u);
    *py = to_pixel(v);
    return true;
}

/* The world and a body in it: what a body-local point is drawn through. */
typedef struct body_ref {
    const sp_world* world;
    sp_body_id id;
} body_ref;

/* Projects a body-local point; false when the result is not finite. */
static bool project_local(const sp_camera* cam, body_ref body, sp_vec2 local, double* px,
                          double* py) {
    sp_vec2 w = sp_body_local_to_world(body.world, body.id, local);
    return sp_camera_project(cam, w.x, w.y, px, py);
}

/* The spacing of grid lines: a power of ten at least 24 pixels apart. */
static double grid_step(double scale) {
    double step = 1.0;
    while (step * scale < 24.0 && step < 1e6)
        step *= 10.0;
    while (step * scale > 240.0 && step > 1e-3)
        step /= 10.0;
    return step;
}

static void draw_grid(sp_image* img, const sp_camera* cam) {
    if (!(cam->scale > 0.0) || !isfinite(cam->center_x) || !isfinite(cam->center_y)) return;
    double step = grid_step(cam->scale);
    double half_w = 0.5 * (double)cam->width / cam->scale;
    double half_h = 0.5 * (double)cam->height / cam->scale;
    double x0 = floor((cam->center_x - half_w) / step) * step;
    double y0 = floor((cam->center_y - half_h) / step) * step;
    /* Counted loops: far from the origin `x += step` may not change x at all. Lines are at
     * least 24 pixels apart, so an image holds only a few. */
    int nx = (int)fmin(2.0 * half_w / step + 2.0, 4096.0);
    int ny = (int)fmin(2.0 * half_h / step + 2.0, 4096.0);
    double px, py;
    for (int i = 0; i < nx; i++)
        if (sp_camera_project(cam, x0 + i * step, 0.0, &px, &py))
            sp_draw_rect(img, to_pixel(px), 0, 1, img->height, grid_color);
    for (int i = 0; i < ny; i++)
        if (sp_camera_project(cam, 0.0, y0 + i * step, &px, &py))
            sp_draw_rect(img, 0, to_pixel(py), img->width, 1, grid_color);
}

/* A shape handle with its world, and its body's. */
typedef struct shape_ref {
    const sp_world* world;
    sp_shape_id id;
    body_ref body;
} shape_ref;

static void draw_circle(sp_image* img, const sp_camera* cam, shape_ref s, sp_rgb c) {
    body_ref body = s.body;
    sp_vec2 offset = sp_shape_circle_center(s.world, s.id);
    double radius = sp_shape_radius(s.world, s.id);
    double r = radius * cam->scale;
    double cx, cy, ex, ey;
    if (!project_local(cam, body, offset, &cx, &cy)) return;
    sp_draw_disc(img, cx, cy, fmax(r, MIN_LINE_HALF_WIDTH), c);
    /* A spoke from mid-radius to the rim shows rotation, and leaves the centre pixel (the one
     * tests probe) in the shape's own colour. */
    sp_vec2 rim = {offset.x + 0.0, offset.y + radius};
    sp_vec2 mid = {offset.x + 0.0, offset.y + 0.4 * radius};
    double mx, my;
    if (r > 6.0 && project_local(cam, body, rim, &ex, &ey) &&
        project_local(cam, body, mid, &mx, &my))
        sp_draw_capsule(img, mx, my, ex, ey, JOINT_HALF_WIDTH, shade(c));
}

static void draw_segment(sp_image* img, const sp_camera* cam, shape_ref s, sp_rgb c) {
    double ax, ay, bx, by;
    if (!project_local(cam, s.body, sp_shape_segment_a(s.world, s.id), &ax, &ay) ||
        !project_local(cam, s.body, sp_shape_segment_b(s.world, s.id), &bx, &by))
        return;
    double r = fmax(sp_shape_radius(s.world, s.id) * cam->scale, MIN_LINE_HALF_WIDTH);
    sp_draw_capsule(img, ax, ay, bx, by, r, c);
}

static void draw_poly(sp_image* img, const sp_camera* cam, shape_ref s, sp_rgb c) {
    int n = sp_shape_polygon_count(s.world, s.id);
    if (n > MAX_POLY_VERTS) n = MAX_POLY_VERTS;
    double xs[MAX_POLY_VERTS], ys[MAX_POLY_VERTS];
    for (int i = 0; i < n; i++)
        if (!project_local(cam, s.body, sp_shape_polygon_vertex(s.world, s.id, i), &xs[i], &ys[i]))
            return;
    sp_draw_convex(img, xs, ys, n, c);
    /* Rounded polygons (a radius > 0) grow by that radius: capsules along every edge. */
    double r = sp_shape_radius(s.world, s.id) * cam->scale;
    if (r > 0.5)
        for (int i = 0; i < n; i++)
            sp_draw_capsule(img, xs[i], ys[i], xs[(i + 1) % n], ys[(i + 1) % n], r, c);
}

static void draw_shape(sp_image* img, const sp_camera* cam, shape_ref s, sp_rgb c) {
    switch (sp_shape_get_kind(s.world, s.id)) {
    case SP_SHAPE_CIRCLE:
        draw_circle(img, cam, s, c);
        break;
    case SP_SHAPE_SEGMENT:
        draw_segment(img, cam, s, c);
        break;
    case SP_SHAPE_POLYGON:
        draw_poly(img, cam, s, c);
        break;
    default:
        break;
    }
}

static void dot(sp_image* img, const sp_camera* cam, body_ref body, sp_vec2 local) {
    double x, y;
    if (project_local(cam, body, local, &x, &y))
        sp_draw_disc(img, x, y, JOINT_DOT_RADIUS, joint_color);
}

static void line(sp_image* img, const sp_camera* cam, body_ref a, sp_vec2 la, body_ref b,
                 sp_vec2 lb, sp_rgb c) {
    double ax, ay, bx, by;
    if (project_local(cam, a, la, &ax, &ay) && project_local(cam, b, lb, &bx, &by))
        sp_draw_capsule(img, ax, ay, bx, by, JOINT_HALF_WIDTH, c);
}

/* A spring as a zigzag between its anchors, so it reads differently from a rigid pin. */
static void zigzag(sp_image* img, const sp_camera* cam, body_ref a, body_ref b,
                   const sp_joint_info* j) {
    double ax, ay, bx, by;
    if (!project_local(cam, a, j->anchor_a, &ax, &ay) ||
        !project_local(cam, b, j->anchor_b, &bx, &by))
        return;
    enum { TEETH = 10 };
    double dx = bx - ax, dy = by - ay, len = sqrt(dx * dx + dy * dy);
    if (!(len > 1.0)) return;
    double nx = -dy / len * 4.0, ny = dx / len * 4.0;
    double px = ax, py = ay;
    for (int i = 1; i <= TEETH; i++) {
        double t = (double)i / TEETH, side = i == TEETH ? 0.0 : (i % 2 ? 1.0 : -1.0);
        double qx = ax + t * dx + side * nx, qy = ay + t * dy + side * ny;
        sp_draw_capsule(img, px, py, qx, qy, JOINT_HALF_WIDTH, spring_color);
        px = qx;
        py = qy;
    }
}

static void draw_joint(sp_image* img, const sp_camera* cam, const sp_world* world, sp_joint_id id) {
    sp_joint_info j = sp_joint_get_info(world, id);
    body_ref a = {world, j.body_a}, b = {world, j.body_b};
    switch (j.kind) {
    case SP_JOINT_PIVOT:
    case SP_JOINT_PIN:
    case SP_JOINT_SLIDE:
        line(img, cam, a, j.anchor_a, b, j.anchor_b, joint_color);
        dot(img, cam, a, j.anchor_a);
        dot(img, cam, b, j.anchor_b);
        break;
    case SP_JOINT_GROOVE:
        line(img, cam, a, j.groove_a, a, j.groove_b, joint_color);
        dot(img, cam, b, j.anchor_b);
        break;
    case SP_JOINT_SPRING:
        zigzag(img, cam, a, b, &j);
        dot(img, cam, a, j.anchor_a);
        dot(img, cam, b, j.anchor_b);
        break;
    default:
        /* Rotary joints (gear, ratchet, rotary limit and spring, motor) have no anchor points
         * to draw; their effect shows in the bodies' angles. */
        break;
    }
}

static void draw_contacts(sp_image* img, const sp_camera* cam, const sp_scene_opts* opts) {
    for (int i = 0; i < opts->contact_count; i++) {
        double x, y;
        if (!sp_camera_project(cam, opts->contacts[i].x, opts->contacts[i].y, &x, &y)) continue;
        sp_draw_capsule(img, x - CONTACT_ARM, y - CONTACT_ARM, x + CONTACT_ARM, y + CONTACT_ARM,
                        0.75, contact_color);
        sp_draw_capsule(img, x - CONTACT_ARM, y + CONTACT_ARM, x + CONTACT_ARM, y - CONTACT_ARM,
                        0.75, contact_color);
    }
}

int sp_draw_rays_from_readings(const sp_env_spec* spec, const sp_world* world, const float* seen,
                               const float* truth, const uint8_t* valid, sp_draw_ray* out,
                               int max) {
    int n = 0;
    for (int i = 0; i < spec->ray_count && n < max; i++) {
        const sp_ray_sensor* r = &spec->rays[i];
        if (r->sensor < 0 || r->sensor >= spec->sensor_count) continue;
        sp_vec2 origin = {r->x, r->y}, dir;
        sp_sincos(r->angle, &dir.y, &dir.x);
        if (r->body >= 0 && r->body < sp_world_body_count(world)) {
            sp_body_id b = sp_world_body_id(world, r->body);
            origin = sp_body_local_to_world(world, b, origin);
            if (!r->world_frame) {
                sp_vec2 rot = sp_body_rotation(world, b); /* rotates as Chipmunk's cpvrotate */
                dir = (sp_vec2){dir.x * rot.x - dir.y * rot.y, dir.x * rot.y + dir.y * rot.x};
            }
        }
        double got = seen[r->sensor];
        double real = truth ? truth[r->sensor] : got;
        bool dropped = (valid && !valid[r->sensor]) || !isfinite(got);
        double len = dropped ? r->range : fmin(fmax(got, 0.0), r->range);
        double tlen = isfinite(real) ? fmin(fmax(real, 0.0), r->range) : len;
        sp_vec2 end = {origin.x + dir.x * len, origin.y + dir.y * len};
        sp_vec2 tend = {origin.x + dir.x * tlen, origin.y + dir.y * tlen};
        out[n++] = (sp_draw_ray){
            origin.x, origin.y, end.x, end.y, tend.x, tend.y, !dropped && got < r->range, dropped};
    }
    return n;
}

/* Beams as thin lines; a hit marked by a dot, the truth by a green dot where it differs; a
 * dropped reading grey to the full range, so a blind sensor shows as one. */
static void draw_rays(sp_image* img, const sp_camera* cam, const sp_scene_opts* opts) {
    for (int i = 0; i < opts->ray_count; i++) {
        const sp_draw_ray* r = &opts->rays[i];
        double ax, ay, bx, by, tx, ty;
        if (!sp_camera_project(cam, r->x0, r->y0, &ax, &ay) ||
            !sp_camera_project(cam, r->x1, r->y1, &bx, &by))
            continue;
        sp_draw_capsule(img, ax, ay, bx, by, 0.5, r->dropped ? ray_dropped_color : ray_color);
        if (r->dropped) continue;
        if (sp_camera_project(cam, r->tx, r->ty, &tx, &ty) &&
            (fabs(tx - bx) >= 1.0 || fabs(ty - by) >= 1.0))
            sp_draw_disc(img, tx, ty, 2.0, ray_true_color);
        if (r->hit) sp_draw_disc(img, bx, by, 2.0, ray_hit_color);
    }
}

void sp_draw_world(sp_image* img, const sp_camera* cam, const sp_world* world,
                   const sp_scene_opts* opts) {
    sp_scene_opts defaults = sp_default_scene_opts();
    if (!opts) opts = &defaults;
    sp_draw_clear(img, background);
    if (opts->grid) draw_grid(img, cam);
    int n = sp_world_shape_count(world);
    /* Terrain first, so moving bodies are never hidden behind the ground they touch. Sensor
     * shapes (contact detectors) are not matter and are left out. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            sp_shape_id id = sp_world_shape_id(world, i);
            if (sp_shape_is_sensor(world, id)) continue;
            shape_ref s = {world, id, {world, sp_shape_body(world, id)}};
            bool terrain = is_static(world, s.body.id);
            if (terrain != (pass == 0)) continue;
            sp_rgb c = shape_color(world, id, i, terrain);
            if (opts->shape_color) c = opts->shape_color(opts->shape_color_user, world, i, c);
            draw_shape(img, cam, s, c);
        }
    }
    if (opts->joints) {
        int m = sp_world_constraint_count(world);
        for (int i = 0; i < m; i++)
            draw_joint(img, cam, world, sp_world_joint_id(world, i));
    }
    draw_rays(img, cam, opts);
    draw_contacts(img, cam, opts);
}
