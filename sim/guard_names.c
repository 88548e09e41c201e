/* Guardrail reasons, policies and budget kinds by name and number, from the lists in
 * sandpit/guard.h: the one place a name is turned into a number and back. */

#include <string.h>

#include "guard_internal.h"

/* Counters are arrays indexed by reason number: the numbers must be exactly 1..COUNT. */
#define SP_GUARD_REASON_CHECK(sym, num, name, source)                                              \
    _Static_assert(num >= 1 && num <= SP_GUARD_REASON_COUNT, "reason numbers are 1..COUNT");
SP_GUARD_REASON_LIST(SP_GUARD_REASON_CHECK)
#undef SP_GUARD_REASON_CHECK

const char* sp_guard_reason_name(int reason) {
    switch (reason) {
#define SP_GUARD_REASON_CASE(sym, num, name, source)                                               \
    case num:                                                                                      \
        return name;
        SP_GUARD_REASON_LIST(SP_GUARD_REASON_CASE)
#undef SP_GUARD_REASON_CASE
    }
    return NULL;
}

int sp_guard_reason_source(int reason) {
    switch (reason) {
#define SP_GUARD_REASON_CASE(sym, num, name, source)                                               \
    case num:                                                                                      \
        return source;
        SP_GUARD_REASON_LIST(SP_GUARD_REASON_CASE)
#undef SP_GUARD_REASON_CASE
    }
    return 0;
}

int sp_guard_reason_from_name(const char* name) {
#define SP_GUARD_REASON_MATCH(sym, num, str, source)                                               \
    if (name && !strcmp(name, str)) return num;
    SP_GUARD_REASON_LIST(SP_GUARD_REASON_MATCH)
#undef SP_GUARD_REASON_MATCH
    return -1;
}

const char* sp_guard_policy_name(int policy) {
    switch (policy) {
#define SP_GUARD_POLICY_CASE(sym, num, name)                                                       \
    case num:                                                                                      \
        return name;
        SP_GUARD_POLICY_LIST(SP_GUARD_POLICY_CASE)
#undef SP_GUARD_POLICY_CASE
    }
    return NULL;
}

int sp_guard_policy_from_name(const char* name) {
#define SP_GUARD_POLICY_MATCH(sym, num, str)                                                       \
    if (name && !strcmp(name, str)) return num;
    SP_GUARD_POLICY_LIST(SP_GUARD_POLICY_MATCH)
#undef SP_GUARD_POLICY_MATCH
    return -1;
}

const char* sp_guard_budget_name(int budget) {
    switch (budget) {
#define SP_GUARD_BUDGET_CASE(sym, num, name)                                                       \
    case num:                                                                                      \
        return name;
        SP_GUARD_BUDGET_LIST(SP_GUARD_BUDGET_CASE)
#undef SP_GUARD_BUDGET_CASE
    }
    return NULL;
}

int sp_guard_budget_from_name(const char* name) {
#define SP_GUARD_BUDGET_MATCH(sym, num, str)                                                       \
    if (name && !strcmp(name, str)) return num;
    SP_GUARD_BUDGET_LIST(SP_GUARD_BUDGET_MATCH)
#undef SP_GUARD_BUDGET_MATCH
    return -1;
}
