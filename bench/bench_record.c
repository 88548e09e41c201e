/* The cost of recording replays, and the speed of verifying them, as ratios against plain
 * in-process stepping measured in the same run (absolute figures on shared machines mean
 * little).
 *
 * Slices of plain stepping ("off") and of stepping with a recorder writing one .sprp file per
 * episode ("on": files really created, written and closed) alternate; the median over the
 * slices of each figure is kept, so a noisy neighbour does not decide it. Actions come from a
 * table drawn up front; resets count as part of stepping, as a training loop sees them.
 *
 * Recording costs twice: per step (encoding one record into a buffer: what the recorder
 * controls) and per episode (creating, writing and closing a file: what the file system
 * charges, including the caches it leaves cold). So it prints:
 *
 *   per env, natural episode lengths under a random policy:
 *     on/off       record-on throughput over record-off
 *     us/episode   the extra time per episode, (1/on - 1/off) * steps per episode
 *     ver/off      sp_replay_verify throughput over plain stepping, on the files just written
 *   per step, one 100000-step Pendulum-v0 episode (a single file, so the file's cost vanishes):
 *     the recorder's own cost as a fraction of a step
 *
 * Files go to $TMPDIR (default /tmp); `bench_record --dir DIR` measures another file system
 * (e.g. /dev/shm). `--quick` for a smoke run. */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "sandpit/replay.h"

#define ACTION_TABLE BENCH_ACTION_TABLE
#define MAX_ROUNDS 16

/* Process CPU time, not wall time: on a shared machine a neighbour's load would otherwise
 * decide the ratios. Creating files is kernel CPU work, so it is counted. */
static double now_s(void) {
    return bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void empty_directory(const char* dir) {
    DIR* d = opendir(dir);
    if (!d) return;
    struct dirent* e;
    char path[1024];
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

/* Steps `env` for about `seconds` (episodes of at most `max_steps`, 0: the env's own),
 * recording into `dir` when it is not NULL. Returns steps per second. */
static double measure(const sp_env_class* env, const sp_action* actions, double seconds,
                      const char* dir, int max_steps) {
    char err[256];
    sp_episode_def def = sp_default_episode_def(env);
    def.max_steps = max_steps;
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    sp_recorder* rec = NULL;
    if (ep && dir) {
        sp_recorder_def rd = sp_default_recorder_def();
        rd.directory = dir;
        rd.prefix = env->spec->id;
        rd.overwrite = true;
        rec = sp_recorder_attach_new(ep, &rd, err, sizeof err);
    }
    if (!ep || (dir && !rec)) {
        fprintf(stderr, "bench_record: %s\n", err);
        exit(1);
    }
    uint64_t seed = 1;
    sp_episode_reset(ep, &seed);
    long steps = 0;
    sp_step_result r;
    double start = now_s(), elapsed = 0.0;
    while (elapsed < seconds) {
        for (int k = 0; k < 256; k++, steps++) {
            if (sp_episode_done(ep)) sp_episode_reset(ep, NULL);
            sp_episode_step(ep, &actions[steps % ACTION_TABLE], &r, err, sizeof err);
        }
        elapsed = now_s() - start;
    }
    if (rec && sp_recorder_error(rec)) {
        fprintf(stderr, "bench_record: %s\n", sp_recorder_error(rec));
        exit(1);
    }
    sp_recorder_destroy(rec);
    sp_episode_destroy(ep);
    return (double)steps / elapsed;
}

/* Mean episode length of `env` under the action table: one untimed pass. */
static double episode_length(const sp_env_class* env, const sp_action* actions) {
    char err[128];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    uint64_t seed = 1;
    sp_episode_reset(ep, &seed);
    long steps = 0, episodes = 0;
    sp_step_result r;
    for (; steps < 20000 || !episodes; steps++) {
        sp_episode_step(ep, &actions[steps % ACTION_TABLE], &r, err, sizeof err);
        if (sp_episode_done(ep)) {
            episodes++;
            sp_episode_reset(ep, NULL);
        }
    }
    sp_episode_destroy(ep);
    return (double)steps / (double)episodes;
}

/* Verifies every file in `dir` with one verifier, as `sandpit replay verify DIR/...` does;
 * returns verified steps per second. */
static double verify_all(const char* dir) {
    DIR* d = opendir(dir);
    if (!d) return 0.0;
    struct dirent* e;
    char path[1024];
    long steps = 0;
    double elapsed = 0.0;
    sp_verifier* verifier = sp_verifier_create(NULL);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        sp_verify_report rep;
        double t = now_s();
        sp_verdict v = sp_verifier_run(verifier, path, &rep);
        elapsed += now_s() - t;
        if (v != SP_VERIFY_OK) {
            fprintf(stderr, "bench_record: %s: %s\n", path, rep.message);
            exit(1);
        }
        steps += rep.steps;
    }
    closedir(d);
    sp_verifier_destroy(verifier);
    return elapsed > 0 ? (double)steps / elapsed : 0.0;
}

int main(int argc, char** argv) {
    double seconds = 0.2;
    int rounds = 9;
    const char* base = getenv("TMPDIR");
    if (!base || !base[0]) base = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            seconds = 0.02;
            rounds = 3;
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            base = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_record [--quick] [--dir DIR]\n");
            return 2;
        }
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s/sp_bench_record_XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("bench_record: mkdtemp");
        return 1;
    }
    static sp_action actions[ACTION_TABLE];
    printf("files in %s; medians of %d alternating slices of %.2f s\n", base, rounds, seconds);
    printf("%-22s %8s %10s %10s %7s %10s %11s %7s\n", "env", "steps/ep", "off st/s", "on st/s",
           "on/off", "us/episode", "verify st/s", "ver/off");
    for (int i = 0; i < sp_env_count(); i++) {
        const sp_env_class* env = sp_env_at(i);
        bench_fill_actions(env->spec, actions);
        double len = episode_length(env, actions);
        double off[MAX_ROUNDS], on[MAX_ROUNDS], ratio[MAX_ROUNDS], extra[MAX_ROUNDS],
            ver[MAX_ROUNDS], ver_ratio[MAX_ROUNDS];
        for (int k = 0; k < rounds; k++) {
            off[k] = measure(env, actions, seconds, NULL, 0);
            empty_directory(dir);
            on[k] = measure(env, actions, seconds, dir, 0);
            ver[k] = verify_all(dir);
            ratio[k] = on[k] / off[k];
            extra[k] = 1e6 * (1.0 / on[k] - 1.0 / off[k]) * len;
            ver_ratio[k] = ver[k] / off[k];
        }
        empty_directory(dir);
        printf("%-22s %8.1f %10.0f %10.0f %7.3f %10.1f %11.0f %7.3f\n", env->spec->id, len,
               bench_median(off, rounds), bench_median(on, rounds), bench_median(ratio, rounds),
               bench_median(extra, rounds), bench_median(ver, rounds),
               bench_median(ver_ratio, rounds));
    }

    /* The recorder's per-step cost alone: one long episode, so one file. */
    const sp_env_class* pendulum = sp_env_find("Pendulum-v0");
    if (pendulum) {
        bench_fill_actions(pendulum->spec, actions);
        double ratio[MAX_ROUNDS], ns[MAX_ROUNDS];
        for (int k = 0; k < rounds; k++) {
            double off = measure(pendulum, actions, seconds, NULL, 100000);
            empty_directory(dir);
            double on = measure(pendulum, actions, seconds, dir, 100000);
            ratio[k] = on / off;
            ns[k] = 1e9 * (1.0 / on - 1.0 / off);
        }
        empty_directory(dir);
        printf("per step (Pendulum-v0, one 100000-step episode): on/off %.3f, %.0f ns per step "
               "recorded (%.1f%% of a step)\n",
               bench_median(ratio, rounds), bench_median(ns, rounds),
               100.0 * (1.0 / bench_median(ratio, rounds) - 1.0));
    }
    rmdir(dir);
    return 0;
}
