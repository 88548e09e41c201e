#include "catalogue.h"

#include "codec.h"
#include "sandpit/envs.h"

static void pack_channel_lists(msgpack_packer* pk, const sp_channel* ch, int n) {
    double bound[SP_MAX_SENSORS > SP_MAX_ACTUATORS ? SP_MAX_SENSORS : SP_MAX_ACTUATORS];
    sp_pack_cstr(pk, "names");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        sp_pack_cstr(pk, ch[i].name);
    sp_pack_cstr(pk, "units");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        sp_pack_cstr(pk, ch[i].unit);
    sp_pack_cstr(pk, "low");
    for (int i = 0; i < n; i++)
        bound[i] = ch[i].low;
    sp_pack_array1(pk, SP_DTYPE_FLOAT64, (uint32_t)n, bound);
    sp_pack_cstr(pk, "high");
    for (int i = 0; i < n; i++)
        bound[i] = ch[i].high;
    sp_pack_array1(pk, SP_DTYPE_FLOAT64, (uint32_t)n, bound);
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
    msgpack_pack_map(pk, 7);
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
    msgpack_pack_map(pk, 9);
    sp_pack_cstr(pk, "id");
    sp_pack_cstr(pk, s->id);
    sp_pack_cstr(pk, "version");
    msgpack_pack_int(pk, s->version);
    sp_pack_cstr(pk, "summary");
    sp_pack_cstr(pk, s->summary);
    sp_pack_cstr(pk, "dt");
    msgpack_pack_double(pk, s->dt);
    sp_pack_cstr(pk, "iterations");
    msgpack_pack_int(pk, s->iterations);
    sp_pack_cstr(pk, "frame_skip");
    msgpack_pack_int(pk, s->frame_skip);
    sp_pack_cstr(pk, "max_steps");
    msgpack_pack_int(pk, s->max_steps);
    sp_pack_cstr(pk, "observation");
    msgpack_pack_map(pk, 6);
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
