/* Viewer state: stepping, playing, seeking, and drawing the window frame (see view.h).
 *
 * Seeking is instant whatever the step, because playback re-simulated the whole episode at
 * load and showing a step only poses the bodies. */

#include "view.h"

#include <stdio.h>
#include <string.h>

static const double speeds[] = {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0};
#define SPEED_COUNT ((int)(sizeof speeds / sizeof speeds[0]))
#define DEFAULT_SPEED 3

static const char help_text[] = "space       play / pause\n"
                                "left right  one step (shift: 10)\n"
                                "[ ]         slower / faster\n"
                                "Home End    first / last step\n"
                                "click, drag the bar to seek\n"
                                "click a chart to seek\n"
                                "p           charts on / off\n"
                                "c C         next / previous charts\n"
                                "h           this help\n"
                                "q Esc       quit";

void view_init(view* v, sp_playback** pbs, const char** names, int count, uint8_t* pixels,
               int width, int height) {
    *v = (view){0};
    v->count = count;
    for (int i = 0; i < count; i++) {
        v->pb[i] = pbs[i];
        v->names[i] = names[i];
        int n = sp_playback_step_count(pbs[i]);
        if (n > v->last_step) v->last_step = n;
    }
    v->difference = count == 2 ? sp_playback_first_difference(pbs[0], pbs[1]) : -1;
    v->speed_index = DEFAULT_SPEED;
    v->plots = true;
    v->channel_count = sp_playback_default_channels(pbs[0], v->channels, SP_PLOT_MAX_CHANNELS);
    v->width = width;
    v->height = height;
    v->img = sp_image_wrap(pixels, width, height, width * 3);
    v->dirty = true;
}

int view_set_channels(view* v, const char* list, char* err, size_t err_sz) {
    int n =
        sp_playback_select_channels(v->pb[0], list, v->channels, SP_PLOT_MAX_CHANNELS, err, err_sz);
    if (n <= 0) return -1;
    v->channel_count = n;
    v->channel_first = 0;
    v->dirty = true;
    return 0;
}

void view_seek(view* v, int step) {
    if (step < 0) step = 0;
    if (step > v->last_step) step = v->last_step;
    if (step != v->step) v->dirty = true;
    v->step = step;
    v->carry = 0.0;
}

/* Panel i's rectangle: the window split into equal columns, the timeline at the bottom. */
static void panel_rect(const view* v, int i, int* x, int* w) {
    *w = v->width / v->count;
    *x = i * *w;
}

static int timeline_top(const view* v) {
    return v->height - VIEW_TIMELINE_H;
}

/* The chart panel: the lower two fifths above the timelines, the whole window's width. */
static int plot_height(const view* v) {
    return v->plots && v->channel_count > 0 ? (v->height - VIEW_TIMELINE_H) * 2 / 5 : 0;
}

static int scene_height(const view* v) {
    return timeline_top(v) - plot_height(v);
}

void view_timeline_point(const view* v, int step, int* x, int* y) {
    int px, pw;
    panel_rect(v, 0, &px, &pw);
    int last = sp_playback_step_count(v->pb[0]);
    /* Past either end goes to that end, as the bar itself would. */
    step = step < 0 ? 0 : (step > last ? last : step);
    long n = (long)last + 1;
    /* The middle of the step's columns, the inverse of sp_timeline_step_at. */
    *x = px + (int)(((long)step * 2 + 1) * pw / (2 * n));
    *y = timeline_top(v) + VIEW_TIMELINE_H / 2;
}

bool view_chart_point(const view* v, int step, int* x, int* y) {
    if (!plot_height(v)) return false;
    step = step < 0 ? 0 : (step > v->last_step ? v->last_step : step);
    long n = (long)v->last_step + 1;
    *x = (int)(((long)step * 2 + 1) * v->width / (2 * n));
    *y = scene_height(v) + plot_height(v) / (2 * VIEW_CHARTS);
    return true;
}

static bool on_charts(const view* v, int y) {
    return y >= scene_height(v) && y < timeline_top(v);
}

/* Seeks to the step under window point (x, y) if it is on a timeline or a chart (which spans
 * the window and the longest file); returns whether. */
static bool seek_at(view* v, int x, int y, bool require_bar) {
    bool charts = require_bar ? on_charts(v, y) : v->drag_on_charts;
    if (charts && x >= 0 && x < v->width) {
        view_seek(v, sp_timeline_step_at(x, v->width, v->last_step));
        v->drag_on_charts = true;
        return true;
    }
    if (require_bar) v->drag_on_charts = false;
    if (require_bar && y < timeline_top(v)) return false;
    for (int i = 0; i < v->count; i++) {
        int px, pw;
        panel_rect(v, i, &px, &pw);
        if (x < px || x >= px + pw) continue;
        view_seek(v, sp_timeline_step_at(x - px, pw, sp_playback_step_count(v->pb[i])));
        return true;
    }
    return false;
}

static void toggle_play(view* v) {
    /* Play from the end starts over, as media players do. */
    if (!v->playing && v->step >= v->last_step) view_seek(v, 0);
    v->playing = !v->playing;
    v->carry = 0.0;
    v->dirty = true;
}

static void handle_key(view* v, const SDL_KeyboardEvent* k) {
    int stride = (k->keysym.mod & KMOD_SHIFT) ? 10 : 1;
    switch (k->keysym.sym) {
    case SDLK_SPACE:
        toggle_play(v);
        break;
    case SDLK_RIGHT:
        v->playing = false;
        view_seek(v, v->step + stride);
        v->dirty = true;
        break;
    case SDLK_LEFT:
        v->playing = false;
        view_seek(v, v->step - stride);
        v->dirty = true;
        break;
    case SDLK_HOME:
        view_seek(v, 0);
        break;
    case SDLK_END:
        view_seek(v, v->last_step);
        break;
    case SDLK_LEFTBRACKET:
        if (v->speed_index > 0) v->speed_index--;
        v->dirty = true;
        break;
    case SDLK_RIGHTBRACKET:
        if (v->speed_index < SPEED_COUNT - 1) v->speed_index++;
        v->dirty = true;
        break;
    case SDLK_h:
        v->help = !v->help;
        v->dirty = true;
        break;
    case SDLK_p:
        v->plots = !v->plots;
        v->dirty = true;
        break;
    case SDLK_c:
        /* Pages of VIEW_CHARTS, wrapping; shift goes back. */
        if (v->channel_count > VIEW_CHARTS) {
            int pages = (v->channel_count + VIEW_CHARTS - 1) / VIEW_CHARTS;
            int page = v->channel_first / VIEW_CHARTS + ((k->keysym.mod & KMOD_SHIFT) ? -1 : 1);
            v->channel_first = ((page % pages + pages) % pages) * VIEW_CHARTS;
        }
        v->dirty = true;
        break;
    case SDLK_q:
    case SDLK_ESCAPE:
        v->quit = true;
        break;
    default:
        break;
    }
}

void view_handle_event(view* v, const SDL_Event* e) {
    switch (e->type) {
    case SDL_QUIT:
        v->quit = true;
        break;
    case SDL_KEYDOWN:
        handle_key(v, &e->key);
        break;
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button == SDL_BUTTON_LEFT && seek_at(v, e->button.x, e->button.y, true))
            v->dragging = true;
        break;
    case SDL_MOUSEMOTION:
        /* Dragging keeps seeking even when the pointer strays off the bar vertically. */
        if (v->dragging) seek_at(v, e->motion.x, e->motion.y, false);
        break;
    case SDL_MOUSEBUTTONUP:
        if (e->button.button == SDL_BUTTON_LEFT) v->dragging = false;
        break;
    case SDL_WINDOWEVENT:
        v->dirty = true;
        break;
    default:
        break;
    }
}

void view_tick(view* v, double seconds) {
    if (!v->playing) return;
    const sp_replay_header* h = sp_playback_header(v->pb[0]);
    double step_seconds = h->dt * (double)h->frame_skip;
    v->carry += seconds * speeds[v->speed_index] / step_seconds;
    int advance = (int)v->carry;
    if (advance <= 0) return;
    double carry = v->carry - (double)advance;
    view_seek(v, v->step + advance);
    v->carry = carry;
    if (v->step >= v->last_step) {
        v->playing = false;
        v->dirty = true;
    }
}

static void format_speed(const view* v, char* buf, size_t sz) {
    double s = speeds[v->speed_index];
    if (s >= 1.0)
        snprintf(buf, sz, "%gx", s);
    else
        snprintf(buf, sz, "1/%gx", 1.0 / s);
}

void view_describe(const view* v, char* buf, int buf_sz) {
    char speed[16];
    format_speed(v, speed, sizeof speed);
    int used = snprintf(buf, (size_t)buf_sz, "step %d/%d %s %s charts", v->step, v->last_step,
                        v->playing ? "playing" : "paused", speed);
    int shown = 0;
    for (int i = v->channel_first; i < v->channel_count && shown < VIEW_CHARTS && v->plots; i++) {
        const char* name = sp_playback_channel_at(v->pb[0], v->channels[i])->name;
        if (used > 0 && used < buf_sz)
            used += snprintf(buf + used, (size_t)(buf_sz - used), "%s%s", shown ? "," : " ", name);
        shown++;
    }
    if (!shown && used > 0 && used < buf_sz) snprintf(buf + used, (size_t)(buf_sz - used), " off");
}

static void render_charts(view* v) {
    int h = plot_height(v);
    if (!h) return;
    sp_image panel = sp_image_sub(&v->img, 0, scene_height(v), v->width, h);
    int shown = v->channel_count - v->channel_first;
    if (shown > VIEW_CHARTS) shown = VIEW_CHARTS;
    int diverge = v->count == 2 ? v->difference : sp_playback_divergence(v->pb[0]);
    sp_plot_def def = {v->channels + v->channel_first, shown, v->step,
                       v->count == 2 ? v->pb[1] : NULL, diverge};
    /* Always VIEW_CHARTS rows, so a chart keeps its height on a short last page. */
    sp_image rows = sp_image_sub(&panel, 0, 0, v->width, h * shown / VIEW_CHARTS);
    sp_draw_clear(&panel, (sp_rgb){0, 0, 0});
    sp_playback_plot(v->pb[0], &def, &rows);
}

bool view_render(view* v) {
    if (!v->dirty) return false;
    char speed[16], note[160];
    format_speed(v, speed, sizeof speed);
    for (int i = 0; i < v->count; i++) {
        int px, pw;
        panel_rect(v, i, &px, &pw);
        sp_image scene = sp_image_sub(&v->img, px, 0, pw, scene_height(v));
        sp_image bar = sp_image_sub(&v->img, px, timeline_top(v), pw, VIEW_TIMELINE_H);
        int n = sp_playback_step_count(v->pb[i]);
        int div = sp_playback_divergence(v->pb[i]);
        if (v->count == 2 && v->difference >= 0)
            snprintf(note, sizeof note, "%s %s | files differ from step %d",
                     v->playing ? "playing" : "paused", speed, v->difference);
        else if (div >= 0)
            snprintf(note, sizeof note, "%s %s | replay diverges at step %d",
                     v->playing ? "playing" : "paused", speed, div);
        else
            snprintf(note, sizeof note, "%s %s | h: help", v->playing ? "playing" : "paused",
                     speed);
        char title[192];
        snprintf(title, sizeof title, "%s  %s", sp_playback_spec(v->pb[i])->id, v->names[i]);
        sp_playback_draw_opts opts = sp_default_playback_draw_opts();
        opts.title = title;
        opts.note = note;
        sp_playback_draw(v->pb[i], v->step, &scene, &opts);
        /* A dividing line, so two panels never read as one scene. */
        if (i > 0) sp_draw_rect(&v->img, px, 0, 2, scene_height(v), (sp_rgb){255, 255, 255});
        sp_timeline tl = {
            .step_count = n,
            .current = v->step > n ? n : v->step,
            .marks = sp_playback_marks(v->pb[i]),
            .diverge_step = v->count == 2 ? v->difference : div,
            .band = sp_playback_fault_band(v->pb[i]),
        };
        sp_draw_timeline(&bar, &tl);
        if (i > 0)
            sp_draw_rect(&v->img, px, timeline_top(v), 2, VIEW_TIMELINE_H, (sp_rgb){255, 255, 255});
    }
    render_charts(v);
    if (v->help) sp_draw_text_box(&v->img, help_text, v->height >= 400 ? 2 : 1);
    v->dirty = false;
    return true;
}
