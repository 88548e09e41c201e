"""One vector env sharded over several servers: a session per server, stepped all at once.

``sandpit.make_vec(id, N, endpoint=[ep1, ep2, ...])`` splits the N envs into contiguous
shards, one per endpoint (sizes differ by at most one, the first shards taking the extra
envs). A step sends one message to every server before waiting on any, so the servers step
in parallel, then joins the replies in env order. Env i keeps its seeds wherever it runs:
shard k, holding envs [o, o + n), is made with session seed ``seed + o`` and reset with
``seed + o`` when the vector env is reset with ``seed``, so its episodes (and state hashes)
are those of the same envs in one session on one server (docs/PROTOCOL.md, "Seeds of a
vector session"). A server that does not answer raises :class:`ConnectionLost` naming its
shard and endpoint.
"""

from __future__ import annotations

import secrets
from typing import Any, List, Optional, Sequence

import numpy as np

from .errors import ConnectionLost, ProtocolError, SandpitError
from .session import (
    FinalEpisodes,
    ResetResult,
    SeedArg,
    Session,
    StepResult,
    _check_seed,
    check_mask,
)

__all__ = ["ShardedSession", "shard_sizes"]


def shard_sizes(num_envs: int, num_shards: int) -> List[int]:
    """Contiguous shard sizes: as even as possible, the first shards one larger."""
    if num_shards < 1:
        raise ValueError("a sharded env needs at least one endpoint")
    if num_envs < num_shards:
        raise ValueError(f"num_envs={num_envs} is fewer than the {num_shards} endpoints")
    q, r = divmod(num_envs, num_shards)
    return [q + (k < r) for k in range(num_shards)]


def _concat(parts: Sequence[Optional[np.ndarray]]) -> Optional[np.ndarray]:
    if parts[0] is None:
        return None
    return np.concatenate(parts)  # type: ignore[arg-type]


class ShardedSession:
    """The :class:`Session` interface over one session per endpoint (see the module doc).

    Args:
        endpoints: One server endpoint per shard (``ipc://`` or ``tcp://``); each may appear
            once only (two shards on one server would be one session's job).
        seed: The vector env's session seed; ``None`` draws one, shared by all shards.
        **kwargs: Everything else :class:`Session` takes, given to every shard.
    """

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        endpoints: Sequence[str],
        *,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        endpoints = list(endpoints)
        if not endpoints or not all(isinstance(e, str) for e in endpoints):
            raise ValueError(f"endpoint must be a list of endpoint strings, got {endpoints!r}")
        if len(set(endpoints)) != len(endpoints):
            raise ValueError(f"an endpoint appears twice in {endpoints!r}")
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)):
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        self.env_id = env_id
        self.num_envs = int(num_envs)
        self.seed = secrets.randbelow(2**31) if seed is None else _check_seed(seed)
        self.hashes = bool(kwargs.get("hashes", False))
        sizes = shard_sizes(self.num_envs, len(endpoints))
        self.offsets = [int(o) for o in np.cumsum([0] + sizes[:-1])]
        self.shards: List[Session] = []
        try:
            for endpoint, size, offset in zip(endpoints, sizes, self.offsets):
                self.shards.append(
                    Session(env_id, size, endpoint, seed=self.seed + offset, **kwargs)
                )
        except BaseException:
            self.close()
            raise
        self.spec = self.shards[0].spec
        for shard in self.shards[1:]:
            if shard.spec != self.spec:
                self.close()
                raise ProtocolError(
                    f"the servers disagree on {env_id}'s spec: {shard.client.endpoint} differs "
                    f"from {self.shards[0].client.endpoint} (different versions?)"
                )
        self._n = self.shards[0]._n
        self.frame_shape = self.shards[0].frame_shape
        self._bounds = [(o, o + s.num_envs) for o, s in zip(self.offsets, self.shards)]

    # -- the Session interface ------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return all(s.closed for s in self.shards)

    @property
    def id(self) -> List[Optional[int]]:
        """Each shard's session id, in shard order."""
        return [s.id for s in self.shards]

    @property
    def client(self) -> Any:
        raise SandpitError(
            "a sharded env has one connection per server: use envs.shards[k].client"
        )

    @property
    def record_errors(self) -> dict[int, str]:
        return {
            o + i: why for o, s in zip(self.offsets, self.shards) for i, why in s.record_errors.items()
        }

    def reset(
        self,
        seed: SeedArg = None,
        options: Optional[dict[str, Any]] = None,
        mask: Optional[np.ndarray] = None,
    ) -> ResetResult:
        """Resets every shard, one after another (resets are off the step path), each through
        its own session's request path (reconnect included); ``mask`` as
        :meth:`Session.reset`, cut into each shard's rows."""
        if mask is not None:
            mask = check_mask(mask, self.num_envs)
        if seed is None or isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            base = None if seed is None else _check_seed(seed)
            per: list[Any] = [None if base is None else base + o for o in self.offsets]
        else:
            seeds = list(seed)  # type: ignore[arg-type]
            if len(seeds) != self.num_envs:
                raise ValueError(
                    f"a seed list must have num_envs={self.num_envs} entries, got {len(seeds)}"
                )
            per = [seeds[a:b] for a, b in self._bounds]
        results = [
            self._named(
                k,
                lambda s=s, p=p, m=(None if mask is None else mask[a:b]): s.reset(p, options, m),
            )
            for k, (s, p, (a, b)) in enumerate(zip(self.shards, per, self._bounds))
        ]
        return ResetResult(
            obs=np.concatenate([r.obs for r in results]),
            seeds=np.concatenate([r.seeds for r in results]),
            hash=_concat([r.hash for r in results]),
            guardrail=self._lists([r.guardrail for r in results]),
            faults=_concat([r.faults for r in results]),
            sensor_valid=_concat([r.sensor_valid for r in results]),
            pixels=_concat([r.pixels for r in results]),
        )

    def step(self, actions: dict[str, Any]) -> StepResult:
        """Sends each shard its rows of ``actions``, then joins the replies in env order."""
        data = actions["data"]
        shape = actions["shape"]
        if not isinstance(shape, list) or not shape or shape[0] != self.num_envs:
            raise ProtocolError(f"actions of shape {shape} for {self.num_envs} envs")
        row = len(data) // self.num_envs
        view = memoryview(data)
        sent = []
        for k, (shard, (a, b)) in enumerate(zip(self.shards, self._bounds)):
            part = {"dtype": actions["dtype"], "shape": [b - a, *shape[1:]], "data": view[a * row : b * row]}
            sent.append(self._named(k, lambda s=shard, p=part: s.step_send(p)))
        results = [
            self._named(k, lambda s=shard, x=x: s.step_receive(x))
            for k, (shard, x) in enumerate(zip(self.shards, sent))
        ]
        return StepResult(
            obs=np.concatenate([r.obs for r in results]),
            reward=np.concatenate([r.reward for r in results]),
            terminated=np.concatenate([r.terminated for r in results]),
            truncated=np.concatenate([r.truncated for r in results]),
            final=self._final([r.final for r in results]),
            autoreset=self._indices([r.autoreset for r in results]),
            hash=_concat([r.hash for r in results]),
            guardrail=self._lists([r.guardrail for r in results]),
            cost=_concat([r.cost for r in results]),
            faults=_concat([r.faults for r in results]),
            sensor_valid=_concat([r.sensor_valid for r in results]),
            pixels=_concat([r.pixels for r in results]),
        )

    def close(self) -> None:
        """Closes every shard's session (best effort each, as :meth:`Session.close`)."""
        for shard in self.shards:
            shard.close()

    # -- joining ----------------------------------------------------------------------------

    def _named(self, k: int, call: Any) -> Any:
        """``call()``, with a lost connection re-raised naming the shard and its server."""
        try:
            return call()
        except ConnectionLost as e:
            a, b = self._bounds[k]
            raise ConnectionLost(
                f"shard {k} (envs {a}..{b - 1}) at {self.shards[k].client.endpoint}: {e}"
            ) from e

    def _indices(self, parts: Sequence[Optional[np.ndarray]]) -> Optional[np.ndarray]:
        if all(p is None for p in parts):
            return None
        return np.concatenate(
            [p + o for p, o in zip(parts, self.offsets) if p is not None]
        ).astype(np.int32)

    def _final(self, parts: Sequence[Optional[FinalEpisodes]]) -> Optional[FinalEpisodes]:
        got = [(p, o) for p, o in zip(parts, self.offsets) if p is not None]
        if not got:
            return None
        return FinalEpisodes(
            index=np.concatenate([p.index + o for p, o in got]).astype(np.int32),
            returns=np.concatenate([p.returns for p, _ in got]),
            length=np.concatenate([p.length for p, _ in got]),
            reason=[r for p, _ in got for r in p.reason],
            seed=np.concatenate([p.seed for p, _ in got]),
            obs=None if got[0][0].obs is None else np.concatenate([p.obs for p, _ in got]),
            pixels=_concat([p.pixels for p, _ in got]),
        )

    def _lists(self, parts: Sequence[Optional[list]]) -> Optional[list]:
        """Per-env lists joined in env order (a shard without any: empty lists)."""
        if all(p is None for p in parts):
            return None
        out: list = []
        for p, shard in zip(parts, self.shards):
            out.extend(p if p is not None else [[] for _ in range(shard.num_envs)])
        return out
