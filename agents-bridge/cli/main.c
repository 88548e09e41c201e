/* `sandpit`: one command-line front end over the sandpit library. */

#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "sandpit/scene.h"
#include "sandpit/version.h"

typedef struct command {
    const char* name;
    int (*run)(int argc, char** argv);
    const char* help;
} command;

static const command commands[] = {
    {"envs", sp_cmd_envs, "list the env catalogue with full specs  [--json]"},
    {"rollout", sp_cmd_rollout,
     "run episodes in-process: --env ID|--scene FILE [--seed N] [--episodes K] [--policy "
     "random|zero] [--json]"
     " [--record DIR [--record-obs]]"},
    {"replay", sp_cmd_replay,
     "check, inspect and render replay files: info | verify | export | plot | report (see --help)"},
    {"scene", sp_cmd_scene, "check or draw a scene file: check FILE | render FILE --out PNG"},
#ifdef SP_WITH_SERVER /* not in the core-only build (SP_CORE_ONLY: no ZeroMQ) */
    {"serve", sp_cmd_serve, "serve the wire protocol over ZeroMQ  [--bind EP]... (see --help)"},
    {"keygen", sp_cmd_keygen, "write a CURVE key pair for serve and clients  [--out PREFIX]"},
#endif
};

#define COMMAND_COUNT ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE* out) {
    fprintf(out, "usage: sandpit COMMAND [ARGS]\n\ncommands:\n");
    for (int i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "  %-9s %s\n", "version", "print the sandpit version");
}

int main(int argc, char** argv) {
    char names[256] = "";
    for (int i = 0; i < COMMAND_COUNT; i++) {
        strncat(names, commands[i].name, sizeof names - strlen(names) - 1);
        strncat(names, ", ", sizeof names - strlen(names) - 1);
    }
    if (argc < 2) {
        sp_cli_error("missing command (commands: %sversion; sandpit --help for usage)", names);
        return SP_EXIT_USAGE;
    }
    const char* name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "version") || !strcmp(name, "--version")) {
        printf("sandpit %s\n", SP_VERSION_STRING);
        return 0;
    }
    for (int i = 0; i < COMMAND_COUNT; i++)
        if (!strcmp(name, commands[i].name)) {
            int rc = commands[i].run(argc - 2, argv + 2);
            sp_scene_catalogue_release(); /* the scene files a command loaded, if any */
            return rc;
        }
    sp_cli_error("unknown command '%s' (commands: %sversion)", name, names);
    return SP_EXIT_USAGE;
}
