#ifndef SANDPIT_SERVER_RECORD_PATH_H
#define SANDPIT_SERVER_RECORD_PATH_H

/* Where a client may make the server write replay files: only below the server's record
 * root. A client's `record.dir` is resolved against it; `..` components and absolute paths
 * outside it are refused, and without a root recording over the wire is refused. */

#include <stddef.h>

/* Resolves `dir` (from the client) under `root` (NULL: recording off) into `out`. Returns 0,
 * or SP_E_BAD_REQUEST with a message naming record.dir. */
int sp_record_path_resolve(const char* root, const char* dir, char* out, size_t out_sz, char* err,
                           size_t err_sz);

#endif
