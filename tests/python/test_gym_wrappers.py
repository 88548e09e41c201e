"""Every wrapper of ``gymnasium.wrappers`` and ``gymnasium.wrappers.vector`` on sandpit envs.

Each name the installed Gymnasium exports is either applied here (to an env whose spaces it
fits: CartPole-v0 for a discrete action and unbounded observations, Pendulum-v0 for a bounded
observation and a continuous action, pixels through AddRenderObservation for image wrappers)
and run for a few episodes, or listed in NOT_APPLICABLE with the reason. A Gymnasium upgrade
that adds a wrapper fails ``test_every_wrapper_is_covered`` until it is placed in one or the
other.
"""

from __future__ import annotations

from typing import Callable, Dict

import gymnasium as gym
import numpy as np
import pytest
import sandpit
from gymnasium import spaces
from gymnasium.wrappers import vector as vw

W = gym.wrappers

NOT_APPLICABLE = {
    "vector": "a module, not a wrapper",
    "AtariPreprocessing": "Atari (ALE) envs only",
    "FilterObservation": "needs Dict or Tuple observations; sandpit observations are Box",
    "HumanRendering": "needs pygame and a display; its input, rgb_array, is tested here",
    "ArrayConversion": "needs an array library other than numpy (jax, torch)",
    "JaxToNumpy": "needs jax",
    "JaxToTorch": "needs jax and torch",
    "NumpyToTorch": "needs torch (the integration tier runs torch-based libraries)",
}
VECTOR_NOT_APPLICABLE = {
    "FilterObservation": NOT_APPLICABLE["FilterObservation"],
    "GrayscaleObservation": "needs image observations; make_vec observations are vectors",
    "ResizeObservation": "needs image observations; make_vec observations are vectors",
    "HumanRendering": NOT_APPLICABLE["HumanRendering"],
    "ArrayConversion": NOT_APPLICABLE["ArrayConversion"],
    "JaxToNumpy": NOT_APPLICABLE["JaxToNumpy"],
    "JaxToTorch": NOT_APPLICABLE["JaxToTorch"],
    "NumpyToTorch": NOT_APPLICABLE["NumpyToTorch"],
}


def _pixels(endpoint: str) -> gym.Env:
    env = gym.make("sandpit/CartPole-v0", endpoint=endpoint, render_mode="rgb_array",
                   render_width=96, render_height=64)
    return W.AddRenderObservation(env, render_only=True)


def _cartpole(endpoint: str, **kw) -> gym.Env:
    return gym.make("sandpit/CartPole-v0", endpoint=endpoint, **kw)


def _pendulum(endpoint: str, **kw) -> gym.Env:
    return gym.make("sandpit/Pendulum-v0", endpoint=endpoint, **kw)


def _reward_box() -> spaces.Box:
    return spaces.Box(-np.inf, np.inf, (4,), np.float32)


SINGLE: Dict[str, Callable[[str], gym.Env]] = {
    "DelayObservation": lambda ep: W.DelayObservation(_cartpole(ep), delay=2),
    "DtypeObservation": lambda ep: W.DtypeObservation(_cartpole(ep), np.float64),
    "DiscretizeObservation": lambda ep: W.DiscretizeObservation(_pendulum(ep), bins=5),
    "FlattenObservation": lambda ep: W.FlattenObservation(_cartpole(ep)),
    "FrameStackObservation": lambda ep: W.FrameStackObservation(_cartpole(ep), 4),
    "GrayscaleObservation": lambda ep: W.GrayscaleObservation(_pixels(ep)),
    "TransformObservation": lambda ep: W.TransformObservation(
        _cartpole(ep), lambda o: o * 2, _reward_box()
    ),
    "MaxAndSkipObservation": lambda ep: W.MaxAndSkipObservation(_cartpole(ep), skip=2),
    "NormalizeObservation": lambda ep: W.NormalizeObservation(_cartpole(ep)),
    "AddRenderObservation": _pixels,
    "ResizeObservation": lambda ep: W.ResizeObservation(_pixels(ep), (32, 48)),
    "ReshapeObservation": lambda ep: W.ReshapeObservation(_cartpole(ep), (2, 2)),
    "RescaleObservation": lambda ep: W.RescaleObservation(_pendulum(ep), -1.0, 1.0),
    "TimeAwareObservation": lambda ep: W.TimeAwareObservation(
        _cartpole(ep, max_episode_steps=500)
    ),
    "ClipAction": lambda ep: W.ClipAction(_pendulum(ep)),
    "DiscretizeAction": lambda ep: W.DiscretizeAction(_pendulum(ep), bins=5),
    "TransformAction": lambda ep: W.TransformAction(
        _pendulum(ep), lambda a: a * 0.5, spaces.Box(-4.0, 4.0, (1,), np.float32)
    ),
    "RescaleAction": lambda ep: W.RescaleAction(_pendulum(ep), -1.0, 1.0),
    "StickyAction": lambda ep: W.StickyAction(_cartpole(ep), repeat_action_probability=0.25),
    "RepeatAction": lambda ep: W.RepeatAction(_cartpole(ep), 2),
    "ClipReward": lambda ep: W.ClipReward(_cartpole(ep), 0.0, 0.5),
    "TransformReward": lambda ep: W.TransformReward(_cartpole(ep), lambda r: r - 1.0),
    "NormalizeReward": lambda ep: W.NormalizeReward(_cartpole(ep)),
    "TimeLimit": lambda ep: W.TimeLimit(_cartpole(ep), 10),
    "Autoreset": lambda ep: W.Autoreset(_cartpole(ep)),
    "PassiveEnvChecker": lambda ep: W.PassiveEnvChecker(sandpit.make("CartPole-v0", ep)),
    "OrderEnforcing": lambda ep: W.OrderEnforcing(sandpit.make("CartPole-v0", ep)),
    "RecordEpisodeStatistics": lambda ep: W.RecordEpisodeStatistics(_cartpole(ep)),
    "AddWhiteNoise": lambda ep: W.AddWhiteNoise(
        _cartpole(ep, render_mode="rgb_array", render_width=96, render_height=64), 0.5
    ),
    "ObstructView": lambda ep: W.ObstructView(
        _cartpole(ep, render_mode="rgb_array", render_width=96, render_height=64), 0.2, 8
    ),
    "RenderCollection": lambda ep: W.RenderCollection(
        _cartpole(ep, render_mode="rgb_array", render_width=96, render_height=64)
    ),
    "RecordVideo": None,  # tests/python/test_render.py (writes files)
}


def _vec(ep: str, env_id: str = "CartPole-v0", **kw) -> gym.vector.VectorEnv:
    return sandpit.make_vec(env_id, 3, ep, seed=0, **kw)


VECTOR: Dict[str, Callable[[str], gym.vector.VectorEnv]] = {
    "VectorizeTransformObservation": lambda ep: vw.VectorizeTransformObservation(
        _vec(ep), W.TransformObservation, func=lambda o: o * 2, observation_space=_reward_box()
    ),
    "VectorizeTransformAction": lambda ep: vw.VectorizeTransformAction(
        _vec(ep, "Pendulum-v0"), W.TransformAction, func=lambda a: a * 0.5,
        action_space=spaces.Box(-4.0, 4.0, (1,), np.float32),
    ),
    "VectorizeTransformReward": lambda ep: vw.VectorizeTransformReward(
        _vec(ep), W.TransformReward, func=lambda r: r - 1.0
    ),
    "DictInfoToList": lambda ep: vw.DictInfoToList(_vec(ep)),
    "TransformObservation": lambda ep: vw.TransformObservation(
        _vec(ep), lambda o: o * 2, spaces.Box(-np.inf, np.inf, (3, 4), np.float32)
    ),
    "FlattenObservation": lambda ep: vw.FlattenObservation(_vec(ep)),
    "ReshapeObservation": lambda ep: vw.ReshapeObservation(_vec(ep), (2, 2)),
    "RescaleObservation": lambda ep: vw.RescaleObservation(_vec(ep, "Pendulum-v0"), -1.0, 1.0),
    "DtypeObservation": lambda ep: vw.DtypeObservation(_vec(ep), np.float64),
    "NormalizeObservation": lambda ep: vw.NormalizeObservation(_vec(ep)),
    "TransformAction": lambda ep: vw.TransformAction(_vec(ep, "Pendulum-v0"), lambda a: a * 0.5),
    "ClipAction": lambda ep: vw.ClipAction(_vec(ep, "Pendulum-v0")),
    "RescaleAction": lambda ep: vw.RescaleAction(_vec(ep, "Pendulum-v0"), -1.0, 1.0),
    "TransformReward": lambda ep: vw.TransformReward(_vec(ep), lambda r: r - 1.0),
    "ClipReward": lambda ep: vw.ClipReward(_vec(ep), 0.0, 0.5),
    "NormalizeReward": lambda ep: vw.NormalizeReward(_vec(ep)),
    "RecordEpisodeStatistics": lambda ep: vw.RecordEpisodeStatistics(_vec(ep)),
    "RecordVideo": None,  # tests/python/test_render.py (writes files)
}


def test_every_wrapper_is_covered():
    single = [n for n in W.__all__ if n not in SINGLE and n not in NOT_APPLICABLE]
    vector = [n for n in vw.__all__ if n not in VECTOR and n not in VECTOR_NOT_APPLICABLE]
    assert single == [] and vector == [], (single, vector)


def _run(env: gym.Env, steps: int = 120) -> int:
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    assert obs in env.observation_space
    episodes = 0
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert obs in env.observation_space, (obs, env.observation_space)
        assert np.isfinite(float(reward))
        if terminated or truncated:
            episodes += 1
            obs, _ = env.reset()
    return episodes


@pytest.mark.parametrize("name", sorted(n for n, f in SINGLE.items() if f and n in W.__all__))
def test_single_wrapper(endpoint, name):
    env = SINGLE[name](endpoint)
    try:
        _run(env)
        if env.render_mode == "rgb_array":
            frame = env.render()
            frames = frame if isinstance(frame, list) else [frame]
            assert frames and all(f.dtype == np.uint8 and f.shape == (64, 96, 3) for f in frames)
    finally:
        env.close()


@pytest.mark.parametrize("name", sorted(n for n, f in VECTOR.items() if f and n in vw.__all__))
def test_vector_wrapper(endpoint, name):
    envs = VECTOR[name](endpoint)
    try:
        envs.action_space.seed(0)
        obs, _ = envs.reset(seed=0)
        for _ in range(120):
            obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
            assert obs in envs.observation_space
            assert np.all(np.isfinite(reward))
    finally:
        envs.close()
