#ifndef SANDPIT_SCENE_GEN_TRACK_H
#define SANDPIT_SCENE_GEN_TRACK_H

/* The "track" generator: a seeded closed racing loop, walled on both sides, and the "track"
 * sensor that measures a body against its centreline (progress, offset, heading, laps). */

#include "dec.h"
#include "model.h"

/* Decodes a track generator's keys into `g` (type, name, friction and categories read). */
bool sc_track_decode(sc_dec* d, json_t* o, sc_generator* g);

/* Draws this episode's centreline into the state and adds both walls to the world. */
int sc_track_generate(sc_state* s, const sc_generator* g, sp_world* world, sp_rng* rng);

/* Starts every progress probe's unwrapping from where its body is now (after the reset). */
void sc_track_start(sc_state* s);

/* Keeps the progress probes' last readings, so a lap's end reads on past the track length:
 * called every physics step, when a body cannot cross half a lap. */
void sc_track_follow(sc_state* s);

/* A track probe's value now. */
double sc_track_read(const sc_state* s, const sc_probe* p);

#endif
