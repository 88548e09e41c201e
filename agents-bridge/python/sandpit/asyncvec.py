"""Async stepping, as EnvPool's: ``send(actions, env_ids)`` then ``recv()`` returns the first
``batch_size`` envs whose step finished, so the learner's policy runs while the server steps
the rest.

One session of ``num_envs`` envs on the server, stepped with the protocol's ``send`` and
``recv`` ops (docs/PROTOCOL.md, "send and recv"): ``send`` hands the named envs to the
server's stepping threads; ``recv`` returns the first ``batch_size`` of the envs in flight
that finished, in the order they finished (``info["env_id"]`` names them). While the policy
works on one batch, the server steps the others. A ``send`` leaves with the ``recv`` that
follows it, in one message (the op's ``batch_size`` field), since an agent's loop calls them
back to back; call :meth:`flush` to send at once. Each env's trajectory, seeds
and hashes are those it has in a lockstep vector env with the same seed and actions
(:class:`sandpit.SandpitVectorEnv`); only which envs come back together varies. Autoreset is
NEXT_STEP, as there.

>>> envs = sandpit.make_async("CartPole-v0", num_envs=64, batch_size=16, seed=0)
>>> envs.async_reset()
>>> obs, rew, term, trunc, info = envs.recv()            # info["env_id"]: which 16 envs
>>> envs.send(policy(obs), info["env_id"])
"""

from __future__ import annotations

from collections import deque
from typing import Any, Deque, Dict, Optional, Sequence, Tuple

import numpy as np
from gymnasium.vector.utils import batch_space

from .client import DEFAULT_TIMEOUT
from .errors import ProtocolError, SandpitError
from .protocol import decode_array, encode_array
from .session import Session
from .spaces import action_space, encode_actions, observation_space

__all__ = ["SandpitAsyncVectorEnv", "make_async"]

Batch = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Dict[str, Any]]


class SandpitAsyncVectorEnv:
    """``num_envs`` envs stepped asynchronously, ``batch_size`` per :meth:`recv` (module doc).

    Args:
        env_id: Catalogue id.
        num_envs: N.
        batch_size: Envs per :meth:`recv`, 1 to N (default N: lockstep through send/recv).
        endpoint: Server endpoint; ``None`` uses the shared local server.
        seed: Session seed (env i's first reset uses ``seed + i``); ``None`` draws one.
        timeout: Seconds a ``recv`` may wait for its envs.
        **make: Further :class:`sandpit.session.Session` options (``max_steps``, ``hashes``...).
    """

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        batch_size: Optional[int] = None,
        endpoint: Optional[str] = None,
        *,
        seed: Optional[int] = None,
        timeout: float = DEFAULT_TIMEOUT,
        **make: Any,
    ) -> None:
        batch_size = num_envs if batch_size is None else batch_size
        if not 1 <= batch_size <= num_envs:
            raise ValueError(f"batch_size={batch_size} must be in [1, num_envs={num_envs}]")
        self.num_envs = num_envs
        self.batch_size = batch_size
        self.session = Session(env_id, num_envs, endpoint, seed=seed, timeout=timeout, **make)
        spec = self.session.spec
        self._n = int(spec["observation"]["shape"][0])
        self.single_observation_space = observation_space(spec)
        self.single_action_space = action_space(spec)
        self.observation_space = batch_space(self.single_observation_space, batch_size)
        self.action_space = batch_space(self.single_action_space, batch_size)
        # The first observations of async_reset, handed out by recv before any step result.
        self._reset: Deque[Tuple[int, np.ndarray, int, Optional[int]]] = deque()
        self._in_server = 0  # envs sent and not yet received
        self._unsent: Optional[Dict[str, Any]] = None  # a send that leaves with the next recv

    def async_reset(self, seed: Optional[int] = None) -> None:
        """Resets every env (one ``reset``; refused with ``in_flight`` while envs are); their
        first observations come back through :meth:`recv`, ``batch_size`` at a time in env
        order, with ``info["seed"]``, as EnvPool's ``async_reset``."""
        if self._reset:
            raise SandpitError("async_reset() again before recv() took every reset env")
        self.flush()
        result = self.session.reset(seed=seed)
        hashes = result.hash.tolist() if result.hash is not None else [None] * self.num_envs
        for i in range(self.num_envs):
            self._reset.append((i, result.obs[i], int(result.seeds[i]), hashes[i]))

    def send(self, actions: Any, env_ids: Sequence[int]) -> None:
        """Sends ``actions[j]`` to env ``env_ids[j]`` and returns without waiting for them."""
        ids = np.asarray(env_ids, dtype=np.int64).reshape(-1)
        if ids.size and ((ids < 0) | (ids >= self.num_envs)).any():
            raise ValueError(f"env_ids must be in [0, {self.num_envs}), got {ids.tolist()}")
        waiting = {i for i, *_ in self._reset} & set(ids.tolist())
        if waiting:
            raise SandpitError(
                f"envs {sorted(waiting)} are in flight: their reset has not been recv()ed"
            )
        k = int(ids.size)
        wire = encode_actions(actions, self.single_action_space, k, batched=True)
        self.flush()
        self._unsent = {"actions": wire, "env_ids": encode_array(ids.astype(np.int32), "int32"),
                        "count": k}

    def flush(self) -> None:
        """Sends the last :meth:`send` now rather than with the next :meth:`recv`."""
        if self._unsent is not None:
            unsent, self._unsent = self._unsent, None
            k = unsent.pop("count")
            self.session.client.request("send", session=self.session.id, **unsent)
            self._in_server += k

    def recv(self) -> Batch:
        """The first ``batch_size`` envs that finished: ``obs, reward, terminated, truncated,
        info`` with ``info["env_id"]`` (int32, which envs), ``info["hash"]`` when asked for,
        ``info["seed"]`` for envs just reset and ``info["final_return"]`` (NaN where no
        episode ended) with ``info["_final_return"]``. Fewer only when fewer are in flight
        after an ``async_reset``."""
        if not self._reset and self._in_server == 0 and self._unsent is None:
            raise SandpitError("recv() with nothing sent: call async_reset() or send() first")
        parts = []
        if self._reset:
            take = min(self.batch_size, len(self._reset))
            parts.append(self._reset_batch([self._reset.popleft() for _ in range(take)]))
        want = self.batch_size - (len(parts[0][0]) if parts else 0)
        if want > 0 and (self._in_server > 0 or self._unsent is not None):
            parts.append(self._server_batch(want))
        else:
            self.flush()
        if len(parts) == 1:
            return parts[0]
        return _join(parts[0], parts[1])

    def _reset_batch(self, items: list) -> Batch:
        k = len(items)
        info: Dict[str, Any] = {
            "env_id": np.array([it[0] for it in items], dtype=np.int32),
            "seed": np.array([it[2] for it in items], dtype=np.uint64),
            "final_return": np.full(k, np.nan),
            "_final_return": np.zeros(k, dtype=bool),
        }
        if items[0][3] is not None:
            info["hash"] = np.array([it[3] for it in items], dtype=np.uint64)
        obs = np.stack([it[1] for it in items]).astype(np.float32, copy=True)
        zeros = np.zeros(k, dtype=bool)
        return obs, np.zeros(k), zeros, zeros.copy(), info

    def _server_batch(self, want: int) -> Batch:
        if self._unsent is None:
            k = min(want, self._in_server)
            reply = self.session.client.request("recv", session=self.session.id, batch_size=k)
        else:  # the last send and this recv, in one message
            unsent, self._unsent = self._unsent, None
            self._in_server += unsent.pop("count")
            k = min(want, self._in_server)
            reply = self.session.client.request(
                "send", session=self.session.id, batch_size=k, **unsent
            )
        self._in_server -= k
        if "record_error" in reply:  # told as the env comes back, as step tells it
            self.session._warn_record_error(reply["record_error"])
        ids = decode_array(reply.get("env_id"), "int32", (k,))
        terminated = decode_array(reply.get("terminated"), "uint8", (k,)).astype(bool)
        truncated = decode_array(reply.get("truncated"), "uint8", (k,)).astype(bool)
        info: Dict[str, Any] = {"env_id": ids.copy()}
        ret = np.full(k, np.nan)
        if "final" in reply:
            final = reply["final"]
            index = decode_array(final.get("index"), "int32", (None,))
            returns = decode_array(final.get("return"), "float64", index.shape)
            row = {int(e): j for j, e in enumerate(ids.tolist())}
            if any(int(e) not in row for e in index.tolist()):
                raise ProtocolError(f"'final.index' {index.tolist()} not among {ids.tolist()}")
            ret[[row[int(e)] for e in index.tolist()]] = returns
        info["final_return"] = ret
        info["_final_return"] = ~np.isnan(ret)
        if self.session.hashes:
            info["hash"] = decode_array(reply.get("hash"), "uint64", (k,)).copy()
        obs = decode_array(reply.get("obs"), "float32", (k, self._n)).copy()
        reward = decode_array(reply.get("reward"), "float64", (k,)).copy()
        return obs, reward, terminated, truncated, info

    @property
    def in_flight(self) -> int:
        """Envs sent (or reset) and not yet returned by :meth:`recv`."""
        unsent = self._unsent["count"] if self._unsent is not None else 0
        return self._in_server + len(self._reset) + unsent

    def close(self) -> None:
        """Closes the session (the server drops envs still in flight)."""
        self.session.close()

    def __enter__(self) -> "SandpitAsyncVectorEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _join(a: Batch, b: Batch) -> Batch:
    info = {}
    for key in a[4].keys() & b[4].keys():
        info[key] = np.concatenate([a[4][key], b[4][key]])
    if "seed" in a[4]:  # envs from the server were not just reset: no seed
        info["seed"] = np.concatenate([a[4]["seed"], np.zeros(len(b[0]), dtype=np.uint64)])
        info["_seed"] = np.arange(len(info["seed"])) < len(a[0])
    return (
        np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]),
        np.concatenate([a[2], b[2]]), np.concatenate([a[3], b[3]]), info,
    )


def make_async(env_id: str, num_envs: int, batch_size: Optional[int] = None,
               endpoint: Optional[str] = None, **kwargs: Any) -> SandpitAsyncVectorEnv:
    """Makes an async vector env; see :class:`SandpitAsyncVectorEnv`."""
    if env_id.startswith("sandpit/"):
        env_id = env_id[len("sandpit/") :]
    return SandpitAsyncVectorEnv(env_id, num_envs, batch_size, endpoint, **kwargs)
