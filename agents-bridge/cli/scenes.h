#ifndef SANDPIT_CLI_SCENES_H
#define SANDPIT_CLI_SCENES_H

/* Scenes for the command-line tool: the catalogue's scene files and single scene files. */

#include <stdio.h>

#include "sandpit/env.h"
#include "sandpit/scene.h"

/* Registers the scenes of the default directory (SANDPIT_SCENES_DIR in the environment, else
 * the source tree's assets/scenes and then assets/levels when they exist) and of `dirs`, once
 * per process. Prints the error and returns 1 when a file is bad or a named directory is
 * missing; 0 otherwise. */
int sp_cli_load_scenes(const char* const* dirs, int count);

/* Loads one scene file with the default limits; prints the error (with its path) on failure. */
sp_scene* sp_cli_load_scene_file(const char* path);

/* The spec printers of `sandpit envs` (cmd_envs.c). */
void sp_cli_json_spec(FILE* out, const sp_env_spec* s);
void sp_cli_text_spec(const sp_env_spec* s);

#endif
