/* Whole-episode pictures for `replay plot` and `replay report`: the chart panel as a PNG and
 * the episode as a GIF, each with one buffer made up front. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sandpit/error.h"
#include "sandpit/export.h"
#include "sandpit/playback.h"

int sp_export_plot_png(const sp_playback* pb, const sp_plot_def* def, int width, int height,
                       const char* path, char* err, size_t err_sz) {
    uint8_t* pixels = malloc((size_t)width * (size_t)height * 3u);
    sp_png_encoder* png = sp_png_encoder_create(width, height);
    int rc = SP_E_NO_MEMORY;
    snprintf(err, err_sz, "out of memory");
    if (pixels && png) {
        sp_image img = sp_image_wrap(pixels, width, height, width * 3);
        sp_draw_clear(&img, (sp_rgb){0, 0, 0});
        sp_playback_plot(pb, def, &img);
        rc = sp_png_write(png, &img, path, err, err_sz);
    }
    sp_png_encoder_destroy(png);
    free(pixels);
    return rc;
}

int sp_export_gif(sp_playback* pb, int width, int height, int max_frames, const char* path,
                  char* err, size_t err_sz) {
    int n = sp_playback_step_count(pb);
    int every = max_frames > 1 ? (n + max_frames - 1) / (max_frames - 1) : n + 1;
    if (every < 1) every = 1;
    const sp_replay_header* h = sp_playback_header(pb);
    /* Hundredths of a second per frame; browsers slow anything under 2 to 10. */
    int delay = (int)lround(100.0 * h->dt * (double)h->frame_skip * every);
    if (delay < 2) delay = 2;
    uint8_t* pixels = malloc((size_t)width * (size_t)height * 3u);
    if (!pixels) {
        snprintf(err, err_sz, "out of memory");
        return SP_E_NO_MEMORY;
    }
    sp_gif_writer* gif = sp_gif_open(path, width, height, delay, err, err_sz);
    if (!gif) {
        free(pixels);
        return SP_E_IO;
    }
    sp_image img = sp_image_wrap(pixels, width, height, width * 3);
    sp_playback_draw_opts opts = sp_default_playback_draw_opts();
    int rc = 0;
    for (int step = 0; step <= n && rc == 0; step++) {
        if (step % every != 0 && step != n) continue;
        sp_playback_draw(pb, step, &img, &opts);
        rc = sp_gif_add_frame(gif, &img);
    }
    if (sp_gif_close(gif) != 0 && rc == 0) rc = SP_E_IO;
    if (rc != 0) snprintf(err, err_sz, "%s: write failed", path);
    free(pixels);
    return rc;
}
