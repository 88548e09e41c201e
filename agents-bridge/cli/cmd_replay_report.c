/* `sandpit replay report FILES... --html DIR`: a static HTML page (no JavaScript) over replays:
 * a summary table (env, seed, return, steps, reason, faults, guardrail trips, the replay
 * itself), then per episode a GIF and the chart panel, and for a pair of files the first step
 * they differ at with both episodes' channels overlaid. Everything is drawn headless by
 * sp_draw; the same files give the same bytes (no dates; files are named as given, and linked
 * by paths relative to the page).
 *
 * Exit status: 0 written, 1 writing failed, 2 bad usage or an unreadable replay. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "commands.h"
#include "replay_cli.h"
#include "sandpit/export.h"
#include "sandpit/guard.h"
#include "sandpit/playback.h"
#include "sandpit/progress.h"
#include "sandpit/version.h"

#define EXIT_FAILED 1
#define GIF_FRAMES 240
#define PLOT_W 640
#define CHART_H 90
#define MAX_REPORT_CHANNELS 8

typedef struct report_opts {
    const char* dir;
    const char* page; /* file name of the page in dir */
    const char* title;
    const char* channels;
    int gif_w, gif_h;
    bool quiet;
} report_opts;

static void usage(FILE* out) {
    fprintf(out, "usage: sandpit replay report FILE... --html DIR [--page NAME.html] [--title T]\n"
                 "                             [--channels LIST] [--gif-size WxH] [--quiet]\n"
                 "  writes DIR/NAME.html (default index.html) and its pictures beside it:\n"
                 "  a summary table, a GIF and the charts of every episode, and for two files the\n"
                 "  first step they differ at, their channels overlaid. No JavaScript.\n");
}

/* Writes `s` with HTML's special characters escaped. */
static void esc(FILE* f, const char* s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* The page's stem ("index" of index.html): asset names start with it, so two pages can share
 * one directory. */
static void stem_of(const char* page, char* out, size_t n) {
    snprintf(out, n, "%s", page);
    char* dot = strrchr(out, '.');
    if (dot && dot != out) *dot = '\0';
}

/* The default charts plus every channel a fault acted on, so the report shows the faults. */
static int report_channels(const sp_playback* pb, const char* list, int* out, char* err,
                           size_t err_sz) {
    if (list) return sp_playback_select_channels(pb, list, out, MAX_REPORT_CHANNELS, err, err_sz);
    int n = sp_playback_default_channels(pb, out, MAX_REPORT_CHANNELS);
    int steps = sp_playback_step_count(pb);
    for (int c = 0; c < sp_playback_channel_count(pb) && n < MAX_REPORT_CHANNELS; c++) {
        const sp_playback_channel* ch = sp_playback_channel_at(pb, c);
        bool touched = false, taken = false;
        for (int k = 0; k <= steps && !touched; k++)
            touched = ch->band[k] != 0;
        for (int i = 0; i < n; i++)
            taken |= out[i] == c;
        if (touched && !taken) out[n++] = c;
    }
    return n;
}

static void write_faults_cell(FILE* f, const sp_playback* pb) {
    int nf = sp_playback_fault_count(pb), steps = sp_playback_step_count(pb);
    if (nf == 0) {
        fputs("none", f);
        return;
    }
    for (int i = 0; i < nf; i++) {
        char desc[160];
        sp_fault_describe(sp_playback_fault(pb, i), desc, sizeof desc);
        int active = 0;
        for (int k = 0; k <= steps; k++)
            active += i < 64 && (sp_playback_step_at(pb, k)->faults >> i & 1u);
        sp_rgb c = sp_draw_fault_color(i);
        fprintf(f, "%s<span class=\"fault\" style=\"border-color:#%02x%02x%02x\">", i ? "<br>" : "",
                c.r, c.g, c.b);
        esc(f, desc);
        fprintf(f, "</span> <small>(%d steps active)</small>", active);
    }
}

static int guard_trips(const sp_playback* pb, int* by_reason) {
    int total = 0;
    memset(by_reason, 0, sizeof(int) * 32);
    for (int k = 0; k <= sp_playback_step_count(pb); k++) {
        uint32_t r = sp_playback_step_at(pb, k)->guard_reasons;
        for (int i = 1; i < 32; i++)
            if (r >> i & 1u) by_reason[i]++, total++;
    }
    return total;
}

static void write_trips_cell(FILE* f, const sp_playback* pb) {
    int by[32];
    if (guard_trips(pb, by) == 0) {
        fputs("0", f);
        return;
    }
    bool first = true;
    for (int i = 1; i < 32; i++)
        if (by[i]) {
            fprintf(f, "%s%d ", first ? "" : "<br>", by[i]);
            esc(f, sp_guard_reason_name(i));
            first = false;
        }
}

static void write_row(FILE* f, const report_opts* o, const char* file, int index,
                      const sp_playback* pb) {
    const sp_replay_header* h = sp_playback_header(pb);
    int n = sp_playback_step_count(pb);
    const sp_playback_step* last = sp_playback_step_at(pb, n);
    const char* reason = sp_playback_reason(pb);
    fprintf(f, "<tr><td><a href=\"#ep-%d\">", index);
    esc(f, file);
    fputs("</a></td><td>", f);
    esc(f, h->env_id);
    fprintf(f, "</td><td>%llu</td><td>%.3f</td><td>%d</td><td>", (unsigned long long)h->seed,
            last->episode_return, n);
    if (reason)
        fprintf(f, "%s: ", last->terminated ? "terminated" : "truncated"), esc(f, reason);
    else
        fputs("did not end", f);
    fputs("</td><td>", f);
    write_faults_cell(f, pb);
    fputs("</td><td>", f);
    write_trips_cell(f, pb);
    fputs("</td><td>", f);
    char rel[PATH_MAX];
    if (sp_cli_relative_path(o->dir, file, rel, sizeof rel)) {
        fputs("<a href=\"", f);
        esc(f, rel);
        fputs("\">replay</a>", f);
    }
    fputs("</td></tr>\n", f);
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em;background:#fff;color:#111}"
    "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;"
    "vertical-align:top;text-align:left}th{background:#ddd}"
    ".fault{border-left:6px solid;padding-left:4px}"
    "img{display:block;margin:6px 0;image-rendering:pixelated;border:1px solid #666}"
    "section{margin-top:2em}.pictures{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-start}"
    ".legend span{display:inline-block;padding:0 6px;margin-right:6px;color:#fff}";

static void write_legend(FILE* f, bool pair) {
    fputs("<p class=\"legend\">", f);
    fputs("<span style=\"background:#33ccff\">A: as the agent saw it / as sent</span>"
          "<span style=\"background:#999\">A: as it truly was / as applied</span>",
          f);
    if (pair)
        fputs("<span style=\"background:#ff6633\">B: as seen / sent</span>"
              "<span style=\"background:#cc9966\">B: true / applied</span>",
              f);
    fputs("<span style=\"background:#666\">grey: under an outage</span>"
          "<span style=\"background:#ff3333\">red line: guardrail trip</span>"
          "<span style=\"background:#ff00ff\">magenta: first divergent step</span>"
          "<span style=\"background:#000\">white: cursor</span>"
          "tinted columns: a fault active on that channel, in its colour</p>\n",
          f);
}

/* Writes episode `i`'s pictures; returns 0 or 1 after printing why. */
static int write_pictures(const report_opts* o, const char* stem, int i, sp_playback* pb,
                          const int* ch, int n) {
    char path[PATH_MAX], err[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s-ep%d.gif", o->dir, stem, i);
    if (sp_export_gif(pb, o->gif_w, o->gif_h, GIF_FRAMES, path, err, sizeof err) != 0) {
        sp_cli_error("replay report: %s", err);
        return EXIT_FAILED;
    }
    sp_plot_def def = {ch, n, -1, NULL, sp_playback_divergence(pb)};
    snprintf(path, sizeof path, "%s/%s-ep%d-plot.png", o->dir, stem, i);
    if (sp_export_plot_png(pb, &def, PLOT_W, CHART_H * n, path, err, sizeof err) != 0) {
        sp_cli_error("replay report: %s", err);
        return EXIT_FAILED;
    }
    return 0;
}

static void write_section(FILE* f, const char* stem, int i, const char* file, sp_playback* pb) {
    fprintf(f, "<section id=\"ep-%d\"><h2>", i);
    esc(f, file);
    fputs("</h2><p>", f);
    esc(f, sp_playback_spec(pb)->id);
    fputs(": ", f);
    esc(f, sp_playback_note(pb));
    fprintf(f,
            "</p><div class=\"pictures\"><img src=\"%s-ep%d.gif\" alt=\"episode %d\">"
            "<img src=\"%s-ep%d-plot.png\" alt=\"charts of episode %d\"></div></section>\n",
            stem, i, i, stem, i, i);
}

static int write_pair(FILE* f, const report_opts* o, const char* stem, sp_playback** pbs,
                      const char** files) {
    int first = sp_playback_first_difference(pbs[0], pbs[1]);
    fputs("<section id=\"pair\"><h2>A against B</h2><p>A = ", f);
    esc(f, files[0]);
    fputs(", B = ", f);
    esc(f, files[1]);
    if (first >= 0)
        fprintf(f,
                ". <b>First divergent step: %d</b> (the first step whose state hashes "
                "differ; marked in magenta).</p>\n",
                first);
    else
        fputs(". <b>No divergence</b>: the same hashes at every step.</p>\n", f);
    int ch[MAX_REPORT_CHANNELS];
    char err[PATH_MAX + 256], path[PATH_MAX];
    int n = report_channels(pbs[0], o->channels, ch, err, sizeof err);
    if (n <= 0) {
        sp_cli_error("replay report: %s", err);
        return SP_EXIT_USAGE;
    }
    sp_plot_def def = {ch, n, -1, pbs[1], first};
    snprintf(path, sizeof path, "%s/%s-pair-plot.png", o->dir, stem);
    if (sp_export_plot_png(pbs[0], &def, PLOT_W, CHART_H * n, path, err, sizeof err) != 0) {
        sp_cli_error("replay report: %s", err);
        return EXIT_FAILED;
    }
    fprintf(f, "<img src=\"%s-pair-plot.png\" alt=\"A and B overlaid\"></section>\n", stem);
    return 0;
}

static int make_dir(const char* dir) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    }
    sp_cli_error("replay report: cannot make directory %s: %s", dir,
                 errno == EEXIST ? "a file is in the way" : strerror(errno));
    return -1;
}

static int run(const report_opts* o, const char** files, int count) {
    char stem[128], path[PATH_MAX], err[PATH_MAX + 256];
    stem_of(o->page, stem, sizeof stem);
    sp_playback** pbs = calloc((size_t)count, sizeof *pbs);
    if (!pbs) return EXIT_FAILED;
    int rc = 0;
    sp_progress progress;
    sp_progress_start(&progress, "report", count, o->quiet);
    for (int i = 0; i < count && rc == 0; i++) {
        pbs[i] = sp_playback_load_recorded(files[i], err, sizeof err);
        if (!pbs[i]) {
            sp_cli_error("replay report: %s", err);
            rc = SP_EXIT_USAGE;
            break;
        }
        int ch[MAX_REPORT_CHANNELS];
        int n = report_channels(pbs[i], o->channels, ch, err, sizeof err);
        if (n <= 0) {
            sp_cli_error("replay report: %s", err);
            rc = SP_EXIT_USAGE;
            break;
        }
        rc = write_pictures(o, stem, i, pbs[i], ch, n);
        sp_progress_update(&progress, i + 1);
    }
    sp_progress_finish(&progress);
    FILE* f = NULL;
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/%s", o->dir, o->page);
        f = fopen(path, "w");
        if (!f) {
            sp_cli_error("replay report: %s: %s", path, strerror(errno));
            rc = EXIT_FAILED;
        }
    }
    if (f) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", f);
        esc(f, o->title);
        fprintf(f, "</title><style>%s</style></head><body>\n<h1>", style);
        esc(f, o->title);
        fprintf(f, "</h1>\n<p>%d episode(s), written by sandpit %s.</p>\n", count,
                SP_VERSION_STRING);
        fputs("<table id=\"summary\"><thead><tr><th>episode</th><th>env</th><th>seed</th>"
              "<th>return</th><th>steps</th><th>reason</th><th>faults</th>"
              "<th>guardrail trips</th><th>file</th></tr></thead><tbody>\n",
              f);
        for (int i = 0; i < count; i++)
            write_row(f, o, files[i], i, pbs[i]);
        fputs("</tbody></table>\n", f);
        write_legend(f, count == 2);
        if (count == 2) rc = write_pair(f, o, stem, pbs, files);
        for (int i = 0; i < count; i++)
            write_section(f, stem, i, files[i], pbs[i]);
        fputs("</body></html>\n", f);
        if (fclose(f) != 0 && rc == 0) {
            sp_cli_error("replay report: %s: write failed", path);
            rc = EXIT_FAILED;
        }
    }
    for (int i = 0; i < count; i++)
        sp_playback_destroy(pbs[i]);
    free(pbs);
    if (rc == 0 && !o->quiet) printf("wrote %s (%d episode(s))\n", path, count);
    return rc;
}

int sp_cmd_replay_report(int argc, char** argv) {
    static const struct option longs[] = {
        {"html", required_argument, NULL, 'H'},     {"page", required_argument, NULL, 'p'},
        {"title", required_argument, NULL, 't'},    {"channels", required_argument, NULL, 'c'},
        {"gif-size", required_argument, NULL, 'g'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    report_opts o = {
        .page = "index.html", .title = "sandpit replay report", .gif_w = 320, .gif_h = 240};
    int c;
    while ((c = sp_cli_option("replay report", "see sandpit replay report --help", argc, argv, "qh",
                              longs)) != -1) {
        switch (c) {
        case 'H':
            o.dir = optarg;
            break;
        case 'p':
            if (strchr(optarg, '/') || !*optarg) {
                sp_cli_error("replay report: --page takes a file name, got '%s'", optarg);
                return SP_EXIT_USAGE;
            }
            o.page = optarg;
            break;
        case 't':
            o.title = optarg;
            break;
        case 'c':
            o.channels = optarg;
            break;
        case 'g':
            if (!sp_cli_parse_size("--gif-size", optarg, &o.gif_w, &o.gif_h)) return SP_EXIT_USAGE;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default: /* SP_CLIOPT_BAD: already reported */
            return SP_EXIT_USAGE;
        }
    }
    int first = sp_cli_operands();
    int count = argc - first;
    if (count < 1 || !o.dir) {
        sp_cli_error("replay report needs FILE... and --html DIR (see --help)");
        return SP_EXIT_USAGE;
    }
    if (make_dir(o.dir) != 0) return EXIT_FAILED;
    return run(&o, (const char**)(argv + first), count);
}
