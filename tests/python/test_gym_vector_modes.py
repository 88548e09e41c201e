"""Every way Gymnasium vectorizes an env, run as a researcher writes it, 1000 steps each with
many autoresets (CartPole under random actions ends every ~20 steps).

The regression this guards: the first unseeded autoreset draws a 64-bit episode seed, and a
Python int >= 2^63 in ``info["seed"]`` broke the int64 arrays vector envs batch infos into.
Seeds now travel as ``np.uint64`` (SandpitEnv's docstring).
"""

from __future__ import annotations

import functools
import multiprocessing

import gymnasium as gym
import numpy as np
import pytest
import sandpit

STEPS = 1000
N = 4


def _make(endpoint: str) -> gym.Env:
    return gym.make("sandpit/CartPole-v0", endpoint=endpoint)


def _drive(envs: gym.vector.VectorEnv) -> dict:
    """Steps `envs` with seeded random actions; checks every batch and counts what ended."""
    envs.action_space.seed(0)
    obs, info = envs.reset(seed=123)
    assert obs.shape == (N, 4) and obs.dtype == np.float32
    assert info["seed"].dtype == np.uint64 and info["seed"].tolist() == [123, 124, 125, 126]
    ended = 0
    big_seeds = 0
    for _ in range(STEPS):
        obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
        assert obs.shape == (N, 4) and obs in envs.observation_space
        assert reward.shape == (N,) and terminated.dtype == np.bool_
        ended += int(np.count_nonzero(terminated | truncated))
        if "seed" in info:  # sub-envs that were autoreset at this step
            seeds = info["seed"][info["_seed"]]
            assert info["seed"].dtype == np.uint64
            big_seeds += int(np.count_nonzero(seeds >= np.uint64(2**63)))
    return {"ended": ended, "big_seeds": big_seeds}


def _check(stats: dict, autoreset_seeds: bool = True) -> None:
    assert stats["ended"] >= 100, stats  # ~20 steps per episode: many autoresets
    if autoreset_seeds:
        assert stats["big_seeds"] > 0, stats  # the seeds that used to overflow did occur


def test_sync_vector_env(endpoint):
    envs = gym.vector.SyncVectorEnv([functools.partial(_make, endpoint)] * N)
    try:
        _check(_drive(envs))
    finally:
        envs.close()


@pytest.mark.parametrize("context", ["fork", "spawn", "forkserver"])
def test_async_vector_env(endpoint, context):
    assert context in multiprocessing.get_all_start_methods()
    envs = gym.vector.AsyncVectorEnv([functools.partial(_make, endpoint)] * N, context=context)
    try:
        _check(_drive(envs))
    finally:
        envs.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec_per_env_modes(endpoint, mode):
    envs = gym.make_vec(
        "sandpit/CartPole-v0", num_envs=N, vectorization_mode=mode, endpoint=endpoint
    )
    try:
        _check(_drive(envs))
    finally:
        envs.close()


def test_make_vec_vector_entry_point(endpoint):
    envs = gym.make_vec(
        "sandpit/CartPole-v0", num_envs=N, vectorization_mode="vector_entry_point",
        endpoint=endpoint,
    )
    try:
        assert isinstance(envs.unwrapped, sandpit.SandpitVectorEnv)
        # One batched session: autoresets happen inside the server, without info["seed"].
        _check(_drive(envs), autoreset_seeds=False)
    finally:
        envs.close()


def test_vector_record_episode_statistics_on_make_vec(endpoint):
    """The wrapper owns info["episode"]; the env's own statistics are "episode_end"."""
    envs = gym.wrappers.vector.RecordEpisodeStatistics(
        sandpit.make_vec("CartPole-v0", N, endpoint, seed=3)
    )
    try:
        envs.action_space.seed(0)
        envs.reset(seed=3)
        seen = 0
        for _ in range(200):
            _, _, _, _, info = envs.step(envs.action_space.sample())
            if "episode" in info:
                done = info["_episode"]
                assert np.array_equal(done, info["_episode_end"])
                # the server's return and length equal the wrapper's own count
                assert np.allclose(info["episode"]["r"][done], info["episode_end"]["r"][done])
                assert np.array_equal(info["episode"]["l"][done], info["episode_end"]["l"][done])
                seen += int(done.sum())
        assert seen > 10
    finally:
        envs.close()
