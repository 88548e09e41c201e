/* `sandpit-view FILE [FILE2]`: watch one replay, or two side by side stepping together.
 *
 * This file is the SDL shell: window, renderer, one streaming texture, the frame loop.
 * Everything drawn comes from sp_draw via view.c into one RGB8 buffer made at start. */

#include <SDL.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandpit/cliopt.h"
#include "sandpit/episode_config.h"
#include "sandpit/export.h"
#include "sandpit/playback.h"
#include "script.h"
#include "view.h"

#define EXIT_USAGE 2
#define FRAME_MS 16

typedef struct options {
    const char* files[VIEW_MAX_FILES];
    int file_count;
    int width, height;
    const char* script;
    const char* screenshot;
    int after_frames;
} options;

static void usage(FILE* out) {
    fprintf(out, "usage: sandpit-view FILE [FILE2] [--size WxH] [--script CMDS]\n"
                 "                    [--screenshot OUT.png --after-frames N]\n"
                 "  Two files play side by side, stepping together; the first step whose\n"
                 "  recorded hashes differ is marked on the timelines.\n"
                 "  keys: space play/pause, left/right step (shift: 10), [ ] speed, Home/End,\n"
                 "        click or drag the bar to seek, h help, q or Esc quit\n"
                 "  --script \"play;wait 30;seek 100;screenshot out.png;quit\"  scripted input\n"
                 "        (commands: play pause key step seek drag wait print screenshot quit)\n"
                 "  --screenshot OUT.png --after-frames N  same as --script \"wait N;screenshot "
                 "OUT.png;quit\"\n");
}

static bool parse_int(const char* text, int lo, int hi, int* out) {
    char* end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

static bool parse_size(const char* v, int* w, int* h) {
    char buf[32];
    if (strlen(v) >= sizeof buf) return false;
    strcpy(buf, v);
    char* x = strchr(buf, 'x');
    if (!x) return false;
    *x = '\0';
    return parse_int(buf, 160, 8192, w) && parse_int(x + 1, 120, 8192, h);
}

static const struct option view_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"size", required_argument, NULL, 's'},
    {"script", required_argument, NULL, 'c'},
    {"screenshot", required_argument, NULL, 'o'},
    {"after-frames", required_argument, NULL, 'a'},
    {NULL, 0, NULL, 0},
};

static int parse(int argc, char** argv, options* o) {
    static const sp_cliopt cli = {"sandpit-view", NULL, "see --help"};
    int ch;
    while ((ch = sp_cliopt_next(&cli, argc, argv, "h", view_options)) != -1) {
        const char* v = optarg;
        if (ch == 'h') {
            usage(stdout);
            return -1;
        }
        if (ch == 's') {
            if (!parse_size(v, &o->width, &o->height)) {
                fprintf(stderr, "sandpit-view: --size must be WxH (at least 160x120), got '%s'\n",
                        v);
                return EXIT_USAGE;
            }
        } else if (ch == 'c') {
            o->script = v;
        } else if (ch == 'o') {
            o->screenshot = v;
        } else if (ch == 'a') {
            if (!parse_int(v, 0, 1000000, &o->after_frames)) {
                fprintf(stderr, "sandpit-view: --after-frames must be an integer >= 0\n");
                return EXIT_USAGE;
            }
        } else { /* SP_CLIOPT_BAD: already reported */
            return EXIT_USAGE;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (o->file_count == VIEW_MAX_FILES) {
            fprintf(stderr, "sandpit-view: at most %d files\n", VIEW_MAX_FILES);
            return EXIT_USAGE;
        }
        o->files[o->file_count++] = argv[i];
    }
    if (o->file_count == 0) {
        fprintf(stderr, "sandpit-view: missing FILE\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->script && o->screenshot) {
        fprintf(stderr, "sandpit-view: use --script or --screenshot, not both\n");
        return EXIT_USAGE;
    }
    return 0;
}

static const char* base_name(const char* path) {
    const char* slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

typedef struct window {
    SDL_Window* window;
    SDL_Renderer* renderer;
    SDL_Texture* texture;
    uint8_t* shot; /* read-back buffer for screenshots, made once */
    sp_png_encoder* png;
} window;

static int open_window(window* w, const options* o) {
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "sandpit-view: cannot start video: %s\n", SDL_GetError());
        return -1;
    }
    char title[256];
    snprintf(title, sizeof title, "sandpit-view: %s%s%s", base_name(o->files[0]),
             o->file_count > 1 ? " | " : "", o->file_count > 1 ? base_name(o->files[1]) : "");
    w->window = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o->width,
                                 o->height, 0);
    if (!w->window) {
        fprintf(stderr, "sandpit-view: cannot open a window: %s\n", SDL_GetError());
        return -1;
    }
    /* Any renderer will do (we only copy one texture); fall back to software where there is
     * no GPU, as under Xvfb. */
    w->renderer = SDL_CreateRenderer(w->window, -1, SDL_RENDERER_PRESENTVSYNC);
    if (!w->renderer) w->renderer = SDL_CreateRenderer(w->window, -1, SDL_RENDERER_SOFTWARE);
    if (!w->renderer) {
        fprintf(stderr, "sandpit-view: cannot create a renderer: %s\n", SDL_GetError());
        return -1;
    }
    w->texture = SDL_CreateTexture(w->renderer, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING,
                                   o->width, o->height);
    w->shot = malloc((size_t)o->width * (size_t)o->height * 3u);
    w->png = sp_png_encoder_create(o->width, o->height);
    if (!w->texture || !w->shot || !w->png) {
        fprintf(stderr, "sandpit-view: cannot create the frame texture: %s\n", SDL_GetError());
        return -1;
    }
    return 0;
}

static void close_window(window* w) {
    sp_png_encoder_destroy(w->png);
    free(w->shot);
    if (w->texture) SDL_DestroyTexture(w->texture);
    if (w->renderer) SDL_DestroyRenderer(w->renderer);
    if (w->window) SDL_DestroyWindow(w->window);
    SDL_Quit();
}

/* Reads back what the renderer holds for this frame, so a screenshot proves what the window
 * shows rather than what we meant to draw. */
static int screenshot(window* w, const view* v, const char* path) {
    if (SDL_RenderReadPixels(w->renderer, NULL, SDL_PIXELFORMAT_RGB24, w->shot, v->width * 3) !=
        0) {
        fprintf(stderr, "sandpit-view: cannot read the window back: %s\n", SDL_GetError());
        return -1;
    }
    sp_image img = sp_image_wrap(w->shot, v->width, v->height, v->width * 3);
    char err[512];
    if (sp_png_write(w->png, &img, path, err, sizeof err) != 0) {
        fprintf(stderr, "sandpit-view: %s\n", err);
        return -1;
    }
    return 0;
}

static int run(window* w, view* v, script* s) {
    Uint64 last = SDL_GetTicks64();
    bool redraw = true;
    while (!v->quit) {
        Uint64 start = SDL_GetTicks64();
        const char* shot = NULL;
        if (s) script_run(s, v, &shot);
        SDL_Event e;
        while (SDL_PollEvent(&e)) {
            if (e.type == SDL_USEREVENT) {
                char line[128];
                view_describe(v, line, sizeof line);
                printf("%s\n", line);
                fflush(stdout);
                continue;
            }
            view_handle_event(v, &e);
        }
        if (v->quit) break;
        Uint64 now = SDL_GetTicks64();
        view_tick(v, (double)(now - last) / 1000.0);
        last = now;
        if (view_render(v)) {
            SDL_UpdateTexture(w->texture, NULL, v->img.pixels, v->img.stride);
            redraw = true;
        }
        /* Present every frame a script runs, so waits count real presented frames. */
        if (redraw || shot || s) {
            SDL_RenderClear(w->renderer);
            SDL_RenderCopy(w->renderer, w->texture, NULL, NULL);
            if (shot && screenshot(w, v, shot) != 0) return 1;
            if (shot) {
                printf("screenshot %s\n", shot);
                fflush(stdout);
            }
            SDL_RenderPresent(w->renderer);
            redraw = false;
        }
        Uint64 spent = SDL_GetTicks64() - start;
        if (spent < FRAME_MS) SDL_Delay((Uint32)(FRAME_MS - spent));
    }
    return 0;
}

int main(int argc, char** argv) {
    options o = {.width = 960, .height = 600};
    int rc = parse(argc, argv, &o);
    if (rc != 0) return rc < 0 ? 0 : rc;
    if (o.file_count == 2 && o.width == 960) o.width = 1280; /* two panels of a useful width */

    script s = {0};
    bool scripted = o.script || o.screenshot;
    char err[512];
    if (o.screenshot) {
        char text[1200];
        if (strchr(o.screenshot, ';') ||
            snprintf(text, sizeof text, "wait %d;screenshot %s;quit", o.after_frames,
                     o.screenshot) >= (int)sizeof text) {
            fprintf(stderr, "sandpit-view: --screenshot path too long or has a ';'\n");
            return EXIT_USAGE;
        }
        rc = script_parse(&s, text, err, sizeof err);
    } else if (o.script) {
        rc = script_parse(&s, o.script, err, sizeof err);
    }
    if (rc != 0) {
        fprintf(stderr, "sandpit-view: %s\n", err);
        script_free(&s);
        return EXIT_USAGE;
    }

    sp_playback* pbs[VIEW_MAX_FILES] = {NULL};
    /* One context per file: each rebuilds the recorded guardrails and faults of its episode. */
    sp_config_replay* layers[VIEW_MAX_FILES] = {NULL};
    const char* names[VIEW_MAX_FILES];
    for (int i = 0; i < o.file_count; i++) {
        layers[i] = sp_config_replay_create();
        sp_verify_def vdef = layers[i] ? sp_config_replay_def(layers[i]) : sp_default_verify_def();
        pbs[i] = sp_playback_load(o.files[i], layers[i] ? &vdef : NULL, err, sizeof err);
        if (!pbs[i]) {
            fprintf(stderr, "sandpit-view: %s\n", err);
            for (int j = 0; j <= i; j++) {
                sp_playback_destroy(pbs[j]);
                sp_config_replay_destroy(layers[j]);
            }
            script_free(&s);
            return EXIT_USAGE;
        }
        names[i] = base_name(o.files[i]);
        fprintf(stderr, "sandpit-view: %s: %s\n", names[i], sp_playback_note(pbs[i]));
    }
    uint8_t* pixels = malloc((size_t)o.width * (size_t)o.height * 3u);
    window w = {0};
    rc = 1;
    if (pixels && open_window(&w, &o) == 0) {
        view v;
        view_init(&v, pbs, names, o.file_count, pixels, o.width, o.height);
        if (v.difference >= 0)
            fprintf(stderr, "sandpit-view: files differ from step %d\n", v.difference);
        rc = run(&w, &v, scripted ? &s : NULL);
    }
    close_window(&w);
    free(pixels);
    for (int i = 0; i < o.file_count; i++) {
        sp_playback_destroy(pbs[i]);
        sp_config_replay_destroy(layers[i]);
    }
    script_free(&s);
    return rc;
}
