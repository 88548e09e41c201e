/* `sandpit replay info FILE [--json]` and `sandpit replay verify FILE...`.
 *
 * Exit status (docs/REPLAY_FORMAT.md): verify 0 when every file is ok (a truncated file is
 * ok), 1 when any diverged or is corrupt, 2 when any is unreadable, fails the env check, or on
 * bad usage; the highest applies. info: 0 for a whole or truncated file, 1 corrupt,
 * 2 unreadable. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "sandpit/json.h"
#include "replay_cli.h"
#include "sandpit/episode_layers.h"
#include "sandpit/export.h"
#include "sandpit/progress.h"
#include "sandpit/replay.h"

#define EXIT_FAILED 1

/* What a pass over every record of a file found. */
typedef struct summary {
    sp_replay_status status; /* END, TRUNCATED, CORRUPT or UNREADABLE */
    char problem[192];
    int64_t bytes;
    int steps;
    double episode_return;
    bool terminated;
    bool truncated;
    bool has_footer;
    sp_replay_footer footer;
    bool has_reset;
    uint64_t reset_hash;
    uint64_t last_hash;
    int events[4]; /* by source: [1] guardrail, [2] fault, [3] machine; [0] other */
} summary;

static void summarize(sp_replay* r, summary* s) {
    memset(s, 0, sizeof *s);
    sp_replay_record rec;
    sp_replay_status st;
    while ((st = sp_replay_next(r, &rec)) == SP_REPLAY_OK) {
        for (int i = 0; i < rec.event_count; i++) {
            unsigned src = rec.events[i].source;
            s->events[src < 4 ? src : 0]++;
        }
        if (rec.kind == SP_REPLAY_RESET) {
            s->has_reset = true;
            s->reset_hash = s->last_hash = rec.hash;
        } else if (rec.kind == SP_REPLAY_STEP) {
            s->steps = rec.step;
            s->episode_return += rec.reward;
            s->terminated = rec.terminated;
            s->truncated = rec.truncated;
            s->last_hash = rec.hash;
        } else {
            s->has_footer = true;
            s->footer = rec.footer;
        }
    }
    s->status = st;
    if (st != SP_REPLAY_END)
        snprintf(s->problem, sizeof s->problem, "%s", sp_replay_get_problem(r)->message);
    s->bytes = sp_replay_position(r);
}

static const char* state_name(sp_replay_status st) {
    return st == SP_REPLAY_END ? "complete" : sp_replay_status_name(st);
}

static void info_text(const char* path, const sp_replay_header* h, const summary* s) {
    bool discrete = h->action_kind == SP_ACTION_DISCRETE;
    printf("file          %s\n", path);
    printf("format        %d.%d, recorded by sandpit %s\n", h->format_major, h->format_minor,
           h->sandpit_version);
    if (h->arch[0]) printf("made on       %s, %s, math %s\n", h->arch, h->compiler, h->math);
    printf("env           %s version %d: dt %g s, %d iterations, frame skip %d, max steps %d\n",
           h->env_id, h->env_version, h->dt, h->iterations, h->frame_skip, h->max_steps);
    printf("seed          %" PRIu64 " (file %" PRIu64 " of its recorder)\n", h->seed, h->episode);
    if (discrete)
        printf("action        discrete, %d actions\n", h->action_count);
    else
        printf("action        continuous, %d channels\n", h->actuator_count);
    printf("observation   %d sensors, %s\n", h->sensor_count,
           h->observations ? "recorded" : "not recorded");
    printf("config        ");
    sp_replay_msgpack_to_json(stdout, h->config, h->config_size);
    printf("\n");
    printf("steps         %d, return %.6f", s->steps, s->episode_return);
    if (s->has_footer && s->footer.reason[0])
        printf(", %s: %s", s->footer.terminated ? "terminated" : "truncated", s->footer.reason);
    else if (s->has_footer)
        printf(", did not end (%s)", s->footer.ended);
    printf("\n");
    if (s->has_reset)
        printf("hashes        reset %016" PRIx64 ", last %016" PRIx64 "\n", s->reset_hash,
               s->last_hash);
    printf("events        %d guardrail, %d fault, %d machine", s->events[1], s->events[2],
           s->events[3]);
    if (s->has_footer) printf(", %" PRIu64 " dropped", s->footer.events_dropped);
    printf("\n");
    printf("size          %" PRId64 " bytes", s->bytes);
    if (s->steps) printf(", %.1f bytes per step overall", (double)s->bytes / s->steps);
    printf("\n");
    printf("state         %s", state_name(s->status));
    if (s->status == SP_REPLAY_END) printf(" (footer: %s)", s->footer.ended);
    if (s->status != SP_REPLAY_END) printf(": %s", s->problem);
    printf("\n");
}

static void json_bool(const char* key, bool v) {
    printf(", \"%s\": %s", key, v ? "true" : "false");
}

static void info_json(const char* path, const sp_replay_header* h, const summary* s) {
    bool discrete = h->action_kind == SP_ACTION_DISCRETE;
    fputs("{\"file\": ", stdout);
    sp_json_string(stdout, path);
    printf(", \"format\": \"%d.%d\", \"sandpit\": ", h->format_major, h->format_minor);
    sp_json_string(stdout, h->sandpit_version);
    fputs(", \"arch\": ", stdout);
    sp_json_string(stdout, h->arch);
    fputs(", \"compiler\": ", stdout);
    sp_json_string(stdout, h->compiler);
    fputs(", \"math\": ", stdout);
    sp_json_string(stdout, h->math);
    fputs(", \"env\": ", stdout);
    sp_json_string(stdout, h->env_id);
    printf(", \"env_version\": %d, \"dt\": ", h->env_version);
    sp_json_number(stdout, h->dt);
    printf(", \"iterations\": %d, \"frame_skip\": %d, \"max_steps\": %d", h->iterations,
           h->frame_skip, h->max_steps);
    printf(", \"seed\": %" PRIu64 ", \"episode\": %" PRIu64, h->seed, h->episode);
    printf(", \"sensors\": %d, \"action_kind\": \"%s\", \"actions\": %d, \"actuators\": %d",
           h->sensor_count, discrete ? "discrete" : "continuous", h->action_count,
           h->actuator_count);
    json_bool("observations", h->observations);
    fputs(", \"config\": ", stdout);
    sp_replay_msgpack_to_json(stdout, h->config, h->config_size);
    printf(", \"state\": \"%s\", \"problem\": ", state_name(s->status));
    sp_json_string(stdout, s->status == SP_REPLAY_END ? NULL : s->problem);
    printf(", \"steps\": %d, \"return\": ", s->steps);
    sp_json_number(stdout, s->episode_return);
    json_bool("terminated", s->terminated);
    json_bool("truncated", s->truncated);
    fputs(", \"reason\": ", stdout);
    sp_json_string(stdout, s->has_footer && s->footer.reason[0] ? s->footer.reason : NULL);
    fputs(", \"ended\": ", stdout);
    sp_json_string(stdout, s->has_footer ? s->footer.ended : NULL);
    if (s->has_reset)
        printf(", \"reset_hash\": \"%016" PRIx64 "\", \"final_hash\": \"%016" PRIx64 "\"",
               s->reset_hash, s->last_hash);
    else
        fputs(", \"reset_hash\": null, \"final_hash\": null", stdout);
    printf(", \"events\": {\"guardrail\": %d, \"fault\": %d, \"machine\": %d}", s->events[1],
           s->events[2], s->events[3]);
    if (s->has_footer) printf(", \"events_dropped\": %" PRIu64, s->footer.events_dropped);
    printf(", \"bytes\": %" PRId64 "}\n", s->bytes);
}

static int cmd_info(int argc, char** argv) {
    static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int ch;
    while ((ch = sp_cli_option("replay info", "options: --json", argc, argv, "", options)) != -1) {
        if (ch != 'j') return SP_EXIT_USAGE;
        json = true;
    }
    int first = sp_cli_operands();
    if (first == argc) {
        sp_cli_error("replay info needs a FILE");
        return SP_EXIT_USAGE;
    }
    if (argc - first > 1) {
        sp_cli_error("replay info takes one FILE");
        return SP_EXIT_USAGE;
    }
    const char* path = argv[first];
    sp_replay_problem p;
    sp_replay* r = sp_replay_open(path, &p);
    if (!r) {
        sp_cli_error("replay info: %s: %s: %s", path, sp_replay_status_name(p.status), p.message);
        return p.status == SP_REPLAY_CORRUPT ? EXIT_FAILED : SP_EXIT_USAGE;
    }
    summary s;
    summarize(r, &s);
    if (json)
        info_json(path, sp_replay_get_header(r), &s);
    else
        info_text(path, sp_replay_get_header(r), &s);
    sp_replay_close(r);
    if (s.status == SP_REPLAY_CORRUPT) return EXIT_FAILED;
    if (s.status == SP_REPLAY_UNREADABLE) return SP_EXIT_USAGE;
    return 0;
}

/* One line per file on stdout; returns the file's exit status. */
static int verify_one(sp_verifier* verifier, const char* path) {
    sp_verify_report rep;
    sp_verdict v = sp_verifier_run(verifier, path, &rep);
    switch (v) {
    case SP_VERIFY_OK:
        if (rep.truncated)
            printf("OK %s %d steps (truncated file: verified %d whole steps)\n", path, rep.steps,
                   rep.steps);
        else
            printf("OK %s %d steps\n", path, rep.steps);
        return 0;
    case SP_VERIFY_DIVERGED:
        printf("DIVERGED %s %s\n", path, rep.message);
        return EXIT_FAILED;
    case SP_VERIFY_CORRUPT:
        printf("CORRUPT %s %s\n", path, rep.message);
        return EXIT_FAILED;
    case SP_VERIFY_ENV_MISMATCH:
        printf("ENV_MISMATCH %s %s\n", path, rep.message);
        return SP_EXIT_USAGE;
    default:
        printf("UNREADABLE %s %s\n", path, rep.message);
        return SP_EXIT_USAGE;
    }
}

static int cmd_verify(int argc, char** argv) {
    static const struct option options[] = {{"quiet", no_argument, NULL, 'q'}, {NULL, 0, NULL, 0}};
    static const char hint[] = "usage: replay verify [--quiet] FILE...";
    bool quiet = false;
    int ch;
    while ((ch = sp_cli_option("replay verify", hint, argc, argv, "q", options)) != -1) {
        if (ch != 'q') return SP_EXIT_USAGE;
        quiet = true;
    }
    int first = sp_cli_operands();
    if (first == argc) {
        sp_cli_error("replay verify needs at least one FILE");
        return SP_EXIT_USAGE;
    }
    /* The recorded guardrails and faults are rebuilt from each header's config. */
    sp_config_replay* layers = sp_config_replay_create();
    sp_verify_def vdef = layers ? sp_config_replay_def(layers) : sp_default_verify_def();
    sp_verifier* verifier = layers ? sp_verifier_create(&vdef) : NULL;
    if (!verifier) {
        sp_config_replay_destroy(layers);
        sp_cli_error("replay verify: out of memory");
        return EXIT_FAILED;
    }
    int worst = 0;
    sp_progress progress;
    sp_progress_start(&progress, "verify", argc - first, quiet);
    for (int i = first; i < argc; i++) {
        sp_progress_clear(&progress);
        int rc = verify_one(verifier, argv[i]);
        if (rc > worst) worst = rc;
        fflush(stdout);
        sp_progress_update(&progress, i - first + 1);
    }
    sp_progress_finish(&progress);
    sp_verifier_destroy(verifier);
    sp_config_replay_destroy(layers);
    return worst;
}

int sp_cmd_replay(int argc, char** argv) {
    const char* usage = "info FILE [--json] | verify FILE... | export FILE... | plot FILE | "
                        "report FILE... (--help for more)";
    if (argc < 1) {
        sp_cli_error("replay needs a subcommand: %s", usage);
        return SP_EXIT_USAGE;
    }
    if (!strcmp(argv[0], "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[0], "verify")) return cmd_verify(argc - 1, argv + 1);
    if (!strcmp(argv[0], "export")) return sp_replay_export_main(argc - 1, argv + 1);
    if (!strcmp(argv[0], "plot")) return sp_cmd_replay_plot(argc - 1, argv + 1);
    if (!strcmp(argv[0], "report")) return sp_cmd_replay_report(argc - 1, argv + 1);
    sp_cli_error("replay: unknown subcommand '%s' (%s)", argv[0], usage);
    return SP_EXIT_USAGE;
}
