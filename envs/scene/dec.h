#ifndef SANDPIT_SCENE_DEC_H
#define SANDPIT_SCENE_DEC_H

/* Typed reads from a jansson tree that name the path of what they reject:
 * "bodies[3].shapes[0].radius: must be > 0". The decoder keeps a path stack; each getter
 * reads one key of the current object and reports errors under it. */

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct sc_dec {
    const sp_scene_limits* lim;
    sc_model* m;
    char path[256];
    size_t path_len;
    char* err;
    size_t err_sz;
    bool failed;
    /* Strings the model points to, freed with it. */
    char** strings;
    int string_count;
    int string_cap;
} sc_dec;

/* Appends ".key" or "[i]" to the path; returns the previous length for sc_pop. */
size_t sc_push_key(sc_dec* d, const char* key);
size_t sc_push_index(sc_dec* d, size_t index);
void sc_pop(sc_dec* d, size_t len);

/* Records "path: message" (the first error wins) and returns false. */
bool sc_fail(sc_dec* d, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same at "path.key". */
bool sc_fail_at(sc_dec* d, const char* key, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Refuses keys of `obj` not in `known` (NULL-terminated): typos fail loudly. */
bool sc_only(sc_dec* d, json_t* obj, const char* const* known);

/* Each reads `key` of `obj`. Absent: `required` fails, otherwise the default stays in *out. */
bool sc_num(sc_dec* d, json_t* obj, const char* key, bool required, double lo, double hi,
            double* out);
bool sc_int(sc_dec* d, json_t* obj, const char* key, bool required, long long lo, long long hi,
            int* out);
bool sc_u32(sc_dec* d, json_t* obj, const char* key, uint32_t* out);
bool sc_bool(sc_dec* d, json_t* obj, const char* key, bool* out);
/* A string copied into the model (freed with it); *out stays when absent and not required. */
bool sc_str(sc_dec* d, json_t* obj, const char* key, bool required, const char** out);
/* [x, y], each within +-max_abs: the value itself, errors at the current path. */
bool sc_vec_value(sc_dec* d, json_t* v, cpVect* out);
/* [x, y], each within +-max_abs. */
bool sc_vec(sc_dec* d, json_t* obj, const char* key, bool required, cpVect* out);
/* [lo, hi] with lo <= hi. */
bool sc_range(sc_dec* d, json_t* obj, const char* key, bool required, double* lo, double* hi);
/* An array (or absent: NULL with *n = 0) of at most `max` items. */
bool sc_array(sc_dec* d, json_t* obj, const char* key, bool required, int max, json_t** out,
              int* n);
/* Calls `fn` on each of the `n` items of array `arr` (field `key`), with the path at
 * "key[i]"; stops at the first false. */
typedef bool (*sc_item_fn)(sc_dec* d, json_t* item, int index, void* ctx);
bool sc_each(sc_dec* d, const char* key, json_t* arr, int n, sc_item_fn fn, void* ctx);

/* A name from a list; *out its index. */
bool sc_enum(sc_dec* d, json_t* obj, const char* key, bool required, const char* const* names,
             int count, int* out);
/* A body's name (or null: SC_NONE when `allow_world`), errors at the current path. */
bool sc_body_value(sc_dec* d, json_t* v, bool allow_world, int* out);
/* A string naming a body (or null / absent: SC_NONE when `allow_world`). */
bool sc_body_ref(sc_dec* d, json_t* obj, const char* key, bool allow_world, int* out);
bool sc_joint_ref(sc_dec* d, json_t* obj, const char* key, int* out);
bool sc_role(sc_dec* d, json_t* obj, const char* key, int* out);

/* Copies `s` into the model's strings. NULL when out of memory (and fails). */
const char* sc_strdup(sc_dec* d, const char* s);

/* Callocs `n` items of `size` for the model, counting bytes; NULL fails with no memory. */
void* sc_alloc(sc_dec* d, size_t n, size_t size);

/* The parts, in decode order (decode.c, decode_parts.c). */
bool sc_decode_bodies(sc_dec* d, json_t* root);
bool sc_decode_joints(sc_dec* d, json_t* root);
bool sc_decode_actuators(sc_dec* d, json_t* root);
bool sc_decode_sensors(sc_dec* d, json_t* root);
bool sc_decode_outcomes(sc_dec* d, json_t* root);
bool sc_decode_randomize(sc_dec* d, json_t* root);
bool sc_decode_generators(sc_dec* d, json_t* root);
/* The level generator (gen_level.c): its keys, and (after the actuators) every slot actuator
 * against its slots. */
bool sc_decode_level(sc_dec* d, json_t* o, sc_generator* g);
bool sc_level_check_slots(sc_dec* d);

/* A channel by name (observed or hidden), or -1 after failing at the current path. */
int sc_channel_value(sc_dec* d, json_t* v);
/* A channel by name (observed or hidden), or -1 after failing at `key`. */
int sc_channel_ref(sc_dec* d, json_t* obj, const char* key);

#endif
