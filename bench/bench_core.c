/* In-process steps per second for each env, one thread, physics and env logic only: the
 * ceiling that the server's throughput is measured against. Actions are drawn up front so
 * the policy costs nothing; resets are counted as part of stepping, as a training loop
 * would see them.
 *
 *   bench_core [--quick]            a table: env, steps/s, ns/step, and each env's speed as a
 *                                   ratio of CartPole-v0's measured in the same run (absolute
 *                                   figures on shared machines mean little)
 *   bench_core --env ID [--seconds S] [--json]
 *                                   one env only; --json prints one JSON object (for
 *                                   bench/bench_throughput.py)
 *   bench_core --memory --env ID [--envs N] [--steps K] [--json]
 *                                   what N episodes of one env cost in memory, in-process:
 *                                   heap bytes in use and RSS growth per episode after
 *                                   creating them, after a reset and after K steps each (the
 *                                   baseline of bench/bench_memory.py) */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "bench_util.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"

#define ACTION_TABLE BENCH_ACTION_TABLE

static double now_s(void) {
    return bench_clock_s(CLOCK_MONOTONIC);
}

/* Steps `env` for about `seconds`; returns steps per second. */
static double measure(const sp_env_class* env, double seconds, long* steps_out) {
    static sp_action actions[ACTION_TABLE];
    bench_fill_actions(env->spec, actions);
    char err[128];
    sp_episode_def def = sp_default_episode_def(env);
    sp_episode* ep = sp_episode_create(&def, err, sizeof err);
    if (!ep) {
        fprintf(stderr, "bench_core: %s\n", err);
        exit(1);
    }
    uint64_t seed = 1;
    sp_episode_reset(ep, &seed);
    long steps = 0;
    double start = now_s(), elapsed = 0.0;
    sp_step_result r;
    while (elapsed < seconds) {
        for (int k = 0; k < 256; k++, steps++) {
            if (sp_episode_done(ep)) sp_episode_reset(ep, NULL);
            sp_episode_step(ep, &actions[steps % ACTION_TABLE], &r, err, sizeof err);
        }
        elapsed = now_s() - start;
    }
    sp_episode_destroy(ep);
    *steps_out = steps;
    return (double)steps / elapsed;
}

/* Resident set size of this process, KiB (0 where /proc is missing). */
static long rss_kib(void) {
    FILE* f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Heap bytes in use (glibc's mallinfo2), -1 where unknown. */
static long long heap_bytes(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return (long long)(mi.uordblks + mi.hblkhd);
#else
    return -1;
#endif
}

typedef struct mem_mark {
    const char* stage;
    double heap_per_env; /* bytes, -1 when unknown */
    double rss_per_env;  /* bytes */
} mem_mark;

static void mark(mem_mark* m, const char* stage, long rss0, long long heap0, int n) {
    m->stage = stage;
    m->heap_per_env = heap0 < 0 ? -1.0 : (double)(heap_bytes() - heap0) / n;
    m->rss_per_env = 1024.0 * (double)(rss_kib() - rss0) / n;
}

/* Creates `n` episodes of `env`, resets them and steps each `steps` times (autoreset),
 * noting the heap and RSS growth per episode after each stage. */
static int measure_memory(const sp_env_class* env, int n, int steps, bool json) {
    static sp_action actions[ACTION_TABLE];
    bench_fill_actions(env->spec, actions);
    sp_episode** eps = calloc((size_t)n, sizeof *eps);
    if (!eps) return 1;
    char err[128];
    long rss0 = rss_kib();
    long long heap0 = heap_bytes();
    mem_mark marks[4];
    int count = 0;
    for (int i = 0; i < n; i++) {
        sp_episode_def def = sp_default_episode_def(env);
        def.seed = (uint64_t)i;
        if (!(eps[i] = sp_episode_create(&def, err, sizeof err))) {
            fprintf(stderr, "bench_core: %s\n", err);
            return 1;
        }
    }
    mark(&marks[count++], "create", rss0, heap0, n);
    for (int i = 0; i < n; i++)
        sp_episode_reset(eps[i], NULL);
    mark(&marks[count++], "reset", rss0, heap0, n);
    sp_step_result r;
    for (int k = 0; k < steps; k++) {
        for (int i = 0; i < n; i++) {
            if (sp_episode_done(eps[i])) sp_episode_reset(eps[i], NULL);
            sp_episode_step(eps[i], &actions[(k * n + i) % ACTION_TABLE], &r, err, sizeof err);
        }
    }
    mark(&marks[count++], "steps", rss0, heap0, n);
    for (int i = 0; i < n; i++)
        sp_episode_destroy(eps[i]);
    free(eps);
    mark(&marks[count++], "destroy", rss0, heap0, n);
    if (json) {
        printf("{\"env\": \"%s\", \"envs\": %d, \"steps\": %d", env->spec->id, n, steps);
        for (int m = 0; m < count; m++)
            printf(", \"%s\": {\"heap_bytes_per_env\": %.1f, \"rss_bytes_per_env\": %.1f}",
                   marks[m].stage, marks[m].heap_per_env, marks[m].rss_per_env);
        printf("}\n");
    } else {
        printf("%s: %d episodes, %d steps each\n", env->spec->id, n, steps);
        printf("%-10s %16s %16s\n", "after", "heap KiB/env", "RSS KiB/env");
        for (int m = 0; m < count; m++)
            printf("%-10s %16.1f %16.1f\n", marks[m].stage, marks[m].heap_per_env / 1024.0,
                   marks[m].rss_per_env / 1024.0);
    }
    return 0;
}

static void usage(void) {
    fprintf(stderr, "usage: bench_core [--quick]\n"
                    "       bench_core --env ID [--seconds S] [--json]\n"
                    "       bench_core --memory --env ID [--envs N] [--steps K] [--json]\n");
}

int main(int argc, char** argv) {
    double seconds = 1.0;
    const char* only = NULL;
    bool json = false, memory = false;
    int envs = 1024, steps = 200;
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(a, "--quick")) {
            seconds = 0.1;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--memory")) {
            memory = true;
        } else if (!strcmp(a, "--env") && has_value) {
            only = argv[++i];
        } else if (!strcmp(a, "--seconds") && has_value) {
            seconds = atof(argv[++i]);
        } else if (!strcmp(a, "--envs") && has_value) {
            envs = atoi(argv[++i]);
        } else if (!strcmp(a, "--steps") && has_value) {
            steps = atoi(argv[++i]);
        } else {
            usage();
            return 2;
        }
    }
    if (!(seconds > 0.0 && seconds <= 3600.0) || envs < 1 || steps < 0 || (memory && !only) ||
        (json && !only)) {
        usage();
        return 2;
    }
    if (only) {
        const sp_env_class* env = sp_env_find(only);
        if (!env) {
            fprintf(stderr, "bench_core: unknown env '%s'\n", only);
            return 2;
        }
        if (memory) return measure_memory(env, envs, steps, json);
        long count;
        double sps = measure(env, seconds, &count);
        if (json)
            printf("{\"env\": \"%s\", \"seconds\": %.3f, \"steps\": %ld, \"steps_per_second\": "
                   "%.1f}\n",
                   env->spec->id, (double)count / sps, count, sps);
        else
            printf("%-24s %14.0f %10.1f\n", env->spec->id, sps, 1e9 / sps);
        return 0;
    }
    double base = 0.0;
    printf("%-24s %14s %10s %12s\n", "env", "steps/s", "ns/step", "vs CartPole");
    for (int i = 0; i < sp_env_count(); i++) {
        const sp_env_class* env = sp_env_at(i);
        long count;
        double sps = measure(env, seconds, &count);
        if (i == 0) base = sps;
        printf("%-24s %14.0f %10.1f %12.3f\n", env->spec->id, sps, 1e9 / sps, sps / base);
    }
    return 0;
}
