"""The locomotion worlds (Walker-v0, WalkerHardcore-v0, Hopper-v0, catalogue scenes in
assets/scenes/) against real servers: Gymnasium's checker, determinism across server
processes, replays that verify, and the scripted baselines beating random play."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
import sandpit
from gymnasium.utils.env_checker import check_env
from sandpit import agents

WORLDS = ["Walker-v0", "WalkerHardcore-v0", "Hopper-v0"]


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
