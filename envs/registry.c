#include <stdio.h>
#include <string.h>

#include "env_list.h"
#include "sandpit/envs.h"

static const sp_env_class* const registry[] = {
#define SP_ENV_ENTRY(name) &name,
    SP_ENV_LIST(SP_ENV_ENTRY)
#undef SP_ENV_ENTRY
};

#define REGISTRY_COUNT ((int)(sizeof registry / sizeof registry[0]))

int sp_env_count(void) {
    return REGISTRY_COUNT;
}

const sp_env_class* sp_env_at(int index) {
    return (index >= 0 && index < REGISTRY_COUNT) ? registry[index] : NULL;
}

const sp_env_class* sp_env_find(const char* id) {
    if (!id) return NULL;
    for (int i = 0; i < REGISTRY_COUNT; i++)
        if (strcmp(registry[i]->spec->id, id) == 0) return registry[i];
    return NULL;
}

void sp_env_list_ids(char* buf, size_t buf_sz) {
    size_t used = 0;
    if (buf_sz) buf[0] = '\0';
    for (int i = 0; i < REGISTRY_COUNT && used < buf_sz; i++) {
        int n = snprintf(buf + used, buf_sz - used, "%s%s", i ? ", " : "", registry[i]->spec->id);
        if (n < 0) break;
        used += (size_t)n;
    }
}
