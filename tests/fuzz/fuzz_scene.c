/* libFuzzer harness over the scene decoder (docs/SCENES.md, docs/SECURITY.md).
 *
 * Each input is a scene's JSON text, decoded under the server's limits. A scene that decodes
 * is also built and stepped for a few steps with actions drawn from the input's hash, so the
 * runtime's trust in a decoded model is fuzzed too. Checked beyond the sanitizers: a refused
 * scene always says why, and a decoded scene's canonical text decodes again. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/episode.h"
#include "sandpit/scene.h"

#define STEPS 8

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    sp_scene_limits lim = sp_default_scene_limits();
    /* Smaller counts than the server's keep each run fast; the checks are the same code. */
    lim.max_generated = 256;
    char err[512] = "";
    sp_scene* sc = sp_scene_load((const char*)data, size, &lim, err, sizeof err);
    if (!sc) {
        if (!err[0]) {
            fprintf(stderr, "fuzz: a refused scene without a message\n");
            abort();
        }
        return 0;
    }
    size_t len = 0;
    const char* text = sp_scene_canonical(sc, &len);
    sp_scene* again = sp_scene_load(text, len, &lim, err, sizeof err);
    if (!again) {
        fprintf(stderr, "fuzz: the canonical text is refused: %s\n", err);
        abort();
    }
    sp_scene_destroy(again);
    const sp_env_class* env = sp_scene_env(sc);
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    uint64_t seed = size;
    for (size_t i = 0; i < size; i++)
        seed = seed * 31u + data[i];
    if (ep && sp_episode_reset(ep, &seed) == 0) {
        sp_rng rng;
        sp_rng_seed(&rng, seed, "fuzz_actions");
        for (int k = 0; k < STEPS && !sp_episode_done(ep); k++) {
            sp_action a;
            sp_action_sample(env->spec, &rng, &a);
            sp_step_result r;
            sp_episode_step(ep, &a, &r, err, sizeof err);
        }
    }
    sp_episode_destroy(ep);
    sp_scene_destroy(sc);
    return 0;
}
