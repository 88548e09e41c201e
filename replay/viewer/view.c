/* Viewer state: stepping, playing, seeking, and drawing the window frame (see view.h).
 *
 * Seeking is instant whatever the step, because playback re-simulated the whole episode at
 * load and showing a step only poses the bodies. */

#include "view.h"

#include <stdio.h>

static const double speeds[] = {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0};
#define SPEED_COUNT ((int)(sizeof speeds / sizeof speeds[0]))
#define DEFAULT_SPEED 3

static const char help_text[] = "space       play / pause\n"
                                "left right  one step (shift: 10)\n"
                                "[ ]         slower / faster\n"
                                "Home End    first / last step\n"
                                "click, drag the bar to seek\n"
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
    v->width = width;
    v->height = height;
    v->img = sp_image_wrap(pixels, width, height, width * 3);
    v->dirty = true;
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

void view_timeline_point(const view* v, int step, int* x, int* y) {
    int px, pw;
    panel_rect(v, 0, &px, &pw);
    long n = (long)sp_playback_step_count(v->pb[0]) + 1;
    /* The middle of the step's columns, the inverse of sp_timeline_step_at. */
    *x = px + (int)(((long)step * 2 + 1) * pw / (2 * n));
    *y = timeline_top(v) + VIEW_TIMELINE_H / 2;
}

/* Seeks to the step under window point (x, y) if it is on a timeline; returns whether. */
static bool seek_at(view* v, int x, int y, bool require_bar) {
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
    snprintf(buf, (size_t)buf_sz, "step %d/%d %s %s", v->step, v->last_step,
             v->playing ? "playing" : "paused", speed);
}

bool view_render(view* v) {
    if (!v->dirty) return false;
    char speed[16], note[160];
    format_speed(v, speed, sizeof speed);
    for (int i = 0; i < v->count; i++) {
        int px, pw;
        panel_rect(v, i, &px, &pw);
        sp_image scene = sp_image_sub(&v->img, px, 0, pw, timeline_top(v));
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
        if (i > 0) sp_draw_rect(&v->img, px, 0, 2, v->height, (sp_rgb){255, 255, 255});
        sp_timeline tl = {
            .step_count = n,
            .current = v->step > n ? n : v->step,
            .marks = sp_playback_marks(v->pb[i]),
            .diverge_step = v->count == 2 ? v->difference : div,
        };
        sp_draw_timeline(&bar, &tl);
    }
    if (v->help) sp_draw_text_box(&v->img, help_text, v->height >= 400 ? 2 : 1);
    v->dirty = false;
    return true;
}
