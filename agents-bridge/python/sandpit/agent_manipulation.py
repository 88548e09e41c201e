"""Classical controllers for the manipulation worlds (docs/ENVS.md): Reacher, Pusher, Touch.

- :func:`reacher`: inverse kinematics of the two-link arm to the target, then a PD loop on
  the joint angles (torque actuators).
- :func:`pusher`: a scripted push: bring the fingertip behind the puck on the line from the
  target through the puck, then drive it through the puck toward the target (the same IK and
  PD move the tip).
- :func:`touch`: greedy: roll the wheels toward the blue shape, and fire the thrusters when
  the blue shape is above (Touch-v0 and every Touch-levelNN-v0).

They follow :mod:`sandpit.agents`' contract (``make_agent(env_id, spec) -> act``) and check
the spec's channel names. A NaN reading (a sensor outage) counts as 0.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

__all__ = [
    "PUSHER_CHANNELS",
    "REACHER_CHANNELS",
    "TOUCH_CHANNELS",
    "arm_ik",
    "manipulation_controller",
    "pusher",
    "reacher",
    "touch",
]

Policy = Callable[[np.ndarray], Any]

REACHER_CHANNELS = [
    "shoulder.angle",
    "shoulder.angular_velocity",
    "elbow.angle",
    "elbow.angular_velocity",
    "target.x",
    "target.y",
    "tip.x",
    "tip.y",
]
PUSHER_CHANNELS = [
    "shoulder.angle",
    "shoulder.angular_velocity",
    "elbow.angle",
    "elbow.angular_velocity",
    "tip.x",
    "tip.y",
    "puck.x",
    "puck.y",
    "puck.vx",
    "puck.vy",
    "target.x",
    "target.y",
    "contact.touch",
]
TOUCH_CHANNELS = ["green.x", "green.y", "green.angle", "green.vx", "green.vy"]
TOUCH_ACTUATORS = ["motor0", "motor1", "thrust0", "thrust1"]


def _names(spec: Dict[str, Any]) -> List[str]:
    return list(spec.get("observation", {}).get("names", []))


def _require(env_id: str, spec: Dict[str, Any], names: List[str], who: str) -> None:
    got = _names(spec)
    if got[: len(names)] != names:
        raise ValueError(
            f"sandpit.agents:{who} does not control {env_id}: it needs observation channels "
            f"{names}, the env has {got}"
        )


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def arm_ik(x: float, y: float, l1: float, l2: float, elbow_now: float) -> Tuple[float, float]:
    """Joint angles (link-1 direction from +x, elbow relative) putting the tip of a planar
    two-link arm at (x, y) relative to the shoulder; the elbow branch nearest the current one.
    Points out of reach are pulled onto the reachable annulus."""
    r = math.hypot(x, y)
    r = min(max(r, abs(l1 - l2) + 1e-6), l1 + l2 - 1e-6)
    c2 = (r * r - l1 * l1 - l2 * l2) / (2.0 * l1 * l2)
    q2 = math.acos(min(1.0, max(-1.0, c2)))
    if elbow_now < 0.0:
        q2 = -q2
    q1 = math.atan2(y, x) - math.atan2(l2 * math.sin(q2), l1 + l2 * math.cos(q2))
    return q1, q2


class _ArmPD:
    """IK to a tip goal, PD torques on both joints, saturated at the actuator bounds."""

    def __init__(self, l1: float, l2: float, zero: float, kp: float, kd: float) -> None:
        self.l1, self.l2, self.zero, self.kp, self.kd = l1, l2, zero, kp, kd

    def torques(self, q: np.ndarray, goal: Tuple[float, float]) -> np.ndarray:
        q1, w1, q2, w2 = (float(v) for v in q)
        d1, d2 = arm_ik(goal[0], goal[1], self.l1, self.l2, q2 if abs(q2) > 1e-3 else 1.0)
        u1 = self.kp * _wrap(d1 - self.zero - q1) - self.kd * w1
        u2 = self.kp * _wrap(d2 - q2) - self.kd * w2
        return np.clip(np.array([u1, u2]), -1.0, 1.0).astype(np.float32)


# -- Reacher -------------------------------------------------------------------------------


def reacher(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: IK + PD for Reacher-v0 (links 0.1 and 0.11 m, arm along +x at 0)."""
    _require(env_id, spec, REACHER_CHANNELS, "reacher")
    arm = _ArmPD(0.1, 0.11, 0.0, kp=0.1, kd=0.01)

    def act(obs: np.ndarray) -> np.ndarray:
        o = np.nan_to_num(np.asarray(obs, np.float64))
        return arm.torques(o[:4], (float(o[4]), float(o[5])))

    return act


# -- Pusher --------------------------------------------------------------------------------

PUCK_RADIUS, TIP_RADIUS = 0.15, 0.1
KP, KD = 4.0, 1.0


def pusher(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: the scripted push for Pusher-v0 (links 1 m, arm along +y at 0)."""
    _require(env_id, spec, PUSHER_CHANNELS, "pusher")
    arm = _ArmPD(1.0, 1.0, math.pi / 2.0, kp=KP, kd=KD)
    back = PUCK_RADIUS + TIP_RADIUS + 0.12

    def act(obs: np.ndarray) -> np.ndarray:
        o = np.nan_to_num(np.asarray(obs, np.float64))
        tip, puck, target = o[4:6], o[6:8], o[10:12]
        d = target - puck
        dist = float(np.hypot(*d))
        n = d / dist if dist > 1e-6 else np.array([1.0, 0.0])
        rel = tip - puck
        along = float(rel @ n)
        across = abs(float(rel[0] * n[1] - rel[1] * n[0]))
        start = puck - n * back
        if along < -(PUCK_RADIUS + TIP_RADIUS) * 0.7 and across < 0.08:
            # Behind the puck and in line: push through it toward the target.
            goal = puck + n * min(dist, 0.25)
        elif _passes_near(tip, start, puck, PUCK_RADIUS + TIP_RADIUS + 0.05):
            # The way to the start would knock the puck: go round it on the tip's side.
            side = np.array([-n[1], n[0]])
            if float(rel @ side) < 0.0:
                side = -side
            goal = puck + side * (back + 0.1) - n * back * 0.5
        else:
            goal = start
        return arm.torques(o[:4], (float(goal[0]), float(goal[1])))

    return act


def _passes_near(a: np.ndarray, b: np.ndarray, c: np.ndarray, radius: float) -> bool:
    """True when the segment a-b passes within `radius` of point c."""
    ab = b - a
    t = float(np.clip((c - a) @ ab / max(float(ab @ ab), 1e-12), 0.0, 1.0))
    return float(np.hypot(*(a + ab * t - c))) < radius


# -- Touch ---------------------------------------------------------------------------------


def touch(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: the greedy Touch controller: both wheels roll toward the blue shape
    (full speed, slowing within a metre), the thrusters fire while blue is above green.

    Thruster directions differ per level and are not observed, so firing them is a bet;
    the wheels do most of the work."""
    _require(env_id, spec, TOUCH_CHANNELS, "touch")
    names = _names(spec)
    acts = list(spec.get("action", {}).get("names", []))
    if acts[:4] != TOUCH_ACTUATORS:
        raise ValueError(f"sandpit.agents:touch needs actuators {TOUCH_ACTUATORS}, {env_id} has {acts}")
    gx, gy, bx, by = (names.index(c) for c in ("green.x", "green.y", "blue.x", "blue.y"))

    def act(obs: np.ndarray) -> np.ndarray:
        o = np.nan_to_num(np.asarray(obs, np.float64))
        dx, dy = float(o[bx] - o[gx]), float(o[by] - o[gy])
        # A wheel turning clockwise (negative) rolls green toward +x.
        drive = -float(np.clip(dx, -1.0, 1.0))
        lift = 1.0 if dy > 1.0 and abs(dx) < 2.0 else 0.0
        return np.array([drive, drive, lift, lift], dtype=np.float32)

    return act


def manipulation_controller(env_id: str, spec: Dict[str, Any]) -> Optional[Tuple[str, Policy]]:
    """(name, policy) for the demo, or None when ``env_id`` is not a manipulation world."""
    try:
        if env_id == "Reacher-v0":
            return "IK+PD", reacher(env_id, spec)
        if env_id == "Pusher-v0":
            return "scripted push", pusher(env_id, spec)
        if env_id.startswith("Touch"):
            return "greedy", touch(env_id, spec)
    except ValueError:
        return None
    return None
