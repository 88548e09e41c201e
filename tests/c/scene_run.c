#include "scene_run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* After the scene was loaded (or not: `what` and `err` say why). */
static bool begin(scene_run* r, const char* what, const char* err, uint64_t seed) {
    if (!r->sc) {
        fprintf(stderr, "%s refused: %s\n", what, err);
        return false;
    }
    char why[512];
    sp_episode_def def = sp_default_episode_def(sp_scene_env(r->sc));
    r->spec = sp_scene_env(r->sc)->spec;
    r->ep = sp_episode_create(&def, why, sizeof why);
    if (!r->ep) fprintf(stderr, "%s: episode not created: %s\n", what, why);
    return r->ep && sp_episode_reset(r->ep, &seed) == 0;
}

bool scene_run_start_json(scene_run* r, const char* json, const sp_scene_limits* limits,
                          uint64_t seed) {
    char err[512];
    memset(r, 0, sizeof *r);
    r->sc = sp_scene_load(json, strlen(json), limits, err, sizeof err);
    return begin(r, "scene", err, seed);
}

bool scene_run_start_file(scene_run* r, const char* path, uint64_t seed) {
    char err[512];
    memset(r, 0, sizeof *r);
    r->sc = sp_scene_load_file(path, NULL, err, sizeof err);
    return begin(r, path, err, seed);
}

void scene_run_stop(scene_run* r) {
    sp_episode_destroy(r->ep);
    sp_scene_destroy(r->sc);
    memset(r, 0, sizeof *r);
}

sp_step_result scene_run_step(scene_run* r, const sp_action* a) {
    sp_step_result res = {0};
    char err[256];
    if (sp_episode_step(r->ep, a, &res, err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    return res;
}

int scene_run_channel(const scene_run* r, const char* name) {
    for (int i = 0; i < r->spec->sensor_count; i++)
        if (!strcmp(r->spec->sensors[i].name, name)) return i;
    fprintf(stderr, "no channel %s\n", name);
    return 0;
}

double scene_run_obs(const scene_run* r, const char* name) {
    for (int i = 0; i < r->spec->sensor_count; i++)
        if (!strcmp(r->spec->sensors[i].name, name)) return sp_episode_obs(r->ep)[i];
    fprintf(stderr, "no channel %s\n", name);
    return NAN; /* fails every comparison: a misspelt channel cannot pass a test */
}
