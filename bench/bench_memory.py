#!/usr/bin/env python3
"""Benchmark 3, memory: the server's resident memory (VmRSS from /proc/<pid>/status) before
and after making a session of 1024 CartPole-v0 envs, after resetting them and after some
steps (Chipmunk allocates lazily: a world's pools and contact buffers appear at its first
reset and its first steps), as growth per env. Target: at most 64 KiB per env, after the
steps. The baseline is the core's own cost per episode in-process, without a server
(`bench_core --memory`: heap bytes in use and RSS growth for the same 1024 episodes, reset and
stepped the same number of times), which shows how much of the figure is the simulation's.

Method: each repetition starts a fresh server (default threads) and runs the core baseline
in a fresh process, in alternating order; figures are medians over repetitions.

    python3 bench/bench_memory.py [--quick] [--check]
"""

from __future__ import annotations

import json
import subprocess
import sys

import benchlib  # first: it makes `sandpit` importable from the source tree
import numpy as np
import sandpit
from benchlib import Report, interleave, median, rss_kib

ENV_ID = "CartPole-v0"
NUM_ENVS = 1024
TARGET_KIB = 64.0
STAGES = ("make", "reset", "steps", "close")


def server_side(steps: int, out: dict[str, list[float]]):
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 2, size=(steps, NUM_ENVS), dtype=np.int32)

    def run() -> float:
        srv = benchlib.start_server(benchlib.endpoint("ipc"))
        try:
            with sandpit.Client(srv.endpoint) as client:
                client.server_info  # connected: the fixed costs are in the baseline
            before = rss_kib(srv.pid)
            env = sandpit.make_vec(ENV_ID, NUM_ENVS, srv.endpoint, seed=0)
            growth = {"make": rss_kib(srv.pid) - before}
            env.reset(seed=0)
            growth["reset"] = rss_kib(srv.pid) - before
            for a in actions:
                env.step(a)
            growth["steps"] = rss_kib(srv.pid) - before
            env.close()
            growth["close"] = rss_kib(srv.pid) - before
        finally:
            srv.stop()
        for stage in STAGES:
            out[stage].append(growth[stage] / NUM_ENVS)
        return growth["steps"] / NUM_ENVS

    return run


def core_side(steps: int, out: dict[str, list[tuple[float, float]]]):
    def run() -> float:
        text = subprocess.run(
            [benchlib.sibling_binary("bench_core"), "--memory", "--env", ENV_ID, "--envs",
             str(NUM_ENVS), "--steps", str(steps), "--json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        got = json.loads(text)
        for stage, key in zip(STAGES, ("create", "reset", "steps", "destroy"), strict=True):
            out[stage].append((got[key]["heap_bytes_per_env"] / 1024,
                               got[key]["rss_bytes_per_env"] / 1024))
        return got["steps"]

    return run


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps, steps = (1, 20) if args.quick else (3, 100)
    server: dict[str, list[float]] = {s: [] for s in STAGES}
    core: dict[str, list[tuple[float, float]]] = {s: [] for s in STAGES}
    interleave(reps, {"server": server_side(steps, server), "core": core_side(steps, core)})

    report = Report(
        f"bench_memory: {ENV_ID} x {NUM_ENVS} envs in one session, server RSS growth per env / "
        "the same episodes in-process (bench_core --memory)",
        ["after", "in-process heap KiB/env", "in-process RSS KiB/env", "server/in-process"],
        value_name="server KiB/env",
        value_format=".1f",
        notes=[
            benchlib.machine_note(),
            f"medians of {reps} repetition(s), each a fresh server and a fresh core process; "
            f"{steps} steps of random actions (autoreset on)",
        ],
    )
    for stage in STAGES:
        heap = median([h for h, _ in core[stage]])
        rss = median([r for _, r in core[stage]])
        grown = median(server[stage])
        label = {"make": "make", "reset": "reset", "steps": f"{steps} steps",
                 "close": "close"}[stage]
        on_target = stage == "steps"
        report.row(
            [label, f"{heap:.1f}", f"{rss:.1f}", f"{grown / rss:.2f}" if rss > 0 else "-"],
            grown,
            "<=" if on_target else None,
            TARGET_KIB if on_target else None,
        )
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
