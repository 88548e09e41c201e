#ifndef SANDPIT_VIEWER_SCRIPT_H
#define SANDPIT_VIEWER_SCRIPT_H

/* Scripted input for tests and demos: `--script "play;wait 30;seek 100;screenshot a.png;quit"`.
 *
 * Commands become real SDL events (key presses, mouse clicks on the timeline) pushed onto
 * SDL's queue, so a script exercises the same input handling a person does; only `wait`,
 * `print` and `screenshot` act directly. Commands:
 *   play | pause          space, when it would change the state
 *   key NAME              space left right shift+left shift+right home end [ ] h p c
 *                         shift+c q escape
 *   step N                N presses of right (left when N < 0)
 *   seek STEP             a click on the first timeline at that step (clamped to its ends)
 *   chart STEP            a click on the first chart at that step
 *   drag FROM TO          press at step FROM, move to step TO, release
 *   wait FRAMES           let that many frames pass
 *   print                 "step 100/500 paused 1x" on stdout
 *   screenshot PATH       the window as presented, as PNG
 *   quit                  a quit event */

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

#define SCRIPT_MAX_COMMANDS 128

typedef struct script_cmd {
    int op;
    int a, b;
    const char* text; /* key name or path; points into the script's copy of its text */
} script_cmd;

typedef struct script {
    char* text; /* our copy, split in place */
    script_cmd cmds[SCRIPT_MAX_COMMANDS];
    int count;
    int next;
    int wait; /* frames still to wait */
} script;

/* Parses `text`. Returns 0, or -1 with a message naming the bad command. */
int script_parse(script* s, const char* text, char* err, size_t err_sz);

void script_free(script* s);

/* Whether every command has run. */
bool script_done(const script* s);

/* What a screenshot command calls: writes the window to `path`, returns 0 or -1. */
typedef int (*script_screenshot_fn)(void* user, const char* path);

/* Runs commands until one waits or the script ends. Called once per frame, before events are
 * polled. `want_screenshot` is set to the path a screenshot command asks for (taken by the
 * caller after the frame is drawn), else NULL. Returns 0. */
int script_run(script* s, view* v, const char** want_screenshot);

#endif
