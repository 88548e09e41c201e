/* Overlays drawn over a scene: the HUD, the timeline bar and a centred text box.
 *
 * Text is formatted into fixed stack buffers, so drawing a frame allocates nothing. */

#include <stdio.h>
#include <string.h>

#include "columns.h"
#include "sandpit/draw.h"

static const sp_rgb panel_color = {0, 0, 0};
static const sp_rgb text_color = {255, 255, 255};
static const sp_rgb ended_color = {255, 102, 102};
static const sp_rgb bar_color = {51, 51, 51};
static const sp_rgb played_color = {102, 102, 102};
static const sp_rgb guard_color = {255, 51, 51};
static const sp_rgb fault_color = {255, 204, 0};
static const sp_rgb machine_color = {51, 153, 255};
static const sp_rgb end_color = {204, 204, 204};
static const sp_rgb diverge_color = {255, 0, 255};
static const sp_rgb cursor_color = {255, 255, 255};

#define PAD 4

void sp_format_action(const sp_env_spec* spec, const sp_action* action, char* buf, int buf_sz) {
    if (buf_sz <= 0) return;
    buf[0] = '\0';
    if (!spec || !action) return;
    if (spec->action_kind == SP_ACTION_DISCRETE) {
        int i = action->index;
        const char* name =
            (spec->action_names && i >= 0 && i < spec->action_count) ? spec->action_names[i] : "?";
        snprintf(buf, (size_t)buf_sz, "%d %s", i, name);
        return;
    }
    int used = 0;
    for (int i = 0; i < spec->actuator_count && i < SP_MAX_ACTUATORS && used < buf_sz; i++) {
        int n = snprintf(buf + used, (size_t)(buf_sz - used), "%s%+.3f", i ? " " : "",
                         (double)action->value[i]);
        if (n < 0) break;
        used += n;
    }
}

static int text_lines(const char* text, int* widest) {
    int lines = 1, cur = 0;
    *widest = 0;
    for (const char* p = text; *p; p++) {
        if (*p == '\n') {
            lines++;
            cur = 0;
        } else if (++cur > *widest) {
            *widest = cur;
        }
    }
    return lines;
}

void sp_draw_hud(sp_image* img, const sp_hud* hud, int scale) {
    if (scale < 1) scale = 1;
    char status[96];
    if (hud->terminated || hud->truncated)
        snprintf(status, sizeof status, "%s %s", hud->terminated ? "TERMINATED" : "TRUNCATED",
                 hud->reason ? hud->reason : "");
    else
        snprintf(status, sizeof status, "running");
    char body[512];
    snprintf(body, sizeof body, "%s\nstep %d/%d  t %.2f s\nreward %.3f  return %.3f\naction %s%s%s",
             hud->title ? hud->title : "", hud->step, hud->step_count, hud->time, hud->reward,
             hud->episode_return, hud->action ? hud->action : "-", hud->note ? "\n" : "",
             hud->note ? hud->note : "");
    int widest_body, widest_status;
    int lines = text_lines(body, &widest_body) + text_lines(status, &widest_status);
    int widest = widest_body > widest_status ? widest_body : widest_status;
    for (int i = 0; i < hud->line_count; i++) {
        int w;
        lines += text_lines(hud->lines[i], &w);
        if (w > widest) widest = w;
    }
    int line_h = SP_FONT_CELL_H * scale;
    sp_draw_rect(img, 0, 0, widest * SP_FONT_CELL_W * scale + 2 * PAD, lines * line_h + 2 * PAD,
                 panel_color);
    int y = PAD + text_lines(body, &widest_body) * line_h;
    sp_draw_text(img, PAD, PAD, body, scale, text_color);
    sp_draw_text(img, PAD, y, status, scale,
                 (hud->terminated || hud->truncated) ? ended_color : text_color);
    y += text_lines(status, &widest_status) * line_h;
    for (int i = 0; i < hud->line_count; i++) {
        int w;
        sp_draw_text(img, PAD, y, hud->lines[i], scale,
                     hud->line_colors ? hud->line_colors[i] : text_color);
        y += text_lines(hud->lines[i], &w) * line_h;
    }
}

int sp_timeline_step_at(int x, int width, int step_count) {
    if (width <= 0 || step_count <= 0) return 0;
    if (x < 0) return 0;
    if (x >= width) return step_count;
    /* The inverse of step_columns: the last step whose first column is at or before x. */
    long n = (long)step_count + 1;
    long s = (((long)x + 1) * n - 1) / (long)width;
    return s > step_count ? step_count : (int)s;
}

void sp_draw_timeline(sp_image* img, const sp_timeline* tl) {
    int w = img->width, h = img->height;
    sp_draw_clear(img, bar_color);
    if (w <= 0 || h <= 0) return;
    int x0, x1;
    sp_step_columns(tl->current, w, tl->step_count, &x0, &x1);
    sp_draw_rect(img, 0, h / 3, x0, h - 2 * (h / 3), played_color);
    /* Guardrails on the top third, faults in the middle, machine events at the bottom, so
     * co-occurring marks stay readable. */
    if (tl->marks) {
        int third = h / 3 > 0 ? h / 3 : 1;
        for (int s = 0; s <= tl->step_count; s++) {
            uint8_t m = tl->marks[s];
            if (!m) continue;
            sp_step_columns(s, w, tl->step_count, &x0, &x1);
            if (m & SP_MARK_GUARD) sp_draw_rect(img, x0, 0, x1 - x0, third, guard_color);
            if (m & SP_MARK_FAULT)
                sp_draw_rect(img, x0, third, x1 - x0, third,
                             tl->band && tl->band[s] ? sp_draw_fault_color(tl->band[s] - 1)
                                                     : fault_color);
            if (m & SP_MARK_MACHINE)
                sp_draw_rect(img, x0, 2 * third, x1 - x0, h - 2 * third, machine_color);
            if (m & SP_MARK_END) sp_draw_rect(img, x0, 0, x1 - x0, h, end_color);
        }
    }
    if (tl->diverge_step >= 0 && tl->diverge_step <= tl->step_count) {
        sp_step_columns(tl->diverge_step, w, tl->step_count, &x0, &x1);
        sp_draw_rect(img, x0 - 1, 0, (x1 - x0) + 2, h, diverge_color);
    }
    sp_step_columns(tl->current, w, tl->step_count, &x0, &x1);
    sp_draw_rect(img, x0 - 1, 0, (x1 - x0) + 2, h, cursor_color);
}

void sp_draw_text_box(sp_image* img, const char* text, int scale) {
    if (scale < 1) scale = 1;
    int widest;
    int lines = text_lines(text, &widest);
    int w = widest * SP_FONT_CELL_W * scale + 4 * PAD;
    int h = lines * SP_FONT_CELL_H * scale + 4 * PAD;
    int x = (img->width - w) / 2, y = (img->height - h) / 2;
    sp_draw_rect(img, x, y, w, h, text_color);
    sp_draw_rect(img, x + 1, y + 1, w - 2, h - 2, panel_color);
    sp_draw_text(img, x + 2 * PAD, y + 2 * PAD, text, scale, text_color);
}
