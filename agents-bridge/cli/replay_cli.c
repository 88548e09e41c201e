/* Helpers for the replay plot and report subcommands (see replay_cli.h). */

#define _XOPEN_SOURCE 700 /* realpath */

#include "replay_cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

bool sp_cli_parse_size(const char* option, const char* text, int* w, int* h) {
    char buf[32];
    const char* x = strchr(text, 'x');
    if (!x || strlen(text) >= sizeof buf) {
        sp_cli_error("%s must be WxH, got '%s'", option, text);
        return false;
    }
    memcpy(buf, text, (size_t)(x - text));
    buf[x - text] = '\0';
    return sp_arg_int(option, buf, 16, 8192, w) && sp_arg_int(option, x + 1, 16, 8192, h);
}

#define MAX_PARTS 256

/* Splits an absolute path in place into its components; returns their count or -1. */
static int split(char* path, char** parts) {
    int n = 0;
    char* save = NULL;
    for (char* p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (n == MAX_PARTS) return -1;
        parts[n++] = p;
    }
    return n;
}

bool sp_cli_relative_path(const char* from, const char* target, char* out, size_t out_sz) {
    char a[PATH_MAX], b[PATH_MAX];
    char *pa[MAX_PARTS], *pb[MAX_PARTS];
    if (!realpath(from, a) || !realpath(target, b)) return false;
    int na = split(a, pa), nb = split(b, pb);
    if (na < 0 || nb < 0) return false;
    int common = 0;
    while (common < na && common < nb && strcmp(pa[common], pb[common]) == 0)
        common++;
    size_t used = 0;
    out[0] = '\0';
    for (int i = common; i < na; i++) {
        int n = snprintf(out + used, out_sz - used, "../");
        if (n < 0 || (size_t)n >= out_sz - used) return false;
        used += (size_t)n;
    }
    for (int i = common; i < nb; i++) {
        int n = snprintf(out + used, out_sz - used, "%s%s", pb[i], i + 1 < nb ? "/" : "");
        if (n < 0 || (size_t)n >= out_sz - used) return false;
        used += (size_t)n;
    }
    return used > 0;
}
