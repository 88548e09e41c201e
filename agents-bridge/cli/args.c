#include "args.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void sp_cli_error(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("sandpit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool sp_arg_u64(const char* option, const char* text, uint64_t* out) {
    char* end = NULL;
    errno = 0;
    if (text[0] == '\0' || text[0] == '-' || text[0] == '+' || text[0] == ' ') goto bad;
    unsigned long long v = strtoull(text, &end, 10); /* never base 0: "010" is not octal */
    if (errno != 0 || *end != '\0') goto bad;
    *out = (uint64_t)v;
    return true;
bad:
    sp_cli_error("%s expects a non-negative integer below 2^64, got '%s'", option, text);
    return false;
}

bool sp_arg_int(const char* option, const char* text, int lo, int hi, int* out) {
    char* end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (text[0] == '\0' || errno != 0 || *end != '\0' || v < lo || v > hi) {
        sp_cli_error("%s expects an integer in [%d, %d], got '%s'", option, lo, hi, text);
        return false;
    }
    *out = (int)v;
    return true;
}

bool sp_arg_double(const char* option, const char* text, double lo, double hi, double* out) {
    char* end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    /* `!(v >= lo && v <= hi)` also refuses NaN; strtod's "inf" fails the range. */
    if (text[0] == '\0' || text[0] == ' ' || errno != 0 || *end != '\0' || !(v >= lo && v <= hi)) {
        sp_cli_error("%s expects a number in [%g, %g], got '%s'", option, lo, hi, text);
        return false;
    }
    *out = v;
    return true;
}

int sp_cli_option(const char* command, const char* hint, int argc, char** argv,
                  const char* shortopts, const struct option* longopts) {
    sp_cliopt c = {"sandpit", command, hint};
    return sp_cliopt_next(&c, argc + 1, argv - 1, shortopts, longopts);
}

int sp_cli_operands(void) {
    return optind - 1;
}

const char* sp_arg_value(int argc, char** argv, int* i) {
    if (*i + 1 >= argc) {
        sp_cli_error("%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}
