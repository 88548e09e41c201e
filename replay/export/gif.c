/* Animated GIF89a writer: one global 256-colour palette (the 6x6x6 cube every scene colour is
 * drawn from, then black), a NETSCAPE2.0 loop extension, and LZW-compressed frames.
 *
 * A fixed palette means no per-frame quantization: encoding is a table lookup per pixel, the
 * same frame always gives the same bytes, and the scene's colours survive exactly. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/error.h"
#include "sandpit/export.h"

#define MIN_CODE_SIZE 8
#define CLEAR_CODE 256
#define EOI_CODE 257
#define MAX_CODES 4096
/* Open addressing over (prefix code, next byte); twice the largest dictionary keeps probes
 * short, and clearing it is a 32 KiB memset rather than a 2 MiB trie. */
#define TABLE_SIZE 8192

struct sp_gif_writer {
    FILE* f;
    int width, height;
    int delay_cs;
    int failed;
    uint8_t* indices; /* width * height palette indices of the frame being encoded */
    int32_t keys[TABLE_SIZE];
    uint16_t codes[TABLE_SIZE];
    /* Bit packing into data sub-blocks of at most 255 bytes. */
    uint32_t bits;
    int bit_count;
    uint8_t block[255];
    int block_len;
};

static int level(uint8_t v) {
    return (v * 5 + 127) / 255; /* nearest of 0, 51, ..., 255 */
}

uint8_t sp_gif_palette_index(sp_rgb c) {
    return (uint8_t)(36 * level(c.r) + 6 * level(c.g) + level(c.b));
}

static void put_bytes(sp_gif_writer* g, const void* p, size_t n) {
    if (fwrite(p, 1, n, g->f) != n) g->failed = 1;
}

static void put_u16(sp_gif_writer* g, int v) {
    uint8_t b[2] = {(uint8_t)(v & 0xFF), (uint8_t)((v >> 8) & 0xFF)};
    put_bytes(g, b, 2);
}

sp_gif_writer* sp_gif_open(const char* path, int width, int height, int delay_cs, char* err,
                           size_t err_sz) {
    if (width <= 0 || height <= 0 || width > 65535 || height > 65535) {
        snprintf(err, err_sz, "%s: GIF frames must be 1..65535 pixels a side", path);
        return NULL;
    }
    sp_gif_writer* g = calloc(1, sizeof *g);
    if (g) g->indices = malloc((size_t)width * (size_t)height);
    if (!g || !g->indices) {
        if (g) free(g->indices);
        free(g);
        snprintf(err, err_sz, "%s: out of memory", path);
        return NULL;
    }
    g->f = fopen(path, "wb");
    if (!g->f) {
        snprintf(err, err_sz, "%s: %s", path, strerror(errno));
        free(g->indices);
        free(g);
        return NULL;
    }
    g->width = width;
    g->height = height;
    g->delay_cs = delay_cs < 0 ? 0 : (delay_cs > 65535 ? 65535 : delay_cs);

    put_bytes(g, "GIF89a", 6);
    put_u16(g, width);
    put_u16(g, height);
    /* Global colour table present, 8 bits of colour resolution, 2^(7+1) entries. */
    uint8_t screen[3] = {0xF7, 0, 0};
    put_bytes(g, screen, 3);
    uint8_t palette[256 * 3] = {0};
    for (int i = 0; i < 216; i++) {
        palette[3 * i + 0] = (uint8_t)(51 * (i / 36));
        palette[3 * i + 1] = (uint8_t)(51 * (i / 6 % 6));
        palette[3 * i + 2] = (uint8_t)(51 * (i % 6));
    }
    put_bytes(g, palette, sizeof palette);
    /* Loop forever: application extension NETSCAPE2.0, sub-block 1, loop count 0. */
    static const uint8_t loop[19] = {0x21, 0xFF, 0x0B, 'N', 'E',  'T',  'S',  'C',  'A', 'P',
                                     'E',  '2',  '.',  '0', 0x03, 0x01, 0x00, 0x00, 0x00};
    put_bytes(g, loop, sizeof loop);
    return g;
}

static void flush_block(sp_gif_writer* g) {
    if (g->block_len == 0) return;
    uint8_t n = (uint8_t)g->block_len;
    put_bytes(g, &n, 1);
    put_bytes(g, g->block, (size_t)g->block_len);
    g->block_len = 0;
}

/* GIF packs LZW codes from the least significant bit. */
static void put_code(sp_gif_writer* g, int code, int size) {
    g->bits |= (uint32_t)code << g->bit_count;
    g->bit_count += size;
    while (g->bit_count >= 8) {
        g->block[g->block_len++] = (uint8_t)g->bits;
        g->bits >>= 8;
        g->bit_count -= 8;
        if (g->block_len == 255) flush_block(g);
    }
}

static void reset_table(sp_gif_writer* g) {
    memset(g->keys, 0xFF, sizeof g->keys);
}

/* The slot of (prefix, byte): where it is stored, or the empty slot where it would go. */
static int slot_of(const sp_gif_writer* g, int32_t key) {
    uint32_t h = ((uint32_t)key * 2654435761u) >> (32 - 13);
    while (g->keys[h] != -1 && g->keys[h] != key)
        h = (h + 1) & (TABLE_SIZE - 1);
    return (int)h;
}

static void lzw_encode(sp_gif_writer* g, const uint8_t* data, size_t n) {
    g->bits = 0;
    g->bit_count = 0;
    g->block_len = 0;
    int code_size = MIN_CODE_SIZE + 1;
    int next_code = EOI_CODE + 1;
    reset_table(g);
    put_code(g, CLEAR_CODE, code_size);
    int prefix = data[0];
    for (size_t i = 1; i < n; i++) {
        int32_t key = (int32_t)(prefix << 8 | data[i]);
        int s = slot_of(g, key);
        if (g->keys[s] == key) {
            prefix = g->codes[s];
            continue;
        }
        put_code(g, prefix, code_size);
        g->keys[s] = key;
        g->codes[s] = (uint16_t)next_code;
        /* Widen once the code just assigned no longer fits (the decoder, one entry behind,
         * widens at the same point in the stream). */
        if (next_code == (1 << code_size) && code_size < 12) code_size++;
        next_code++;
        if (next_code == MAX_CODES) {
            /* Dictionary full: start over rather than keep stale, ever-longer codes. */
            put_code(g, CLEAR_CODE, code_size);
            reset_table(g);
            code_size = MIN_CODE_SIZE + 1;
            next_code = EOI_CODE + 1;
        }
        prefix = data[i];
    }
    put_code(g, prefix, code_size);
    put_code(g, EOI_CODE, code_size);
    if (g->bit_count > 0) put_code(g, 0, 8 - g->bit_count);
    flush_block(g);
}

int sp_gif_add_frame(sp_gif_writer* g, const sp_image* img) {
    if (!g || !img || img->width != g->width || img->height != g->height) return SP_E_BAD_ARGUMENT;
    for (int y = 0; y < g->height; y++) {
        const uint8_t* src = img->pixels + (size_t)y * (size_t)img->stride;
        uint8_t* dst = g->indices + (size_t)y * (size_t)g->width;
        for (int x = 0; x < g->width; x++, src += 3) {
            sp_rgb c = {src[0], src[1], src[2]};
            dst[x] = sp_gif_palette_index(c);
        }
    }
    /* Graphic control: no transparency, disposal 1 (leave in place), the frame delay. */
    uint8_t gce[8] = {
        0x21, 0xF9, 0x04, 0x04, (uint8_t)(g->delay_cs & 0xFF), (uint8_t)(g->delay_cs >> 8),
        0x00, 0x00};
    put_bytes(g, gce, sizeof gce);
    uint8_t sep = 0x2C;
    put_bytes(g, &sep, 1);
    put_u16(g, 0);
    put_u16(g, 0);
    put_u16(g, g->width);
    put_u16(g, g->height);
    uint8_t packed = 0x00, min_code = MIN_CODE_SIZE;
    put_bytes(g, &packed, 1);
    put_bytes(g, &min_code, 1);
    lzw_encode(g, g->indices, (size_t)g->width * (size_t)g->height);
    uint8_t terminator = 0;
    put_bytes(g, &terminator, 1);
    return g->failed ? SP_E_IO : 0;
}

int sp_gif_close(sp_gif_writer* g) {
    if (!g) return 0;
    uint8_t trailer = 0x3B;
    put_bytes(g, &trailer, 1);
    if (fclose(g->f) != 0) g->failed = 1;
    int failed = g->failed;
    free(g->indices);
    free(g);
    return failed ? SP_E_IO : 0;
}
