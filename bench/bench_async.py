#!/usr/bin/env python3
"""Benchmark: async stepping (the protocol's send/recv ops through sandpit.make_async,
EnvPool's API) against lockstep stepping with a policy that takes 1 ms per batch (a sleep: a
policy on an accelerator or in another process, leaving the CPU to the server). Lockstep: a
vector env of B envs, policy, step, repeat. Async: one session of 2B envs, recv B at a time;
while the policy works on B envs the server's threads step the others. Env steps per second,
async / lockstep, same batch size B, in one run.

    python3 bench/bench_async.py [--quick] [--check]
"""

from __future__ import annotations

import sys
import time

import benchlib  # first: it makes `sandpit` importable from the source tree
import numpy as np
import sandpit
from benchlib import Report, interleave, median, median_ratio

ENV_ID = "CartPole-v0"
POLICY_S = 0.001
BATCHES = (64, 256)


def _policy(n: int):
    actions = np.zeros(n, dtype=np.int32)

    def policy(obs: np.ndarray) -> np.ndarray:
        time.sleep(POLICY_S)
        return actions

    return policy


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps, batches = (2, 10) if args.quick else (7, 200)
    server = benchlib.start_server(benchlib.endpoint("ipc"), args=["--threads", "2"])
    report = Report(
        f"bench_async: {ENV_ID}, a {POLICY_S * 1000:g} ms policy per batch of B envs; "
        "async (2B envs, recv B) / lockstep (B envs)",
        ["B", "lockstep steps/s", "async steps/s"],
        notes=[benchlib.machine_note(), f"medians of {reps} interleaved repetitions, "
               f"{batches} batches each"],
    )
    made = []
    try:
        for b in BATCHES:
            policy = _policy(b)
            vec = sandpit.make_vec(ENV_ID, b, server.endpoint, seed=0)
            made.append(vec)
            asy = sandpit.make_async(ENV_ID, 2 * b, b, server.endpoint, seed=0)
            made.append(asy)

            def lockstep() -> float:
                obs, _ = vec.reset()
                start = time.perf_counter()
                for _ in range(batches):
                    obs = vec.step(policy(obs))[0]
                return b * batches / (time.perf_counter() - start)

            def run_async() -> float:
                asy.async_reset()
                start = time.perf_counter()
                for _ in range(batches):
                    obs, *_, info = asy.recv()
                    asy.send(policy(obs), info["env_id"])
                elapsed = time.perf_counter() - start
                while asy.in_flight:  # the last sends' replies: not timed
                    asy.recv()
                return b * batches / elapsed

            sides = {"lockstep": lockstep, "async": run_async}
            for side in sides.values():
                side()
            got = interleave(reps, sides)
            report.row([str(b), f"{median(got['lockstep']):,.0f}", f"{median(got['async']):,.0f}"],
                       median_ratio(got["async"], got["lockstep"]), None, None)
    finally:
        for env in made:
            env.close()
        server.stop()
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
