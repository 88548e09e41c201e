#!/usr/bin/env python3
"""Benchmark, rendering: one 600x400 rgb_array frame of CartPole-v0 drawn by the server and
returned to Python (SandpitEnv.render), in milliseconds per frame. Target: under 2 ms.

The whole round trip is charged: the request, the server's drawing with the software
rasterizer (replay/draw), packing 720 KB, the transport, and the client's decode and copy
into a writable array. For scale, the same run times a step of the same env (the row's
ratio column says how many steps one frame costs) and the frame's drawing alone in-process
is what `sandpit replay export` does.

Method: a seeded episode stepped between frames so every frame shows a new state; in each
repetition K frames and K steps, each call timed alone; medians of interleaved repetitions.

    python3 bench/bench_render.py [--quick] [--check]
"""

from __future__ import annotations

import sys
import time

import benchlib  # first: it makes `sandpit` importable from the source tree
import sandpit
from benchlib import Report, interleave, median

ENV_ID = "CartPole-v0"
TARGET_MS = 2.0


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps, calls = (3, 50) if args.quick else (11, 300)
    server = benchlib.start_server(benchlib.endpoint("ipc"), benchlib.endpoint("tcp"))
    report = Report(
        f"bench_render: {ENV_ID}, SandpitEnv.render() of a 600x400 rgb_array frame, round trip",
        ["transport", "ms/frame", "us/step", "frame/step"],
        value_name="ms",
        value_format=".2f",
        notes=[benchlib.machine_note(), f"medians of {reps} repetitions x {calls} calls"],
    )
    try:
        for transport, ep in zip(["ipc", "tcp"], server.endpoints, strict=True):
            env = sandpit.make(ENV_ID, ep, seed=0, render_mode="rgb_array")
            env.reset(seed=0)

            def timed(call) -> float:
                times = []
                pc = time.perf_counter
                for k in range(calls):
                    t0 = pc()
                    call(k)
                    times.append(pc() - t0)
                return median(times)

            def step(k: int) -> None:
                _, _, terminated, truncated, _ = env.step(k & 1)
                if terminated or truncated:
                    env.reset()

            sides = {"render": lambda: timed(lambda k: env.render()), "step": lambda: timed(step)}
            for side in sides.values():
                side()
            got = interleave(reps, sides)
            frame_s, step_s = median(got["render"]), median(got["step"])
            report.row(
                [transport, f"{frame_s * 1e3:.2f}", f"{step_s * 1e6:.1f}",
                 f"{frame_s / step_s:.1f}"],
                frame_s * 1e3,
                "<=",
                TARGET_MS,
            )
            env.close()
    finally:
        server.stop()
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
