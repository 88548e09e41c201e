/* Progress bars and periodic lines on stderr (see sandpit/progress.h). */

#include "sandpit/progress.h"

#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define TTY_INTERVAL 0.1
#define LINE_INTERVAL 5.0

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void format_seconds(char* buf, size_t n, double s) {
    if (!(s >= 0.0)) s = 0.0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void sp_progress_start(sp_progress* p, const char* label, int total, bool quiet) {
    *p = (sp_progress){.label = label, .total = total, .quiet = quiet, .out = stderr};
    p->tty = !quiet && isatty(fileno(stderr));
    p->start = p->last = now();
}

static void draw(sp_progress* p, double t, bool final) {
    double elapsed = t - p->start;
    double left = p->done > 0 ? elapsed / p->done * (double)(p->total - p->done) : -1.0;
    char when[32];
    if (final)
        format_seconds(when, sizeof when, elapsed);
    else if (left >= 0.0)
        format_seconds(when, sizeof when, left);
    else
        snprintf(when, sizeof when, "?");
    int pct = p->total > 0 ? (int)(100.0 * p->done / p->total) : 100;
    if (p->tty) {
        char bar[BAR_WIDTH + 1];
        int fill = p->total > 0 ? BAR_WIDTH * p->done / p->total : BAR_WIDTH;
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        fprintf(p->out, "\r%s [%s] %d/%d %3d%% %s %s", p->label, bar, p->done, p->total, pct, when,
                final ? "elapsed\n" : "left   ");
    } else {
        fprintf(p->out, "%s: %d/%d (%d%%), %s %s\n", p->label, p->done, p->total, pct, when,
                final ? "elapsed" : "left");
    }
    fflush(p->out);
    p->printed = true;
    p->last = t;
}

void sp_progress_update(sp_progress* p, int done) {
    p->done = done;
    if (p->quiet) return;
    double t = now();
    /* A terminal shows the bar from the first item on; a log gets a line only once the work
     * has taken a while. */
    if (t - p->last >= (p->tty ? TTY_INTERVAL : LINE_INTERVAL) || (p->tty && !p->printed))
        draw(p, t, false);
}

void sp_progress_finish(sp_progress* p) {
    if (p->quiet || !(p->printed || p->tty)) return;
    draw(p, now(), true);
}

void sp_progress_clear(sp_progress* p) {
    if (!p->tty || !p->printed) return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->last = 0.0; /* redraw at the next update */
}
