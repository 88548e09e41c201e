#ifndef SANDPIT_SERVER_INVARIANT_H
#define SANDPIT_SERVER_INVARIANT_H

/* SP_ASSERT: for the server's own invariants only, never for anything a client sent. Kept in
 * release builds (unlike assert) since a broken invariant must not go on serving. */

#include <stdio.h>
#include <stdlib.h>

#define SP_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
