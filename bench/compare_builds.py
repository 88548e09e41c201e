#!/usr/bin/env python3
"""Two builds' in-process speed, env by env, measured interleaved in one run: the before/after
of a change that cannot live in one binary (a compiler flag, a vendored library). Each round
runs `bench_core --env ID --seconds S --json` of the baseline, then of the candidate, for every
env; the ratio printed is the median over rounds of candidate/baseline steps per second, so
load that drifts during the run hits both sides alike.

    python3 bench/compare_builds.py BASELINE_BENCH_CORE CANDIDATE_BENCH_CORE [--rounds N] [--seconds S]

e.g. the commit before a change built in /tmp/old: bench/compare_builds.py
/tmp/old/build/bin/bench_core build/bin/bench_core. A ratio >= 1 means the candidate is at
least as fast."""

import argparse
import json
import statistics
import subprocess


def steps_per_s(binary: str, env: str, seconds: float) -> float:
    out = subprocess.run([binary, "--env", env, "--seconds", str(seconds), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return float(json.loads(out)["steps_per_second"])


def main() -> None:
    envs = ["CartPole-v0", "CartPoleContinuous-v0", "Pendulum-v0", "Acrobot-v0", "Lander-v0",
            "LanderContinuous-v0"]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline")
    ap.add_argument("candidate")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--envs", nargs="*", default=envs)
    a = ap.parse_args()
    envs = a.envs
    ratios = {e: [] for e in envs}
    base = {e: [] for e in envs}
    cand = {e: [] for e in envs}
    for _ in range(a.rounds):
        for e in envs:
            b = steps_per_s(a.baseline, e, a.seconds)
            c = steps_per_s(a.candidate, e, a.seconds)
            base[e].append(b)
            cand[e].append(c)
            ratios[e].append(c / b)
    print(f"{'env':<24}{'baseline steps/s':>18}{'candidate steps/s':>19}{'ratio (median)':>16}")
    for e in envs:
        print(f"{e:<24}{statistics.median(base[e]):>18.0f}{statistics.median(cand[e]):>19.0f}"
              f"{statistics.median(ratios[e]):>16.3f}")


if __name__ == "__main__":
    main()
