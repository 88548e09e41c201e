#ifndef SANDPIT_SCENE_WHEEL_H
#define SANDPIT_SCENE_WHEEL_H

/* The "wheel" actuator: a tyre at a point of a body, seen from above (no gravity): it rolls
 * along its direction, resists sliding sideways up to a grip limit, and either drives (the
 * command is a force) or steers (the command turns it). Rovers, cars, carts. */

#include "dec.h"
#include "model.h"

/* Decodes a wheel's keys into `a` (its name, type and channel already read). */
bool sc_wheel_decode(sc_dec* d, json_t* o, sc_actuator* a);

/* Applies actuator `i`'s tyre force for one physics step of `dt` seconds and adds the distance
 * it rolled to its encoder. */
void sc_wheel_apply(sc_state* s, int i, double dt);

/* The rolling speed of actuator `i`'s wheel now: its point's velocity along its direction. */
double sc_wheel_speed(const sc_state* s, int i);

#endif
