/* getopt_long with sandpit's one-line errors (sandpit/cliopt.h). */

#include "sandpit/cliopt.h"

#include <stdio.h>
#include <string.h>

/* The option as the user wrote it, without any "=value": "--seed", "-x". */
static void option_text(char** argv, int optind_now, int optopt_now, char* out, size_t sz) {
    const char* arg = argv[optind_now - 1];
    if (strncmp(arg, "--", 2) != 0) {
        snprintf(out, sz, "-%c", optopt_now); /* a short one, maybe inside a group like -hx */
        return;
    }
    size_t n = strcspn(arg, "=");
    snprintf(out, sz, "%.*s", (int)n, arg);
}

int sp_cliopt_next(const sp_cliopt* c, int argc, char** argv, const char* shortopts,
                   const struct option* longopts) {
    /* A leading ':' makes a missing value ':' rather than '?'; opterr = 0 keeps getopt's own
     * wording off stderr. */
    char spec[64];
    snprintf(spec, sizeof spec, ":%s", shortopts);
    opterr = 0;
    int ch = getopt_long(argc, argv, spec, longopts, NULL);
    if (ch != '?' && ch != ':') return ch;
    char opt[64];
    option_text(argv, optind, optopt, opt, sizeof opt);
    if (ch == ':')
        fprintf(stderr, "%s: %s needs a value\n", c->program, opt);
    else if (optopt != 0 && strchr(argv[optind - 1], '=') && !strncmp(argv[optind - 1], "--", 2))
        fprintf(stderr, "%s: %s takes no value\n", c->program, opt);
    else
        fprintf(stderr, "%s: %s%sunknown option '%s' (%s)\n", c->program,
                c->command ? c->command : "", c->command ? ": " : "", opt, c->hint);
    return SP_CLIOPT_BAD;
}
