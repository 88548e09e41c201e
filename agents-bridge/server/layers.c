/* A session's episode config: freeing it and counting its layers' trips (see layers.h; the
 * make, reset and step handling is in ops_session.c and ops_step.c). */

#include "layers.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "sandpit/error.h"

static void add_counts(const sp_episode_layers* l, sp_layer_totals* t) {
    if (l->guard)
        for (int r = 1; r <= SP_GUARD_REASON_COUNT; r++)
            t->guard_trips[r] += sp_guard_trips(l->guard, r);
    if (l->faults) {
        sp_fault_stats st;
        sp_faults_stats(l->faults, &st);
        for (int k = 1; k < SP_FAULT_KIND_SLOTS; k++)
            t->fault_windows[k] += st.windows[k];
    }
}

void sp_session_cfg_count(const sp_session_cfg* c, sp_layer_totals* t) {
    if (!c || !c->layers) return;
    for (int i = 0; i < c->num_envs; i++)
        add_counts(&c->layers[i], t);
}

void sp_session_cfg_free(sp_session_cfg* c) {
    if (!c) return;
    if (c->totals) sp_session_cfg_count(c, c->totals);
    for (int i = 0; c->layers && i < c->num_envs; i++) {
        /* A recorder not yet attached is not in the layers: free it on its own. */
        if (c->recorders && c->recorders[i] && !c->layers[i].recorder)
            sp_recorder_destroy(c->recorders[i]);
        sp_episode_layers_destroy(&c->layers[i]);
    }
    free(c->recorders);
    free(c->layers);
    sp_episode_config_destroy(c->make);
    sp_episode_config_destroy(c->over);
    sp_episode_config_destroy(c->scratch);
    free(c->make_canon);
    free(c->over_canon);
    free(c->overridden);
    free(c->cost);
    free(c->active);
    free(c->valid);
    free(c->trips);
    free(c->expired);
    free(c->expiry);
    free(c->record_state);
    free(c);
}

void sp_session_cfg_collect(sp_session_cfg* c, int i, sp_episode* ep, bool stepped) {
    const sp_episode_layers* l = &c->layers[i];
    if (c->recorders[i] && c->record_state[i] == 0 && sp_episode_layer_status(ep) != SP_OK)
        c->record_state[i] = 1;
    if (c->make->info_faults) c->active[i] = l->faults ? sp_faults_active(l->faults) : 0;
    if (c->make->info_sensor_valid) {
        uint8_t* row = c->valid + (size_t)i * (size_t)c->obs_size;
        if (l->faults)
            memcpy(row, sp_faults_sensor_valid(l->faults), (size_t)c->obs_size);
        else
            memset(row, 1, (size_t)c->obs_size);
    }
    if (!l->guard) return;
    c->cost[i] = stepped ? sp_guard_step_cost(l->guard) : 0.0;
    int n = sp_episode_event_count(ep), trips = 0;
    const sp_event* e = sp_episode_events(ep);
    for (int k = 0; k < n; k++)
        trips += e[k].source == SP_EVENT_GUARD || e[k].source == SP_EVENT_MACHINE;
    c->trips[i] = (uint8_t)trips;
}

void sp_session_cfg_idle(sp_session_cfg* c, int i, sp_episode* ep) {
    sp_session_cfg_collect(c, i, ep, false);
    c->trips[i] = 0;
}

static bool cost_on(const sp_session_cfg* c) {
    return c->has_guard &&
           (c->make->constraint.sensor >= 0 ||
            (c->overridden_count > 0 && c->over && c->over->constraint.sensor >= 0));
}

static void pack_array_head(msgpack_packer* pk, const char* dtype, uint32_t n, size_t item);

/* Env i of the ids list (all N envs when `ids` is NULL). */
static int32_t env_at(const int32_t* ids, int32_t j) {
    return ids ? ids[j] : j;
}

uint32_t sp_session_cfg_record_new_of(sp_session_cfg* c, const int32_t* ids, int k) {
    c->record_new = 0;
    if (c->recorders[0])
        for (int j = 0; j < k; j++)
            c->record_new += c->record_state[env_at(ids, j)] == 1;
    return c->record_new;
}

static uint32_t count_record_new(sp_session_cfg* c) {
    return sp_session_cfg_record_new_of(c, NULL, c->num_envs);
}

uint32_t sp_session_cfg_reply_keys(sp_session_cfg* c, bool step) {
    c->trip_total = 0;
    if (c->has_guard)
        for (int i = 0; i < c->num_envs; i++)
            c->trip_total += c->trips[i];
    return (c->trip_total > 0) + (step && cost_on(c)) + c->make->info_faults +
           c->make->info_sensor_valid + (count_record_new(c) > 0);
}

uint32_t sp_session_cfg_finish_recorders(sp_session_cfg* c) {
    for (int i = 0; i < c->num_envs; i++)
        if (c->recorders[i] && sp_recorder_finish(c->recorders[i]) != SP_OK &&
            c->record_state[i] == 0)
            c->record_state[i] = 1;
    return count_record_new(c);
}

/* Packs "record_error" for the envs in state 1 among `ids` (k of them; NULL: all N), whose
 * number is c->record_new; logs, counts and marks each one told. */
static void pack_record_errors(sp_session_cfg* c, msgpack_packer* pk, const int32_t* ids,
                               int32_t k) {
    uint32_t m = c->record_new;
    sp_pack_cstr(pk, "record_error");
    msgpack_pack_map(pk, 2);
    sp_pack_cstr(pk, "index");
    pack_array_head(pk, "int32", m, 4);
    for (int32_t j = 0; j < k; j++) {
        int32_t i = env_at(ids, j);
        if (c->record_state[i] == 1) msgpack_pack_bin_body(pk, &i, 4);
    }
    sp_pack_cstr(pk, "message");
    msgpack_pack_array(pk, m);
    for (int32_t j = 0; j < k; j++) {
        int32_t i = env_at(ids, j);
        if (c->record_state[i] != 1) continue;
        const char* why = sp_recorder_error(c->recorders[i]);
        if (!why) why = "recording stopped";
        sp_pack_cstr(pk, why);
        SP_LOG(c->log_level, SP_LOG_WARN, "session %llu env %d: recording stopped: %s",
               (unsigned long long)c->session, i, why);
        c->record_state[i] = 2;
        (*c->record_errors)++;
    }
    c->record_new = 0;
}

void sp_session_cfg_pack_record_errors(sp_session_cfg* c, msgpack_packer* pk) {
    pack_record_errors(c, pk, NULL, c->num_envs);
}

void sp_session_cfg_pack_record_errors_of(sp_session_cfg* c, msgpack_packer* pk, const int32_t* ids,
                                          int k) {
    pack_record_errors(c, pk, ids, k);
}

/* An array map whose `data` bin the caller writes in pieces. */
static void pack_array_head(msgpack_packer* pk, const char* dtype, uint32_t n, size_t item) {
    msgpack_pack_map(pk, 3);
    sp_pack_cstr(pk, "dtype");
    sp_pack_cstr(pk, dtype);
    sp_pack_cstr(pk, "shape");
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint32(pk, n);
    sp_pack_cstr(pk, "data");
    msgpack_pack_bin(pk, (size_t)n * item);
}

static bool is_trip(const sp_event* e) {
    return e->source == SP_EVENT_GUARD || e->source == SP_EVENT_MACHINE;
}

/* {"index", "reason", "channel", "value", "limit", "policy"}, one entry per event. */
static void pack_guardrail(sp_session_cfg* c, msgpack_packer* pk, sp_episode* const* eps) {
    uint32_t m = c->trip_total;
    msgpack_pack_map(pk, 6);
    for (int field = 0; field < 6; field++) {
        static const char* const keys[] = {"index", "reason", "channel",
                                           "value", "limit",  "policy"};
        sp_pack_cstr(pk, keys[field]);
        if (field == 0 || field == 2)
            pack_array_head(pk, "int32", m, 4);
        else if (field == 3 || field == 4)
            pack_array_head(pk, "float32", m, 4);
        else
            msgpack_pack_array(pk, m);
        for (int i = 0; i < c->num_envs; i++) {
            if (!c->trips[i]) continue;
            const sp_event* e = sp_episode_events(eps[i]);
            int n = sp_episode_event_count(eps[i]);
            for (int k = 0; k < n; k++) {
                if (!is_trip(&e[k])) continue;
                int32_t x32;
                const char* name;
                switch (field) {
                case 0:
                    x32 = i;
                    msgpack_pack_bin_body(pk, &x32, 4);
                    break;
                case 1:
                    name = sp_guard_reason_name(e[k].code);
                    sp_pack_cstr(pk, name ? name : "unknown");
                    break;
                case 2:
                    x32 = e[k].channel;
                    msgpack_pack_bin_body(pk, &x32, 4);
                    break;
                case 3:
                    msgpack_pack_bin_body(pk, &e[k].value, 4);
                    break;
                case 4:
                    msgpack_pack_bin_body(pk, &e[k].limit, 4);
                    break;
                default:
                    name = sp_guard_policy_name(e[k].flags);
                    sp_pack_cstr(pk, name ? name : "unknown");
                    break;
                }
            }
        }
    }
}

void sp_session_cfg_pack(sp_session_cfg* c, msgpack_packer* pk, sp_episode* const* eps, bool step) {
    uint32_t n = (uint32_t)c->num_envs;
    if (c->trip_total > 0) {
        sp_pack_cstr(pk, "guardrail");
        pack_guardrail(c, pk, eps);
    }
    if (step && cost_on(c)) {
        sp_pack_cstr(pk, "cost");
        sp_pack_array1(pk, SP_DTYPE_FLOAT64, n, c->cost);
    }
    if (c->make->info_faults) {
        sp_pack_cstr(pk, "faults");
        sp_pack_array1(pk, SP_DTYPE_UINT64, n, c->active);
    }
    if (c->make->info_sensor_valid) {
        uint32_t shape[2] = {n, (uint32_t)c->obs_size};
        sp_pack_cstr(pk, "sensor_valid");
        sp_pack_array(pk, SP_DTYPE_UINT8, 2, shape, c->valid);
    }
    if (c->record_new) sp_session_cfg_pack_record_errors(c, pk);
}
