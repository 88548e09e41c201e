/* PNG writer: 8-bit RGB, no interlace, filter None on every row, one IDAT chunk, compressed
 * by zlib (Debian's zlib1g) and framed with its CRC-32.
 *
 * Filter None because deflate already finds the previous row at distance `stride`, and a flat
 * frame compresses as well either way; it keeps the encoder a straight copy.
 *
 * The bytes are stable: level, window, memory level and strategy are fixed below, and zlib's
 * output is a function of those and the input alone (no threads, no clock). A zlib of another
 * version may choose other matches, which changes bytes but never pixels; the tests compare
 * pixels through an independent decoder (Pillow) and bytes only within one build. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "sandpit/error.h"
#include "sandpit/export.h"

struct sp_png_encoder {
    int width, height;
    size_t raw_len; /* height * (1 + 3 * width): a filter byte before every row */
    uint8_t* raw;
    size_t file_cap;
    uint8_t* file; /* the whole PNG being built */
    z_stream z;    /* set up once; deflateReset per frame allocates nothing */
    int z_ready;
};

static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

/* Chunk overhead: length, type, CRC. Three chunks: IHDR (13 bytes), IDAT, IEND (0). */
#define CHUNK_OVERHEAD 12
#define IHDR_LEN 13

/* zlib's defaults, spelled out so that no change of default can change our bytes: level 6,
 * a 32 KiB window (which reaches the previous row up to 10k pixels wide), memory level 8. */
#define Z_LEVEL 6
#define Z_WINDOW_BITS 15
#define Z_MEM_LEVEL 8
#define Z_STRATEGY_FIXED Z_DEFAULT_STRATEGY

sp_png_encoder* sp_png_encoder_create(int width, int height) {
    /* PNG allows up to 2^31-1; 16k a side keeps a frame's bytes within zlib's uInt counts. */
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return NULL;
    sp_png_encoder* enc = calloc(1, sizeof *enc);
    if (!enc) return NULL;
    enc->width = width;
    enc->height = height;
    enc->raw_len = (size_t)height * (1u + 3u * (size_t)width);
    enc->z_ready = deflateInit2(&enc->z, Z_LEVEL, Z_DEFLATED, Z_WINDOW_BITS, Z_MEM_LEVEL,
                                Z_STRATEGY_FIXED) == Z_OK;
    if (!enc->z_ready) {
        sp_png_encoder_destroy(enc);
        return NULL;
    }
    enc->file_cap = sizeof signature + 3 * CHUNK_OVERHEAD + IHDR_LEN +
                    deflateBound(&enc->z, (uLong)enc->raw_len);
    enc->raw = malloc(enc->raw_len);
    enc->file = malloc(enc->file_cap);
    if (!enc->raw || !enc->file) {
        sp_png_encoder_destroy(enc);
        return NULL;
    }
    return enc;
}

void sp_png_encoder_destroy(sp_png_encoder* enc) {
    if (!enc) return;
    free(enc->raw);
    free(enc->file);
    if (enc->z_ready) deflateEnd(&enc->z);
    free(enc);
}

static void put_u32(uint8_t* p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Frames the chunk whose type and data the caller already wrote at p + 4 (data_len bytes
 * after the type); returns the chunk's total size. */
static size_t finish_chunk(uint8_t* p, size_t data_len) {
    put_u32(p, (uint32_t)data_len);
    put_u32(p + 8 + data_len, (uint32_t)crc32_z(0, p + 4, 4 + data_len));
    return CHUNK_OVERHEAD + data_len;
}

int sp_png_encode(sp_png_encoder* enc, const sp_image* img, const uint8_t** out, size_t* out_len) {
    if (!enc || !img || img->width != enc->width || img->height != enc->height)
        return SP_E_BAD_ARGUMENT;
    size_t row = 3u * (size_t)enc->width;
    for (int y = 0; y < enc->height; y++) {
        uint8_t* dst = enc->raw + (size_t)y * (row + 1);
        dst[0] = 0; /* filter None */
        memcpy(dst + 1, img->pixels + (size_t)y * (size_t)img->stride, row);
    }
    uint8_t* p = enc->file;
    memcpy(p, signature, sizeof signature);
    p += sizeof signature;

    memcpy(p + 4, "IHDR", 4);
    put_u32(p + 8, (uint32_t)enc->width);
    put_u32(p + 12, (uint32_t)enc->height);
    p[16] = 8; /* bit depth */
    p[17] = 2; /* colour type: truecolour RGB */
    p[18] = 0; /* compression: deflate */
    p[19] = 0; /* filter method 0 */
    p[20] = 0; /* no interlace */
    p += finish_chunk(p, IHDR_LEN);

    memcpy(p + 4, "IDAT", 4);
    z_stream* z = &enc->z;
    if (deflateReset(z) != Z_OK) return SP_E_INTERNAL;
    z->next_in = enc->raw;
    z->avail_in = (uInt)enc->raw_len;
    z->next_out = p + 8;
    z->avail_out = (uInt)(enc->file_cap - (size_t)(p + 8 - enc->file));
    /* The buffer holds deflateBound bytes, so one call finishes the stream. */
    if (deflate(z, Z_FINISH) != Z_STREAM_END) return SP_E_INTERNAL;
    p += finish_chunk(p, (size_t)z->total_out);

    memcpy(p + 4, "IEND", 4);
    p += finish_chunk(p, 0);

    *out = enc->file;
    *out_len = (size_t)(p - enc->file);
    return 0;
}

int sp_png_write(sp_png_encoder* enc, const sp_image* img, const char* path, char* err,
                 size_t err_sz) {
    const uint8_t* data;
    size_t len;
    int rc = sp_png_encode(enc, img, &data, &len);
    if (rc != 0) {
        snprintf(err, err_sz, "%s: %s", path,
                 rc == SP_E_BAD_ARGUMENT ? "image size does not match the encoder"
                                         : "zlib could not compress the frame");
        return rc;
    }
    FILE* f = fopen(path, "wb");
    if (!f) {
        snprintf(err, err_sz, "%s: %s", path, strerror(errno));
        return SP_E_IO;
    }
    size_t wrote = fwrite(data, 1, len, f);
    int closed = fclose(f);
    if (wrote != len || closed != 0) {
        snprintf(err, err_sz, "%s: write failed: %s", path, strerror(errno));
        return SP_E_IO;
    }
    return 0;
}
