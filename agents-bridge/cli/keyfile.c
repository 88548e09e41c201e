#include "keyfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger than any key file has reason to be. */
#define MAX_KEY_FILE 4096

static bool is_z85(const char* s, size_t n) {
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   ".-:+=^!/*?&<>()[]{}@%$#";
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(alphabet, s[i])) return false;
    return true;
}

bool sp_keyfile_read(const char* path, bool secret, sp_key_z85 key, char* err, size_t err_sz) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_sz, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_sz, "%s is not a regular file", path);
        close(fd);
        return false;
    }
    if (secret && (st.st_mode & 077)) {
        snprintf(err, err_sz,
                 "%s holds a secret key but others may access it (mode %04o): "
                 "chmod 600 it",
                 path, (unsigned)(st.st_mode & 07777));
        close(fd);
        return false;
    }
    char buf[MAX_KEY_FILE + 1];
    ssize_t n = read(fd, buf, MAX_KEY_FILE);
    close(fd);
    if (n < 0) {
        snprintf(err, err_sz, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    buf[n] = '\0';
    for (char* line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        while (*line == ' ' || *line == '\t')
            line++, len--;
        if (!len || line[0] == '#') continue;
        if (len != SP_KEY_Z85_LEN || !is_z85(line, len)) break;
        memcpy(key, line, SP_KEY_Z85_LEN + 1);
        return true;
    }
    snprintf(err, err_sz,
             "%s holds no CURVE key (one line of 40 Z85 characters; see sandpit "
             "keygen)",
             path);
    return false;
}

static int by_name(const void* a, const void* b) {
    return strcmp(*(char* const*)a, *(char* const*)b);
}

sp_key_z85* sp_keyfile_read_dir(const char* dir, int* count, char* err, size_t err_sz) {
    DIR* d = opendir(dir);
    if (!d) {
        snprintf(err, err_sz, "cannot open the authorized keys directory %s: %s", dir,
                 strerror(errno));
        return NULL;
    }
    char** names = NULL;
    int n = 0, cap = 0;
    bool ok = true;
    for (struct dirent* e; ok && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || strcmp(e->d_name + len - 4, ".pub") != 0 || e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char** grown = realloc(names, (size_t)cap * sizeof *names);
            if (!grown) {
                ok = false;
                break;
            }
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name)))
            ok = false;
        else
            n++;
    }
    closedir(d);
    sp_key_z85* keys = ok ? calloc(n ? (size_t)n : 1, sizeof *keys) : NULL;
    if (!keys) snprintf(err, err_sz, "out of memory reading %s", dir);
    if (keys) qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; keys && i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!sp_keyfile_read(path, false, keys[i], err, err_sz)) {
            free(keys);
            keys = NULL;
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    *count = keys ? n : 0;
    return keys;
}

bool sp_keyfile_write(const char* path, const char* comment, const char* key, int mode, char* err,
                      size_t err_sz) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        snprintf(err, err_sz, "cannot create %s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (keygen never overwrites a key: remove it first)" : "");
        return false;
    }
    char text[256];
    int len = snprintf(text, sizeof text, "# %s\n%s\n", comment, key);
    bool ok = len > 0 && (size_t)len < sizeof text && write(fd, text, (size_t)len) == len;
    /* The umask may have taken bits away, never added them; make the mode exact. */
    ok = ok && fchmod(fd, (mode_t)mode) == 0;
    if (close(fd) != 0) ok = false;
    if (!ok) {
        snprintf(err, err_sz, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
    }
    return ok;
}
