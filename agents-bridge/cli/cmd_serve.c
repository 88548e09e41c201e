/* `sandpit serve`: the wire protocol server (docs/PROTOCOL.md) in the foreground.
 *
 * For spawners and tests, once every endpoint is bound it prints one `listening <endpoint>`
 * line per endpoint (wildcard ports resolved) and then `ready` on stdout; nothing else goes
 * to stdout. Logs go to stderr. SIGINT or SIGTERM stops it: every session is closed and the
 * exit status is 0. With --parent-fd it also stops when its parent process is gone. */

/* realpath() is XSI; prctl() and its PR_SET_PDEATHSIG are Linux's. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "keyfile.h"
#include "scenes.h"
#include "sandpit/server.h"

static sp_server* volatile running;

static void on_signal(int sig) {
    (void)sig;
    if (running) sp_server_stop(running);
}

/* The parent this server was started by (--parent-fd). The kernel sends PARENT_DEATH_SIGNAL
 * when the *thread* that started the server ends, which need not be its process: the handler
 * stops only once the process is gone (the server was handed to another parent). */
#define PARENT_DEATH_SIGNAL SIGUSR1
static pid_t parent_pid;

static void on_parent_signal(int sig) {
    (void)sig;
    if (running && getppid() != parent_pid) sp_server_stop(running);
}

static const char usage_text[] =
    "usage: sandpit serve [--bind EP]... [--max-message-bytes N] [--max-sessions N]\n"
    "                     [--max-envs-per-session N] [--max-total-envs N]\n"
    "                     [--idle-timeout SECONDS] [--max-memory-mb N] [--max-step-rate R]\n"
    "                     [--curve-secret KEYFILE --authorized-keys DIR] [--record-root DIR]\n"
    "                     [--threads N] [--log-level error|warn|info] [--scenes DIR]...\n"
    "                     [--parent-fd FD]\n"
    "\n"
    "  --bind EP                 ZeroMQ endpoint, repeatable (default tcp://127.0.0.1:5555;\n"
    "                            tcp://127.0.0.1:* picks a free port; ipc://PATH works)\n"
    "  --max-message-bytes N     larger requests get too_large (default 8388608)\n"
    "  --max-sessions N          open sessions at once (default 256)\n"
    "  --max-envs-per-session N  num_envs of one make (default 4096)\n"
    "  --max-total-envs N        envs over all sessions (default 16384)\n"
    "  --idle-timeout SECONDS    close sessions idle this long, 0 never (default 600)\n"
    "  --max-memory-mb N         memory ceiling: make is refused past it (default: half the\n"
    "                            physical memory, at most 4096)\n"
    "  --max-step-rate R         step and reset requests per second per session; over it\n"
    "                            rate_limited (default 0: no limit)\n"
    "  --curve-secret KEYFILE    CurveZMQ: encrypt, and authenticate clients with this server\n"
    "                            secret key (sandpit keygen; the file must be mode 0600)\n"
    "  --authorized-keys DIR     with --curve-secret: serve only clients whose public key is\n"
    "                            in a DIR/*.pub file\n"
    "  --record-root DIR         clients may have replays recorded below DIR only (make's\n"
    "                            record.dir is resolved against it); without it, none\n"
    "  --threads N               stepping threads (default: online CPUs, at most 64)\n"
    "  --log-level L             error, warn (default) or info; logs go to stderr\n"
    "  --scenes DIR              add DIR/*.json scene files to the catalogue, repeatable\n"
    "                            (assets/scenes is always loaded; docs/SCENES.md)\n"
    "  --parent-fd FD            stop when the parent process is gone: FD is the read end of\n"
    "                            a pipe whose write end only the parent holds (end-of-file\n"
    "                            there, or the parent's death signal, stops the server)\n";

static bool parse_level(const char* v, sp_log_level* out) {
    static const struct {
        const char* name;
        sp_log_level level;
    } levels[] = {{"error", SP_LOG_ERROR}, {"warn", SP_LOG_WARN}, {"info", SP_LOG_INFO}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (!strcmp(v, levels[i].name)) {
            *out = levels[i].level;
            return true;
        }
    }
    sp_cli_error("--log-level must be error, warn or info, got '%s'", v);
    return false;
}

/* Key files named by the arguments, read after parsing. */
typedef struct key_files {
    const char* secret;
    const char* authorized_dir;
    const char* scene_dirs[SP_SERVER_MAX_BINDS];
    int scene_dir_count;
} key_files;

enum serve_option {
    OPT_BIND = 256,
    OPT_MAX_MESSAGE_BYTES,
    OPT_MAX_SESSIONS,
    OPT_MAX_ENVS_PER_SESSION,
    OPT_MAX_TOTAL_ENVS,
    OPT_IDLE_TIMEOUT,
    OPT_MAX_MEMORY_MB,
    OPT_MAX_STEP_RATE,
    OPT_CURVE_SECRET,
    OPT_AUTHORIZED_KEYS,
    OPT_RECORD_ROOT,
    OPT_THREADS,
    OPT_LOG_LEVEL,
    OPT_PARENT_FD,
    OPT_SCENES,
};

static const struct option serve_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"bind", required_argument, NULL, OPT_BIND},
    {"max-message-bytes", required_argument, NULL, OPT_MAX_MESSAGE_BYTES},
    {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
    {"max-envs-per-session", required_argument, NULL, OPT_MAX_ENVS_PER_SESSION},
    {"max-total-envs", required_argument, NULL, OPT_MAX_TOTAL_ENVS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"max-memory-mb", required_argument, NULL, OPT_MAX_MEMORY_MB},
    {"max-step-rate", required_argument, NULL, OPT_MAX_STEP_RATE},
    {"curve-secret", required_argument, NULL, OPT_CURVE_SECRET},
    {"authorized-keys", required_argument, NULL, OPT_AUTHORIZED_KEYS},
    {"record-root", required_argument, NULL, OPT_RECORD_ROOT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"parent-fd", required_argument, NULL, OPT_PARENT_FD},
    {"scenes", required_argument, NULL, OPT_SCENES},
    {NULL, 0, NULL, 0},
};

/* Fills `def` from the arguments; returns 0, -1 for --help, or SP_EXIT_USAGE. */
static int parse(int argc, char** argv, sp_server_def* def, const char** binds, key_files* keys) {
    static const char hint[] = "see sandpit serve --help";
    int bind_count = 0;
    int ch;
    while ((ch = sp_cli_option("serve", hint, argc, argv, "h", serve_options)) != -1) {
        const char* v = optarg;
        int n = 0;
        bool ok = true;
        switch (ch) {
        case 'h':
            return -1;
        case OPT_BIND:
            if (!v[0] || bind_count == SP_SERVER_MAX_BINDS) {
                sp_cli_error("--bind takes a non-empty endpoint, at most %d times",
                             SP_SERVER_MAX_BINDS);
                return SP_EXIT_USAGE;
            }
            binds[bind_count++] = v;
            break;
        case OPT_MAX_MESSAGE_BYTES:
            ok = sp_arg_int("--max-message-bytes", v, 64, 1 << 30, &n);
            def->max_message_bytes = (size_t)n;
            break;
        case OPT_MAX_SESSIONS:
            ok = sp_arg_int("--max-sessions", v, 1, 1 << 24, &def->max_sessions);
            break;
        case OPT_MAX_ENVS_PER_SESSION:
            ok = sp_arg_int("--max-envs-per-session", v, 1, 1 << 24, &def->max_envs_per_session);
            break;
        case OPT_MAX_TOTAL_ENVS:
            ok = sp_arg_int("--max-total-envs", v, 1, 1 << 26, &def->max_total_envs);
            break;
        case OPT_IDLE_TIMEOUT:
            ok = sp_arg_double("--idle-timeout", v, 0.0, 1e9, &def->idle_timeout_s);
            break;
        case OPT_MAX_MEMORY_MB:
            ok = sp_arg_int("--max-memory-mb", v, (int)(SP_SERVER_MIN_MEMORY >> 20), 1 << 24, &n);
            def->max_memory_bytes = (size_t)n << 20;
            break;
        case OPT_MAX_STEP_RATE:
            ok = sp_arg_double("--max-step-rate", v, 0.0, SP_SERVER_MAX_STEP_RATE,
                               &def->max_step_rate);
            break;
        case OPT_SCENES:
            if (keys->scene_dir_count == SP_SERVER_MAX_BINDS) {
                sp_cli_error("--scenes: at most %d directories", SP_SERVER_MAX_BINDS);
                return SP_EXIT_USAGE;
            }
            keys->scene_dirs[keys->scene_dir_count++] = v;
            break;
        case OPT_CURVE_SECRET:
            keys->secret = v;
            break;
        case OPT_AUTHORIZED_KEYS:
            keys->authorized_dir = v;
            break;
        case OPT_RECORD_ROOT: {
            /* Resolved once, so that symlinks in the operator's own path are settled and the
             * prefix check compares like with like. */
            static char root[PATH_MAX];
            if (!realpath(v, root)) {
                sp_cli_error("--record-root: cannot resolve '%s': %s", v, strerror(errno));
                return SP_EXIT_USAGE;
            }
            def->record_root = root;
            break;
        }
        case OPT_PARENT_FD:
            ok = sp_arg_int("--parent-fd", v, 0, INT_MAX, &def->parent_fd);
            if (ok && fcntl(def->parent_fd, F_GETFD) < 0) {
                sp_cli_error("--parent-fd: %d is not an open file descriptor", def->parent_fd);
                return SP_EXIT_USAGE;
            }
            break;
        case OPT_THREADS:
            ok = sp_arg_int("--threads", v, 1, SP_SERVER_MAX_THREADS, &def->threads);
            break;
        case OPT_LOG_LEVEL:
            ok = parse_level(v, &def->log_level);
            break;
        default: /* SP_CLIOPT_BAD: already reported */
            return SP_EXIT_USAGE;
        }
        if (!ok) return SP_EXIT_USAGE;
    }
    if (sp_cli_operands() < argc) {
        sp_cli_error("serve: unknown option '%s' (%s)", argv[sp_cli_operands()], hint);
        return SP_EXIT_USAGE;
    }
    if (bind_count > 0) {
        def->binds = binds;
        def->bind_count = bind_count;
    }
    if (!keys->secret != !keys->authorized_dir) {
        sp_cli_error("--curve-secret and --authorized-keys go together (see sandpit serve --help)");
        return SP_EXIT_USAGE;
    }
    return 0;
}

int sp_cmd_serve(int argc, char** argv) {
    sp_server_def def = sp_default_server_def();
    const char* binds[SP_SERVER_MAX_BINDS];
    key_files keys = {0};
    int rc = parse(argc, argv, &def, binds, &keys);
    if (rc < 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (rc != 0) return rc;
    /* Scene files join the catalogue before the first client can ask for it. */
    if (sp_cli_load_scenes(keys.scene_dirs, keys.scene_dir_count) != 0) return 1;

    char err[512];
    sp_key_z85 secret;
    sp_key_z85* authorized = NULL;
    const char** authorized_list = NULL;
    int authorized_count = 0;
    if (keys.secret) {
        if (!sp_keyfile_read(keys.secret, true, secret, err, sizeof err) ||
            !(authorized =
                  sp_keyfile_read_dir(keys.authorized_dir, &authorized_count, err, sizeof err))) {
            sp_cli_error("serve: %s", err);
            return 1;
        }
        authorized_list =
            calloc(authorized_count ? (size_t)authorized_count : 1, sizeof *authorized_list);
        if (!authorized_list) {
            free(authorized);
            sp_cli_error("serve: out of memory");
            return 1;
        }
        for (int i = 0; i < authorized_count; i++)
            authorized_list[i] = authorized[i];
        def.curve_secret_key = secret;
        def.authorized_keys = authorized_list;
        def.authorized_key_count = authorized_count;
    }
    sp_server* srv = sp_server_create(&def, err, sizeof err);
    memset(secret, 0, sizeof secret);
    free(authorized_list);
    free(authorized);
    if (!srv) {
        sp_cli_error("serve: %s", err);
        return 1;
    }
    running = srv;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (def.parent_fd >= 0) {
        /* The pipe is the watch that covers everything (the loop polls it); the death signal
         * covers a write end that leaked into the parent's forked children. */
        parent_pid = getppid();
        sa.sa_handler = on_parent_signal;
        sigaction(PARENT_DEATH_SIGNAL, &sa, NULL);
        prctl(PR_SET_PDEATHSIG, PARENT_DEATH_SIGNAL);
    }

    for (int i = 0; i < sp_server_endpoint_count(srv); i++)
        printf("listening %s\n", sp_server_endpoint(srv, i));
    printf("ready\n");
    fflush(stdout);

    rc = sp_server_run(srv);
    /* Signals from here on take their default action: a second Ctrl-C while closing kills. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(PARENT_DEATH_SIGNAL, SIG_IGN);
    running = NULL;
    sp_server_destroy(srv);
    return rc == 0 ? 0 : 1;
}
