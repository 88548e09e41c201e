/* PNG writer: 8-bit RGB, no interlace, filter None on every row, one IDAT chunk.
 *
 * Filter None because our LZ77 already finds the previous row at distance `stride`, and a flat
 * frame compresses as well either way; it keeps the encoder a straight copy. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"
#include "sandpit/error.h"
#include "sandpit/export.h"

struct sp_png_encoder {
    int width, height;
    size_t raw_len; /* height * (1 + 3 * width): a filter byte before every row */
    uint8_t* raw;
    size_t file_cap;
    uint8_t* file; /* the whole PNG being built */
    sp_deflate* deflate;
};

static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

/* Chunk overhead: length, type, CRC. Three chunks: IHDR (13 bytes), IDAT, IEND (0). */
#define CHUNK_OVERHEAD 12
#define IHDR_LEN 13

sp_png_encoder* sp_png_encoder_create(int width, int height) {
    /* PNG allows up to 2^31-1, our deflate up to INT32_MAX input bytes; 16k a side is plenty. */
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return NULL;
    sp_png_encoder* enc = calloc(1, sizeof *enc);
    if (!enc) return NULL;
    enc->width = width;
    enc->height = height;
    enc->raw_len = (size_t)height * (1u + 3u * (size_t)width);
    enc->file_cap = sizeof signature + 3 * CHUNK_OVERHEAD + IHDR_LEN + sp_zlib_bound(enc->raw_len);
    enc->raw = malloc(enc->raw_len);
    enc->file = malloc(enc->file_cap);
    enc->deflate = sp_deflate_create(enc->raw_len);
    if (!enc->raw || !enc->file || !enc->deflate) {
        sp_png_encoder_destroy(enc);
        return NULL;
    }
    return enc;
}

void sp_png_encoder_destroy(sp_png_encoder* enc) {
    if (!enc) return;
    free(enc->raw);
    free(enc->file);
    sp_deflate_destroy(enc->deflate);
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
    put_u32(p + 8 + data_len, sp_crc32(0, p + 4, 4 + data_len));
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
    p += finish_chunk(p, sp_zlib_compress(enc->deflate, enc->raw, enc->raw_len, p + 8));

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
        snprintf(err, err_sz, "%s: image size does not match the encoder", path);
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
