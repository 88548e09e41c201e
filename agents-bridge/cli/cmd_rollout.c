/* `sandpit rollout`: runs episodes in-process and prints, per episode, steps, return and the
 * final state hash. The first episode is reset with --seed, later ones continue the seed
 * stream, exactly as a Gymnasium user calling reset(seed=N) then reset() would.
 *
 * With --record DIR every episode is also written to DIR/<env id>-s<seed>-<episode>.sprp
 * (docs/REPLAY_FORMAT.md); the printed lines stay the same, so `sandpit replay verify` in
 * another process can be checked against them. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "sandpit/json.h"
#include "scenes.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "sandpit/replay.h"

typedef enum policy { POLICY_RANDOM, POLICY_ZERO } policy;

typedef struct rollout_opts {
    const sp_env_class* env;
    uint64_t seed;
    int episodes;
    policy policy;
    int json;
    const char* record_dir;
    int record_obs;
    sp_scene* scene; /* --scene FILE */
} rollout_opts;

static void choose_action(const sp_env_spec* spec, policy p, sp_rng* rng, sp_action* a) {
    if (p == POLICY_ZERO)
        memset(a, 0, sizeof *a);
    else
        sp_action_sample(spec, rng, a);
}

enum rollout_option {
    OPT_ENV = 256,
    OPT_SEED,
    OPT_EPISODES,
    OPT_POLICY,
    OPT_JSON,
    OPT_RECORD,
    OPT_RECORD_OBS,
    OPT_SCENE
};

static const struct option rollout_options[] = {
    {"env", required_argument, NULL, OPT_ENV},
    {"seed", required_argument, NULL, OPT_SEED},
    {"episodes", required_argument, NULL, OPT_EPISODES},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"json", no_argument, NULL, OPT_JSON},
    {"record", required_argument, NULL, OPT_RECORD},
    {"record-obs", no_argument, NULL, OPT_RECORD_OBS},
    {"scene", required_argument, NULL, OPT_SCENE},
    {NULL, 0, NULL, 0},
};

static int parse(int argc, char** argv, rollout_opts* o) {
    static const char hint[] = "options: --env ID, --scene FILE, --seed N, --episodes K, "
                               "--policy random|zero, --json, --record DIR, --record-obs";
    const char* env_id = NULL;
    const char* scene_file = NULL;
    int ch;
    while ((ch = sp_cli_option("rollout", hint, argc, argv, "", rollout_options)) != -1) {
        const char* v = optarg;
        bool ok = true;
        switch (ch) {
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_RECORD:
            o->record_dir = v;
            break;
        case OPT_RECORD_OBS:
            o->record_obs = 1;
            break;
        case OPT_ENV:
            env_id = v;
            break;
        case OPT_SCENE:
            scene_file = v;
            break;
        case OPT_SEED:
            ok = sp_arg_u64("--seed", v, &o->seed);
            break;
        case OPT_EPISODES:
            ok = sp_arg_int("--episodes", v, 1, 1000000, &o->episodes);
            break;
        case OPT_POLICY:
            if (!strcmp(v, "random")) {
                o->policy = POLICY_RANDOM;
            } else if (!strcmp(v, "zero")) {
                o->policy = POLICY_ZERO;
            } else {
                sp_cli_error("--policy must be random or zero, got '%s'", v);
                ok = false;
            }
            break;
        default: /* SP_CLIOPT_BAD: already reported */
            return SP_EXIT_USAGE;
        }
        if (!ok) return SP_EXIT_USAGE;
    }
    if (sp_cli_operands() < argc) {
        sp_cli_error("rollout: unknown option '%s' (%s)", argv[sp_cli_operands()], hint);
        return SP_EXIT_USAGE;
    }
    if (scene_file && env_id) {
        sp_cli_error("rollout: --env and --scene exclude each other");
        return SP_EXIT_USAGE;
    }
    if (o->record_obs && !o->record_dir) {
        sp_cli_error("--record-obs needs --record DIR");
        return SP_EXIT_USAGE;
    }
    if (scene_file) {
        if (!(o->scene = sp_cli_load_scene_file(scene_file))) return 1;
        o->env = sp_scene_env(o->scene);
        return 0;
    }
    if (sp_cli_load_scenes(NULL, 0) != 0) return 1;
    char ids[512];
    sp_env_list_ids(ids, sizeof ids);
    if (!env_id) {
        sp_cli_error("rollout needs --env ID (envs: %s)", ids);
        return SP_EXIT_USAGE;
    }
    if (!(o->env = sp_env_find(env_id))) {
        sp_cli_error("unknown env '%s' (envs: %s)", env_id, ids);
        return SP_EXIT_USAGE;
    }
    return 0;
}

/* Attaches a recorder when --record was given: files <env id>-s<seed>-NNNNNN.sprp. */
static int start_recording(const rollout_opts* o, sp_episode* ep, sp_recorder** out) {
    *out = NULL;
    if (!o->record_dir) return 0;
    char prefix[128], err[256];
    snprintf(prefix, sizeof prefix, "%s-s%" PRIu64, o->env->spec->id, o->seed);
    sp_recorder_def rd = sp_default_recorder_def();
    rd.directory = o->record_dir;
    rd.prefix = prefix;
    rd.observations = o->record_obs;
    if (!(*out = sp_recorder_attach_new(ep, &rd, err, sizeof err))) {
        sp_cli_error("rollout: --record: %s", err);
        return 1;
    }
    return 0;
}

static int run(const rollout_opts* opts);

int sp_cmd_rollout(int argc, char** argv) {
    rollout_opts o = {.seed = 0, .episodes = 1, .policy = POLICY_RANDOM};
    int rc = parse(argc, argv, &o);
    if (rc == 0) rc = run(&o);
    sp_scene_destroy(o.scene);
    return rc;
}

static int run(const rollout_opts* opts) {
    rollout_opts o = *opts;
    int rc;

    char err[256];
    sp_episode_def def = sp_default_episode_def(o.env);
    def.seed = o.seed;
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    if (!ep) {
        sp_cli_error("rollout: %s", err);
        return 1;
    }
    sp_recorder* rec;
    if (start_recording(&o, ep, &rec) != 0) {
        sp_episode_destroy(ep);
        return 1;
    }
    /* The policy's randomness is its own stream, apart from the env's. */
    sp_rng policy_rng;
    sp_rng_seed(&policy_rng, o.seed, "rollout_policy");
    const sp_env_spec* spec = o.env->spec;

    if (o.json)
        printf("{\"env\": \"%s\", \"seed\": %" PRIu64 ", \"episodes\": [", spec->id, o.seed);
    for (int e = 0; e < o.episodes; e++) {
        rc = sp_episode_reset(ep, e == 0 ? &o.seed : NULL);
        if (rc != 0) {
            sp_cli_error("rollout: reset failed: %s", sp_error_name(rc));
            goto fail;
        }
        if (rec && sp_recorder_error(rec)) {
            sp_cli_error("rollout: --record: %s", sp_recorder_error(rec));
            goto fail;
        }
        uint64_t episode_seed = sp_episode_seed(ep);
        sp_step_result r = {0};
        r.hash = sp_episode_hash(ep);
        while (!sp_episode_done(ep)) {
            sp_action a;
            choose_action(spec, o.policy, &policy_rng, &a);
            rc = sp_episode_step(ep, &a, &r, err, sizeof err);
            if (rc != 0) {
                sp_cli_error("rollout: step failed: %s", err);
                goto fail;
            }
        }
        if (rec && sp_recorder_error(rec)) {
            sp_cli_error("rollout: --record: %s", sp_recorder_error(rec));
            goto fail;
        }
        if (o.json) {
            printf("%s\n  {\"episode\": %d, \"seed\": %" PRIu64 ", \"steps\": %d, \"return\": ",
                   e ? "," : "", e, episode_seed, r.step);
            sp_json_number(stdout, r.episode_return);
            printf(", \"terminated\": %s, \"truncated\": %s, \"reason\": ",
                   r.terminated ? "true" : "false", r.truncated ? "true" : "false");
            sp_json_string(stdout, r.reason);
            printf(", \"hash\": \"%016" PRIx64 "\"", r.hash);
            if (rec) {
                fputs(", \"replay\": ", stdout);
                sp_json_string(stdout, sp_recorder_path(rec));
            }
            fputs("}", stdout);
        } else {
            printf("%s episode %d seed %" PRIu64 " steps %d return %.6f %s hash %016" PRIx64 "\n",
                   spec->id, e, episode_seed, r.step, r.episode_return, r.reason ? r.reason : "-",
                   r.hash);
        }
    }
    if (o.json) printf("\n]}\n");
    sp_recorder_destroy(rec);
    sp_episode_destroy(ep);
    return 0;
fail:
    sp_recorder_destroy(rec);
    sp_episode_destroy(ep);
    return 1;
}
