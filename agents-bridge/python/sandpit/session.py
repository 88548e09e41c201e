"""A server session: N env instances of one id, made, reset, stepped and closed over a Client.

This is the layer shared by :class:`sandpit.SandpitEnv` (N = 1, autoreset ``disabled``) and
:class:`sandpit.SandpitVectorEnv`. It owns the connection and, when no endpoint was given,
a reference to the process's shared local server.
"""

from __future__ import annotations

import secrets
import weakref
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Union

import numpy as np

from .client import DEFAULT_TIMEOUT, Client
from .errors import ConnectionLost, ProtocolError, SandpitError
from .protocol import decode_array
from .server import LocalServer, acquire_shared, release_shared

__all__ = ["Session", "ResetResult", "StepResult", "FinalEpisodes"]

# Seconds a best-effort `close` waits: a dead server must not stall shutdown.
_CLOSE_TIMEOUT_S = 1.0

SeedArg = Union[None, int, Sequence[Optional[int]]]


@dataclass
class ResetResult:
    """A decoded ``reset`` reply (read-only views of the message bytes)."""

    obs: np.ndarray  # float32 [N, n]
    seeds: np.ndarray  # uint64 [N]
    hash: Optional[np.ndarray]  # uint64 [N]


@dataclass
class FinalEpisodes:
    """The ``final`` map of a step reply: the m episodes that ended at this step."""

    index: np.ndarray  # int32 [m]
    returns: np.ndarray  # float64 [m]
    length: np.ndarray  # int32 [m]
    reason: List[str]
    seed: np.ndarray  # uint64 [m]


@dataclass
class StepResult:
    """A decoded ``step`` reply (read-only views of the message bytes)."""

    obs: np.ndarray  # float32 [N, n]
    reward: np.ndarray  # float64 [N]
    terminated: np.ndarray  # bool [N]
    truncated: np.ndarray  # bool [N]
    final: Optional[FinalEpisodes]
    autoreset: Optional[np.ndarray]  # int32 [r]
    hash: Optional[np.ndarray]  # uint64 [N]


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"a seed must be an int or None, got {seed!r}")
    if seed < 0:
        raise ValueError(f"a seed must be non-negative, got {seed}")
    return int(seed)


def _cleanup(client: Client, server: Optional[LocalServer]) -> None:
    """Frees the socket and the server reference (also when the owner is garbage-collected)."""
    client.close()
    if server is not None:
        release_shared(server)


class Session:
    """One server session of ``num_envs`` instances of ``env_id``.

    Args:
        env_id: Catalogue id, e.g. ``"CartPole-v0"``.
        num_envs: N.
        endpoint: Server endpoint; ``None`` uses (and starts if needed) the shared local server.
        timeout: Seconds per request.
        seed: Session seed (first unseeded reset of env i uses ``seed + i``); ``None`` draws
            a random one, as Gymnasium does for an env reset without a seed.
        max_steps: Truncation override; ``None`` keeps the env's.
        autoreset: ``"next_step"`` or ``"disabled"``.
        hashes: Ask for per-env state hashes in every reply.
        config: Further ``make`` fields, passed through verbatim (the server refuses unknown ones).
    """

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        endpoint: Optional[str] = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        seed: Optional[int] = None,
        max_steps: Optional[int] = None,
        autoreset: str = "next_step",
        hashes: bool = False,
        config: Optional[dict[str, Any]] = None,
    ) -> None:
        if not isinstance(env_id, str):
            raise TypeError(f"env_id must be a str, got {env_id!r}")
        if (
            isinstance(num_envs, bool)
            or not isinstance(num_envs, (int, np.integer))
            or num_envs < 1
        ):
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        self.env_id = env_id
        self.num_envs = int(num_envs)
        self.hashes = bool(hashes)
        self.seed = secrets.randbelow(2**31) if seed is None else _check_seed(seed)
        self.server: Optional[LocalServer] = None
        if endpoint is None:
            self.server = acquire_shared(timeout)
            endpoint = self.server.endpoint
        liveness = self.server.dead_reason if self.server is not None else None
        self.client = Client(endpoint, timeout=timeout, liveness=liveness)
        self._finalizer = weakref.finalize(self, _cleanup, self.client, self.server)
        self.id: Optional[int] = None
        self._lost = False  # the last request got no reply: skip the courtesy `close`

        fields: dict[str, Any] = {
            "env": env_id,
            "num_envs": self.num_envs,
            "seed": self.seed,
            "autoreset": autoreset,
            "hashes": self.hashes,
        }
        if max_steps is not None:
            if (
                isinstance(max_steps, bool)
                or not isinstance(max_steps, (int, np.integer))
                or max_steps < 1
            ):
                raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
            fields["max_steps"] = int(max_steps)
        for key, value in (config or {}).items():
            if key in fields or key in ("op", "id"):
                raise TypeError(f"make field {key!r} is set by the client")
            fields[key] = value
        try:
            reply = self.client.request("make", **fields)
            session = reply.get("session")
            spec = reply.get("spec")
            if isinstance(session, bool) or not isinstance(session, int):
                raise ProtocolError(f"make reply has no integer 'session': {reply!r}")
            if reply.get("num_envs") != self.num_envs:
                raise ProtocolError(
                    f"make reply num_envs {reply.get('num_envs')} != {self.num_envs}"
                )
            if not isinstance(spec, dict) or spec.get("id") != env_id:
                raise ProtocolError(f"make reply has no spec of {env_id}")
        except BaseException:
            self._finalizer()
            raise
        self.id = session
        self.spec: dict[str, Any] = spec
        obs_shape = spec.get("observation", {}).get("shape")
        self._n = obs_shape[0] if isinstance(obs_shape, list) and obs_shape else None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the owner was garbage-collected)."""
        return not self._finalizer.alive

    def _check_open(self) -> None:
        if self.closed:
            raise SandpitError("the env is closed")

    def reset(self, seed: SeedArg = None) -> ResetResult:
        """Resets every env. ``seed``: None, an int (env i gets seed + i), or a per-env list."""
        self._check_open()
        fields: dict[str, Any] = {"session": self.id}
        if seed is not None:
            if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
                fields["seed"] = _check_seed(seed)
            else:
                seeds = list(seed)  # type: ignore[arg-type]  # bools were refused above
                if len(seeds) != self.num_envs:
                    raise ValueError(
                        f"a seed list must have num_envs={self.num_envs} entries, got {len(seeds)}"
                    )
                fields["seed"] = [None if s is None else _check_seed(s) for s in seeds]
        reply = self._request("reset", **fields)
        n = self.num_envs
        return ResetResult(
            obs=decode_array(reply.get("obs"), "float32", (n, self._n)),
            seeds=decode_array(reply.get("seeds"), "uint64", (n,)),
            hash=self._hash(reply),
        )

    def step(self, actions: dict[str, Any]) -> StepResult:
        """Steps every env with an encoded ``actions`` wire array."""
        self._check_open()
        reply = self._request("step", session=self.id, actions=actions)
        n = self.num_envs
        terminated = decode_array(reply.get("terminated"), "uint8", (n,))
        truncated = decode_array(reply.get("truncated"), "uint8", (n,))
        final = None
        if "final" in reply:
            final = self._final(reply["final"], terminated, truncated)
        elif terminated.any() or truncated.any():
            raise ProtocolError("envs ended but the step reply has no 'final' map")
        autoreset = None
        if "autoreset" in reply:
            autoreset = decode_array(reply["autoreset"], "int32", (None,))
            if autoreset.size and (autoreset.min() < 0 or autoreset.max() >= n):
                raise ProtocolError(f"autoreset indices {autoreset} out of range")
        return StepResult(
            obs=decode_array(reply.get("obs"), "float32", (n, self._n)),
            reward=decode_array(reply.get("reward"), "float64", (n,)),
            terminated=terminated.astype(bool),
            truncated=truncated.astype(bool),
            final=final,
            autoreset=autoreset,
            hash=self._hash(reply),
        )

    def _request(self, op: str, **fields: Any) -> dict[str, Any]:
        try:
            reply = self.client.request(op, **fields)
        except ConnectionLost:
            self._lost = True
            raise
        self._lost = False
        return reply

    def _hash(self, reply: dict[str, Any]) -> Optional[np.ndarray]:
        if not self.hashes:
            return None
        if "hash" not in reply:
            raise ProtocolError("the session asked for hashes but the reply has none")
        return decode_array(reply["hash"], "uint64", (self.num_envs,))

    def _final(self, final: Any, terminated: np.ndarray, truncated: np.ndarray) -> FinalEpisodes:
        if not isinstance(final, dict):
            raise ProtocolError("'final' is not a map")
        index = decode_array(final.get("index"), "int32", (None,))
        m = index.shape[0]
        reason = final.get("reason")
        if (
            not isinstance(reason, list)
            or len(reason) != m
            or not all(isinstance(r, str) for r in reason)
        ):
            raise ProtocolError(f"'final.reason' is not a list of {m} strings: {reason!r}")
        ended = np.flatnonzero(terminated | truncated)
        if not np.array_equal(np.sort(index), ended):
            raise ProtocolError(f"'final.index' {index.tolist()} != ended envs {ended.tolist()}")
        return FinalEpisodes(
            index=index,
            returns=decode_array(final.get("return"), "float64", (m,)),
            length=decode_array(final.get("length"), "int32", (m,)),
            reason=reason,
            seed=decode_array(final.get("seed"), "uint64", (m,)),
        )

    def close(self) -> None:
        """Closes the session on the server (best effort), the socket and the server ref."""
        if self.closed:
            return
        try:
            if self.id is not None and not self.client.closed and not self._lost:
                self.client.request(
                    "close", session=self.id, timeout=min(self.client.timeout, _CLOSE_TIMEOUT_S)
                )
        except SandpitError:
            pass  # the server is gone or the session was reaped: nothing left to free
        finally:
            self._finalizer()
