"""Built-in controllers, usable as agents of the fault-suite runner and by the demo.

Each public factory follows the agent contract of :mod:`sandpit.faults`::

    make_agent(env_id: str, spec: dict) -> act | object with act(obs) and optional reset(seed)

``spec`` is the server's spec of the env (``env.sandpit_spec``: channel names, bounds, dt).
So ``python -m sandpit.faults run SUITE.toml --agent sandpit.agents:cartpole`` works, and
so do ``sandpit.agents:pendulum``, ``sandpit.agents:acrobot``, ``sandpit.agents:lander``,
``sandpit.agents:rover``, ``sandpit.agents:racer``, ``sandpit.agents:reacher``,
``sandpit.agents:pusher``, ``sandpit.agents:touch``
and ``sandpit.agents:random_agent``.

The controllers are model-based, not learned: they exist to give suites and demos an agent
that does the task well, so a fault's effect shows as a drop from a good baseline. Each
checks the spec's channel names and raises ``ValueError`` on an env it was not written for,
rather than controlling the wrong signals.

The plain policy functions (``cartpole_discrete``, ``cartpole_continuous``,
``make_pendulum_controller``, ``acrobot_policy``, ``make_lander_controller``) are public too.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from .agent_manipulation import pusher, reacher, touch  # noqa: F401  (Reacher, Pusher, Touch)
from .agent_navigation import racer, rover  # noqa: F401  (Rover and Racer, re-exported)
from .agent_walker import HOPPER_CHANNELS, WALKER_CHANNELS, hopper, walker  # noqa: F401

__all__ = [
    "CARTPOLE_GAINS",
    "Policy",
    "RandomAgent",
    "acrobot",
    "acrobot_policy",
    "cartpole",
    "cartpole_continuous",
    "cartpole_discrete",
    "hopper",
    "lander",
    "make_lander_controller",
    "make_pendulum_controller",
    "pendulum",
    "racer",
    "random_agent",
    "rover",
    "walker",
]

Policy = Callable[[np.ndarray], Any]

CARTPOLE_CHANNELS = ["cart.x", "cart.velocity", "pole.angle", "pole.angular_velocity"]
PENDULUM_CHANNELS = ["rod.cos", "rod.sin", "rod.angular_velocity"]
ACROBOT_CHANNELS = [
    "shoulder.cos",
    "shoulder.sin",
    "elbow.cos",
    "elbow.sin",
    "shoulder.angular_velocity",
    "elbow.angular_velocity",
]
LANDER_CHANNELS = [
    "hull.x",
    "hull.y",
    "hull.velocity.x",
    "hull.velocity.y",
    "hull.angle",
    "hull.angular_velocity",
    "leg.left.contact",
    "leg.right.contact",
    "fuel.fraction",
]


def _channels(spec: Dict[str, Any]) -> List[str]:
    return list(spec.get("observation", {}).get("names", []))


def _require(env_id: str, spec: Dict[str, Any], names: List[str], who: str) -> None:
    got = _channels(spec)
    if got[: len(names)] != names:
        raise ValueError(
            f"sandpit.agents:{who} does not control {env_id}: it needs observation channels "
            f"{names}, the env has {got}"
        )


def _bounds(spec: Dict[str, Any]) -> tuple:
    action = spec["action"]
    low = np.frombuffer(action["low"]["data"], "<f8").astype(np.float64)
    high = np.frombuffer(action["high"]["data"], "<f8").astype(np.float64)
    return low, high


def _is_discrete(spec: Dict[str, Any]) -> bool:
    return spec.get("action", {}).get("kind") == "discrete"


# -- CartPole ------------------------------------------------------------------------------

# Linear state feedback for the cart-pole, in the textbook convention (pole angle positive
# when it leans towards +x, force positive towards +x): F ~ K . (x, x', theta, theta').
# sandpit measures the pole angle counter-clockwise, i.e. positive when leaning towards -x,
# so the angle terms flip sign.
CARTPOLE_GAINS = np.array([1.0, 1.5, -18.0, -3.0])


def cartpole_discrete(obs: np.ndarray) -> int:
    """Bang-bang LQR-like push: right (1) when the feedback force is positive."""
    return int(float(CARTPOLE_GAINS @ np.asarray(obs, np.float64)) > 0.0)


def cartpole_continuous(obs: np.ndarray) -> np.ndarray:
    """The same feedback as a saturated linear force in newtons."""
    force = 5.0 * float(CARTPOLE_GAINS @ np.asarray(obs, np.float64))
    return np.array([np.clip(force, -10.0, 10.0)], dtype=np.float32)


def cartpole(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: the LQR-like balancer for CartPole-v0 and CartPoleContinuous-v0.

    A NaN reading (an outage in ``nan`` mode) is treated as 0, so the agent keeps acting.
    """
    _require(env_id, spec, CARTPOLE_CHANNELS, "cartpole")
    inner = cartpole_discrete if _is_discrete(spec) else cartpole_continuous

    def act(obs: np.ndarray) -> Any:
        return inner(np.nan_to_num(np.asarray(obs, np.float64)))

    return act


# -- Pendulum ------------------------------------------------------------------------------


def make_pendulum_controller(spec: Dict[str, Any]) -> Policy:
    """Energy-pumping swing-up, then PD once the rod is near the top and slow enough.

    The rod (1 kg, 1 m, pivot at one end, I = m l^2 / 3) has energy relative to upright
    E = I w^2 / 2 + m g (l / 2) (cos th - 1). Torque u changes it at dE/dt = u w, so
    u = -k E w pumps energy in while E < 0 (and out when it overshoots).
    """
    high = float(_bounds(spec)[1][0])
    m, g, length = 1.0, 9.81, 1.0
    inertia = m * length * length / 3.0
    catch_cos = math.cos(0.6)

    def policy(obs: np.ndarray) -> np.ndarray:
        c, s, w = (float(v) if math.isfinite(float(v)) else 0.0 for v in obs[:3])
        theta = math.atan2(s, c)
        if c > catch_cos and abs(w) < 4.0:
            u = -(12.0 * theta + 2.5 * w)
        else:
            energy = 0.5 * inertia * w * w + m * g * length / 2.0 * (c - 1.0)
            u = -2.0 * energy * w if abs(w) > 1e-3 else high
            if abs(energy) > 0.3:
                u = math.copysign(high, u)
        return np.array([np.clip(u, -high, high)], dtype=np.float32)

    return policy


def pendulum(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: energy-pumping swing-up plus PD hold for Pendulum-v0."""
    _require(env_id, spec, PENDULUM_CHANNELS, "pendulum")
    return make_pendulum_controller(spec)


# -- Acrobot -------------------------------------------------------------------------------


def acrobot_policy(obs: np.ndarray) -> int:
    """Positive motor power: drive the elbow the way it already turns (torque_neg,
    torque_zero, torque_pos = 0, 1, 2), which pumps energy until the tip swings up."""
    w2 = float(obs[5])
    if not math.isfinite(w2) or abs(w2) < 1e-6:
        return 2
    return 2 if w2 > 0.0 else 0


def acrobot(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: the energy-pumping elbow controller for Acrobot-v0."""
    _require(env_id, spec, ACROBOT_CHANNELS, "acrobot")
    if not _is_discrete(spec):
        raise ValueError(f"sandpit.agents:acrobot needs a discrete action, {env_id} has none")
    return acrobot_policy


# -- Lander --------------------------------------------------------------------------------


def make_lander_controller(spec: Dict[str, Any]) -> Policy:
    """Gymnasium's heuristic LunarLander pilot in SI units (as tests/c/test_lander.c):
    lean toward the pad and brake, descend along a height that shrinks with the distance
    to go, keep upright on one leg, and cut the engines once both legs are down."""
    discrete = _is_discrete(spec)
    rest_height = 1.0

    def policy(obs: np.ndarray) -> Any:
        o = np.nan_to_num(np.asarray(obs, np.float64))
        x, y, vx, vy, angle, spin, left, right = (float(v) for v in o[:8])
        angle_target = min(max(0.05 * x + 0.2 * vx, -0.4), 0.4)
        y_target = rest_height + 0.367 * abs(x)
        turn = (angle_target - angle) * 0.5 - 0.4 * spin
        lift = (y_target - y) / 6.667 * 0.5 - 0.0667 * vy
        on_left, on_right = left > 0.0, right > 0.0
        if on_left and on_right:
            turn = lift = 0.0
        elif on_left or on_right:
            turn = -angle * 0.5 - 0.4 * spin
            lift = -0.0667 * vy
        if discrete:
            if lift > abs(turn) and lift > 0.05:
                return 2  # fire_main
            if turn < -0.05:
                return 3  # fire_right
            if turn > 0.05:
                return 1  # fire_left
            return 0
        return np.array(
            [np.clip(lift * 20.0 - 1.0, -1.0, 1.0), np.clip(-turn * 20.0, -1.0, 1.0)],
            dtype=np.float32,
        )

    return policy


def lander(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: the heuristic pilot for Lander-v0 and LanderContinuous-v0. With
    ``observation="both"`` it flies on the sensor vector (``obs["state"]``), so a suite of
    pixel faults shows they leave the vector alone."""
    _require(env_id, spec, LANDER_CHANNELS, "lander")
    policy = make_lander_controller(spec)

    def act(obs: Any) -> Any:
        return policy(obs["state"] if isinstance(obs, dict) else obs)

    return act


# -- random --------------------------------------------------------------------------------


class RandomAgent:
    """Uniform random actions from a generator reseeded with every episode's seed, so a
    run is a function of the episode seeds alone (whatever process plays it)."""

    def __init__(self, spec: Dict[str, Any]) -> None:
        self._discrete = _is_discrete(spec)
        if self._discrete:
            self._n = int(spec["action"]["n"])
        else:
            self._low, self._high = _bounds(spec)
        self._rng = np.random.default_rng(0)

    def reset(self, seed: Optional[int] = None) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, obs: np.ndarray) -> Any:
        if self._discrete:
            return int(self._rng.integers(self._n))
        return self._rng.uniform(self._low, self._high).astype(np.float32)


def random_agent(env_id: str, spec: Dict[str, Any]) -> RandomAgent:
    """Agent factory: uniform random actions for any env (a floor to compare against)."""
    return RandomAgent(spec)
