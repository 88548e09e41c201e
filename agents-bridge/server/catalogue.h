#ifndef SANDPIT_SERVER_CATALOGUE_H
#define SANDPIT_SERVER_CATALOGUE_H

/* Env specs on the wire, as docs/PROTOCOL.md "hello" describes them. */

#include <msgpack.h>

#include "sandpit/env.h"

/* Packs one spec map. */
void sp_pack_spec(msgpack_packer* pk, const sp_env_spec* spec);

/* Packs an array of every registered env's spec, in registry order. */
void sp_pack_catalogue(msgpack_packer* pk);

#endif
