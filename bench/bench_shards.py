#!/usr/bin/env python3
"""Benchmark: one vector env sharded over servers (sandpit.make_vec with a list of endpoints)
against the same envs on one server: env steps per second of CartPole-v0 and Lander-v0 with
random actions, for 2 servers of 1 thread against 1 server of 2 threads (the same cores),
over ipc and over tcp loopback, as ratios to one server over ipc measured in the same run.
No targets: the figures feed docs/SCALING.md.

    python3 bench/bench_shards.py [--quick] [--check]
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Dict, List

import benchlib  # first: it makes `sandpit` importable from the source tree
import numpy as np
import sandpit
from benchlib import Report, interleave, median, median_ratio

ENVS = [("CartPole-v0", 256, 2), ("Lander-v0", 256, 4)]  # id, envs, discrete actions


def _side(envs: Any, table: np.ndarray, steps: int) -> Callable[[], float]:
    n = envs.num_envs

    def run() -> float:
        step = envs.step
        start = time.perf_counter()
        for i in range(steps):
            step(table[i & 63])
        return n * steps / (time.perf_counter() - start)

    return run


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps, steps = (2, 10) if args.quick else (7, 80)
    servers: List[Any] = []

    def serve(transport: str, threads: int) -> str:
        srv = benchlib.start_server(benchlib.endpoint(transport), args=["--threads", str(threads)])
        servers.append(srv)
        return srv.endpoint

    report = Report(
        "bench_shards: env steps/s of one vector env on 1 server (2 threads) or sharded over "
        "2 servers (1 thread each), ratios to 1 server over ipc",
        ["env", "envs", "layout", "steps/s"],
        notes=[benchlib.machine_note(), f"medians of {reps} interleaved repetitions, {steps} steps"],
    )
    made: List[Any] = []
    try:
        layouts: Dict[str, Any] = {
            "1 server ipc": serve("ipc", 2),
            "2 servers ipc": [serve("ipc", 1), serve("ipc", 1)],
            "1 server tcp": serve("tcp", 2),
            "2 servers tcp": [serve("tcp", 1), serve("tcp", 1)],
        }
        rng = np.random.default_rng(0)
        for env_id, n, k in ENVS:
            table = rng.integers(0, k, size=(64, n)).astype(np.int32)
            sides = {}
            for name, endpoint in layouts.items():
                envs = sandpit.make_vec(env_id, n, endpoint, seed=0)
                made.append(envs)
                envs.reset(seed=0)
                sides[name] = _side(envs, table, steps)
            for side in sides.values():
                side()
            got = interleave(reps, sides)
            base = got["1 server ipc"]
            for name in layouts:
                report.row(
                    [env_id, str(n), name, f"{median(got[name]):,.0f}"],
                    median_ratio(got[name], base), None, None,
                )
    finally:
        for envs in made:
            envs.close()
        for srv in servers:
            srv.stop()
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
