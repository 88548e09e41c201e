/* Pixel observations: the declaration, the session's frames, and their reply array. */

#include "pixels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "sandpit/draw.h"
#include "sandpit/error.h"
#include "sessions.h"

static const char* const type_names[] = {"vector", "pixels", "both"};

static int bad(char* err, size_t err_sz, const char* message) {
    snprintf(err, err_sz, "observation%s", message);
    return SP_E_BAD_REQUEST;
}

/* A side: an integer in [1, SP_PIXELS_MAX_SIDE]. */
static int read_side(const sp_mp_value* v, const char* name, int* out, char* err, size_t err_sz) {
    if (v->type != SP_MP_INT) {
        snprintf(err, err_sz, "observation.%s: must be an integer, got %s", name,
                 sp_mp_type_name(v));
        return SP_E_BAD_REQUEST;
    }
    if (v->negative || v->u < 1) {
        snprintf(err, err_sz, "observation.%s: must be at least 1 pixel", name);
        return SP_E_BAD_REQUEST;
    }
    if (v->u > SP_PIXELS_MAX_SIDE) {
        snprintf(err, err_sz, "observation.%s: %llu is over the server's limit of %d pixels", name,
                 (unsigned long long)v->u, SP_PIXELS_MAX_SIDE);
        return SP_E_LIMIT;
    }
    *out = (int)v->u;
    return SP_OK;
}

int sp_pixels_read(const sp_mp_value* m, const uint8_t* end, sp_pixels_def* out, char* err,
                   size_t err_sz) {
    memset(out, 0, sizeof *out);
    if (!m || m->type == SP_MP_NIL) return SP_OK;
    if (m->type != SP_MP_MAP)
        return bad(err, err_sz, ": must be a map {type, width, height, grayscale}");
    int width = 84, height = 84, rc; /* Atari's, what CNN policies are built for */
    bool grey = false, typed = false;
    sp_mp_reader r = {m->ptr, end, NULL};
    for (uint32_t k = 0; k < m->len; k++) {
        sp_mp_value key, v;
        if (sp_mp_read_whole(&r, &key) != SP_MP_OK || sp_mp_read_whole(&r, &v) != SP_MP_OK)
            return bad(err, err_sz, ": malformed map");
        if (sp_mp_str_eq(&key, "type")) {
            int t = -1;
            for (int i = 0; i < 3; i++)
                if (sp_mp_str_eq(&v, type_names[i])) t = i;
            if (t < 0) {
                char q[48];
                sp_quote(q, sizeof q, v.ptr, v.type == SP_MP_STR ? v.len : 0);
                snprintf(err, err_sz,
                         "observation.type: must be \"vector\", \"pixels\" or \"both\", got '%s'",
                         q);
                return SP_E_BAD_REQUEST;
            }
            out->type = (sp_observation_type)t;
            typed = true;
        } else if (sp_mp_str_eq(&key, "width")) {
            if ((rc = read_side(&v, "width", &width, err, err_sz))) return rc;
        } else if (sp_mp_str_eq(&key, "height")) {
            if ((rc = read_side(&v, "height", &height, err, err_sz))) return rc;
        } else if (sp_mp_str_eq(&key, "grayscale")) {
            if (v.type != SP_MP_BOOL) return bad(err, err_sz, ".grayscale: must be a boolean");
            grey = v.b;
        } else {
            char q[48];
            sp_quote(q, sizeof q, key.ptr, key.type == SP_MP_STR ? key.len : 0);
            snprintf(err, err_sz,
                     "observation.%s: unknown key (known: type, width, height, grayscale)", q);
            return SP_E_BAD_REQUEST;
        }
    }
    if (!typed) return bad(err, err_sz, ".type: missing (\"vector\", \"pixels\" or \"both\")");
    if (out->type != SP_OBSERVE_VECTOR) {
        out->width = width;
        out->height = height;
        out->channels = grey ? 1 : 3;
    }
    return SP_OK;
}

size_t sp_pixels_frame_bytes(const sp_pixels_def* def) {
    return (size_t)def->width * (size_t)def->height * (size_t)def->channels;
}

size_t sp_pixels_cost(const sp_pixels_def* def, int num_envs) {
    size_t frame = sp_pixels_frame_bytes(def);
    if (!frame) return 0;
    size_t scratch = def->channels == 1 ? frame * 3 : 0;
    /* frames + final frames, the reply (both) and its kept copy (both) */
    return (size_t)num_envs * (6 * frame + scratch + sizeof(sp_frame_view));
}

int sp_pixels_attach(sp_session* s) {
    const sp_pixels_def* d = &s->def.pixels;
    size_t frame = sp_pixels_frame_bytes(d);
    if (!frame) return SP_OK;
    size_t n = (size_t)s->def.num_envs;
    s->frames = calloc(n, frame);
    s->final_frames = calloc(n, frame);
    s->views = calloc(n, sizeof *s->views);
    if (d->channels == 1) s->frame_rgb = calloc(n, frame * 3);
    if (!s->frames || !s->final_frames || !s->views || (d->channels == 1 && !s->frame_rgb))
        return SP_E_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        s->views[i] = sp_default_frame_view(s->def.env->spec->id);
        if (s->frame_rgb) s->views[i].rgb = s->frame_rgb + i * frame * 3;
        sp_frame f = {s->frames + i * frame, d->width, d->height, d->channels};
        int rc = sp_episode_set_render(s->eps[i], sp_draw_frame_hook, &s->views[i], &f);
        if (rc != SP_OK) return rc;
    }
    return SP_OK;
}

void sp_pixels_free(sp_session* s) {
    free(s->frames);
    free(s->final_frames);
    free(s->views);
    free(s->frame_rgb);
}

void sp_pixels_pack(msgpack_packer* pk, const sp_session* s) {
    const sp_pixels_def* d = &s->def.pixels;
    uint32_t shape[4] = {(uint32_t)s->def.num_envs, (uint32_t)d->height, (uint32_t)d->width,
                         (uint32_t)d->channels};
    sp_pack_cstr(pk, "pixels");
    sp_pack_array(pk, SP_DTYPE_UINT8, 4, shape, s->frames);
}

void sp_pixels_keep_final(sp_session* s, int i) {
    size_t frame = sp_pixels_frame_bytes(&s->def.pixels);
    memcpy(s->final_frames + (size_t)i * frame, s->frames + (size_t)i * frame, frame);
}

void sp_pixels_move_final(sp_session* s, int m, int i) {
    size_t frame = sp_pixels_frame_bytes(&s->def.pixels);
    memcpy(s->final_frames + (size_t)m * frame, s->final_frames + (size_t)i * frame, frame);
}

void sp_pixels_pack_final(msgpack_packer* pk, const sp_session* s, int m) {
    const sp_pixels_def* d = &s->def.pixels;
    uint32_t shape[4] = {(uint32_t)m, (uint32_t)d->height, (uint32_t)d->width,
                         (uint32_t)d->channels};
    sp_pack_cstr(pk, "pixels");
    sp_pack_array(pk, SP_DTYPE_UINT8, 4, shape, s->final_frames);
}
