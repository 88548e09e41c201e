#ifndef SANDPIT_ERROR_H
#define SANDPIT_ERROR_H

/* Error codes, listed once. Each has a number (returned by C functions, always <= 0) and a
 * stable name (sent on the wire and printed by tools). Never renumber or rename one: clients
 * match on the name. */

#define SP_ERROR_LIST(X)                                                                           \
    X(SP_OK, 0, "ok")                                                                              \
    X(SP_E_BAD_ARGUMENT, -1, "bad_argument")                                                       \
    X(SP_E_NO_MEMORY, -2, "no_memory")                                                             \
    X(SP_E_UNKNOWN_ENV, -3, "unknown_env")                                                         \
    X(SP_E_BAD_ACTION, -4, "bad_action")                                                           \
    X(SP_E_NEEDS_RESET, -5, "needs_reset")                                                         \
    X(SP_E_BAD_REQUEST, -6, "bad_request")                                                         \
    X(SP_E_UNKNOWN_OP, -7, "unknown_op")                                                           \
    X(SP_E_UNKNOWN_SESSION, -8, "unknown_session")                                                 \
    X(SP_E_TOO_LARGE, -9, "too_large")                                                             \
    X(SP_E_LIMIT, -10, "limit_exceeded")                                                           \
    X(SP_E_VERSION, -11, "version_mismatch")                                                       \
    X(SP_E_INTERNAL, -12, "internal")                                                              \
    X(SP_E_IO, -13, "io_error")                                                                    \
    X(SP_E_RATE_LIMITED, -14, "rate_limited")                                                      \
    X(SP_E_BAD_SCENE, -15, "bad_scene")                                                            \
    X(SP_E_NOTHING_PENDING, -16, "nothing_pending")                                                \
    X(SP_E_IN_FLIGHT, -17, "in_flight")

typedef enum sp_error {
#define SP_ERROR_ENUM(sym, num, name) sym = num,
    SP_ERROR_LIST(SP_ERROR_ENUM)
#undef SP_ERROR_ENUM
} sp_error;

/* The stable wire name of an error code ("bad_action"); "internal" for unknown numbers. */
const char* sp_error_name(int code);

#endif
