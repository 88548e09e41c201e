/* Scripted input: parse once at start, then feed SDL events frame by frame (see script.h). */

#include "script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OP_PLAY,
    OP_PAUSE,
    OP_KEY,
    OP_STEP,
    OP_SEEK,
    OP_CHART,
    OP_DRAG,
    OP_WAIT,
    OP_PRINT,
    OP_SHOT,
    OP_QUIT
};

typedef struct key_name {
    const char* name;
    SDL_Keycode sym;
    Uint16 mod;
} key_name;

static const key_name keys[] = {
    {"space", SDLK_SPACE, 0},
    {"left", SDLK_LEFT, 0},
    {"right", SDLK_RIGHT, 0},
    {"shift+left", SDLK_LEFT, KMOD_LSHIFT},
    {"shift+right", SDLK_RIGHT, KMOD_LSHIFT},
    {"home", SDLK_HOME, 0},
    {"end", SDLK_END, 0},
    {"[", SDLK_LEFTBRACKET, 0},
    {"]", SDLK_RIGHTBRACKET, 0},
    {"h", SDLK_h, 0},
    {"p", SDLK_p, 0},
    {"c", SDLK_c, 0},
    {"shift+c", SDLK_c, KMOD_LSHIFT},
    {"q", SDLK_q, 0},
    {"escape", SDLK_ESCAPE, 0},
};
#define KEY_COUNT ((int)(sizeof keys / sizeof keys[0]))

static const key_name* find_key(const char* name) {
    for (int i = 0; i < KEY_COUNT; i++)
        if (strcmp(keys[i].name, name) == 0) return &keys[i];
    return NULL;
}

static bool parse_int(const char* text, int* out) {
    if (!text) return false;
    char* end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < -1000000 || v > 1000000) return false;
    *out = (int)v;
    return true;
}

/* Splits off the next whitespace-separated word of *p in place. */
static char* word(char** p) {
    char* s = *p + strspn(*p, " \t\n");
    if (!*s) return NULL;
    char* e = s + strcspn(s, " \t\n");
    if (*e) *e++ = '\0';
    *p = e;
    return s;
}

static int parse_one(script_cmd* c, char* text, char* err, size_t err_sz) {
    char* p = text;
    char* name = word(&p);
    char* a = word(&p);
    char* b = word(&p);
    char* extra = word(&p);
    int args = (a != NULL) + (b != NULL) + (extra != NULL);
    struct {
        const char* name;
        int op;
        int args;
    } table[] = {{"play", OP_PLAY, 0},       {"pause", OP_PAUSE, 0}, {"key", OP_KEY, 1},
                 {"step", OP_STEP, 1},       {"seek", OP_SEEK, 1},   {"chart", OP_CHART, 1},
                 {"drag", OP_DRAG, 2},       {"wait", OP_WAIT, 1},   {"print", OP_PRINT, 0},
                 {"screenshot", OP_SHOT, 1}, {"quit", OP_QUIT, 0}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].name, name) != 0) continue;
        c->op = table[i].op;
        if (args != table[i].args) {
            snprintf(err, err_sz, "script: '%s' takes %d argument(s)", name, table[i].args);
            return -1;
        }
        c->text = a;
        bool ok = true;
        if (c->op == OP_KEY) ok = find_key(a) != NULL;
        if (c->op == OP_STEP || c->op == OP_SEEK || c->op == OP_WAIT || c->op == OP_DRAG ||
            c->op == OP_CHART)
            ok = parse_int(a, &c->a);
        if (c->op == OP_DRAG) ok = ok && parse_int(b, &c->b);
        if ((c->op == OP_WAIT || c->op == OP_SEEK || c->op == OP_DRAG || c->op == OP_CHART) &&
            (c->a < 0 || c->b < 0))
            ok = false;
        if (!ok) {
            snprintf(err, err_sz, "script: bad argument in '%s %s%s%s'", name, a ? a : "",
                     b ? " " : "", b ? b : "");
            return -1;
        }
        return 0;
    }
    snprintf(err, err_sz,
             "script: unknown command '%s' (play, pause, key, step, seek, chart, drag, wait, "
             "print, screenshot, quit)",
             name);
    return -1;
}

int script_parse(script* s, const char* text, char* err, size_t err_sz) {
    *s = (script){0};
    size_t n = strlen(text);
    s->text = malloc(n + 1);
    if (!s->text) {
        snprintf(err, err_sz, "script: out of memory");
        return -1;
    }
    memcpy(s->text, text, n + 1);
    for (char* cmd = s->text; cmd;) {
        char* semi = strchr(cmd, ';');
        if (semi) *semi = '\0';
        if (cmd[strspn(cmd, " \t\n")] != '\0') {
            if (s->count == SCRIPT_MAX_COMMANDS) {
                snprintf(err, err_sz, "script: more than %d commands", SCRIPT_MAX_COMMANDS);
                return -1;
            }
            if (parse_one(&s->cmds[s->count], cmd, err, err_sz) != 0) return -1;
            s->count++;
        }
        cmd = semi ? semi + 1 : NULL;
    }
    return 0;
}

void script_free(script* s) {
    free(s->text);
    s->text = NULL;
}

bool script_done(const script* s) {
    return s->next >= s->count && s->wait == 0;
}

static void push_key(const key_name* k) {
    SDL_Event e = {0};
    e.type = SDL_KEYDOWN;
    e.key.state = SDL_PRESSED;
    e.key.keysym.sym = k->sym;
    e.key.keysym.scancode = SDL_GetScancodeFromKey(k->sym);
    e.key.keysym.mod = k->mod;
    SDL_PushEvent(&e);
    e.type = SDL_KEYUP;
    e.key.state = SDL_RELEASED;
    SDL_PushEvent(&e);
}

static void push_mouse(Uint32 type, int x, int y) {
    SDL_Event e = {0};
    e.type = type;
    if (type == SDL_MOUSEMOTION) {
        e.motion.x = x;
        e.motion.y = y;
        e.motion.state = SDL_BUTTON_LMASK;
    } else {
        e.button.button = SDL_BUTTON_LEFT;
        e.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
        e.button.clicks = 1;
        e.button.x = x;
        e.button.y = y;
    }
    SDL_PushEvent(&e);
}

int script_run(script* s, view* v, const char** want_screenshot) {
    *want_screenshot = NULL;
    if (s->wait > 0) {
        s->wait--;
        return 0;
    }
    while (s->next < s->count) {
        const script_cmd* c = &s->cmds[s->next++];
        int x, y;
        switch (c->op) {
        case OP_PLAY:
            if (!v->playing) push_key(find_key("space"));
            break;
        case OP_PAUSE:
            if (v->playing) push_key(find_key("space"));
            break;
        case OP_KEY:
            push_key(find_key(c->text));
            break;
        case OP_STEP:
            for (int i = 0; i < (c->a < 0 ? -c->a : c->a); i++)
                push_key(find_key(c->a < 0 ? "left" : "right"));
            break;
        case OP_SEEK:
            view_timeline_point(v, c->a, &x, &y);
            push_mouse(SDL_MOUSEBUTTONDOWN, x, y);
            push_mouse(SDL_MOUSEBUTTONUP, x, y);
            break;
        case OP_CHART:
            /* With the charts off there is nothing to click: a click on the scene does nothing. */
            if (!view_chart_point(v, c->a, &x, &y)) x = y = 0;
            push_mouse(SDL_MOUSEBUTTONDOWN, x, y);
            push_mouse(SDL_MOUSEBUTTONUP, x, y);
            break;
        case OP_DRAG:
            view_timeline_point(v, c->a, &x, &y);
            push_mouse(SDL_MOUSEBUTTONDOWN, x, y);
            view_timeline_point(v, c->b, &x, &y);
            push_mouse(SDL_MOUSEMOTION, x, y - VIEW_TIMELINE_H); /* off the bar: still drags */
            push_mouse(SDL_MOUSEBUTTONUP, x, y - VIEW_TIMELINE_H);
            break;
        case OP_WAIT:
            /* The pushed events are handled this frame; waiting starts after it. */
            s->wait = c->a;
            return 0;
        case OP_PRINT: {
            /* Printed after this frame's events, so it reports their effect. */
            SDL_Event e = {0};
            e.type = SDL_USEREVENT;
            SDL_PushEvent(&e);
            break;
        }
        case OP_SHOT:
            *want_screenshot = c->text;
            return 0; /* one per frame: the caller takes it after drawing */
        case OP_QUIT: {
            SDL_Event e = {0};
            e.type = SDL_QUIT;
            SDL_PushEvent(&e);
            break;
        }
        }
    }
    return 0;
}
