/* Pixel observations: the scene an agent sees, drawn by the same rasterizer as export, the
 * viewer and `rgb_array`, through the episode runtime's render hook (sim knows nothing of
 * drawing: the server installs this). At the same size, an RGB frame is the same bytes as the
 * `render` op's picture of the same state. */

#include "sandpit/draw.h"
#include "sandpit/episode.h"

sp_frame_view sp_default_frame_view(const char* env_id) {
    sp_frame_view v = {.hint = sp_view_hint_for(env_id), .opts = sp_default_scene_opts()};
    return v;
}

/* ITU-R BT.601 luma in integers (what PIL's convert("L") and OpenCV compute), so a grey
 * frame is exact on every machine. */
static void to_grey(const uint8_t* rgb, uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; i++, rgb += 3)
        out[i] = (uint8_t)((299u * rgb[0] + 587u * rgb[1] + 114u * rgb[2] + 500u) / 1000u);
}

void sp_draw_frame_hook(void* user, sp_episode* ep, sp_frame* frame) {
    sp_frame_view* v = user;
    const sp_world* world = sp_episode_world(ep);
    uint8_t* rgb = frame->channels == 3 ? frame->pixels : v->rgb;
    sp_image img = sp_image_wrap(rgb, frame->width, frame->height, frame->width * 3);
    sp_camera cam = sp_camera_frame(&v->hint, world, frame->width, frame->height);
    sp_draw_world(&img, &cam, world, &v->opts);
    if (frame->channels == 1)
        to_grey(rgb, frame->pixels, (size_t)frame->width * (size_t)frame->height);
}
