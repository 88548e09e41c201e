#ifndef SANDPIT_SCENE_SMATH_H
#define SANDPIT_SCENE_SMATH_H

/* Every transcendental function the scene runtime calls on the simulated path, in one place,
 * so they switch together to the project's deterministic implementations. Until those exist
 * these are the ones the C envs call (libm), which the side-by-side test relies on. */

#include <chipmunk/chipmunk.h>
#include <math.h>

static inline double sc_sin(double x) { return sin(x); }
static inline double sc_cos(double x) { return cos(x); }
static inline double sc_atan2(double y, double x) { return atan2(y, x); }
static inline cpVect sc_forangle(double a) { return cpv(sc_cos(a), sc_sin(a)); }
static inline double sc_wrap_angle(double a) { return remainder(a, 2.0 * 3.14159265358979323846); }

#endif
