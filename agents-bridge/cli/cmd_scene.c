/* `sandpit scene`: work with scene files (docs/SCENES.md) without a server.
 *
 *   sandpit scene check FILE [--seed N] [--steps N] [--json]
 *       decode and validate, print the spec, run one short episode with random actions
 *   sandpit scene render FILE --out PNG [--seed N] [--size WxH]
 *       draw the reset state */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "jsonw.h"
#include "sandpit/draw.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "sandpit/export.h"
#include "scenes.h"

static const char usage_text[] =
    "usage: sandpit scene check FILE [--seed N] [--steps N] [--json]\n"
    "       sandpit scene render FILE --out PNG [--seed N] [--width W] [--height H]\n";

typedef struct scene_opts {
    const char* file;
    const char* out;
    uint64_t seed;
    int steps;
    int json;
    int width, height;
} scene_opts;

static int parse(int argc, char** argv, scene_opts* o) {
    for (int i = 0; i < argc; i++) {
        const char* a = argv[i];
        const char* v = NULL;
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--out")) {
            if (!(o->out = sp_arg_value(argc, argv, &i))) return SP_EXIT_USAGE;
        } else if (!strcmp(a, "--seed")) {
            if (!(v = sp_arg_value(argc, argv, &i)) || !sp_arg_u64(a, v, &o->seed))
                return SP_EXIT_USAGE;
        } else if (!strcmp(a, "--steps")) {
            if (!(v = sp_arg_value(argc, argv, &i)) || !sp_arg_int(a, v, 0, 1000000, &o->steps))
                return SP_EXIT_USAGE;
        } else if (!strcmp(a, "--width")) {
            if (!(v = sp_arg_value(argc, argv, &i)) || !sp_arg_int(a, v, 16, 4096, &o->width))
                return SP_EXIT_USAGE;
        } else if (!strcmp(a, "--height")) {
            if (!(v = sp_arg_value(argc, argv, &i)) || !sp_arg_int(a, v, 16, 4096, &o->height))
                return SP_EXIT_USAGE;
        } else if (a[0] == '-' || o->file) {
            sp_cli_error("scene: unexpected argument '%s'\n%s", a, usage_text);
            return SP_EXIT_USAGE;
        } else {
            o->file = a;
        }
    }
    if (!o->file) {
        sp_cli_error("scene: needs a FILE\n%s", usage_text);
        return SP_EXIT_USAGE;
    }
    return 0;
}

static int check(const scene_opts* o) {
    sp_scene* sc = sp_cli_load_scene_file(o->file);
    if (!sc) return 1;
    const sp_env_class* env = sp_scene_env(sc);
    char err[256];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    int rc = ep ? sp_episode_reset(ep, &o->seed) : SP_E_NO_MEMORY;
    sp_step_result r = {0};
    sp_rng policy;
    sp_rng_seed(&policy, o->seed, "rollout_policy");
    for (int i = 0; rc == 0 && i < o->steps && !sp_episode_done(ep); i++) {
        sp_action a;
        sp_action_sample(env->spec, &policy, &a);
        rc = sp_episode_step(ep, &a, &r, err, sizeof err);
    }
    if (rc != 0) {
        sp_cli_error("scene: %s: the rollout failed: %s", o->file, sp_error_name(rc));
    } else if (o->json) {
        fputs("{\"spec\": ", stdout);
        sp_cli_json_spec(stdout, env->spec);
        printf(", \"rollout\": {\"seed\": %" PRIu64 ", \"steps\": %d, \"return\": ", o->seed,
               r.step);
        sp_json_number(stdout, r.episode_return);
        fputs(", \"reason\": ", stdout);
        sp_json_string(stdout, r.reason);
        printf(", \"hash\": \"%016" PRIx64 "\"}}\n", sp_episode_hash(ep));
    } else {
        sp_cli_text_spec(env->spec);
        printf("ok: %s: %d steps from seed %" PRIu64 ", return %.6f, %s, hash %016" PRIx64 "\n",
               o->file, r.step, o->seed, r.episode_return, r.reason ? r.reason : "running",
               sp_episode_hash(ep));
    }
    sp_episode_destroy(ep);
    sp_scene_destroy(sc);
    return rc == 0 ? 0 : 1;
}

static int render(const scene_opts* o) {
    if (!o->out) {
        sp_cli_error("scene render: needs --out PNG");
        return SP_EXIT_USAGE;
    }
    sp_scene* sc = sp_cli_load_scene_file(o->file);
    if (!sc) return 1;
    char err[256];
    sp_episode_def def = sp_default_episode_def(sp_scene_env(sc));
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    int w = o->width, h = o->height;
    uint8_t* px = malloc((size_t)w * (size_t)h * 3);
    sp_png_encoder* enc = sp_png_encoder_create(w, h);
    int rc = (!ep || !px || !enc) ? SP_E_NO_MEMORY : sp_episode_reset(ep, &o->seed);
    if (rc == 0) {
        sp_image img = sp_image_wrap(px, w, h, 3 * w);
        sp_view_hint hint = sp_view_hint_for(sp_scene_env(sc)->spec->id);
        sp_camera cam = sp_camera_frame(&hint, sp_episode_world(ep), w, h);
        sp_draw_world(&img, &cam, sp_episode_world(ep), NULL);
        rc = sp_png_write(enc, &img, o->out, err, sizeof err);
        if (rc != 0) sp_cli_error("scene render: %s", err);
    } else {
        sp_cli_error("scene render: %s", sp_error_name(rc));
    }
    if (rc == 0) printf("wrote %s\n", o->out);
    sp_png_encoder_destroy(enc);
    free(px);
    sp_episode_destroy(ep);
    sp_scene_destroy(sc);
    return rc == 0 ? 0 : 1;
}

int sp_cmd_scene(int argc, char** argv) {
    if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
        fputs(usage_text, argc < 1 ? stderr : stdout);
        return argc < 1 ? SP_EXIT_USAGE : 0;
    }
    scene_opts o = {.steps = 200, .width = 640, .height = 480};
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc != 0) return rc;
    if (!strcmp(argv[0], "check")) return check(&o);
    if (!strcmp(argv[0], "render")) return render(&o);
    sp_cli_error("scene: unknown subcommand '%s'\n%s", argv[0], usage_text);
    return SP_EXIT_USAGE;
}
