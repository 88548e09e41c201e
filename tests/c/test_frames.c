/* Pixel observations in the episode runtime: the render hook (replay/draw's frame hook) and
 * the pixel fault family, on every registered env. Linked with --wrap=malloc,calloc,realloc
 * so that the test counts every allocation (Chipmunk's included): after the first frame,
 * stepping with frames and every pixel fault allocates nothing. */

#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "ensure.h"
#include "sandpit/draw.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "sandpit/faults.h"

#define W 40
#define H 30

/* One of each pixel kind, all active from step 0 (occlusion and noise draw at every step). */
static int pixel_faults(sp_fault_def* d) {
    d[0] = sp_default_fault_def(SP_FAULT_PIXEL_NOISE);
    d[0].sigma = 8.0;
    d[1] = sp_default_fault_def(SP_FAULT_FRAME_DELAY);
    d[1].steps = 2;
    d[2] = sp_default_fault_def(SP_FAULT_OCCLUSION);
    d[2].schedule.type = SP_SCHEDULE_PERIODIC;
    d[2].schedule.period = 4;
    d[2].schedule.duty = 2;
    d[3] = sp_default_fault_def(SP_FAULT_BLACKOUT);
    d[3].schedule.type = SP_SCHEDULE_WINDOW;
    d[3].schedule.start = 5;
    d[3].schedule.end = 7;
    return 4;
}

typedef struct run {
    sp_episode* ep;
    sp_faults* faults;
    sp_frame_view view;
    uint8_t pixels[W * H * 3];
    uint8_t rgb[W * H * 3];
} run;

static int open_run(run* r, const sp_env_class* env, int channels, bool faulted) {
    char err[256];
    sp_episode_def d = sp_default_episode_def(env);
    memset(r, 0, sizeof *r);
    if (!(r->ep = sp_episode_create(&d, err, sizeof err))) return -1;
    sp_fault_def list[4];
    int n = faulted ? pixel_faults(list) : 0;
    if (!(r->faults = sp_faults_create(list, n, env->spec, err, sizeof err)) ||
        sp_faults_attach(r->faults, r->ep) != SP_OK)
        return -1;
    r->view = sp_default_frame_view(env->spec->id);
    r->view.rgb = r->rgb;
    sp_frame f = {r->pixels, W, H, channels};
    return sp_episode_set_render(r->ep, sp_draw_frame_hook, &r->view, &f);
}

static void close_run(run* r) {
    sp_episode_destroy(r->ep);
    sp_faults_destroy(r->faults);
}

/* Each env stepped twice in lockstep, bare and with frames and every pixel fault: whatever
 * the physics allocates (Chipmunk grows its contact buffers the first time bodies touch), the
 * frames add nothing after the first one. */
static void no_allocation_after_the_first_frame(void) {
    static run bare, drawn;
    for (int e = 0; e < sp_env_count(); e++) {
        const sp_env_class* env = sp_env_at(e);
        for (int channels = 1; channels <= 3; channels += 2) {
            ENSURE(open_run(&bare, env, channels, false) == SP_OK);
            ENSURE(sp_episode_set_render(bare.ep, NULL, NULL, NULL) == SP_OK);
            long made = allocations;
            ENSURE(open_run(&drawn, env, channels, true) == SP_OK);
            ENSURE(allocations > made); /* the counter sees the library's allocations */
            uint64_t seed = 7;
            ENSURE(sp_episode_reset(bare.ep, &seed) == SP_OK);
            ENSURE(sp_episode_reset(drawn.ep, &seed) == SP_OK);
            sp_rng rng;
            sp_rng_seed(&rng, 1, "test");
            sp_action a;
            sp_step_result res;
            long plain = 0, framed = 0;
            for (int t = 0; t < 60; t++) {
                sp_action_sample(env->spec, &rng, &a);
                long before = allocations;
                ENSURE(sp_episode_step(bare.ep, &a, &res, NULL, 0) == SP_OK);
                long mid = allocations;
                ENSURE(sp_episode_step(drawn.ep, &a, &res, NULL, 0) == SP_OK);
                plain += mid - before;
                framed += allocations - mid;
                if (res.terminated || res.truncated) {
                    ENSURE(sp_episode_reset(bare.ep, NULL) == SP_OK);
                    ENSURE(sp_episode_reset(drawn.ep, NULL) == SP_OK);
                }
            }
            ENSURE_MSG(framed == plain, "%s (%d channels): %ld allocations with frames, %ld bare",
                       env->spec->id, channels, framed, plain);
            close_run(&bare);
            close_run(&drawn);
        }
    }
}

/* The hook draws what sp_draw_world draws, and grey is the integer BT.601 luma of it. */
static void frames_are_the_scene_and_its_luma(void) {
    static run rgb, grey;
    static uint8_t want[W * H * 3];
    const sp_env_class* env = sp_env_find("LanderContinuous-v0");
    ENSURE(open_run(&rgb, env, 3, false) == SP_OK && open_run(&grey, env, 1, false) == SP_OK);
    uint64_t seed = 3;
    ENSURE(sp_episode_reset(rgb.ep, &seed) == SP_OK && sp_episode_reset(grey.ep, &seed) == 0);
    sp_world* world = sp_episode_world(rgb.ep);
    sp_image img = sp_image_wrap(want, W, H, W * 3);
    sp_view_hint hint = sp_view_hint_for(env->spec->id);
    sp_camera cam = sp_camera_frame(&hint, world, W, H);
    sp_draw_world(&img, &cam, world, NULL);
    ENSURE(memcmp(want, rgb.pixels, sizeof want) == 0);
    ENSURE(sp_episode_frame(rgb.ep)->pixels == rgb.pixels);
    for (int i = 0; i < W * H; i++) {
        const uint8_t* p = &want[3 * i];
        ENSURE(grey.pixels[i] == (299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u);
    }
    close_run(&rgb);
    close_run(&grey);
}

/* A renderer changes no hash: pixel faults draw from their streams whether or not frames are
 * drawn, which is what lets `replay verify` (no frames) reproduce them. */
static void hashes_do_not_depend_on_drawing(void) {
    static run drawn;
    const sp_env_class* env = sp_env_find("CartPole-v0");
    ENSURE(open_run(&drawn, env, 3, true) == SP_OK);
    char err[256];
    sp_episode_def d = sp_default_episode_def(env);
    sp_episode* bare = sp_episode_create(&d, err, sizeof err);
    sp_fault_def list[4];
    sp_faults* fs = sp_faults_create(list, pixel_faults(list), env->spec, err, sizeof err);
    ENSURE(bare && fs && sp_faults_attach(fs, bare) == SP_OK);
    uint64_t seed = 11;
    ENSURE(sp_episode_reset(drawn.ep, &seed) == SP_OK && sp_episode_reset(bare, &seed) == 0);
    ENSURE(sp_episode_hash(drawn.ep) == sp_episode_hash(bare));
    sp_action a = {0};
    sp_step_result x, y;
    for (int t = 0; t < 8; t++) {
        a.index = t & 1;
        ENSURE(sp_episode_step(drawn.ep, &a, &x, NULL, 0) == SP_OK);
        ENSURE(sp_episode_step(bare, &a, &y, NULL, 0) == SP_OK);
        ENSURE(x.hash == y.hash);
    }
    ENSURE(sp_faults_active(fs) == sp_faults_active(drawn.faults));
    sp_episode_destroy(bare);
    sp_faults_destroy(fs);
    close_run(&drawn);
}

static void bad_frames_are_refused(void) {
    char err[256];
    sp_episode_def d = sp_default_episode_def(sp_env_find("CartPole-v0"));
    sp_episode* ep = sp_episode_create(&d, err, sizeof err);
    static uint8_t px[12];
    sp_frame zero = {px, 0, 2, 3}, two = {px, 2, 2, 2}, none = {NULL, 2, 2, 3};
    ENSURE(sp_episode_set_render(ep, sp_draw_frame_hook, NULL, &zero) == SP_E_BAD_ARGUMENT);
    ENSURE(sp_episode_set_render(ep, sp_draw_frame_hook, NULL, &two) == SP_E_BAD_ARGUMENT);
    ENSURE(sp_episode_set_render(ep, sp_draw_frame_hook, NULL, &none) == SP_E_BAD_ARGUMENT);
    ENSURE(sp_episode_set_render(ep, NULL, NULL, NULL) == SP_OK && !sp_episode_frame(ep));
    sp_episode_destroy(ep);
}

static const sp_test_case cases[] = {
    {"no_allocation_after_the_first_frame", no_allocation_after_the_first_frame},
    {"frames_are_the_scene_and_its_luma", frames_are_the_scene_and_its_luma},
    {"hashes_do_not_depend_on_drawing", hashes_do_not_depend_on_drawing},
    {"bad_frames_are_refused", bad_frames_are_refused},
};

SP_TEST_MAIN(cases)
