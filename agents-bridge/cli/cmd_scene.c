/* `sandpit scene`: work with scene files (docs/SCENES.md) without a server.
 *
 *   sandpit scene check FILE [--seed N] [--steps N] [--json]
 *       decode and validate, print the spec, run one short episode with random actions
 *   sandpit scene render FILE --out PNG [--seed N] [--size WxH]
 *       draw the reset state */

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "sandpit/json.h"
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

enum scene_option { OPT_JSON = 256, OPT_OUT, OPT_SEED, OPT_STEPS, OPT_WIDTH, OPT_HEIGHT };

static const struct option scene_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"out", required_argument, NULL, OPT_OUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"height", required_argument, NULL, OPT_HEIGHT},
    {NULL, 0, NULL, 0},
};

/* argv[-1] is the subcommand's name ("check", "render"), as sp_cli_option expects. */
static int parse(int argc, char** argv, scene_opts* o) {
    static const char hint[] = "see sandpit scene --help";
    int ch;
    while ((ch = sp_cli_option("scene", hint, argc, argv, "", scene_options)) != -1) {
        const char* v = optarg;
        bool ok = true;
        switch (ch) {
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_OUT:
            o->out = v;
            break;
        case OPT_SEED:
            ok = sp_arg_u64("--seed", v, &o->seed);
            break;
        case OPT_STEPS:
            ok = sp_arg_int("--steps", v, 0, 1000000, &o->steps);
            break;
        case OPT_WIDTH:
            ok = sp_arg_int("--width", v, 16, 4096, &o->width);
            break;
        case OPT_HEIGHT:
            ok = sp_arg_int("--height", v, 16, 4096, &o->height);
            break;
        default:
            return SP_EXIT_USAGE; /* already reported */
        }
        if (!ok) return SP_EXIT_USAGE;
    }
    int first = sp_cli_operands();
    if (argc - first != 1) {
        sp_cli_error("scene: needs exactly one FILE\n%s", usage_text);
        return SP_EXIT_USAGE;
    }
    o->file = argv[first];
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
