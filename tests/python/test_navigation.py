"""The navigation worlds over the wire (docs/ENVS.md "Rover-v0", "Racer-v0"): determinism
across server processes, replays that verify, a new level at every reset, and the classical
baselines of sandpit.agents clearly beating random play. Gymnasium's checker and the API
contract run on them with every catalogue env in test_env.py; their smoke fault suites in
test_fault_suites.py."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
import sandpit
from helpers import assert_same_rollout, rollout
from sandpit.agents import RandomAgent, racer, rover

IDS = ["Rover-v0", "RoverContinuous-v0", "Racer-v0", "RacerContinuous-v0"]


def test_same_seeds_same_episodes_in_separate_server_processes(server_factory):
    runs = []
    for _ in range(2):
        srv = server_factory()
        per_env = []
        for env_id in IDS:
            env = sandpit.make(env_id, endpoint=srv.endpoint, hashes=True)
            per_env.append(rollout(env, seed=11, steps=150, action_seed=5))
            env.close()
        runs.append(per_env)
    for a, b in zip(runs[0], runs[1], strict=True):
        assert_same_rollout(a, b)


@pytest.mark.parametrize("env_id", ["Rover-v0", "Racer-v0"])
def test_every_reset_draws_a_new_level(make, env_id):
    env = make(env_id, hashes=True)
    first = [env.reset(seed=s)[1]["hash"] for s in range(4)]
    again = [env.reset(seed=s)[1]["hash"] for s in range(4)]
    assert first == again and len(set(first)) == 4


@pytest.mark.parametrize("env_id", ["Rover-v0", "RacerContinuous-v0"])
def test_replays_verify(endpoint, tmp_path, env_id):
    env = sandpit.make(env_id, endpoint=endpoint, seed=3, max_steps=60, record=tmp_path)
    for _ in range(2):
        rollout(env, seed=None, steps=60)
    env.close()
    files = sorted(tmp_path.glob("*.sprp"))
    assert len(files) >= 2
    out = subprocess.run(
        [os.environ["SANDPIT_BIN"], "replay", "verify", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and out.stdout.count("OK ") == len(files), out.stdout + out.stderr


def play(env, agent, seed: int):
    """Return and end reason of one episode from reset(seed)."""
    act = agent.act if hasattr(agent, "act") else agent
    if hasattr(agent, "reset"):
        agent.reset(seed)
    obs, _ = env.reset(seed=seed)
    total = 0.0
    while True:
        obs, reward, terminated, truncated, info = env.step(act(obs))
        total += float(reward)
        if terminated or truncated:
            return total, info["reason"]


# Each baseline must end every episode at its goal ("reached", "lap") and beat random play's
# mean return by the margin (about half the gap measured over seeds 0-7).
BASELINES = {
    "Rover-v0": (rover, "reached", 10.0),
    "RoverContinuous-v0": (rover, "reached", 10.0),
    "Racer-v0": (racer, "lap", 15.0),
    "RacerContinuous-v0": (racer, "lap", 10.0),
}


@pytest.mark.parametrize("env_id", IDS)
def test_the_baseline_clearly_beats_random(make, env_id):
    factory, goal, margin = BASELINES[env_id]
    env = make(env_id)
    spec = env.sandpit_spec
    seeds = range(3)
    base = [play(env, factory(env_id, spec), s) for s in seeds]
    rand = [play(env, RandomAgent(spec), s) for s in seeds]
    assert all(reason == goal for _, reason in base), base
    assert np.mean([r for r, _ in base]) > np.mean([r for r, _ in rand]) + margin, (base, rand)


def test_the_baselines_refuse_other_envs(make):
    spec = make("CartPole-v0").sandpit_spec
    for factory in (rover, racer):
        with pytest.raises(ValueError, match="does not control CartPole-v0"):
            factory("CartPole-v0", spec)
