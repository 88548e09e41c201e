#!/usr/bin/env python3
"""Benchmark 2, throughput: CartPole-v0 with 256 envs stepped from Python in one message per
step (SandpitVectorEnv.step, random actions drawn up front, autoreset on), env steps per
second, divided by the core's in-process single-thread steps per second for the same env
(`bench_core --env CartPole-v0 --json`: one episode stepped in a loop, resets included).
Target: at least 0.5 on a 2-core machine, with the server's worker threads stepping the
batch in parallel (--threads 2). The ratio with one thread is reported for information.

Method: one server per thread count (ipc, as a locally spawned server uses); each repetition
runs the core for a fixed time and each server for a fixed number of steps, in rotating
order; the ratio is the median of per-repetition ratios.

    python3 bench/bench_throughput.py [--quick] [--check]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import benchlib  # first: it makes `sandpit` importable from the source tree
import numpy as np
import sandpit
from benchlib import Report, interleave, median, median_ratio

ENV_ID = "CartPole-v0"
NUM_ENVS = 256
THREADS = (1, 2)
TARGET = 0.5
TARGET_THREADS = 2


def core_steps_per_second(seconds: float) -> float:
    out = subprocess.run(
        [benchlib.sibling_binary("bench_core"), "--env", ENV_ID, "--seconds", str(seconds),
         "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out)["steps_per_second"])


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps, steps, core_s = (3, 60, 0.15) if args.quick else (11, 400, 0.5)

    servers = {t: benchlib.start_server(benchlib.endpoint("ipc"), args=["--threads", str(t)])
               for t in THREADS}
    envs = {}
    report = Report(
        f"bench_throughput: {ENV_ID} x {NUM_ENVS} envs, one message per step "
        "(SandpitVectorEnv.step) / in-process single-thread core (bench_core)",
        ["server threads", "sandpit steps/s", "core steps/s"],
        notes=[
            benchlib.machine_note(),
            f"medians of {reps} interleaved repetitions: {steps} vector steps per server, "
            f"{core_s:g} s of core stepping",
        ],
    )
    try:
        rng = np.random.default_rng(0)
        table = rng.integers(0, 2, size=(1024, NUM_ENVS), dtype=np.int32)
        for t, srv in servers.items():
            env = sandpit.make_vec(ENV_ID, NUM_ENVS, srv.endpoint, seed=0)
            env.reset(seed=0)
            envs[t] = env

        def sandpit_side(t: int):
            env = envs[t]

            def run() -> float:
                step = env.step
                start = time.perf_counter()
                for i in range(steps):
                    step(table[i % len(table)])
                return NUM_ENVS * steps / (time.perf_counter() - start)

            return run

        sides = {f"t{t}": sandpit_side(t) for t in THREADS}
        sides["core"] = lambda: core_steps_per_second(core_s)
        for side in sides.values():  # warm up
            side()
        got = interleave(reps, sides)
        for t in THREADS:
            key = f"t{t}"
            on_target = t == TARGET_THREADS
            report.row(
                [str(t), f"{median(got[key]):,.0f}", f"{median(got['core']):,.0f}"],
                median_ratio(got[key], got["core"]),
                ">=" if on_target else None,
                TARGET if on_target else None,
            )
    finally:
        for env in envs.values():
            env.close()
        for srv in servers.values():
            srv.stop()
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
