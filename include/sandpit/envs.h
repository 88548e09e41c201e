#ifndef SANDPIT_ENVS_H
#define SANDPIT_ENVS_H

/* The env registry: every env sandpit ships, in a fixed order. */

#include <float.h>

#include "sandpit/env.h"

/* A channel bound meaning "no natural bound"; finite so that it survives JSON, like
 * Gymnasium's use of float32 max. */
#define SP_UNBOUNDED ((double)FLT_MAX)

/* Number of registered envs. */
int sp_env_count(void);

/* The env at `index` (0 <= index < sp_env_count()), in registry order. */
const sp_env_class* sp_env_at(int index);

/* The env whose id is `id` ("CartPole-v0"), or NULL. */
const sp_env_class* sp_env_find(const char* id);

/* Adds a class made at run time (a scene from a file) after the built-in envs, so it is found
 * by id and listed like them. Not thread-safe: register before threads step episodes. The class
 * must outlive every use (the catalogue keeps it for the process). Returns 0, SP_E_LIMIT past
 * SP_MAX_REGISTERED_ENVS, or SP_E_BAD_ARGUMENT when the id is taken. */
#define SP_MAX_REGISTERED_ENVS 256
int sp_env_register(const sp_env_class* env);

/* Forgets every class sp_env_register added (their owners free them), leaving the built-in
 * envs. For an orderly exit; not thread-safe. */
void sp_env_forget_registered(void);

/* Writes the registered ids, comma separated, into `buf` (for error messages). */
void sp_env_list_ids(char* buf, size_t buf_sz);

#endif
