/* `sandpit replay plot FILE --out plot.png [--channels LIST] [--against FILE2] [--step N]
 * [--size WxH]`: the viewer's chart panel as a PNG, headless (sp_draw only, no SDL).
 *
 * Exit status: 0 written, 1 writing failed, 2 bad usage, an unreadable replay or a channel
 * that does not exist. */

#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "replay_cli.h"
#include "sandpit/export.h"
#include "sandpit/playback.h"

#define EXIT_FAILED 1
#define CHART_H 110 /* pixels per chart when --size gives no height */

static void usage(FILE* out) {
    fprintf(out,
            "usage: sandpit replay plot FILE --out PLOT.png [--channels LIST] [--against FILE2]\n"
            "                           [--step N] [--size WxH] [--quiet]\n"
            "  --channels LIST  comma-separated names or globs: sensor names (what the agent\n"
            "                   saw over what truly was), actuator names or 'action' (as sent\n"
            "                   over as applied), reward, return, cost; default: two sensors,\n"
            "                   the first action, reward and cost\n"
            "  --against FILE2  overlay a second episode and mark the first step they differ\n"
            "  --step N         draw the cursor at step N (default: none)\n"
            "  --size WxH       image size (default 900 x 110 per chart)\n");
}

int sp_cmd_replay_plot(int argc, char** argv) {
    static const struct option longs[] = {
        {"out", required_argument, NULL, 'o'},     {"channels", required_argument, NULL, 'c'},
        {"against", required_argument, NULL, 'a'}, {"step", required_argument, NULL, 's'},
        {"size", required_argument, NULL, 'S'},    {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *channels = NULL, *against = NULL;
    int step = -1, width = 900, height = 0;
    bool quiet = false;
    int c;
    while ((c = sp_cli_option("replay plot", "see sandpit replay plot --help", argc, argv, "qh",
                              longs)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'c':
            channels = optarg;
            break;
        case 'a':
            against = optarg;
            break;
        case 's':
            if (!sp_arg_int("--step", optarg, 0, 100000000, &step)) return SP_EXIT_USAGE;
            break;
        case 'S':
            if (!sp_cli_parse_size("--size", optarg, &width, &height)) return SP_EXIT_USAGE;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default: /* SP_CLIOPT_BAD: already reported */
            return SP_EXIT_USAGE;
        }
    }
    int first = sp_cli_operands();
    if (argc - first != 1 || !out) {
        sp_cli_error("replay plot needs one FILE and --out PLOT.png (see --help)");
        return SP_EXIT_USAGE;
    }
    const char* file = argv[first];
    char err[1024];
    sp_playback* pb = sp_playback_load_recorded(file, err, sizeof err);
    sp_playback* other = against ? sp_playback_load_recorded(against, err, sizeof err) : NULL;
    if (!pb || (against && !other)) {
        sp_cli_error("replay plot: %s", err);
        sp_playback_destroy(pb);
        sp_playback_destroy(other);
        return SP_EXIT_USAGE;
    }
    int picked[SP_PLOT_MAX_CHANNELS];
    int n = channels ? sp_playback_select_channels(pb, channels, picked, SP_PLOT_MAX_CHANNELS, err,
                                                   sizeof err)
                     : sp_playback_default_channels(pb, picked, SP_PLOT_MAX_CHANNELS);
    int rc = 0;
    if (n <= 0) {
        sp_cli_error("replay plot: %s", err);
        rc = SP_EXIT_USAGE;
    } else {
        sp_plot_def def = {picked, n, step, other, -1};
        if (other) def.diverge_step = sp_playback_first_difference(pb, other);
        if (height == 0) height = CHART_H * n;
        if (sp_export_plot_png(pb, &def, width, height, out, err, sizeof err) != 0) {
            sp_cli_error("replay plot: %s", err);
            rc = EXIT_FAILED;
        } else if (!quiet) {
            printf("plotted %d channel(s) of %s (%d steps) into %s\n", n, file,
                   sp_playback_step_count(pb), out);
        }
    }
    sp_playback_destroy(pb);
    sp_playback_destroy(other);
    return rc;
}
