"""Scripted gaits for the locomotion worlds: Walker-v0 (and WalkerHardcore-v0), Hopper-v0.

``walker`` is the heuristic gait of Gymnasium's ``bipedal_walker.py`` demo, rewritten for
sandpit's channels: a three-phase state machine (stand on one leg and swing the other
forward, put it down, push off with the back leg) whose targets feed PD loops on the hip
and knee angles, with the hull's tilt fed back to the hips and its vertical speed to the
knees. Gymnasium's demo works on normalised readings; the gains here are the demo's,
converted to SI channels (rad, rad/s, m/s) through the demo's own scale factors.

``hopper`` is a balance controller for Hopper-v0 (see :class:`HopperController`).
"""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

__all__ = [
    "HOPPER_CHANNELS",
    "WALKER_CHANNELS",
    "HopperController",
    "WalkerGait",
    "hopper",
    "walker",
]

WALKER_CHANNELS = [
    "hull.angle",
    "hull.angular_velocity",
    "hull.vx",
    "hull.vy",
    "hip1.angle",
    "hip1.speed",
    "knee1.angle",
    "knee1.speed",
    "foot1.touch",
    "hip2.angle",
    "hip2.speed",
    "knee2.angle",
    "knee2.speed",
    "foot2.touch",
]

HOPPER_CHANNELS = [
    "torso.y",
    "torso.angle",
    "torso.vx",
    "torso.vy",
    "torso.angular_velocity",
    "hip.angle",
    "hip.speed",
    "knee.angle",
    "knee.speed",
    "ankle.angle",
    "ankle.speed",
    "foot.touch",
]

# Gymnasium's BipedalWalker observation scales (FPS 50, viewport 600 x 400 px at 30 px/m),
# which the demo's gains were tuned against: reading = scale x SI value.
_ANGVEL = 2.0 / 50.0
_VX = 0.3 * (600 / 30) / 50
_VY = 0.3 * (400 / 30) / 50
_HIP_SPEED = 1.0 / 4.0
_KNEE_SPEED = 1.0 / 6.0


def _require(env_id: str, spec: Dict[str, Any], names: List[str], who: str) -> None:
    got = list(spec.get("observation", {}).get("names", []))
    if got[: len(names)] != names:
        raise ValueError(
            f"sandpit.agents:{who} does not control {env_id}: it needs observation channels "
            f"{names}, the env has {got}"
        )


class WalkerGait:
    """Gymnasium's BipedalWalker heuristic as a stateful agent (``reset`` between episodes)."""

    STAY_ON_ONE_LEG, PUT_OTHER_DOWN, PUSH_OFF = 1, 2, 3
    SPEED = 0.15  # hull.vx in the demo's units (Gymnasium: 0.29); slower falls less here
    SUPPORT_KNEE_ANGLE = 0.1
    HULL_P, HULL_D = 0.9, 1.5  # hull tilt feedback to the hips
    SWING_HIP = 1.1  # how far forward the swinging leg goes

    def __init__(self) -> None:
        self.reset()

    def reset(self, seed: Any = None) -> None:
        self.state = self.STAY_ON_ONE_LEG
        self.moving = 0
        self.knee_support = self.SUPPORT_KNEE_ANGLE

    def _demo_obs(self, obs: np.ndarray) -> np.ndarray:
        """The demo's 14 readings from sandpit's SI channels (knee angle offset by +1)."""
        o = np.nan_to_num(np.asarray(obs[:14], np.float64))
        s = o.copy()
        s[1], s[2], s[3] = o[1] * _ANGVEL, o[2] * _VX, o[3] * _VY
        for base in (4, 9):
            s[base + 1] = o[base + 1] * _HIP_SPEED
            s[base + 2] = o[base + 2] + 1.0
            s[base + 3] = o[base + 3] * _KNEE_SPEED
        return s

    def act(self, obs: np.ndarray) -> np.ndarray:
        s = self._demo_obs(obs)
        moving, support = self.moving, 1 - self.moving
        mbase, sbase = 4 + 5 * moving, 4 + 5 * support
        hip_targ: List[Any] = [None, None]
        knee_targ: List[Any] = [None, None]
        if self.state == self.STAY_ON_ONE_LEG:
            hip_targ[moving], knee_targ[moving] = self.SWING_HIP, -0.6
            self.knee_support += 0.03
            if s[2] > self.SPEED:
                self.knee_support += 0.03
            self.knee_support = min(self.knee_support, self.SUPPORT_KNEE_ANGLE)
            knee_targ[support] = self.knee_support
            if s[sbase] < 0.10:  # the supporting leg is behind
                self.state = self.PUT_OTHER_DOWN
        if self.state == self.PUT_OTHER_DOWN:
            hip_targ[moving], knee_targ[moving] = 0.1, self.SUPPORT_KNEE_ANGLE
            knee_targ[support] = self.knee_support
            if s[mbase + 4] > 0.5:
                self.state = self.PUSH_OFF
                self.knee_support = min(s[mbase + 2], self.SUPPORT_KNEE_ANGLE)
        if self.state == self.PUSH_OFF:
            knee_targ[moving], knee_targ[support] = self.knee_support, 1.0
            if s[sbase + 2] > 0.88 or s[2] > 1.2 * self.SPEED:
                self.state = self.STAY_ON_ONE_LEG
                self.moving = 1 - moving
        hip_todo, knee_todo = [0.0, 0.0], [0.0, 0.0]
        for leg in (0, 1):
            base = 4 + 5 * leg
            # The demo tests its targets for truth, so a target of 0 means "no target".
            if hip_targ[leg]:
                hip_todo[leg] = 0.9 * (hip_targ[leg] - s[base]) - 0.25 * s[base + 1]
            if knee_targ[leg]:
                knee_todo[leg] = 4.0 * (knee_targ[leg] - s[base + 2]) - 0.25 * s[base + 3]
            hip_todo[leg] -= self.HULL_P * (0 - s[0]) - self.HULL_D * s[1]  # keep the hull level
            knee_todo[leg] -= 15.0 * s[3]  # damp the vertical bounce
        a = np.array([hip_todo[0], knee_todo[0], hip_todo[1], knee_todo[1]])
        return np.clip(0.5 * a, -1.0, 1.0).astype(np.float32)

    __call__ = act


def walker(env_id: str, spec: Dict[str, Any]) -> WalkerGait:
    """Agent factory: the scripted gait for Walker-v0 and WalkerHardcore-v0."""
    _require(env_id, spec, WALKER_CHANNELS, "walker")
    return WalkerGait()


class HopperController:
    """Keeps Hopper-v0 standing: stiff PD loops hold the hip and knee straight, so the body
    is one rigid stick on its foot, and the ankle leans it back over the foot in proportion
    to the torso's tilt and spin (an ankle strategy, as a standing person uses). Torques are
    in N m, scaled to the actuators' 200 N m. It stands for the whole episode (the alive
    bonus, about +1000) where random torques fall within about 10 steps; it does not hop:
    forward speed is the learner's job.
    """

    GAIN = 200.0  # N m per unit of command

    def __init__(
        self,
        joint_kp: float = 600.0,
        joint_kd: float = 60.0,
        ankle_kp: float = 300.0,
        ankle_kd: float = 60.0,
    ):
        self.joint_kp, self.joint_kd = joint_kp, joint_kd
        self.ankle_kp, self.ankle_kd = ankle_kp, ankle_kd

    def reset(self, seed: Any = None) -> None:
        pass

    def act(self, obs: np.ndarray) -> np.ndarray:
        o = np.nan_to_num(np.asarray(obs[:12], np.float64))
        angle, spin = o[1], o[4]
        hip, hip_w, knee, knee_w = o[5:9]
        t_hip = -self.joint_kp * hip - self.joint_kd * hip_w
        t_knee = -self.joint_kp * knee - self.joint_kd * knee_w
        # The torque turns the foot; its reaction turns the leg (and the body) the other way.
        t_ankle = self.ankle_kp * angle + self.ankle_kd * spin
        return np.clip(np.array([t_hip, t_knee, t_ankle]) / self.GAIN, -1.0, 1.0).astype(np.float32)

    __call__ = act


def hopper(env_id: str, spec: Dict[str, Any]) -> HopperController:
    """Agent factory: the posture controller for Hopper-v0."""
    _require(env_id, spec, HOPPER_CHANNELS, "hopper")
    return HopperController()
