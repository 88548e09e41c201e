#ifndef SANDPIT_CLI_ARGS_H
#define SANDPIT_CLI_ARGS_H

/* Strict parsing of command-line values: the whole string must be a number in range. Bad
 * input is reported on stderr as one line naming the option, and the caller exits 2. */

#include <stdbool.h>
#include <stdint.h>

#define SP_EXIT_USAGE 2

/* Parses an unsigned 64-bit integer (decimal or 0x hex). */
bool sp_arg_u64(const char* option, const char* text, uint64_t* out);

/* Parses an int in [lo, hi]. */
bool sp_arg_int(const char* option, const char* text, int lo, int hi, int* out);

/* Parses a finite number in [lo, hi]. */
bool sp_arg_double(const char* option, const char* text, double lo, double hi, double* out);

/* Returns argv[*i + 1] and advances *i, or prints "OPTION needs a value" and returns NULL. */
const char* sp_arg_value(int argc, char** argv, int* i);

/* Prints "sandpit: " and the formatted message to stderr, then a newline. */
void sp_cli_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
