#ifndef SANDPIT_JSON_H
#define SANDPIT_JSON_H

/* sandpit's one JSON writer (replay/json.c): the CLI's --json modes and `replay info --json`
 * (a header's msgpack config) both write through it. Strings are escaped and their UTF-8 is
 * validated: client-supplied names reach these outputs, and a JSON document must be valid
 * UTF-8 (RFC 8259), so each byte of an ill-formed sequence is written as U+FFFD. */

#include <stddef.h>
#include <stdio.h>

/* Writes `s` (NUL-terminated) as a JSON string literal, or null when s is NULL. */
void sp_json_string(FILE* out, const char* s);

/* Writes s[0..n) as a JSON string literal. */
void sp_json_string_n(FILE* out, const void* s, size_t n);

/* Writes a double so that it reads back to the same value (%.17g); non-finite as null. */
void sp_json_number(FILE* out, double v);

#endif
