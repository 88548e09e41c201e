#ifndef SANDPIT_TEST_SCENE_RUN_H
#define SANDPIT_TEST_SCENE_RUN_H

/* One episode of a scene, for the tests that step scenes: loaded, created and reset in one
 * call, freed in one. */

#include <stdbool.h>
#include <stdint.h>

#include "sandpit/episode.h"
#include "sandpit/scene.h"

typedef struct scene_run {
    sp_scene* sc;
    sp_episode* ep;
    const sp_env_spec* spec;
} scene_run;

/* Loads the scene text `json` (`limits` NULL: the defaults), creates its episode and resets it
 * with `seed`. False, with the reason printed, when any of that fails; scene_run_stop frees
 * what was made either way. */
bool scene_run_start_json(scene_run* r, const char* json, const sp_scene_limits* limits,
                          uint64_t seed);

/* The same for the scene file at `path`. */
bool scene_run_start_file(scene_run* r, const char* path, uint64_t seed);

void scene_run_stop(scene_run* r);

/* One step with `a`; a refused step prints why and returns a zero result. */
sp_step_result scene_run_step(scene_run* r, const sp_action* a);

/* The index of the observation channel `name` (0, printed, when there is none). */
int scene_run_channel(const scene_run* r, const char* name);

/* The current reading of channel `name` (NaN, printed, when there is none). */
double scene_run_obs(const scene_run* r, const char* name);

#endif
