/* The episode config codec (sim/episode_config.c, with the recorder in replay/episode_layers.c):
 * strict decoding with field paths, canonical encoding that decodes back to the same bytes, layers
 * in the runtime's order, and replays of guarded and faulted episodes verifying through
 * sp_config_replay. */

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode_layers.h"
#include "sandpit/error.h"

/* A msgpack config built with msgpack-c, the way a client would send it. */
typedef struct pk {
    msgpack_sbuffer sb;
    msgpack_packer p;
} pk;

static void pk_init(pk* b) {
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->p, &b->sb, msgpack_sbuffer_write);
}

static void s(pk* b, const char* str) {
    msgpack_pack_str(&b->p, strlen(str));
    msgpack_pack_str_body(&b->p, str, strlen(str));
}

static const sp_env_spec* spec_of(const char* id) {
    const sp_env_class* env = sp_env_find(id);
    return env ? env->spec : NULL;
}

/* {"guardrails": {"max_speed": 50, "actuators": {"*": {"bounds": "terminate"}}},
 *  "faults": [{"kind": "noise", "sigma": 0.1, "target": "pole.*"},
 *             {"kind": "outage", "mode": "hold", "schedule": {"type": "window", "start": 2,
 *              "end": 5}}],
 *  "info": {"sensor_valid": true}} */
static void pack_good(pk* b) {
    msgpack_pack_map(&b->p, 3);
    s(b, "guardrails");
    msgpack_pack_map(&b->p, 2);
    s(b, "max_speed");
    msgpack_pack_int(&b->p, 50);
    s(b, "actuators");
    msgpack_pack_map(&b->p, 1);
    s(b, "*");
    msgpack_pack_map(&b->p, 1);
    s(b, "bounds");
    s(b, "terminate");
    s(b, "faults");
    msgpack_pack_array(&b->p, 2);
    msgpack_pack_map(&b->p, 3);
    s(b, "kind");
    s(b, "noise");
    s(b, "sigma");
    msgpack_pack_double(&b->p, 0.1);
    s(b, "target");
    s(b, "pole.*");
    msgpack_pack_map(&b->p, 3);
    s(b, "schedule");
    msgpack_pack_map(&b->p, 3);
    s(b, "start");
    msgpack_pack_int(&b->p, 2);
    s(b, "type");
    s(b, "window");
    s(b, "end");
    msgpack_pack_int(&b->p, 5);
    s(b, "kind");
    s(b, "outage");
    s(b, "mode");
    s(b, "hold");
    s(b, "info");
    msgpack_pack_map(&b->p, 1);
    s(b, "sensor_valid");
    msgpack_pack_true(&b->p);
}

static void decodes_and_round_trips(void) {
    const sp_env_spec* spec = spec_of("CartPoleContinuous-v0");
    ENSURE(spec);
    pk b;
    pk_init(&b);
    pack_good(&b);
    sp_episode_config* c = sp_episode_config_create();
    char err[256] = "";
    ENSURE_MSG(sp_episode_config_decode(c, spec, b.sb.data, b.sb.size, err, sizeof err) == SP_OK,
               "%s", err);
    ENSURE(c->has_guard && c->guard.max_speed == 50.0);
    ENSURE(c->guard.actuators[0].bounds == SP_GUARD_POLICY_TERMINATE);
    ENSURE(c->has_faults && c->fault_count == 2 && c->info_sensor_valid && !c->info_faults);
    ENSURE(c->faults[0].kind == SP_FAULT_NOISE && c->faults[0].sigma == 0.1);
    ENSURE(!strcmp(c->targets[0], "pole.*") && !strcmp(c->targets[1], "*"));
    ENSURE(c->faults[1].schedule.type == SP_SCHEDULE_WINDOW && c->faults[1].schedule.start == 2 &&
           c->faults[1].schedule.end == 5 && c->faults[1].mode == SP_OUTAGE_HOLD);

    /* Canonical: decoding the encoding and encoding again gives the same bytes. */
    size_t n1 = 0, n2 = 0;
    uint8_t* e1 = sp_episode_config_encode(c, spec, &n1);
    sp_episode_config* c2 = sp_episode_config_create();
    ENSURE_MSG(sp_episode_config_decode(c2, spec, e1, n1, err, sizeof err) == SP_OK, "%s", err);
    uint8_t* e2 = sp_episode_config_encode(c2, spec, &n2);
    ENSURE(n1 == n2 && !memcmp(e1, e2, n1));
    ENSURE(c2->guard.max_speed == 50.0 &&
           c2->guard.actuators[0].bounds == SP_GUARD_POLICY_TERMINATE);
    free(e1);
    free(e2);
    sp_episode_config_destroy(c2);

    /* An empty config encodes as an empty map. */
    sp_episode_config_clear(c);
    uint8_t* e = sp_episode_config_encode(c, spec, &n1);
    ENSURE(n1 == 1 && e[0] == 0x80);
    free(e);
    sp_episode_config_destroy(c);
    msgpack_sbuffer_destroy(&b.sb);
}

/* One bad config: its error must start with `want`. */
static void refused(const char* env, void (*build)(pk*), const char* want) {
    pk b;
    pk_init(&b);
    build(&b);
    sp_episode_config* c = sp_episode_config_create();
    char err[256] = "";
    int rc = sp_episode_config_decode(c, spec_of(env), b.sb.data, b.sb.size, err, sizeof err);
    ENSURE_MSG(rc == SP_E_BAD_ARGUMENT && !strncmp(err, want, strlen(want)), "got '%s', want '%s'",
               err, want);
    sp_episode_config_destroy(c);
    msgpack_sbuffer_destroy(&b.sb);
}

static void one_fault(pk* b, const char* kind, const char* key, double value) {
    msgpack_pack_map(&b->p, 1);
    s(b, "faults");
    msgpack_pack_array(&b->p, 1);
    msgpack_pack_map(&b->p, 2);
    s(b, "kind");
    s(b, kind);
    s(b, key);
    msgpack_pack_double(&b->p, value);
}

static void negative_sigma(pk* b) {
    one_fault(b, "noise", "sigma", -1);
}
static void unknown_param(pk* b) {
    one_fault(b, "noise", "sigmaa", 1);
}
static void unknown_kind(pk* b) {
    one_fault(b, "nosie", "sigma", 1);
}
static void unknown_top(pk* b) {
    msgpack_pack_map(&b->p, 1);
    s(b, "guardrail");
    msgpack_pack_map(&b->p, 0);
}
static void bad_policy(pk* b) {
    msgpack_pack_map(&b->p, 1);
    s(b, "guardrails");
    msgpack_pack_map(&b->p, 1);
    s(b, "step_compute");
    s(b, "clip");
}
static void negative_limit(pk* b) {
    msgpack_pack_map(&b->p, 1);
    s(b, "guardrails");
    msgpack_pack_map(&b->p, 1);
    s(b, "wall_clock_s");
    msgpack_pack_int(&b->p, -1);
}
static void bad_actuator(pk* b) {
    msgpack_pack_map(&b->p, 1);
    s(b, "guardrails");
    msgpack_pack_map(&b->p, 1);
    s(b, "actuators");
    msgpack_pack_map(&b->p, 1);
    s(b, "wheel");
    msgpack_pack_map(&b->p, 0);
}
static void bad_type(pk* b) {
    msgpack_pack_map(&b->p, 1);
    s(b, "info");
    msgpack_pack_map(&b->p, 1);
    s(b, "faults");
    msgpack_pack_int(&b->p, 1);
}
static void bad_target(pk* b) {
    msgpack_pack_map(&b->p, 1);
    s(b, "faults");
    msgpack_pack_array(&b->p, 1);
    msgpack_pack_map(&b->p, 3);
    s(b, "kind");
    s(b, "bias");
    s(b, "offset");
    msgpack_pack_int(&b->p, 1);
    s(b, "target");
    s(b, "lidar.*");
}
static void empty_window(pk* b) {
    msgpack_pack_map(&b->p, 1);
    s(b, "faults");
    msgpack_pack_array(&b->p, 1);
    msgpack_pack_map(&b->p, 3);
    s(b, "kind");
    s(b, "stuck");
    s(b, "target");
    s(b, "*");
    s(b, "schedule");
    msgpack_pack_map(&b->p, 3);
    s(b, "type");
    s(b, "window");
    s(b, "start");
    msgpack_pack_int(&b->p, 10);
    s(b, "end");
    msgpack_pack_int(&b->p, 10);
}
static void int_field_float(pk* b) {
    one_fault(b, "delay", "steps", 1.5);
}

static void bad_configs_name_the_field(void) {
    refused("CartPole-v0", negative_sigma, "faults[0].sigma: must be >= 0");
    refused("CartPole-v0", unknown_param, "faults[0].sigmaa: noise does not take it");
    refused("CartPole-v0", unknown_kind, "faults[0].kind: must be one of delay");
    refused("CartPole-v0", unknown_top, "guardrail: unknown key");
    refused("CartPole-v0", bad_policy, "guardrails.step_compute: must be one of truncate, count");
    refused("CartPole-v0", negative_limit, "guardrails.wall_clock_s: must be >= 0");
    refused("CartPoleContinuous-v0", bad_actuator, "guardrails.actuators.wheel: ");
    refused("CartPole-v0", bad_actuator, "guardrails.actuators.wheel: CartPole-v0's action");
    refused("CartPole-v0", bad_type, "info.faults: must be a boolean");
    refused("CartPole-v0", bad_target, "faults[0].target: ");
    refused("CartPole-v0", empty_window, "faults[0].schedule.end: ");
    refused("CartPole-v0", int_field_float, "faults[0].steps: must be an integer");
}

/* Records one episode with the config's layers (guard, faults, recorder: attached in that
 * order by sp_episode_layers_attach), then verifies it with sp_config_replay. */
static void replay_verifies(const char* env_id, void (*build)(pk*), bool wall_clock) {
    const sp_env_class* env = sp_env_find(env_id);
    pk b;
    pk_init(&b);
    build(&b);
    sp_episode_config* c = sp_episode_config_create();
    char err[256] = "";
    ENSURE_MSG(sp_episode_config_decode(c, env->spec, b.sb.data, b.sb.size, err, sizeof err) == 0,
               "%s", err);
    if (wall_clock) c->guard.wall_clock_s = 1e-9; /* trips at the first sampled step */
    char dir[] = "/tmp/sp_cfg_XXXXXX";
    ENSURE(mkdtemp(dir));
    sp_episode* ep = sp_episode_create(&(sp_episode_def){env, 3, 0}, err, sizeof err);
    sp_recorder_def rd = sp_default_recorder_def();
    rd.directory = dir;
    rd.prefix = "cfg";
    sp_episode_layers l = {0};
    ENSURE_MSG(sp_episode_layers_attach(&l, ep, c, &rd, err, sizeof err) == 0, "%s", err);
    ENSURE(sp_episode_reset(ep, NULL) == 0);
    sp_step_result r = {0};
    int k = env->spec->action_kind == SP_ACTION_CONTINUOUS ? env->spec->actuator_count : 0;
    bool machine = false;
    for (int t = 0; t < 60 && !r.terminated && !r.truncated; t++) {
        sp_action a = {.index = t % 2};
        for (int j = 0; j < k; j++)
            a.value[j] = (float)((t % 7) - 3) * 0.3f;
        ENSURE(sp_episode_step(ep, &a, &r, err, sizeof err) == 0);
        for (int e = 0; e < sp_episode_event_count(ep); e++)
            machine |= sp_episode_events(ep)[e].source == SP_EVENT_MACHINE;
    }
    ENSURE(!wall_clock || (machine && r.truncated && !strcmp(r.reason, "wall_clock")));
    char path[256];
    snprintf(path, sizeof path, "%s", sp_recorder_path(l.recorder));
    sp_episode_destroy(ep);
    sp_episode_layers_destroy(&l);

    sp_config_replay* layers = sp_config_replay_create();
    sp_verify_def def = sp_config_replay_def(layers);
    sp_verify_report rep;
    ENSURE_MSG(sp_replay_verify_with(path, &def, &rep) == SP_VERIFY_OK, "%s", rep.message);
    sp_config_replay_destroy(layers);
    /* Without the layers the same file diverges: the header's config mattered. */
    ENSURE(sp_replay_verify(path, &rep) != SP_VERIFY_OK);
    unlink(path);
    rmdir(dir);
    sp_episode_config_destroy(c);
    msgpack_sbuffer_destroy(&b.sb);
}

/* {"guardrails": {}, "faults": [{"kind": "delay", "steps": 2},
 *                              {"kind": "action_drop", "schedule": {"type": "probability",
 *                               "probability": 0.3}}]} */
static void discrete_cfg(pk* b) {
    msgpack_pack_map(&b->p, 2);
    s(b, "guardrails");
    msgpack_pack_map(&b->p, 0);
    s(b, "faults");
    msgpack_pack_array(&b->p, 2);
    msgpack_pack_map(&b->p, 2);
    s(b, "kind");
    s(b, "delay");
    s(b, "steps");
    msgpack_pack_int(&b->p, 2);
    msgpack_pack_map(&b->p, 2);
    s(b, "kind");
    s(b, "action_drop");
    s(b, "schedule");
    msgpack_pack_map(&b->p, 2);
    s(b, "type");
    s(b, "probability");
    s(b, "probability");
    msgpack_pack_double(&b->p, 0.3);
}

static void recorded_layers_verify(void) {
    replay_verifies("CartPoleContinuous-v0", pack_good, false);
    replay_verifies("CartPoleContinuous-v0", pack_good, true);
    replay_verifies("CartPole-v0", discrete_cfg, false);
}

static const sp_test_case cases[] = {
    {"decodes_and_round_trips", decodes_and_round_trips},
    {"bad_configs_name_the_field", bad_configs_name_the_field},
    {"recorded_layers_verify", recorded_layers_verify},
};
SP_TEST_MAIN(cases)
