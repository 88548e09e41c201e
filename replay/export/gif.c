/* Animated GIF89a writer over giflib (Debian's libgif): one global 256-colour palette (the
 * 6x6x6 cube every scene colour is drawn from, then black), a NETSCAPE2.0 loop extension, and
 * frames that giflib LZW-compresses.
 *
 * A fixed palette means no per-frame quantization: encoding is a table lookup per pixel, the
 * same frame always gives the same bytes (giflib's encoder depends on its input alone), and
 * the scene's colours survive exactly. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "sandpit/error.h"
#include "sandpit/export.h"

struct sp_gif_writer {
    FILE* f;
    GifFileType* gif;
    int width, height;
    int delay_cs;
    int failed;
    uint8_t* indices; /* width * height palette indices of the frame being encoded */
};

static int level(uint8_t v) {
    return (v * 5 + 127) / 255; /* nearest of 0, 51, ..., 255 */
}

uint8_t sp_gif_palette_index(sp_rgb c) {
    return (uint8_t)(36 * level(c.r) + 6 * level(c.g) + level(c.b));
}

/* giflib's output callback: our FILE, so a failed write is counted rather than lost. */
static int write_out(GifFileType* gif, const GifByteType* p, int n) {
    sp_gif_writer* g = gif->UserData;
    if (fwrite(p, 1, (size_t)n, g->f) != (size_t)n) {
        g->failed = 1;
        return 0;
    }
    return n;
}

static void check(sp_gif_writer* g, int rc) {
    if (rc != GIF_OK) g->failed = 1;
}

sp_gif_writer* sp_gif_open(const char* path, int width, int height, int delay_cs, char* err,
                           size_t err_sz) {
    if (width <= 0 || height <= 0 || width > 65535 || height > 65535) {
        snprintf(err, err_sz, "%s: GIF frames must be 1..65535 pixels a side", path);
        return NULL;
    }
    sp_gif_writer* g = calloc(1, sizeof *g);
    if (g) g->indices = malloc((size_t)width * (size_t)height);
    if (!g || !g->indices) {
        if (g) free(g->indices);
        free(g);
        snprintf(err, err_sz, "%s: out of memory", path);
        return NULL;
    }
    g->f = fopen(path, "wb");
    if (!g->f) {
        snprintf(err, err_sz, "%s: %s", path, strerror(errno));
        free(g->indices);
        free(g);
        return NULL;
    }
    g->width = width;
    g->height = height;
    g->delay_cs = delay_cs < 0 ? 0 : (delay_cs > 65535 ? 65535 : delay_cs);

    int gif_err = 0;
    g->gif = EGifOpen(g, write_out, &gif_err);
    if (!g->gif) {
        snprintf(err, err_sz, "%s: giflib: %s", path, GifErrorString(gif_err));
        fclose(g->f);
        free(g->indices);
        free(g);
        return NULL;
    }
    EGifSetGifVersion(g->gif, true);
    GifColorType colors[256] = {{0, 0, 0}};
    for (int i = 0; i < 216; i++) {
        colors[i].Red = (GifByteType)(51 * (i / 36));
        colors[i].Green = (GifByteType)(51 * (i / 6 % 6));
        colors[i].Blue = (GifByteType)(51 * (i % 6));
    }
    ColorMapObject* map = GifMakeMapObject(256, colors);
    if (!map) g->failed = 1;
    /* 8 bits of colour resolution, background 0, the global palette. */
    if (map) check(g, EGifPutScreenDesc(g->gif, width, height, 8, 0, map));
    GifFreeMapObject(map);
    /* Loop forever: application extension NETSCAPE2.0, sub-block 1, loop count 0. */
    static const uint8_t loop[3] = {0x01, 0x00, 0x00};
    check(g, EGifPutExtensionLeader(g->gif, APPLICATION_EXT_FUNC_CODE));
    check(g, EGifPutExtensionBlock(g->gif, 11, "NETSCAPE2.0"));
    check(g, EGifPutExtensionBlock(g->gif, sizeof loop, loop));
    check(g, EGifPutExtensionTrailer(g->gif));
    return g;
}

int sp_gif_add_frame(sp_gif_writer* g, const sp_image* img) {
    if (!g || !img || img->width != g->width || img->height != g->height) return SP_E_BAD_ARGUMENT;
    for (int y = 0; y < g->height; y++) {
        const uint8_t* src = img->pixels + (size_t)y * (size_t)img->stride;
        uint8_t* dst = g->indices + (size_t)y * (size_t)g->width;
        for (int x = 0; x < g->width; x++, src += 3) {
            sp_rgb c = {src[0], src[1], src[2]};
            dst[x] = sp_gif_palette_index(c);
        }
    }
    /* Graphic control: no transparency, disposal 1 (leave in place), the frame delay. */
    uint8_t gce[4] = {0x04, (uint8_t)(g->delay_cs & 0xFF), (uint8_t)(g->delay_cs >> 8), 0x00};
    check(g, EGifPutExtension(g->gif, GRAPHICS_EXT_FUNC_CODE, sizeof gce, gce));
    check(g, EGifPutImageDesc(g->gif, 0, 0, g->width, g->height, false, NULL));
    for (int y = 0; y < g->height && !g->failed; y++)
        check(g, EGifPutLine(g->gif, g->indices + (size_t)y * (size_t)g->width, g->width));
    return g->failed ? SP_E_IO : 0;
}

int sp_gif_close(sp_gif_writer* g) {
    if (!g) return 0;
    int gif_err = 0;
    /* Writes the trailer and frees giflib's state; the FILE is ours to close. */
    if (EGifCloseFile(g->gif, &gif_err) != GIF_OK) g->failed = 1;
    if (fclose(g->f) != 0) g->failed = 1;
    int failed = g->failed;
    free(g->indices);
    free(g);
    return failed ? SP_E_IO : 0;
}
