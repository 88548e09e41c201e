#ifndef SANDPIT_SERVER_LOG_H
#define SANDPIT_SERVER_LOG_H

/* Server logs: one line each on stderr. SP_LOG checks the level before it evaluates or
 * formats its arguments, so a quiet server pays nothing for its info lines. */

#include "sandpit/server.h"

#define SP_LOG(threshold, level, ...)                                                              \
    do {                                                                                           \
        if ((int)(level) <= (int)(threshold)) sp_log_write((level), __VA_ARGS__);                  \
    } while (0)

/* Writes "<UTC time> sandpit <level>: <message>\n" to stderr in one write. */
void sp_log_write(sp_log_level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
