#include "format.h"

#include <threads.h>
#include <zlib.h>

/* The CRC-8 table, built once on first use, not shipped as 256 magic numbers: the polynomial
 * is the documented fact. C11's call_once makes the first use safe from any thread. */
static uint8_t crc8_table[256];
static once_flag tables_once = ONCE_FLAG_INIT;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint8_t d = (uint8_t)i;
        for (int k = 0; k < 8; k++)
            d = (uint8_t)((d & 0x80) ? (d << 1) ^ 0x07 : d << 1);
        crc8_table[i] = d;
    }
}

/* zlib's crc32 starts from and returns the finished value; ours carries the raw register
 * between calls (RP_CRC32_INIT, rp_crc32_final), hence the two inversions. */
uint32_t rp_crc32_update(uint32_t crc, const void* data, size_t n) {
    return (uint32_t)crc32_z(crc ^ 0xFFFFFFFFu, data, n) ^ 0xFFFFFFFFu;
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
