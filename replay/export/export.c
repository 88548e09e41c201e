/* `sandpit replay export FILE...`: renders every step of a replay, headless, to PNG frames, an
 * animated GIF, or a video through ffmpeg when it is installed. Several files go into one
 * directory each (frames) or one GIF each in a directory, with a progress bar over the files.
 *
 * One frame buffer and one encoder per output are made before the first frame; the loop over
 * steps allocates nothing. */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandpit/cliopt.h"
#include "sandpit/error.h"
#include "sandpit/export.h"
#include "sandpit/playback.h"
#include "sandpit/progress.h"

#define EXIT_USAGE 2

typedef struct export_opts {
    const char* file;
    const char** files; /* every FILE given; `file` is the one being exported */
    int file_count;
    const char* frames_dir;
    const char* gif_path;
    const char* video_path;
    int width, height;
    int every;  /* export steps 0, every, 2 * every, ... and always the last */
    double fps; /* animation rate; 0: real time */
    bool hud;
    bool quiet;
    bool frame_progress; /* one file: the bar counts its frames */
} export_opts;

static void usage(FILE* out) {
    fprintf(
        out,
        "usage: sandpit replay export FILE... [--frames DIR] [--gif OUT.gif] [--video OUT.mp4]\n"
        "                             [--size WxH] [--every N] [--fps F] [--no-hud] "
        "[--quiet]\n"
        "  several FILEs: frames into DIR/<name>/, GIFs into the directory --gif names\n"
        "  (DIR/<name>.gif), where <name> is the file's name without .sprp\n"
        "  --frames DIR   one PNG per step: DIR/frame_000000.png (the reset) .. step N\n"
        "  --gif OUT      an animated GIF, looping\n"
        "  --video OUT    a video through ffmpeg (must be on PATH)\n"
        "  --size WxH     frame size in pixels (default 640x480)\n"
        "  --every N      keep every Nth step (and the last); default 1\n"
        "  --fps F        frames per second of the GIF or video (default: real time / N)\n"
        "  --no-hud       the scene only\n");
}

static void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, "sandpit: replay export: " and the message. */
static void fail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sandpit: replay export: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static bool parse_int(const char* text, int lo, int hi, int* out) {
    char* end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

static const struct option export_options[] = {
    {"help", no_argument, NULL, 'h'},       {"frames", required_argument, NULL, 'f'},
    {"gif", required_argument, NULL, 'g'},  {"video", required_argument, NULL, 'v'},
    {"size", required_argument, NULL, 's'}, {"every", required_argument, NULL, 'e'},
    {"fps", required_argument, NULL, 'r'},  {"no-hud", no_argument, NULL, 'n'},
    {"quiet", no_argument, NULL, 'q'},      {NULL, 0, NULL, 0},
};

static int parse(int argc, char** argv, export_opts* o) {
    static const sp_cliopt cli = {"sandpit: replay export", NULL,
                                  "see sandpit replay export --help"};
    int ch;
    /* getopt's vector starts at "export", just before our arguments (see export.h). */
    while ((ch = sp_cliopt_next(&cli, argc + 1, argv - 1, "h", export_options)) != -1) {
        const char* v = optarg;
        if (ch == 'h') {
            usage(stdout);
            return -1;
        } else if (ch == 'f') {
            o->frames_dir = v;
        } else if (ch == 'g') {
            o->gif_path = v;
        } else if (ch == 'v') {
            o->video_path = v;
        } else if (ch == 's') {
            char w[16], h[16];
            const char* x = strchr(v, 'x');
            if (!x || x == v || (size_t)(x - v) >= sizeof w || strlen(x + 1) >= sizeof h) {
                fail("--size must be WxH, got '%s'", v);
                return EXIT_USAGE;
            }
            memcpy(w, v, (size_t)(x - v));
            w[x - v] = '\0';
            strcpy(h, x + 1);
            if (!parse_int(w, 16, 8192, &o->width) || !parse_int(h, 16, 8192, &o->height)) {
                fail("--size must be WxH with sides 16..8192, got '%s'", v);
                return EXIT_USAGE;
            }
        } else if (ch == 'e') {
            if (!parse_int(v, 1, 1000000, &o->every)) {
                fail("--every must be an integer >= 1, got '%s'", v);
                return EXIT_USAGE;
            }
        } else if (ch == 'r') {
            char* end;
            o->fps = strtod(v, &end);
            if (end == v || *end || !(o->fps > 0.0 && o->fps <= 1000.0)) {
                fail("--fps must be a number in (0, 1000], got '%s'", v);
                return EXIT_USAGE;
            }
        } else if (ch == 'n') {
            o->hud = false;
        } else if (ch == 'q') {
            o->quiet = true;
        } else { /* SP_CLIOPT_BAD: already reported */
            return EXIT_USAGE;
        }
    }
    int first = optind - 1; /* back to our argv's indices */
    for (int i = first; i < argc; i++)
        o->files[o->file_count++] = argv[i];
    if (o->file_count == 0) {
        fail("missing FILE");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->file_count > 1 && o->video_path) {
        fail("--video takes one FILE (got %d)", o->file_count);
        return EXIT_USAGE;
    }
    if (!o->frames_dir && !o->gif_path && !o->video_path) {
        fail("nothing to do: give --frames DIR, --gif OUT or --video OUT");
        return EXIT_USAGE;
    }
    if (o->video_path && (o->width % 2 || o->height % 2)) {
        fail("--video needs an even width and height (yuv420p)");
        return EXIT_USAGE;
    }
    return 0;
}

/* Whether `name` is an executable file in a directory on PATH. */
static bool on_path(const char* name) {
    const char* path = getenv("PATH");
    if (!path) return false;
    char buf[PATH_MAX];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && n + 1 + strlen(name) < sizeof buf) {
            memcpy(buf, path, n);
            buf[n] = '/';
            strcpy(buf + n + 1, name);
            if (access(buf, X_OK) == 0) return true;
        }
        path += n;
        if (*path == ':') path++;
    }
    return false;
}

/* Appends `s` single-quoted for /bin/sh. */
static bool shell_quote(char* out, size_t cap, const char* s) {
    size_t used = strlen(out);
    if (used + 1 >= cap) return false;
    out[used++] = '\'';
    for (; *s; s++) {
        const char* piece = *s == '\'' ? "'\\''" : NULL;
        size_t n = piece ? strlen(piece) : 1;
        if (used + n + 2 >= cap) return false;
        if (piece)
            memcpy(out + used, piece, n);
        else
            out[used] = *s;
        used += n;
    }
    out[used++] = '\'';
    out[used] = '\0';
    return true;
}

static FILE* open_video(const export_opts* o, double fps) {
    char cmd[PATH_MAX + 256];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -y -loglevel error -f rawvideo -pix_fmt rgb24 -s %dx%d -r %.6g -i - "
             "-pix_fmt yuv420p ",
             o->width, o->height, fps);
    if (!shell_quote(cmd, sizeof cmd, o->video_path)) return NULL;
    return popen(cmd, "w");
}

static int make_one_dir(const char* dir) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
        errno = ENOTDIR;
    }
    return -1;
}

/* mkdir -p: the frames directory and any missing parents. */
static int make_dir(const char* dir) {
    char path[PATH_MAX];
    if (strlen(dir) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(path, dir);
    for (char* p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = make_one_dir(path);
        *p = '/';
        if (rc != 0) return -1;
    }
    return make_one_dir(path);
}

typedef struct outputs {
    uint8_t* pixels;
    sp_image img;
    sp_png_encoder* png;
    sp_gif_writer* gif;
    FILE* video;
    int frames;
} outputs;

static int write_frame(const export_opts* o, outputs* out, int step) {
    char err[PATH_MAX + 128];
    if (out->png) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/frame_%06d.png", o->frames_dir, step);
        if (n < 0 || (size_t)n >= sizeof path) {
            fail("%s: path too long", o->frames_dir);
            return 1;
        }
        if (sp_png_write(out->png, &out->img, path, err, sizeof err) != 0) {
            fail("%s", err);
            return 1;
        }
    }
    if (out->gif && sp_gif_add_frame(out->gif, &out->img) != 0) {
        fail("%s: write failed", o->gif_path);
        return 1;
    }
    if (out->video) {
        size_t len = (size_t)out->img.stride * (size_t)out->img.height;
        if (fwrite(out->pixels, 1, len, out->video) != len) {
            fail("%s: ffmpeg stopped reading frames", o->video_path);
            return 1;
        }
    }
    out->frames++;
    return 0;
}

static int run(const export_opts* o, sp_playback* pb, outputs* out) {
    char err[PATH_MAX + 128];
    const sp_replay_header* h = sp_playback_header(pb);
    double step_seconds = h->dt * (double)h->frame_skip;
    double fps = o->fps > 0.0 ? o->fps : 1.0 / (step_seconds * (double)o->every);

    size_t len = (size_t)o->width * 3u * (size_t)o->height;
    out->pixels = malloc(len);
    if (!out->pixels) {
        fail("out of memory");
        return 1;
    }
    out->img = sp_image_wrap(out->pixels, o->width, o->height, o->width * 3);
    if (o->frames_dir) {
        if (make_dir(o->frames_dir) != 0) {
            fail("%s: %s", o->frames_dir, strerror(errno));
            return 1;
        }
        if (!(out->png = sp_png_encoder_create(o->width, o->height))) {
            fail("out of memory");
            return 1;
        }
    }
    if (o->gif_path) {
        /* GIF delays are hundredths of a second; browsers slow anything under 2 to 10. */
        int delay = (int)lround(100.0 / fps);
        if (delay < 2) delay = 2;
        if (!(out->gif = sp_gif_open(o->gif_path, o->width, o->height, delay, err, sizeof err))) {
            fail("%s", err);
            return 1;
        }
    }
    if (o->video_path) {
        if (!(out->video = open_video(o, fps))) {
            fail("%s: cannot start ffmpeg", o->video_path);
            return 1;
        }
    }
    sp_playback_draw_opts draw = sp_default_playback_draw_opts();
    draw.hud = o->hud;
    int n = sp_playback_step_count(pb);
    sp_progress progress;
    sp_progress_start(&progress, "export", n + 1, o->quiet || !o->frame_progress);
    int rc = 0;
    for (int step = 0; step <= n && rc == 0; step++) {
        if (step % o->every != 0 && step != n) continue;
        sp_playback_draw(pb, step, &out->img, &draw);
        rc = write_frame(o, out, step);
        sp_progress_update(&progress, step + 1);
    }
    sp_progress_finish(&progress);
    return rc;
}

/* Exports o->file; returns its exit status. */
static int export_one(const export_opts* o) {
    char err[PATH_MAX + 256];
    sp_playback* pb = sp_playback_load_recorded(o->file, err, sizeof err);
    if (!pb) {
        fail("%s", err);
        return EXIT_USAGE;
    }
    /* A dead ffmpeg must fail the write, not kill us. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    outputs out = {0};
    int rc = run(o, pb, &out);
    if (out.gif && sp_gif_close(out.gif) != 0 && rc == 0) {
        fail("%s: write failed", o->gif_path);
        rc = 1;
    }
    if (out.video) {
        int status = pclose(out.video);
        if (status != 0 && rc == 0) {
            fail("%s: ffmpeg failed", o->video_path);
            rc = 1;
        }
    }
    signal(SIGPIPE, old_pipe);
    if (rc == 0 && !o->quiet)
        printf("exported %d frames of %s (%s, steps 0..%d): %s\n", out.frames, o->file,
               sp_playback_spec(pb)->id, sp_playback_step_count(pb), sp_playback_note(pb));
    sp_png_encoder_destroy(out.png);
    free(out.pixels);
    sp_playback_destroy(pb);
    return rc;
}

/* "<dir>/<name of file without .sprp><suffix>" into out; false when too long. */
static bool path_in(char* out, size_t n, const char* dir, const char* file, const char* suffix) {
    const char* slash = strrchr(file, '/');
    const char* name = slash ? slash + 1 : file;
    size_t len = strlen(name), ext = strlen(SP_REPLAY_EXTENSION);
    if (len > ext && strcmp(name + len - ext, SP_REPLAY_EXTENSION) == 0) len -= ext;
    int w = snprintf(out, n, "%s/%.*s%s", dir, (int)len, name, suffix);
    return w > 0 && (size_t)w < n;
}

int sp_replay_export_main(int argc, char** argv) {
    const char** files = malloc(sizeof *files * (size_t)(argc > 0 ? argc : 1));
    if (!files) {
        fail("out of memory");
        return 1;
    }
    export_opts o = {.files = files, .width = 640, .height = 480, .every = 1, .hud = true};
    int rc = parse(argc, argv, &o);
    if (rc != 0) {
        free(files);
        return rc < 0 ? 0 : rc;
    }

    /* Before any work: a missing encoder is the user's to fix, not a half-done export. */
    if (o.video_path && !on_path("ffmpeg")) {
        fail("--video needs ffmpeg on PATH and there is none: install it, or use --frames DIR "
             "or --gif OUT");
        free(files);
        return 1;
    }
    if (o.file_count == 1) {
        o.file = files[0];
        o.frame_progress = true;
        rc = export_one(&o);
        free(files);
        return rc;
    }
    if (o.gif_path && make_dir(o.gif_path) != 0) {
        fail("%s: %s", o.gif_path, strerror(errno));
        free(files);
        return 1;
    }
    /* Many files: each into its own frames directory and GIF, the bar over the files; the
     * worst status wins, as for verify. */
    int worst = 0;
    sp_progress progress;
    sp_progress_start(&progress, "export", o.file_count, o.quiet);
    for (int i = 0; i < o.file_count; i++) {
        export_opts one = o;
        one.file = files[i];
        char frames[PATH_MAX], gif[PATH_MAX];
        if ((o.frames_dir && !path_in(frames, sizeof frames, o.frames_dir, one.file, "")) ||
            (o.gif_path && !path_in(gif, sizeof gif, o.gif_path, one.file, ".gif"))) {
            fail("%s: output path too long", one.file);
            rc = 1;
        } else {
            one.frames_dir = o.frames_dir ? frames : NULL;
            one.gif_path = o.gif_path ? gif : NULL;
            sp_progress_clear(&progress);
            rc = export_one(&one);
        }
        if (rc > worst) worst = rc;
        sp_progress_update(&progress, i + 1);
    }
    sp_progress_finish(&progress);
    free(files);
    return worst;
}
