"""Demo: control every env of a sandpit server and print the episode returns.

    python -m sandpit.demo [--endpoint EP] [--episodes K] [--seed S] [--check]

Without ``--endpoint`` it starts ``sandpit serve`` on loopback TCP (``tcp://127.0.0.1:*``),
reads the actual endpoint from the server's ``listening`` line and stops the server at the
end. CartPole is balanced by a linear state-feedback controller (it must reach the 500-step
limit), Pendulum is swung up by pumping energy and then held upright by a PD controller,
Acrobot pumps energy at the elbow, the Landers fly Gymnasium's heuristic pilot, the Rovers
follow the maze's wall, the Racers centre on the track by lidar, and any other env of the catalogue gets random actions. Controlled envs are also played at random
once per episode seed, as a baseline.

``--check`` exits with status 1 unless CartPole reaches 500 steps in every episode and
Pendulum's mean return beats -400.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from .agent_manipulation import manipulation_controller
from .agent_navigation import navigation_controller

# The controllers live in sandpit.agents (shared with the fault-suite runner); they are
# re-exported here for code that imported them from the demo.
from .agents import (  # noqa: F401
    ACROBOT_CHANNELS,
    CARTPOLE_GAINS,
    HOPPER_CHANNELS,
    LANDER_CHANNELS,
    WALKER_CHANNELS,
    acrobot_policy,
    cartpole_continuous,
    cartpole_discrete,
    hopper,
    make_lander_controller,
    make_pendulum_controller,
    walker,
)
from .client import Client
from .env import SandpitEnv
from .server import LocalServer

Policy = Callable[[np.ndarray], Any]


def _channels(spec: Dict[str, Any]) -> List[str]:
    return list(spec["observation"].get("names", []))


def controller_for(env_id: str, spec: Dict[str, Any]) -> Optional[tuple]:
    """(name, policy) for envs the demo can control, None for random play.

    The channel names are checked so that a changed spec falls back to random play
    instead of running a controller on the wrong signals.
    """
    cart = ["cart.x", "cart.velocity", "pole.angle", "pole.angular_velocity"]
    if env_id == "CartPole-v0" and _channels(spec) == cart:
        return "LQR", cartpole_discrete
    if env_id == "CartPoleContinuous-v0" and _channels(spec) == cart:
        return "LQR", cartpole_continuous
    if env_id == "Pendulum-v0" and _channels(spec)[:3] == [
        "rod.cos",
        "rod.sin",
        "rod.angular_velocity",
    ]:
        return "swing-up+PD", make_pendulum_controller(spec)
    if env_id == "Acrobot-v0" and _channels(spec)[: len(ACROBOT_CHANNELS)] == ACROBOT_CHANNELS:
        return "energy pump", acrobot_policy
    if env_id.startswith("Walker") and _channels(spec)[: len(WALKER_CHANNELS)] == WALKER_CHANNELS:
        return "scripted gait", walker(env_id, spec)
    if env_id == "Hopper-v0" and _channels(spec)[: len(HOPPER_CHANNELS)] == HOPPER_CHANNELS:
        return "balance", hopper(env_id, spec)
    if env_id.startswith("Lander") and _channels(spec)[: len(LANDER_CHANNELS)] == LANDER_CHANNELS:
        return "heuristic pilot", make_lander_controller(spec)
    return manipulation_controller(env_id, spec) or navigation_controller(env_id, spec)


# -- running -----------------------------------------------------------------------------


@dataclass
class Episode:
    env_id: str
    policy: str
    seed: int
    ret: float
    steps: int
    reason: str


def play(env: SandpitEnv, policy: Optional[Policy], seed: int, name: str) -> Episode:
    """One episode from ``reset(seed=seed)``; ``policy=None`` samples the action space."""
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    reset = getattr(policy, "reset", None)
    if reset is not None:  # a stateful controller (a gait's phase) starts afresh
        reset(seed)
    total, steps = 0.0, 0
    while True:
        action = env.action_space.sample() if policy is None else policy(obs)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        steps += 1
        if terminated or truncated:
            return Episode(env.sandpit_spec["id"], name, seed, total, steps, info["reason"])


def run(endpoint: str, episodes: int, seed: int, out=sys.stdout) -> List[Episode]:
    """Plays every env of the server's catalogue and prints a table of the episodes."""
    with Client(endpoint) as client:
        catalogue = client.catalogue
        server_name = client.server_info.get("server", "?")
    print(
        f"sandpit demo: {server_name} at {endpoint}, {len(catalogue)} envs, "
        f"{episodes} episode(s) each",
        file=out,
    )
    header = f"{'env':<24} {'policy':<15} {'seed':>5} {'return':>10} {'steps':>6}  end"
    print(header, file=out)
    print("-" * len(header), file=out)
    results: List[Episode] = []
    for env_id, spec in catalogue.items():
        control = controller_for(env_id, spec)
        plans = [control] if control else []
        plans.append(("random", None))
        with SandpitEnv(env_id, endpoint) as env:
            for name, policy in plans:
                for k in range(episodes):
                    ep = play(env, policy, seed + k, name)
                    results.append(ep)
                    print(
                        f"{ep.env_id:<24} {ep.policy:<15} {ep.seed:>5} {ep.ret:>10.2f} "
                        f"{ep.steps:>6}  {ep.reason}",
                        file=out,
                        flush=True,
                    )
    print("-" * len(header), file=out)
    summary: Dict[tuple, List[float]] = {}
    for ep in results:
        summary.setdefault((ep.env_id, ep.policy), []).append(ep.ret)
    for (env_id, name), rets in summary.items():
        print(
            f"{env_id:<24} {name:<15} mean return {np.mean(rets):10.2f} over {len(rets)}", file=out
        )
    return results


def check(results: Sequence[Episode]) -> List[str]:
    """The demo's promises; returns what failed."""
    failures = []
    cart = [ep for ep in results if ep.env_id == "CartPole-v0" and ep.policy == "LQR"]
    if not cart or any(ep.steps < 500 for ep in cart):
        failures.append(f"CartPole-v0 not balanced for 500 steps: {[ep.steps for ep in cart]}")
    pend = [ep.ret for ep in results if ep.env_id == "Pendulum-v0" and ep.policy != "random"]
    if not pend or float(np.mean(pend)) <= -400.0:
        failures.append(f"Pendulum-v0 mean return {np.mean(pend) if pend else None} <= -400")
    return failures


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandpit.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--endpoint", help="a running server; default: start one on loopback TCP")
    parser.add_argument("--episodes", type=int, default=3, help="episodes per env and policy")
    parser.add_argument("--seed", type=int, default=0, help="first episode seed")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 unless CartPole balances and Pendulum swings up",
    )
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error("--episodes must be at least 1")

    server = None
    endpoint = args.endpoint
    if endpoint is None:
        server = LocalServer.start("tcp://127.0.0.1:*")
        endpoint = server.endpoint
        print(f"started sandpit serve (pid {server.pid}) on {endpoint}")
    try:
        results = run(endpoint, args.episodes, args.seed)
    finally:
        if server is not None:
            server.stop()
            print(f"stopped sandpit serve (pid {server.pid})")
    if args.check:
        failures = check(results)
        for failure in failures:
            print(f"CHECK FAILED: {failure}", file=sys.stderr)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
