#ifndef SANDPIT_CLI_JSONW_H
#define SANDPIT_CLI_JSONW_H

/* Minimal JSON output for the CLI's --json modes. */

#include <stdio.h>

/* Writes `s` as a JSON string literal, or null when s is NULL. */
void sp_json_string(FILE* out, const char* s);

/* Writes a double so that it reads back to the same value (%.17g); non-finite as null. */
void sp_json_number(FILE* out, double v);

#endif
