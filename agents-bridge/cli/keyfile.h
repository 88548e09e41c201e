#ifndef SANDPIT_CLI_KEYFILE_H
#define SANDPIT_CLI_KEYFILE_H

/* CURVE key files (docs/SECURITY.md): text files whose first line that is neither blank nor a
 * `#` comment is one key in Z85 (40 characters). `sandpit keygen` writes PREFIX.key (the
 * secret key, mode 0600) and PREFIX.pub (the public key); `sandpit serve --authorized-keys DIR`
 * reads every DIR/ *.pub. */

#include <stdbool.h>
#include <stddef.h>

#define SP_KEY_Z85_LEN 40

/* One key in Z85 and its NUL. */
typedef char sp_key_z85[SP_KEY_Z85_LEN + 1];

/* Reads the key of `path` into `key` (41 bytes). With `secret`, refuses a file that others
 * than its owner may read or write. Returns false and a message in `err`. */
bool sp_keyfile_read(const char* path, bool secret, sp_key_z85 key, char* err, size_t err_sz);

/* Reads every `*.pub` of `dir`, sorted by name, into a new array of `*count` keys
 * (free it). Returns NULL and a message on an unreadable directory or a bad file. */
sp_key_z85* sp_keyfile_read_dir(const char* dir, int* count, char* err, size_t err_sz);

/* Writes `key` to `path` with a comment line, creating it with `mode`; never overwrites.
 * Returns false and a message in `err`. */
bool sp_keyfile_write(const char* path, const char* comment, const char* key, int mode, char* err,
                      size_t err_sz);

#endif
