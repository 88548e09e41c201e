#ifndef SANDPIT_CLIOPT_H
#define SANDPIT_CLIOPT_H

/* Command-line options of sandpit's programs (`sandpit` and its subcommands, `sandpit replay
 * export`, `sandpit-view`): getopt_long, with the project's error convention. Bad input is one
 * line on stderr naming the option, and the caller exits 2. getopt_long brings what users
 * expect of GNU tools: `--seed=7` as well as `--seed 7`, unambiguous prefixes (`--epi 3`),
 * options and operands in any order, and `--` to end the options. */

#include <getopt.h>

/* How errors are worded. */
typedef struct sp_cliopt {
    const char* program; /* each line starts "<program>: " ("sandpit", "sandpit-view") */
    const char* command; /* "<command>: " before "unknown option" ("serve"); NULL: none */
    const char* hint;    /* "(<hint>)" after an unknown option ("see sandpit serve --help") */
} sp_cliopt;

/* getopt_long's return for an error already reported. */
#define SP_CLIOPT_BAD '?'

/* The next option of argv[1..argc-1] (argv[0] is the program's or command's name and is not
 * read), as getopt_long returns it: a `val` of `longopts` (whose `flag` must be NULL) or a
 * character of `shortopts`; -1 at the end, when the operands are argv[optind..argc-1], in
 * order; or SP_CLIOPT_BAD after printing "unknown option 'X' (hint)", "X needs a value" or
 * "X takes no value". Parses one command line per process (optind starts at 1). */
int sp_cliopt_next(const sp_cliopt* c, int argc, char** argv, const char* shortopts,
                   const struct option* longopts);

#endif
