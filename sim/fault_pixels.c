/* Pixel faults: rewrite the frame the agent sees (pixel observations), in list order, after
 * the sensor faults. They are staged faults (faults.c): their schedules and draws advance in
 * on_action whether or not a frame is drawn, so a replay, which draws nothing, reproduces
 * their state hash for hash; only the pixels themselves are made here. */

#include <stdlib.h>
#include <string.h>

#include "fault_internal.h"
#include "sandpit/error.h"

size_t sp_faults_frame_cost(const sp_fault_def* list, int count, size_t frame_bytes) {
    size_t frames = 0;
    for (int i = 0; i < count; i++)
        if (list[i].kind == SP_FAULT_FRAME_DELAY && list[i].steps >= 0 &&
            list[i].steps <= SP_FAULT_MAX_FRAME_DELAY)
            frames += (size_t)list[i].steps + 1;
    return frames * frame_bytes;
}

int sp_fault_pixels_begin(sp_faults* fs, const sp_frame* frame) {
    if (!frame || fs->npixels == 0) return SP_OK;
    size_t bytes = (size_t)frame->width * (size_t)frame->height * (size_t)frame->channels;
    size_t need = 0;
    for (int k = 0; k < fs->npixels; k++) {
        const fault* f = &fs->faults[fs->pixels[k]];
        if (f->def.kind == SP_FAULT_FRAME_DELAY) need += (size_t)f->slots * bytes;
    }
    if (need > fs->frames_cap) {
        /* At a reset, never in a step: the ring's size follows the list and the frame. */
        uint8_t* p = realloc(fs->frames, need);
        if (!p) return SP_E_NO_MEMORY;
        fs->frames = p;
        fs->frames_cap = need;
    }
    size_t at = 0;
    for (int k = 0; k < fs->npixels; k++) {
        fault* f = &fs->faults[fs->pixels[k]];
        if (f->def.kind != SP_FAULT_FRAME_DELAY) continue;
        f->frames = fs->frames + at;
        at += (size_t)f->slots * bytes;
    }
    return SP_OK;
}

/* Adds sigma * N(0, 1) to every byte, rounded and clipped to 0..255. The per-pixel draws come
 * from a generator seeded by the fault's one draw of this step (s->draw), so the fault's own
 * stream advances by one value per active step whatever the frame's size. */
static void add_noise(uint8_t* px, size_t n, double sigma, uint64_t draw) {
    sp_rng r;
    for (int i = 0; i < 4; i++)
        r.s[i] = sp_mix64(draw + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull);
    for (size_t i = 0; i < n; i++) {
        double v = (double)px[i] + sigma * sp_fault_normal_ready(&r);
        px[i] = v <= 0.0 ? 0 : v >= 255.0 ? 255 : (uint8_t)(v + 0.5);
    }
}

static void occlude(sp_frame* fr, double size, double bx, double by) {
    int w = (int)(size * fr->width + 0.5), h = (int)(size * fr->height + 0.5);
    if (w < 1) w = 1;
    if (h < 1) h = 1;
    int x0 = (int)(bx * (double)(fr->width - w + 1));
    int y0 = (int)(by * (double)(fr->height - h + 1));
    size_t row = (size_t)fr->width * (size_t)fr->channels;
    for (int y = y0; y < y0 + h; y++)
        memset(fr->pixels + (size_t)y * row + (size_t)x0 * (size_t)fr->channels, 0,
               (size_t)w * (size_t)fr->channels);
}

void sp_fault_pixels_apply(sp_faults* fs, fault* f, sp_frame* fr, int t) {
    (void)fs;
    const fault_state* s = FAULT_NEXT(f); /* staged: the state of step t, committed later */
    const sp_fault_def* d = &f->def;
    size_t bytes = (size_t)fr->width * (size_t)fr->height * (size_t)fr->channels;
    switch (d->kind) {
    case SP_FAULT_FRAME_DELAY: {
        /* As the sensor delay: every frame is kept, active or not; before step t - k
         * existed, the reset's frame stands in. Entry t lives in slot t % (k + 1). */
        uint8_t* w = f->frames + (size_t)s->slot * bytes;
        memcpy(w, fr->pixels, bytes);
        if (!s->active) return;
        int src = t >= d->steps ? s->slot - d->steps : 0;
        if (src < 0) src += f->slots;
        memcpy(fr->pixels, f->frames + (size_t)src * bytes, bytes);
        return;
    }
    case SP_FAULT_BLACKOUT:
        if (s->active) memset(fr->pixels, 0, bytes);
        return;
    case SP_FAULT_PIXEL_NOISE:
        if (s->active) add_noise(fr->pixels, bytes, d->sigma, s->draw);
        return;
    case SP_FAULT_OCCLUSION:
        if (s->active) occlude(fr, d->size, s->box_x, s->box_y);
        return;
    default:
        return;
    }
}
