/* Charts and scene marks (replay/draw/plot.c, decor.c, the rays and role colours of scene.c,
 * the HUD's extra lines): exact colours at computed pixels, as the rest of sp_draw. */

#include "world_chipmunk.h"
#include <math.h>
#include <string.h>

#include "ensure.h"
#include "pixels.h"
#include "sandpit/draw.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"

#define W 300
#define H 120

static uint8_t pixels[H * W * 3];

/* The column a step's centre falls in, as plot.c and the timeline compute it. */
static int column(int s, int width, int steps) {
    int x0 = (int)((long)s * width / (steps + 1)), x1 = (int)((long)(s + 1) * width / (steps + 1));
    if (x1 <= x0) x1 = x0 + 1;
    return (x0 + x1 - 1) / 2;
}

static void test_chart(void) {
    enum { N = 99 };
    static float up[N + 1], flat[N + 1];
    static uint8_t valid[N + 1], band[N + 1], marks[N + 1];
    for (int k = 0; k <= N; k++) {
        up[k] = (float)k;
        flat[k] = 50.0f;
        valid[k] = !(k >= 20 && k < 30);       /* an outage over steps 20..29 */
        band[k] = (k >= 60 && k < 70) ? 2 : 0; /* fault 1 active over steps 60..69 */
    }
    up[40] = NAN; /* a gap */
    marks[80] = SP_MARK_GUARD;
    sp_image img = sp_image_wrap(pixels, W, H, W * 3);
    sp_rgb blue = {51, 204, 255}, grey_truth = {204, 204, 204};
    sp_chart c = {.title = "x",
                  .step_count = N,
                  .series_count = 2,
                  .band = band,
                  .marks = marks,
                  .mark_steps = N,
                  .current = 10,
                  .diverge_step = 90};
    c.series[0] = (sp_chart_series){flat, N, grey_truth, NULL};
    c.series[1] = (sp_chart_series){up, N, blue, valid};
    sp_draw_chart(&img, &c);
    static uint8_t first[sizeof pixels];
    memcpy(first, pixels, sizeof pixels);
    sp_draw_chart(&img, &c);
    ENSURE(memcmp(first, pixels, sizeof pixels) == 0); /* the same chart, the same bytes */

    /* The rising line: blue at the bottom-left region and top-right, grey through the outage. */
    ENSURE(count_color(&img, blue) > 100);
    sp_rgb grey = {102, 102, 102};
    int greyed = 0, blue_in_outage = 0;
    for (int x = column(21, W, N); x <= column(28, W, N); x++)
        for (int y = 0; y < H; y++) {
            greyed += same(sp_image_get(&img, x, y), grey);
            blue_in_outage += same(sp_image_get(&img, x, y), blue);
        }
    ENSURE_MSG(greyed > 5 && blue_in_outage == 0, "greyed %d, blue %d", greyed, blue_in_outage);
    /* The band in fault 1's tint, away from the lines; nothing tinted outside it. */
    int x65 = column(65, W, N);
    int tinted = 0;
    for (int y = 0; y < H; y++)
        tinted += same(sp_image_get(&img, x65, y), sp_draw_fault_band(1));
    ENSURE(tinted > H / 2);
    ENSURE(count_color(&img, sp_draw_fault_band(1)) < (column(70, W, N) - column(59, W, N)) * H);
    ENSURE(!same(sp_draw_fault_band(0), sp_draw_fault_band(1)));
    /* Guardrail line red, divergence magenta, cursor white, at their steps' columns. */
    ENSURE(same(sp_image_get(&img, column(80, W, N), H - 10), (sp_rgb){255, 51, 51}));
    ENSURE(same(sp_image_get(&img, column(90, W, N), H - 10), (sp_rgb){255, 0, 255}));
    ENSURE(same(sp_image_get(&img, column(10, W, N), H - 10), (sp_rgb){255, 255, 255}));
    /* The flat truth line is drawn where nothing covers it. */
    int x5 = column(5, W, N), truth = 0;
    for (int y = 0; y < H; y++)
        truth += same(sp_image_get(&img, x5, y), grey_truth);
    ENSURE(truth >= 1);

    /* A chart with nothing finite draws its frame only, and a zero-size image nothing. */
    static float nans[N + 1];
    for (int k = 0; k <= N; k++)
        nans[k] = NAN;
    sp_chart empty = {.step_count = N, .series_count = 1, .current = -1, .diverge_step = -1};
    empty.series[0] = (sp_chart_series){nans, N, blue, NULL};
    sp_draw_chart(&img, &empty);
    ENSURE(count_color(&img, blue) == 0);
    sp_image none = sp_image_sub(&img, 0, 0, 0, 0);
    sp_draw_chart(&none, &c);
}

static void test_hud_lines(void) {
    sp_image img = sp_image_wrap(pixels, W, H, W * 3);
    sp_draw_clear(&img, sp_draw_background());
    const char* lines[] = {"fault 0: outage"};
    sp_rgb colors[] = {sp_draw_fault_color(0)};
    sp_hud hud = {.title = "t",
                  .step = 1,
                  .step_count = 2,
                  .lines = lines,
                  .line_colors = colors,
                  .line_count = 1};
    sp_draw_hud(&img, &hud, 1);
    ENSURE(count_color(&img, sp_draw_fault_color(0)) > 20);
}

static sp_rgb role_color(void* user, const sp_world* world, int shape, sp_rgb fallback) {
    (void)world;
    return shape == *(int*)user ? (sp_rgb){0, 255, 0} : fallback;
}

/* Rays from the scene options, and the role-colour hook, on a one-box world. */
static void test_rays_and_roles(void) {
    sp_world_def wd = sp_default_world_def();
    sp_world* world = sp_world_create(&wd);
    ENSURE(world);
    cpBody* box = sp_world_add_body(world, cpBodyNew(1.0, 1.0));
    sp_world_add_shape(world, cpBoxShapeNew(box, 1.0, 1.0, 0.0));
    sp_view_hint hint = {10.0, 0, false, false, 0.0, 0.0};
    sp_image img = sp_image_wrap(pixels, W, H, W * 3);
    sp_camera cam = sp_camera_frame(&hint, world, W, H);
    sp_draw_ray rays[2] = {
        {0.0, 0.0, 3.0, 0.0, 3.0, 0.0, true, false},   /* a hit 3 m to the right */
        {0.0, 0.0, -4.0, 0.0, -4.0, 0.0, false, true}, /* dropped: grey to the full range */
    };
    sp_scene_opts o = sp_default_scene_opts();
    o.grid = false;
    o.rays = rays;
    o.ray_count = 2;
    int target = 0;
    o.shape_color = role_color;
    o.shape_color_user = &target;
    sp_draw_world(&img, &cam, world, &o);
    double hx, hy, mx, my, dx, dy;
    ENSURE(sp_camera_project(&cam, 3.0, 0.0, &hx, &hy));
    ENSURE(sp_camera_project(&cam, 2.0, 0.0, &mx, &my));
    ENSURE(sp_camera_project(&cam, -3.0, 0.0, &dx, &dy));
    ENSURE(same(sp_image_get(&img, (int)hx, (int)hy), sp_draw_ray_hit_color()));
    ENSURE(same(sp_image_get(&img, (int)mx, (int)my), sp_draw_ray_color()));
    ENSURE(same(sp_image_get(&img, (int)dx, (int)dy), sp_draw_ray_dropped_color()));
    int px, py;
    ENSURE(sp_draw_body_pixel(&cam, world, 0, &px, &py));
    ENSURE(same(sp_image_get(&img, px + 3, py + 3), (sp_rgb){0, 255, 0})); /* the role colour */
    sp_world_destroy(world);
}

/* Declared beams become rays from one step's readings: on a body, rotated with it; a dropped
 * reading goes to the full range; the truth's end where it differs. */
static void test_rays_from_declared_sensors(void) {
    sp_world_def wd = sp_default_world_def();
    sp_world* world = sp_world_create(&wd);
    ENSURE(world);
    cpBody* body = sp_world_add_body(world, cpBodyNew(1.0, 1.0));
    cpBodySetPosition(body, cpv(1.0, 2.0));
    cpBodySetAngle(body, 0.5 * 3.14159265358979323846); /* the body's x axis points up */
    static const sp_channel sensors[3] = {
        {"lidar.0", "m", 0, 5, ""}, {"lidar.1", "m", 0, 5, ""}, {"speed", "m/s", 0, 9, ""}};
    static const sp_ray_sensor rays[3] = {
        {0, 0, 0.5, 0.0, 0.0, 5.0, false},  /* forward from 0.5 m ahead of the body's centre */
        {1, -1, 0.0, 0.0, 0.0, 5.0, false}, /* fixed in the world at the origin, along +x */
        {7, 0, 0.0, 0.0, 0.0, 5.0, false},  /* names no sensor: skipped */
    };
    sp_env_spec spec = {
        .id = "rays", .sensor_count = 3, .sensors = sensors, .ray_count = 3, .rays = rays};
    float seen[3] = {2.0f, 9.0f, 1.0f}, truth[3] = {2.5f, 4.0f, 1.0f};
    uint8_t valid[3] = {1, 0, 1};
    sp_draw_ray out[4];
    ENSURE(sp_draw_rays_from_readings(&spec, world, seen, truth, valid, out, 4) == 2);
    /* Ray 0 starts 0.5 m above (1, 2) and runs 2 m up: a hit; the truth ends 0.5 m further. */
    ENSURE(fabs(out[0].x0 - 1.0) < 1e-12 && fabs(out[0].y0 - 2.5) < 1e-12);
    ENSURE(fabs(out[0].x1 - 1.0) < 1e-12 && fabs(out[0].y1 - 4.5) < 1e-12);
    ENSURE(fabs(out[0].ty - 5.0) < 1e-12 && out[0].hit && !out[0].dropped);
    /* Ray 1 was dropped: to the full range, no hit. */
    ENSURE(out[1].dropped && !out[1].hit && out[1].x1 == 5.0 && out[1].y1 == 0.0);
    /* A reading at the range is no hit; NaN is dropped; `max` bounds the output. */
    seen[0] = 5.0f;
    seen[1] = NAN;
    ENSURE(sp_draw_rays_from_readings(&spec, world, seen, NULL, NULL, out, 4) == 2);
    ENSURE(!out[0].hit && !out[0].dropped && out[1].dropped);
    ENSURE(sp_draw_rays_from_readings(&spec, world, seen, NULL, NULL, out, 1) == 1);
    sp_world_destroy(world);
}

/* Lander: a flame under the hull only while the main engine fires, flags on the pad. */
static void test_lander_decor(void) {
    const sp_env_class* env = sp_env_find("Lander-v0");
    ENSURE(env);
    char err[128];
    sp_episode* ep = sp_episode_create(&(sp_episode_def){env, 1, 0}, err, sizeof err);
    ENSURE(ep && sp_episode_reset(ep, NULL) == 0);
    sp_world* world = sp_episode_world(ep);
    sp_view_hint hint = sp_view_hint_for("Lander-v0");
    static uint8_t big[480 * 640 * 3];
    sp_image img = sp_image_wrap(big, 640, 480, 640 * 3);
    sp_camera cam = sp_camera_frame(&hint, world, 640, 480);
    sp_action fire = {.index = 2}, idle = {.index = 0}, side = {.index = 1};
    sp_draw_world(&img, &cam, world, NULL);
    sp_draw_decor(&img, &cam, world, "Lander-v0", &idle);
    ENSURE(count_color(&img, sp_draw_flame_color()) == 0);
    ENSURE(count_color(&img, sp_draw_flag_color()) > 10);
    sp_draw_world(&img, &cam, world, NULL);
    sp_draw_decor(&img, &cam, world, "Lander-v0", &fire);
    int main_flame = count_color(&img, sp_draw_flame_color());
    ENSURE(main_flame > 20);
    /* The flame is below the hull's centre (the craft starts upright). */
    int px, py, below = 0;
    ENSURE(sp_draw_body_pixel(&cam, world, 0, &px, &py));
    for (int y = py; y < 480; y++)
        below += same(sp_image_get(&img, px, y), sp_draw_flame_color());
    ENSURE(below > 3);
    sp_draw_world(&img, &cam, world, NULL);
    sp_draw_decor(&img, &cam, world, "Lander-v0", &side);
    int side_flame = count_color(&img, sp_draw_flame_color());
    ENSURE(side_flame > 0 && side_flame < main_flame);
    /* Continuous: flame length grows with throttle. */
    sp_action lo = {.value = {0.1f, 0.0f}}, hi = {.value = {1.0f, 0.0f}};
    sp_draw_world(&img, &cam, world, NULL);
    sp_draw_decor(&img, &cam, world, "LanderContinuous-v0", &lo);
    int small = count_color(&img, sp_draw_flame_color());
    sp_draw_world(&img, &cam, world, NULL);
    sp_draw_decor(&img, &cam, world, "LanderContinuous-v0", &hi);
    ENSURE(count_color(&img, sp_draw_flame_color()) > small && small > 0);
    /* Other envs: nothing. */
    sp_draw_world(&img, &cam, world, NULL);
    sp_draw_decor(&img, &cam, world, "CartPole-v0", &fire);
    ENSURE(count_color(&img, sp_draw_flag_color()) == 0);
    sp_episode_destroy(ep);
}

static const sp_test_case cases[] = {
    {"chart", test_chart},
    {"hud_lines", test_hud_lines},
    {"rays_and_roles", test_rays_and_roles},
    {"rays_from_declared_sensors", test_rays_from_declared_sensors},
    {"lander_decor", test_lander_decor},
};

int main(int argc, char** argv) {
    return sp_test_run(argc, argv, cases, (int)(sizeof cases / sizeof cases[0]));
}
