#ifndef SANDPIT_FAULTS_H
#define SANDPIT_FAULTS_H

/* Fault injection: one layer of the episode runtime that makes sensors late, missing or wrong,
 * actions late or lost, rewards late, and physics parameters off, on any env, through the
 * sensor and actuator channels the env declares.
 *
 * A fault is {kind, target, schedule, params}. Kinds, parameters, schedule types and their
 * fields are listed once below (X-macros): the C def struct, validation, defaults, the wire
 * decoder's name lookups, docs/FAULTS.md and the tests all follow these tables.
 *
 * Every fault draws from its own stream, seeded from (episode seed, "fault/<index>/<kind>"),
 * and its schedule from "fault/<index>/<kind>/schedule": turning a fault on never changes the
 * env's draws or another fault's. All the layer's per-episode state is in the state hash.
 * Buffers are allocated when the list is set; stepping allocates and formats nothing. */

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandpit/env.h"
#include "sandpit/episode.h"
#include "sandpit/rng.h"

/* What a kind acts on. */
#define SP_FAULT_DOMAIN_LIST(X)                                                                    \
    X(SP_FAULT_SENSOR, 0, "sensor")                                                                \
    X(SP_FAULT_ACTION, 1, "action")                                                                \
    X(SP_FAULT_REWARD, 2, "reward")                                                                \
    X(SP_FAULT_PHYSICS, 3, "physics")                                                              \
    X(SP_FAULT_PIXELS, 4, "pixels")

typedef enum sp_fault_domain {
#define SP_FAULT_DOMAIN_ENUM(sym, num, name) sym = num,
    SP_FAULT_DOMAIN_LIST(SP_FAULT_DOMAIN_ENUM)
#undef SP_FAULT_DOMAIN_ENUM
} sp_fault_domain;

/* Fault kinds: symbol, number (event code, replay), stable wire name, domain, one line.
 * Numbers are dense from 1 and never change; 64 and up are kept for the server's transport
 * faults (delayed reply, dropped reply, restart), which are not episode faults. */
#define SP_FAULT_KIND_LIST(X)                                                                      \
    X(SP_FAULT_DELAY, 1, "delay", SP_FAULT_SENSOR, "the reading of `steps` steps ago")             \
    X(SP_FAULT_OUTAGE, 2, "outage", SP_FAULT_SENSOR, "the reading is zero, held or NaN")           \
    X(SP_FAULT_NOISE, 3, "noise", SP_FAULT_SENSOR, "additive Gaussian noise of std `sigma`")       \
    X(SP_FAULT_STUCK, 4, "stuck", SP_FAULT_SENSOR, "frozen at its value when the window opened")   \
    X(SP_FAULT_BIAS, 5, "bias", SP_FAULT_SENSOR, "a constant `offset`")                            \
    X(SP_FAULT_DRIFT, 6, "drift", SP_FAULT_SENSOR, "an offset growing by `rate` per step")         \
    X(SP_FAULT_SPIKES, 7, "spikes", SP_FAULT_SENSOR, "outliers of +-`magnitude`, at random")       \
    X(SP_FAULT_ACTION_DELAY, 8, "action_delay", SP_FAULT_ACTION, "the action of `steps` ago")      \
    X(SP_FAULT_ACTION_DROP, 9, "action_drop", SP_FAULT_ACTION, "the previous action or zero")      \
    X(SP_FAULT_ACTION_REPEAT, 10, "action_repeat", SP_FAULT_ACTION,                                \
      "each action held for `steps` more steps")                                                   \
    X(SP_FAULT_ACTION_NOISE, 11, "action_noise", SP_FAULT_ACTION,                                  \
      "Gaussian noise, then clipped to the bounds")                                                \
    X(SP_FAULT_REWARD_DELAY, 12, "reward_delay", SP_FAULT_REWARD, "rewards paid `steps` late")     \
    X(SP_FAULT_GRAVITY, 13, "gravity", SP_FAULT_PHYSICS, "the world's gravity vector")             \
    X(SP_FAULT_FRICTION, 14, "friction", SP_FAULT_PHYSICS, "every shape's friction")               \
    X(SP_FAULT_MASS, 15, "mass", SP_FAULT_PHYSICS, "every dynamic body's mass and moment")         \
    X(SP_FAULT_MOTOR, 16, "motor", SP_FAULT_PHYSICS, "continuous actuator strength")               \
    X(SP_FAULT_BLACKOUT, 17, "blackout", SP_FAULT_PIXELS, "the frame is black")                    \
    X(SP_FAULT_PIXEL_NOISE, 18, "pixel_noise", SP_FAULT_PIXELS,                                    \
      "Gaussian noise of std `sigma` on every pixel value")                                        \
    X(SP_FAULT_FRAME_DELAY, 19, "frame_delay", SP_FAULT_PIXELS, "the frame of `steps` ago")        \
    X(SP_FAULT_OCCLUSION, 20, "occlusion", SP_FAULT_PIXELS,                                        \
      "a black box of `size` at a random place")

typedef enum sp_fault_kind {
#define SP_FAULT_KIND_ENUM(sym, num, name, domain, doc) sym = num,
    SP_FAULT_KIND_LIST(SP_FAULT_KIND_ENUM)
#undef SP_FAULT_KIND_ENUM
} sp_fault_kind;

/* Slots for arrays indexed by kind number (index 0 unused). */
#define SP_FAULT_KIND_SLOTS 21

/* A bit per kind, for the tables' "applies to" and "required by" columns. */
#define SP_FAULT_BIT(kind) (1u << (kind))
#define SP_FAULT_SENSOR_KINDS                                                                      \
    (SP_FAULT_BIT(SP_FAULT_DELAY) | SP_FAULT_BIT(SP_FAULT_OUTAGE) | SP_FAULT_BIT(SP_FAULT_NOISE) | \
     SP_FAULT_BIT(SP_FAULT_STUCK) | SP_FAULT_BIT(SP_FAULT_BIAS) | SP_FAULT_BIT(SP_FAULT_DRIFT) |   \
     SP_FAULT_BIT(SP_FAULT_SPIKES))
#define SP_FAULT_PHYSICS_KINDS                                                                     \
    (SP_FAULT_BIT(SP_FAULT_GRAVITY) | SP_FAULT_BIT(SP_FAULT_FRICTION) |                            \
     SP_FAULT_BIT(SP_FAULT_MASS) | SP_FAULT_BIT(SP_FAULT_MOTOR))
#define SP_FAULT_PIXEL_KINDS                                                                       \
    (SP_FAULT_BIT(SP_FAULT_BLACKOUT) | SP_FAULT_BIT(SP_FAULT_PIXEL_NOISE) |                        \
     SP_FAULT_BIT(SP_FAULT_FRAME_DELAY) | SP_FAULT_BIT(SP_FAULT_OCCLUSION))
#define SP_FAULT_STEP_KINDS                                                                        \
    (SP_FAULT_BIT(SP_FAULT_DELAY) | SP_FAULT_BIT(SP_FAULT_ACTION_DELAY) |                          \
     SP_FAULT_BIT(SP_FAULT_ACTION_REPEAT) | SP_FAULT_BIT(SP_FAULT_REWARD_DELAY) |                  \
     SP_FAULT_BIT(SP_FAULT_FRAME_DELAY))

#define SP_FAULT_SIGMA_KINDS                                                                       \
    (SP_FAULT_BIT(SP_FAULT_NOISE) | SP_FAULT_BIT(SP_FAULT_ACTION_NOISE) |                          \
     SP_FAULT_BIT(SP_FAULT_PIXEL_NOISE))
/* frame_delay keeps steps + 1 whole frames: a smaller bound than SP_FAULT_MAX_STEPS. */
#define SP_FAULT_MAX_FRAME_DELAY 32

/* Choices of the CHOICE-typed fields: symbol, value, wire name. */
#define SP_FAULT_OUTAGE_MODE_LIST(X)                                                               \
    X(SP_OUTAGE_ZERO, 0, "zero")                                                                   \
    X(SP_OUTAGE_HOLD, 1, "hold")                                                                   \
    X(SP_OUTAGE_NAN, 2, "nan")
#define SP_FAULT_DROP_FILL_LIST(X)                                                                 \
    X(SP_DROP_PREVIOUS, 0, "previous")                                                             \
    X(SP_DROP_ZERO, 1, "zero")
#define SP_FAULT_UPDATE_LIST(X)                                                                    \
    X(SP_UPDATE_STEP, 0, "step")                                                                   \
    X(SP_UPDATE_EPISODE, 1, "episode")
#define SP_FAULT_NO_CHOICES(X)

#define SP_FAULT_CHOICE_ENUM(sym, num, name) sym = num,
typedef enum sp_outage_mode { SP_FAULT_OUTAGE_MODE_LIST(SP_FAULT_CHOICE_ENUM) } sp_outage_mode;
typedef enum sp_drop_fill { SP_FAULT_DROP_FILL_LIST(SP_FAULT_CHOICE_ENUM) } sp_drop_fill;
typedef enum sp_fault_update { SP_FAULT_UPDATE_LIST(SP_FAULT_CHOICE_ENUM) } sp_fault_update;

/* Fault parameters: C field, wire name, type (INT, REAL, CHOICE), choice list, kinds it
 * applies to, kinds that require it, default, one line. A field a kind does not take is
 * ignored in C and refused on the wire. Semantics in docs/FAULTS.md. */
#define SP_FAULT_PARAM_LIST(X)                                                                     \
    X(steps, "steps", INT, SP_FAULT_NO_CHOICES, SP_FAULT_STEP_KINDS, SP_FAULT_STEP_KINDS, 1,       \
      "delay in steps (delays); extra steps each action is held (action_repeat)")                  \
    X(mode, "mode", CHOICE, SP_FAULT_OUTAGE_MODE_LIST, SP_FAULT_BIT(SP_FAULT_OUTAGE), 0, 0,        \
      "what an outage reads: zero, hold (the last good value) or nan")                             \
    X(fill, "fill", CHOICE, SP_FAULT_DROP_FILL_LIST, SP_FAULT_BIT(SP_FAULT_ACTION_DROP), 0, 0,     \
      "what replaces a dropped action: previous or zero")                                          \
    X(noop, "noop", INT, SP_FAULT_NO_CHOICES,                                                      \
      SP_FAULT_BIT(SP_FAULT_ACTION_DELAY) | SP_FAULT_BIT(SP_FAULT_ACTION_DROP), 0, 0,              \
      "discrete envs: the action index that stands for \"no action\"")                             \
    X(sigma, "sigma", REAL, SP_FAULT_NO_CHOICES, SP_FAULT_SIGMA_KINDS, SP_FAULT_SIGMA_KINDS, 0,    \
      "standard deviation of the noise, in the channel's unit (pixel values: 0..255)")             \
    X(offset, "offset", REAL, SP_FAULT_NO_CHOICES,                                                 \
      SP_FAULT_BIT(SP_FAULT_BIAS) | SP_FAULT_PHYSICS_KINDS, SP_FAULT_BIT(SP_FAULT_BIAS), 0,        \
      "added to the value (after the scale, for physics kinds)")                                   \
    X(rate, "rate", REAL, SP_FAULT_NO_CHOICES, SP_FAULT_BIT(SP_FAULT_DRIFT),                       \
      SP_FAULT_BIT(SP_FAULT_DRIFT), 0, "offset added per step since the window opened")            \
    X(probability, "probability", REAL, SP_FAULT_NO_CHOICES, SP_FAULT_BIT(SP_FAULT_SPIKES),        \
      SP_FAULT_BIT(SP_FAULT_SPIKES), 0, "chance per channel and active step of a spike")           \
    X(magnitude, "magnitude", REAL, SP_FAULT_NO_CHOICES, SP_FAULT_BIT(SP_FAULT_SPIKES),            \
      SP_FAULT_BIT(SP_FAULT_SPIKES), 0, "size of a spike; its sign is random")                     \
    X(scale, "scale", REAL, SP_FAULT_NO_CHOICES, SP_FAULT_PHYSICS_KINDS, 0, 1,                     \
      "factor on the nominal value when the window opens")                                         \
    X(drift, "drift", REAL, SP_FAULT_NO_CHOICES, SP_FAULT_PHYSICS_KINDS, 0, 0,                     \
      "added to the factor per step since the window opened")                                      \
    X(walk, "walk", REAL, SP_FAULT_NO_CHOICES, SP_FAULT_PHYSICS_KINDS, 0, 0,                       \
      "std of the factor's random walk per step (or of its one draw per episode)")                 \
    X(update, "update", CHOICE, SP_FAULT_UPDATE_LIST, SP_FAULT_PHYSICS_KINDS, 0, 0,                \
      "step: drift and walk move every step; episode: one draw when the window opens")             \
    X(size, "size", REAL, SP_FAULT_NO_CHOICES, SP_FAULT_BIT(SP_FAULT_OCCLUSION), 0, 0.25,          \
      "occlusion: the box's side as a fraction of the frame's width and height, (0, 1]")

/* Schedule types: symbol, value, wire name. */
#define SP_FAULT_SCHEDULE_LIST(X)                                                                  \
    X(SP_SCHEDULE_ALWAYS, 0, "always")                                                             \
    X(SP_SCHEDULE_WINDOW, 1, "window")                                                             \
    X(SP_SCHEDULE_PROBABILITY, 2, "probability")                                                   \
    X(SP_SCHEDULE_PERIODIC, 3, "periodic")

typedef enum sp_fault_schedule_type {
    SP_FAULT_SCHEDULE_LIST(SP_FAULT_CHOICE_ENUM)
} sp_fault_schedule_type;

#define SP_SCHEDULE_BIT(type) (1u << (type))
#define SP_SCHEDULE_ALL 0xFu

/* Schedule fields, in the same columns as the params (applies/requires are schedule-type
 * bits). Step t is 0 at reset and n after the n-th step. `duty` or `duty_fraction`: exactly
 * one of them, for periodic schedules. */
#define SP_FAULT_SCHEDULE_FIELD_LIST(X)                                                            \
    X(start, "start", INT, SP_FAULT_NO_CHOICES, SP_SCHEDULE_ALL, 0, 0,                             \
      "first step at which the fault may be active")                                               \
    X(end, "end", INT, SP_FAULT_NO_CHOICES, SP_SCHEDULE_ALL, 0, INT_MAX,                           \
      "first step at which it no longer is (exclusive); default: never")                           \
    X(probability, "probability", REAL, SP_FAULT_NO_CHOICES,                                       \
      SP_SCHEDULE_BIT(SP_SCHEDULE_PROBABILITY), SP_SCHEDULE_BIT(SP_SCHEDULE_PROBABILITY), 0,       \
      "chance per step that an occurrence starts")                                                 \
    X(duration, "duration", INT, SP_FAULT_NO_CHOICES, SP_SCHEDULE_BIT(SP_SCHEDULE_PROBABILITY), 0, \
      1, "steps an occurrence lasts")                                                              \
    X(period, "period", INT, SP_FAULT_NO_CHOICES, SP_SCHEDULE_BIT(SP_SCHEDULE_PERIODIC),           \
      SP_SCHEDULE_BIT(SP_SCHEDULE_PERIODIC), 0, "steps per cycle, counted from start")             \
    X(duty, "duty", INT, SP_FAULT_NO_CHOICES, SP_SCHEDULE_BIT(SP_SCHEDULE_PERIODIC), 0, INT_MIN,   \
      "active steps at the start of each cycle")                                                   \
    X(duty_fraction, "duty_fraction", REAL, SP_FAULT_NO_CHOICES,                                   \
      SP_SCHEDULE_BIT(SP_SCHEDULE_PERIODIC), 0, NAN,                                               \
      "active fraction of each cycle, rounded to whole steps")

#define SP_FAULT_CTYPE_INT int
#define SP_FAULT_CTYPE_REAL double
#define SP_FAULT_CTYPE_CHOICE int
#define SP_FAULT_FIELD_DECL(field, name, type, choices, applies, required, def, doc)               \
    SP_FAULT_CTYPE_##type field;

/* When the fault is active. Make it with sp_default_fault_schedule(). */
typedef struct sp_fault_schedule {
    sp_fault_schedule_type type;
    SP_FAULT_SCHEDULE_FIELD_LIST(SP_FAULT_FIELD_DECL)
} sp_fault_schedule;

#define SP_MAX_FAULTS 64
#define SP_FAULT_MAX_STEPS 1000 /* delays and repeats: bounds the buffers a request can ask for */
#define SP_FAULT_MAX_TARGET 128 /* target glob length */
#define SP_FAULT_UNSET_INT INT_MIN /* a required INT/CHOICE field not yet given */
/* A required REAL field not yet given is NaN. */

/* One fault. Make it with sp_default_fault_def(kind); `target` is copied by sp_faults_set. */
typedef struct sp_fault_def {
    sp_fault_kind kind;
    const char* target; /* fnmatch glob over the kind's channels; NULL means "*" */
    sp_fault_schedule schedule;
    SP_FAULT_PARAM_LIST(SP_FAULT_FIELD_DECL)
} sp_fault_def;

/* The always schedule. */
sp_fault_schedule sp_default_fault_schedule(void);

/* A def of `kind` with target "*", the always schedule and the table's defaults; fields the
 * kind requires are unset (NaN or SP_FAULT_UNSET_INT), so forgetting one is an error. */
sp_fault_def sp_default_fault_def(sp_fault_kind kind);

/* ---- tables, for decoders, encoders, docs and tests ---- */

typedef enum sp_fault_value_type {
    SP_FAULT_INT,
    SP_FAULT_REAL,
    SP_FAULT_CHOICE
} sp_fault_value_type;

/* One row of the param or schedule-field table. */
typedef struct sp_fault_field {
    const char* name;
    sp_fault_value_type type;
    size_t offset;     /* in sp_fault_def (params) or sp_fault_schedule (schedule fields) */
    uint32_t applies;  /* SP_FAULT_BIT(kind) or SP_SCHEDULE_BIT(type) */
    uint32_t required; /* kinds (or types) that must give it */
    double default_value;
    const char* const* choices; /* CHOICE: names indexed by value, NULL-terminated */
    const char* doc;
} sp_fault_field;

/* The tables (static storage). */
const sp_fault_field* sp_fault_params(int* count);
const sp_fault_field* sp_fault_schedule_fields(int* count);

/* A row by wire name, or NULL. */
const sp_fault_field* sp_fault_param_find(const char* name);
const sp_fault_field* sp_fault_schedule_field_find(const char* name);

/* Stores `value` into `field` of `base` (an sp_fault_def for params, an sp_fault_schedule
 * for schedule fields). INT and CHOICE fields take integral values in int range; a CHOICE
 * takes the value of one of its names. Returns 0 or SP_E_BAD_ARGUMENT. */
int sp_fault_field_set(const sp_fault_field* field, void* base, double value);

/* Reads `field` of `base` as a double. */
double sp_fault_field_get(const sp_fault_field* field, const void* base);

/* A CHOICE field's value for `name`, or -1. */
int sp_fault_choice_value(const sp_fault_field* field, const char* name);

/* Kind number for a wire name, or 0; wire name (static) for a number, or NULL. */
int sp_fault_kind_from_name(const char* name);
const char* sp_fault_kind_name(int kind);

/* What a kind acts on (SP_FAULT_SENSOR for an unknown number). */
sp_fault_domain sp_fault_kind_domain(sp_fault_kind kind);

/* Schedule type for a wire name, or -1; wire name for a type, or NULL. */
int sp_fault_schedule_type_from_name(const char* name);
const char* sp_fault_schedule_type_name(int type);
/* Checks a schedule's fields (messages name "faults[index].schedule.<field>"), and the
 * active steps per period of a periodic one; also used by the server's transport faults. */
int sp_fault_schedule_check(const sp_fault_schedule* s, int index, char* err, size_t err_sz);
int sp_fault_schedule_duty(const sp_fault_schedule* s);

/* The standard normal draw of every fault that adds noise or walks (a ziggurat: one 64-bit
 * draw from `rng` in 99% of calls). Public so that a tool or a test can reproduce a fault's
 * draws from its documented stream. Thread-safe. */
double sp_fault_normal(sp_rng* rng);

/* ---- the fault set of one episode ---- */

typedef struct sp_faults sp_faults;

/* Checks a list against an env without building anything: 0, or SP_E_BAD_ARGUMENT with a
 * message naming the fault and field ("faults[2].sigma: ..."). */
int sp_faults_validate(const sp_fault_def* list, int count, const sp_env_spec* spec, char* err,
                       size_t err_sz);

/* The bytes a set of this (valid) list holds for one episode: its faults and the buffers
 * they keep between steps (delay rings, held values), an upper bound a server counts against
 * its memory ceiling before it builds anything. The physics faults' copies of nominal masses
 * and frictions scale with the env's bodies and shapes and are counted with the episode. */
size_t sp_faults_cost(const sp_fault_def* list, int count, const sp_env_spec* spec);

/* The bytes the frame_delay faults of a (valid) list hold beside sp_faults_cost, with frames
 * of `frame_bytes` (pixel observations): (steps + 1) frames each. */
size_t sp_faults_frame_cost(const sp_fault_def* list, int count, size_t frame_bytes);

/* Validates `list` (count 0 is an empty set) and builds a fault set for episodes of `spec`.
 * Returns NULL with a message on a bad list or no memory. The caller owns the result
 * (sp_faults_destroy); nothing in `list` is kept. */
sp_faults* sp_faults_create(const sp_fault_def* list, int count, const sp_env_spec* spec, char* err,
                            size_t err_sz);

/* Replaces the list (the reset options' override). Takes effect at the next reset; until
 * then the layer is idle, so call it between episodes. On error the old list stays.
 * Returns 0, SP_E_BAD_ARGUMENT or SP_E_NO_MEMORY. */
int sp_faults_set(sp_faults* faults, const sp_fault_def* list, int count, char* err, size_t err_sz);

/* Adds the fault layer to `ep` (whose env must have the spec the set was made for), after
 * the guardrail layer (guard.actions -> faults.actions). It refuses only what the runtime
 * would refuse anyway (a NaN or Inf command, before it can enter a delay buffer), and a step
 * refused after it ran, by a later layer or the runtime's final check, leaves its state as
 * it was. The set serves one episode object and must outlive it. Returns 0,
 * SP_E_BAD_ARGUMENT (another spec, or already attached) or SP_E_LIMIT (no layer slot). */
int sp_faults_attach(sp_faults* faults, sp_episode* ep);

/* Frees the set. NULL is allowed. Destroy the episode first (or never step it again). */
void sp_faults_destroy(sp_faults* faults);

/* Faults in the list, and one of them (owned by the set, target included; valid until the
 * next sp_faults_set or sp_faults_destroy), or NULL past the end. */
int sp_faults_count(const sp_faults* faults);
const sp_fault_def* sp_faults_def(const sp_faults* faults, int index);

/* Bit i set when fault i is active at the current step (info["faults"]). */
uint64_t sp_faults_active(const sp_faults* faults);

/* Per sensor channel: 0 while an outage covers it this step, else 1 (info["sensor_valid"]).
 * spec->sensor_count bytes, valid until the next step. */
const uint8_t* sp_faults_sensor_valid(const sp_faults* faults);

/* Counters over the set's life (all its episodes), per kind number; for the server's
 * stats, so not part of any episode's state hash. */
typedef struct sp_fault_stats {
    uint64_t windows[SP_FAULT_KIND_SLOTS];      /* windows opened */
    uint64_t active_steps[SP_FAULT_KIND_SLOTS]; /* fault-steps spent active */
    uint64_t events[SP_FAULT_KIND_SLOTS];       /* spikes and dropped actions, per channel */
} sp_fault_stats;

/* Writes the counters into `out`; a replaced list's counts are kept. */
void sp_faults_stats(const sp_faults* faults, sp_fault_stats* out);

/* Sets every counter to zero. */
void sp_faults_clear_stats(sp_faults* faults);

/* Events (source SP_EVENT_FAULT, code = kind): `flags` packs what happened and which fault
 * of the list; `channel` is the sensor or actuator index (0 for a discrete env's action,
 * 0/1 for gravity x/y), -1 for none. Open and close carry the fault's first channel. */
#define SP_FAULT_EVENT_LIST(X)                                                                     \
    X(SP_FAULT_EVENT_OPEN, 1, "open")                                                              \
    X(SP_FAULT_EVENT_CLOSE, 2, "close")                                                            \
    X(SP_FAULT_EVENT_SPIKE, 3, "spike")                                                            \
    X(SP_FAULT_EVENT_DROP, 4, "drop")

typedef enum sp_fault_event_type { SP_FAULT_EVENT_LIST(SP_FAULT_CHOICE_ENUM) } sp_fault_event_type;

#define SP_FAULT_EVENT_FLAGS(type, index) ((uint16_t)(((unsigned)(index) << 8) | (unsigned)(type)))
#define SP_FAULT_EVENT_TYPE(flags) ((sp_fault_event_type)((flags)&0xFu))
#define SP_FAULT_EVENT_INDEX(flags) ((int)((flags) >> 8))

#undef SP_FAULT_FIELD_DECL

#endif
