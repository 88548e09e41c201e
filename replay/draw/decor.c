/* Env-specific marks over the scene: what the world's shapes do not show by themselves. Kept
 * here, keyed by env id like the view hints, so envs stay free of drawing concerns; each entry
 * reads only the world and the action the env received.
 *
 * Lander: thruster flames sized by throttle (the env's action mapping: discrete fire_main is
 * full main throttle; continuous main throttle is 50%..100% over (0, 1], lateral fires a side
 * thruster beyond +-0.5), and flags on the landing pad's edges. */

#include <math.h>
#include <string.h>

#include "sandpit/draw.h"

static const sp_rgb flame_color = {255, 102, 0};
static const sp_rgb flag_color = {255, 255, 51};
static const sp_rgb pole_color = {255, 255, 255};

sp_rgb sp_draw_flame_color(void) {
    return flame_color;
}

sp_rgb sp_draw_flag_color(void) {
    return flag_color;
}

/* Lander's pad: x in [-2, 2] m at the surface height (envs/lander.c: the three middle chunk
 * points of an 11-point, 20 m terrain at a quarter of the 40/3 m screen height). */
#define LANDER_PAD_HALF 2.0
#define LANDER_PAD_Y (40.0 / 3.0 / 4.0)
#define LANDER_POLE_H 1.0
#define MAIN_FLAME_LEN 1.0 /* m at full throttle */
#define SIDE_FLAME_LEN 0.5
#define FLAME_HALF_BASE 0.12

/* A triangle pointing along `dir` from `base` in the body's frame, `len` metres long. */
static void flame(sp_image* img, const sp_camera* cam, const sp_world* world, sp_body_id body,
                  sp_vec2 base, sp_vec2 dir, double len) {
    if (!(len > 0.0)) return;
    sp_vec2 side = {-dir.y * FLAME_HALF_BASE, dir.x * FLAME_HALF_BASE};
    sp_vec2 pts[3] = {{base.x + side.x, base.y + side.y},
                      {base.x - side.x, base.y - side.y},
                      {base.x + dir.x * len, base.y + dir.y * len}};
    double xs[3], ys[3];
    for (int i = 0; i < 3; i++) {
        sp_vec2 w = sp_body_local_to_world(world, body, pts[i]);
        if (!sp_camera_project(cam, w.x, w.y, &xs[i], &ys[i])) return;
    }
    sp_draw_convex(img, xs, ys, 3, flame_color);
}

static void pad_flag(sp_image* img, const sp_camera* cam, double x) {
    double px, py, tx, ty, fx, fy, gx, gy;
    if (!sp_camera_project(cam, x, LANDER_PAD_Y, &px, &py) ||
        !sp_camera_project(cam, x, LANDER_PAD_Y + LANDER_POLE_H, &tx, &ty) ||
        !sp_camera_project(cam, x + 0.5, LANDER_PAD_Y + LANDER_POLE_H - 0.15, &fx, &fy) ||
        !sp_camera_project(cam, x, LANDER_PAD_Y + LANDER_POLE_H - 0.3, &gx, &gy))
        return;
    sp_draw_capsule(img, px, py, tx, ty, 0.75, pole_color);
    double xs[3] = {tx, fx, gx}, ys[3] = {ty, fy, gy};
    sp_draw_convex(img, xs, ys, 3, flag_color);
}

static void lander(sp_image* img, const sp_camera* cam, const sp_world* world, const sp_action* a,
                   bool continuous) {
    pad_flag(img, cam, -LANDER_PAD_HALF);
    pad_flag(img, cam, LANDER_PAD_HALF);
    if (!a || sp_world_body_count(world) < 1 || sp_world_shape_count(world) < 1) return;
    sp_body_id hull = sp_world_body_id(world, 0);
    /* The hull's outline in its own frame gives the mounts, whatever its exact shape. */
    sp_shape_id shape = {0, 0};
    for (int i = 0; i < sp_world_shape_count(world) && sp_shape_is_null(shape); i++)
        if (sp_shape_body(world, sp_world_shape_id(world, i)).index1 == hull.index1)
            shape = sp_world_shape_id(world, i);
    int count = sp_shape_polygon_count(world, shape);
    if (count < 3) return;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < count; i++) {
        sp_vec2 v = sp_shape_polygon_vertex(world, shape, i);
        xmin = fmin(xmin, v.x), xmax = fmax(xmax, v.x);
        ymin = fmin(ymin, v.y), ymax = fmax(ymax, v.y);
    }
    double main = 0.0, side = 0.0;
    int dir = 0; /* -1: pushed left (flame out of the right side), +1: pushed right */
    if (continuous) {
        if (a->value[0] > 0.0f) main = 0.5 + 0.5 * a->value[0];
        if (fabs(a->value[1]) > 0.5) side = fabs(a->value[1]), dir = a->value[1] < 0.0f ? -1 : 1;
    } else {
        if (a->index == 2) main = 1.0;
        if (a->index == 1 || a->index == 3) side = 1.0, dir = a->index == 1 ? -1 : 1;
    }
    flame(img, cam, world, hull, (sp_vec2){0.5 * (xmin + xmax), ymin}, (sp_vec2){0.0, -1.0},
          main * MAIN_FLAME_LEN);
    double side_y = ymin + 0.89 * (ymax - ymin);
    if (dir < 0)
        flame(img, cam, world, hull, (sp_vec2){xmax, side_y}, (sp_vec2){1.0, 0.0},
              side * SIDE_FLAME_LEN);
    if (dir > 0)
        flame(img, cam, world, hull, (sp_vec2){xmin, side_y}, (sp_vec2){-1.0, 0.0},
              side * SIDE_FLAME_LEN);
}

void sp_draw_decor(sp_image* img, const sp_camera* cam, const sp_world* world, const char* env_id,
                   const sp_action* applied) {
    if (!env_id) return;
    if (strcmp(env_id, "Lander-v0") == 0) lander(img, cam, world, applied, false);
    if (strcmp(env_id, "LanderContinuous-v0") == 0) lander(img, cam, world, applied, true);
}
