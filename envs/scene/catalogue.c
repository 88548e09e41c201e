/* Scene files as catalogue entries: every *.json of a directory, loaded once at start and
 * registered beside the C envs for the life of the process. */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/envs.h"
#include "sandpit/error.h"
#include "sandpit/scene.h"

/* The scenes registered: the registry holds their classes, pointers into them; these are
 * the scenes themselves, freed by sp_scene_catalogue_release. */
static sp_scene* kept[SP_MAX_REGISTERED_ENVS];
static int kept_count;

static int by_name(const void* a, const void* b) {
    return strcmp(*(char* const*)a, *(char* const*)b);
}

static bool is_json(const char* name) {
    size_t n = strlen(name);
    return n > 5 && name[0] != '.' && !strcmp(name + n - 5, ".json");
}

void sp_scene_catalogue_release(void) {
    sp_env_forget_registered();
    for (int i = 0; i < kept_count; i++)
        sp_scene_destroy(kept[i]);
    kept_count = 0;
}

int sp_scene_catalogue_add_dir(const char* dir, char* err, size_t err_sz) {
    DIR* d = opendir(dir);
    if (!d) {
        snprintf(err, err_sz, "%s: cannot open the scene directory", dir);
        return -1;
    }
    char* names[SP_MAX_REGISTERED_ENVS];
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)) && n < SP_MAX_REGISTERED_ENVS)
        if (is_json(e->d_name) && !(names[n] = strdup(e->d_name)))
            break;
        else if (is_json(e->d_name))
            n++;
    closedir(d);
    /* Directory order is the file system's: sort, so the catalogue's order is the same on
     * every machine. */
    qsort(names, (size_t)n, sizeof *names, by_name);
    int loaded = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0) {
            sp_scene* sc = sp_scene_load_file(path, NULL, err, err_sz);
            if (!sc) {
                rc = -1;
            } else if (sp_env_register(sp_scene_env(sc)) != SP_OK) {
                snprintf(err, err_sz, "%s: env id '%s' is already in the catalogue", path,
                         sp_scene_env(sc)->spec->id);
                sp_scene_destroy(sc);
                rc = -1;
            } else {
                kept[kept_count++] = sc; /* registered: never more than the registry holds */
                loaded++;
            }
        }
        free(names[i]);
    }
    return rc ? -1 : loaded;
}
