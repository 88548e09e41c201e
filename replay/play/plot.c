/* Charts of a playback's channels (see sp_playback_plot in playback.h): the one chart panel
 * of the viewer and of `sandpit replay plot`, drawn by sp_draw_chart. */

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "sandpit/guard.h"
#include "sandpit/playback.h"

/* The first episode in blue over light grey, the second in orange over sand: what the agent
 * saw (or sent) is always the brighter line, drawn on top. */
static const sp_rgb primary_colors[2] = {{51, 204, 255}, {255, 102, 51}};
static const sp_rgb secondary_colors[2] = {{204, 204, 204}, {255, 204, 153}};

static const char* guard_label(const void* user, int step) {
    uint32_t reasons = sp_playback_step_at(user, step)->guard_reasons;
    for (int r = 1; r < 32; r++)
        if (reasons >> r & 1u) return sp_guard_reason_name(r);
    return NULL;
}

/* "seen 0.12 true 0.1" at `step`: the legend doubles as a readout at the cursor. */
static int readout(char* buf, size_t n, const sp_playback_channel* ch, int step, const char* who) {
    int used = snprintf(buf, n, "%s", who);
    if (ch->secondary)
        used += snprintf(buf + used, n - (size_t)used, "%s%s %.4g %s %.4g", who[0] ? " " : "",
                         ch->primary_name, (double)ch->primary[step], ch->secondary_name,
                         (double)ch->secondary[step]);
    else
        used += snprintf(buf + used, n - (size_t)used, "%s%.4g", who[0] ? " " : "",
                         (double)ch->primary[step]);
    return used;
}

static void add_series(sp_chart* c, const float* v, int count, sp_rgb color, const uint8_t* valid) {
    if (!v || c->series_count == SP_CHART_MAX_SERIES) return;
    c->series[c->series_count++] = (sp_chart_series){v, count, color, valid};
}

void sp_playback_plot(const sp_playback* pb, const sp_plot_def* def, sp_image* img) {
    int n = def->channel_count;
    if (n <= 0 || img->height <= 0) return;
    int steps[2] = {sp_playback_step_count(pb),
                    def->other ? sp_playback_step_count(def->other) : 0};
    int span = steps[0] > steps[1] ? steps[0] : steps[1];
    for (int i = 0; i < n; i++) {
        int y0 = img->height * i / n, y1 = img->height * (i + 1) / n;
        sp_image sub = sp_image_sub(img, 0, y0, img->width, y1 - y0);
        const sp_playback_channel* chs[2] = {sp_playback_channel_at(pb, def->channels[i]), NULL};
        if (!chs[0]) continue;
        if (def->other) {
            int j = sp_playback_channel_find(def->other, chs[0]->name);
            chs[1] = j >= 0 ? sp_playback_channel_at(def->other, j) : NULL;
        }
        char title[224];
        bool unit = chs[0]->unit && strcmp(chs[0]->unit, "1") != 0;
        int used = snprintf(title, sizeof title, "%s%s%s%s  ", chs[0]->name, unit ? " (" : "",
                            unit ? chs[0]->unit : "", unit ? ")" : "");
        sp_chart c = {.title = title,
                      .step_count = span,
                      .current = def->current,
                      .diverge_step = def->diverge_step,
                      .band = chs[0]->band,
                      .marks = sp_playback_marks(pb),
                      .mark_steps = steps[0],
                      .mark_label = guard_label,
                      .label_user = pb};
        for (int e = 0; e < 2; e++) {
            if (!chs[e]) continue;
            int at = def->current < 0 ? 0 : (def->current > steps[e] ? steps[e] : def->current);
            if (def->current >= 0 && used < (int)sizeof title)
                used += readout(title + used, sizeof title - (size_t)used, chs[e], at,
                                def->other ? (e ? " | B" : "A") : "");
            add_series(&c, chs[e]->secondary, steps[e], secondary_colors[e], NULL);
        }
        for (int e = 0; e < 2; e++)
            if (chs[e]) add_series(&c, chs[e]->primary, steps[e], primary_colors[e], chs[e]->valid);
        sp_draw_chart(&sub, &c);
    }
}

int sp_playback_select_channels(const sp_playback* pb, const char* list, int* out, int max,
                                char* err, size_t err_sz) {
    int count = 0;
    const char* p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        char word[96];
        if (len == 0 || len >= sizeof word) {
            snprintf(err, err_sz, "bad channel list '%s'", list);
            return -1;
        }
        memcpy(word, p, len);
        word[len] = '\0';
        bool matched = false;
        for (int c = 0; c < sp_playback_channel_count(pb); c++) {
            if (fnmatch(word, sp_playback_channel_at(pb, c)->name, 0) != 0) continue;
            matched = true;
            bool seen = false;
            for (int k = 0; k < count; k++)
                seen |= out[k] == c;
            if (!seen && count < max) out[count++] = c;
        }
        if (!matched) {
            snprintf(err, err_sz,
                     "no channel '%s' in %s (channels: sensors, actions, reward, "
                     "return, cost; see sandpit envs)",
                     word, sp_playback_spec(pb)->id);
            return -1;
        }
        p += len;
        if (*p == ',') p++;
    }
    if (count == 0) snprintf(err, err_sz, "empty channel list");
    return count ? count : -1;
}

int sp_playback_default_channels(const sp_playback* pb, int* out, int max) {
    int count = 0;
    int total = sp_playback_channel_count(pb);
    for (int c = 0; c < total && count < max; c++) {
        const sp_playback_channel* ch = sp_playback_channel_at(pb, c);
        bool take = (ch->kind == SP_CHANNEL_SENSOR && ch->index < 2) ||
                    (ch->kind == SP_CHANNEL_ACTION && ch->index == 0) ||
                    ch->kind == SP_CHANNEL_REWARD || ch->kind == SP_CHANNEL_COST;
        if (take) out[count++] = c;
    }
    return count;
}
