/* zlib stream with one fixed-Huffman deflate block: LZ77 over a 32 KiB window, hash chains of
 * bounded depth, greedy matching. See deflate.h for why fixed Huffman. */

#include "deflate.h"

#include <stdlib.h>
#include <string.h>

#include "sandpit/export.h"

#define WINDOW 32768
#define WINDOW_MASK (WINDOW - 1)
#define HASH_BITS 15
#define HASH_SIZE (1 << HASH_BITS)
#define MIN_MATCH 3
#define MAX_MATCH 258
/* Deep enough to find the previous row's match in flat images, shallow enough to bound the
 * worst case; greedy matching stops early at MAX_MATCH anyway. */
#define MAX_CHAIN 48

struct sp_deflate {
    size_t max_input;
    int32_t head[HASH_SIZE]; /* latest position with each hash, -1 for none */
    int32_t prev[WINDOW];    /* the position before it with the same hash */
};

typedef struct bit_writer {
    uint8_t* out;
    size_t len;
    uint64_t bits;
    int count;
} bit_writer;

/* Deflate packs bits from the least significant end. */
static void put_bits(bit_writer* w, uint32_t value, int n) {
    w->bits |= (uint64_t)value << w->count;
    w->count += n;
    while (w->count >= 8) {
        w->out[w->len++] = (uint8_t)w->bits;
        w->bits >>= 8;
        w->count -= 8;
    }
}

/* Huffman codes are defined most significant bit first, so they go out reversed. */
static void put_code(bit_writer* w, uint32_t code, int n) {
    uint32_t r = 0;
    for (int i = 0; i < n; i++)
        r |= ((code >> i) & 1u) << (n - 1 - i);
    put_bits(w, r, n);
}

/* The fixed literal/length code of RFC 1951 section 3.2.6. */
static void put_symbol(bit_writer* w, int sym) {
    if (sym < 144)
        put_code(w, 0x30u + (uint32_t)sym, 8);
    else if (sym < 256)
        put_code(w, 0x190u + (uint32_t)(sym - 144), 9);
    else if (sym < 280)
        put_code(w, (uint32_t)(sym - 256), 7);
    else
        put_code(w, 0xC0u + (uint32_t)(sym - 280), 8);
}

static const uint16_t length_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                         15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                         67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static void put_match(bit_writer* w, int length, int distance) {
    int li = 28;
    while (length_base[li] > length)
        li--;
    put_symbol(w, 257 + li);
    put_bits(w, (uint32_t)(length - length_base[li]), length_extra[li]);
    int di = 29;
    while (dist_base[di] > distance)
        di--;
    put_code(w, (uint32_t)di, 5);
    put_bits(w, (uint32_t)(distance - dist_base[di]), dist_extra[di]);
}

sp_deflate* sp_deflate_create(size_t max_input) {
    if (max_input > (size_t)INT32_MAX) return NULL; /* positions are int32 */
    sp_deflate* d = malloc(sizeof *d);
    if (d) d->max_input = max_input;
    return d;
}

void sp_deflate_destroy(sp_deflate* d) {
    free(d);
}

size_t sp_zlib_bound(size_t n) {
    /* At worst every byte is a 9-bit literal; plus block header, end code, zlib framing. */
    return n + n / 8 + 16;
}

static uint32_t hash3(const uint8_t* p) {
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void insert(sp_deflate* d, const uint8_t* in, size_t n, int32_t pos) {
    if ((size_t)pos + MIN_MATCH > n) return;
    uint32_t h = hash3(in + pos);
    d->prev[pos & WINDOW_MASK] = d->head[h];
    d->head[h] = pos;
}

/* The longest earlier match for in[pos..]: length (0 if under MIN_MATCH) and distance. */
static int longest_match(const sp_deflate* d, const uint8_t* in, size_t n, int32_t pos,
                         int* distance) {
    if ((size_t)pos + MIN_MATCH > n) return 0;
    int limit = (int)((n - (size_t)pos) < MAX_MATCH ? n - (size_t)pos : MAX_MATCH);
    int best = 0;
    int32_t cand = d->head[hash3(in + pos)];
    for (int chain = 0; chain < MAX_CHAIN && cand >= 0; chain++) {
        if (cand >= pos || pos - cand > WINDOW) break;
        if (in[cand + best] == in[pos + best]) {
            int len = 0;
            while (len < limit && in[cand + len] == in[pos + len])
                len++;
            if (len > best) {
                best = len;
                *distance = pos - cand;
                if (len == limit) break;
            }
        }
        int32_t next = d->prev[cand & WINDOW_MASK];
        /* A slot reused by a newer position would send the chain forward: stop there. */
        if (next >= cand) break;
        cand = next;
    }
    return best >= MIN_MATCH ? best : 0;
}

size_t sp_zlib_compress(sp_deflate* d, const uint8_t* in, size_t n, uint8_t* out) {
    memset(d->head, 0xFF, sizeof d->head);
    bit_writer w = {out, 0, 0, 0};
    /* CMF 0x78: deflate with a 32 KiB window; FLG 0x01 makes CMF*256+FLG a multiple of 31. */
    out[w.len++] = 0x78;
    out[w.len++] = 0x01;
    put_bits(&w, 1, 1); /* BFINAL: the only block */
    put_bits(&w, 1, 2); /* BTYPE 01: fixed Huffman */
    int32_t pos = 0, end = (int32_t)(n < d->max_input ? n : d->max_input);
    while (pos < end) {
        int distance = 0;
        int len = longest_match(d, in, (size_t)end, pos, &distance);
        if (len) {
            put_match(&w, len, distance);
            for (int i = 0; i < len; i++)
                insert(d, in, (size_t)end, pos + i);
            pos += len;
        } else {
            put_symbol(&w, in[pos]);
            insert(d, in, (size_t)end, pos);
            pos++;
        }
    }
    put_symbol(&w, 256); /* end of block */
    if (w.count > 0) put_bits(&w, 0, 8 - w.count);
    uint32_t adler = sp_adler32(1, in, (size_t)end);
    out[w.len++] = (uint8_t)(adler >> 24);
    out[w.len++] = (uint8_t)(adler >> 16);
    out[w.len++] = (uint8_t)(adler >> 8);
    out[w.len++] = (uint8_t)adler;
    return w.len;
}
