/* render: pictures of a session's envs in their current state, drawn by the one software
 * rasterizer (replay/draw) that replay export and the viewer use, so a frame here is the same
 * bytes as the exported frame of the same state. For Gymnasium's render_mode="rgb_array".
 *
 * Not on the step path. The frames are drawn straight into the reply buffer, at most
 * SP_RENDER_MAX_BYTES (docs/SECURITY.md): no frame-sized buffer or copy besides the reply. */

#include <stdio.h>
#include <stdlib.h>

#include "ops.h"
#include "sandpit/draw.h"

/* Upper bound of the bytes a render may return (SP_RENDER_MAX_SIDE and _FRAMES: requests.h). */
#define SP_RENDER_MAX_BYTES ((size_t)16 << 20)

/* The door's env indices against the session's N. */
static int check_envs(const sp_render_request* r, const sp_session* s, char* err, size_t err_sz) {
    for (int j = 0; j < r->count; j++) {
        if (r->envs[j] >= (uint64_t)s->def.num_envs) {
            snprintf(err, err_sz, "field 'envs'[%d] must be an env index in [0, %d)", j,
                     s->def.num_envs);
            return SP_E_BAD_REQUEST;
        }
    }
    return SP_OK;
}

/* Appends `len` bytes to the reply and returns where they start, for drawing in place; NULL
 * (and the reply marked failed: the client gets no_memory) when the buffer cannot grow.
 * msgpack-c's sbuffer is a plain {size, data, alloc} struct; this grows it the way
 * msgpack_sbuffer_write does. */
static uint8_t* reply_reserve(sp_service* svc, size_t len) {
    msgpack_sbuffer* b = &svc->reply;
    if (svc->pack_failed) return NULL;
    if (b->alloc - b->size < len) {
        char* p = realloc(b->data, b->size + len);
        if (!p) {
            svc->pack_failed = true;
            return NULL;
        }
        b->data = p;
        b->alloc = b->size + len;
    }
    uint8_t* out = (uint8_t*)b->data + b->size;
    b->size += len;
    return out;
}

int sp_op_render(sp_service* svc, const sp_request* req, char* err, size_t err_sz) {
    sp_render_request r;
    sp_session* s;
    int rc;
    sp_decode_render(req, &r, err, err_sz);
    if ((rc = sp_door_session(svc, req, &r.door, r.session, &s, err, err_sz)) != SP_OK) return rc;
    if (sp_door_first(&r.door, SP_RENDER_AT_ENVS)) return r.door.rc;
    if ((rc = check_envs(&r, s, err, err_sz)) != SP_OK) return rc;
    if (r.door.rc != SP_OK) return r.door.rc; /* the last stage: width and height */
    int count = r.count, width = r.width, height = r.height;
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
    msgpack_packer* pk = &svc->pk;
    sp_pack_ok(pk, req, 1);
    sp_pack_cstr(pk, "frames");
    msgpack_pack_map(pk, 3);
    sp_pack_cstr(pk, "dtype");
    sp_pack_cstr(pk, "uint8");
    sp_pack_cstr(pk, "shape");
    msgpack_pack_array(pk, 4);
    msgpack_pack_int(pk, count);
    msgpack_pack_int(pk, height);
    msgpack_pack_int(pk, width);
    msgpack_pack_int(pk, 3);
    sp_pack_cstr(pk, "data");
    msgpack_pack_bin(pk, (size_t)count * frame);
    uint8_t* pixels = reply_reserve(svc, (size_t)count * frame);
    if (!pixels) return SP_OK; /* the service answers no_memory for the failed reply */
    sp_view_hint hint = sp_view_hint_for(s->def.env->spec->id);
    sp_scene_opts opts = sp_default_scene_opts();
    for (int j = 0; j < count; j++) {
        sp_world* world = sp_episode_world(s->eps[r.envs[j]]);
        sp_image img = sp_image_wrap(pixels + (size_t)j * frame, width, height, width * 3);
        sp_camera cam = sp_camera_frame(&hint, world, width, height);
        sp_draw_world(&img, &cam, world, &opts);
    }
    return SP_OK;
}
