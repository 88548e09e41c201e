#ifndef SANDPIT_REPLAY_FORMAT_H
#define SANDPIT_REPLAY_FORMAT_H

/* The byte-level layout of a .sprp file, shared by the writer and the reader: constants,
 * checksums, little-endian and LEB128 helpers, event packing. docs/REPLAY_FORMAT.md is the
 * contract; every number here is in it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sandpit/episode.h"

#define RP_MAGIC "SPRP"
#define RP_PREAMBLE_SIZE 8

/* Record kinds: one ASCII byte each, so a hex dump reads. */
#define RP_KIND_HEADER 'H'
#define RP_KIND_RESET 'R'
#define RP_KIND_STEP 'S'
#define RP_KIND_FOOTER 'F'

/* Frame: kind, LEB128 length (at most 4 bytes), frame check; payload; CRC-32. */
#define RP_MAX_LENGTH_BYTES 4
#define RP_MAX_PAYLOAD ((1u << 24) - 1)
#define RP_FRAME_HEAD_MAX (1 + RP_MAX_LENGTH_BYTES + 1)
#define RP_CRC_SIZE 4

/* Caps on the variable-size records; anything longer is damage, not data. */
#define RP_MAX_HEADER_PAYLOAD (1u << 20)
#define RP_MAX_FOOTER_PAYLOAD 4096u

/* Reset and step flags. */
#define RP_FLAG_TERMINATED 0x01u
#define RP_FLAG_TRUNCATED 0x02u
#define RP_FLAG_EVENTS 0x04u
#define RP_FLAG_OBS 0x08u
#define RP_FLAG_APPLIED 0x10u /* the applied action differs from the given one and follows it */
#define RP_FLAG_KNOWN 0x1Fu

#define RP_EVENT_SIZE 16

/* The largest reset or step payload: flags, hash, reward, two actions, events, observation. */
#define RP_MAX_STEP_PAYLOAD                                                                        \
    (1 + 8 + 8 + 2 * 4 * SP_MAX_ACTUATORS + 1 + RP_EVENT_SIZE * SP_MAX_STEP_EVENTS +               \
     4 * SP_MAX_SENSORS)
#define RP_MAX_STEP_RECORD (RP_FRAME_HEAD_MAX + RP_MAX_STEP_PAYLOAD + RP_CRC_SIZE)

/* CRC-32 (IEEE), computed by zlib: rp_crc32_update(RP_CRC32_INIT, ...) then rp_crc32_final.
 * Incremental, so a record's CRC can span the frame head and the payload without copying them
 * together. */
#define RP_CRC32_INIT 0xFFFFFFFFu
uint32_t rp_crc32_update(uint32_t crc, const void* data, size_t n);
static inline uint32_t rp_crc32_final(uint32_t crc) {
    return crc ^ 0xFFFFFFFFu;
}

/* CRC-8/SMBUS of the frame head: detects any single damaged byte in kind and length. */
uint8_t rp_crc8(const void* data, size_t n);

/* Whether `kind` is one of the four record kinds. */
static inline bool rp_kind_valid(int kind) {
    return kind == RP_KIND_HEADER || kind == RP_KIND_RESET || kind == RP_KIND_STEP ||
           kind == RP_KIND_FOOTER;
}

/* Writes kind, LEB128 length and frame check at `out`; returns the bytes written (3..6). */
size_t rp_frame_head(uint8_t* out, uint8_t kind, uint32_t length);

/* Little-endian stores and loads: written out byte by byte so the file is the same on any
 * host; compilers turn these into single moves on little-endian machines. */
static inline void rp_put_u16(uint8_t* p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void rp_put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void rp_put_u64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void rp_put_f32(uint8_t* p, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    rp_put_u32(p, u);
}
static inline void rp_put_f64(uint8_t* p, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    rp_put_u64(p, u);
}
static inline uint16_t rp_get_u16(const uint8_t* p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t rp_get_u32(const uint8_t* p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint64_t rp_get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline float rp_get_f32(const uint8_t* p) {
    uint32_t u = rp_get_u32(p);
    float v;
    memcpy(&v, &u, 4);
    return v;
}
static inline double rp_get_f64(const uint8_t* p) {
    uint64_t u = rp_get_u64(p);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* Events: 16 bytes each (source, code, channel, flags, value, limit). */
void rp_put_event(uint8_t* p, const sp_event* e);
void rp_get_event(const uint8_t* p, sp_event* e);

/* Action bytes in a step record: 4 for a discrete env, 4 per actuator for a continuous one. */
static inline size_t rp_action_size(bool discrete, int actuators) {
    return discrete ? 4u : 4u * (size_t)actuators;
}

/* The exact payload length a reset (`step` false) or step record with `flags` must have. */
size_t rp_step_payload_size(bool step, unsigned flags, int event_count, size_t action_size,
                            int sensors);

#endif
