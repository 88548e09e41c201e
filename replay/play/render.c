/* One frame of a playback: pose the step, frame it with the env's view hint, draw the scene
 * and the HUD. Shared by the viewer and export, so both show exactly the same pixels. */

#include "sandpit/playback.h"

sp_playback_draw_opts sp_default_playback_draw_opts(void) {
    sp_playback_draw_opts o = {
        .hud = true, .hud_scale = 0, .title = NULL, .note = NULL, .contacts = true};
    return o;
}

void sp_playback_draw(sp_playback* pb, int step, sp_image* img, const sp_playback_draw_opts* opts) {
    sp_playback_draw_opts defaults = sp_default_playback_draw_opts();
    if (!opts) opts = &defaults;
    const sp_env_spec* spec = sp_playback_spec(pb);
    sp_world* world = sp_playback_pose(pb, step);
    sp_view_hint hint = sp_view_hint_for(spec->id);
    sp_camera cam = sp_camera_frame(&hint, world, img->width, img->height);
    sp_scene_opts scene = sp_default_scene_opts();
    if (opts->contacts) scene.contact_count = sp_playback_contacts(pb, step, &scene.contacts);
    sp_draw_world(img, &cam, world, &scene);
    if (!opts->hud) return;

    int n = sp_playback_step_count(pb);
    const sp_playback_step* s = sp_playback_step_at(pb, step);
    char action[96] = "-";
    if (step > 0) sp_format_action(spec, &s->action, action, (int)sizeof action);
    int shown = step < 0 ? 0 : (step > n ? n : step);
    bool ended = shown == n && (s->terminated || s->truncated);
    sp_hud hud = {
        .title = opts->title ? opts->title : spec->id,
        .step = shown,
        .step_count = n,
        .time = sp_playback_time(pb, step),
        .reward = s->reward,
        .episode_return = s->episode_return,
        .action = action,
        .terminated = s->terminated,
        .truncated = s->truncated,
        .reason = ended ? sp_playback_reason(pb) : NULL,
        .note = opts->note,
    };
    int scale = opts->hud_scale > 0 ? opts->hud_scale : (img->height >= 400 ? 2 : 1);
    sp_draw_hud(img, &hud, scale);
}
