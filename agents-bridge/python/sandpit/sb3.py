"""Stable-Baselines3 adapter: an SB3 ``VecEnv`` over one batched sandpit session.

>>> from stable_baselines3 import PPO
>>> from sandpit.sb3 import make_vec_env
>>> model = PPO("MlpPolicy", make_vec_env("CartPole-v0", n_envs=8, seed=0)).learn(100_000)

All N envs step in one message. The session runs the server's ``same_step`` autoreset, which
is SB3's own contract: when env i's episode ends at a step, that step returns the first
observation of its next episode, ``dones[i]`` is True, and ``infos[i]`` holds
``"terminal_observation"`` (the ended episode's last observation), ``"TimeLimit.truncated"``
(truncated and not terminated), ``"episode"`` (``{"r", "l", "t"}``, as SB3's ``Monitor``
writes it, so no ``VecMonitor`` is needed, and ``env_is_wrapped(Monitor)`` says so) and
``"reason"``. No transition is lost or made
up: the reward and flags are those of the step that ended the episode.

One env object stands for all N: :meth:`get_attr` and :meth:`env_method` answer from the
underlying :class:`sandpit.SandpitVectorEnv` once per index asked.

This module imports ``stable_baselines3`` (and so torch); ``import sandpit`` never does.
"""

from __future__ import annotations

import time
from typing import Any, Iterable, List, Optional, Sequence, Type

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnv,
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

from .spaces import encode_actions
from .vector import SandpitVectorEnv

__all__ = ["SandpitVecEnv", "make_vec_env"]


class SandpitVecEnv(VecEnv):
    """N instances of a sandpit env as one SB3 ``VecEnv`` (one batched session).

    Args:
        env_id: Catalogue id, with or without the ``sandpit/`` namespace.
        num_envs: N.
        endpoint: Server endpoint; ``None`` starts (or shares) a local server.
        seed: Session seed (env i starts its seed stream at ``seed + i``).
        render_mode: ``None`` or ``"rgb_array"`` (frames through :meth:`get_images`).
        **kwargs: Further :class:`sandpit.SandpitVectorEnv` arguments (``max_steps``,
            ``guardrails``, ``faults``, ``render_width``, ...).
    """

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        endpoint: Optional[str] = None,
        *,
        seed: Optional[int] = None,
        render_mode: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if env_id.startswith("sandpit/"):
            env_id = env_id[len("sandpit/") :]
        self._vec = SandpitVectorEnv(
            env_id,
            num_envs,
            endpoint,
            autoreset_mode=AutoresetMode.SAME_STEP,
            seed=seed,
            render_mode=render_mode,
            episode_info=False,
            **kwargs,
        )
        self._session = self._vec._session
        self._single_action_space = self._vec.single_action_space
        self._actions: Optional[dict[str, Any]] = None
        self._t_start = time.perf_counter()
        super().__init__(
            self._vec.num_envs, self._vec.single_observation_space, self._single_action_space
        )

    # -- VecEnv API -----------------------------------------------------------------------

    def reset(self) -> VecEnvObs:
        """Resets every env with the seeds and options set by :meth:`seed` and
        :meth:`set_options` (then forgets them, as SB3's vec envs do)."""
        seeds: Optional[List[Optional[int]]] = list(self._seeds)
        if all(s is None for s in seeds):  # type: ignore[union-attr]
            seeds = None
        options = self._options[0] or None
        if any(o != self._options[0] for o in self._options):
            raise ValueError("sandpit resets all envs with one set of options")
        obs, info = self._vec.reset(seed=seeds, options=options)
        self.reset_infos = [{"seed": info["seed"][i]} for i in range(self.num_envs)]
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = encode_actions(
            actions, self._single_action_space, self.num_envs, batched=True
        )

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("step_wait() without step_async()")
        result = self._session.step(self._actions)
        self._actions = None
        n = self.num_envs
        dones = result.terminated | result.truncated
        infos: List[dict[str, Any]] = [{} for _ in range(n)]
        final = result.final
        if final is not None:
            assert final.obs is not None  # same_step sessions always send the last obs
            t = round(time.perf_counter() - self._t_start, 6)
            for j, i in enumerate(final.index.tolist()):
                infos[i] = {
                    "terminal_observation": final.obs[j].copy(),
                    "TimeLimit.truncated": bool(result.truncated[i] and not result.terminated[i]),
                    "episode": {"r": float(final.returns[j]), "l": int(final.length[j]), "t": t},
                    "reason": final.reason[j],
                }
        return result.obs.copy(), result.reward.astype(np.float32), dones, infos

    def close(self) -> None:
        self._vec.close()

    def get_images(self) -> Sequence[Optional[np.ndarray]]:
        if self.render_mode != "rgb_array":
            return [None] * self.num_envs
        frames = self._vec.render()
        return list(frames) if frames is not None else [None] * self.num_envs

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> List[Any]:
        value = getattr(self._vec, attr_name)
        return [value for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self._vec, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> List[Any]:
        method = getattr(self._vec, method_name)
        return [method(*method_args, **method_kwargs) for _ in self._indices(indices)]

    def env_is_wrapped(
        self, wrapper_class: Type[gymnasium.Wrapper], indices: VecEnvIndices = None
    ) -> List[bool]:
        """True for SB3's ``Monitor`` only: the adapter writes the ``"episode"`` info that
        Monitor would (from the server's episode return and length)."""
        return [wrapper_class is Monitor for _ in self._indices(indices)]

    def _indices(self, indices: VecEnvIndices) -> Iterable[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, int):
            return [indices]
        return indices

    # -- sandpit extras -------------------------------------------------------------------

    @property
    def vector_env(self) -> SandpitVectorEnv:
        """The underlying Gymnasium vector env (its session, spec and client)."""
        return self._vec


def make_vec_env(
    env_id: str,
    n_envs: int = 1,
    seed: Optional[int] = None,
    endpoint: Optional[str] = None,
    env_kwargs: Optional[dict[str, Any]] = None,
    **kwargs: Any,
) -> SandpitVecEnv:
    """SB3's ``make_vec_env`` for sandpit ids: one batched session instead of ``n_envs``
    separate envs. ``env_kwargs`` and ``kwargs`` are :class:`SandpitVecEnv` arguments."""
    return SandpitVecEnv(env_id, n_envs, endpoint, seed=seed, **{**(env_kwargs or {}), **kwargs})

