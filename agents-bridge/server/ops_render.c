/* render: pictures of a session's envs in their current state, drawn by the one software
 * rasterizer (replay/draw) that replay export and the viewer use, so a frame here is the same
 * bytes as the exported frame of the same state. For Gymnasium's render_mode="rgb_array".
 *
 * Not on the step path: the frames are drawn into a buffer allocated for the request and freed
 * once packed, at most SP_RENDER_MAX_BYTES (docs/SECURITY.md). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "sandpit/draw.h"

/* Upper bounds a client can ask for: one frame side, frames per request, bytes per request. */
#define SP_RENDER_MAX_SIDE 4096
#define SP_RENDER_MAX_FRAMES 64
#define SP_RENDER_MAX_BYTES ((size_t)32 << 20)

static const char* const render_keys[] = {"session", "envs", "width", "height", NULL};

/* Reads "envs" (a list of env indices; absent: [0]) into `envs`. */
static int read_envs(const sp_request* req, const sp_session* s, int* envs, int* count, char* err,
                     size_t err_sz) {
    const sp_mp_value* v = sp_request_get(req, "envs");
    *count = 1;
    envs[0] = 0;
    if (!v || v->type == SP_MP_NIL) return SP_OK;
    if (v->type != SP_MP_ARRAY || v->len == 0 || v->len > SP_RENDER_MAX_FRAMES) {
        snprintf(err, err_sz, "field 'envs' must be a list of 1 to %d env indices",
                 SP_RENDER_MAX_FRAMES);
        return SP_E_BAD_REQUEST;
    }
    sp_mp_reader r = {v->ptr, req->end};
    for (uint32_t j = 0; j < v->len; j++) {
        sp_mp_value e;
        uint64_t i;
        if (sp_mp_read_whole(&r, &e) != SP_MP_OK) return SP_E_BAD_REQUEST;
        if (!sp_mp_as_u64(&e, &i) || i >= (uint64_t)s->def.num_envs) {
            snprintf(err, err_sz, "field 'envs'[%u] must be an env index in [0, %d)", j,
                     s->def.num_envs);
            return SP_E_BAD_REQUEST;
        }
        envs[j] = (int)i;
    }
    *count = (int)v->len;
    return SP_OK;
}

int sp_op_render(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_session* s;
    int rc, count, envs[SP_RENDER_MAX_FRAMES];
    int width = 600, height = 400; /* Gymnasium's CartPole frame */
    if ((rc = sp_request_only(req, render_keys, err, err_sz)) != SP_OK ||
        (rc = sp_service_session(svc, req, &s, err, err_sz)) != SP_OK ||
        (rc = read_envs(req, s, envs, &count, err, err_sz)) != SP_OK ||
        (rc = sp_field_int(req, "width", false, 1, SP_RENDER_MAX_SIDE, &width, err, err_sz)) ||
        (rc = sp_field_int(req, "height", false, 1, SP_RENDER_MAX_SIDE, &height, err, err_sz)))
        return rc;
    size_t frame = (size_t)width * (size_t)height * 3;
    if ((size_t)count * frame > SP_RENDER_MAX_BYTES) {
        snprintf(err, err_sz, "%d frames of %dx%d are over the %zu MiB a render may return", count,
                 width, height, SP_RENDER_MAX_BYTES >> 20);
        return SP_E_LIMIT;
    }
    if (!s->started) {
        snprintf(err, err_sz, "render before the first reset: there is nothing to draw yet");
        return SP_E_NEEDS_RESET;
    }
    uint8_t* pixels = malloc((size_t)count * frame);
    if (!pixels) {
        snprintf(err, err_sz, "out of memory for %d frames of %dx%d", count, width, height);
        return SP_E_NO_MEMORY;
    }
    sp_view_hint hint = sp_view_hint_for(s->def.env->spec->id);
    sp_scene_opts opts = sp_default_scene_opts();
    for (int j = 0; j < count; j++) {
        sp_world* world = sp_episode_world(s->eps[envs[j]]);
        sp_image img = sp_image_wrap(pixels + (size_t)j * frame, width, height, width * 3);
        sp_camera cam = sp_camera_frame(&hint, world, width, height);
        sp_draw_world(&img, &cam, world, &opts);
    }
    uint32_t shape[4] = {(uint32_t)count, (uint32_t)height, (uint32_t)width, 3};
    sp_pack_ok(&svc->pk, req, 1);
    sp_pack_cstr(&svc->pk, "frames");
    sp_pack_array(&svc->pk, SP_DTYPE_UINT8, 4, shape, pixels);
    free(pixels);
    return SP_OK;
}
