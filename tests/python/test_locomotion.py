"""The locomotion worlds (Walker-v0, WalkerHardcore-v0, Hopper-v0, catalogue scenes in
assets/scenes/) against real servers: Gymnasium's checker, determinism across server
processes, replays that verify, and the scripted baselines beating random play."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sandpit
from gymnasium.utils.env_checker import check_env
from sandpit import agents
from sandpit.errors import ServerError

WORLDS = ["Walker-v0", "WalkerHardcore-v0", "Hopper-v0"]
SCENES = Path(__file__).resolve().parents[2] / "assets" / "scenes"


def episode(env, seed: int, policy=None, hashes: bool = False):
    """Return, steps, end reason and (with hashes) the hash of every step of one episode."""
    obs, info = env.reset(seed=seed)
    env.action_space.seed(seed)
    if hasattr(policy, "reset"):
        policy.reset(seed)
    total, steps, seen = 0.0, 0, [info.get("hash")]
    while True:
        action = env.action_space.sample() if policy is None else policy(obs)
        obs, r, term, trunc, info = env.step(action)
        total += float(r)
        steps += 1
        if hashes:
            seen.append(info.get("hash"))
        if term or trunc:
            return total, steps, info["reason"], seen


@pytest.mark.parametrize("env_id", WORLDS)
def test_gymnasium_check_env(make, env_id):
    check_env(make(env_id).unwrapped, skip_render_check=True)


def test_worlds_are_deterministic_across_processes(server_factory):
    runs = []
    for _ in range(2):
        srv = server_factory()
        got = []
        for env_id in WORLDS:
            env = sandpit.make(env_id, srv.endpoint, hashes=True, max_steps=150)
            got.append([episode(env, seed, hashes=True) for seed in (0, 1)])
            env.close()
        runs.append(got)
    assert runs[0] == runs[1]


def test_replays_verify(endpoint, tmp_path):
    for env_id in WORLDS:
        env = sandpit.make(env_id, endpoint, max_steps=60, record=tmp_path / env_id)
        episode(env, 3)
        env.close()
    files = sorted(tmp_path.glob("*/*.sprp"))
    assert len(files) == len(WORLDS)
    out = subprocess.run(
        [os.environ["SANDPIT_BIN"], "replay", "verify", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and out.stdout.count("OK ") == len(WORLDS), out.stdout + out.stderr


@pytest.mark.parametrize(
    "env_id, factory, margin",
    [
        ("Walker-v0", agents.walker, 50.0),
        ("Hopper-v0", agents.hopper, 30.0),
    ],
)
def test_baseline_beats_random(make, env_id, factory, margin):
    env = make(env_id)
    policy = factory(env_id, env.sandpit_spec)
    seeds = (0, 1, 2)
    base = np.mean([episode(env, s, policy)[0] for s in seeds])
    rand = np.mean([episode(env, s)[0] for s in seeds])
    assert base > rand + margin, (base, rand)


def test_agents_refuse_other_envs(make):
    spec = make("CartPole-v0").sandpit_spec
    for factory in (agents.walker, agents.hopper):
        with pytest.raises(ValueError, match="does not control"):
            factory("CartPole-v0", spec)


def _walker_with(path, value):
    """The walker scene with the item at `path` (keys and indices) set to `value`."""
    doc = copy.deepcopy(json.loads((SCENES / "walker.json").read_text()))
    doc["id"] = "BadWalker-v0"
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return doc


# The parts the locomotion worlds added to the scene format, each refused with its path.
BAD = [
    (("actuators", 0, "speed"), -4, "actuators[0].speed: must be"),
    (("actuators", 0, "type"), "motor_torque", "actuators[0].speed: applies to motor_effort"),
    (("sensors", 7, "frame"), "sky", "sensors[7].frame: must be one of"),
    (("sensors", 7, "angle"), 100, "sensors[7].angle: must be"),
    (("generators", 0, "obstacles"), ["stumps", "lava"], "generators[0].obstacles[1]: must be"),
    (("generators", 0, "grass"), 1, "generators[0].grass: must be"),
    (("generators", 0, "style"), "rough", "startpad, grass and obstacles apply to the course"),
    (("bodies", 0, "armature"), -1, "bodies[0].armature: must be"),
]


@pytest.mark.parametrize("path,value,want", BAD, ids=[w.split(":")[0] for _, _, w in BAD])
def test_bad_locomotion_parts_are_refused_with_their_path(endpoint, path, value, want):
    with pytest.raises(ServerError) as e:
        sandpit.make(scene=_walker_with(path, value), endpoint=endpoint)
    assert e.value.code == "bad_scene" and want in e.value.message, e.value.message


def test_armature_only_on_dynamic_bodies(endpoint):
    doc = json.loads((SCENES / "hopper.json").read_text())
    doc["id"] = "BadHopper-v0"
    doc["bodies"][0]["armature"] = 1.0  # the floor is static
    with pytest.raises(ServerError) as e:
        sandpit.make(scene=doc, endpoint=endpoint)
    assert "bodies[0].armature: applies to dynamic bodies" in e.value.message
