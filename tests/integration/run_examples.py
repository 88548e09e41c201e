#!/usr/bin/env python3
"""Runs every training example on sandpit and on Gymnasium's CartPole-v1, side by side, and
prints one table (library, algorithm, env, steps, wall time, final return).

    python tests/integration/run_examples.py [--only sb3,cleanrl,rllib] [--markdown]

Each example runs in its own process (as a user runs it) and prints one JSON line. The run
fails (exit 1) when an example fails, when SB3 PPO through the adapter does not reach a mean
evaluation return of 475 on CartPole-v0 within 100k steps, when the CleanRL-style script
does not solve CartPole-v0 (475 too), or when RLlib PPO's training return (the mean of its
last 100 episodes) does not reach 475 within its 200k-step budget.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "sb3": ("examples/sb3_ppo_cartpole.py", 475.0),
    "cleanrl": ("examples/ppo_cartpole.py", 475.0),
    "rllib": ("examples/rllib_ppo_cartpole.py", 475.0),
}
ENVS = ["sandpit/CartPole-v0", "CartPole-v1"]
COLUMNS = ["library", "algorithm", "env", "steps", "wall_s", "train_return", "eval_return"]


def run(script: str, env_id: str) -> dict:
    print(f"== {script} --env-id {env_id}", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, str(REPO / script), "--env-id", env_id],
                          stdout=subprocess.PIPE, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"{script} --env-id {env_id} failed with exit {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict], markdown: bool) -> str:
    cells = [[str(r[c]) if r[c] is not None else "-" for c in COLUMNS] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(c) + " |" for c in cells]
        return "\n".join(lines)
    widths = [max(len(x) for x in col) for col in zip(COLUMNS, *cells)]
    return "\n".join("  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip()
                     for line in [COLUMNS, *cells])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(EXAMPLES))
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args()
    rows, failures = [], []
    for name in args.only.split(","):
        script, threshold = EXAMPLES[name]
        for env_id in ENVS:
            row = run(script, env_id)
            rows.append(row)
            # RLlib's example has no separate evaluation: its training return is the figure.
            key = "eval_return" if row["eval_return"] is not None else "train_return"
            if threshold is not None and env_id.startswith("sandpit/") and not (
                row[key] >= threshold
            ):
                failures.append(f"{name}: {key} {row[key]} < {threshold}")
    print(table(rows, args.markdown))
    for f in failures:
        print(f"FAILED {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
