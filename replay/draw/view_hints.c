/* How each env is framed. Kept here, keyed by env id, rather than in the env files: framing
 * is a drawing concern, and envs stay free of it. An env missing from the table still draws,
 * with a camera that follows its first body. */

#include <string.h>

#include "sandpit/draw.h"

typedef struct hint_entry {
    const char* env_id;
    sp_view_hint hint;
} hint_entry;

static const hint_entry hints[] = {
    /* The track (+-2.4 m, where the episode ends) in view with the camera still, so the cart's
     * motion shows. */
    {"CartPole-v0", {6.0, 0, false, false, 0.0, 0.5}},
    {"CartPoleContinuous-v0", {6.0, 0, false, false, 0.0, 0.5}},
    /* A 1 m rod about the origin: 2.6 m leaves room for the full swing and its radius. */
    {"Pendulum-v0", {2.6, 0, false, false, 0.0, 0.0}},
    /* Two 1 m links hinged at the origin reach 2 m in any direction. */
    {"Acrobot-v0", {4.6, 0, false, false, 0.0, 0.0}},
    /* The whole 20 m x 13.3 m arena, as in Gymnasium's LunarLander: the pad and the terrain
     * stay put while the lander moves across them. */
    {"Lander-v0", {15.0, 0, false, false, 0.0, 6.5}},
    {"LanderContinuous-v0", {15.0, 0, false, false, 0.0, 6.5}},
};

sp_view_hint sp_view_hint_for(const char* env_id) {
    if (env_id)
        for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
            if (strcmp(hints[i].env_id, env_id) == 0) return hints[i].hint;
    sp_view_hint fallback = {10.0, 0, true, true, 0.0, 0.0};
    return fallback;
}
