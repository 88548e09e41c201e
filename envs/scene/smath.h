#ifndef SANDPIT_SCENE_SMATH_H
#define SANDPIT_SCENE_SMATH_H

/* Every transcendental function the scene runtime calls on the simulated path, in one place:
 * the project's deterministic implementations (sandpit/math.h), as the C envs use, which the
 * side-by-side test relies on. sqrt and remainder are exact in IEEE 754, so libm's serve. */

#include <math.h>

#include "sandpit/math.h"
#include "world_chipmunk.h"

static inline double sc_sin(double x) {
    return sp_sin(x);
}
static inline double sc_cos(double x) {
    return sp_cos(x);
}
static inline double sc_atan2(double y, double x) {
    return sp_atan2(y, x);
}
static inline cpVect sc_forangle(double a) {
    return cpvforangle(a);
}
static inline double sc_wrap_angle(double a) {
    return remainder(a, 2.0 * 3.14159265358979323846);
}

#endif
