"""The single Gymnasium env: one sandpit session with one env instance."""

from __future__ import annotations

from typing import Any, Optional, SupportsFloat, Union

import gymnasium
import numpy as np
from gymnasium.envs.registration import EnvSpec

from .catalogue import gym_id
from .client import DEFAULT_TIMEOUT, Client
from .session import Session, fault_indices
from .spaces import action_space, encode_actions, observation_space

__all__ = ["SandpitEnv", "make", "env_spec_for"]

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
    floats and flags Python bools. ``info`` holds ``"seed"`` (the episode seed) after
    :meth:`reset`, ``"reason"`` when an episode ends (the env's termination reason, or
    ``"max_steps"`` on truncation) and ``"hash"`` (the 64-bit state hash, an int) on every
    call when made with ``hashes=True``.

    The server truncates episodes at the env's ``max_steps`` (override with ``max_steps=``),
    and steps after the end of an episode raise ``ServerError`` with code ``"needs_reset"``.

    Args:
        env_id: Catalogue id, e.g. ``"CartPole-v0"`` (without the ``sandpit/`` namespace);
            ``None`` with ``scene=`` (docs/SCENES.md).
        endpoint: Server endpoint, e.g. ``"tcp://127.0.0.1:5555"``. ``None`` starts a local
            ``sandpit serve`` (shared by all envs of the process, stopped with the last one).
        timeout: Seconds each request waits for its reply before ``ConnectionLost``.
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
        render_mode: Only ``None`` (server-side rendering is not part of protocol 1).
        **config: Further ``make`` fields passed to the server verbatim.

    Example:
        >>> env = sandpit.make("CartPole-v0", seed=0)
        >>> obs, info = env.reset()
        >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        >>> env.close()
    """

    metadata: dict[str, Any] = {"render_modes": []}

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
        guardrails: Union[dict[str, Any], bool, None] = None,
        faults: Optional[list[dict[str, Any]]] = None,
        record: Any = None,
        info_faults: bool = False,
        sensor_valid: bool = False,
        **config: Any,
    ) -> None:
        if render_mode is not None:
            raise ValueError(f"render_mode={render_mode!r} is not supported (no render modes)")
        self.render_mode = None
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
            **layer_kwargs,
        )
        spec = self._session.spec
        self.observation_space = observation_space(spec)
        self.action_space = action_space(spec)
        step_s = float(spec.get("dt", 0.0)) * int(spec.get("frame_skip", 1))
        self.metadata = {**type(self).metadata}
        if step_s > 0:
            self.metadata["render_fps"] = 1.0 / step_s
        env_id = self._session.env_id
        kwargs: dict[str, Any] = {"env_id": env_id, "endpoint": endpoint, "timeout": timeout}
        for key, value in (("seed", seed), ("max_steps", max_steps)):
            if value is not None:
                kwargs[key] = value
        if hashes:
            kwargs["hashes"] = True
        kwargs.update({k: v for k, v in layer_kwargs.items() if v})
        kwargs.update(config)
        self.spec = env_spec_for(env_id, kwargs)

    # -- Gymnasium API ------------------------------------------------------------------

    def reset(
        self, *, seed: Optional[int] = None, options: Optional[dict[str, Any]] = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Starts an episode. ``seed`` reseeds the simulation (and :attr:`np_random`);
        without it the env continues its own seed stream, deterministically."""
        super().reset(seed=seed)
        result = self._session.reset(seed, options)
        info: dict[str, Any] = {"seed": int(result.seeds[0])}
        if result.hash is not None:
            info["hash"] = int(result.hash[0])
        _layer_info(info, result)
        return result.obs[0].copy(), info

    def step(self, action: ActType) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Advances the episode by one env step (``frame_skip`` physics steps)."""
        wire = encode_actions(action, self.action_space, 1, batched=False)
        result = self._session.step(wire)
        info: dict[str, Any] = {}
        if result.final is not None:
            info["reason"] = result.final.reason[0]
        if result.hash is not None:
            info["hash"] = int(result.hash[0])
        _layer_info(info, result)
        if result.cost is not None:
            info["cost"] = float(result.cost[0])
        return (
            result.obs[0].copy(),
            float(result.reward[0]),
            bool(result.terminated[0]),
            bool(result.truncated[0]),
            info,
        )

    def close(self) -> None:
        """Closes the server session and the connection; stops an unshared local server."""
        self._session.close()
        super().close()

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
