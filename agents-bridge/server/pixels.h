#ifndef SANDPIT_SERVER_PIXELS_H
#define SANDPIT_SERVER_PIXELS_H

/* Pixel observations (docs/PROTOCOL.md, "Pixel observations"): what `make`'s "observation"
 * map declares, the frame buffers of a session, and the "pixels" array of reset and step
 * replies. Frames are drawn on the stepping threads by the one rasterizer (replay/draw)
 * through the episode runtime's render hook, each env into its own slice of one block. */

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/mpread.h"

/* The largest frame side a client may ask for: bounds one frame at 3 MiB; the frames of a
 * session are further counted against the memory ceiling (sp_pixels_cost). */
#define SP_PIXELS_MAX_SIDE 1024

/* What the agent observes. */
typedef enum sp_observation_type {
    SP_OBSERVE_VECTOR = 0, /* the sensor vector only (the default) */
    SP_OBSERVE_PIXELS,     /* frames (the vector still travels: it is small) */
    SP_OBSERVE_BOTH,       /* frames and the vector, as a Dict space */
} sp_observation_type;

typedef struct sp_pixels_def {
    sp_observation_type type;
    int width, height;
    int channels; /* 3: RGB, 1: grey; 0 for SP_OBSERVE_VECTOR */
} sp_pixels_def;

struct sp_session;

/* Reads make's "observation" map {type, width, height, grayscale} into `out` (absent: the
 * vector). SP_E_BAD_REQUEST for a malformed map, an unknown type, a side < 1;
 * SP_E_LIMIT for a side over SP_PIXELS_MAX_SIDE. */
int sp_pixels_read(const sp_mp_value* m, const uint8_t* end, sp_pixels_def* out, char* err,
                   size_t err_sz);

/* Bytes of one frame: 0 without pixels. */
size_t sp_pixels_frame_bytes(const sp_pixels_def* def);

/* What `num_envs` envs' frames cost against the memory ceiling: the frames, the ended
 * episodes' last frames (same_step autoreset), the grey frames' RGB scratch, the reply that
 * carries them and its kept copy (exactly-once steps). */
size_t sp_pixels_cost(const sp_pixels_def* def, int num_envs);

/* Allocates session `s`'s frames and installs the renderer on each of its episodes (before
 * their first reset). Nothing without pixels. Returns 0 or SP_E_NO_MEMORY. */
int sp_pixels_attach(struct sp_session* s);

/* Frees what sp_pixels_attach allocated. */
void sp_pixels_free(struct sp_session* s);

/* Packs "pixels": uint8 [N, H, W, C], every env's frame of the last reset or step. */
void sp_pixels_pack(msgpack_packer* pk, const struct sp_session* s);

/* same_step autoreset: env i's last frame before it is reset (kept at slot i), moved to
 * slot m when the ended episodes are gathered, and the first m packed as final's "pixels". */
void sp_pixels_keep_final(struct sp_session* s, int i);
void sp_pixels_move_final(struct sp_session* s, int m, int i);
void sp_pixels_pack_final(msgpack_packer* pk, const struct sp_session* s, int m);

#endif
