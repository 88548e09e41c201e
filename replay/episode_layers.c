/* An episode's layers with the recorder (include/sandpit/episode_layers.h): the guard and
 * faults that sim/episode_config.c builds from a config, plus the recorder whose header holds
 * that config's canonical encoding; and the same layers rebuilt from a replay header for
 * verification and playback. */

#include "sandpit/episode_layers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/error.h"

/* The runtime part of `l`, as sim/ knows it. */
static sp_config_layers runtime_of(const sp_episode_layers* l) {
    sp_config_layers r = {l->guard, l->faults};
    return r;
}

int sp_episode_layers_attach(sp_episode_layers* l, sp_episode* ep, const sp_episode_config* c,
                             const sp_recorder_def* rec, char* err, size_t err_sz) {
    sp_config_layers r = {0};
    int rc = sp_config_layers_attach(&r, ep, c, err, err_sz);
    l->guard = r.guard;
    l->faults = r.faults;
    if (rc != SP_OK || !rec) return rc;
    sp_recorder_def d = *rec;
    size_t size = 0;
    uint8_t* canon = sp_episode_config_encode(c, sp_episode_spec(ep), &size);
    if (!canon) {
        if (err && err_sz) snprintf(err, err_sz, "out of memory");
        return SP_E_NO_MEMORY;
    }
    d.config = canon;
    d.config_size = size;
    l->recorder = sp_recorder_attach_new(ep, &d, err, err_sz);
    free(canon);
    return l->recorder ? SP_OK : SP_E_IO;
}

void sp_episode_layers_destroy(sp_episode_layers* l) {
    sp_recorder_destroy(l->recorder);
    sp_config_layers r = runtime_of(l);
    sp_config_layers_destroy(&r);
    memset(l, 0, sizeof *l);
}

int sp_episode_layers_set(sp_episode_layers* l, const sp_episode_config* c, const uint8_t* canon,
                          size_t canon_size, char* err, size_t err_sz) {
    sp_config_layers r = runtime_of(l);
    int rc = sp_config_layers_set(&r, c, err, err_sz);
    if (rc != SP_OK) return rc;
    if (l->recorder && (rc = sp_recorder_set_config(l->recorder, canon, canon_size, err, err_sz)))
        return rc;
    return SP_OK;
}

/* ---- replay ---- */

struct sp_config_replay {
    sp_episode_config config;
    sp_episode_layers layers;
};

static int replay_add_layers(void* user, sp_episode* ep, const sp_replay_header* h, char* err,
                             size_t err_sz) {
    sp_config_replay* r = user;
    /* The verifier destroyed the episode these served before asking for new ones. */
    sp_episode_layers_destroy(&r->layers);
    const sp_env_spec* spec = sp_episode_spec(ep);
    int rc = SP_OK;
    if (h->config && h->config_size)
        rc = sp_episode_config_decode(&r->config, spec, h->config, h->config_size, err, err_sz);
    else
        sp_episode_config_clear(&r->config);
    if (rc != SP_OK) return rc;
    r->config.info_faults = r->config.info_sensor_valid = false;
    r->config.has_faults = r->config.fault_count > 0;
    if ((rc = sp_episode_layers_attach(&r->layers, ep, &r->config, NULL, err, err_sz)) != SP_OK)
        return rc;
    if (r->layers.guard) sp_guard_set_replay(r->layers.guard, true);
    return SP_OK;
}

static void replay_machine_events(void* user, sp_episode* ep, int step, const sp_event* events,
                                  int count) {
    sp_config_replay* r = user;
    if (!r->layers.guard) return;
    /* A refused event cannot trip: the verifier then names the step whose events differ. */
    for (int i = 0; i < count; i++)
        (void)sp_guard_inject(r->layers.guard, &events[i]);
}

sp_config_replay* sp_config_replay_create(void) {
    sp_config_replay* r = calloc(1, sizeof *r);
    if (r) sp_episode_config_clear(&r->config);
    return r;
}

sp_verify_def sp_config_replay_def(sp_config_replay* r) {
    sp_verify_def d = sp_default_verify_def();
    d.user = r;
    d.add_layers = replay_add_layers;
    d.machine_events = replay_machine_events;
    return d;
}

void sp_config_replay_destroy(sp_config_replay* r) {
    if (!r) return;
    sp_episode_layers_destroy(&r->layers);
    free(r);
}

const sp_episode_layers* sp_config_replay_layers(const sp_config_replay* r) {
    return &r->layers;
}
