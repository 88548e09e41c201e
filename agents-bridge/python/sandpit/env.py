"""The single Gymnasium env: one sandpit session with one env instance."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Optional, SupportsFloat, Union

import gymnasium
import numpy as np
from gymnasium.envs.registration import EnvSpec
from gymnasium.wrappers import TimeLimit

from .catalogue import gym_id
from .client import DEFAULT_TIMEOUT, Client
from .pixels import FrameStack, PixelOptions, compose
from .pixels import observation_space as pixel_observation_space
from .render import RENDER_MODES, check_render_mode, render_fps, render_size
from .session import Session, fault_indices
from .spaces import action_space, encode_actions, observation_space

__all__ = ["SandpitEnv", "make", "env_spec_for", "rebuild"]

ActType = Union[int, np.integer, np.ndarray]


def env_spec_for(env_id: str, kwargs: dict[str, Any]) -> EnvSpec:
    """The Gymnasium :class:`EnvSpec` of a sandpit env made with ``kwargs``."""
    name = gym_id(env_id)
    if name in gymnasium.registry:
        base = gymnasium.registry[name]
        return EnvSpec(
            id=base.id,
            entry_point=base.entry_point,
            reward_threshold=base.reward_threshold,
            nondeterministic=base.nondeterministic,
            max_episode_steps=base.max_episode_steps,
            order_enforce=base.order_enforce,
            disable_env_checker=base.disable_env_checker,
            kwargs=dict(kwargs),
            vector_entry_point=base.vector_entry_point,
        )
    return EnvSpec(
        id=name,
        entry_point="sandpit.env:SandpitEnv",
        vector_entry_point="sandpit.vector:SandpitVectorEnv",
        kwargs=dict(kwargs),
    )


def rebuild(cls: type, kwargs: dict[str, Any]) -> Any:
    """Unpickles an env as a new one made with the same arguments (a new session): an env
    holds a live connection, which neither a pickle nor a copy can share."""
    return cls(**kwargs)


def _time_limit_above(env: gymnasium.Env, depth: int = 16) -> Optional[int]:
    """The ``max_episode_steps`` of a ``TimeLimit`` wrapping ``env`` whose ``reset`` is on the
    call stack. ``gymnasium.make(id, max_episode_steps=n)`` gives ``n`` to that wrapper only,
    never to the env, so the env finds it there at its first reset."""
    frame: Optional[FrameType] = sys._getframe(2)
    for _ in range(depth):
        if frame is None:
            return None
        owner = frame.f_locals.get("self")
        if isinstance(owner, TimeLimit) and owner.unwrapped is env:
            return int(owner._max_episode_steps)
        frame = frame.f_back
    return None


def _layer_info(info: dict[str, Any], result: Any) -> None:
    """The guardrail and fault parts of env 0's info."""
    if result.guardrail is not None and result.guardrail[0]:
        info["guardrail"] = result.guardrail[0]
    if result.faults is not None:
        info["faults"] = fault_indices(result.faults[0])
    if result.sensor_valid is not None:
        info["sensor_valid"] = result.sensor_valid[0].astype(bool)


class SandpitEnv(gymnasium.Env[np.ndarray, ActType]):
    """A sandpit env served over ZeroMQ, with Gymnasium's single-env API.

    Observations are float32 arrays inside :attr:`observation_space`; rewards are Python
    floats and flags Python bools. ``info`` holds ``"seed"`` (the episode seed, an
    ``np.uint64``: seeds span 64 bits, and a Python int >= 2^63 would not fit the int64 arrays
    that vector envs batch infos into) after :meth:`reset`, ``"reason"`` when an episode ends
    (the env's termination reason, or ``"max_steps"`` on truncation) and ``"hash"`` (the
    64-bit state hash, an ``np.uint64``) on every call when made with ``hashes=True``.

    The server truncates episodes at the env's ``max_steps`` (override with ``max_steps=``;
    ``gymnasium.make(..., max_episode_steps=n)`` sets it to ``n`` too), and steps after the
    end of an episode raise ``ServerError`` with code ``"needs_reset"``.

    ``render_mode="rgb_array"``: :meth:`render` returns the current state drawn by the server
    (uint8 ``[render_height, render_width, 3]``, 600x400 by default) with the same rasterizer
    as ``sandpit replay export``. Pickling or copying the env makes a new env with the same
    arguments (a new session), never a second owner of this one's connection.

    Args:
        env_id: Catalogue id, e.g. ``"CartPole-v0"`` (without the ``sandpit/`` namespace);
            ``None`` with ``scene=`` (docs/SCENES.md).
        endpoint: Server endpoint, e.g. ``"tcp://127.0.0.1:5555"``. ``None`` starts a local
            ``sandpit serve`` (shared by all envs of the process, stopped with the last one).
        timeout: Seconds a call may take in all (resends included) before ``ConnectionLost``;
            a dropped connection (a killed server) raises it at once.
        seed: Seed of the first :meth:`reset` that is given none. ``None`` draws a random
            one, as Gymnasium does; ``info["seed"]`` reports the seed actually used.
        max_steps: Truncation limit override (``None``: the env's own).
        hashes: Include ``info["hash"]`` in every reset and step.
        guardrails: Guardrails (docs/GUARDRAILS.md); ``None`` runs the env's defaults,
            ``False`` none. Every trip is in ``info["guardrail"]``, a
            list of ``{"reason", "channel", "value", "limit", "policy"}`` (``channel``: the
            actuator's name, a body index for ``physics_diverged``, or None); with a
            ``constraint``, ``info["cost"]`` is the step's cost.
        faults: Faults (docs/FAULTS.md). ``reset(options={"faults": [...], "guardrails":
            {...}})`` overrides either for one episode.
        record: Record one replay file per episode into this directory.
        info_faults: ``info["faults"]``: the indices of the faults active at this step.
        sensor_valid: ``info["sensor_valid"]``: False where an outage covers the channel.
        render_mode: ``None`` or ``"rgb_array"``; another mode gets a warning and renders
            nothing, as in Gymnasium.
        render_width, render_height: Frame size in pixels for ``"rgb_array"``.
        observation: ``"vector"`` (the sensor vector, the default), ``"pixels"`` (frames drawn
            by the server: uint8 ``(H, W, C * frame_stack)``) or ``"both"`` (a Dict space
            ``{"state": vector, "pixels": frames}``); docs/RENDERING.md.
        size: ``(height, width)`` of the frames (84x84 by default; an int for a square).
        grayscale: One channel (BT.601 luma) instead of RGB.
        frame_stack: The last k frames on the last axis, oldest first (SB3's layout).
        **config: Further ``make`` fields passed to the server verbatim.

    Example:
        >>> env = sandpit.make("CartPole-v0", seed=0)
        >>> obs, info = env.reset()
        >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        >>> env.close()
    """

    metadata: dict[str, Any] = {"render_modes": list(RENDER_MODES)}

    def __init__(
        self,
        env_id: Optional[str] = None,
        endpoint: Optional[str] = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        seed: Optional[int] = None,
        max_steps: Optional[int] = None,
        hashes: bool = False,
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
        # gymnasium.make's max_episode_steps reaches only its TimeLimit: look for it at the
        # first reset, unless the caller chose max_steps itself.
        self._find_time_limit = max_steps is None
        layer_kwargs = {
            "guardrails": guardrails,
            "faults": faults,
            "record": record,
            "info_faults": info_faults,
            "sensor_valid": sensor_valid,
        }
        self._session = Session(
            env_id,
            1,
            endpoint,
            timeout=timeout,
            seed=seed,
            max_steps=max_steps,
            autoreset="disabled",
            hashes=hashes,
            config=config,
            observation=self._pixels,
            **layer_kwargs,
        )
        spec = self._session.spec
        self.observation_space = pixel_observation_space(observation_space(spec), self._pixels)
        self._stack = FrameStack(1, self._pixels) if self._pixels.pixels else None
        self.action_space = action_space(spec)
        self.metadata = {**type(self).metadata, "render_fps": render_fps(spec)}
        env_id = self._session.env_id
        kwargs: dict[str, Any] = {"env_id": env_id, "endpoint": endpoint, "timeout": timeout}
        for key, value in (("seed", seed), ("max_steps", max_steps)):
            if value is not None:
                kwargs[key] = value
        if hashes:
            kwargs["hashes"] = True
        if render_mode is not None:
            kwargs["render_mode"] = render_mode
        if self._render_size != (600, 400):
            kwargs["render_width"], kwargs["render_height"] = self._render_size
        kwargs.update({k: v for k, v in layer_kwargs.items() if v})
        kwargs.update(self._pixels.kwargs())
        kwargs.update(config)
        self._kwargs = kwargs
        self.spec = env_spec_for(env_id, kwargs)

    # -- Gymnasium API ------------------------------------------------------------------

    def reset(
        self, *, seed: Optional[int] = None, options: Optional[dict[str, Any]] = None
    ) -> tuple[Any, dict[str, Any]]:
        """Starts an episode. ``seed`` reseeds the simulation (and :attr:`np_random`);
        without it the env continues its own seed stream, deterministically."""
        super().reset(seed=seed)
        if self._find_time_limit:
            self._find_time_limit = False
            limit = _time_limit_above(self)
            if limit is not None and limit != self._session.max_steps:
                self._session.remake(max_steps=limit)
        result = self._session.reset(seed, options)
        info: dict[str, Any] = {"seed": result.seeds[0]}
        if result.hash is not None:
            info["hash"] = result.hash[0]
        _layer_info(info, result)
        frames = None
        if self._stack is not None:
            frames = self._stack.reset(result.pixels)[0].copy()
        return compose(self._pixels, result.obs[0].copy(), frames), info

    def step(self, action: ActType) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Advances the episode by one env step (``frame_skip`` physics steps)."""
        wire = encode_actions(action, self.action_space, 1, batched=False)
        result = self._session.step_plain(wire)
        if type(result) is tuple:  # a plain step: info holds at most its cost
            _, obs, reward, terminated, truncated, cost = result
            plain_info = {} if cost is None else {"cost": cost}
            return np.frombuffer(obs, dtype=np.float32), reward, terminated, truncated, plain_info
        info: dict[str, Any] = {}
        if result.final is not None:
            info["reason"] = result.final.reason[0]
        if result.hash is not None:
            info["hash"] = result.hash[0]
        _layer_info(info, result)
        if result.cost is not None:
            info["cost"] = float(result.cost[0])
        frames = None
        if self._stack is not None:
            frames = self._stack.push(result.pixels)[0].copy()
        return (
            compose(self._pixels, result.obs[0].copy(), frames),
            float(result.reward[0]),
            bool(result.terminated[0]),
            bool(result.truncated[0]),
            info,
        )

    def render(self) -> Optional[np.ndarray]:
        """The current state as uint8 ``[H, W, 3]`` with ``render_mode="rgb_array"``; None
        (with a warning, as Gymnasium's envs do) without a render mode or with another."""
        if self.render_mode != "rgb_array":
            check_render_mode(self.render_mode, calling_render=True)
            return None
        width, height = self._render_size
        return self._session.render([0], width, height)[0].copy()

    def close(self) -> None:
        """Closes the server session and the connection; stops an unshared local server."""
        self._session.close()
        super().close()

    def __reduce__(self) -> tuple[Any, ...]:
        return (rebuild, (type(self), self._kwargs))

    # -- sandpit extras -----------------------------------------------------------------

    @property
    def sandpit_spec(self) -> dict[str, Any]:
        """The server's spec of this env (names, units, bounds, dt, frame skip, max_steps)."""
        return self._session.spec

    @property
    def client(self) -> Client:
        """The connection, e.g. for ``env.client.request("stats")``."""
        return self._session.client

    @property
    def session_id(self) -> Optional[int]:
        """The server's id of this env's session."""
        return self._session.id

    def __repr__(self) -> str:
        return f"<SandpitEnv<{self.spec.id if self.spec else self._session.env_id}>>"


def make(
    env_id: Optional[str] = None,
    endpoint: Optional[str] = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    seed: Optional[int] = None,
    max_steps: Optional[int] = None,
    **config: Any,
) -> SandpitEnv:
    """Makes a single sandpit env; see :class:`SandpitEnv` for the arguments.

    ``env_id`` may be given with or without the ``sandpit/`` namespace. The env is returned
    unwrapped (``gymnasium.make("sandpit/<id>")`` adds Gymnasium's usual wrappers).
    ``scene=`` runs a scene instead (a :class:`sandpit.scene.Scene`, a dict or a JSON file's
    path), sent to the server inline: ``sandpit.make(scene="rover.json")``.
    """
    if env_id is not None and env_id.startswith("sandpit/"):
        env_id = env_id[len("sandpit/") :]
    return SandpitEnv(env_id, endpoint, timeout=timeout, seed=seed, max_steps=max_steps, **config)
