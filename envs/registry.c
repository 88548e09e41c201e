#include <stdio.h>
#include <string.h>

#include "env_list.h"
#include "sandpit/envs.h"
#include "sandpit/error.h"

static const sp_env_class* const registry[] = {
#define SP_ENV_ENTRY(name) &name,
    SP_ENV_LIST(SP_ENV_ENTRY)
#undef SP_ENV_ENTRY
};

#define REGISTRY_COUNT ((int)(sizeof registry / sizeof registry[0]))

/* Classes made at run time (scenes), after the built-in ones. */
static const sp_env_class* added[SP_MAX_REGISTERED_ENVS];
static int added_count;

int sp_env_count(void) {
    return REGISTRY_COUNT + added_count;
}

const sp_env_class* sp_env_at(int index) {
    if (index >= 0 && index < REGISTRY_COUNT) return registry[index];
    if (index >= REGISTRY_COUNT && index < REGISTRY_COUNT + added_count)
        return added[index - REGISTRY_COUNT];
    return NULL;
}

const sp_env_class* sp_env_find(const char* id) {
    if (!id) return NULL;
    for (int i = 0; i < sp_env_count(); i++)
        if (strcmp(sp_env_at(i)->spec->id, id) == 0) return sp_env_at(i);
    return NULL;
}

int sp_env_register(const sp_env_class* env) {
    if (sp_env_find(env->spec->id)) return SP_E_BAD_ARGUMENT;
    if (added_count == SP_MAX_REGISTERED_ENVS) return SP_E_LIMIT;
    added[added_count++] = env;
    return SP_OK;
}

void sp_env_forget_registered(void) {
    added_count = 0;
}

void sp_env_list_ids(char* buf, size_t buf_sz) {
    size_t used = 0;
    if (buf_sz) buf[0] = '\0';
    for (int i = 0; i < sp_env_count() && used < buf_sz; i++) {
        int n = snprintf(buf + used, buf_sz - used, "%s%s", i ? ", " : "", sp_env_at(i)->spec->id);
        if (n < 0) break;
        used += (size_t)n;
    }
}
