#include "format.h"

/* Tables built once on first use, not shipped as thousands of magic numbers: the polynomial
 * is the documented fact. C11's call_once makes the first use safe from any thread. */
#include <threads.h>

/* Slicing-by-8 (Intel's, as in zlib and the Linux kernel): eight bytes per iteration through
 * eight tables. The CRC is most of the recorder's per-step cost; this makes it a third. */
static uint32_t crc32_table[8][256];
static uint8_t crc8_table[256];
static once_flag tables_once = ONCE_FLAG_INIT;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc32_table[0][i] = c;
        uint8_t d = (uint8_t)i;
        for (int k = 0; k < 8; k++)
            d = (uint8_t)((d & 0x80) ? (d << 1) ^ 0x07 : d << 1);
        crc8_table[i] = d;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) {
            uint32_t c = crc32_table[t - 1][i];
            crc32_table[t][i] = (c >> 8) ^ crc32_table[0][c & 0xFFu];
        }
}

uint32_t rp_crc32_update(uint32_t crc, const void* data, size_t n) {
    call_once(&tables_once, build_tables);
    const uint32_t(*t)[256] = (const uint32_t(*)[256])crc32_table;
    const uint8_t* p = data;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t a = rp_get_u32(p) ^ crc, b = rp_get_u32(p + 4);
        crc = t[7][a & 0xFFu] ^ t[6][(a >> 8) & 0xFFu] ^ t[5][(a >> 16) & 0xFFu] ^ t[4][a >> 24] ^
              t[3][b & 0xFFu] ^ t[2][(b >> 8) & 0xFFu] ^ t[1][(b >> 16) & 0xFFu] ^ t[0][b >> 24];
    }
    for (; n; n--, p++)
        crc = t[0][(crc ^ *p) & 0xFFu] ^ (crc >> 8);
    return crc;
}

uint8_t rp_crc8(const void* data, size_t n) {
    call_once(&tables_once, build_tables);
    const uint8_t* p = data;
    uint8_t crc = 0;
    for (size_t i = 0; i < n; i++)
        crc = crc8_table[crc ^ p[i]];
    return crc;
}

size_t rp_frame_head(uint8_t* out, uint8_t kind, uint32_t length) {
    size_t n = 0;
    out[n++] = kind;
    do {
        uint8_t b = (uint8_t)(length & 0x7Fu);
        length >>= 7;
        out[n++] = length ? (uint8_t)(b | 0x80u) : b;
    } while (length);
    out[n] = rp_crc8(out, n);
    return n + 1;
}

void rp_put_event(uint8_t* p, const sp_event* e) {
    rp_put_u16(p, e->source);
    rp_put_u16(p + 2, e->code);
    rp_put_u16(p + 4, (uint16_t)e->channel);
    rp_put_u16(p + 6, e->flags);
    rp_put_f32(p + 8, e->value);
    rp_put_f32(p + 12, e->limit);
}

void rp_get_event(const uint8_t* p, sp_event* e) {
    e->source = rp_get_u16(p);
    e->code = rp_get_u16(p + 2);
    e->channel = (int16_t)rp_get_u16(p + 4);
    e->flags = rp_get_u16(p + 6);
    e->value = rp_get_f32(p + 8);
    e->limit = rp_get_f32(p + 12);
}

size_t rp_step_payload_size(bool step, unsigned flags, int event_count, size_t action_size,
                            int sensors) {
    size_t n = 1 + 8; /* flags, hash */
    if (step) n += 8 + action_size;
    if (flags & RP_FLAG_APPLIED) n += action_size;
    if (flags & RP_FLAG_EVENTS) n += 1 + RP_EVENT_SIZE * (size_t)event_count;
    if (flags & RP_FLAG_OBS) n += 4 * (size_t)sensors;
    return n;
}
