#ifndef SANDPIT_PROGRESS_H
#define SANDPIT_PROGRESS_H

/* Progress of long command-line work (verify over many files, export, report), on stderr as
 * pytest and tqdm users expect: on a terminal, one bar redrawn in place with counts and the
 * time left; otherwise a plain line every few seconds (and a last one, if any was printed),
 * so short runs and logs stay quiet; nothing at all when quiet. Reads the wall clock for
 * display only: nothing simulated ever sees it. */

#include <stdbool.h>
#include <stdio.h>

typedef struct sp_progress {
    const char* label; /* "verify", "export", "report"; not copied */
    int total;
    int done;
    bool quiet;
    bool tty;
    bool printed; /* a line or bar is on screen */
    double start;
    double last;
    FILE* out;
} sp_progress;

/* Starts counting `total` items; the bar goes to stderr when it is a terminal. */
void sp_progress_start(sp_progress* p, const char* label, int total, bool quiet);

/* `done` items are finished. On a terminal draws at the first item, then at most ten times a
 * second; otherwise a line every five seconds. */
void sp_progress_update(sp_progress* p, int done);

/* Takes the bar off a terminal's line, before other output goes to the terminal; the next
 * update draws it again. No-op elsewhere. */
void sp_progress_clear(sp_progress* p);

/* Ends the bar with its final state and a newline (terminal), or a last line when any was
 * printed. */
void sp_progress_finish(sp_progress* p);

#endif
