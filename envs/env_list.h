#ifndef SANDPIT_ENV_LIST_H
#define SANDPIT_ENV_LIST_H

/* Every env class, listed once, in catalogue order. Each is defined in its own file. */
#define SP_ENV_LIST(X)                                                                             \
    X(sp_cartpole_env)                                                                             \
    X(sp_cartpole_continuous_env)                                                                  \
    X(sp_pendulum_env)                                                                             \
    X(sp_acrobot_env)                                                                              \
    X(sp_lander_env)                                                                               \
    X(sp_lander_continuous_env)

#define SP_ENV_DECLARE(name) extern const sp_env_class name;
#include "sandpit/env.h"
SP_ENV_LIST(SP_ENV_DECLARE)
#undef SP_ENV_DECLARE

#endif
