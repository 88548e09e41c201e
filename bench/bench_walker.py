#!/usr/bin/env python3
"""Benchmark: Walker-v0 in-process against BipedalWalker-v3 in-process, one env on one core
each, random actions, resets included: env steps per second of CPU time, as a ratio to
EnvPool's (and Gymnasium's, with Box2D) measured in the same run. Target: >= 0.5x EnvPool.

sandpit steps its env in C with `sandpit rollout --env Walker-v0` (the episode runtime with
its default guardrails, no server, no Python), timed by the child's CPU time; EnvPool's
BipedalWalker-v3 with num_envs=1 and num_threads=1, and Gymnasium's, by this process's CPU
time. Both sides run episodes until about the same number of steps; figures are medians of
per-repetition ratios, the sides in rotating order.

    pip install envpool box2d
    python3 bench/bench_walker.py [--quick] [--check]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List

import benchlib  # first: it makes `sandpit` importable from the source tree
import numpy as np
from benchlib import Report, interleave, median, median_ratio

TARGET = 0.5
STEPS_PER_EPISODE = 110  # about, with random actions (both walkers fall early)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sandpit_side(episodes: int) -> Callable[[], float]:
    """Steps per CPU second of `sandpit rollout` over `episodes` random episodes."""
    seed = [0]

    def run() -> float:
        seed[0] += 1
        before = _children_cpu()
        out = subprocess.run(
            [benchlib.sandpit_binary(), "rollout", "--env", "Walker-v0", "--seed", str(seed[0]),
             "--episodes", str(episodes), "--json"],
            check=True, capture_output=True, text=True,
        )
        cpu = _children_cpu() - before
        return sum(e["steps"] for e in json.loads(out.stdout)["episodes"]) / cpu

    return run


def peer_side(env: Any, steps: int, batched: bool, autoreset: bool) -> Callable[[], float]:
    """Steps per CPU second of an env (EnvPool's, batched and resetting itself, or
    Gymnasium's), resets included."""
    rng = np.random.default_rng(0)
    shape = (steps, 1, 4) if batched else (steps, 4)
    actions = rng.uniform(-1, 1, size=shape).astype(np.float32)

    def run() -> float:
        start = time.process_time()
        for i in range(steps):
            _, _, term, trunc, _ = env.step(actions[i])
            if not autoreset and (term or trunc):
                env.reset()
        return steps / (time.process_time() - start)

    return run


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps = 3 if args.quick else 7
    episodes = 10 if args.quick else 60
    steps = STEPS_PER_EPISODE * episodes
    sides: Dict[str, Callable[[], float]] = {"sandpit": sandpit_side(episodes)}
    missing: List[str] = []
    made: List[Any] = []
    try:
        import envpool

        ep = envpool.make("BipedalWalker-v3", env_type="gymnasium", num_envs=1, batch_size=1,
                          num_threads=1, seed=0)
        ep.reset()
        made.append(ep)
        sides["envpool"] = peer_side(ep, steps, batched=True, autoreset=True)
    except ImportError:
        missing.append("envpool")
    try:
        import gymnasium

        gym = gymnasium.make("BipedalWalker-v3")
        gym.reset(seed=0)
        made.append(gym)
        sides["gym"] = peer_side(gym, steps, batched=False, autoreset=False)
    except (ImportError, gymnasium.error.DependencyNotInstalled):
        missing.append("box2d (Gymnasium's BipedalWalker-v3)")
    report = Report(
        "bench_walker: Walker-v0 against BipedalWalker-v3, one env in-process on one core, "
        "random actions, env steps per CPU second",
        ["side", "steps/s"],
        notes=[benchlib.machine_note(), f"medians of {reps} interleaved repetitions"],
    )
    try:
        for side in sides.values():  # warm up
            side()
        got = interleave(reps, sides)
    finally:
        for env in made:
            env.close()
    report.row(["sandpit", f"{median(got['sandpit']):,.0f}"], 1.0, None, None)
    for name, label in (("envpool", "EnvPool"), ("gym", "Gymnasium")):
        if name in got:
            ratio = median_ratio(got["sandpit"], got[name])
            target = TARGET if name == "envpool" else None
            report.row([f"{label} (sandpit/{label})", f"{median(got[name]):,.0f}"], ratio,
                       ">=" if target else None, target)
    for m in missing:
        report.notes.append(f"not measured (not installed): {m}")
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
