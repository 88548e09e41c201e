#include "record_path.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sandpit/error.h"

/* True when any '/'-separated component of `path` is "..": the one way a relative path can
 * climb out of the root (symlinks inside the root are the operator's to place). */
static bool climbs(const char* path) {
    for (const char* p = path; *p;) {
        const char* end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return true;
        if (!end) break;
        p = end + 1;
    }
    return false;
}

int sp_record_path_resolve(const char* root, const char* dir, char* out, size_t out_sz, char* err,
                           size_t err_sz) {
    if (!root) {
        snprintf(err, err_sz,
                 "record.dir: this server does not write recordings for clients (start it with "
                 "--record-root DIR)");
        return SP_E_BAD_REQUEST;
    }
    if (climbs(dir)) {
        snprintf(err, err_sz, "record.dir: '..' is not allowed in '%s'", dir);
        return SP_E_BAD_REQUEST;
    }
    size_t rn = strlen(root);
    while (rn > 1 && root[rn - 1] == '/')
        rn--;
    bool root_is_slash = rn == 1 && root[0] == '/';
    int n;
    if (dir[0] == '/') {
        bool inside =
            root_is_slash || (strncmp(dir, root, rn) == 0 && (dir[rn] == '/' || !dir[rn]));
        if (!inside) {
            snprintf(err, err_sz, "record.dir: '%s' is outside the server's record root %.*s", dir,
                     (int)rn, root);
            return SP_E_BAD_REQUEST;
        }
        n = snprintf(out, out_sz, "%s", dir);
    } else {
        n = snprintf(out, out_sz, "%.*s/%s", root_is_slash ? 0 : (int)rn, root, dir);
    }
    if (n < 0 || (size_t)n >= out_sz) {
        snprintf(err, err_sz, "record.dir: the path is too long");
        return SP_E_BAD_REQUEST;
    }
    return SP_OK;
}
