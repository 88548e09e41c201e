#!/usr/bin/env python3
"""Benchmark, Stable-Baselines3: PPO on CartPole with 8 envs, steps per second of
``model.learn`` through sandpit's batched adapter (``sandpit.sb3.make_vec_env("CartPole-v0",
8)``: one session, one message per step) divided by the same PPO on Gymnasium's CartPole-v1
with SB3's ``make_vec_env`` (8 in-process envs in a DummyVecEnv). Target: at least 1.0.

Same hyperparameters on both sides (RL Zoo's for CartPole: 8 x 32 steps per rollout, 20
epochs) and one torch thread, so the ratio is what the env side costs a real training run,
network updates included. Needs torch: `./dev.sh integration` runs it.

Method: repetitions alternate the two sides; each repetition trains a fresh model for K steps
and times ``learn``; the ratio is the median of per-repetition ratios.

    python3 bench/bench_sb3.py [--quick] [--check]
"""

from __future__ import annotations

import sys
import time

import benchlib  # first: it makes `sandpit` importable from the source tree
import sandpit.sb3
import torch
from benchlib import Report, interleave, median, median_ratio
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

TARGET = 1.0
N_ENVS = 8


def learn_seconds(make_envs, steps: int) -> float:
    envs = make_envs()
    model = PPO("MlpPolicy", envs, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98,
                n_epochs=20, ent_coef=0.0, learning_rate=1e-3, seed=0, verbose=0)
    t0 = time.perf_counter()
    model.learn(total_timesteps=steps)
    wall = time.perf_counter() - t0
    envs.close()
    return wall / model.num_timesteps


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps, steps = (1, 2048) if args.quick else (3, 16_384)
    torch.set_num_threads(1)
    server = benchlib.start_server(benchlib.endpoint("ipc"))
    ep = server.endpoints[0]
    report = Report(
        f"bench_sb3: PPO, {N_ENVS} envs, learn() steps/s: sandpit adapter / Gymnasium CartPole-v1 "
        "with make_vec_env",
        ["side", "steps/s"],
        notes=[benchlib.machine_note(), f"medians of {reps} repetitions x {steps} steps"],
    )
    try:
        sides = {
            "sandpit": lambda: learn_seconds(
                lambda: sandpit.sb3.make_vec_env("CartPole-v0", N_ENVS, seed=0, endpoint=ep), steps
            ),
            "gymnasium": lambda: learn_seconds(
                lambda: make_vec_env("CartPole-v1", n_envs=N_ENVS, seed=0), steps
            ),
        }
        got = interleave(reps, sides)
        report.row(["gymnasium CartPole-v1", f"{1 / median(got['gymnasium']):,.0f}"], 1.0, None,
                   None)
        report.row(
            ["sandpit CartPole-v0 (adapter)", f"{1 / median(got['sandpit']):,.0f}"],
            median_ratio(got["gymnasium"], got["sandpit"]),
            ">=",
            TARGET,
        )
    finally:
        server.stop()
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
