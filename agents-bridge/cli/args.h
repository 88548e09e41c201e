#ifndef SANDPIT_CLI_ARGS_H
#define SANDPIT_CLI_ARGS_H

/* Strict parsing of command-line options and values: options through getopt_long, values
 * whole strings that are numbers in range, decimal (`--seed 010` is ten). Bad input is
 * reported on stderr as one line naming the option, and the caller exits 2. */

#include <stdbool.h>
#include <stdint.h>

#include "sandpit/cliopt.h"

#define SP_EXIT_USAGE 2

/* Parses an unsigned 64-bit integer, decimal: leading zeros change nothing ("010" is 10). */
bool sp_arg_u64(const char* option, const char* text, uint64_t* out);

/* Parses an int in [lo, hi]. */
bool sp_arg_int(const char* option, const char* text, int lo, int hi, int* out);

/* Parses a finite number in [lo, hi]. */
bool sp_arg_double(const char* option, const char* text, double lo, double hi, double* out);

/* The next option of a subcommand, as sp_cliopt_next returns it ("sandpit: " errors, unknown
 * options as "<command>: unknown option 'X' (<hint>)"). A subcommand gets the arguments after
 * its own name (argc, argv), and that name sits just before them (argv[-1]: main and `replay`
 * pass argv + 2 and argv + 1 of the real vector), so getopt's vector is (argc + 1, argv - 1).
 * After the last option the operands are argv[sp_cli_operands() .. argc - 1]. */
int sp_cli_option(const char* command, const char* hint, int argc, char** argv,
                  const char* shortopts, const struct option* longopts);
int sp_cli_operands(void);

/* Returns argv[*i + 1] and advances *i, or prints "OPTION needs a value" and returns NULL.
 * For a hand-written loop; the commands here use sp_cli_option. */
const char* sp_arg_value(int argc, char** argv, int* i);

/* Prints "sandpit: " and the formatted message to stderr, then a newline. */
void sp_cli_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
