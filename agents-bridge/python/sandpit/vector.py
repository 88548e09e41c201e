"""The vector Gymnasium env: one sandpit session of N env instances, stepped in one message."""

from __future__ import annotations

import time
from typing import Any, Optional, Sequence, Union

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .client import DEFAULT_TIMEOUT, Client
from .env import env_spec_for, rebuild
from .errors import ProtocolError
from .pixels import FrameStack, PixelOptions, compose
from .pixels import observation_space as pixel_observation_space
from .render import RENDER_MODES, check_render_mode, render_fps, render_size
from .session import Session, fault_indices
from .shard import ShardedSession
from .spaces import action_space, encode_actions, observation_space

__all__ = ["SandpitVectorEnv", "make_vec"]

_WIRE_AUTORESET = {
    AutoresetMode.NEXT_STEP: "next_step",
    AutoresetMode.SAME_STEP: "same_step",
    AutoresetMode.DISABLED: "disabled",
}

# Frames per render request: the server's render op returns at most 64 frames and 16 MiB.
_RENDER_FRAMES_MAX = 64
_RENDER_BYTES_MAX = 16 << 20


def _autoreset_mode(mode: Union[AutoresetMode, str]) -> AutoresetMode:
    if isinstance(mode, str):
        by_name = {
            "next_step": AutoresetMode.NEXT_STEP,
            "nextstep": AutoresetMode.NEXT_STEP,
            "disabled": AutoresetMode.DISABLED,
            "same_step": AutoresetMode.SAME_STEP,
            "samestep": AutoresetMode.SAME_STEP,
        }
        key = mode.lower()
        if key not in by_name:
            raise ValueError(f"unknown autoreset_mode {mode!r}")
        mode = by_name[key]
    if mode not in _WIRE_AUTORESET:
        raise ValueError(f"unknown autoreset_mode {mode!r}")
    return mode


class SandpitVectorEnv(VectorEnv):
    """N instances of one sandpit env, all stepped in one message (Gymnasium's VectorEnv API).

    Autoreset is :attr:`AutoresetMode.NEXT_STEP` by default (``metadata["autoreset_mode"]``):
    an env whose episode ended at step t returns the first observation of its next episode at
    step t+1, with reward 0 and both flags false, and its action at t+1 is ignored. With
    :attr:`AutoresetMode.SAME_STEP` the server resets it within step t: step t returns the
    new episode's first observation with step t's reward and flags, and the last observation
    of the ended episode is in ``info["final_obs"]`` (float32 [N, n], mask
    ``info["_final_obs"]``). ``reset(options={"reset_mask": mask})`` resets only the envs
    where ``mask`` is True (Gymnasium 1.1's partial reset), in one message.

    ``info`` follows Gymnasium's vector convention (arrays of N with a ``_key`` bool mask):

    - when envs end: ``info["episode_end"] = {"r": float64[N], "l": int32[N],
      "t": float32[N]}`` and ``info["_episode_end"]`` (``r`` and ``l`` come from the server,
      ``t`` is the client's wall-clock seconds since the episode's first observation), plus
      ``info["reason"]``/``info["_reason"]`` (object array of reasons). The key is not
      ``"episode"``: that one belongs to ``wrappers.vector.RecordEpisodeStatistics``, which
      refuses to overwrite it;
    - ``info["seed"]``/``info["_seed"]`` (uint64) after :meth:`reset`;
    - ``info["hash"]``/``info["_hash"]`` (uint64 state hashes) with ``hashes=True``.

    ``render_mode="rgb_array"``: :meth:`render` returns a tuple of N frames (uint8
    ``[render_height, render_width, 3]``), as Gymnasium's vector envs do, drawn by the server.

    Args:
        env_id: Catalogue id, e.g. ``"CartPole-v0"``.
        num_envs: N.
        endpoint: Server endpoint; ``None`` starts (or shares) a local server; a list of
            endpoints shards the N envs over those servers (:mod:`sandpit.shard`).
        autoreset_mode: ``AutoresetMode.NEXT_STEP`` or ``AutoresetMode.DISABLED`` (stepping
            after an episode ended then raises ``ServerError("needs_reset")``).
        timeout: Seconds a call may take in all (resends included) before ``ConnectionLost``;
            a dropped connection (a killed server) raises it at once.
        seed: Session seed: the first unseeded reset of env i uses ``seed + i``. ``None``
            draws a random one.
        max_steps: Truncation limit override. ``max_episode_steps`` (what
            ``gymnasium.make_vec`` passes) is accepted as a synonym.
        hashes: Include state hashes in ``info``.
        episode_info: Emit ``info["episode_end"]`` when episodes end.
        render_mode: ``None`` or ``"rgb_array"`` (another mode: a warning, no frames).
        render_width, render_height: Frame size in pixels.
        observation, size, grayscale, frame_stack: Pixel observations, as
            :class:`sandpit.SandpitEnv` takes them; batched: uint8 ``[N, H, W, C * k]``.
        **config: Further ``make`` fields passed to the server verbatim.
    """

    metadata: dict[str, Any] = {
        "autoreset_mode": AutoresetMode.NEXT_STEP,
        "render_modes": list(RENDER_MODES),
    }

    def __init__(
        self,
        env_id: Optional[str],
        num_envs: int = 1,
        endpoint: Union[None, str, Sequence[str]] = None,
        *,
        autoreset_mode: Union[AutoresetMode, str] = AutoresetMode.NEXT_STEP,
        timeout: float = DEFAULT_TIMEOUT,
        seed: Optional[int] = None,
        max_steps: Optional[int] = None,
        max_episode_steps: Optional[int] = None,
        hashes: bool = False,
        episode_info: bool = True,
        render_mode: Optional[str] = None,
        render_width: int = 600,
        render_height: int = 400,
        guardrails: Union[dict[str, Any], bool, None] = None,
        faults: Optional[list[dict[str, Any]]] = None,
        record: Any = None,
        info_faults: bool = False,
        sensor_valid: bool = False,
        observation: str = "vector",
        size: Any = (84, 84),
        grayscale: bool = False,
        frame_stack: int = 1,
        **config: Any,
    ) -> None:
        self.render_mode = check_render_mode(render_mode)
        self._pixels = PixelOptions.make(observation, size, grayscale, frame_stack)
        self._render_size = render_size(render_width, render_height)
        if max_episode_steps is not None:
            if max_steps is not None and max_steps != max_episode_steps:
                raise ValueError("max_steps and max_episode_steps disagree")
            max_steps = max_episode_steps
        mode = _autoreset_mode(autoreset_mode)
        if isinstance(endpoint, (list, tuple)):
            # One session per server, stepped in parallel (sandpit.shard).
            session_type: Any = ShardedSession
        else:
            session_type = Session
        self._session = session_type(
            env_id,
            num_envs,
            endpoint,
            timeout=timeout,
            seed=seed,
            max_steps=max_steps,
            autoreset=_WIRE_AUTORESET[mode],
            hashes=hashes,
            config=config,
            guardrails=guardrails,
            faults=faults,
            record=record,
            info_faults=info_faults,
            sensor_valid=sensor_valid,
            observation=self._pixels,
        )
        self.num_envs = self._session.num_envs
        spec = self._session.spec
        self.metadata = {
            **type(self).metadata,
            "autoreset_mode": mode,
            "render_fps": render_fps(spec),
        }
        self.single_observation_space = pixel_observation_space(
            observation_space(spec), self._pixels
        )
        self._stack = FrameStack(self.num_envs, self._pixels) if self._pixels.pixels else None
        self.single_action_space = action_space(spec)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._episode_info = bool(episode_info)
        self._episode_start = np.full(self.num_envs, time.perf_counter())

        env_id = self._session.env_id
        kwargs: dict[str, Any] = {"env_id": env_id, "endpoint": endpoint, "timeout": timeout}
        for key, value in (("seed", seed), ("max_steps", max_steps)):
            if value is not None:
                kwargs[key] = value
        if mode is not AutoresetMode.NEXT_STEP:
            kwargs["autoreset_mode"] = mode
        if hashes:
            kwargs["hashes"] = True
        if not episode_info:
            kwargs["episode_info"] = False
        if render_mode is not None:
            kwargs["render_mode"] = render_mode
        if self._render_size != (600, 400):
            kwargs["render_width"], kwargs["render_height"] = self._render_size
        for key, option in (
            ("guardrails", guardrails),
            ("faults", faults),
            ("record", record),
            ("info_faults", info_faults),
            ("sensor_valid", sensor_valid),
        ):
            if option:
                kwargs[key] = option
        kwargs.update(self._pixels.kwargs())
        kwargs.update(config)
        self._kwargs = {**kwargs, "num_envs": self.num_envs}
        self.spec = env_spec_for(env_id, kwargs)
        self._same_step = mode is AutoresetMode.SAME_STEP

    # -- Gymnasium API ------------------------------------------------------------------

    def reset(
        self,
        *,
        seed: Union[int, Sequence[Optional[int]], None] = None,
        options: Optional[dict[str, Any]] = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Resets all envs. ``seed``: an int s (env i gets s + i), a list of N ints or Nones
        (None continues that env's seed stream), or None (every env continues its stream).
        ``options["reset_mask"]`` (bool [N]): reset only those envs; the others keep running
        and report their current observation (``info["_seed"]`` is the mask)."""
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            super().reset(seed=int(seed))
        mask = None
        if options and "reset_mask" in options:
            options = dict(options)
            mask = np.asarray(options.pop("reset_mask"))
        result = self._session.reset(seed, options, mask=mask)
        done = np.ones(self.num_envs, dtype=np.bool_) if mask is None else mask.copy()
        self._episode_start[done] = time.perf_counter()
        info: dict[str, Any] = {"seed": result.seeds.copy(), "_seed": done}
        if result.hash is not None:
            info["hash"] = result.hash.copy()
            info["_hash"] = np.ones(self.num_envs, dtype=np.bool_)
        self._layer_info(info, result)
        frames = None
        if self._stack is not None:
            frames = self._stack.reset(result.pixels, mask).copy()
        return compose(self._pixels, result.obs.copy(), frames), info

    def step(
        self, actions: Any
    ) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps all N envs in one request. ``actions``: int [N] or float [N, k]."""
        wire = encode_actions(actions, self.single_action_space, self.num_envs, batched=True)
        result = self._session.step(wire)
        now = time.perf_counter()
        n = self.num_envs
        info: dict[str, Any] = {}
        if result.autoreset is not None and result.autoreset.size:
            self._episode_start[result.autoreset] = now
        final = result.final
        if final is not None and final.index.size:
            index = final.index
            mask = np.zeros(n, dtype=np.bool_)
            mask[index] = True
            if self._episode_info:
                r = np.zeros(n, dtype=np.float64)
                r[index] = final.returns
                length = np.zeros(n, dtype=np.int32)
                length[index] = final.length
                t = np.zeros(n, dtype=np.float32)
                t[index] = now - self._episode_start[index]
                info["episode_end"] = {"r": r, "l": length, "t": t}
                info["_episode_end"] = mask
            reason = np.full(n, None, dtype=object)
            for i, why in zip(index.tolist(), final.reason, strict=True):
                reason[i] = why
            info["reason"] = reason
            info["_reason"] = mask.copy()
            if self._same_step and final.obs is not None:
                last = np.zeros_like(result.obs)
                last[index] = final.obs
                info["final_obs"] = self._final_obs(last, final, index)
                info["_final_obs"] = mask.copy()
        if result.hash is not None:
            info["hash"] = result.hash.copy()
            info["_hash"] = np.ones(n, dtype=np.bool_)
        self._layer_info(info, result)
        if result.cost is not None:
            info["cost"] = result.cost.copy()
            info["_cost"] = np.ones(n, dtype=np.bool_)
        frames = None
        if self._stack is not None:
            frames = self._stack.push(result.pixels, result.autoreset).copy()
        return (
            compose(self._pixels, result.obs.copy(), frames),
            result.reward.copy(),
            result.terminated,
            result.truncated,
            info,
        )

    def _final_obs(self, last: np.ndarray, final: Any, index: np.ndarray) -> Any:
        """The last observations of the episodes that ended (same_step), stacked like the
        others; rows of envs that did not end are zeros."""
        if self._stack is None:
            return last
        if final.pixels is None:
            raise ProtocolError("the step reply's 'final' has no pixels")
        frames = np.zeros_like(self._stack.stack)
        frames[index] = self._stack.stacked(final.pixels, index)
        return compose(self._pixels, last, frames)

    def _layer_info(self, info: dict[str, Any], result: Any) -> None:
        """Guardrail trips, active faults and validity masks, in the vector convention."""
        n = self.num_envs
        if result.guardrail is not None:
            trips = np.full(n, None, dtype=object)
            mask = np.zeros(n, dtype=np.bool_)
            for i, env_trips in enumerate(result.guardrail):
                if env_trips:
                    trips[i] = env_trips
                    mask[i] = True
            info["guardrail"] = trips
            info["_guardrail"] = mask
        if result.faults is not None:
            active = np.empty(n, dtype=object)
            for i in range(n):
                active[i] = fault_indices(result.faults[i])
            info["faults"] = active
            info["_faults"] = np.ones(n, dtype=np.bool_)
        if result.sensor_valid is not None:
            info["sensor_valid"] = result.sensor_valid.astype(bool)
            info["_sensor_valid"] = np.ones(n, dtype=np.bool_)

    def render(self) -> Optional[tuple[np.ndarray, ...]]:
        """Every env's current state as uint8 ``[H, W, 3]`` frames (``render_mode=
        "rgb_array"``), fetched in as few requests as the server's render limits allow."""
        if self.render_mode != "rgb_array":
            check_render_mode(self.render_mode, calling_render=True)
            return None
        width, height = self._render_size
        per = max(1, min(_RENDER_FRAMES_MAX, _RENDER_BYTES_MAX // (width * height * 3)))
        frames: list[np.ndarray] = []
        for start in range(0, self.num_envs, per):
            envs = range(start, min(start + per, self.num_envs))
            batch = self._session.render(envs, width, height)
            frames.extend(frame.copy() for frame in batch)
        return tuple(frames)

    def __reduce__(self) -> tuple[Any, ...]:
        return (rebuild, (type(self), self._kwargs))

    def close_extras(self, **kwargs: Any) -> None:
        """Closes the server session and the connection."""
        self._session.close()

    def __enter__(self) -> "SandpitVectorEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- sandpit extras -----------------------------------------------------------------

    @property
    def sandpit_spec(self) -> dict[str, Any]:
        """The server's spec of the env (names, units, bounds, dt, frame skip, max_steps)."""
        return self._session.spec

    @property
    def client(self) -> Client:
        """The connection, e.g. for ``envs.client.request("stats")``."""
        return self._session.client

    @property
    def session_id(self) -> Optional[int]:
        """The server's id of this session."""
        return self._session.id


def make_vec(
    env_id: Optional[str],
    num_envs: int,
    endpoint: Union[None, str, Sequence[str]] = None,
    *,
    autoreset_mode: Union[AutoresetMode, str] = AutoresetMode.NEXT_STEP,
    timeout: float = DEFAULT_TIMEOUT,
    seed: Optional[int] = None,
    max_steps: Optional[int] = None,
    **config: Any,
) -> SandpitVectorEnv:
    """Makes a vector env of ``num_envs`` instances; see :class:`SandpitVectorEnv`.
    ``make_vec(None, 64, scene=...)`` runs a scene (docs/SCENES.md)."""
    if env_id is not None and env_id.startswith("sandpit/"):
        env_id = env_id[len("sandpit/") :]
    return SandpitVectorEnv(
        env_id,
        num_envs,
        endpoint,
        autoreset_mode=autoreset_mode,
        timeout=timeout,
        seed=seed,
        max_steps=max_steps,
        **config,
    )
