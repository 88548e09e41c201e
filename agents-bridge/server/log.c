#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char* level_name(sp_log_level level) {
    switch (level) {
    case SP_LOG_ERROR:
        return "error";
    case SP_LOG_WARN:
        return "warn";
    case SP_LOG_INFO:
        return "info";
    }
    return "?";
}

void sp_log_write(sp_log_level level, const char* fmt, ...) {
    /* Wall-clock time is for the reader of the log only; it never reaches simulated state. */
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char line[1024];
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ sandpit %s: ", ts.tv_nsec / 1000000,
                  level_name(level));
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    n += m;
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    /* One write(2) per line, so lines from several processes sharing stderr never interleave
     * mid-line; a failed log write has nowhere to be reported. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}
