"""Writes Touch-v0 (assets/scenes/touch.json) and its twelve hand-made evaluation levels
(assets/levels/touch_levelNN.json) from one description, so they share every channel name,
bound and actuator: an agent trained on Touch-v0 runs on every level unchanged.

    python3 assets/levels/make_levels.py          # rewrite the files
    python3 assets/levels/make_levels.py --check  # exit 1 if a file differs (tests run this)

Kinetix's task (Matthews et al. 2024) in a side view with gravity: make the green shape (role
`goal`, drawn green) touch the blue one (role `target`) without touching a red one (role
`hazard`), through wheels on motors and thrusters. Touch-v0 draws a new level at every reset
with the scene format's `level` generator; the levels here are fixed, made by hand, each a
different skill (docs/ENVS.md lists them).
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

WIDTH = 20.0  # the arena: floor from 0 to WIDTH, walls at both ends
MOTOR_GAIN = 10.0  # rad/s per unit command
MOTOR_TORQUE = 40.0  # N m
THRUST_GAIN = 30.0  # N per unit command
GREEN = {"size": [1.2, 0.4], "mass": 2.0}
Vec = Tuple[float, float]


def arena() -> List[Dict[str, Any]]:
    return [{
        "name": "arena", "type": "static", "shapes": [
            {"type": "segment", "a": [-1, 0], "b": [WIDTH + 1, 0], "radius": 0.1, "role": "terrain"},
            {"type": "segment", "a": [-1, 0], "b": [-1, 12], "radius": 0.1, "role": "terrain"},
            {"type": "segment", "a": [WIDTH + 1, 0], "b": [WIDTH + 1, 12], "radius": 0.1,
             "role": "terrain"},
        ]}]


def green(x: float, y: float = 0.9) -> Dict[str, Any]:
    return {"name": "green", "position": [x, y], "mass": GREEN["mass"], "shapes": [
        {"type": "box", "size": GREEN["size"], "radius": 0.02, "group": 1, "role": "goal",
         "friction": 0.6}]}


def blue(x: float, y: float, shape: str = "circle", size: float = 0.4,
         dynamic: bool = False) -> Dict[str, Any]:
    geo: Dict[str, Any] = ({"type": "circle", "radius": size} if shape == "circle"
                           else {"type": "box", "size": [2 * size, 2 * size]})
    body: Dict[str, Any] = {"name": "blue", "position": [x, y],
                            "shapes": [{**geo, "role": "target", "friction": 0.6}]}
    if dynamic:
        body["mass"] = 1.0
    else:
        body["type"] = "static"
    return body


def sensors() -> List[Dict[str, Any]]:
    """The observation every Touch env shares (docs/ENVS.md, Touch-v0)."""
    return [
        {"name": "green", "type": "body", "body": "green", "wrap": True,
         "values": ["x", "y", "angle", "vx", "vy", "angular_velocity"],
         "bounds": {"x": [-2, WIDTH + 2], "y": [-2, 14], "vx": [-30, 30], "vy": [-30, 30],
                    "angular_velocity": [-50, 50]}},
        {"name": "blue", "type": "body", "body": "blue", "values": ["x", "y"],
         "bounds": {"x": [-2, WIDTH + 2], "y": [-2, 14]}},
        {"name": "to_blue", "type": "distance", "body": "green", "to": "blue",
         "values": ["distance", "bearing"],
         "bounds": {"distance": [0, 30]}},
        {"name": "eye", "type": "lidar", "body": "green", "rays": 16, "fov": 2 * math.pi * 15 / 16,
         "range": 10.0},
        {"name": "red", "type": "lidar", "body": "green", "rays": 8, "fov": 2 * math.pi * 7 / 8,
         "range": 10.0, "mask": 2},
        {"name": "imu", "type": "imu", "body": "green", "values": ["ax", "ay", "gyro"],
         "bounds": {"ax": [-200, 200], "ay": [-200, 200], "gyro": [-50, 50]}},
        {"name": "ground", "type": "touch", "body": "green", "with_role": "terrain"},
        {"name": "win", "type": "touch", "body": "green", "with_role": "target", "latch": True,
         "hidden": True},
        {"name": "lose", "type": "touch", "body": "green", "with_role": "hazard", "latch": True,
         "hidden": True},
    ]


def outcomes() -> Dict[str, Any]:
    return {
        # Kinetix's dense shaping: the green-blue distance, potential-based, small beside the
        # +-1 of the end.
        "reward": [{"type": "potential", "weight": 1.0,
                    "components": [{"channels": ["to_blue.distance"], "weight": -0.02}]}],
        # Red first: touching both in one step is a loss.
        "terminate": [
            {"reason": "touched_red", "channel": "lose.touch", "above": 0.5, "reward": -1.0},
            {"reason": "touched_blue", "channel": "win.touch", "above": 0.5, "reward": 1.0},
        ],
    }


def world() -> Dict[str, Any]:
    return {"gravity": [0, -9.81], "dt": 1 / 60, "iterations": 10, "frame_skip": 2,
            "max_steps": 300, "collision_slop": 0.01, "bounds": [-3, -3, WIDTH + 3, 20]}


def slot_actuators() -> List[Dict[str, Any]]:
    return [
        {"name": "motor0", "type": "slot_motor", "slot": 0, "gain": MOTOR_GAIN, "unit": "10 rad/s",
         "doc": "wheel 0's speed relative to green (counter-clockwise positive)"},
        {"name": "motor1", "type": "slot_motor", "slot": 1, "gain": MOTOR_GAIN, "unit": "10 rad/s",
         "doc": "wheel 1's speed relative to green"},
        {"name": "thrust0", "type": "slot_thruster", "slot": 0, "low": 0, "high": 1,
         "gain": THRUST_GAIN, "unit": "30 N", "doc": "thruster 0's push"},
        {"name": "thrust1", "type": "slot_thruster", "slot": 1, "low": 0, "high": 1,
         "gain": THRUST_GAIN, "unit": "30 N", "doc": "thruster 1's push"},
    ]


def touch_v0() -> Dict[str, Any]:
    return {
        "format": 1, "id": "Touch-v0", "version": 0,
        "summary": "Kinetix's task: make the green shape touch the blue one without touching red; "
                   "a new level every reset",
        "world": world(),
        "bodies": arena() + [green(2.0), blue(15.0, 0.4)],
        "actuators": slot_actuators(),
        "sensors": sensors(),
        **outcomes(),
        "generators": [{
            "type": "level", "name": "level", "area": [1, 0.3, WIDTH - 1, 5], "agent": "green",
            "goal": "blue", "gap": 4, "goal_y": [0.4, 2.5], "hazards": [0, 3],
            "obstacles": [0, 2], "size": [0.2, 0.5], "motors": 2, "wheel": [0.2, 0.3],
            "mount": [[-0.35, -0.25], [0.35, -0.15]], "max_torque": MOTOR_TORQUE, "thrusters": 2,
        }],
    }


# ---- the hand-made levels ----

def level(n: int, summary: str, *, start: float, wheels: Sequence[Tuple[float, float, float]],
          thrusters: Sequence[Tuple[Vec, Vec]], goal: Dict[str, Any],
          hazards: Sequence[Dict[str, Any]] = (), statics: Sequence[Dict[str, Any]] = (),
          loose: Sequence[Dict[str, Any]] = ()) -> Dict[str, Any]:
    """wheels: (x, y, radius) in green's frame; thrusters: (point, direction) in its frame;
    hazards and statics: shapes on the arena's static body; loose: dynamic bodies."""
    bodies = arena()
    shapes = bodies[0]["shapes"]
    for h in hazards:
        shapes.append({**h, "role": "hazard", "categories": 2})
    for s in statics:
        shapes.append({**s, "role": "terrain"})
    g = green(start)
    bodies += [g, goal]
    joints = []
    actuators = []
    for k, (wx, wy, r) in enumerate(wheels):
        bodies.append({"name": f"wheel{k}", "position": [start + wx, g["position"][1] + wy],
                       "shapes": [{"type": "circle", "radius": r, "group": 1, "friction": 1.5}]})
        joints.append({"name": f"axle{k}", "type": "pivot", "a": "green", "b": f"wheel{k}",
                       "anchor_a": [wx, wy], "motor": {"max_torque": MOTOR_TORQUE}})
        actuators.append({**slot_actuators()[k], "type": "motor_speed", "joint": f"axle{k}"})
        del actuators[-1]["slot"]
    for k, (point, direction) in enumerate(thrusters):
        a = {**slot_actuators()[2 + k], "type": "thruster", "body": "green",
             "point": list(point), "direction": list(direction)}
        del a["slot"]
        actuators.append(a)
    for i, b in enumerate(loose):
        bodies.append({"name": f"loose{i}", **b})
    # The level is fixed; the seed only nudges green's start (with its wheels), as MuJoCo's
    # initial-state noise does, so that different seeds give different episodes.
    carried = ["green"] + [f"wheel{k}" for k in range(len(wheels))]
    nudge = [{"type": "translate", "bodies": carried, "axis": "x", "range": [-0.1, 0.1]}]
    return {
        "format": 1, "id": f"Touch-level{n:02d}-v0", "version": 0,
        "summary": f"Touch level {n:02d}: {summary}",
        "world": world(), "bodies": bodies, "joints": joints, "actuators": actuators,
        "sensors": sensors(), **outcomes(), "randomize": nudge,
    }


CAR = [(-0.35, -0.2, 0.25), (0.35, -0.2, 0.25)]
UP_FWD = [((0.0, 0.0), (0.0, 1.0)), ((-0.6, 0.0), (1.0, 0.0))]


def box(x: float, y: float, w: float, h: float, angle: float = 0.0) -> Dict[str, Any]:
    s: Dict[str, Any] = {"type": "box", "size": [w, h], "offset": [x, y]}
    if angle:
        s["angle"] = angle
    return s


def circle(x: float, y: float, r: float) -> Dict[str, Any]:
    return {"type": "circle", "radius": r, "offset": [x, y]}


def levels() -> List[Dict[str, Any]]:
    return [
        level(1, "drive right to a ball on the floor", start=3, wheels=CAR, thrusters=UP_FWD,
              goal=blue(12, 0.4)),
        level(2, "the ball is behind you", start=14, wheels=CAR, thrusters=UP_FWD,
              goal=blue(4, 0.4)),
        level(3, "a red block on the floor between: hop it", start=3, wheels=CAR,
              thrusters=UP_FWD, goal=blue(14, 0.4), hazards=[box(8.5, 0.35, 0.8, 0.7)]),
        level(4, "the blue box sits on a ledge up a ramp", start=2, wheels=CAR,
              thrusters=UP_FWD, goal=blue(15, 1.9, "box", 0.4),
              statics=[box(9, 0.4, 4.5, 0.3, 0.3), box(14.5, 0.75, 5.0, 1.5)]),
        level(5, "the ball floats: fly up to it", start=5, wheels=CAR, thrusters=UP_FWD,
              goal=blue(10, 4.0)),
        level(6, "a low red ceiling over the road", start=2, wheels=CAR, thrusters=UP_FWD,
              goal=blue(16, 0.4), hazards=[box(9, 2.2, 6.0, 0.3)]),
        level(7, "push a crate out of the way", start=3, wheels=CAR, thrusters=UP_FWD,
              goal=blue(13, 0.4), loose=[{"position": [8, 0.5], "mass": 1.0, "shapes": [
                  {"type": "box", "size": [1.0, 1.0], "role": "obstacle"}]}]),
        level(8, "a wall to climb over", start=3, wheels=CAR, thrusters=UP_FWD,
              goal=blue(14, 0.4), statics=[box(9, 1.0, 0.4, 2.0)]),
        level(9, "red floor under the ball: touch it from the side", start=3, wheels=CAR,
              thrusters=UP_FWD, goal=blue(14, 1.2, "box", 0.5),
              hazards=[box(14, 0.15, 1.6, 0.3)], statics=[box(14, 0.45, 0.6, 0.3)]),
        level(10, "between two floating red balls", start=2, wheels=CAR, thrusters=UP_FWD,
              goal=blue(11, 0.4), hazards=[circle(7, 1.8, 0.6), circle(15, 1.8, 0.6)]),
        level(11, "chase a rolling ball", start=3, wheels=CAR, thrusters=UP_FWD,
              goal=blue(9, 0.6, "circle", 0.35, dynamic=True),
              statics=[box(12, 0.2, 6, 0.4, -0.08)]),
        level(12, "one big wheel and a backward thruster; stairs up", start=2,
              wheels=[(0.0, -0.25, 0.45), (0.55, -0.2, 0.2)],
              thrusters=[((0.0, 0.2), (0.0, 1.0)), ((0.6, 0.0), (-1.0, 0.0))],
              goal=blue(17, 1.9), statics=[box(10, 0.25, 2, 0.5), box(12, 0.5, 2, 1.0),
                                           box(14, 0.75, 2, 1.5)]),
    ]


def files() -> Dict[str, str]:
    out = {os.path.join(ROOT, "assets", "scenes", "touch.json"): touch_v0()}
    for n, lv in enumerate(levels(), start=1):
        out[os.path.join(HERE, f"touch_level{n:02d}.json")] = lv
    return {p: json.dumps(d, indent=2) + "\n" for p, d in out.items()}


def main(argv: Optional[List[str]] = None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    for path, text in files().items():
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            stale.append(path)
            if not check:
                with open(path, "w") as f:
                    f.write(text)
    if check and stale:
        print("out of date (run assets/levels/make_levels.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
