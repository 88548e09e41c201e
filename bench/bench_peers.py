#!/usr/bin/env python3
"""Benchmark: sandpit's batched env against its peers, EnvPool (in-process C++ threads) and
Gymnasium's SyncVectorEnv (in-process Python), on every env that has a counterpart: env
steps per second with random actions (drawn up front, autoreset on), as ratios to EnvPool
measured in the same run. Targets at 256 envs and 2 threads: sandpit >= 1.0x EnvPool on
CartPole, Pendulum and Lander, >= 0.5x on Acrobot and Walker (BipedalWalker-v3); 16 and
1024 envs are reported too.

sandpit runs as a real `sandpit serve --threads 2` over ipc (what a locally spawned server
uses) with one message per step (SandpitVectorEnv.step); EnvPool with num_threads=2 and
batch_size=num_envs (synchronous). A peer that is not installed (envpool, or Box2D for
Gymnasium's LunarLander) is named and its column left out. Each repetition runs every side
for the same number of vector steps, in rotating order; figures are medians of
per-repetition ratios.

    pip install envpool box2d      # the peers, from PyPI (envpool has wheels up to CPython 3.11)
    python3 bench/bench_peers.py [--quick] [--check] [--sizes 16,256,1024]
"""

from __future__ import annotations

import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Optional

import benchlib  # first: it makes `sandpit` importable from the source tree
import gymnasium
import numpy as np
import sandpit
from benchlib import Report, interleave, median, median_ratio

warnings.filterwarnings("ignore", module="gymnasium")  # Box precision notes of the peers
THREADS = 2
TARGET_SIZE = 256
# sandpit id, EnvPool id, Gymnasium id, target (x EnvPool at 256 envs, 2 threads)
PEERS = [
    ("CartPole-v0", "CartPole-v1", "CartPole-v1", 1.0),
    ("Pendulum-v0", "Pendulum-v1", "Pendulum-v1", 1.0),
    ("Acrobot-v0", "Acrobot-v1", "Acrobot-v1", 0.5),
    ("Lander-v0", "LunarLander-v2", "LunarLander-v3", 1.0),
    ("Walker-v0", "BipedalWalker-v3", "BipedalWalker-v3", 0.5),
]
# Vector steps per repetition by batch size: about the same env steps per repetition.
STEPS = {16: 600, 256: 80, 1024: 24}


def _try(make: Callable[[], Any], what: str, missing: List[str]) -> Optional[Any]:
    try:
        return make()
    except Exception as e:  # noqa: BLE001  (a peer that cannot be made is reported, not fatal)
        missing.append(f"{what}: {type(e).__name__}: {str(e).splitlines()[0][:100]}")
        return None


def _actions(space: gymnasium.Space, n: int, rng: np.random.Generator) -> np.ndarray:
    """64 random action batches of the single-env ``space`` for ``n`` envs."""
    if isinstance(space, gymnasium.spaces.Discrete):
        return rng.integers(0, int(space.n), size=(64, n)).astype(np.int32)
    low, high = np.broadcast_to(space.low, space.shape), np.broadcast_to(space.high, space.shape)
    return rng.uniform(low, high, size=(64, n, *space.shape)).astype(np.float32)


def _timed(step: Callable[[np.ndarray], Any], table: np.ndarray, n: int, steps: int):
    def run() -> float:
        start = time.perf_counter()
        for i in range(steps):
            step(table[i & 63])
        return n * steps / (time.perf_counter() - start)

    return run


def _envpool_side(env: Any, table: np.ndarray, n: int, steps: int):
    ids = np.arange(n, dtype=np.int32)
    return _timed(lambda a: env.step(a, ids), table, n, steps)


def main() -> int:
    sizes_arg = None  # --sizes (benchlib's parser knows --quick and --check only)
    if "--sizes" in sys.argv:
        k = sys.argv.index("--sizes")
        sizes_arg = sys.argv[k + 1]
        del sys.argv[k : k + 2]
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    sizes = [int(s) for s in sizes_arg.split(",")] if sizes_arg else [16, TARGET_SIZE, 1024]
    reps = 2 if args.quick else 5
    scale = 0.1 if args.quick else 1.0
    missing: List[str] = []
    envpool = _try(lambda: __import__("envpool"), "envpool", missing)
    server = benchlib.start_server(benchlib.endpoint("ipc"), args=["--threads", str(THREADS)])
    report = Report(
        f"bench_peers: env steps/s with random actions, {THREADS} threads, as ratios to EnvPool",
        ["env", "envs", "sandpit/s", "EnvPool/s", "Gym sync/s", "Gym/EnvPool"],
        value_name="sandpit/EnvPool",
        notes=[
            benchlib.machine_note(),
            f"sandpit: sandpit serve --threads {THREADS} over ipc, one message per step; "
            f"EnvPool {getattr(envpool, '__version__', '-')} num_threads={THREADS}; "
            f"Gymnasium {gymnasium.__version__} SyncVectorEnv",
            f"medians of {reps} interleaved repetitions after a warm-up",
        ],
    )
    try:
        rng = np.random.default_rng(0)
        for sp_id, ep_id, gym_id, target in PEERS:
            for n in sizes:
                steps = max(3, int(STEPS.get(n, max(3, 20000 // n)) * scale))
                made: List[Any] = []
                try:
                    sides: Dict[str, Callable[[], float]] = {}
                    sp = sandpit.make_vec(sp_id, n, server.endpoint, seed=0)
                    made.append(sp)
                    sp.reset(seed=0)
                    sides["sandpit"] = _timed(
                        sp.step, _actions(sp.single_action_space, n, rng), n, steps
                    )
                    if envpool is not None:
                        ep = _try(lambda: envpool.make(
                            ep_id, env_type="gymnasium", num_envs=n, batch_size=n,
                            num_threads=THREADS, seed=0), f"EnvPool {ep_id}", missing)
                        if ep is not None:
                            ep.reset()
                            sides["envpool"] = _envpool_side(
                                ep, _actions(ep.action_space, n, rng), n, steps
                            )
                    gym = _try(lambda: gymnasium.make_vec(gym_id, n, vectorization_mode="sync"),
                               f"Gymnasium {gym_id}", missing)
                    if gym is not None:
                        made.append(gym)
                        gym.reset(seed=0)
                        sides["gym"] = _timed(
                            gym.step, _actions(gym.single_action_space, n, rng), n, steps
                        )
                    for side in sides.values():  # warm up
                        side()
                    got = interleave(reps, sides)
                finally:
                    for env in made:
                        env.close()
                base = got.get("envpool")
                cell = lambda k: f"{median(got[k]):,.0f}" if k in got else "-"  # noqa: E731
                ratio = median_ratio(got["sandpit"], base) if base else float("nan")
                gym_ratio = f"{median_ratio(got['gym'], base):.3f}" if base and "gym" in got else "-"
                on_target = n == TARGET_SIZE and base is not None
                report.row(
                    [sp_id, str(n), cell("sandpit"), cell("envpool"), cell("gym"), gym_ratio],
                    ratio,
                    ">=" if on_target else None,
                    target if on_target else None,
                )
                missing = sorted(set(missing))
    finally:
        server.stop()
    for m in missing:
        report.notes.append(f"not measured: {m}")
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
