#!/usr/bin/env python3
"""Stable-Baselines3 PPO on every sandpit world for one fixed budget, next to random play and
the built-in baseline controller: which worlds are easy, which are hard.

    python tests/integration/ppo_worlds.py [--ids Walker-v0,Rover-v0] [--steps 100000]
                                           [--markdown] [--write-docs docs/ENVS.md]

Every world gets the same PPO (SB3's defaults but 256-step rollouts, MlpPolicy, 8 envs in one batched session,
seed 0), evaluated deterministically on held-out seeds after each quarter of the budget, so
the columns read as a learning curve. Random play samples the action space; the baseline is
the controller `sandpit.demo` runs for the env (`-` where there is none). Returns are means
over ``--episodes`` episodes with seeds 1000, 1001, ...

The script fails (exit 1) when an env errors or is not in the server's catalogue; a low return
is a finding, not a failure. ``--write-docs`` replaces the table between the markers
``<!-- ppo-table -->`` and ``<!-- /ppo-table -->`` in the given file.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import sandpit
import sandpit.sb3
import torch
from sandpit.demo import controller_for, play
from sandpit.server import LocalServer
from stable_baselines3 import PPO
from stable_baselines3.common.evaluation import evaluate_policy

WORLDS = [
    "CartPole-v0",
    "Pendulum-v0",
    "Acrobot-v0",
    "LanderContinuous-v0",
    "Walker-v0",
    "WalkerHardcore-v0",
    "Hopper-v0",
    "Rover-v0",
    "Racer-v0",
    "Reacher-v0",
    "Pusher-v0",
    "Touch-v0",
]
EVAL_SEED = 1000
MARKERS = ("<!-- ppo-table -->", "<!-- /ppo-table -->")


def scripted_returns(endpoint: str, env_id: str, episodes: int) -> Dict[str, Optional[float]]:
    """Mean return of random play and of the demo's controller (None without one)."""
    env = sandpit.make(env_id, endpoint=endpoint)
    try:
        control = controller_for(env_id, env.sandpit_spec)
        plans = [("random", None)] + ([control] if control else [])
        out: Dict[str, Optional[float]] = {"random": None, "baseline": None}
        for name, policy in plans:
            rets = [play(env, policy, EVAL_SEED + k, name).ret for k in range(episodes)]
            out["random" if policy is None else "baseline"] = float(np.mean(rets))
        return out
    finally:
        env.close()


def ppo_curve(endpoint: str, env_id: str, steps: int, points: int, episodes: int) -> List[tuple]:
    """(steps trained, deterministic evaluation return) after each of ``points`` equal parts
    of the budget (SB3 rounds each part up to whole rollouts of 8 x 256 steps)."""
    envs = sandpit.sb3.make_vec_env(env_id, n_envs=8, seed=0, endpoint=endpoint)
    evals = sandpit.sb3.make_vec_env(env_id, n_envs=1, seed=EVAL_SEED, endpoint=endpoint)
    try:
        model = PPO("MlpPolicy", envs, n_steps=256, seed=0, verbose=0)
        curve = []
        for _ in range(points):
            model.learn(total_timesteps=steps // points, reset_num_timesteps=False)
            evals.seed(EVAL_SEED)
            mean, _ = evaluate_policy(model, evals, n_eval_episodes=episodes, deterministic=True)
            curve.append((model.num_timesteps, float(mean)))
        return curve
    finally:
        evals.close()
        envs.close()


def fmt(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:.1f}"


def render(rows: List[dict], markdown: bool) -> str:
    marks = [f"PPO@{n / 1000:.0f}k" for n, _ in rows[0]["ppo"]]
    head = ["env", "random", "baseline", *marks, "seconds"]
    cells = [
        [
            r["env"],
            fmt(r["random"]),
            fmt(r["baseline"]),
            *(fmt(x) for _, x in r["ppo"]),
            f"{r['seconds']:.0f}",
        ]
        for r in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])
    widths = [max(len(x) for x in col) for col in zip(head, *cells)]
    return "\n".join("  ".join(x.rjust(w) for x, w in zip(line, widths)) for line in [head, *cells])


def write_docs(path: Path, table: str, steps: int) -> None:
    text = path.read_text()
    begin, end = MARKERS
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path}: no {begin} ... {end} markers")
    note = (
        f"SB3 PPO (defaults, n_steps 256, 8 envs, seed 0), {steps:,} steps per world; "
        "mean return over held-out seeds. Written by `tests/integration/ppo_worlds.py --write-docs`."
    )
    path.write_text(pattern.sub(lambda _: f"{begin}\n{note}\n\n{table}\n{end}", text))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ids", default=",".join(WORLDS))
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--points", type=int, default=4, help="evaluations along the budget")
    p.add_argument("--episodes", type=int, default=5, help="episodes per evaluation")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--write-docs", type=Path)
    args = p.parse_args()
    torch.set_num_threads(1)  # small MLPs: threads cost more than they bring

    ids = [i for i in args.ids.split(",") if i]
    server = LocalServer.start()
    try:
        with sandpit.Client(server.endpoint) as client:
            known = set(client.catalogue)
        missing = [i for i in ids if i not in known]
        if missing:
            raise SystemExit(f"not in the server's catalogue: {', '.join(missing)}")
        rows = []
        for env_id in ids:
            print(f"== {env_id}", file=sys.stderr, flush=True)
            start = time.perf_counter()
            row = {"env": env_id, **scripted_returns(server.endpoint, env_id, args.episodes)}
            row["ppo"] = ppo_curve(server.endpoint, env_id, args.steps, args.points, args.episodes)
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
            print(render([row], False), file=sys.stderr, flush=True)
    finally:
        server.stop()
    table = render(rows, args.markdown or bool(args.write_docs))
    print(table)
    if args.write_docs:
        write_docs(args.write_docs, table, args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
