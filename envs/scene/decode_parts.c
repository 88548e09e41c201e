/* The scene decoder's parts after bodies and joints: actuators and the action table, sensors
 * and their channels, reward terms and conditions, randomization, generators. */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dec.h"
#include "gen_track.h"
#include "sandpit/envs.h"
#include "wheel.h"

#define SC_PI 3.14159265358979323846

/* ---- actuators and actions ---- */

static const char* const actuator_types[] = {"thruster",   "motor_speed",  "motor_torque",
                                             "servo",      "wheel",        "motor_effort",
                                             "slot_motor", "slot_thruster"};
static const char* const frames[] = {"body", "world"};

static const char* const slot_keys[] = {"name", "type", "slot", "gain", "low",
                                        "high", "unit", "doc",  NULL};

static bool decode_actuator(sc_dec* d, json_t* o, sc_actuator* a, int index) {
    static const char* const keys[] = {
        "name",  "type", "body", "point",      "direction",       "frame",
        "joint", "gain", "kp",   "kd",         "max_torque",      "low",
        "high",  "unit", "doc",  "dispersion", "dispersion_from", "fuel",
        "speed", "slot", NULL};
    static const char* const wheel_keys[] = {"name",  "type", "body", "point",   "direction",
                                             "steer", "gain", "low",  "high",    "unit",
                                             "doc",   "grip", "drag", "lateral", NULL};
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    int type = 0, frame = 0;
    double max = d->lim->max_abs;
    a->gain = 1.0;
    a->direction = cpv(1.0, 0.0);
    a->ch.low = -1.0;
    a->ch.high = 1.0;
    a->ch.unit = "1";
    a->ch.doc = "";
    a->dispersion_from = -1;
    if (!sc_enum(d, o, "type", true, actuator_types, 8, &type) ||
        !sc_only(d, o, type == SC_A_WHEEL ? wheel_keys : keys) ||
        !sc_str(d, o, "name", true, &a->ch.name) ||
        !sc_num(d, o, "gain", false, -max, max, &a->gain) ||
        !sc_num(d, o, "low", false, -max, max, &a->ch.low) ||
        !sc_num(d, o, "high", false, -max, max, &a->ch.high) ||
        !sc_str(d, o, "unit", false, &a->ch.unit) || !sc_str(d, o, "doc", false, &a->ch.doc))
        return false;
    if (!(a->ch.low < a->ch.high)) return sc_fail_at(d, "high", "must be > low");
    for (int i = 0; i < index; i++)
        if (!strcmp(d->m->actuators[i].ch.name, a->ch.name))
            return sc_fail_at(d, "name", "'%s' is taken by actuators[%d]", a->ch.name, i);
    a->kind = (sc_actuator_kind)type;
    if (a->kind == SC_A_WHEEL) return sc_wheel_decode(d, o, a);
    /* Slots are checked against the level generator once generators are decoded. */
    if (a->kind == SC_A_SLOT_MOTOR || a->kind == SC_A_SLOT_THRUSTER)
        return sc_only(d, o, slot_keys) && sc_int(d, o, "slot", true, 0, 7, &a->slot);
    if (json_object_get(o, "slot")) return sc_fail_at(d, "slot", "applies to slot actuators");
    if (a->kind == SC_A_THRUSTER) {
        if (!sc_body_ref(d, o, "body", false, &a->body) ||
            !sc_vec(d, o, "point", false, &a->point) ||
            !sc_vec(d, o, "direction", false, &a->direction) ||
            !sc_enum(d, o, "frame", false, frames, 2, &frame))
            return false;
        if (d->m->bodies[a->body].kind != SC_DYNAMIC)
            return sc_fail_at(d, "body", "must be a dynamic body");
        if (cpveql(a->direction, cpvzero)) return sc_fail_at(d, "direction", "must not be [0, 0]");
        a->world_frame = frame == 1;
        if (!sc_num(d, o, "dispersion", false, 0.0, 1.0, &a->dispersion) ||
            !sc_bool(d, o, "fuel", &a->fuel))
            return false;
        if (a->fuel && !d->m->has_fuel)
            return sc_fail_at(d, "fuel", "needs a tank: world.fuel (N s)");
        json_t* from = json_object_get(o, "dispersion_from");
        if (from) {
            for (int i = 0; i < index && json_is_string(from); i++)
                if (!strcmp(d->m->actuators[i].ch.name, json_string_value(from)) &&
                    d->m->actuators[i].kind == SC_A_THRUSTER && d->m->actuators[i].dispersion > 0)
                    a->dispersion_from = i;
            if (a->dispersion_from < 0)
                return sc_fail_at(d, "dispersion_from",
                                  "must name an earlier thruster with a dispersion");
            if (a->dispersion > 0)
                return sc_fail_at(d, "dispersion", "and dispersion_from exclude each other");
        }
        return true;
    }
    if (json_object_get(o, "dispersion") || json_object_get(o, "fuel") ||
        json_object_get(o, "dispersion_from"))
        return sc_fail(d, "dispersion and fuel apply to thrusters");
    if (!sc_joint_ref(d, o, "joint", &a->joint)) return false;
    const sc_joint* j = &d->m->joints[a->joint];
    if ((a->kind == SC_A_MOTOR_SPEED || a->kind == SC_A_MOTOR_EFFORT) && !j->has_motor)
        return sc_fail_at(d, "joint", "motor_speed and motor_effort need a joint with a \"motor\"");
    if (a->kind == SC_A_MOTOR_EFFORT) {
        if (!sc_num(d, o, "speed", true, 1e-6, max, &a->speed)) return false;
    } else if (json_object_get(o, "speed")) {
        return sc_fail_at(d, "speed", "applies to motor_effort");
    }
    if (a->kind == SC_A_SERVO) {
        a->max_torque = j->max_torque;
        if (!sc_num(d, o, "kp", true, 0.0, max, &a->kp) ||
            !sc_num(d, o, "kd", false, 0.0, max, &a->kd) ||
            !sc_num(d, o, "max_torque", !j->has_motor, 0.0, max, &a->max_torque))
            return false;
    }
    if (j->kind != SC_PIVOT && j->kind != SC_ROTARY_SPRING)
        return sc_fail_at(d, "joint", "motors and servos drive pivot or rotary_spring joints");
    return true;
}

static bool actuator_item(sc_dec* d, json_t* o, int i, void* ctx) {
    return decode_actuator(d, o, &d->m->actuators[i], i);
}

static bool decode_actions(sc_dec* d, json_t* root) {
    sc_model* m = d->m;
    json_t* arr;
    int n;
    if (!sc_array(d, root, "actions", false, d->lim->max_actions, &arr, &n) || !arr)
        return !d->failed;
    if (n < 1) return sc_fail_at(d, "actions", "needs at least one action");
    if (!(m->action_names = sc_alloc(d, (size_t)n, sizeof *m->action_names)) ||
        !(m->table = sc_alloc(d, (size_t)n * (size_t)m->actuator_count, sizeof *m->table)))
        return false;
    size_t p = sc_push_key(d, "actions");
    for (int i = 0; i < n; i++) {
        static const char* const keys[] = {"name", "values", NULL};
        size_t q = sc_push_index(d, (size_t)i);
        json_t* o = json_array_get(arr, (size_t)i);
        json_t* vals;
        int k;
        bool ok = json_is_object(o) ? true : sc_fail(d, "must be {\"name\", \"values\"}");
        ok = ok && sc_only(d, o, keys) && sc_str(d, o, "name", true, &m->action_names[i]) &&
             sc_array(d, o, "values", true, SP_MAX_ACTUATORS, &vals, &k);
        if (ok && k != m->actuator_count)
            ok = sc_fail_at(d, "values", "needs one value per actuator (%d)", m->actuator_count);
        for (int a = 0; ok && a < k; a++) {
            json_t* v = json_array_get(vals, (size_t)a);
            const sp_channel* ch = &m->actuators[a].ch;
            if (!json_is_number(v) || !(json_number_value(v) >= ch->low) ||
                !(json_number_value(v) <= ch->high))
                ok = sc_fail_at(d, "values", "[%d] must be a number in %s's [%g, %g]", a, ch->name,
                                ch->low, ch->high);
            else
                m->table[i * m->actuator_count + a] = json_number_value(v);
        }
        sc_pop(d, q);
        if (!ok) return false;
    }
    sc_pop(d, p);
    m->action_count = n;
    return true;
}

bool sc_decode_actuators(sc_dec* d, json_t* root) {
    sc_model* m = d->m;
    json_t* arr;
    int n;
    if (!sc_array(d, root, "actuators", true, SP_MAX_ACTUATORS, &arr, &n)) return false;
    if (n < 1) return sc_fail_at(d, "actuators", "needs at least one actuator");
    if (!(m->actuators = sc_alloc(d, (size_t)n, sizeof *m->actuators)) ||
        !sc_each(d, "actuators", arr, n, actuator_item, NULL))
        return false;
    m->actuator_count = n;
    return sc_level_check_slots(d) && decode_actions(d, root);
}

/* ---- sensors ---- */

#define SC_MAX_CHANNELS (2 * SP_MAX_SENSORS)

static const char* const sensor_types[] = {"body",  "joint",  "distance", "touch", "imu",
                                           "lidar", "impact", "fuel",     "wheel", "track"};
enum { S_BODY, S_JOINT, S_DISTANCE, S_TOUCH, S_IMU, S_LIDAR, S_IMPACT, S_FUEL, S_WHEEL, S_TRACK };

typedef struct value_def {
    const char* name;
    sc_probe_kind kind;
    const char* unit;
    const char* doc;
} value_def;

static const value_def body_values[] = {
    {"x", SC_P_X, "m", "position x"},
    {"y", SC_P_Y, "m", "position y"},
    {"angle", SC_P_ANGLE, "rad", "angle, counter-clockwise positive"},
    {"vx", SC_P_VX, "m/s", "velocity x"},
    {"vy", SC_P_VY, "m/s", "velocity y"},
    {"angular_velocity", SC_P_ANGULAR_VELOCITY, "rad/s", "angular velocity"},
    {"upright", SC_P_UPRIGHT, "1", "cosine of the angle: 1 upright, -1 upside down"},
    {"speed", SC_P_SPEED, "m/s", "speed"},
};
static const value_def joint_values[] = {
    {"angle", SC_P_JOINT_ANGLE, "rad", "angle of b relative to a"},
    {"speed", SC_P_JOINT_SPEED, "rad/s", "angular speed of b relative to a"},
};
static const value_def distance_values[] = {
    {"distance", SC_P_DISTANCE, "m", "distance between the bodies' origins"},
    {"bearing", SC_P_BEARING, "rad", "direction to the target in the body's frame"},
};
static const value_def wheel_values[] = {
    {"speed", SC_P_WHEEL_SPEED, "m/s", "rolling speed along the wheel's direction"},
    {"travel", SC_P_WHEEL_TRAVEL, "m", "distance rolled since the reset (an encoder)"},
};
static const value_def track_values[] = {
    {"progress", SC_P_TRACK_PROGRESS, "m", "distance along the centreline from the start line"},
    {"offset", SC_P_TRACK_OFFSET, "m", "distance from the centreline, + to the left"},
    {"heading", SC_P_TRACK_HEADING, "rad", "body angle minus the track's direction"},
    {"laps", SC_P_TRACK_LAPS, "1", "progress over the track's length"},
};
static const value_def imu_values[] = {
    {"ax", SC_P_IMU_AX, "m/s^2", "specific force along the body's x axis"},
    {"ay", SC_P_IMU_AY, "m/s^2", "specific force along the body's y axis"},
    {"gyro", SC_P_IMU_GYRO, "rad/s", "angular rate"},
};

static sc_channel_def* new_channel(sc_dec* d, const char* sensor, const char* suffix,
                                   bool observed) {
    sc_model* m = d->m;
    int limit = observed ? SP_MAX_SENSORS : SP_MAX_SENSORS;
    int have = 0;
    for (int i = 0; i < m->channel_count; i++)
        have += m->channels[i].observed == observed;
    if (have == limit || m->channel_count == SC_MAX_CHANNELS) {
        sc_fail(d, "the scene has more than %d %s channels", limit,
                observed ? "observed" : "hidden");
        return NULL;
    }
    char name[160];
    snprintf(name, sizeof name, "%s.%s", sensor, suffix);
    for (int i = 0; i < m->channel_count; i++)
        if (!strcmp(m->channels[i].ch.name, name)) {
            sc_fail(d, "channel '%s' is declared twice", name);
            return NULL;
        }
    sc_channel_def* c = &m->channels[m->channel_count];
    memset(c, 0, sizeof *c);
    if (!(c->ch.name = sc_strdup(d, name))) return NULL;
    c->observed = observed;
    c->ch.low = -SP_UNBOUNDED;
    c->ch.high = SP_UNBOUNDED;
    c->probe.ref = c->probe.other = c->probe.joint = c->probe.body = SC_NONE;
    c->probe.role = -1;
    m->channel_count++;
    return c;
}

/* The "values" list of a sensor, each a channel "<sensor>.<value>". */
static bool decode_values(sc_dec* d, json_t* o, const char* sensor, bool observed,
                          const value_def* defs, int ndefs, sc_probe base) {
    json_t* arr;
    int n;
    if (!sc_array(d, o, "values", true, ndefs, &arr, &n)) return false;
    if (n == 0) return sc_fail_at(d, "values", "needs at least one value");
    json_t* bounds = json_object_get(o, "bounds");
    if (bounds && !json_is_object(bounds))
        return sc_fail_at(d, "bounds", "must be {value: [low, high]}");
    size_t p = sc_push_key(d, "values");
    for (int i = 0; i < n; i++) {
        json_t* v = json_array_get(arr, (size_t)i);
        int k = -1;
        for (int j = 0; j < ndefs && json_is_string(v); j++)
            if (!strcmp(json_string_value(v), defs[j].name)) k = j;
        size_t q = sc_push_index(d, (size_t)i);
        if (k < 0) {
            char list[160] = "";
            for (int j = 0; j < ndefs; j++) {
                strncat(list, j ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, defs[j].name, sizeof list - strlen(list) - 1);
            }
            sc_fail(d, "must be one of: %s", list);
        }
        sc_pop(d, q);
        if (k < 0) return false;
        sc_channel_def* c = new_channel(d, sensor, defs[k].name, observed);
        if (!c) return false;
        c->probe = base;
        c->probe.kind = defs[k].kind;
        c->ch.unit = defs[k].unit;
        c->ch.doc = defs[k].doc;
        if (defs[k].kind == SC_P_UPRIGHT) {
            c->ch.low = -1.0;
            c->ch.high = 1.0;
        } else if ((defs[k].kind == SC_P_ANGLE && base.wrap) || defs[k].kind == SC_P_BEARING ||
                   defs[k].kind == SC_P_TRACK_HEADING) {
            c->ch.low = -SC_PI;
            c->ch.high = SC_PI;
        } else if (defs[k].kind == SC_P_DISTANCE) {
            c->ch.low = 0.0;
        }
        if (bounds && json_object_get(bounds, defs[k].name)) {
            size_t r = sc_push_key(d, "bounds");
            bool ok = sc_range(d, bounds, defs[k].name, true, &c->ch.low, &c->ch.high);
            sc_pop(d, r);
            if (!ok) return false;
        }
    }
    sc_pop(d, p);
    return true;
}

/* The actuator of kind `kind` that o[key] names, or -1 (failed). */
static int named(sc_dec* d, json_t* o, const char* key, sc_actuator_kind kind) {
    json_t* v = json_object_get(o, key);
    for (int i = 0; v && json_is_string(v) && i < d->m->actuator_count; i++)
        if (d->m->actuators[i].kind == kind &&
            !strcmp(d->m->actuators[i].ch.name, json_string_value(v)))
            return i;
    sc_fail_at(d, key, "must name a %s actuator", actuator_types[kind]);
    return -1;
}

static bool decode_sensor(sc_dec* d, json_t* o) {
    static const char* const keys[] = {"name",      "type",   "body",   "relative_to", "values",
                                       "wrap",      "bounds", "joint",  "to",          "with_role",
                                       "with_body", "rays",   "fov",    "range",       "offset",
                                       "mask",      "hidden", "origin", "latch",       "speed_of",
                                       "wheel",     "track",  "angle",  "frame",       NULL};
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    const char* name = NULL;
    int type = 0;
    bool hidden = false;
    if (!sc_only(d, o, keys) || !sc_str(d, o, "name", true, &name) ||
        !sc_enum(d, o, "type", true, sensor_types, 10, &type) || !sc_bool(d, o, "hidden", &hidden))
        return false;
    sc_probe base = {
        .body = SC_NONE, .ref = SC_NONE, .joint = SC_NONE, .other = SC_NONE, .role = -1};
    bool observed = !hidden;
    switch (type) {
    case S_BODY:
        if (!sc_body_ref(d, o, "body", false, &base.body) ||
            !sc_body_ref(d, o, "relative_to", true, &base.ref) ||
            !sc_bool(d, o, "wrap", &base.wrap) || !sc_vec(d, o, "origin", false, &base.origin))
            return false;
        if (base.ref != SC_NONE && json_object_get(o, "origin"))
            return sc_fail_at(d, "origin", "and relative_to exclude each other");
        return decode_values(d, o, name, observed, body_values, 8, base);
    case S_FUEL: {
        if (!d->m->has_fuel) return sc_fail_at(d, "type", "a fuel sensor needs world.fuel");
        sc_channel_def* c = new_channel(d, name, "fraction", observed);
        if (!c) return false;
        base.kind = SC_P_FUEL;
        c->probe = base;
        c->ch.unit = "1";
        c->ch.doc = "fuel left as a fraction of the tank";
        c->ch.low = 0.0;
        c->ch.high = 1.0;
        return true;
    }
    case S_IMPACT: {
        if (!sc_body_ref(d, o, "body", false, &base.body) ||
            !sc_body_ref(d, o, "with_body", true, &base.other) ||
            !sc_role(d, o, "with_role", &base.role) ||
            !sc_body_ref(d, o, "speed_of", true, &base.ref))
            return false;
        if (base.ref == SC_NONE) base.ref = base.body;
        sc_channel_def* c = new_channel(d, name, "speed", observed);
        if (!c) return false;
        base.kind = SC_P_IMPACT;
        base.latch = d->m->latch_count++;
        c->probe = base;
        c->ch.unit = "m/s";
        c->ch.doc = "largest speed at a contact that began during the step, 0 without one";
        c->ch.low = 0.0;
        return true;
    }
    case S_WHEEL:
        base.actuator = named(d, o, "wheel", SC_A_WHEEL);
        return base.actuator >= 0 && decode_values(d, o, name, observed, wheel_values, 2, base);
    case S_TRACK: {
        json_t* v = json_object_get(o, "track");
        base.track = -1;
        for (int i = 0; v && json_is_string(v) && i < d->m->generator_count; i++)
            if (d->m->generators[i].kind == SC_G_TRACK &&
                !strcmp(d->m->generators[i].name, json_string_value(v)))
                base.track = i;
        if (base.track < 0) return sc_fail_at(d, "track", "must name a track generator");
        base.unwrap = d->m->track_progress++;
        return sc_body_ref(d, o, "body", false, &base.body) &&
               decode_values(d, o, name, observed, track_values, 4, base);
    }
    case S_JOINT:
        return sc_joint_ref(d, o, "joint", &base.joint) &&
               decode_values(d, o, name, observed, joint_values, 2, base);
    case S_DISTANCE:
        return sc_body_ref(d, o, "body", false, &base.body) &&
               sc_body_ref(d, o, "to", false, &base.other) &&
               decode_values(d, o, name, observed, distance_values, 2, base);
    case S_IMU:
        base.imu = d->m->imu_count++;
        return sc_body_ref(d, o, "body", false, &base.body) &&
               decode_values(d, o, name, observed, imu_values, 3, base);
    case S_TOUCH: {
        bool latch = false;
        if (!sc_body_ref(d, o, "body", false, &base.body) ||
            !sc_body_ref(d, o, "with_body", true, &base.other) ||
            !sc_role(d, o, "with_role", &base.role) || !sc_bool(d, o, "latch", &latch))
            return false;
        sc_channel_def* c = new_channel(d, name, "touch", observed);
        if (!c) return false;
        base.kind = latch ? SC_P_CONTACT_BEGAN : SC_P_TOUCH;
        if (latch) base.latch = d->m->latch_count++;
        c->probe = base;
        c->ch.unit = "1";
        c->ch.doc = latch ? "1 when a contact began during the step" : "1 while the body touches";
        c->ch.low = 0.0;
        c->ch.high = 1.0;
        return true;
    }
    case S_LIDAR: {
        int frame = 0;
        base.mask = 0xffffffffu;
        base.fov = SC_PI;
        base.range = 10.0;
        int rays = 0;
        if (!sc_body_ref(d, o, "body", false, &base.body) ||
            !sc_int(d, o, "rays", true, 1, SP_MAX_SENSORS, &rays) ||
            !sc_num(d, o, "fov", false, 0.0, 2.0 * SC_PI, &base.fov) ||
            !sc_num(d, o, "range", false, 1e-3, d->lim->max_abs, &base.range) ||
            !sc_vec(d, o, "offset", false, &base.offset) || !sc_u32(d, o, "mask", &base.mask) ||
            !sc_num(d, o, "angle", false, -2.0 * SC_PI, 2.0 * SC_PI, &base.angle) ||
            !sc_enum(d, o, "frame", false, frames, 2, &frame))
            return false;
        base.world = frame == 1;
        if (d->m->ray_count + rays > d->lim->max_rays)
            return sc_fail_at(d, "rays", "the scene's rays pass the limit of %d", d->lim->max_rays);
        d->m->ray_count += rays;
        base.kind = SC_P_LIDAR;
        base.rays = rays;
        const sc_body* b = &d->m->bodies[base.body];
        if (b->shape_count) base.group = d->m->shapes[b->shape_first].group;
        for (int i = 0; i < rays; i++) {
            char suffix[16];
            snprintf(suffix, sizeof suffix, "%d", i);
            sc_channel_def* c = new_channel(d, name, suffix, observed);
            if (!c) return false;
            c->probe = base;
            c->probe.ray = i;
            c->ch.unit = "m";
            c->ch.doc = "distance to the first shape along the ray, the range when none";
            c->ch.low = 0.0;
            c->ch.high = base.range;
        }
        return true;
    }
    }
    return false;
}

static bool sensor_item(sc_dec* d, json_t* o, int i, void* ctx) {
    return decode_sensor(d, o);
}

bool sc_decode_sensors(sc_dec* d, json_t* root) {
    sc_model* m = d->m;
    json_t* arr;
    int n;
    if (!sc_array(d, root, "sensors", true, SC_MAX_CHANNELS, &arr, &n)) return false;
    if (!(m->channels = sc_alloc(d, SC_MAX_CHANNELS, sizeof *m->channels)) ||
        !sc_each(d, "sensors", arr, n, sensor_item, NULL))
        return false;
    /* Observed channels first, in declaration order: they are the observation. */
    sc_channel_def tmp[SC_MAX_CHANNELS];
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < m->channel_count; i++)
            if (m->channels[i].observed == (pass == 0)) tmp[k++] = m->channels[i];
    memcpy(m->channels, tmp, (size_t)k * sizeof *tmp);
    for (int i = 0; i < m->channel_count; i++)
        m->spec.sensor_count += m->channels[i].observed;
    if (m->spec.sensor_count == 0) return sc_fail_at(d, "sensors", "needs an observed channel");
    return true;
}

/* ---- reward, conditions, constraints ---- */

static const char* const term_types[] = {"alive",   "value",    "progress",  "action_cost", "touch",
                                         "upright", "distance", "potential", "effort"};

/* One part of a potential: {"channels": [1 or 2], "divide" | "multiply": [scales], "abs",
 * "weight"}; two channels give the norm of the scaled pair. */
static bool decode_component(sc_dec* d, json_t* o, sc_component* c) {
    static const char* const keys[] = {"channels", "divide", "multiply", "abs", "weight", NULL};
    json_t* arr;
    int n;
    c->weight = 1.0;
    c->scale[0] = c->scale[1] = 1.0;
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    if (!sc_only(d, o, keys) || !sc_array(d, o, "channels", true, 2, &arr, &n) ||
        !sc_bool(d, o, "abs", &c->abs) ||
        !sc_num(d, o, "weight", false, -d->lim->max_abs, d->lim->max_abs, &c->weight))
        return false;
    if (n < 1) return sc_fail_at(d, "channels", "needs one or two channels");
    c->count = n;
    c->norm = n == 2;
    size_t p = sc_push_key(d, "channels");
    for (int i = 0; i < n; i++) {
        size_t q = sc_push_index(d, (size_t)i);
        c->channels[i] = sc_channel_value(d, json_array_get(arr, (size_t)i));
        sc_pop(d, q);
        if (c->channels[i] < 0) return false;
    }
    sc_pop(d, p);
    const char* which = json_object_get(o, "divide") ? "divide" : "multiply";
    json_t* sc = json_object_get(o, which);
    if (json_object_get(o, "divide") && json_object_get(o, "multiply"))
        return sc_fail(d, "has both divide and multiply");
    if (sc) {
        if (!json_is_array(sc) || (int)json_array_size(sc) != n)
            return sc_fail_at(d, which, "needs one scale per channel");
        for (int i = 0; i < n; i++) {
            json_t* v = json_array_get(sc, (size_t)i);
            if (!json_is_number(v) || !(json_number_value(v) != 0.0) ||
                fabs(json_number_value(v)) > d->lim->max_abs)
                return sc_fail_at(d, which, "[%d] must be a non-zero number", i);
            c->scale[i] = json_number_value(v);
        }
        c->divide = !strcmp(which, "divide");
    }
    return true;
}

static bool decode_potential(sc_dec* d, json_t* o, sc_term* t) {
    sc_model* m = d->m;
    json_t* arr;
    int n;
    if (!sc_array(d, o, "components", true, 16, &arr, &n)) return false;
    if (n < 1) return sc_fail_at(d, "components", "needs at least one component");
    sc_component* grown = realloc(m->components, (size_t)(m->component_count + n) * sizeof *grown);
    if (!grown) return sc_fail(d, "out of memory");
    m->components = grown;
    m->bytes += (size_t)n * sizeof *grown;
    t->comp_first = m->component_count;
    t->comp_count = n;
    size_t p = sc_push_key(d, "components");
    for (int i = 0; i < n; i++) {
        size_t q = sc_push_index(d, (size_t)i);
        memset(&m->components[m->component_count], 0, sizeof *grown);
        bool ok =
            decode_component(d, json_array_get(arr, (size_t)i), &m->components[m->component_count]);
        sc_pop(d, q);
        if (!ok) return false;
        m->component_count++;
    }
    sc_pop(d, p);
    return true;
}

static int actuator_ref(sc_dec* d, json_t* o, const char* key) {
    json_t* v = json_object_get(o, key);
    for (int i = 0; v && json_is_string(v) && i < d->m->actuator_count; i++)
        if (!strcmp(d->m->actuators[i].ch.name, json_string_value(v))) return i;
    sc_fail_at(d, key, "must name an actuator");
    return -1;
}

static bool decode_term(sc_dec* d, json_t* o, sc_term* t) {
    static const char* const keys[] = {"type", "weight", "channel", "components", "actuator", NULL};
    int type = 0;
    t->weight = 1.0;
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    if (!sc_only(d, o, keys) || !sc_enum(d, o, "type", true, term_types, 9, &type) ||
        !sc_num(d, o, "weight", false, -d->lim->max_abs, d->lim->max_abs, &t->weight))
        return false;
    if (type == 7) {
        t->kind = SC_T_POTENTIAL;
        d->m->progress_count++;
        return decode_potential(d, o, t);
    }
    if (type == 8) {
        t->kind = SC_T_EFFORT;
        return (t->actuator = actuator_ref(d, o, "actuator")) >= 0;
    }
    if (json_object_get(o, "components") || json_object_get(o, "actuator"))
        return sc_fail(d, "components and actuator apply to potential and effort terms");
    /* touch, upright and distance are value terms over a channel of that kind. */
    t->kind = type >= 4 ? SC_T_VALUE : (sc_term_kind)type;
    if (t->kind == SC_T_VALUE || t->kind == SC_T_PROGRESS) {
        if ((t->channel = sc_channel_ref(d, o, "channel")) < 0) return false;
        if (t->kind == SC_T_PROGRESS) d->m->progress_count++;
    } else if (json_object_get(o, "channel")) {
        return sc_fail_at(d, "channel", "does not apply to %s terms", term_types[type]);
    }
    return true;
}

/* {"channel", one of above/below/outside/inside/abs_above/abs_below}: shared by conditions
 * and constraints. */
static bool decode_test(sc_dec* d, json_t* o, int* channel, sc_test* test, double* lo, double* hi) {
    static const char* const tests[] = {"above",  "below",     "outside",
                                        "inside", "abs_above", "abs_below"};
    if ((*channel = sc_channel_ref(d, o, "channel")) < 0) return false;
    int found = -1;
    for (int i = 0; i < 6; i++)
        if (json_object_get(o, tests[i])) {
            if (found >= 0) return sc_fail(d, "has both '%s' and '%s'", tests[found], tests[i]);
            found = i;
        }
    if (found < 0)
        return sc_fail(d, "needs one of above, below, outside, inside, abs_above, abs_below");
    *test = (sc_test)found;
    double max = d->lim->max_abs;
    if (found == SC_ABOVE || found == SC_ABS_ABOVE)
        return sc_num(d, o, tests[found], true, -max, max, lo);
    if (found == SC_BELOW || found == SC_ABS_BELOW)
        return sc_num(d, o, tests[found], true, -max, max, hi);
    return sc_range(d, o, tests[found], true, lo, hi);
}

static sc_check* new_check(sc_dec* d) {
    sc_model* m = d->m;
    sc_check* grown = realloc(m->checks, (size_t)(m->check_count + 1) * sizeof *grown);
    if (!grown) {
        sc_fail(d, "out of memory");
        return NULL;
    }
    m->checks = grown;
    m->bytes += sizeof *grown;
    memset(&grown[m->check_count], 0, sizeof *grown);
    return &grown[m->check_count++];
}

/* The condition's test, or "all": [tests] that must hold together. */
static bool decode_checks(sc_dec* d, json_t* o, sc_condition* c) {
    static const char* const keys[] = {"channel", "above",     "below",     "outside",
                                       "inside",  "abs_above", "abs_below", NULL};
    json_t* all = json_object_get(o, "all");
    c->check_first = d->m->check_count;
    if (!all) {
        sc_check* k = new_check(d);
        c->check_count = 1;
        return k && decode_test(d, o, &k->channel, &k->test, &k->lo, &k->hi);
    }
    if (json_object_get(o, "channel")) return sc_fail(d, "has both channel and all");
    json_t* arr;
    int n;
    if (!sc_array(d, o, "all", true, 16, &arr, &n)) return false;
    if (n < 1) return sc_fail_at(d, "all", "needs at least one test");
    size_t p = sc_push_key(d, "all");
    for (int i = 0; i < n; i++) {
        size_t q = sc_push_index(d, (size_t)i);
        json_t* t = json_array_get(arr, (size_t)i);
        sc_check* k = new_check(d);
        bool ok =
            k && (json_is_object(t) ? sc_only(d, t, keys) &&
                                          decode_test(d, t, &k->channel, &k->test, &k->lo, &k->hi)
                                    : sc_fail(d, "must be an object"));
        sc_pop(d, q);
        if (!ok) return false;
    }
    sc_pop(d, p);
    c->check_count = n;
    return true;
}

static bool decode_condition(sc_dec* d, json_t* o, sc_condition* c, bool truncate) {
    static const char* const keys[] = {"reason",  "channel",   "above",     "below",
                                       "outside", "inside",    "abs_above", "abs_below",
                                       "all",     "for_steps", "reward",    NULL};
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    c->for_steps = 1;
    c->truncate = truncate;
    if (!sc_only(d, o, keys) || !sc_str(d, o, "reason", true, &c->reason) ||
        !decode_checks(d, o, c) || !sc_int(d, o, "for_steps", false, 1, 1000000, &c->for_steps) ||
        !sc_num(d, o, "reward", false, -d->lim->max_abs, d->lim->max_abs, &c->reward))
        return false;
    c->has_reward = json_object_get(o, "reward") != NULL;
    return true;
}

static bool decode_constraint(sc_dec* d, json_t* o, sp_constraint* c) {
    static const char* const keys[] = {"name", "channel", "outside", "doc", NULL};
    sc_test test;
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    c->doc = NULL;
    if (!sc_only(d, o, keys) || !sc_str(d, o, "name", true, &c->name) ||
        !decode_test(d, o, &c->sensor, &test, &c->low, &c->high) ||
        !sc_str(d, o, "doc", false, &c->doc))
        return false;
    if (test != SC_OUTSIDE) return sc_fail(d, "a constraint is a channel \"outside\" a range");
    if (!d->m->channels[c->sensor].observed)
        return sc_fail_at(d, "channel", "a constraint watches an observed channel");
    if (!c->doc) {
        char doc[160];
        snprintf(doc, sizeof doc, "%s outside [%g, %g]", d->m->channels[c->sensor].ch.name, c->low,
                 c->high);
        if (!(c->doc = sc_strdup(d, doc))) return false;
    }
    return true;
}

static int term_budget(sc_dec* d) {
    sc_model* m = d->m;
    return d->lim->max_terms - m->term_count - m->condition_count - m->constraint_count -
           m->random_count;
}

static bool term_item(sc_dec* d, json_t* o, int i, void* ctx) {
    return decode_term(d, o, &d->m->terms[i]) && ++d->m->term_count;
}

/* ctx: non-NULL for truncate conditions. */
static bool condition_item(sc_dec* d, json_t* o, int i, void* ctx) {
    sc_model* m = d->m;
    return decode_condition(d, o, &m->conditions[m->condition_count], ctx != NULL) &&
           ++m->condition_count;
}

static bool constraint_item(sc_dec* d, json_t* o, int i, void* ctx) {
    return decode_constraint(d, o, &d->m->constraints[i]) && ++d->m->constraint_count;
}

bool sc_decode_outcomes(sc_dec* d, json_t* root) {
    sc_model* m = d->m;
    json_t *terms, *term, *trunc, *cons;
    int nt, nterm, ntrunc, ncons;
    int budget = term_budget(d);
    if (!sc_array(d, root, "reward", false, budget, &terms, &nt) ||
        !sc_array(d, root, "terminate", false, budget, &term, &nterm) ||
        !sc_array(d, root, "truncate", false, budget, &trunc, &ntrunc) ||
        !sc_array(d, root, "constraints", false, budget, &cons, &ncons))
        return false;
    if (nt + nterm + ntrunc + ncons > budget)
        return sc_fail(d, "reward, conditions and constraints pass the limit of %d terms",
                       d->lim->max_terms);
    if (!(m->terms = sc_alloc(d, (size_t)nt, sizeof *m->terms)) ||
        !(m->conditions = sc_alloc(d, (size_t)(nterm + ntrunc), sizeof *m->conditions)) ||
        !(m->constraints = sc_alloc(d, (size_t)ncons, sizeof *m->constraints)))
        return false;
    return sc_each(d, "reward", terms, nt, term_item, NULL) &&
           sc_each(d, "terminate", term, nterm, condition_item, (void*)0) &&
           sc_each(d, "truncate", trunc, ntrunc, condition_item, (void*)1) &&
           sc_each(d, "constraints", cons, ncons, constraint_item, NULL);
}

/* ---- randomization ---- */

static const char* const random_types[] = {"translate", "velocity", "rotate", "spin",
                                           "mass",      "friction", "gain",   "gravity"};
static const char* const axes[] = {"x", "y"};

static bool decode_random(sc_dec* d, json_t* o, sc_random* r) {
    static const char* const keys[] = {"type",  "bodies",   "body", "axis", "about",
                                       "range", "actuator", "snap", NULL};
    int type = 0;
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    if (!sc_only(d, o, keys) || !sc_enum(d, o, "type", true, random_types, 8, &type) ||
        !sc_range(d, o, "range", true, &r->lo, &r->hi))
        return false;
    r->kind = (sc_random_kind)type;
    if (json_object_get(o, "snap") && r->kind != SC_R_TRANSLATE)
        return sc_fail_at(d, "snap", "applies to translate");
    switch (r->kind) {
    case SC_R_TRANSLATE:
    case SC_R_VELOCITY: {
        json_t* arr;
        int n;
        if (!sc_enum(d, o, "axis", true, axes, 2, &r->axis) ||
            !sc_array(d, o, "bodies", true, SC_MAX_RANDOM_BODIES, &arr, &n))
            return false;
        if (n == 0) return sc_fail_at(d, "bodies", "needs at least one body");
        if (!sc_num(d, o, "snap", false, 0.0, d->lim->max_abs, &r->snap)) return false;
        size_t p = sc_push_key(d, "bodies");
        for (int i = 0; i < n; i++) {
            size_t q = sc_push_index(d, (size_t)i);
            bool ok = sc_body_value(d, json_array_get(arr, (size_t)i), false, &r->bodies[i]);
            if (ok && d->m->bodies[r->bodies[i]].kind == SC_STATIC)
                ok = sc_fail(d, "a static body does not move");
            sc_pop(d, q);
            if (!ok) return false;
        }
        sc_pop(d, p);
        r->body_count = n;
        return true;
    }
    case SC_R_ROTATE:
    case SC_R_SPIN:
    case SC_R_MASS:
    case SC_R_FRICTION:
        r->body_count = 1;
        if (!sc_body_ref(d, o, "body", false, &r->bodies[0]) ||
            !sc_vec(d, o, "about", false, &r->about))
            return false;
        if (r->kind != SC_R_FRICTION && d->m->bodies[r->bodies[0]].kind != SC_DYNAMIC)
            return sc_fail_at(d, "body", "%s applies to dynamic bodies", random_types[type]);
        if ((r->kind == SC_R_MASS || r->kind == SC_R_FRICTION) && !(r->lo > 0.0))
            return sc_fail_at(d, "range", "a scale must be > 0");
        return true;
    case SC_R_GAIN: {
        json_t* v = json_object_get(o, "actuator");
        for (int i = 0; v && json_is_string(v) && i < d->m->actuator_count; i++)
            if (!strcmp(d->m->actuators[i].ch.name, json_string_value(v))) {
                r->actuator = i;
                return r->lo > 0.0 || sc_fail_at(d, "range", "a scale must be > 0");
            }
        return sc_fail_at(d, "actuator", "must name an actuator");
    }
    case SC_R_GRAVITY:
        return r->lo >= 0.0 || sc_fail_at(d, "range", "a scale must be >= 0");
    }
    return false;
}

static bool random_item(sc_dec* d, json_t* o, int i, void* ctx) {
    return decode_random(d, o, &d->m->randoms[i]) && ++d->m->random_count;
}

bool sc_decode_randomize(sc_dec* d, json_t* root) {
    json_t* arr;
    int n;
    return sc_array(d, root, "randomize", false, term_budget(d), &arr, &n) &&
           (d->m->randoms = sc_alloc(d, (size_t)n, sizeof *d->m->randoms)) &&
           sc_each(d, "randomize", arr, n, random_item, NULL);
}

/* ---- generators ---- */

static const char* const gen_types[] = {"terrain", "maze", "scatter", "track", "level"};
static const char* const styles[] = {"rough", "stumps", "pits", "stairs", "smooth", "course"};
static const char* const streams[] = {"own", "env"};
static const char* const scatter_shapes[] = {"circle", "box"};

/* The "smooth" style's heights range and flat span; refused on other styles. */
static bool decode_smooth(sc_dec* d, json_t* o, sc_generator* g) {
    static const char* const keys[] = {"from", "to", "y", NULL};
    bool smooth = g->style == SC_SMOOTH;
    if (!smooth) {
        if (json_object_get(o, "heights") || json_object_get(o, "flat"))
            return sc_fail(d, "heights and flat apply to the smooth style");
        return true;
    }
    if (!sc_range(d, o, "heights", true, &g->height_lo, &g->height_hi)) return false;
    json_t* f = json_object_get(o, "flat");
    if (!f) return true;
    size_t p = sc_push_key(d, "flat");
    bool ok = json_is_object(f)
                  ? sc_only(d, f, keys) &&
                        sc_int(d, f, "from", true, 0, g->segments, &g->flat_from) &&
                        sc_int(d, f, "to", true, 0, g->segments, &g->flat_to) &&
                        sc_num(d, f, "y", true, -d->lim->max_abs, d->lim->max_abs, &g->flat_y)
                  : sc_fail(d, "must be {\"from\", \"to\", \"y\"}");
    if (ok && g->flat_to < g->flat_from) ok = sc_fail_at(d, "to", "must be >= from");
    sc_pop(d, p);
    return ok;
}

/* The "course" style's start pad, grass stretch and obstacle kinds; refused on other styles. */
static bool decode_course(sc_dec* d, json_t* o, sc_generator* g) {
    static const char* const kinds[] = {"stumps", "pits", "stairs"};
    g->grass = 10;
    if (g->style != SC_COURSE) {
        if (json_object_get(o, "startpad") || json_object_get(o, "grass") ||
            json_object_get(o, "obstacles"))
            return sc_fail(d, "startpad, grass and obstacles apply to the course style");
        return true;
    }
    if (!json_object_get(o, "amplitude")) g->amplitude = 1.0 / 30.0;
    json_t* arr;
    int n;
    if (!sc_int(d, o, "startpad", false, 0, g->segments, &g->startpad) ||
        !sc_int(d, o, "grass", false, 2, 1000, &g->grass) ||
        !sc_array(d, o, "obstacles", false, 3, &arr, &n))
        return false;
    size_t p = sc_push_key(d, "obstacles");
    for (int i = 0; i < n; i++) {
        json_t* v = json_array_get(arr, (size_t)i);
        int k = -1;
        for (int j = 0; j < 3 && json_is_string(v); j++)
            if (!strcmp(json_string_value(v), kinds[j])) k = j;
        size_t q = sc_push_index(d, (size_t)i);
        bool ok = k >= 0 || sc_fail(d, "must be one of: stumps, pits, stairs");
        sc_pop(d, q);
        if (!ok) return false;
        g->obstacles |= 1u << (SC_STUMPS + k);
    }
    sc_pop(d, p);
    return true;
}

static bool decode_generator(sc_dec* d, json_t* o, sc_generator* g) {
    static const char* const keys[] = {
        "type",     "name",   "style",    "x",     "y",          "segments", "amplitude",
        "origin",   "cols",   "rows",     "cell",  "wall",       "area",     "count",
        "size",     "shape",  "friction", "role",  "categories", "heights",  "flat",
        "shoulder", "stream", "startpad", "grass", "obstacles",  NULL};
    static const char* const track_keys[] = {
        "type",  "name",     "origin", "points", "radius",     "amplitude", "segments",
        "width", "friction", "role",   "stream", "categories", NULL};
    int type = 0;
    double max = d->lim->max_abs;
    if (!json_is_object(o)) return sc_fail(d, "must be an object");
    json_t* t = json_object_get(o, "type");
    if (json_is_string(t) && !strcmp(json_string_value(t), "level"))
        return sc_decode_level(d, o, g);
    g->friction = 0.8;
    g->categories = 1;
    if (!sc_enum(d, o, "type", true, gen_types, 5, &type) ||
        !sc_only(d, o, type == SC_G_TRACK ? track_keys : keys) ||
        !sc_str(d, o, "name", true, &g->name) ||
        !sc_num(d, o, "friction", false, 0.0, 100.0, &g->friction) ||
        !sc_u32(d, o, "categories", &g->categories))
        return false;
    g->kind = (sc_gen_kind)type;
    int stream = 0;
    if (!sc_enum(d, o, "stream", false, streams, 2, &stream)) return false;
    g->env_stream = stream == 1;
    g->flat_from = g->flat_to = -1;
    int cap = d->lim->max_generated - d->m->generated_shapes;
    switch (g->kind) {
    case SC_G_TERRAIN:
        g->role = SP_ROLE_TERRAIN;
        g->amplitude = 0.5;
        if (!sc_enum(d, o, "style", true, styles, 6, &g->style) ||
            !sc_range(d, o, "x", true, &g->x0, &g->x1) ||
            !sc_num(d, o, "y", false, -max, max, &g->y) ||
            !sc_int(d, o, "segments", true, 1, 100000, &g->segments) ||
            !sc_num(d, o, "amplitude", false, 0.0, max, &g->amplitude) ||
            !sc_role(d, o, "role", &g->role))
            return false;
        if (!(g->x1 > g->x0)) return sc_fail_at(d, "x", "must span a length > 0");
        g->shapes = 3 * g->segments + 2; /* stumps and pits: three per piece; shoulders */
        if (!sc_num(d, o, "shoulder", false, 0.0, max, &g->shoulder) || !decode_smooth(d, o, g) ||
            !decode_course(d, o, g))
            return false;
        break;
    case SC_G_MAZE:
        g->role = SP_ROLE_OBSTACLE;
        g->amplitude = 0.1;
        if (!sc_vec(d, o, "origin", false, &g->origin) ||
            !sc_int(d, o, "cols", true, 1, 1000, &g->segments) ||
            !sc_int(d, o, "rows", true, 1, 1000, &g->rows) ||
            !sc_num(d, o, "cell", true, 1e-3, max, &g->cell) ||
            !sc_num(d, o, "wall", false, 1e-3, max, &g->amplitude) ||
            !sc_role(d, o, "role", &g->role))
            return false;
        if (!(g->amplitude < g->cell)) return sc_fail_at(d, "wall", "must be thinner than a cell");
        g->shapes = g->segments * (g->rows + 1) + g->rows * (g->segments + 1);
        break;
    case SC_G_SCATTER: {
        double area[4];
        json_t* a = json_object_get(o, "area");
        g->role = SP_ROLE_OBSTACLE;
        g->cell = 0.5;
        if (!a || !json_is_array(a) || json_array_size(a) != 4)
            return sc_fail_at(d, "area", "must be [xmin, ymin, xmax, ymax]");
        for (int i = 0; i < 4; i++) {
            json_t* v = json_array_get(a, (size_t)i);
            if (!json_is_number(v) || fabs(json_number_value(v)) > max)
                return sc_fail_at(d, "area", "must be [xmin, ymin, xmax, ymax] of numbers");
            area[i] = json_number_value(v);
        }
        if (!(area[0] < area[2] && area[1] < area[3]))
            return sc_fail_at(d, "area", "must have xmin < xmax and ymin < ymax");
        g->origin = cpv(area[0], area[1]);
        g->extent = cpv(area[2] - area[0], area[3] - area[1]);
        if (!sc_int(d, o, "count", true, 1, 100000, &g->segments) ||
            !sc_num(d, o, "size", false, 1e-3, max, &g->cell) ||
            !sc_enum(d, o, "shape", false, scatter_shapes, 2, &g->style) ||
            !sc_role(d, o, "role", &g->role))
            return false;
        g->shapes = g->segments;
        break;
    }
    case SC_G_TRACK:
        if (!sc_track_decode(d, o, g)) return false;
        break;
    case SC_G_LEVEL:
        break; /* decoded by sc_decode_level */
    }
    if (g->shapes > cap)
        return sc_fail(d, "adds up to %d shapes; the scene's generators may add %d more", g->shapes,
                       cap < 0 ? 0 : cap);
    d->m->generated_shapes += g->shapes;
    return true;
}

static bool generator_item(sc_dec* d, json_t* o, int i, void* ctx) {
    return decode_generator(d, o, &d->m->generators[i]) && ++d->m->generator_count;
}

bool sc_decode_generators(sc_dec* d, json_t* root) {
    json_t* arr;
    int n;
    d->m->level = -1;
    return sc_array(d, root, "generators", false, 16, &arr, &n) &&
           (d->m->generators = sc_alloc(d, (size_t)n, sizeof *d->m->generators)) &&
           sc_each(d, "generators", arr, n, generator_item, NULL);
}
