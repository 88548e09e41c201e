/* One frame of a playback: pose the step, frame it with the env's view hint, draw the scene,
 * the env's marks (flames, flags), its beams, and the HUD with the faults active and the
 * guardrails tripped at that step. Shared by the viewer and export, so both show exactly the
 * same pixels. Everything is formatted into stack buffers: drawing allocates nothing. */

#include <stdio.h>

#include "sandpit/guard.h"
#include "sandpit/playback.h"

#define HUD_EXTRA_LINES 6

sp_playback_draw_opts sp_default_playback_draw_opts(void) {
    sp_playback_draw_opts o = {
        .hud = true, .hud_scale = 0, .title = NULL, .note = NULL, .contacts = true};
    return o;
}

/* The env's declared beams at `step`, from the reading the agent got (and the true one). */
static int collect_rays(const sp_playback* pb, int step, const sp_world* world, sp_draw_ray* out) {
    const sp_env_spec* spec = sp_playback_spec(pb);
    if (spec->ray_count == 0) return 0;
    float seen[SP_MAX_SENSORS], truth[SP_MAX_SENSORS];
    uint8_t valid[SP_MAX_SENSORS];
    for (int i = 0; i < spec->sensor_count && i < SP_MAX_SENSORS; i++) {
        const sp_playback_channel* ch = sp_playback_channel_at(pb, i);
        seen[i] = ch->primary[step];
        truth[i] = ch->secondary[step];
        valid[i] = ch->valid[step];
    }
    return sp_draw_rays_from_readings(spec, world, seen, truth, valid, out, SP_MAX_SENSORS);
}

/* The HUD's extra lines: each active fault in its colour, then the guardrails that tripped. */
static int extra_lines(const sp_playback* pb, const sp_playback_step* s, char text[][112],
                       sp_rgb* colors) {
    int n = 0, nf = sp_playback_fault_count(pb), more = 0;
    for (int i = 0; i < nf && i < 64; i++) {
        if (!(s->faults >> i & 1u)) continue;
        if (n == HUD_EXTRA_LINES - 2) {
            more++;
            continue;
        }
        char desc[96];
        sp_fault_describe(sp_playback_fault(pb, i), desc, sizeof desc);
        snprintf(text[n], sizeof text[n], "fault %d: %s", i, desc);
        colors[n++] = sp_draw_fault_color(i);
    }
    if (more) {
        snprintf(text[n], sizeof text[n], "+%d more faults", more);
        colors[n++] = sp_draw_fault_color(0);
    }
    if (s->guard_reasons) {
        int used = snprintf(text[n], sizeof text[n], "guardrail:");
        for (int r = 1; r < 32 && used > 0 && used < (int)sizeof text[n]; r++)
            if (s->guard_reasons >> r & 1u) {
                const char* name = sp_guard_reason_name(r);
                used += snprintf(text[n] + used, sizeof text[n] - (size_t)used, " %s",
                                 name ? name : "?");
            }
        colors[n++] = (sp_rgb){255, 51, 51};
    }
    return n;
}

void sp_playback_draw(sp_playback* pb, int step, sp_image* img, const sp_playback_draw_opts* opts) {
    sp_playback_draw_opts defaults = sp_default_playback_draw_opts();
    if (!opts) opts = &defaults;
    const sp_env_spec* spec = sp_playback_spec(pb);
    int n = sp_playback_step_count(pb);
    int shown = step < 0 ? 0 : (step > n ? n : step);
    const sp_playback_step* s = sp_playback_step_at(pb, shown);
    sp_world* world = sp_playback_pose(pb, shown);
    sp_view_hint hint = sp_view_hint_for(spec->id);
    sp_camera cam = sp_camera_frame(&hint, world, img->width, img->height);
    sp_scene_opts scene = sp_default_scene_opts();
    if (opts->contacts) scene.contact_count = sp_playback_contacts(pb, shown, &scene.contacts);
    sp_draw_ray rays[SP_MAX_SENSORS];
    scene.rays = rays;
    scene.ray_count = collect_rays(pb, shown, world, rays);
    sp_draw_world(img, &cam, world, &scene);
    sp_draw_decor(img, &cam, world, spec->id, shown > 0 ? &s->action : NULL);
    if (!opts->hud) return;

    char action[96] = "-";
    if (shown > 0) sp_format_action(spec, &s->action, action, (int)sizeof action);
    bool ended = shown == n && (s->terminated || s->truncated);
    char lines[HUD_EXTRA_LINES][112];
    const char* line_ptrs[HUD_EXTRA_LINES];
    sp_rgb colors[HUD_EXTRA_LINES];
    int count = extra_lines(pb, s, lines, colors);
    for (int i = 0; i < count; i++)
        line_ptrs[i] = lines[i];
    sp_hud hud = {
        .title = opts->title ? opts->title : spec->id,
        .step = shown,
        .step_count = n,
        .time = sp_playback_time(pb, shown),
        .reward = s->reward,
        .episode_return = s->episode_return,
        .action = action,
        .terminated = s->terminated,
        .truncated = s->truncated,
        .reason = ended ? sp_playback_reason(pb) : NULL,
        .note = opts->note,
        .lines = line_ptrs,
        .line_colors = colors,
        .line_count = count,
    };
    int scale = opts->hud_scale > 0 ? opts->hud_scale : (img->height >= 400 ? 2 : 1);
    sp_draw_hud(img, &hud, scale);
}
