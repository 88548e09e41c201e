#!/usr/bin/env python3
"""Layer overhead on the batched throughput benchmark: CartPole-v0 with 256 envs stepped from
Python in one message per step (as bench_throughput.py), each session with one more runtime
layer, divided by the same session with guardrails off and no faults, measured in one run:

- default guardrails on (issue 4 target: lose at most 3%, ratio >= 0.97);
- three sensor faults (delay, noise, a periodic hold outage; issue 6: ratio >= 0.95);
- recording every episode to a temporary directory (issue 5: ratio >= 0.95).

Method: all sessions live on one server (ipc, 2 threads) and are stepped in rotating order,
each repetition a fixed number of vector steps; the ratio is the median of per-repetition
ratios against the baseline session.

    python3 bench/bench_layers.py [--quick] [--check]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time

import benchlib
import numpy as np
import sandpit
from benchlib import Report, interleave, median, median_ratio

ENV_ID = "CartPole-v0"
NUM_ENVS = 256
THREE_SENSOR_FAULTS = [
    {"kind": "delay", "target": "pole.angle", "steps": 2},
    {"kind": "noise", "target": "cart.x", "sigma": 0.01},
    {"kind": "outage", "target": "pole.angular_velocity", "mode": "hold",
     "schedule": {"type": "periodic", "period": 20, "duty": 3}},
]


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps, steps = (3, 40) if args.quick else (11, 300)
    record_dir = tempfile.mkdtemp(prefix="sandpit-bench-record-")
    srv = benchlib.start_server(benchlib.endpoint("ipc"), args=["--threads", "2"])
    configs = {
        "baseline": dict(guardrails=False),
        "guardrails": dict(),
        "faults": dict(guardrails=False, faults=THREE_SENSOR_FAULTS),
        "record": dict(guardrails=False, record=record_dir),
    }
    targets = {"guardrails": 0.97, "faults": 0.95, "record": 0.95}
    labels = {
        "guardrails": "default guardrails on (issue 4)",
        "faults": "3 sensor faults (issue 6)",
        "record": "recording every episode (issue 5)",
    }
    report = Report(
        f"bench_layers: {ENV_ID} x {NUM_ENVS} envs, one message per step, each layer "
        "/ the same session without it",
        ["layer", "steps/s", "baseline steps/s"],
        notes=[benchlib.machine_note(),
               f"medians of {reps} interleaved repetitions of {steps} vector steps; "
               f"recording to {record_dir} (removed afterwards)"],
    )
    envs = {}
    try:
        rng = np.random.default_rng(0)
        table = rng.integers(0, 2, size=(1024, NUM_ENVS), dtype=np.int32)
        for name, cfg in configs.items():
            env = sandpit.make_vec(ENV_ID, NUM_ENVS, srv.endpoint, seed=0, **cfg)
            env.reset(seed=0)
            envs[name] = env

        def side(name: str):
            env = envs[name]

            def run() -> float:
                step = env.step
                start = time.perf_counter()
                for i in range(steps):
                    step(table[i % len(table)])
                return NUM_ENVS * steps / (time.perf_counter() - start)

            return run

        sides = {name: side(name) for name in configs}
        for s in sides.values():  # warm up
            s()
        got = interleave(reps, sides)
        for name, target in targets.items():
            report.row([labels[name], f"{median(got[name]):,.0f}",
                        f"{median(got['baseline']):,.0f}"],
                       median_ratio(got[name], got["baseline"]), ">=", target)
    finally:
        for env in envs.values():
            env.close()
        srv.stop()
        shutil.rmtree(record_dir, ignore_errors=True)
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
