/* Drawing and encoders: shapes land where the camera says with their own colour, overlays
 * draw, PNG files are well formed chunk by chunk and GIF files are well formed block by
 * block. Decoding the compressed data is checked by tests/cli/export.sh with Pillow. */

#include "world_chipmunk.h"
#include <chipmunk/chipmunk_structs.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ensure.h"
#include "pixels.h"
#include "sandpit/draw.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/export.h"

#define W 320
#define H 240

static uint8_t pixels[H * W * 3];

static sp_image blank_image(void) {
    sp_image img = sp_image_wrap(pixels, W, H, W * 3);
    sp_rgb black = {0, 0, 0};
    sp_draw_clear(&img, black);
    return img;
}

static void test_primitives(void) {
    sp_image img = blank_image();
    sp_rgb red = {255, 0, 0}, green = {0, 255, 0}, blue = {0, 0, 255};
    sp_draw_disc(&img, 50.0, 50.0, 10.0, red);
    ENSURE(same(sp_image_get(&img, 50, 50), red));
    ENSURE(same(sp_image_get(&img, 59, 50), red));
    ENSURE(!same(sp_image_get(&img, 61, 50), red));
    /* Area close to pi r^2: coverage is decided at pixel centres. */
    int n = count_color(&img, red);
    ENSURE_MSG(abs(n - 314) < 20, "disc covers %d pixels", n);

    double xs[4] = {100, 140, 140, 100}, ys[4] = {100, 100, 120, 120};
    sp_draw_convex(&img, xs, ys, 4, green);
    ENSURE(count_color(&img, green) == 40 * 20); /* exactly the pixels whose centres are inside */

    sp_draw_capsule(&img, 200, 50, 260, 50, 3.0, blue);
    ENSURE(same(sp_image_get(&img, 230, 50), blue));
    ENSURE(same(sp_image_get(&img, 230, 52), blue));
    ENSURE(!same(sp_image_get(&img, 230, 54), blue));

    /* Off-image, huge and non-finite coordinates are clipped, never written. */
    sp_rgb white = {255, 255, 255};
    sp_draw_disc(&img, -1e300, 1e300, 1e300, white);
    sp_draw_disc(&img, NAN, 10, 5, white);
    double bad_x[3] = {NAN, 10, 20}, bad_y[3] = {0, 10, INFINITY};
    sp_draw_convex(&img, bad_x, bad_y, 3, white);
    sp_draw_capsule(&img, 0, 0, INFINITY, 5, 2, white);
    sp_draw_rect(&img, -50, -50, 10, 10, white); /* wholly off-image */
    ENSURE(count_color(&img, white) == 0);

    /* A sub-image writes only inside its rectangle. */
    sp_image img2 = blank_image();
    sp_image sub = sp_image_sub(&img2, 10, 10, 20, 20);
    sp_draw_clear(&sub, red);
    ENSURE(count_color(&img2, red) == 400);
    ENSURE(same(sp_image_get(&img2, 10, 10), red));
    ENSURE(!same(sp_image_get(&img2, 30, 30), red));
}

static void test_text(void) {
    sp_image img = blank_image();
    sp_rgb white = {255, 255, 255};
    int w = sp_draw_text(&img, 2, 2, "Hi 0\nstep", 2, white);
    ENSURE(w == 4 * SP_FONT_CELL_W * 2);
    int n = count_color(&img, white);
    ENSURE_MSG(n > 100 && n < 2000, "text set %d pixels", n);
    /* 'H' has a full left column: 7 rows of 2x2 blocks. */
    for (int row = 0; row < 14; row++)
        ENSURE(same(sp_image_get(&img, 2, 2 + row), white));
    sp_image again = blank_image();
    sp_draw_text(&again, 0, 0, "\x01\xff", 1, white); /* non-ASCII draws '?' rather than skipping */
    ENSURE(count_color(&again, white) > 0);
}

/* A world with terrain and one body per shape kind, placed apart so each body's centre pixel
 * shows only that body. */
typedef struct scene {
    sp_world* world;
    cpBody* box;
    cpBody* ball;
    cpBody* rod;
} scene;

static int make_scene(scene* s) {
    sp_world_def def = sp_default_world_def();
    s->world = sp_world_create(&def);
    if (!s->world) return -1;
    cpBody* ground = sp_world_static_body(s->world);
    sp_world_add_shape(s->world, cpSegmentShapeNew(ground, cpv(-5, 0), cpv(5, 0), 0.1));
    s->box = sp_world_add_body(s->world, cpBodyNew(1.0, 1.0));
    cpBodySetPosition(s->box, cpv(-2.0, 1.0));
    cpBodySetAngle(s->box, 0.3);
    sp_world_add_shape(s->world, cpBoxShapeNew(s->box, 1.0, 0.6, 0.0));
    s->ball = sp_world_add_body(s->world, cpBodyNew(1.0, 1.0));
    cpBodySetPosition(s->ball, cpv(0.0, 1.5));
    sp_world_add_shape(s->world, cpCircleShapeNew(s->ball, 0.5, cpvzero));
    s->rod = sp_world_add_body(s->world, cpBodyNew(1.0, 1.0));
    cpBodySetPosition(s->rod, cpv(2.0, 1.0));
    cpBodySetAngle(s->rod, 0.7);
    sp_world_add_shape(s->world, cpSegmentShapeNew(s->rod, cpv(0, -0.5), cpv(0, 0.5), 0.08));
    /* A pin between box and ball: drawn as a white line with dots at its anchors. */
    sp_world_add_constraint(s->world, cpPinJointNew(s->box, s->ball, cpv(0.5, 0), cpv(-0.5, 0)));
    return 0;
}

static void test_scene_pixels(void) {
    scene s;
    ENSURE(make_scene(&s) == 0);
    sp_image img = blank_image();
    sp_view_hint hint = {6.0, 0, false, false, 0.0, 1.0};
    sp_camera cam = sp_camera_frame(&hint, s.world, W, H);
    ENSURE(cam.scale == H / 6.0); /* the view spans the shorter side */
    sp_scene_opts opts = sp_default_scene_opts();
    opts.grid = false;
    sp_draw_world(&img, &cam, s.world, &opts);

    for (int b = 0; b < 3; b++) {
        int px, py;
        ENSURE(sp_draw_body_pixel(&cam, s.world, b, &px, &py));
        sp_rgb want = sp_draw_body_color(s.world, b);
        /* Shape 0 is the terrain, so body b's shape has registry index b + 1. */
        ENSURE(same(want, sp_draw_shape_color(b + 1)));
        sp_rgb got = sp_image_get(&img, px, py);
        ENSURE_MSG(same(got, want), "body %d at (%d, %d): got %d,%d,%d want %d,%d,%d", b, px, py,
                   got.r, got.g, got.b, want.r, want.g, want.b);
    }
    /* Shape colours differ from each other, from the terrain and from the background. */
    ENSURE(!same(sp_draw_shape_color(1), sp_draw_shape_color(2)));
    ENSURE(!same(sp_draw_shape_color(1), sp_draw_background()));
    ENSURE(!same(sp_draw_shape_color(1), sp_draw_terrain_color()));

    double tx, ty;
    ENSURE(sp_camera_project(&cam, 3.5, 0.0, &tx, &ty));
    ENSURE(same(sp_image_get(&img, (int)tx, (int)ty), sp_draw_terrain_color()));
    /* Far from every shape: background. */
    ENSURE(same(sp_image_get(&img, 5, 5), sp_draw_background()));
    ENSURE(same(sp_image_get(&img, W - 5, H - 5), sp_draw_background()));
    /* The pin's midpoint lies between box and ball, where only the joint is drawn. */
    cpVect a = cpBodyLocalToWorld(s.box, cpv(0.5, 0)), c = cpBodyLocalToWorld(s.ball, cpv(-0.5, 0));
    double jx, jy;
    ENSURE(sp_camera_project(&cam, 0.5 * (a.x + c.x), 0.5 * (a.y + c.y), &jx, &jy));
    sp_rgb white = {255, 255, 255};
    ENSURE(same(sp_image_get(&img, (int)jx, (int)jy), white));

    /* Moving a body moves its pixels: posing is all the viewer does to seek. */
    cpBodySetPosition(s.ball, cpv(-3.0, 2.5));
    sp_draw_world(&img, &cam, s.world, &opts);
    int px, py;
    ENSURE(sp_draw_body_pixel(&cam, s.world, 1, &px, &py));
    ENSURE(same(sp_image_get(&img, px, py), sp_draw_shape_color(2)));

    /* A body off-image has no pixel; the same state draws the same bytes. */
    cpBodySetPosition(s.rod, cpv(100.0, 0.0));
    ENSURE(!sp_draw_body_pixel(&cam, s.world, 2, &px, &py));
    static uint8_t copy[sizeof pixels];
    sp_draw_world(&img, &cam, s.world, &opts);
    memcpy(copy, pixels, sizeof pixels);
    sp_draw_world(&img, &cam, s.world, &opts);
    ENSURE(memcmp(copy, pixels, sizeof pixels) == 0);
    sp_world_destroy(s.world);
}

/* A world that blew up (bodies far away or at NaN) still draws, in bounded time, without
 * writing outside the image, with a camera following a far body. */
static void test_far_away_world(void) {
    scene s;
    ENSURE(make_scene(&s) == 0);
    /* Straight into the transforms: Chipmunk's setters abort on NaN, as playback's posing
     * avoids (replay/play/playback.c). */
    cpBodySetPosition(s.box, cpv(1e7, -1e7));
    s.ball->transform = cpTransformNewTranspose(1.0, 0.0, NAN, 0.0, 1.0, 0.0);
    cpBodySetPosition(s.rod, cpv(1e20, -1e20));
    sp_image img = blank_image();
    sp_view_hint follow = sp_view_hint_for("no-such-env");
    ENSURE(follow.follow_x && follow.follow_y && follow.focus_body == 0);
    sp_camera cam = sp_camera_frame(&follow, s.world, W, H);
    ENSURE(cam.center_x == 1e7);
    sp_draw_world(&img, &cam, s.world, NULL);
    int px, py;
    ENSURE(sp_draw_body_pixel(&cam, s.world, 0, &px, &py));
    ENSURE(same(sp_image_get(&img, px, py), sp_draw_body_color(s.world, 0)));
    ENSURE(!sp_draw_body_pixel(&cam, s.world, 1, &px, &py));
    ENSURE(!sp_draw_body_pixel(&cam, s.world, 2, &px, &py));
    /* Following the body at 1e20 m: the grid's loops stay bounded where x + step == x. */
    sp_view_hint far = {10.0, 2, true, true, 0.0, 0.0};
    cam = sp_camera_frame(&far, s.world, W, H);
    sp_draw_world(&img, &cam, s.world, NULL);
    sp_world_destroy(s.world);
}

static void test_scene_colors_in_gif_cube(void) {
    /* Every colour the scene uses maps to a palette entry of exactly that colour. */
    sp_rgb colors[16];
    int n = 0;
    for (int i = 0; i < 10; i++)
        colors[n++] = sp_draw_shape_color(i);
    colors[n++] = sp_draw_background();
    colors[n++] = sp_draw_terrain_color();
    for (int i = 0; i < n; i++) {
        ENSURE(colors[i].r % 51 == 0 && colors[i].g % 51 == 0 && colors[i].b % 51 == 0);
        uint8_t k = sp_gif_palette_index(colors[i]);
        ENSURE(k == 36 * (colors[i].r / 51) + 6 * (colors[i].g / 51) + colors[i].b / 51);
    }
}

/* Runs CartPole through the episode runtime, then checks both bodies at known pixels: the
 * pole at its centre, the cart beside its centre (where the pivot's dot sits). */
static void test_cartpole_frame(void) {
    const sp_env_class* env = sp_env_find("CartPole-v0");
    ENSURE(env);
    char err[128];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    ENSURE(ep);
    uint64_t seed = 3;
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    sp_step_result r;
    for (int i = 0; i < 20 && !sp_episode_done(ep); i++) {
        sp_action a = {.index = i % 2};
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
    }
    sp_world* world = sp_episode_world(ep);
    sp_image img = blank_image();
    sp_view_hint hint = sp_view_hint_for("CartPole-v0");
    sp_camera cam = sp_camera_frame(&hint, world, W, H);
    sp_draw_world(&img, &cam, world, NULL);

    int px, py;
    ENSURE(sp_draw_body_pixel(&cam, world, 1, &px, &py));
    ENSURE(same(sp_image_get(&img, px, py), sp_draw_body_color(world, 1)));
    cpVect side = cpBodyLocalToWorld(sp_world_body(world, 0), cpv(0.18, -0.09));
    double sx, sy;
    ENSURE(sp_camera_project(&cam, side.x, side.y, &sx, &sy));
    ENSURE(same(sp_image_get(&img, (int)sx, (int)sy), sp_draw_body_color(world, 0)));
    ENSURE(!same(sp_draw_body_color(world, 0), sp_draw_body_color(world, 1)));

    sp_hud hud = {.title = "CartPole-v0",
                  .step = r.step,
                  .step_count = 500,
                  .time = 0.4,
                  .reward = r.reward,
                  .episode_return = r.episode_return,
                  .action = "1 push_right"};
    sp_draw_hud(&img, &hud, 1);
    ENSURE(same(sp_image_get(&img, 1, 1), (sp_rgb){0, 0, 0})); /* the HUD's panel */
    char action[64];
    sp_action a = {.index = 1};
    sp_format_action(env->spec, &a, action, sizeof action);
    ENSURE(strcmp(action, "1 push_right") == 0);
    sp_episode_destroy(ep);
}

static void test_timeline(void) {
    sp_image img = blank_image();
    sp_image bar = sp_image_sub(&img, 0, H - 20, W, 20);
    uint8_t marks[101] = {0};
    marks[50] = SP_MARK_GUARD;
    sp_timeline tl = {.step_count = 100, .current = 10, .marks = marks, .diverge_step = 80};
    sp_draw_timeline(&bar, &tl);
    int x50 = 50 * W / 101;
    ENSURE(same(sp_image_get(&bar, x50, 2), (sp_rgb){255, 51, 51}));
    ENSURE(same(sp_image_get(&bar, 80 * W / 101, 10), (sp_rgb){255, 0, 255}));
    ENSURE(sp_timeline_step_at(0, W, 100) == 0);
    ENSURE(sp_timeline_step_at(W - 1, W, 100) == 100);
    ENSURE(sp_timeline_step_at(x50, W, 100) == 50);
    ENSURE(sp_timeline_step_at(-5, W, 100) == 0);
    ENSURE(sp_timeline_step_at(W + 5, W, 100) == 100);
}

static uint32_t be32(const uint8_t* p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_png_chunks(void) {
    scene s;
    ENSURE(make_scene(&s) == 0);
    sp_image img = blank_image();
    sp_view_hint hint = {6.0, 0, false, false, 0.0, 1.0};
    sp_camera cam = sp_camera_frame(&hint, s.world, W, H);
    sp_draw_world(&img, &cam, s.world, NULL);
    sp_world_destroy(s.world);

    sp_png_encoder* enc = sp_png_encoder_create(W, H);
    ENSURE(enc);
    const uint8_t* png;
    size_t len;
    ENSURE(sp_png_encode(enc, &img, &png, &len) == 0);
    ENSURE(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    /* Walk the chunks: every length in bounds, every CRC right, IHDR first, IEND last. */
    size_t at = 8;
    int chunk = 0, saw_iend = 0;
    while (at + 12 <= len) {
        uint32_t n = be32(png + at);
        ENSURE(at + 12 + n <= len);
        ENSURE(be32(png + at + 8 + n) == (uint32_t)crc32(0, png + at + 4, 4 + n));
        if (chunk == 0) {
            ENSURE(memcmp(png + at + 4, "IHDR", 4) == 0 && n == 13);
            ENSURE(be32(png + at + 8) == W && be32(png + at + 12) == H);
            ENSURE(png[at + 16] == 8 && png[at + 17] == 2);
        }
        if (memcmp(png + at + 4, "IDAT", 4) == 0) {
            ENSURE(png[at + 8] == 0x78 && ((png[at + 8] << 8) | png[at + 9]) % 31 == 0);
        }
        saw_iend = memcmp(png + at + 4, "IEND", 4) == 0;
        at += 12 + n;
        chunk++;
    }
    ENSURE(at == len && saw_iend && chunk == 3);
    /* Flat scenes compress: well under a tenth of the raw size. */
    ENSURE_MSG(len < (size_t)W * H * 3 / 10, "PNG of %zu bytes", len);
    /* Same image, same bytes. */
    static uint8_t first[sizeof pixels];
    memcpy(first, png, len < sizeof first ? len : sizeof first);
    const uint8_t* again;
    size_t len2;
    ENSURE(sp_png_encode(enc, &img, &again, &len2) == 0);
    ENSURE(len2 == len && memcmp(first, again, len) == 0);
    /* A wrong size is refused. */
    sp_image small = sp_image_sub(&img, 0, 0, 10, 10);
    ENSURE(sp_png_encode(enc, &small, &again, &len2) != 0);
    sp_png_encoder_destroy(enc);
}

static void test_gif_blocks(void) {
    char path[] = "/tmp/sp_test_draw_XXXXXX";
    int fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    char err[256];
    sp_gif_writer* gif = sp_gif_open(path, W, H, 4, err, sizeof err);
    ENSURE_MSG(gif, "%s", err);
    sp_image img = blank_image();
    for (int f = 0; f < 3; f++) {
        sp_draw_clear(&img, sp_draw_background());
        sp_draw_disc(&img, 40.0 + 60.0 * f, 100.0, 20.0, sp_draw_shape_color(f));
        ENSURE(sp_gif_add_frame(gif, &img) == 0);
    }
    ENSURE(sp_gif_close(gif) == 0);
    FILE* fp = fopen(path, "rb");
    ENSURE(fp);
    static uint8_t data[1 << 20];
    size_t len = fread(data, 1, sizeof data, fp);
    fclose(fp);
    unlink(path);
    ENSURE(len > 13 + 768 && memcmp(data, "GIF89a", 6) == 0);
    ENSURE((data[6] | data[7] << 8) == W && (data[8] | data[9] << 8) == H);
    ENSURE(data[len - 1] == 0x3B);
    /* Walk the blocks after the colour table: extensions and images, sub-blocks to the end. */
    size_t at = 13 + 768;
    int images = 0;
    while (at < len && data[at] != 0x3B) {
        if (data[at] == 0x21) {
            at += 2;
        } else {
            ENSURE(data[at] == 0x2C);
            ENSURE((data[at + 5] | data[at + 6] << 8) == W);
            at += 10;
            ENSURE(data[at] == 8); /* LZW minimum code size */
            at += 1;
            images++;
        }
        while (at < len && data[at] != 0)
            at += 1 + data[at];
        at++; /* the block terminator */
    }
    ENSURE(at == len - 1 && images == 3);
}

/* A frame of noise overflows the 4096-entry LZW dictionary many times, exercising the clear
 * codes and every code width. tests/cli/export.sh decodes the file this writes (the path in
 * SP_GIF_NOISE_OUT) with Pillow. */
static void test_gif_noise(void) {
    const char* keep = getenv("SP_GIF_NOISE_OUT");
    char path[] = "/tmp/sp_test_noise_XXXXXX";
    if (!keep) {
        int fd = mkstemp(path);
        ENSURE(fd >= 0);
        close(fd);
    }
    char err[256];
    sp_gif_writer* gif = sp_gif_open(keep ? keep : path, 200, 150, 10, err, sizeof err);
    ENSURE_MSG(gif, "%s", err);
    static uint8_t noise[150 * 200 * 3];
    sp_image img = sp_image_wrap(noise, 200, 150, 600);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int f = 0; f < 2; f++) {
        for (size_t i = 0; i < sizeof noise; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* Frame 0: all 216 cube colours; frame 1: runs, for long dictionary strings. */
            noise[i] = (uint8_t)(51 * (f == 0 ? x % 6 : (i / 300) % 6));
        }
        ENSURE(sp_gif_add_frame(gif, &img) == 0);
    }
    ENSURE(sp_gif_close(gif) == 0);
    if (!keep) unlink(path);
}

static const sp_test_case cases[] = {
    {"primitives", test_primitives},
    {"text", test_text},
    {"scene_pixels", test_scene_pixels},
    {"far_away_world", test_far_away_world},
    {"scene_colors_in_gif_cube", test_scene_colors_in_gif_cube},
    {"cartpole_frame", test_cartpole_frame},
    {"timeline", test_timeline},
    {"png_chunks", test_png_chunks},
    {"gif_blocks", test_gif_blocks},
    {"gif_noise", test_gif_noise},
};

SP_TEST_MAIN(cases)
