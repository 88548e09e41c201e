/* Playback: a recorded episode re-simulates at load to the recorded hashes, any step poses
 * exactly (seeking back and forth draws identical bytes), each body is drawn in its colour at
 * its projected pixel, and two files are compared by their recorded hashes. */

#include "world_chipmunk.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ensure.h"
#include "pixels.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/episode_layers.h"
#include "sandpit/guard.h"
#include "sandpit/playback.h"
#include "sandpit/replay.h"

#define W 320
#define H 240

static char dir[] = "/tmp/sp_test_playback_XXXXXX";

/* Records one episode of `env_id` with a fixed alternating policy; returns its path. */
static int record(const char* env_id, uint64_t seed, const char* prefix, char* path,
                  size_t path_sz) {
    const sp_env_class* env = sp_env_find(env_id);
    if (!env) return -1;
    char err[256];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    sp_recorder_def rd = sp_default_recorder_def();
    rd.directory = dir;
    rd.prefix = prefix;
    sp_recorder* rec = sp_recorder_attach_new(ep, &rd, err, sizeof err);
    if (!ep || !rec || sp_episode_reset(ep, &seed) != 0) return -1;
    sp_step_result r;
    for (int i = 0; !sp_episode_done(ep); i++) {
        sp_action a = {.index = (i / 3) % 2, .value = {(float)((i % 7) - 3) * 0.5f}};
        if (sp_episode_step(ep, &a, &r, err, sizeof err) != 0) return -1;
    }
    snprintf(path, path_sz, "%s", sp_recorder_path(rec));
    sp_recorder_destroy(rec);
    sp_episode_destroy(ep);
    return r.step;
}

static void test_load_and_pose(void) {
    char path[512], err[512];
    int steps = record("CartPole-v0", 7, "cp7", path, sizeof path);
    ENSURE(steps > 10);
    sp_playback* pb = sp_playback_load(path, NULL, err, sizeof err);
    ENSURE_MSG(pb, "%s", err);
    ENSURE(sp_playback_step_count(pb) == steps);
    ENSURE(sp_playback_divergence(pb) == -1);
    ENSURE_MSG(strstr(sp_playback_note(pb), "hashes match"), "%s", sp_playback_note(pb));
    ENSURE(sp_playback_reason(pb) && strcmp(sp_playback_reason(pb), "pole_fell") == 0);
    ENSURE(sp_playback_step_at(pb, steps)->terminated);
    ENSURE(sp_playback_step_at(pb, steps)->marks & SP_MARK_END);
    ENSURE(sp_playback_step_at(pb, steps)->episode_return == (double)steps);
    ENSURE(sp_playback_time(pb, 10) == 10 * 0.01 * 2);

    static uint8_t a[W * H * 3], b[W * H * 3];
    sp_image ia = sp_image_wrap(a, W, H, W * 3), ib = sp_image_wrap(b, W, H, W * 3);
    sp_playback_draw(pb, 8, &ia, NULL);
    sp_playback_draw(pb, steps, &ib, NULL);
    ENSURE(memcmp(a, b, sizeof a) != 0);
    sp_playback_draw(pb, 0, &ib, NULL);
    sp_playback_draw(pb, 8, &ib, NULL); /* back and forth: the pose is exact */
    ENSURE(memcmp(a, b, sizeof a) == 0);

    /* Scene only: the pole's centre pixel is the pole's colour; beside the cart's centre (the
     * pivot dot sits on it) is the cart's. */
    sp_playback_draw_opts opts = sp_default_playback_draw_opts();
    opts.hud = false;
    for (int step = 0; step <= steps; step += 5) {
        sp_playback_draw(pb, step, &ia, &opts);
        sp_world* world = sp_playback_pose(pb, step);
        sp_view_hint hint = sp_view_hint_for("CartPole-v0");
        sp_camera cam = sp_camera_frame(&hint, world, W, H);
        int px, py;
        ENSURE(sp_draw_body_pixel(&cam, world, 1, &px, &py));
        ENSURE_MSG(same(sp_image_get(&ia, px, py), sp_draw_body_color(world, 1)), "step %d", step);
        cpVect side = cpBodyLocalToWorld(sp_world_body(world, 0), cpv(-0.18, -0.09));
        double sx, sy;
        ENSURE(sp_camera_project(&cam, side.x, side.y, &sx, &sy));
        ENSURE(same(sp_image_get(&ia, (int)sx, (int)sy), sp_draw_body_color(world, 0)));
    }
    sp_playback_destroy(pb);
}

static void test_compare_files(void) {
    char p1[512], p2[512], p3[512], err[512];
    ENSURE(record("Pendulum-v0", 3, "pa", p1, sizeof p1) == 200);
    ENSURE(record("Pendulum-v0", 3, "pb", p2, sizeof p2) == 200);
    ENSURE(record("Pendulum-v0", 4, "pc", p3, sizeof p3) == 200);
    sp_playback* a = sp_playback_load(p1, NULL, err, sizeof err);
    sp_playback* b = sp_playback_load(p2, NULL, err, sizeof err);
    sp_playback* c = sp_playback_load(p3, NULL, err, sizeof err);
    ENSURE(a && b && c);
    ENSURE(sp_playback_first_difference(a, b) == -1);
    ENSURE(sp_playback_first_difference(a, c) == 0); /* another seed: another reset state */
    sp_playback_destroy(a);
    sp_playback_destroy(b);
    sp_playback_destroy(c);
}

static void test_truncated_and_bad_files(void) {
    char path[512], cut[600], err[512];
    int steps = record("Acrobot-v0", 5, "ac", path, sizeof path);
    ENSURE(steps > 20);
    /* Cut the file in the middle of a record: it loads up to the last whole step. */
    FILE* f = fopen(path, "rb");
    ENSURE(f);
    static uint8_t data[1 << 16];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    snprintf(cut, sizeof cut, "%s.cut", path);
    f = fopen(cut, "wb");
    ENSURE(f);
    fwrite(data, 1, len / 2 + 3, f);
    fclose(f);
    sp_playback* pb = sp_playback_load(cut, NULL, err, sizeof err);
    ENSURE_MSG(pb, "%s", err);
    ENSURE(sp_playback_step_count(pb) > 10 && sp_playback_step_count(pb) < steps);
    ENSURE_MSG(strstr(sp_playback_note(pb), "truncated"), "%s", sp_playback_note(pb));
    ENSURE(sp_playback_divergence(pb) == -1);
    sp_playback_destroy(pb);
    unlink(cut);

    ENSURE(sp_playback_load("/nonexistent.sprp", NULL, err, sizeof err) == NULL);
    ENSURE(strstr(err, "/nonexistent.sprp"));
    /* Only the preamble and half a header: nothing to show. */
    f = fopen(cut, "wb");
    ENSURE(f);
    fwrite(data, 1, 12, f);
    fclose(f);
    ENSURE(sp_playback_load(cut, NULL, err, sizeof err) == NULL);
    unlink(cut);
}

/* A rate-limited CartPoleContinuous: the guard clips the agent's ±10 N swings to 2 N changes
 * per step, emitting a guardrail event each time. */
static sp_guard* make_guard(const sp_env_spec* spec) {
    sp_guard_def gd = sp_default_guard_def(spec);
    gd.actuators[0].max_delta = 2.0;
    gd.actuators[0].rate = SP_GUARD_POLICY_CLIP;
    char err[256];
    return sp_guard_create(&gd, spec, err, sizeof err);
}

static sp_guard* replay_guard;

static int add_guard(void* user, sp_episode* ep, const sp_replay_header* h, char* err,
                     size_t err_sz) {
    replay_guard = make_guard(sp_episode_spec(ep));
    if (!replay_guard) return -1;
    sp_guard_set_replay(replay_guard, true);
    return sp_guard_attach(replay_guard, ep);
}

static void test_guard_marks_and_layers(void) {
    const sp_env_class* env = sp_env_find("CartPoleContinuous-v0");
    ENSURE(env);
    char err[256], path[512];
    sp_episode_def def = sp_default_episode_def(env);
    def.max_steps = 60;
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    sp_guard* guard = make_guard(env->spec);
    ENSURE(ep && guard && sp_guard_attach(guard, ep) == 0);
    sp_recorder_def rd = sp_default_recorder_def();
    rd.directory = dir;
    rd.prefix = "guarded";
    sp_recorder* rec = sp_recorder_attach_new(ep, &rd, err, sizeof err);
    ENSURE_MSG(rec, "%s", err);
    uint64_t seed = 9;
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    double cart_x[64];
    int steps = 0, tripped = 0;
    sp_step_result r;
    while (!sp_episode_done(ep)) {
        sp_action a = {.value = {steps % 2 ? 10.0f : -10.0f}};
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
        tripped += sp_episode_event_count(ep) > 0;
        cart_x[++steps] = cpBodyGetPosition(sp_world_body(sp_episode_world(ep), 0)).x;
    }
    snprintf(path, sizeof path, "%s", sp_recorder_path(rec));
    sp_recorder_destroy(rec);
    sp_episode_destroy(ep);
    sp_guard_destroy(guard);
    ENSURE(tripped > 0);

    /* Without the layers: the env gets the actions as applied, so bodies move as recorded;
     * the guard's own state is missing from the hash, so the note says the hashes differ. */
    sp_playback* pb = sp_playback_load(path, NULL, err, sizeof err);
    ENSURE_MSG(pb, "%s", err);
    ENSURE(sp_playback_step_count(pb) == steps);
    int marked = 0;
    for (int k = 1; k <= steps; k++) {
        marked += (sp_playback_marks(pb)[k] & SP_MARK_GUARD) != 0;
        sp_world* w = sp_playback_pose(pb, k);
        ENSURE_MSG(cpBodyGetPosition(sp_world_body(w, 0)).x == cart_x[k], "step %d", k);
    }
    ENSURE(marked == tripped);
    ENSURE(sp_playback_divergence(pb) == 0);
    sp_playback_destroy(pb);

    /* With the layers the recording had, the re-simulation matches hash for hash. */
    sp_verify_def layers = sp_default_verify_def();
    layers.add_layers = add_guard;
    pb = sp_playback_load(path, &layers, err, sizeof err);
    ENSURE_MSG(pb, "%s", err);
    ENSURE_MSG(sp_playback_divergence(pb) == -1, "%s", sp_playback_note(pb));
    sp_playback_destroy(pb);
    sp_guard_destroy(replay_guard);
}

/* CartPoleContinuous with an outage on cart.x over steps 5..14 and a rate guardrail, recorded
 * through the episode config as a server does; played back with the recorded layers. */
static void test_channels_faults_and_guardrails(void) {
    const sp_env_class* env = sp_env_find("CartPoleContinuous-v0");
    ENSURE(env);
    char err[256], path[512];
    sp_episode_config* c = sp_episode_config_create();
    ENSURE(c);
    c->has_faults = true;
    c->fault_count = 1;
    c->faults[0] = sp_default_fault_def(SP_FAULT_OUTAGE);
    snprintf(c->targets[0], sizeof c->targets[0], "cart.x");
    c->faults[0].schedule.type = SP_SCHEDULE_WINDOW;
    c->faults[0].schedule.start = 5;
    c->faults[0].schedule.end = 15;
    c->has_guard = true;
    c->guard = sp_default_guard_def(env->spec);
    c->guard.actuators[0].max_delta = 2.0;
    c->guard.actuators[0].rate = SP_GUARD_POLICY_CLIP;
    c->constraint.sensor = -1;
    sp_episode_def def = sp_default_episode_def(env);
    def.max_steps = 30;
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    sp_recorder_def rd = sp_default_recorder_def();
    rd.directory = dir;
    rd.prefix = "faulted";
    sp_episode_layers l = {0};
    ENSURE_MSG(ep && sp_episode_layers_attach(&l, ep, c, &rd, err, sizeof err) == 0, "%s", err);
    uint64_t seed = 4;
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    sp_step_result r;
    int steps = 0;
    while (!sp_episode_done(ep)) {
        sp_action a = {.value = {steps % 2 ? 6.0f : -6.0f}};
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
        steps++;
    }
    snprintf(path, sizeof path, "%s", sp_recorder_path(l.recorder));
    sp_episode_destroy(ep);
    sp_episode_layers_destroy(&l);
    sp_episode_config_destroy(c);

    sp_playback* pb = sp_playback_load_recorded(path, err, sizeof err);
    ENSURE_MSG(pb, "%s", err);
    ENSURE_MSG(sp_playback_divergence(pb) == -1, "%s", sp_playback_note(pb));
    ENSURE_MSG(sp_playback_step_count(pb) == steps && steps > 16, "%d steps", steps);
    const sp_env_spec* spec = env->spec;
    ENSURE(sp_playback_channel_count(pb) == spec->sensor_count + spec->actuator_count + 3);
    ENSURE(sp_playback_fault_count(pb) == 1);
    char desc[160];
    sp_fault_describe(sp_playback_fault(pb, 0), desc, sizeof desc);
    ENSURE_MSG(strcmp(desc, "outage cart.x mode=zero steps 5..14") == 0, "%s", desc);

    int x = sp_playback_channel_find(pb, "cart.x");
    int angle = sp_playback_channel_find(pb, "pole.angle");
    int force = sp_playback_channel_find(pb, "cart.force");
    int ret = sp_playback_channel_find(pb, "return");
    ENSURE(x == 0 && angle >= 0 && force == spec->sensor_count && ret >= 0);
    ENSURE(sp_playback_channel_find(pb, "nosuch") == -1);
    const sp_playback_channel* cx = sp_playback_channel_at(pb, x);
    const sp_playback_channel* ca = sp_playback_channel_at(pb, angle);
    const sp_playback_channel* cf = sp_playback_channel_at(pb, force);
    int truth_differs = 0, trips = 0;
    for (int k = 0; k <= steps; k++) {
        bool out = k >= 5 && k < 15;
        const sp_playback_step* s = sp_playback_step_at(pb, k);
        ENSURE_MSG((s->faults == 1) == out, "step %d faults %llx", k,
                   (unsigned long long)s->faults);
        if (out) ENSURE(s->marks & SP_MARK_FAULT); /* also where a window opens or closes */
        ENSURE(cx->valid[k] == !out && ca->valid[k] == 1);
        ENSURE(cx->band[k] == (out ? 1 : 0) && ca->band[k] == 0);
        /* What the agent saw: zero in the outage; otherwise the truth, bit for bit. */
        if (out) ENSURE(cx->primary[k] == 0.0f);
        if (!out) ENSURE(cx->primary[k] == cx->secondary[k]);
        truth_differs += out && cx->secondary[k] != 0.0f;
        ENSURE(sp_playback_channel_at(pb, ret)->primary[k] == (float)s->episode_return);
        /* The rate guardrail clips the +-6 N swings: sent and applied differ where it trips. */
        bool tripped = s->guard_reasons >> SP_GUARD_ACTION_RATE & 1u;
        trips += tripped;
        if (k > 0)
            ENSURE(cf->primary[k] == s->sent.value[0] && cf->secondary[k] == s->action.value[0]);
        if (tripped) ENSURE(cf->primary[k] != cf->secondary[k]);
    }
    ENSURE(truth_differs > 0 && trips > 0);

    /* The HUD names the fault while it is active, in its colour; not before. */
    static uint8_t px[W * H * 3];
    sp_image img = sp_image_wrap(px, W, H, W * 3);
    sp_playback_draw(pb, 8, &img, NULL);
    int lit = 0;
    for (int y = 0; y < H; y++)
        for (int i = 0; i < W; i++)
            lit += same(sp_image_get(&img, i, y), sp_draw_fault_color(0));
    ENSURE(lit > 20);
    sp_playback_draw(pb, 2, &img, NULL);
    lit = 0;
    for (int y = 0; y < H; y++)
        for (int i = 0; i < W; i++)
            lit += same(sp_image_get(&img, i, y), sp_draw_fault_color(0));
    ENSURE(lit == 0);

    /* Charts: the picked channels, with the band in the fault's tint. */
    int picked[4];
    ENSURE(sp_playback_select_channels(pb, "pole.*,return", picked, 4, err, sizeof err) == 3);
    ENSURE(picked[0] == angle && picked[2] == ret);
    ENSURE(sp_playback_select_channels(pb, "cart.x,nosuch", picked, 4, err, sizeof err) == -1);
    ENSURE_MSG(strstr(err, "nosuch"), "%s", err);
    sp_plot_def pd = {picked, 1, 10, NULL, -1};
    ENSURE(sp_playback_select_channels(pb, "cart.x", picked, 4, err, sizeof err) == 1);
    sp_draw_clear(&img, (sp_rgb){0, 0, 0});
    sp_playback_plot(pb, &pd, &img);
    int band = 0;
    for (int i = 0; i < W; i++)
        band += same(sp_image_get(&img, i, H - 5), sp_draw_fault_band(0));
    ENSURE_MSG(band > W / 31 * 5, "band columns %d", band);
    sp_playback_destroy(pb);
}

static void cleanup(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static const sp_test_case cases[] = {
    {"load_and_pose", test_load_and_pose},
    {"compare_files", test_compare_files},
    {"truncated_and_bad_files", test_truncated_and_bad_files},
    {"guard_marks_and_layers", test_guard_marks_and_layers},
    {"channels_faults_and_guardrails", test_channels_faults_and_guardrails},
};

int main(int argc, char** argv) {
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    int rc = sp_test_run(argc, argv, cases, (int)(sizeof cases / sizeof cases[0]));
    cleanup();
    return rc;
}
