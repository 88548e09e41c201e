"""Stable-Baselines3 against real servers (needs torch: `./dev.sh integration` runs it).

The adapter's same_step contract is checked transition by transition against single envs
stepped one by one with the same seeds and actions; SB3's own helpers (make_vec_env,
check_env, VecNormalize, evaluate_policy) are run as a researcher would.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import sandpit
import sandpit.sb3
from sandpit.server import LocalServer
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecFrameStack, VecNormalize

REPO = Path(__file__).resolve().parents[2]
N = 4


@pytest.fixture(scope="module")
def endpoint():
    binary = os.environ.get("SANDPIT_BIN") or str(REPO / "build" / "bin" / "sandpit")
    server = LocalServer.start(None, binary=binary, timeout=10.0)
    yield server.endpoint
    server.stop()


def test_adapter_transitions_equal_single_envs(endpoint):
    rng = np.random.default_rng(0)
    venv = sandpit.sb3.make_vec_env("sandpit/CartPole-v0", n_envs=N, seed=20, endpoint=endpoint)
    singles = [sandpit.make("CartPole-v0", endpoint, seed=20 + i) for i in range(N)]
    try:
        obs = venv.reset()
        assert np.array_equal(obs, np.stack([s.reset()[0] for s in singles]))
        ended = 0
        for _ in range(400):
            actions = rng.integers(0, 2, N)
            obs, rewards, dones, infos = venv.step(actions)
            assert rewards.dtype == np.float32 and dones.dtype == np.bool_
            for i, s in enumerate(singles):
                o, r, term, trunc, _ = s.step(int(actions[i]))
                assert rewards[i] == r and dones[i] == (term or trunc)
                if term or trunc:
                    ended += 1
                    assert np.array_equal(infos[i]["terminal_observation"], o)
                    assert infos[i]["TimeLimit.truncated"] == (trunc and not term)
                    assert infos[i]["episode"]["l"] > 0
                    o, _ = s.reset()
                else:
                    assert infos[i] == {}
                assert np.array_equal(obs[i], o)
        assert ended > 30
    finally:
        venv.close()
        for s in singles:
            s.close()


def test_truncation_is_reported_as_sb3_expects(endpoint):
    venv = sandpit.sb3.SandpitVecEnv("Pendulum-v0", 2, endpoint, seed=0, max_steps=5)
    try:
        venv.reset()
        for k in range(5):
            _, _, dones, infos = venv.step(np.zeros((2, 1), np.float32))
        assert dones.all()
        assert all(i["TimeLimit.truncated"] and i["episode"]["l"] == 5 for i in infos)
    finally:
        venv.close()


def test_sb3_make_vec_env_with_sandpit_ids(endpoint):
    """SB3 passes render_mode="rgb_array" and wraps each env in Monitor."""
    venv = make_vec_env("sandpit/CartPole-v0", n_envs=8, seed=0,
                        env_kwargs={"endpoint": endpoint})
    try:
        venv.reset()
        for _ in range(100):
            venv.step(np.array([venv.action_space.sample() for _ in range(8)]))
        frames = venv.get_images()
        assert len(frames) == 8 and frames[0].shape == (400, 600, 3)
    finally:
        venv.close()


def test_sb3_check_env(endpoint):
    env = sandpit.make("CartPole-v0", endpoint, render_mode="rgb_array")
    try:
        check_env(env)
    finally:
        env.close()


def test_vec_wrappers_seeding_rendering_and_a_short_learn(endpoint):
    venv = sandpit.sb3.SandpitVecEnv("CartPole-v0", N, endpoint, render_mode="rgb_array",
                                     render_width=64, render_height=48)
    try:
        venv.seed(7)
        first = venv.reset()
        venv.seed(7)
        assert np.array_equal(venv.reset(), first)  # SB3's seed() then reset()
        assert venv.get_attr("render_mode") == ["rgb_array"] * N
        assert venv.render().ndim == 3  # SB3 tiles the N frames
        wrapped = VecNormalize(VecFrameStack(venv, 2))
        model = PPO("MlpPolicy", wrapped, n_steps=32, batch_size=64, seed=0)
        model.learn(256)
        mean, _ = evaluate_policy(model, wrapped, n_eval_episodes=4)
        assert mean > 0
    finally:
        venv.close()

