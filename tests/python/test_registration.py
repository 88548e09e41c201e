"""Registration with Gymnasium, and the package's id list against the server's catalogue."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
import sandpit
from sandpit.catalogue import ENV_IDS


def test_env_ids_equal_the_server_catalogue(hello):
    served = [spec["id"] for spec in hello["envs"]]
    assert list(ENV_IDS) == served, (
        "sandpit/catalogue.py ENV_IDS and the server's catalogue differ: "
        f"only in package {sorted(set(ENV_IDS) - set(served))}, "
        f"only on server {sorted(set(served) - set(ENV_IDS))}"
    )


def test_hello_reply_shape(hello):
    assert hello["protocol"] == sandpit.PROTOCOL_VERSION
    assert isinstance(hello["server"], str)
    for key in ("max_message_bytes", "max_sessions", "max_envs_per_session", "max_total_envs"):
        assert isinstance(hello["limits"][key], int) and hello["limits"][key] > 0
    for spec in hello["envs"]:
        assert spec["observation"]["dtype"] == "float32"
        assert spec["action"]["kind"] in ("discrete", "continuous")
        assert spec["max_steps"] > 0 and spec["dt"] > 0 and spec["frame_skip"] >= 1


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_every_id_is_registered(env_id):
    spec = gymnasium.spec(f"sandpit/{env_id}")
    assert spec.vector_entry_point == "sandpit.vector:SandpitVectorEnv"
    assert spec.kwargs == {"env_id": env_id}
    assert spec.max_episode_steps is None  # the server truncates


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_make(endpoint, env_id):
    env = gymnasium.make(f"sandpit/{env_id}", endpoint=endpoint)
    try:
        assert isinstance(env.unwrapped, sandpit.SandpitEnv)
        assert env.spec.id == f"sandpit/{env_id}"
        obs, _ = env.reset(seed=0)
        assert obs in env.observation_space
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert obs in env.observation_space and isinstance(reward, float)
    finally:
        env.close()


def test_gymnasium_make_with_max_episode_steps_adds_time_limit(endpoint):
    env = gymnasium.make("sandpit/Pendulum-v0", endpoint=endpoint, max_episode_steps=3)
    try:
        env.reset(seed=0)
        flags = [env.step(env.action_space.sample())[3] for _ in range(3)]
        assert flags == [False, False, True]
    finally:
        env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_make_vec_uses_the_vector_entry_point(endpoint, env_id):
    envs = gymnasium.make_vec(f"sandpit/{env_id}", num_envs=8, endpoint=endpoint)
    try:
        assert isinstance(envs.unwrapped, sandpit.SandpitVectorEnv)
        assert envs.num_envs == 8
        assert envs.spec.id == f"sandpit/{env_id}"
        obs, _ = envs.reset(seed=0)
        assert obs.shape[0] == 8 and obs in envs.observation_space
        envs.step(envs.action_space.sample())
    finally:
        envs.close()


def test_gymnasium_make_vec_max_episode_steps_reaches_the_server(endpoint):
    envs = gymnasium.make_vec(
        "sandpit/Pendulum-v0", num_envs=2, endpoint=endpoint, max_episode_steps=4
    )
    try:
        envs.reset(seed=0)
        trunc = [envs.step(np.zeros((2, 1)))[3].tolist() for _ in range(4)]
        assert trunc[-1] == [True, True] and trunc[0] == [False, False]
    finally:
        envs.close()
