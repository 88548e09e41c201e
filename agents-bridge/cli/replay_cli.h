#ifndef SANDPIT_CLI_REPLAY_CLI_H
#define SANDPIT_CLI_REPLAY_CLI_H

/* Pieces shared by the `replay plot` and `replay report` subcommands. */

#include <stdbool.h>
#include <stddef.h>

/* `sandpit replay plot ...` and `sandpit replay report ...`: argv holds the arguments after
 * the subcommand's name, and argv[-1] is that name (getopt_long's argv[0]). */
int sp_cmd_replay_plot(int argc, char** argv);
int sp_cmd_replay_report(int argc, char** argv);

/* Parses "WxH" (each 16..8192) into *w and *h; prints an error naming `option` if bad. */
bool sp_cli_parse_size(const char* option, const char* text, int* w, int* h);

/* The path of `target` relative to directory `from` ("../runs/a.sprp"), both resolved with
 * realpath. Returns false when either cannot be resolved or `out` is too small. */
bool sp_cli_relative_path(const char* from, const char* target, char* out, size_t out_sz);

#endif
