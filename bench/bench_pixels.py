#!/usr/bin/env python3
"""Benchmark, pixel observations: a batched step of 64 envs observing 84x84 RGB frames
against the same batched step observing the sensor vector, in one run; the ratio is the
cost of pixels. Target: at most 3x.

Both sides are real sessions of one `sandpit serve` stepped through SandpitVectorEnv over
ipc, so the ratio charges everything pixels add: drawing 64 frames with the software
rasterizer on the server's threads, packing 1.3 MB, the transport, and the client's decode
and copy. The env is Walker-v0 when the server lists it (the issue's), else
LanderContinuous-v0 (`--env` chooses); the table says which was measured.

Method: seeded sessions, the same random actions on both sides; per repetition K batched
steps per side, each timed alone; medians of interleaved repetitions, ratio of medians
taken per repetition.

    python3 bench/bench_pixels.py [--env ID] [--num-envs N] [--quick] [--check]
"""

from __future__ import annotations

import argparse
import sys
import time

import benchlib  # first: it makes `sandpit` importable from the source tree
import sandpit
from benchlib import Report, interleave, median, median_ratio

TARGET = 3.0
PREFERRED, FALLBACK = "Walker-v0", "LanderContinuous-v0"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", help=f"env id (default {PREFERRED} if served, else {FALLBACK})")
    p.add_argument("--num-envs", type=int, default=64)
    p.add_argument("--size", type=int, default=84, help="frame side in pixels")
    p.add_argument("--quick", action="store_true", help="a short run (seconds), for smoke tests")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args()
    reps, steps = (3, 20) if args.quick else (9, 200)
    server = benchlib.start_server(benchlib.endpoint("ipc"))
    try:
        ep = server.endpoints[0]
        client = sandpit.Client(ep)
        served = [s["id"] for s in client.server_info["envs"]]
        client.close()
        env_id = args.env or (PREFERRED if PREFERRED in served else FALLBACK)
        n, side = args.num_envs, args.size
        report = Report(
            f"bench_pixels: {env_id}, a batched step of {n} envs, {side}x{side} RGB pixels "
            "against the sensor vector (same server, same actions)",
            ["observation", "ms/step", "MB/reply"],
            value_name="ratio",
            value_format=".2f",
            notes=[benchlib.machine_note(), f"medians of {reps} repetitions x {steps} steps"],
        )
        envs = {
            "vector": sandpit.make_vec(env_id, n, ep, seed=0),
            "pixels": sandpit.make_vec(env_id, n, ep, seed=0, observation="pixels",
                                       size=(side, side)),
        }
        space = envs["vector"].action_space
        space.seed(0)
        actions = [space.sample() for _ in range(steps)]

        def timed(env) -> float:
            times = []
            pc = time.perf_counter
            for a in actions:
                t0 = pc()
                env.step(a)
                times.append(pc() - t0)
            return median(times)

        for env in envs.values():
            env.reset(seed=0)
            timed(env)  # warm: first frames, the reply buffers' growth
        got = interleave(reps, {k: (lambda e=e: timed(e)) for k, e in envs.items()})
        frame_mb = n * side * side * 3 / 1e6
        vector_ms = median(got["vector"]) * 1e3
        report.row(["vector", f"{vector_ms:.3f}", "-"], 1.0, None, None)
        ratio = median_ratio(got["pixels"], got["vector"])
        report.row(
            ["pixels", f"{median(got['pixels']) * 1e3:.3f}", f"{frame_mb:.2f}"], ratio, "<=",
            TARGET,
        )
        for env in envs.values():
            env.close()
    finally:
        server.stop()
    print(f"measured env: {env_id}" + ("" if env_id == PREFERRED else
                                       f" ({PREFERRED} is not served by this build)"))
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
