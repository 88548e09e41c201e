#include "scenes.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "args.h"

static int loaded;

static int add_dir(const char* dir) {
    char err[512];
    if (sp_scene_catalogue_add_dir(dir, err, sizeof err) < 0) {
        sp_cli_error("scenes: %s", err);
        return 1;
    }
    return 0;
}

int sp_cli_load_scenes(const char* const* dirs, int count) {
    if (loaded) return 0;
    loaded = 1;
    const char* dir = getenv("SANDPIT_SCENES_DIR");
    struct stat st;
#ifdef SP_SCENES_DIR
    if (!dir && stat(SP_SCENES_DIR, &st) == 0 && S_ISDIR(st.st_mode)) dir = SP_SCENES_DIR;
#endif
    /* An empty SANDPIT_SCENES_DIR turns the default catalogue off. */
    if (dir && dir[0] && add_dir(dir) != 0) return 1;
#ifdef SP_LEVELS_DIR
    /* The evaluation levels go with the default catalogue, never with a chosen directory. */
    if (!getenv("SANDPIT_SCENES_DIR") && stat(SP_LEVELS_DIR, &st) == 0 && S_ISDIR(st.st_mode) &&
        add_dir(SP_LEVELS_DIR) != 0)
        return 1;
#endif
    for (int i = 0; i < count; i++)
        if (add_dir(dirs[i]) != 0) return 1;
    return 0;
}

sp_scene* sp_cli_load_scene_file(const char* path) {
    char err[512];
    sp_scene* sc = sp_scene_load_file(path, NULL, err, sizeof err);
    if (!sc) sp_cli_error("scene: %s", err);
    return sc;
}
