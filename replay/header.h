#ifndef SANDPIT_REPLAY_HEADER_H
#define SANDPIT_REPLAY_HEADER_H

/* The two msgpack records of a replay, header and footer: packing (recorder) and strict
 * parsing (reader) side by side, so key names and types cannot drift apart. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/replay.h"

/* A growable byte buffer that msgpack-c's packer writes into. Kept across episodes, so after
 * the first file packing allocates nothing. */
typedef struct rp_buf {
    uint8_t* data;
    size_t len;
    size_t cap;
    bool failed; /* out of memory at some point */
} rp_buf;

void rp_buf_free(rp_buf* b);

/* What a header says about one episode, in the recorder's terms. */
typedef struct rp_header_in {
    const sp_env_spec* spec;
    int max_steps;
    uint64_t seed;
    sp_rng seed_stream;
    uint64_t episode;
    bool observations;
    const uint8_t* config; /* one msgpack map; NULL: empty */
    size_t config_size;
    const char* scene; /* a scene env's canonical JSON, stored under "scene"; NULL: none */
    size_t scene_len;
} rp_header_in;

/* Replaces `b`'s contents with the header map. Returns false when out of memory. */
bool rp_pack_header(rp_buf* b, const rp_header_in* in);

/* Parses a header map. `config` in `h` points into `data`. Returns false with a message. */
bool rp_parse_header(const uint8_t* data, size_t n, sp_replay_header* h, char* err, size_t err_sz);

/* Replaces `b`'s contents with the footer map. Returns false when out of memory. */
bool rp_pack_footer(rp_buf* b, const sp_replay_footer* f);

/* Parses a footer map. Returns false with a message. */
bool rp_parse_footer(const uint8_t* data, size_t n, sp_replay_footer* f, char* err, size_t err_sz);

/* Whether `data` holds exactly one msgpack map (a recorder's config). */
bool rp_is_one_map(const uint8_t* data, size_t n);

#endif
