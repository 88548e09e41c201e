#include "catalogue.h"

#include "codec.h"
#include "sandpit/envs.h"

/* The wire's per-field arrays of a channel list (sandpit/env.h: SP_CHANNEL_FIELDS): strings
 * as a msgpack array, numbers as a float64 array. */
#define WIRE_FIELDS(member, kind, wire) +(sizeof(wire) > 1)
enum { CHANNEL_WIRE_FIELDS = 0 SP_CHANNEL_FIELDS(WIRE_FIELDS) };
#undef WIRE_FIELDS

static void pack_channel_lists(msgpack_packer* pk, const sp_channel* ch, int n) {
    double bound[SP_MAX_SENSORS > SP_MAX_ACTUATORS ? SP_MAX_SENSORS : SP_MAX_ACTUATORS];
#define PACK_STR_LIST(member)                                                                      \
    msgpack_pack_array(pk, (size_t)n);                                                             \
    for (int i = 0; i < n; i++)                                                                    \
        sp_pack_cstr(pk, ch[i].member);
#define PACK_F64_LIST(member)                                                                      \
    for (int i = 0; i < n; i++)                                                                    \
        bound[i] = ch[i].member;                                                                   \
    sp_pack_array1(pk, SP_DTYPE_FLOAT64, (uint32_t)n, bound);
#define PACK_FIELD(member, kind, wire)                                                             \
    if (sizeof(wire) > 1) {                                                                        \
        sp_pack_cstr(pk, wire);                                                                    \
        PACK_##kind##_LIST(member)                                                                 \
    }
    SP_CHANNEL_FIELDS(PACK_FIELD)
#undef PACK_FIELD
#undef PACK_F64_LIST
#undef PACK_STR_LIST
}

static void pack_action(msgpack_packer* pk, const sp_env_spec* s) {
    if (s->action_kind == SP_ACTION_DISCRETE) {
        msgpack_pack_map(pk, 4);
        sp_pack_cstr(pk, "kind");
        sp_pack_cstr(pk, "discrete");
        sp_pack_cstr(pk, "dtype");
        sp_pack_cstr(pk, "int32");
        sp_pack_cstr(pk, "n");
        msgpack_pack_int(pk, s->action_count);
        sp_pack_cstr(pk, "names");
        msgpack_pack_array(pk, (size_t)s->action_count);
        for (int i = 0; i < s->action_count; i++)
            sp_pack_cstr(pk, s->action_names[i]);
        return;
    }
    msgpack_pack_map(pk, 3 + CHANNEL_WIRE_FIELDS);
    sp_pack_cstr(pk, "kind");
    sp_pack_cstr(pk, "continuous");
    sp_pack_cstr(pk, "dtype");
    sp_pack_cstr(pk, "float32");
    sp_pack_cstr(pk, "shape");
    msgpack_pack_array(pk, 1);
    msgpack_pack_int(pk, s->actuator_count);
    pack_channel_lists(pk, s->actuators, s->actuator_count);
}

void sp_pack_spec(msgpack_packer* pk, const sp_env_spec* s) {
#define COUNT_FIELD(member, kind) +1
    msgpack_pack_map(pk, 2 SP_SPEC_SCALARS(COUNT_FIELD));
#undef COUNT_FIELD
#define PACK_STR(v) sp_pack_cstr(pk, v)
#define PACK_INT(v) msgpack_pack_int(pk, v)
#define PACK_F64(v) msgpack_pack_double(pk, v)
#define PACK_FIELD(member, kind)                                                                   \
    sp_pack_cstr(pk, #member);                                                                     \
    PACK_##kind(s->member);
    SP_SPEC_SCALARS(PACK_FIELD)
#undef PACK_FIELD
#undef PACK_F64
#undef PACK_INT
#undef PACK_STR
    sp_pack_cstr(pk, "observation");
    msgpack_pack_map(pk, 2 + CHANNEL_WIRE_FIELDS);
    sp_pack_cstr(pk, "dtype");
    sp_pack_cstr(pk, "float32");
    sp_pack_cstr(pk, "shape");
    msgpack_pack_array(pk, 1);
    msgpack_pack_int(pk, s->sensor_count);
    pack_channel_lists(pk, s->sensors, s->sensor_count);
    sp_pack_cstr(pk, "action");
    pack_action(pk, s);
}

void sp_pack_catalogue(msgpack_packer* pk) {
    msgpack_pack_array(pk, (size_t)sp_env_count());
    for (int i = 0; i < sp_env_count(); i++)
        sp_pack_spec(pk, sp_env_at(i)->spec);
}
