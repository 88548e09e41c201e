#ifndef SANDPIT_VIEWER_VIEW_H
#define SANDPIT_VIEWER_VIEW_H

/* The viewer's state and behaviour, apart from SDL's window plumbing (main.c) and scripted
 * input (script.c): which step is shown, play and speed, seeking, and drawing a whole window
 * frame into an RGB8 buffer with sp_draw. */

#include <SDL.h>
#include <stdbool.h>

#include "sandpit/playback.h"

#define VIEW_MAX_FILES 2
#define VIEW_TIMELINE_H 24
#define VIEW_CHARTS 3 /* charts shown at once; `c` pages through the chosen channels */

typedef struct view {
    sp_playback* pb[VIEW_MAX_FILES];
    const char* names[VIEW_MAX_FILES]; /* file names, for the HUD */
    int count;
    int step;       /* shared by both panels; each clamps it to its own length */
    int last_step;  /* the longest file's step count */
    int difference; /* first step whose recorded hashes differ between the files, or -1 */
    bool playing;
    int speed_index; /* into the speed table: 1/8x .. 16x real time */
    double carry;    /* fractional steps owed to playback */
    bool help;
    bool dragging;
    bool drag_on_charts; /* the drag started on a chart: it keeps their step mapping */
    bool quit;
    bool dirty;                         /* the buffer needs redrawing */
    bool plots;                         /* the chart panel under the scenes */
    int channels[SP_PLOT_MAX_CHANNELS]; /* chosen channels of the first file */
    int channel_count;
    int channel_first; /* the first of the VIEW_CHARTS shown */
    int width, height;
    sp_image img; /* the whole window, made once */
} view;

/* Sets up the view over loaded playbacks; `pixels` holds width * height * 3 bytes. Charts
 * show the first file's default channels. */
void view_init(view* v, sp_playback** pbs, const char** names, int count, uint8_t* pixels,
               int width, int height);

/* Chooses the channels the charts cycle through ("hull.*,reward"); returns 0, or -1 with a
 * message naming a channel the first file does not have. */
int view_set_channels(view* v, const char* list, char* err, size_t err_sz);

/* Applies one SDL event (key, mouse, quit). */
void view_handle_event(view* v, const SDL_Event* e);

/* Advances playback by `seconds` of wall time when playing. */
void view_tick(view* v, double seconds);

/* Draws the whole window into v->img when dirty; returns whether it drew. */
bool view_render(view* v);

/* Shows step `step`, clamped. */
void view_seek(view* v, int step);

/* The window point at the middle of step `step` (clamped to the first file's steps) on the
 * first timeline (for scripted clicks). */
void view_timeline_point(const view* v, int step, int* x, int* y);

/* The window point at step `step` (clamped) on the first chart, or false with plots off. */
bool view_chart_point(const view* v, int step, int* x, int* y);

/* "step 100/500 paused 1x charts hull.x,hull.y,reward": what --script's print writes. */
void view_describe(const view* v, char* buf, int buf_sz);

#endif
