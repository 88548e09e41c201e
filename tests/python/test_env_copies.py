"""Pickling and copying make independent envs (new sessions); gym.make's max_episode_steps
reaches the server."""

from __future__ import annotations

import copy
import pickle

import gymnasium as gym
import numpy as np
import pytest
import sandpit


def _trajectory(env, seed: int, steps: int = 30) -> list:
    obs, _ = env.reset(seed=seed)
    out = [obs.tobytes()]
    for k in range(steps):
        obs, reward, term, trunc, _ = env.step(env.action_space.sample() * 0 + (k % 2))
        out.append((np.asarray(obs).tobytes(), np.asarray(reward).tobytes()))
        if np.all(term) or np.all(trunc):
            break
    return out


@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_single_env_copies_are_independent(endpoint, how):
    env = sandpit.make("CartPole-v0", endpoint, seed=3, hashes=True, max_steps=50,
                       render_mode="rgb_array")
    twin = {"pickle": lambda e: pickle.loads(pickle.dumps(e)), "copy": copy.copy,
            "deepcopy": copy.deepcopy}[how](env)
    try:
        assert twin is not env and twin.session_id != env.session_id
        assert twin.client is not env.client
        assert twin.spec == env.spec and twin.render_mode == "rgb_array"
        assert twin.sandpit_spec == env.sandpit_spec
        assert _trajectory(twin, 9) == _trajectory(env, 9)  # same id and config
        twin.close()
        env.reset(seed=1)  # closing the copy leaves the original's connection alone
        env.step(0)
    finally:
        twin.close()
        env.close()


def test_wrapped_and_vector_envs_copy(endpoint):
    env = gym.make("sandpit/CartPole-v0", endpoint=endpoint)
    deep = copy.deepcopy(env)
    try:
        assert deep.unwrapped.session_id != env.unwrapped.session_id
        assert _trajectory(deep, 1) == _trajectory(env, 1)
    finally:
        deep.close()
        env.close()
    envs = sandpit.make_vec("CartPole-v0", 3, endpoint, seed=2)
    twin = pickle.loads(pickle.dumps(envs))
    try:
        assert twin.num_envs == 3 and twin.session_id != envs.session_id
        assert _trajectory(twin, 4) == _trajectory(envs, 4)
    finally:
        twin.close()
        envs.close()


def test_gym_make_max_episode_steps_sets_the_server_limit(endpoint):
    """Pendulum never terminates: its episodes end exactly at the limit, on the server."""
    for limit in (7, 250):  # below and above the env's own 200
        env = gym.make("sandpit/Pendulum-v0", endpoint=endpoint, max_episode_steps=limit)
        try:
            env.reset(seed=0)
            assert env.unwrapped._session.max_steps == limit
            for step in range(1, limit + 1):
                _, _, term, trunc, info = env.step(env.action_space.sample())
                assert not term and trunc == (step == limit)
            assert info["reason"] == "max_steps"  # the server's truncation, not TimeLimit's
        finally:
            env.close()


def test_explicit_max_steps_wins(endpoint):
    env = gym.make("sandpit/Pendulum-v0", endpoint=endpoint, max_steps=5)
    try:
        env.reset(seed=0)
        assert env.unwrapped._session.max_steps == 5
    finally:
        env.close()


def test_make_vec_max_episode_steps(endpoint):
    for mode in ("vector_entry_point", "sync"):
        envs = gym.make_vec("sandpit/Pendulum-v0", num_envs=2, vectorization_mode=mode,
                            endpoint=endpoint, max_episode_steps=9)
        try:
            envs.reset(seed=0)
            for step in range(1, 10):
                _, _, _, trunc, _ = envs.step(envs.action_space.sample())
                assert trunc.all() == (step == 9)
        finally:
            envs.close()
