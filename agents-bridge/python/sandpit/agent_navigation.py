"""Classical controllers for the navigation worlds (Rover, Racer), for suites and the demo.

``rover`` follows the left-hand wall of the maze with its lidar (in a perfect maze that
visits every cell, so it reaches the goal) and heads straight for the goal once the lidar
sees a clear line to it. ``racer`` centres the car between the track's walls from the lidar
(the longest clear beam ahead gives the direction; the side beams keep it off the walls) and
lifts off the throttle when the way ahead closes in, so the tyres keep their grip.

Both follow the agent contract of :mod:`sandpit.faults` (``make_agent(env_id, spec)``) and
check the spec's channel names, as :mod:`sandpit.agents` does.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional

import numpy as np

__all__ = [
    "make_racer_controller",
    "make_rover_controller",
    "navigation_controller",
    "racer",
    "rover",
]

Policy = Callable[[np.ndarray], Any]

LIDAR = [f"lidar.{i}" for i in range(16)]
ROVER_CHANNELS = LIDAR + ["goal.distance", "goal.bearing"]
RACER_CHANNELS = LIDAR + ["track.offset", "track.heading", "car.speed"]


def _agents() -> Any:
    """sandpit.agents, for its spec helpers (imported when called: it re-exports this module)."""
    from . import agents

    return agents


def _ray_angles(n: int, fov: float) -> np.ndarray:
    return -0.5 * fov + fov * np.arange(n) / (n - 1)


# -- Rover ---------------------------------------------------------------------------------

ROVER_FOV = 2.0 * math.pi * 15.0 / 16.0
ROVER_ACTIONS = {  # Rover-v0's discrete table: (left, right) wheel commands
    0: (1.0, 1.0),
    1: (0.3, 1.0),
    2: (1.0, 0.3),
    3: (-0.6, 0.6),
    4: (0.6, -0.6),
    5: (-0.6, -0.6),
}


def make_rover_controller(spec: Dict[str, Any]) -> Policy:
    """Left-hand wall following on the lidar, with a straight run at the goal when the beams
    around its bearing are clear past it."""
    discrete = _agents()._is_discrete(spec)
    angles = _ray_angles(16, ROVER_FOV)
    wall = 0.55  # m: the corridor's middle (1.2 m cells, 0.1 m walls)

    def beam(rays: np.ndarray, angle: float) -> float:
        """The shortest of the three beams nearest `angle` (the robot is wider than a ray)."""
        d = np.abs(np.angle(np.exp(1j * (angles - angle))))
        near = np.argsort(d, kind="stable")[:3]
        return float(rays[near].min())

    def wheels(obs: np.ndarray) -> tuple:
        o = np.nan_to_num(np.asarray(obs, np.float64), nan=0.0, posinf=4.0)
        rays, dist, bearing = o[:16], float(o[16]), float(o[17])
        front = min(rays[7], rays[8])
        if beam(rays, bearing) > dist + 0.1 and front > 0.3:
            turn = float(np.clip(1.5 * bearing, -1.0, 1.0))
            return (0.8 - turn, 0.8 + turn) if abs(bearing) < 0.6 else (-turn, turn)
        left = min(rays[11], rays[12])
        if front < 0.45:
            return (0.6, -0.6)  # a wall ahead: turn right on the spot
        if left > 1.0:
            return (0.47, 1.0)  # an opening on the left: round its corner, 0.5 m radius
        # Keep the wall at the corridor's middle and parallel: the beams 34 degrees either
        # side of the left one read the same when the rover runs along it.
        slant = min(rays[10], 1.5) - min(rays[13], 1.5)
        turn = float(np.clip(1.5 * (left - wall) + 1.0 * slant, -0.7, 0.7))
        return (1.0 - turn, 1.0 + turn)

    def policy(obs: np.ndarray) -> Any:
        lw, rw = wheels(obs)
        lw, rw = float(np.clip(lw, -1.0, 1.0)), float(np.clip(rw, -1.0, 1.0))
        if not discrete:
            return np.array([lw, rw], dtype=np.float32)
        return min(
            ROVER_ACTIONS,
            key=lambda k: (ROVER_ACTIONS[k][0] - lw) ** 2 + (ROVER_ACTIONS[k][1] - rw) ** 2,
        )

    return policy


def rover(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: the wall follower for Rover-v0 and RoverContinuous-v0."""
    _agents()._require(env_id, spec, ROVER_CHANNELS, "rover")
    return make_rover_controller(spec)


# -- Racer ---------------------------------------------------------------------------------


def make_racer_controller(spec: Dict[str, Any]) -> Policy:
    """Lidar centring: steer toward the longest clear beam ahead, pushed away from the nearer
    side wall; throttle for a target speed that shrinks as the way ahead closes in."""
    discrete = _agents()._is_discrete(spec)
    angles = _ray_angles(16, math.pi)

    def controls(obs: np.ndarray) -> tuple:
        o = np.nan_to_num(np.asarray(obs, np.float64), nan=0.0, posinf=20.0)
        rays, speed = o[:16], float(o[18])
        ahead = rays[5:11]
        aim = float(np.dot(ahead, angles[5:11]) / max(float(ahead.sum()), 1e-6))
        side = float(rays[15] - rays[0])  # + when the left wall is further
        steer = float(np.clip(2.0 * aim + 0.15 * side, -1.0, 1.0))
        target = 3.0 + 0.5 * float(min(rays[7], rays[8]))
        throttle = float(np.clip(0.8 * (target - speed), -1.0, 1.0))
        return steer, throttle

    def policy(obs: np.ndarray) -> Any:
        steer, throttle = controls(obs)
        if not discrete:
            return np.array([steer, throttle], dtype=np.float32)
        if throttle < -0.3:
            return 6  # brake
        if abs(steer) > 0.3:
            return (2 if steer > 0 else 3) if throttle > 0 else (4 if steer > 0 else 5)
        return 1 if throttle > 0 else 0

    return policy


def racer(env_id: str, spec: Dict[str, Any]) -> Policy:
    """Agent factory: the lidar-centring driver for Racer-v0 and RacerContinuous-v0."""
    _agents()._require(env_id, spec, RACER_CHANNELS, "racer")
    return make_racer_controller(spec)


def navigation_controller(env_id: str, spec: Dict[str, Any]) -> Optional[tuple]:
    """(name, policy) for the demo when `env_id` is a navigation world, else None."""
    names = _agents()._channels(spec)
    if env_id.startswith("Rover") and names[:18] == ROVER_CHANNELS:
        return "wall follower", make_rover_controller(spec)
    if env_id.startswith("Racer") and names[:19] == RACER_CHANNELS:
        return "lidar centring", make_racer_controller(spec)
    return None
