#ifndef SANDPIT_EXPORT_H
#define SANDPIT_EXPORT_H

/* Image encoders and the `sandpit replay export` command. PNG goes through zlib (fixed level
 * and strategy: the same frame gives the same bytes), animated GIF89a through giflib (fixed
 * 6x6x6 palette, so no quantization). Each encoder owns buffers sized once for its image
 * size, so encoding a frame allocates nothing. */

#include <stddef.h>
#include <stdint.h>

#include "sandpit/draw.h"

/* ---- PNG ---- */

typedef struct sp_png_encoder sp_png_encoder;

/* An encoder for RGB8 images of exactly width x height. Returns NULL on bad sizes or no
 * memory. The caller owns it: sp_png_encoder_destroy. */
sp_png_encoder* sp_png_encoder_create(int width, int height);
void sp_png_encoder_destroy(sp_png_encoder* enc);

/* Encodes `img` (of the encoder's size) as a whole PNG file in memory. On success returns 0
 * and points *out at bytes owned by the encoder, valid until the next call. */
int sp_png_encode(sp_png_encoder* enc, const sp_image* img, const uint8_t** out, size_t* out_len);

/* Encodes `img` and writes it to `path`. Returns 0 or an sp_error with a message in `err`. */
int sp_png_write(sp_png_encoder* enc, const sp_image* img, const char* path, char* err,
                 size_t err_sz);

/* ---- GIF ---- */

typedef struct sp_gif_writer sp_gif_writer;

/* Opens `path` for an endlessly looping animation of width x height frames shown
 * `delay_cs` hundredths of a second each. Returns NULL with a message on failure. The caller
 * owns the writer and must finish it with sp_gif_close. */
sp_gif_writer* sp_gif_open(const char* path, int width, int height, int delay_cs, char* err,
                           size_t err_sz);

/* Appends one frame (of the writer's size). Colours map to the nearest palette entry; the
 * scene's colours are all exact (draw.h). Returns 0 or SP_E_IO / SP_E_BAD_ARGUMENT. */
int sp_gif_add_frame(sp_gif_writer* gif, const sp_image* img);

/* Writes the trailer, closes the file and frees the writer (also after an error, when it only
 * cleans up). Returns 0, or SP_E_IO if any write failed. NULL is allowed. */
int sp_gif_close(sp_gif_writer* gif);

/* The palette index of a colour: 36 r + 6 g + b over channel levels 0, 51, ..., 255. */
uint8_t sp_gif_palette_index(sp_rgb c);

/* ---- Whole-episode pictures (replay plot, replay report) ---- */

struct sp_playback;
struct sp_plot_def;

/* The chart panel of `pb` (sp_playback_plot) as a width x height PNG at `path`. Returns 0 or
 * an sp_error with a message. */
int sp_export_plot_png(const struct sp_playback* pb, const struct sp_plot_def* def, int width,
                       int height, const char* path, char* err, size_t err_sz);

/* The episode as a looping GIF of width x height frames with the HUD, at most `max_frames`
 * frames (every k-th step and the last), timed to play in real time. Returns 0 or an sp_error
 * with a message. */
int sp_export_gif(struct sp_playback* pb, int width, int height, int max_frames, const char* path,
                  char* err, size_t err_sz);

/* ---- The command ---- */

/* `sandpit replay export FILE [--frames DIR] [--gif OUT] [--video OUT] [options]`: `argv`
 * holds the arguments after "export", and argv[-1] is "export" (getopt_long's argv[0]: pass a
 * tail of the real argument vector). Returns the exit status: 0, 1 on failure, 2 on bad
 * usage or an unreadable replay. */
int sp_replay_export_main(int argc, char** argv);

#endif
