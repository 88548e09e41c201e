#ifndef SANDPIT_BENCH_UTIL_H
#define SANDPIT_BENCH_UTIL_H

/* What the C benchmarks share: clocks, a fixed table of random actions (so the policy costs
 * nothing while stepping) and medians. */

#include <time.h>

#include "sandpit/env.h"

#define BENCH_ACTION_TABLE 4096

/* Seconds on `clock` (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...). */
double bench_clock_s(clockid_t clock);

/* Fills table[0..BENCH_ACTION_TABLE) with uniform random actions for `spec`, from the fixed
 * stream (1, "bench_policy"), so every benchmark steps the same actions. */
void bench_fill_actions(const sp_env_spec* spec, sp_action* table);

/* Steps `ep` (already reset) with table[i % BENCH_ACTION_TABLE], resetting it when an episode
 * ends, in blocks of 256 steps until `seconds` of `clock` have passed. Returns the steps taken
 * and their time in *elapsed. */
struct sp_episode;
long bench_step_for(struct sp_episode* ep, const sp_action* table, double seconds, clockid_t clock,
                    double* elapsed);

/* The median of v[0..n) (sorts v in place). */
double bench_median(double* v, int n);

#endif
